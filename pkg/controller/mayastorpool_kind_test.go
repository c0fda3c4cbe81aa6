package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	kubeinformers "k8s.io/client-go/informers"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	core "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	v1alpha1informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1alpha1"
	v1beta3informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1beta3"
	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

var mayastorPoolsResource = schema.GroupVersionResource{Group: v1beta3.GroupName, Version: "v1alpha1", Resource: "mayastorpools"}

// newMSP returns a MayastorPool as a storage admin creates it (the legacy
// example's shape); opts adjust it.
func newMSP(name string, opts ...func(*v1alpha1.MayastorPool)) *v1alpha1.MayastorPool {
	m := &v1alpha1.MayastorPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: types.UID("msp-uid-" + name), Generation: 1, ResourceVersion: "1",
			Labels: map[string]string{"team": "storage"}, Annotations: map[string]string{"note": "kept"}},
		Spec: v1alpha1.MayastorPoolSpec{Node: testNode, Disks: []string{"/dev/sdb"}},
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

func mspDeleting(m *v1alpha1.MayastorPool) {
	ts := metav1.NewTime(t0)
	m.DeletionTimestamp = &ts
}

// legacyFixture is the fixture with the MayastorPool kind served too.
type legacyFixture struct {
	*fixture
	mspIndexer cache.Indexer
}

// newLegacyFixture builds a controller serving both kinds over the given
// DiskPools, MayastorPools and Nodes, with the same fake API server
// behaviour for MayastorPools as newFixture's for DiskPools.
func newLegacyFixture(t *testing.T, agents Agents, objs ...runtime.Object) *legacyFixture {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	f := &fixture{t: t, ctx: ctx, agents: newFakeAgents(), clock: testingclock.NewFakeClock(t0), events: &recorder{}, metrics: &recordingMetrics{}}
	var pools, nodes []runtime.Object
	for _, o := range objs {
		switch o.(type) {
		case *v1beta3.DiskPool, *v1alpha1.MayastorPool:
			pools = append(pools, o)
		case *corev1.Node:
			nodes = append(nodes, o)
		default:
			t.Fatalf("unexpected seed object %T", o)
		}
	}
	f.client = fake.NewSimpleClientset(pools...)
	f.api = newFakeAPIServer(f.client)
	f.client.PrependReactor("update", "mayastorpools", func(a core.Action) (bool, runtime.Object, error) {
		return mspUpdate(f.api, a)
	})
	f.kube = k8sfake.NewSimpleClientset(nodes...)
	f.agents.setAgent(testNode, reconcile.AgentReady, "")
	if agents == nil {
		agents = f.agents
	}

	poolFactory := informers.NewSharedInformerFactory(f.client, 0)
	kubeFactory := kubeinformers.NewSharedInformerFactory(f.kube, 0)
	dspInformer := poolFactory.Openebs().V1beta3().DiskPools()
	mspInformer := poolFactory.Openebs().V1alpha1().MayastorPools()
	nodeInformer := kubeFactory.Core().V1().Nodes()
	c, err := NewController(ctx, Config{
		PoolClient:            f.client,
		DiskPoolInformers:     []v1beta3informers.DiskPoolInformer{dspInformer},
		MayastorPoolInformers: []v1alpha1informers.MayastorPoolInformer{mspInformer},
		NodeInformer:          nodeInformer,
		Agents:                agents,
		EventRecorder:         f.events,
		Clock:                 f.clock,
		Metrics:               f.metrics,
	})
	if err != nil {
		t.Fatalf("NewController: %v", err)
	}
	t.Cleanup(c.queue.ShutDown)
	f.queue = &recordingQueue{TypedRateLimitingInterface: c.queue}
	c.queue = f.queue
	c.synced = []cache.InformerSynced{func() bool { return true }}
	f.c = c
	f.dspIndexer = dspInformer.Informer().GetIndexer()
	f.nodeIndexer = nodeInformer.Informer().GetIndexer()
	lf := &legacyFixture{fixture: f, mspIndexer: mspInformer.Informer().GetIndexer()}
	for _, o := range pools {
		idx := f.dspIndexer
		if _, ok := o.(*v1alpha1.MayastorPool); ok {
			idx = lf.mspIndexer
		}
		if err := idx.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range nodes {
		if err := f.nodeIndexer.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	return lf
}

// mspUpdate is fakeAPIServer.update for MayastorPools.
func mspUpdate(s *fakeAPIServer, a core.Action) (bool, runtime.Object, error) {
	u := a.(core.UpdateAction)
	in := u.GetObject().(*v1alpha1.MayastorPool)
	cur, err := s.client.Tracker().Get(mayastorPoolsResource, in.Namespace, in.Name)
	if err != nil {
		return true, nil, err
	}
	stored := cur.(*v1alpha1.MayastorPool)
	if (in.ResourceVersion != "" && in.ResourceVersion != stored.ResourceVersion) || (in.UID != "" && in.UID != stored.UID) {
		return true, nil, apierrors.NewConflict(mayastorPoolsResource.GroupResource(), in.Name,
			fmt.Errorf("precondition failed: resourceVersion %s, uid %s", in.ResourceVersion, in.UID))
	}
	next := stored.DeepCopy()
	if u.GetSubresource() == "status" {
		next.Status = *in.Status.DeepCopy()
	} else {
		next.Finalizers, next.Annotations, next.Labels = in.Finalizers, in.Annotations, in.Labels
		next.Spec = *in.Spec.DeepCopy()
	}
	next.ResourceVersion = s.nextRV()
	if next.DeletionTimestamp != nil && len(next.Finalizers) == 0 {
		return true, next, s.client.Tracker().Delete(mayastorPoolsResource, next.Namespace, next.Name)
	}
	return true, next, s.client.Tracker().Update(mayastorPoolsResource, next, next.Namespace)
}

func (f *legacyFixture) syncMSP(name string) error {
	f.t.Helper()
	return f.c.syncHandler(f.ctx, key{Kind: KindMayastorPool, Namespace: testNS, Name: name})
}

func (f *legacyFixture) mustSyncMSP(name string) {
	f.t.Helper()
	if err := f.syncMSP(name); err != nil {
		f.t.Fatalf("sync MayastorPool %s: %v", name, err)
	}
}

func (f *legacyFixture) storedMSP(name string) *v1alpha1.MayastorPool {
	f.t.Helper()
	obj, err := f.client.Tracker().Get(mayastorPoolsResource, testNS, name)
	if err != nil {
		f.t.Fatalf("get MayastorPool %s: %v", name, err)
	}
	return obj.(*v1alpha1.MayastorPool)
}

func (f *legacyFixture) mspGone(name string) bool {
	_, err := f.client.Tracker().Get(mayastorPoolsResource, testNS, name)
	return apierrors.IsNotFound(err)
}

// refreshMSP copies the stored MayastorPool into the informer cache and
// delivers the update to the controller, as its watch would (an echo of
// the controller's own write is not queued); the queue is then emptied.
func (f *legacyFixture) refreshMSP(name string) *v1alpha1.MayastorPool {
	f.t.Helper()
	m := f.storedMSP(name)
	if err := f.mspIndexer.Update(m); err != nil {
		f.t.Fatal(err)
	}
	f.c.enqueueUpdate(KindMayastorPool, m)
	drain(f.fixture)
	return m
}

// refreshDSP is refreshMSP for a DiskPool.
func (f *legacyFixture) refreshDSP(name string) *v1beta3.DiskPool {
	f.t.Helper()
	d := f.refresh(name)
	f.c.enqueueUpdate(KindDiskPool, d)
	drain(f.fixture)
	return d
}

// modifyMSP changes the stored MayastorPool as a user would.
func (f *legacyFixture) modifyMSP(name string, fn func(*v1alpha1.MayastorPool)) {
	f.t.Helper()
	m := f.storedMSP(name).DeepCopy()
	fn(m)
	m.ResourceVersion = f.nextRV()
	if err := f.client.Tracker().Update(mayastorPoolsResource, m, testNS); err != nil {
		f.t.Fatal(err)
	}
	f.refreshMSP(name)
}

// createdMSP runs the create of name to the end and forgets what it did.
func (f *legacyFixture) createdMSP(name string) *v1alpha1.MayastorPool {
	f.t.Helper()
	f.mustSyncMSP(name)
	f.writes()
	f.events.take()
	f.agents.takeCalls()
	return f.refreshMSP(name)
}

func checkMSP(t *testing.T, m *v1alpha1.MayastorPool, state v1alpha1.MayastorPoolState, reasonHas string) {
	t.Helper()
	if m.Status.State != state {
		t.Errorf("state = %q (reason %q), want %q", m.Status.State, m.Status.Reason, state)
	}
	if reasonHas == "" && m.Status.Reason != "" {
		t.Errorf("reason = %q, want none", m.Status.Reason)
	}
	if reasonHas != "" && !strings.Contains(m.Status.Reason, reasonHas) {
		t.Errorf("reason = %q, want it to contain %q", m.Status.Reason, reasonHas)
	}
}

// TestMayastorPoolCreate: the legacy example creates its pool with the
// DiskPool write budget (finalizer, then status), and the status is the
// legacy one: online, the cached node and disks, capacity and used.
// Spec, labels and annotations are never written.
func TestMayastorPoolCreate(t *testing.T) {
	f := newLegacyFixture(t, nil, newMSP("my-new-pool"), newNode(testNode))
	f.mustSyncMSP("my-new-pool")

	equal(t, "writes", f.writes(), []string{"update mayastorpools", "update mayastorpools/status"})
	equal(t, "agent calls", f.agents.takeCalls(), []string{"CreatePool node-a/my-new-pool [/dev/sdb]"})
	equal(t, "events", f.events.take(), []string{"Normal " + reconcile.ReasonCreated})
	equal(t, "metrics writes", f.metrics.writes, []string{"update mayastorpools", "update mayastorpools/status"})
	equal(t, "reconciles", f.metrics.reconciles, []string{"MayastorPool success"})

	m := f.storedMSP("my-new-pool")
	want := v1alpha1.MayastorPoolStatus{State: v1alpha1.StateOnline, Node: testNode, Disks: []string{"/dev/sdb"},
		Capacity: 10 << 30, ObservedGeneration: 1}
	if !apiequality.Semantic.DeepEqual(m.Status, want) {
		t.Errorf("status = %+v, want %+v", m.Status, want)
	}
	orig := newMSP("my-new-pool")
	if !slices.Equal(m.Finalizers, []string{v1beta3.Finalizer}) || !apiequality.Semantic.DeepEqual(m.Spec, orig.Spec) ||
		!apiequality.Semantic.DeepEqual(m.Labels, orig.Labels) || !apiequality.Semantic.DeepEqual(m.Annotations, orig.Annotations) {
		t.Errorf("metadata or spec changed beyond the finalizer: %+v", m.ObjectMeta)
	}
}

// TestMayastorPoolFinalizerUpdateSendsTheStoredObject: the finalizer write
// sends the MayastorPool as read, with only its finalizers changed, never
// a conversion of the DiskPool view.
func TestMayastorPoolFinalizerUpdateSendsTheStoredObject(t *testing.T) {
	f := newLegacyFixture(t, nil, newMSP("my-new-pool"), newNode(testNode))
	f.mustSyncMSP("my-new-pool")
	var sent []*v1alpha1.MayastorPool
	for _, a := range f.client.Actions() {
		if u, ok := a.(core.UpdateAction); ok {
			sent = append(sent, u.GetObject().(*v1alpha1.MayastorPool))
		}
	}
	if len(sent) != 2 {
		t.Fatalf("got %d updates, want 2", len(sent))
	}
	want := newMSP("my-new-pool")
	want.Finalizers = []string{v1beta3.Finalizer}
	if !apiequality.Semantic.DeepEqual(sent[0], want) {
		t.Errorf("finalizer update sent\n%+v\nwant\n%+v", sent[0], want)
	}
	if sent[1].ResourceVersion == "1" || !slices.Contains(sent[1].Finalizers, v1beta3.Finalizer) {
		t.Errorf("status update does not carry the object the finalizer update returned: %+v", sent[1].ObjectMeta)
	}
}

// TestMayastorPoolNoopResyncWritesNothing: the lossy round trip settles:
// later syncs, including one after an operator restart (a fresh view with
// no conditions), write nothing and record no event.
func TestMayastorPoolNoopResyncWritesNothing(t *testing.T) {
	f := newLegacyFixture(t, nil, newMSP("my-new-pool"), newNode(testNode))
	f.createdMSP("my-new-pool")
	for i := range 3 {
		f.mustSyncMSP("my-new-pool")
		equal(t, fmt.Sprintf("writes, sync %d", i), f.writes(), nil)
		equal(t, fmt.Sprintf("events, sync %d", i), f.events.take(), nil)
		equal(t, fmt.Sprintf("agent calls, sync %d", i), f.agents.takeCalls(), nil)
	}
	// A resync delivers the same object again: queued, synced, nothing
	// written.
	f.c.enqueueUpdate(KindMayastorPool, f.storedMSP("my-new-pool"))
	equal(t, "queued by a resync", drain(f.fixture), []string{"MayastorPool:storage/my-new-pool"})
	f.mustSyncMSP("my-new-pool")
	equal(t, "writes after a resync", f.writes(), nil)
}

// TestMayastorPoolOfflineAndBack: an agent that stops turns the pool
// offline with a reason, once; its return turns it online again.
func TestMayastorPoolOfflineAndBack(t *testing.T) {
	f := newLegacyFixture(t, nil, newMSP("my-new-pool"), newNode(testNode))
	f.createdMSP("my-new-pool")

	f.agents.setAgent(testNode, reconcile.AgentMissing, "")
	f.mustSyncMSP("my-new-pool")
	equal(t, "writes", f.writes(), []string{"update mayastorpools/status"})
	equal(t, "events", f.events.take(), []string{"Warning " + reconcile.ReasonAgentUnavailable})
	checkMSP(t, f.refreshMSP("my-new-pool"), v1alpha1.StateOffline, "no diskpool-agent runs on node node-a")
	for range 2 {
		f.mustSyncMSP("my-new-pool")
		equal(t, "writes while offline", f.writes(), nil)
		equal(t, "events while offline", f.events.take(), nil)
	}

	f.agents.setAgent(testNode, reconcile.AgentReady, "")
	f.mustSyncMSP("my-new-pool")
	equal(t, "writes", f.writes(), []string{"update mayastorpools/status"})
	equal(t, "agent calls", f.agents.takeCalls(), nil)
	m := f.refreshMSP("my-new-pool")
	checkMSP(t, m, v1alpha1.StateOnline, "")
	if m.Status.Capacity != 10<<30 {
		t.Errorf("capacity = %d after the agent came back", m.Status.Capacity)
	}
}

// TestMayastorPoolPendingWithoutAgent: before creation, a node without an
// agent leaves the pool pending with a reason.
func TestMayastorPoolPendingWithoutAgent(t *testing.T) {
	f := newLegacyFixture(t, nil, newMSP("my-new-pool"), newNode(testNode))
	f.agents.setAgent(testNode, reconcile.AgentMissing, "")
	f.mustSyncMSP("my-new-pool")
	equal(t, "writes", f.writes(), []string{"update mayastorpools/status"})
	checkMSP(t, f.refreshMSP("my-new-pool"), v1alpha1.StatePending, "no diskpool-agent runs on node node-a")
	f.mustSyncMSP("my-new-pool")
	equal(t, "writes", f.writes(), nil)
	equal(t, "events", f.events.take(), []string{"Warning " + reconcile.ReasonAgentUnavailable})
}

// TestMayastorPoolRefusalIsReportedOnce: a refused create is reported in
// reason with one Warning; retries of the same refusal write and record
// nothing.
func TestMayastorPoolRefusalIsReportedOnce(t *testing.T) {
	f := newLegacyFixture(t, nil, newMSP("my-new-pool"), newNode(testNode))
	f.agents.createErr = &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: reconcile.ReasonDiskInUse, Message: "disk /dev/sdb has an ext4 filesystem"}
	if err := f.syncMSP("my-new-pool"); err != nil {
		t.Fatalf("a refusal is rechecked, not an error: %v", err)
	}
	equal(t, "rechecks", f.queue.takeAfter(), []string{"MayastorPool:storage/my-new-pool 20s"})
	equal(t, "writes", f.writes(), []string{"update mayastorpools", "update mayastorpools/status"})
	equal(t, "events", f.events.take(), []string{"Warning " + reconcile.ReasonDiskInUse})
	equal(t, "agent calls", f.agents.takeCalls(), []string{"CreatePool node-a/my-new-pool [/dev/sdb]"})
	checkMSP(t, f.refreshMSP("my-new-pool"), v1alpha1.StatePending, "ext4")
	for range 2 {
		if err := f.syncMSP("my-new-pool"); err != nil {
			t.Fatalf("a refusal is rechecked, not an error: %v", err)
		}
		equal(t, "rechecks", f.queue.takeAfter(), []string{"MayastorPool:storage/my-new-pool 20s"})
		equal(t, "writes on retry", f.writes(), nil)
		equal(t, "events on retry", f.events.take(), nil)
		equal(t, "agent calls on retry", f.agents.takeCalls(), []string{"CreatePool node-a/my-new-pool [/dev/sdb]"})
	}
}

// TestMayastorPoolDelete: deleting destroys the pool on the cached node
// and lets the object go; a MayastorPool has no Terminating state, so the
// only write is the finalizer's.
func TestMayastorPoolDelete(t *testing.T) {
	f := newLegacyFixture(t, nil, newMSP("my-new-pool"), newNode(testNode))
	f.createdMSP("my-new-pool")
	f.modifyMSP("my-new-pool", mspDeleting)
	f.mustSyncMSP("my-new-pool")
	equal(t, "agent calls", f.agents.takeCalls(), []string{"DestroyPool node-a/my-new-pool"})
	equal(t, "writes", f.writes(), []string{"update mayastorpools"})
	equal(t, "events", f.events.take(), []string{"Normal " + reconcile.ReasonDestroyed})
	if !f.mspGone("my-new-pool") {
		t.Error("the MayastorPool is still stored")
	}
}

// TestMayastorPoolSpecEditIsIgnored: the legacy design lets the admin edit
// the spec; the pool stays where it was created, the reason says the edit
// is ignored, and a delete destroys the pool on the cached node only.
func TestMayastorPoolSpecEditIsIgnored(t *testing.T) {
	f := newLegacyFixture(t, nil, newMSP("my-new-pool"), newNode(testNode), newNode("node-b"))
	f.agents.setAgent("node-b", reconcile.AgentReady, "")
	f.createdMSP("my-new-pool")
	f.modifyMSP("my-new-pool", func(m *v1alpha1.MayastorPool) {
		m.Spec.Node, m.Spec.Disks, m.Generation = "node-b", []string{"/dev/sdc"}, 2
	})
	f.mustSyncMSP("my-new-pool")
	equal(t, "agent calls", f.agents.takeCalls(), nil)
	equal(t, "writes", f.writes(), []string{"update mayastorpools/status"})
	m := f.refreshMSP("my-new-pool")
	checkMSP(t, m, v1alpha1.StateOnline, "is ignored")
	if m.Status.Node != testNode || !slices.Equal(m.Status.Disks, []string{"/dev/sdb"}) || m.Status.ObservedGeneration != 2 {
		t.Errorf("status = %+v, want node-a, /dev/sdb, observedGeneration 2", m.Status)
	}
	names, _ := f.c.kinds[KindMayastorPool].KeysOnNode(testNode)
	if len(names) != 1 {
		t.Errorf("KeysOnNode(node-a) = %v: the pool lives on its cached node", names)
	}
	f.mustSyncMSP("my-new-pool")
	equal(t, "writes", f.writes(), nil)

	f.modifyMSP("my-new-pool", mspDeleting)
	f.mustSyncMSP("my-new-pool")
	equal(t, "agent calls", f.agents.takeCalls(), []string{"DestroyPool node-a/my-new-pool"})
}

// TestOnChangeQueuesBothKinds: an agent change on a node queues the pool
// objects of both kinds on it.
func TestOnChangeQueuesBothKinds(t *testing.T) {
	f := newLegacyFixture(t, nil, newDiskPool("d1"), newMSP("m1"), newMSP("m2", func(m *v1alpha1.MayastorPool) { m.Spec.Node = "node-b" }))
	f.c.OnChange(testNode, "")
	equal(t, "node-a", drain(f.fixture), []string{"DiskPool:storage/d1", "MayastorPool:storage/m1"})
	f.c.OnChange("node-b", "m2")
	equal(t, "node-b pool m2", drain(f.fixture), []string{"MayastorPool:storage/m2"})
	f.c.enqueueNode(newNode(testNode))
	equal(t, "node event", drain(f.fixture), []string{"DiskPool:storage/d1", "MayastorPool:storage/m1"})
}

// TestKindsConflictOnPoolName: a DiskPool and a MayastorPool of the same
// name on one node: whichever comes later is refused, its reason names
// the object that holds the name, and neither pool is touched.
func TestKindsConflictOnPoolName(t *testing.T) {
	t.Run("MayastorPool after DiskPool", func(t *testing.T) {
		f := newLegacyFixture(t, nil, newDiskPool("shared"), newMSP("shared"), newNode(testNode))
		f.mustSync("shared")
		f.refreshDSP("shared")
		f.writes()
		f.agents.takeCalls()
		f.events.take()
		// The agent reports the DiskPool's pool under that name: the
		// MayastorPool is refused without any agent call or finalizer.
		if err := f.syncMSP("shared"); err == nil {
			t.Fatal("the later MayastorPool was not refused")
		}
		equal(t, "agent calls", f.agents.takeCalls(), nil)
		equal(t, "writes", f.writes(), []string{"update mayastorpools/status"})
		equal(t, "events", f.events.take(), []string{"Warning " + reconcile.ReasonPoolNameTaken})
		m := f.refreshMSP("shared")
		checkMSP(t, m, v1alpha1.StatePending, "owned by DiskPool storage/shared (uid uid-1-shared)")
		if len(m.Finalizers) != 0 {
			t.Errorf("a refused MayastorPool got finalizers %v", m.Finalizers)
		}
		// The retry is refused the same way and writes nothing.
		if err := f.syncMSP("shared"); err == nil {
			t.Fatal("the retry was not refused")
		}
		equal(t, "agent calls on retry", f.agents.takeCalls(), nil)
		equal(t, "writes on retry", f.writes(), nil)
		checkState(t, f.refreshDSP("shared"), v1beta3.CRStateCreated, v1beta3.PoolStatusOnline, metav1.ConditionTrue, reconcile.ReasonPoolOnline)
		f.mustSync("shared")
		equal(t, "DiskPool writes", f.writes(), nil)

		// Once the DiskPool and its pool are gone, the refused
		// MayastorPool is queued at once (not after its backoff) and
		// gets the name.
		f.modify("shared", deleting)
		f.mustSync("shared")
		// The tracker's notification of the destroy queues every object
		// naming the pool, the DiskPool that destroyed it included.
		equal(t, "queued by the destroy", drain(f.fixture), []string{"DiskPool:storage/shared", "MayastorPool:storage/shared"})
		f.mustSyncMSP("shared")
		checkMSP(t, f.refreshMSP("shared"), v1alpha1.StateOnline, "")
	})
	t.Run("DiskPool after MayastorPool", func(t *testing.T) {
		f := newLegacyFixture(t, nil, newDiskPool("shared"), newMSP("shared"), newNode(testNode))
		f.mustSyncMSP("shared")
		f.refreshMSP("shared")
		f.writes()
		f.agents.takeCalls()
		if err := f.sync("shared"); err == nil {
			t.Fatal("the later DiskPool was not refused")
		}
		d := f.refreshDSP("shared")
		c := ready(t, d)
		if c.Reason != reconcile.ReasonPoolNameTaken || !strings.Contains(c.Message, "MayastorPool storage/shared") {
			t.Errorf("Ready = %s: %s; want PoolNameTaken naming MayastorPool storage/shared", c.Reason, c.Message)
		}
		equal(t, "agent calls", f.agents.takeCalls(), nil)
		checkMSP(t, f.refreshMSP("shared"), v1alpha1.StateOnline, "")
	})
}

// claimingAgents is fakeAgents with the agent's disk and adoption rules:
// a disk belongs to one pool (DiskClaimed), and a create naming the
// current owner in AdoptOwnerUID takes the pool over.
type claimingAgents struct {
	*fakeAgents
}

func (a claimingAgents) CreatePool(ctx context.Context, req reconcile.CreateRequest) (reconcile.Pool, error) {
	a.mu.Lock()
	for _, p := range a.pools[req.Node] {
		if p.Name == req.Name {
			if req.AdoptOwnerUID != "" && p.OwnerUID == req.AdoptOwnerUID {
				a.calls = append(a.calls, fmt.Sprintf("CreatePool %s/%s adopt %s", req.Node, req.Name, req.AdoptOwnerUID))
				p.OwnerUID = req.OwnerUID
				a.pools[req.Node][req.Name] = p
				a.mu.Unlock()
				a.notify(req.Node, req.Name) // the previous owner learns of it
				return p, nil
			}
			continue
		}
		for _, d := range req.Disks {
			if slices.Contains(p.Disks, d) {
				a.calls = append(a.calls, fmt.Sprintf("CreatePool %s/%s %v", req.Node, req.Name, req.Disks))
				a.mu.Unlock()
				return reconcile.Pool{}, &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: reconcile.ReasonDiskClaimed,
					Message: fmt.Sprintf("disk %s is already used by pool %s on this node; a disk belongs to one pool", d, p.Name)}
			}
		}
	}
	a.mu.Unlock()
	return a.fakeAgents.CreatePool(ctx, req)
}

// TestKindsConflictOnDisk: a MayastorPool naming the disk of a DiskPool's
// pool on the same node is refused (DiskClaimed) with the DiskPool named;
// the DiskPool's pool is untouched.
func TestKindsConflictOnDisk(t *testing.T) {
	agents := claimingAgents{newFakeAgents()}
	f := newLegacyFixture(t, agents, newDiskPool("dsp-one"), newMSP("msp-two"), newNode(testNode))
	f.agents = agents.fakeAgents
	f.agents.setAgent(testNode, reconcile.AgentReady, "")
	f.mustSync("dsp-one")
	f.refreshDSP("dsp-one")
	f.agents.takeCalls()
	f.events.take()

	if err := f.syncMSP("msp-two"); err != nil {
		t.Fatalf("a refusal is rechecked, not an error: %v", err)
	}
	equal(t, "events", f.events.take(), []string{"Warning " + reconcile.ReasonDiskClaimed})
	checkMSP(t, f.refreshMSP("msp-two"), v1alpha1.StatePending, "disk /dev/sdb is held by the pool of DiskPool storage/dsp-one")
	if err := f.syncMSP("msp-two"); err != nil {
		t.Fatalf("a refusal is rechecked, not an error: %v", err)
	}
	equal(t, "events on retry", f.events.take(), nil)
	f.writes()
	if p := f.agents.Pool(testNode, "dsp-one"); !p.Found || p.Pool.OwnerUID != "uid-1-dsp-one" {
		t.Errorf("the DiskPool's pool changed: %+v", p)
	}
	f.mustSync("dsp-one")
	equal(t, "DiskPool writes", f.writes(), nil)
}

// TestMigrationHandOver runs the operator's part of a migration: a
// DiskPool annotated to adopt the MayastorPool's pool takes it over (same
// uuid), the MayastorPool then reports the name taken by the DiskPool
// and, once deleted, goes without any DestroyPool. The reverse (rollback)
// works the same way.
func TestMigrationHandOver(t *testing.T) {
	agents := claimingAgents{newFakeAgents()}
	msp := newMSP("moving")
	f := newLegacyFixture(t, agents, msp, newNode(testNode),
		newDiskPool("moving", func(d *v1beta3.DiskPool) {
			d.Annotations = map[string]string{v1beta3.AdoptPoolOwnerAnnotation: string(msp.UID)}
		}))
	f.agents = agents.fakeAgents
	f.agents.setAgent(testNode, reconcile.AgentReady, "")
	f.createdMSP("moving")
	uuid := f.agents.Pool(testNode, "moving").Pool.UUID

	f.mustSync("moving")
	equal(t, "agent calls", f.agents.takeCalls(), []string{"CreatePool node-a/moving adopt msp-uid-moving"})
	equal(t, "events", f.events.take(), []string{"Normal " + reconcile.ReasonAdopted})
	// The agent's stream may bring nothing new after the controller's own
	// call: the previous owner is queued by the agents' notification of
	// the hand-over (which queues the DiskPool too).
	equal(t, "queued by the hand-over", drain(f.fixture), []string{"DiskPool:storage/moving", "MayastorPool:storage/moving"})
	d := f.refreshDSP("moving")
	checkState(t, d, v1beta3.CRStateCreated, v1beta3.PoolStatusOnline, metav1.ConditionTrue, reconcile.ReasonPoolOnline)
	if d.Status.PoolUUID != uuid {
		t.Errorf("adopted uuid %s, want %s", d.Status.PoolUUID, uuid)
	}

	if err := f.syncMSP("moving"); err == nil {
		t.Fatal("the MayastorPool still claims the handed-over pool")
	}
	checkMSP(t, f.refreshMSP("moving"), v1alpha1.StateOffline, "owned by DiskPool storage/moving")
	f.modifyMSP("moving", mspDeleting)
	f.events.take()
	f.mustSyncMSP("moving")
	equal(t, "agent calls", f.agents.takeCalls(), nil)
	equal(t, "events", f.events.take(), []string{"Normal " + reconcile.ReasonReleased})
	if !f.mspGone("moving") {
		t.Fatal("the MayastorPool was not let go")
	}
	// The informer reports the deletion; the sync of a gone object
	// forgets it.
	if err := f.mspIndexer.Delete(msp); err != nil {
		t.Fatal(err)
	}
	f.mustSyncMSP("moving")
	if p := f.agents.Pool(testNode, "moving"); !p.Found || p.Pool.UUID != uuid || p.Pool.OwnerUID != string(d.UID) {
		t.Errorf("pool after the hand-over: %+v", p)
	}

	// Rollback: a MayastorPool annotated with the DiskPool's uid takes the
	// pool back.
	back := newMSP("moving", func(m *v1alpha1.MayastorPool) {
		m.UID = "msp-uid-back"
		m.Annotations = map[string]string{v1beta3.AdoptPoolOwnerAnnotation: string(d.UID)}
	})
	if err := f.client.Tracker().Add(back); err != nil {
		t.Fatal(err)
	}
	if err := f.mspIndexer.Add(back); err != nil {
		t.Fatal(err)
	}
	f.mustSyncMSP("moving")
	equal(t, "agent calls", f.agents.takeCalls(), []string{"CreatePool node-a/moving adopt " + string(d.UID)})
	checkMSP(t, f.refreshMSP("moving"), v1alpha1.StateOnline, "")
	if p := f.agents.Pool(testNode, "moving"); p.Pool.UUID != uuid || p.Pool.OwnerUID != "msp-uid-back" {
		t.Errorf("pool after the rollback: %+v", p)
	}
}

// TestMayastorPoolKindSeveralNamespaces: with one informer per watched
// namespace, Get and KeysOnNode look in all of them, and KeysOnNode
// follows status.node once set.
func TestMayastorPoolKindSeveralNamespaces(t *testing.T) {
	client := fake.NewSimpleClientset()
	var infs []v1alpha1informers.MayastorPoolInformer
	for _, ns := range []string{"ns-a", "ns-b"} {
		f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns))
		infs = append(infs, f.Openebs().V1alpha1().MayastorPools())
	}
	k, err := newMayastorPoolKind(client, infs)
	if err != nil {
		t.Fatal(err)
	}
	inNS := func(ns string) func(*v1alpha1.MayastorPool) {
		return func(m *v1alpha1.MayastorPool) { m.Namespace = ns }
	}
	moved := func(m *v1alpha1.MayastorPool) { m.Spec.Node = "node-b"; m.Status.Node = testNode }
	for i, m := range []*v1alpha1.MayastorPool{newMSP("p1", inNS("ns-a")), newMSP("p2", inNS("ns-b"), moved)} {
		if err := infs[i].Informer().GetIndexer().Add(m); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		ns, name string
		ok       bool
	}{{"ns-a", "p1", true}, {"ns-b", "p2", true}, {"ns-a", "p2", false}} {
		obj, ok, err := k.Get(tc.ns, tc.name)
		if err != nil || ok != tc.ok || (ok && (obj.view.Name != tc.name || obj.stored.(*v1alpha1.MayastorPool).Name != tc.name)) {
			t.Errorf("Get(%s/%s) = %v, %v, %v", tc.ns, tc.name, obj.view, ok, err)
		}
	}
	names, err := k.KeysOnNode(testNode)
	if err != nil || len(names) != 2 {
		t.Errorf("KeysOnNode(node-a) = %v, %v", names, err)
	}
	if names, _ := k.KeysOnNode("node-b"); len(names) != 0 {
		t.Errorf("KeysOnNode(node-b) = %v: a created pool lives on status.node", names)
	}
	if _, err := newMayastorPoolKind(client, infs); err != nil {
		t.Errorf("second adapter: %v", err)
	}
	if _, err := newMayastorPoolKind(client, nil); err == nil {
		t.Error("no informer accepted")
	}
}

// TestNoHandOverPingPong: after the hand-over, annotating the (Created)
// MayastorPool to adopt from the DiskPool does not take the pool back:
// the DiskPool, itself annotated to adopt from the MayastorPool, would
// take it back in turn, and the two would hand it back and forth. The
// MayastorPool stays refused; rolling back goes through a new MayastorPool
// (docs/migration.md).
func TestNoHandOverPingPong(t *testing.T) {
	agents := claimingAgents{newFakeAgents()}
	msp := newMSP("moving")
	f := newLegacyFixture(t, agents, msp, newNode(testNode),
		newDiskPool("moving", func(d *v1beta3.DiskPool) {
			d.Annotations = map[string]string{v1beta3.AdoptPoolOwnerAnnotation: string(msp.UID)}
		}))
	f.agents = agents.fakeAgents
	f.agents.setAgent(testNode, reconcile.AgentReady, "")
	f.createdMSP("moving")
	uuid := f.agents.Pool(testNode, "moving").Pool.UUID
	f.mustSync("moving")
	d := f.refreshDSP("moving")
	if err := f.syncMSP("moving"); err == nil {
		t.Fatal("the MayastorPool still claims the handed-over pool")
	}
	f.refreshMSP("moving")
	f.agents.takeCalls()

	f.modifyMSP("moving", func(m *v1alpha1.MayastorPool) {
		m.Annotations[v1beta3.AdoptPoolOwnerAnnotation] = string(d.UID)
	})
	for range 2 {
		if err := f.syncMSP("moving"); err == nil {
			t.Fatal("the Created MayastorPool took the pool back")
		}
		f.refreshMSP("moving")
		f.mustSync("moving")
	}
	equal(t, "agent calls", f.agents.takeCalls(), nil)
	checkMSP(t, f.refreshMSP("moving"), v1alpha1.StateOffline, "owned by DiskPool storage/moving")
	if p := f.agents.Pool(testNode, "moving"); p.Pool.UUID != uuid || p.Pool.OwnerUID != string(d.UID) {
		t.Errorf("pool: %+v, want it still the DiskPool's", p)
	}
}
