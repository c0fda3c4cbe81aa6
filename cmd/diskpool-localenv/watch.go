package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// poolView is what the watch prints of a pool; a line is printed when it
// changes.
type poolView struct {
	name, node, state, poolStatus, capacity, ready string
}

func viewOf(p *v1beta3.DiskPool) poolView {
	v := poolView{
		name:       p.Name,
		node:       p.Spec.Node,
		state:      string(p.Status.CRState),
		poolStatus: string(p.Status.PoolStatus),
		capacity:   humanBytes(p.Status.Capacity),
	}
	if v.state == "" {
		v.state = "-"
	}
	if v.poolStatus == "" {
		v.poolStatus = "-"
	}
	if p.DeletionTimestamp != nil {
		v.state += " (deleting)"
	}
	if c := meta.FindStatusCondition(p.Status.Conditions, v1beta3.ConditionReady); c != nil {
		v.ready = fmt.Sprintf("Ready=%s %s", c.Status, c.Reason)
	}
	return v
}

func (v poolView) line(elapsed time.Duration) string {
	return fmt.Sprintf("  %7s  %-14s %-8s %-12s %-8s %-9s %s",
		"+"+elapsed.Round(10*time.Millisecond).String(), v.name, v.node, v.state, v.poolStatus, v.capacity, v.ready)
}

// humanBytes prints a byte count in binary units; 0 is "-".
func humanBytes(n int64) string {
	if n <= 0 {
		return "-"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

// poolPrinter prints a line per change of the watched pools and, once,
// how long all of them took to become Created.
type poolPrinter struct {
	out   io.Writer
	since time.Time
	want  []string

	mu      sync.Mutex
	last    map[string]poolView
	created map[string]bool
	done    bool
}

func newPoolPrinter(out io.Writer, since time.Time, want []string) *poolPrinter {
	return &poolPrinter{out: out, since: since, want: want, last: map[string]poolView{}, created: map[string]bool{}}
}

func (pp *poolPrinter) observe(p *v1beta3.DiskPool, now time.Time) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	v := viewOf(p)
	if old, ok := pp.last[p.Name]; ok && old == v {
		return
	}
	pp.last[p.Name] = v
	_, _ = fmt.Fprintln(pp.out, v.line(now.Sub(pp.since)))
	if slices.Contains(pp.want, p.Name) {
		pp.created[p.Name] = p.Status.CRState == v1beta3.CRStateCreated
	}
	if pp.done {
		return
	}
	for _, n := range pp.want {
		if !pp.created[n] {
			return
		}
	}
	pp.done = true
	_, _ = fmt.Fprintf(pp.out, "All %d sample pools are Created, %s after they were applied.\n",
		len(pp.want), now.Sub(pp.since).Round(10*time.Millisecond))
}

func (pp *poolPrinter) gone(name string, now time.Time) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	delete(pp.last, name)
	_, _ = fmt.Fprintf(pp.out, "  %7s  %-14s deleted\n", "+"+now.Sub(pp.since).Round(10*time.Millisecond).String(), name)
}

// watchPools prints the pools of namespace as they change until ctx ends.
func watchPools(ctx context.Context, cfg *rest.Config, namespace string, want []string, since time.Time, out io.Writer) error {
	cs, err := versioned.NewForConfig(cfg)
	if err != nil {
		return err
	}
	factory := externalversions.NewSharedInformerFactoryWithOptions(cs, 0, externalversions.WithNamespace(namespace))
	inf := factory.Openebs().V1beta3().DiskPools().Informer()
	pp := newPoolPrinter(out, since, want)
	_, _ = fmt.Fprintf(out, "  %7s  %-14s %-8s %-12s %-8s %-9s %s\n", "TIME", "NAME", "NODE", "STATE", "POOL", "CAPACITY", "CONDITION")
	_, err = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { observe(pp, obj) },
		UpdateFunc: func(_, obj any) { observe(pp, obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if p, ok := obj.(*v1beta3.DiskPool); ok {
				pp.gone(p.Name, time.Now())
			}
		},
	})
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	<-ctx.Done()
	factory.Shutdown()
	return nil
}

func observe(pp *poolPrinter, obj any) {
	if p, ok := obj.(*v1beta3.DiskPool); ok {
		pp.observe(p, time.Now())
	}
}
