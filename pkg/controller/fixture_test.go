package controller

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	kubeinformers "k8s.io/client-go/informers"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	core "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	v1beta3informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1beta3"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

const (
	testNS   = "storage"
	testNode = "node-a"
	testUID  = "uid-1"
)

var diskPoolsResource = schema.GroupVersionResource{Group: v1beta3.GroupName, Version: v1beta3.GroupVersion.Version, Resource: "diskpools"}

// newDiskPool returns a DiskPool as a user creates it; opts adjust it.
func newDiskPool(name string, opts ...func(*v1beta3.DiskPool)) *v1beta3.DiskPool {
	d := &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: types.UID(testUID + "-" + name), Generation: 1, ResourceVersion: "1"},
		Spec:       v1beta3.DiskPoolSpec{Node: testNode, Disks: []string{"/dev/sdb"}},
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

func newNode(name string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// recorder is an events.EventRecorder that keeps "Type Reason" of each event.
type recorder struct {
	mu     sync.Mutex
	events []string
	notes  []string
}

func (r *recorder) Eventf(_ runtime.Object, _ runtime.Object, eventtype, reason, _, note string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, eventtype+" "+reason)
	r.notes = append(r.notes, fmt.Sprintf(note, args...))
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.events
	r.events, r.notes = nil, nil
	return e
}

// recordingMetrics keeps what the controller reports.
type recordingMetrics struct {
	mu         sync.Mutex
	reconciles []string
	writes     []string
}

func (m *recordingMetrics) ObserveReconcile(kind, result string, _ time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reconciles = append(m.reconciles, kind+" "+result)
}

func (m *recordingMetrics) ObserveWrite(verb, resource string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes = append(m.writes, verb+" "+resource)
}

// fixture is a controller on fake clientsets whose informers are never
// started: tests seed the caches, call syncHandler and look at the
// client's recorded actions, as sample-controller's tests do.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	client  *fake.Clientset
	kube    *k8sfake.Clientset
	agents  *fakeAgents
	clock   *testingclock.FakeClock
	events  *recorder
	metrics *recordingMetrics
	c       *Controller
	queue   *recordingQueue

	dspIndexer  cache.Indexer
	nodeIndexer cache.Indexer

	api *fakeAPIServer
}

// nextRV returns a new resourceVersion.
func (f *fixture) nextRV() string { return f.api.nextRV() }

// recordingQueue is the controller's queue, recording its AddAfter calls
// as "key delay".
type recordingQueue struct {
	workqueue.TypedRateLimitingInterface[key]
	mu    sync.Mutex
	after []string
}

func (q *recordingQueue) AddAfter(k key, d time.Duration) {
	q.mu.Lock()
	q.after = append(q.after, fmt.Sprintf("%s %v", k, d))
	q.mu.Unlock()
	q.TypedRateLimitingInterface.AddAfter(k, d)
}

// takeAfter returns the AddAfter calls so far and forgets them.
func (q *recordingQueue) takeAfter() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.after
	q.after = nil
	return out
}

// fakeAPIServer makes the fake clientset's DiskPool updates behave as the
// API server's do where the controller depends on it: resourceVersion and
// UID are preconditions (409 when stale), each write gets a new
// resourceVersion, the status subresource changes only status and the main
// resource everything but status, and an object being deleted goes away
// with its last finalizer.
type fakeAPIServer struct {
	client *fake.Clientset
	mu     sync.Mutex
	rv     int
}

func newFakeAPIServer(client *fake.Clientset) *fakeAPIServer {
	s := &fakeAPIServer{client: client}
	client.PrependReactor("update", "diskpools", s.update)
	return s
}

func (s *fakeAPIServer) nextRV() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rv++
	return strconv.Itoa(100 + s.rv)
}

func (s *fakeAPIServer) update(a core.Action) (bool, runtime.Object, error) {
	u := a.(core.UpdateAction)
	in := u.GetObject().(*v1beta3.DiskPool)
	cur, err := s.client.Tracker().Get(diskPoolsResource, in.Namespace, in.Name)
	if err != nil {
		return true, nil, err
	}
	stored := cur.(*v1beta3.DiskPool)
	if (in.ResourceVersion != "" && in.ResourceVersion != stored.ResourceVersion) || (in.UID != "" && in.UID != stored.UID) {
		return true, nil, apierrors.NewConflict(diskPoolsResource.GroupResource(), in.Name,
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
		if err := s.client.Tracker().Delete(diskPoolsResource, next.Namespace, next.Name); err != nil {
			return true, nil, err
		}
		return true, next, nil
	}
	if err := s.client.Tracker().Update(diskPoolsResource, next, next.Namespace); err != nil {
		return true, nil, err
	}
	return true, next, nil
}

// newFixture builds a controller over the given DiskPools and Nodes. The
// node's agent is Ready unless the test changes it.
func newFixture(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	f := &fixture{
		t:       t,
		ctx:     ctx,
		agents:  newFakeAgents(),
		clock:   testingclock.NewFakeClock(t0),
		events:  &recorder{},
		metrics: &recordingMetrics{},
	}
	var pools, nodes []runtime.Object
	for _, o := range objs {
		switch o.(type) {
		case *v1beta3.DiskPool:
			pools = append(pools, o)
		case *corev1.Node:
			nodes = append(nodes, o)
		default:
			t.Fatalf("unexpected seed object %T", o)
		}
	}
	f.client = fake.NewSimpleClientset(pools...)
	f.api = newFakeAPIServer(f.client)
	f.kube = k8sfake.NewSimpleClientset(nodes...)
	f.agents.setAgent(testNode, reconcile.AgentReady, "")

	poolFactory := informers.NewSharedInformerFactory(f.client, 0)
	kubeFactory := kubeinformers.NewSharedInformerFactory(f.kube, 0)
	dspInformer := poolFactory.Openebs().V1beta3().DiskPools()
	nodeInformer := kubeFactory.Core().V1().Nodes()

	c, err := NewController(ctx, Config{
		PoolClient:        f.client,
		DiskPoolInformers: []v1beta3informers.DiskPoolInformer{dspInformer},
		NodeInformer:      nodeInformer,
		Agents:            f.agents,
		EventRecorder:     f.events,
		Clock:             f.clock,
		Metrics:           f.metrics,
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
	for _, o := range pools {
		if err := f.dspIndexer.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range nodes {
		if err := f.nodeIndexer.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// sync runs one sync of the named DiskPool.
func (f *fixture) sync(name string) error {
	f.t.Helper()
	k := key{Kind: KindDiskPool, Namespace: testNS, Name: name}
	f.deliverEchoes(k)
	return f.c.syncHandler(f.ctx, k)
}

// deliverEchoes lets the informer catch up with the controller's own
// writes of k, as its watch would a moment after them: the stored object
// goes into the cache and its update event is handled (an echo is dropped).
func (f *fixture) deliverEchoes(k key) {
	f.t.Helper()
	obj, err := f.client.Tracker().Get(diskPoolsResource, k.Namespace, k.Name)
	if err != nil {
		return
	}
	d := obj.(*v1beta3.DiskPool)
	f.c.echoes.mu.Lock()
	pending := len(f.c.echoes.rv[k]) > 0
	f.c.echoes.mu.Unlock()
	if !pending {
		return
	}
	if err := f.dspIndexer.Update(d); err != nil {
		f.t.Fatal(err)
	}
	f.c.echoes.isEcho(k, d.ResourceVersion)
}

// mustSync runs one sync and fails the test on an error.
func (f *fixture) mustSync(name string) {
	f.t.Helper()
	if err := f.sync(name); err != nil {
		f.t.Fatalf("sync %s: %v", name, err)
	}
}

// writes returns the client's write actions since the last call, as
// "verb resource[/subresource]", and forgets them.
func (f *fixture) writes() []string {
	var out []string
	for _, a := range f.client.Actions() {
		if a.GetVerb() == "list" || a.GetVerb() == "watch" || a.GetVerb() == "get" {
			continue
		}
		s := a.GetVerb() + " " + a.GetResource().Resource
		if a.GetSubresource() != "" {
			s += "/" + a.GetSubresource()
		}
		out = append(out, s)
	}
	f.client.ClearActions()
	return out
}

// stored returns the DiskPool as the fake API server holds it.
func (f *fixture) stored(name string) *v1beta3.DiskPool {
	f.t.Helper()
	obj, err := f.client.Tracker().Get(diskPoolsResource, testNS, name)
	if err != nil {
		f.t.Fatalf("get %s: %v", name, err)
	}
	return obj.(*v1beta3.DiskPool)
}

// gone reports whether the fake API server no longer holds the DiskPool.
func (f *fixture) gone(name string) bool {
	_, err := f.client.Tracker().Get(diskPoolsResource, testNS, name)
	return apierrors.IsNotFound(err)
}

// refresh copies the stored DiskPool into the informer cache, as its
// watch would.
func (f *fixture) refresh(name string) *v1beta3.DiskPool {
	f.t.Helper()
	d := f.stored(name)
	if err := f.dspIndexer.Update(d); err != nil {
		f.t.Fatal(err)
	}
	return d
}

// modify changes the stored DiskPool behind the controller's back (no
// recorded action) and refreshes the cache, like a user's kubectl edit.
func (f *fixture) modify(name string, fn func(*v1beta3.DiskPool)) {
	f.t.Helper()
	d := f.stored(name).DeepCopy()
	fn(d)
	d.ResourceVersion = f.nextRV()
	if err := f.client.Tracker().Update(diskPoolsResource, d, testNS); err != nil {
		f.t.Fatal(err)
	}
	f.refresh(name)
	// The informer hands the handlers this foreign version: not an echo.
	f.c.echoes.isEcho(key{Kind: KindDiskPool, Namespace: testNS, Name: name}, d.ResourceVersion)
}
