package controller

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeinformers "k8s.io/client-go/informers"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2/ktesting"
	"k8s.io/utils/ptr"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/scheme"
	informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	v1beta3informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1beta3"
	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/agent"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/agentwatch"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/poolclient"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// TestWithRealAgent runs the controller against a real in-process agent
// (sparse file as its disk, gRPC on 127.0.0.1) found through its Lease by
// the real agentwatch tracker: create -> Created with capacity; a replica
// created on the node reaches status.used through the WatchPools stream
// (no polling); delete is blocked by the replica (PoolInUse) and goes
// through as soon as the replica is gone.
func TestWithRealAgent(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The agent.
	devDir := filepath.Join(t.TempDir(), "dev")
	if err := os.Mkdir(devDir, 0o755); err != nil {
		t.Fatal(err)
	}
	diskPath := filepath.Join(devDir, "disk0")
	f, err := os.Create(diskPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	resolver, err := disk.NewResolver([]string{devDir})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := agent.New(agent.Config{Node: testNode, Resolver: resolver, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := ag.Import(ctx); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	agentv1.RegisterPoolServiceServer(srv, ag)
	go func() { _ = srv.Serve(lis) }()
	// Stop order: controller and tracker first (cancel), then the agent.
	t.Cleanup(func() { ag.Close(); srv.GracefulStop() })
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	direct := agentv1.NewPoolServiceClient(conn)

	// The cluster: the Node and the agent's Lease pointing at the agent.
	now := metav1.NewMicroTime(time.Now())
	kube := k8sfake.NewSimpleClientset(newNode(testNode), &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: agentlease.DefaultNamespace, Name: agentlease.Name(testNode),
			Labels: agentlease.Labels(testNode), Annotations: map[string]string{agentlease.EndpointAnnotation: lis.Addr().String()}},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(testNode), LeaseDurationSeconds: ptr.To[int32](3600),
			AcquireTime: &now, RenewTime: &now},
	})
	client := fake.NewSimpleClientset()
	api := newFakeAPIServer(client)

	poolFactory := informers.NewSharedInformerFactory(client, 0)
	kubeFactory := kubeinformers.NewSharedInformerFactory(kube, 0)
	leaseFactory := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0,
		kubeinformers.WithNamespace(agentlease.DefaultNamespace),
		kubeinformers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = agentlease.Selector() }))

	tracker := agentwatch.New(agentwatch.Options{
		Namespace: agentlease.DefaultNamespace,
		Leases:    leaseFactory.Coordination().V1().Leases(),
		Client:    poolclient.Options{Insecure: true, CallTimeout: 10 * time.Second},
	})
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: kube.EventsV1()})
	c, err := NewController(ctx, Config{
		PoolClient:        client,
		DiskPoolInformers: []v1beta3informers.DiskPoolInformer{poolFactory.Openebs().V1beta3().DiskPools()},
		NodeInformer:      kubeFactory.Core().V1().Nodes(),
		Agents:            tracker,
		EventBroadcaster:  broadcaster,
		EventRecorder:     broadcaster.NewRecorder(scheme.Scheme, FieldManager),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []interface{ Start(<-chan struct{}) }{poolFactory, kubeFactory, leaseFactory} {
		f.Start(ctx.Done())
	}
	trackerDone, ctrlDone := make(chan error, 1), make(chan error, 1)
	go func() { trackerDone <- tracker.Run(ctx) }()
	go func() { ctrlDone <- c.Run(ctx, 2) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ctrlDone; err != nil {
			t.Errorf("controller: %v", err)
		}
		if err := <-trackerDone; err != nil {
			t.Errorf("tracker: %v", err)
		}
		poolFactory.Shutdown()
		kubeFactory.Shutdown()
		leaseFactory.Shutdown()
	})

	// Create.
	dsp := newDiskPool("pool-a", func(d *v1beta3.DiskPool) {
		d.UID = "0f8e9d6c-1a2b-4c3d-8e9f-000000000001"
		d.Spec.Disks = []string{diskPath}
	})
	if _, err := client.OpenebsV1beta3().DiskPools(testNS).Create(ctx, dsp, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	get := func() *v1beta3.DiskPool {
		d, err := client.OpenebsV1beta3().DiskPools(testNS).Get(ctx, "pool-a", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	waitFor(t, ctx, "Created/Online", func() bool {
		d := get()
		return d.Status.CRState == v1beta3.CRStateCreated && d.Status.PoolStatus == v1beta3.PoolStatusOnline && d.Status.Capacity > 0
	})
	created := get()
	if created.Status.PoolUUID == "" || created.Status.Node != testNode || created.Status.Available != created.Status.Capacity {
		t.Errorf("status after create: %+v", created.Status)
	}
	if ps := ag.Pools(); len(ps) != 1 || ps[0].GetOwnerUid() != string(dsp.UID) {
		t.Fatalf("agent pools = %v", ps)
	}

	// A replica appears on the node: the stream carries it to the status.
	const replica = "a1b2c3d4-0000-4000-8000-000000000001"
	if _, err := direct.CreateReplica(ctx, &agentv1.CreateReplicaRequest{Pool: "pool-a", Uuid: replica, Size: 64 << 20}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "status.used from the stream", func() bool { return get().Status.Used > 0 })

	// Delete: blocked while the replica lives.
	d := get()
	ts := metav1.Now()
	d.DeletionTimestamp = &ts
	d.ResourceVersion = api.nextRV()
	if err := client.Tracker().Update(diskPoolsResource, d, testNS); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "Terminating/PoolInUse", func() bool {
		d := get()
		for _, cond := range d.Status.Conditions {
			if cond.Type == v1beta3.ConditionReady && cond.Reason == reconcile.ReasonPoolInUse {
				return d.Status.CRState == v1beta3.CRStateTerminating
			}
		}
		return false
	})
	if len(ag.Pools()) != 1 {
		t.Fatal("pool destroyed while it held a replica")
	}

	// The replica goes: the stream's update requeues the object at once
	// (no wait for the 5s backoff) and the pool is destroyed.
	if _, err := direct.DestroyReplica(ctx, &agentv1.DestroyReplicaRequest{Pool: "pool-a", Uuid: replica}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the object to go", func() bool {
		_, err := client.Tracker().Get(diskPoolsResource, testNS, "pool-a")
		return err != nil
	})
	if ps := ag.Pools(); len(ps) != 0 {
		t.Errorf("agent still has pools: %v", ps)
	}
}
