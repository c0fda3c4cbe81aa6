package soak

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	"github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// Write budget per object: every write the soak sees (a new
// resourceVersion) should change something a reader sees (a transition:
// state, Ready, reported sizes, deletion, finalizers, annotations, the
// generation). writes <= writeBudgetPerTransition*transitions +
// writeBudgetSlack; a write storm is far beyond.
const (
	writeBudgetPerTransition = 2
	writeBudgetSlack         = 5
)

// writeTracker watches the run's pool objects and counts their writes and
// transitions by UID. It sees what a watch delivers: writes squashed by a
// relist (after an API server restart) are not counted.
type writeTracker struct {
	t       *testing.T
	pools   versioned.Interface
	ns      string
	factory informers.SharedInformerFactory
	stopCh  chan struct{}

	mu   sync.Mutex
	objs map[string]*objWrites
}

type objWrites struct {
	name                string
	writes, transitions int
	lastRV, lastVisible string
	reported            bool
}

func startWriteTracker(t *testing.T, ctx context.Context, pools versioned.Interface, ns string) *writeTracker {
	w := &writeTracker{objs: map[string]*objWrites{}, t: t, pools: pools, ns: ns}
	w.start(ctx)
	t.Cleanup(w.stop)
	return w
}

// start starts a fresh informer factory on the run's objects.
func (w *writeTracker) start(ctx context.Context) {
	f := informers.NewSharedInformerFactoryWithOptions(w.pools, 0, informers.WithNamespace(w.ns))
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    w.observe,
		UpdateFunc: func(_, obj any) { w.observe(obj) },
	}
	if _, err := f.Openebs().V1beta3().DiskPools().Informer().AddEventHandler(h); err != nil {
		w.t.Fatal(err)
	}
	if _, err := f.Openebs().V1alpha1().MayastorPools().Informer().AddEventHandler(h); err != nil {
		w.t.Fatal(err)
	}
	stop := make(chan struct{})
	f.Start(stop)
	w.factory, w.stopCh = f, stop
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			w.t.Fatalf("write tracker: %v not synced", typ)
		}
	}
}

func (w *writeTracker) stop() {
	if w.stopCh != nil {
		close(w.stopCh)
		w.factory.Shutdown()
		w.stopCh = nil
	}
}

// restart replaces the informers after a control-plane restart: their
// watches were seen to deliver nothing for the rest of a run after
// kube-apiserver restarted (writes are deduplicated by resourceVersion, so
// the relist counts nothing twice).
func (w *writeTracker) restart(ctx context.Context) {
	w.stop()
	w.start(ctx)
}

func (w *writeTracker) observe(obj any) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	o := w.objs[string(m.GetUID())]
	if o == nil {
		o = &objWrites{name: m.GetName()}
		w.objs[string(m.GetUID())] = o
	}
	if m.GetResourceVersion() == o.lastRV {
		return
	}
	o.lastRV = m.GetResourceVersion()
	o.writes++
	if v := visible(obj); v != o.lastVisible {
		o.lastVisible = v
		o.transitions++
	}
}

// visible is what a reader of the object sees, beyond the bookkeeping.
func visible(obj any) string {
	switch p := obj.(type) {
	case *v1beta3.DiskPool:
		var ready string
		if c := meta.FindStatusCondition(p.Status.Conditions, v1beta3.ConditionReady); c != nil {
			ready = fmt.Sprintf("%s/%s/%s", c.Status, c.Reason, c.Message)
		}
		return fmt.Sprintf("%s %s %s cap=%d used=%d committed=%d uuid=%s gen=%d/%d del=%v fin=%v ann=%v",
			p.Status.CRState, p.Status.PoolStatus, ready, p.Status.Capacity, p.Status.Used, p.Status.Committed,
			p.Status.PoolUUID, p.Generation, p.Status.ObservedGeneration, p.DeletionTimestamp != nil, p.Finalizers, p.Annotations)
	case *v1alpha1.MayastorPool:
		return fmt.Sprintf("%s %s cap=%d used=%d gen=%d/%d del=%v fin=%v ann=%v",
			p.Status.State, p.Status.Reason, p.Status.Capacity, p.Status.Used, p.Generation, p.Status.ObservedGeneration,
			p.DeletionTimestamp != nil, p.Finalizers, p.Annotations)
	}
	return ""
}

// overBudget returns the objects (once each) whose writes exceed the
// budget.
func (w *writeTracker) overBudget() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for uid, o := range w.objs {
		if !o.reported && o.writes > writeBudgetPerTransition*o.transitions+writeBudgetSlack {
			o.reported = true
			out = append(out, fmt.Sprintf("%s (uid %s): %d writes for %d transitions", o.name, uid, o.writes, o.transitions))
		}
	}
	return out
}

func (w *writeTracker) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	writes, transitions, worst := 0, 0, 0.0
	for _, o := range w.objs {
		writes += o.writes
		transitions += o.transitions
		if o.transitions > 0 {
			worst = max(worst, float64(o.writes)/float64(o.transitions))
		}
	}
	return fmt.Sprintf("%d objects, %d writes, %d transitions, at most %.2f writes per transition", len(w.objs), writes, transitions, worst)
}
