package inventory

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2/ktesting"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

const ns = "diskpool-system"

type fixture struct {
	t        *testing.T
	ctx      context.Context
	client   *fake.Clientset
	recorder *events.FakeRecorder
	reg      *prometheus.Registry
	pub      *Publisher
}

// newFixture builds a Publisher over a fake clientset holding objs; its
// lister is the indexer of an informer filled from the clientset.
func newFixture(t *testing.T, objs ...*corev1.ConfigMap) *fixture {
	_, ctx := ktesting.NewTestContext(t)
	f := &fixture{t: t, ctx: ctx, client: fake.NewClientset(), recorder: events.NewFakeRecorder(10), reg: prometheus.NewRegistry()}
	for _, o := range objs {
		if _, err := f.client.CoreV1().ConfigMaps(ns).Create(ctx, o, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	f.client.ClearActions()
	m, err := NewMetrics(f.reg)
	if err != nil {
		t.Fatal(err)
	}
	f.pub = f.newPublisher(m)
	return f
}

func (f *fixture) newPublisher(m *Metrics) *Publisher {
	inf := informers.NewSharedInformerFactory(f.client, 0).Core().V1().ConfigMaps()
	list, err := f.client.CoreV1().ConfigMaps(ns).List(f.ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range list.Items {
		if err := inf.Informer().GetIndexer().Add(&list.Items[i]); err != nil {
			f.t.Fatal(err)
		}
	}
	return NewPublisher(f.client, ns, inf.Lister(), f.recorder, m)
}

// publish publishes and returns the verbs of the writes it made.
func (f *fixture) publish(r Report) []string {
	f.t.Helper()
	f.client.ClearActions()
	if err := f.pub.Publish(f.ctx, r); err != nil {
		f.t.Fatal(err)
	}
	var verbs []string
	for _, a := range f.client.Actions() {
		if a.GetVerb() != "get" && a.GetVerb() != "list" && a.GetVerb() != "watch" {
			verbs = append(verbs, a.GetVerb()+" "+a.GetResource().Resource)
		}
	}
	// Keep the lister in step, as the informer would.
	f.pub = f.newPublisher(f.pub.metrics)
	return verbs
}

func (f *fixture) events() []string {
	var out []string
	for {
		select {
		case e := <-f.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func report(orphans ...*agentv1.Disk) Report {
	disks := append([]*agentv1.Disk{{Path: "/dev/sda", Kind: "block", Content: agentv1.DiskContent_DISK_CONTENT_EMPTY, SizeBytes: 1 << 30}}, orphans...)
	return BuildReport("node-a", disks, func(uid string) bool { return uid == liveUID })
}

// TestPublishWritesOnChangeOnly: the first report creates the ConfigMap,
// the same report again writes nothing, a change is one update.
func TestPublishWritesOnChangeOnly(t *testing.T) {
	f := newFixture(t)
	if got := f.publish(report()); len(got) != 1 || got[0] != "create configmaps" {
		t.Fatalf("first publish wrote %v", got)
	}
	for range 3 {
		if got := f.publish(report()); len(got) != 0 {
			t.Fatalf("unchanged report wrote %v", got)
		}
	}
	live := pooled("/dev/sdb", "pool-a", "u-a", liveUID, 0, true)
	if got := f.publish(report(live)); len(got) != 1 || got[0] != "update configmaps" {
		t.Fatalf("changed report wrote %v", got)
	}
	if ev := f.events(); len(ev) != 0 {
		t.Errorf("events without an orphan: %v", ev)
	}
	cm, err := f.client.CoreV1().ConfigMaps(ns).Get(f.ctx, "diskpool-node-node-a", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(cm)
	if err != nil || len(back.Disks) != 2 || back.Disks[1].Pool.Name != "pool-a" || back.Node != "node-a" || cm.Labels[ComponentLabel] != ComponentValue {
		t.Fatalf("decoded %+v, %v from %v", back, err, cm)
	}
}

// TestPublishAnnouncesEachOrphanOnce: one Warning per orphan when it first
// appears, none while it stays, none after the operator restarts (the
// ConfigMap remembers), and the gauge follows.
func TestPublishAnnouncesEachOrphanOnce(t *testing.T) {
	f := newFixture(t)
	orphanA := pooled("/dev/sdb", "pool-a", "u-a", goneUID, 3, true)
	f.publish(report(orphanA))
	ev := f.events()
	if len(ev) != 1 || ev[0][:len("Warning OrphanPool")] != "Warning OrphanPool" {
		t.Fatalf("events = %v", ev)
	}
	if got := testutil.ToFloat64(f.pub.metrics.orphans.WithLabelValues("node-a")); got != 1 {
		t.Errorf("diskpool_orphan_pools = %v", got)
	}
	f.publish(report(orphanA))
	if ev := f.events(); len(ev) != 0 {
		t.Fatalf("repeated events: %v", ev)
	}
	// A restart: a new publisher over the same ConfigMap.
	f.pub = f.newPublisher(f.pub.metrics)
	orphanB := pooled("/dev/sdc", "pool-b", "u-b", goneUID, 0, false)
	if got := f.publish(report(orphanA, orphanB)); len(got) != 1 {
		t.Fatalf("writes = %v", got)
	}
	if ev := f.events(); len(ev) != 1 {
		t.Fatalf("events after a second orphan = %v, want one (for pool-b)", ev)
	}
	if got := testutil.ToFloat64(f.pub.metrics.orphans.WithLabelValues("node-a")); got != 2 {
		t.Errorf("diskpool_orphan_pools = %v", got)
	}
	f.publish(report())
	if got := testutil.ToFloat64(f.pub.metrics.orphans.WithLabelValues("node-a")); got != 0 {
		t.Errorf("diskpool_orphan_pools after adoption = %v", got)
	}
}

// TestPublishWriteError: a failed write is returned (the runner retries)
// and announces nothing.
func TestPublishWriteError(t *testing.T) {
	f := newFixture(t)
	f.client.PrependReactor("create", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errBoom
	})
	if err := f.pub.Publish(f.ctx, report(pooled("/dev/sdb", "pool-a", "u-a", goneUID, 0, true))); err == nil {
		t.Fatal("Publish succeeded with a failing create")
	}
	if ev := f.events(); len(ev) != 0 {
		t.Errorf("events after a failed write: %v", ev)
	}
}

var errBoom = errors.New("boom")
