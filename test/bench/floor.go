package main

import (
	"context"
	"fmt"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	eventsv1client "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// floorController performs the minimum writes N pool objects need and
// nothing else: on create, add the finalizer and write a Created status; on
// delete, remove the finalizer. No agent, no reads beyond one watch. Its
// convergence time is the floor the operator is measured against.
//
// With deleteEvents it also records one event per delete, as the operator
// records Destroyed: the same API writes as the operator's delete, with no
// agent behind them.
type floorController struct {
	client       versioned.Interface
	namespace    string
	workers      int
	deleteEvents eventsv1client.EventsV1Interface
	writes       countingWrites
}

type countingWrites struct {
	mu sync.Mutex
	n  int
}

func (c *countingWrites) add() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

func (c *countingWrites) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// run serves the namespace until ctx ends; it returns once its informer has
// synced. Each object is handled once on create and once on delete.
func (f *floorController) run(ctx context.Context) error {
	work := make(chan *v1beta3.DiskPool, 1<<16)
	var mu sync.Mutex
	handled := map[string]bool{}
	offer := func(obj any) {
		dp, ok := obj.(*v1beta3.DiskPool)
		if !ok {
			return
		}
		step := ""
		switch {
		case dp.DeletionTimestamp != nil && slices.Contains(dp.Finalizers, v1beta3.Finalizer):
			step = "delete/"
		case dp.DeletionTimestamp == nil && !slices.Contains(dp.Finalizers, v1beta3.Finalizer):
			step = "create/"
		default:
			return
		}
		mu.Lock()
		seen := handled[step+dp.Name]
		handled[step+dp.Name] = true
		mu.Unlock()
		if !seen {
			work <- dp
		}
	}
	factory := externalversions.NewSharedInformerFactoryWithOptions(f.client, 0, externalversions.WithNamespace(f.namespace))
	inf := factory.Openebs().V1beta3().DiskPools().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    offer,
		UpdateFunc: func(_, obj any) { offer(obj) },
	}); err != nil {
		return fmt.Errorf("floor: watch %s: %w", f.namespace, err)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return fmt.Errorf("floor: watch %s: cache did not sync", f.namespace)
	}
	for range f.workers {
		go func() {
			for {
				select {
				case dp := <-work:
					if err := f.handle(ctx, dp); err != nil && ctx.Err() == nil {
						fmt.Printf("floor: %v\n", err)
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	return nil
}

func (f *floorController) handle(ctx context.Context, dp *v1beta3.DiskPool) error {
	pools := f.client.OpenebsV1beta3().DiskPools(f.namespace)
	obj := dp.DeepCopy()
	if obj.DeletionTimestamp != nil {
		obj.Finalizers = slices.DeleteFunc(obj.Finalizers, func(s string) bool { return s == v1beta3.Finalizer })
		_, err := pools.Update(ctx, obj, metav1.UpdateOptions{})
		f.writes.add()
		if err != nil || f.deleteEvents == nil {
			return err
		}
		return f.recordDestroyed(ctx, obj)
	}
	obj.Finalizers = append(obj.Finalizers, v1beta3.Finalizer)
	updated, err := pools.Update(ctx, obj, metav1.UpdateOptions{})
	f.writes.add()
	if err != nil {
		return fmt.Errorf("add finalizer to %s: %w", obj.Name, err)
	}
	now := metav1.Now()
	updated.Status = v1beta3.DiskPoolStatus{
		CRState: v1beta3.CRStateCreated, PoolStatus: v1beta3.PoolStatusOnline,
		Capacity: 1 << 30, Available: 1 << 30, Node: obj.Spec.Node, Disks: obj.Spec.Disks,
		PoolUUID: string(obj.UID), ObservedGeneration: obj.Generation,
		Conditions: []metav1.Condition{{Type: v1beta3.ConditionReady, Status: metav1.ConditionTrue, Reason: "PoolOnline",
			Message: "pool is online", ObservedGeneration: obj.Generation, LastTransitionTime: now}},
	}
	_, err = pools.UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	f.writes.add()
	if err != nil {
		return fmt.Errorf("write status of %s: %w", obj.Name, err)
	}
	return nil
}

// recordDestroyed writes the event the operator writes after a delete.
func (f *floorController) recordDestroyed(ctx context.Context, dp *v1beta3.DiskPool) error {
	now := metav1.NowMicro()
	ev := &eventsv1.Event{
		// Named as client-go's event recorder names them.
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", dp.Name, now.UnixNano()), Namespace: dp.Namespace},
		EventTime:  now,
		Regarding: corev1.ObjectReference{Kind: "DiskPool", APIVersion: v1beta3.GroupVersion.String(),
			Namespace: dp.Namespace, Name: dp.Name, UID: dp.UID, ResourceVersion: dp.ResourceVersion},
		Type: corev1.EventTypeNormal, Reason: "Destroyed", Action: "DestroyPool",
		Note:                "pool destroyed, its labels erased",
		ReportingController: "bench-floor", ReportingInstance: "bench-floor",
	}
	_, err := f.deleteEvents.Events(dp.Namespace).Create(ctx, ev, metav1.CreateOptions{})
	f.writes.add()
	if err != nil {
		return fmt.Errorf("record the Destroyed event of %s: %w", dp.Name, err)
	}
	return nil
}
