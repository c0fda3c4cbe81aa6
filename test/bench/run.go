package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/cmd/diskpool-operator/app"
	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/metrics"
)

const (
	poolNamespace  = "bench"
	floorNamespace = "bench-floor"
	// The operator's client rate limits, which the floor is given too.
	floorQPS   = 200
	floorBurst = 400
)

// defaultWorkers is the operator's default --workers, which the floor and
// the tuned peer are given too (a --workers in -operator-args is followed).
var defaultWorkers = app.NewOptions().Workers

// result is the JSON document bench prints.
type result struct {
	Machine  machine  `json:"machine"`
	Pools    int      `json:"pools"`
	Nodes    int      `json:"nodes"`
	Flags    []string `json:"operatorFlags"`
	Started  string   `json:"started"`
	EnvStart float64  `json:"envStartSeconds"`

	Create phase `json:"create"`
	Delete phase `json:"delete"`
	// FloorCreate and FloorDelete are the plain client's minimum writes.
	FloorCreate phase   `json:"floorCreate"`
	FloorDelete phase   `json:"floorDelete"`
	CreateRatio float64 `json:"createRatioToFloor"`
	DeleteRatio float64 `json:"deleteRatioToFloor"`
	// FloorEventsDelete is the floor's delete with one event per object,
	// the operator's delete writes without its agent calls.
	FloorEventsDelete            phase   `json:"floorDeleteWithEvents"`
	DeleteRatioToFloorWithEvents float64 `json:"deleteRatioToFloorWithEvents"`

	Operator operatorCounts `json:"operator"`
	Restart  restartCounts  `json:"restart"`

	// Heartbeats: the agents' Lease writes during the idle period, and the
	// time from SIGKILL of one agent to its pool reported Offline.
	LeaseWritesPerNodePerSecond float64 `json:"agentLeaseWritesPerNodePerSecond"`
	AgentKillToOfflineSeconds   float64 `json:"agentKillToOfflineSeconds"`
	AgentKillToNotReadySeconds  float64 `json:"agentKillToNotReadySeconds"`
	// A silent node: SIGSTOP of one agent to its pool Offline, and SIGCONT
	// to Online again.
	AgentStopToOfflineSeconds float64 `json:"agentStopToOfflineSeconds"`
	AgentContToOnlineSeconds  float64 `json:"agentContToOnlineSeconds"`

	// Without the finalizer policy (the operator adds the finalizer), and
	// on a backlog (N pools exist before the operator starts).
	OperatorNoPolicy operatorRun `json:"operatorWithoutPolicy"`
	OperatorBacklog  operatorRun `json:"operatorBacklogWithoutPolicy"`
	// Peers are the controller-runtime peer's runs; each carries the
	// operator's time over the peer's for the same work (below 1: the
	// operator is faster).
	Peers []peerRun `json:"controllerRuntimePeer"`

	// Fleet: the nodes are served by one process (agent.RunNode per node).
	Fleet bool `json:"fleet"`
	// CPU seconds per component during the headline create burst and the
	// idle period ("nodes" is the fleet process or the agent processes).
	CPUCreate cpuSplit `json:"cpuSecondsCreate"`
	CPUIdle   cpuSplit `json:"cpuSecondsIdle"`
	// CPUDelete and the floors' deletes: where the API server's time goes
	// when the operator's delete is slower than a floor's.
	CPUDelete            cpuSplit `json:"cpuSecondsDelete"`
	CPUFloorDelete       cpuSplit `json:"cpuSecondsFloorDelete"`
	CPUFloorEventsDelete cpuSplit `json:"cpuSecondsFloorDeleteWithEvents"`
}

type machine struct {
	CPUs   int    `json:"cpus"`
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
	Go     string `json:"go"`
}

type operatorCounts struct {
	WritesPerCreate      float64            `json:"apiWritesPerPoolCreate"`
	WritesPerDelete      float64            `json:"apiWritesPerPoolDelete"`
	WritesByKind         map[string]float64 `json:"apiWritesCreateByVerbResource"`
	DeleteWritesByKind   map[string]float64 `json:"apiWritesDeleteByVerbResource"`
	EventWritesPerCreate float64            `json:"eventWritesPerPoolCreate"`
	GRPCPerCreate        float64            `json:"grpcCallsPerPoolCreate"`
	GRPCPerDelete        float64            `json:"grpcCallsPerPoolDelete"`
	Conflicts            float64            `json:"conflicts409"`
	IdleSeconds          float64            `json:"idleSeconds"`
	IdleWrites           float64            `json:"idleApiWrites"`
	IdleGRPC             float64            `json:"idleGrpcCalls"`
	PeakRSSBytes         int64              `json:"peakRssBytes"`
	HeapBytes            float64            `json:"heapBytesAfterConvergence"`
	HeapBaselineBytes    float64            `json:"heapBytesBeforeCreate"`
	// The heap the operator's last GC found live (go_gc_heap_live_bytes):
	// heap_alloc without the garbage not yet collected.
	HeapLiveBytes         float64 `json:"heapLiveBytesAfterConvergence"`
	HeapLiveBaselineBytes float64 `json:"heapLiveBytesBeforeCreate"`
	HeapBytesPerPool      float64 `json:"heapBytesPerCachedPool"`
	CPUSecondsPerPool     float64 `json:"cpuSecondsPerPoolCreate"`
	// Where a create's time goes (means over the create burst).
	MeanCreatePoolSeconds float64 `json:"meanCreatePoolSeconds"`
	MeanWriteSeconds      float64 `json:"meanApiWriteSeconds"`
	MeanRateLimitSeconds  float64 `json:"meanClientRateLimiterWaitSeconds"`
	MeanQueueWaitSeconds  float64 `json:"meanWorkqueueWaitSeconds"`
	MeanReconcileSeconds  float64 `json:"meanReconcileSeconds"`
	// MeanListDisksSeconds is the mean disk listing (the inventory) in the
	// create burst, ListDisksCalls how many ran in it.
	MeanListDisksSeconds float64 `json:"meanListDisksSeconds"`
	ListDisksCalls       float64 `json:"listDisksCalls"`
	// Where a delete's time goes (means over the delete burst).
	MeanDestroyPoolSeconds     float64 `json:"meanDestroyPoolSeconds"`
	MeanDeleteWriteSeconds     float64 `json:"meanDeleteApiWriteSeconds"`
	MeanDeleteQueueWaitSeconds float64 `json:"meanDeleteWorkqueueWaitSeconds"`
	MeanDeleteReconcileSeconds float64 `json:"meanDeleteReconcileSeconds"`
	// IdleOtherWrites are the idle period's writes that are neither pool
	// objects nor events: the leader Lease's renewals, and inventory
	// ConfigMaps of nodes whose report changed.
	IdleOtherWrites float64 `json:"idleOtherWrites"`
	// OtherWritesCreate and OtherWritesDelete: the operator's writes that
	// are neither pool objects nor events (the disk inventory's ConfigMaps,
	// the leader-election Lease) during each burst.
	OtherWritesCreate float64 `json:"otherWritesCreate"`
	OtherWritesDelete float64 `json:"otherWritesDelete"`
}

type restartCounts struct {
	ReadySeconds  float64 `json:"readySeconds"`
	SettleSeconds float64 `json:"settleSeconds"`
	Reconciles    float64 `json:"reconciles"`
	Writes        float64 `json:"apiWrites"`
	GRPC          float64 `json:"grpcCalls"`
	GRPCByMethod  string  `json:"grpcCallsByMethod"`
	// LeaderElectionWrites: acquiring and renewing the leader Lease (and
	// any inventory ConfigMap the restarted leader writes: otherWrites).
	LeaderElectionWrites float64 `json:"leaderElectionWrites"`
}

func run(ctx context.Context, cfg config) (*result, error) {
	res := &result{
		Machine: machine{CPUs: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Go: runtime.Version()},
		Pools:   cfg.pools, Nodes: cfg.nodes, Flags: splitArgs(cfg.operatorArgs), Fleet: cfg.fleet,
		Started: time.Now().UTC().Format(time.RFC3339),
	}
	nodes := make([]string, cfg.nodes)
	for i := range nodes {
		nodes[i] = fmt.Sprintf("node-%d", i)
	}
	perNode := max((cfg.pools+cfg.nodes-1)/cfg.nodes, cfg.disksPerNode)
	// The binaries are built from this checkout into a directory of this
	// run: the shared _output/bin may hold another checkout's build.
	binDir, removeBinDir, err := tempDir()
	if err != nil {
		return nil, err
	}
	defer removeBinDir()
	memLimit, err := operatorMemLimitEnv()
	if err != nil {
		return nil, err
	}
	began := time.Now()
	logf("starting the local environment: %d nodes, %d sparse disks each, etcd with fsync", cfg.nodes, perNode)
	env, err := localenv.Start(ctx, localenv.Options{
		Nodes:        nodes,
		DisksPerNode: perNode,
		Namespaces:   []string{poolNamespace},
		OperatorArgs: res.Flags,
		BinDir:       binDir,
		NoAgents:     cfg.fleet,
		NoOperator:   cfg.fleet,
		// A stable leader identity, as $POD_NAME gives in a cluster: the
		// restarted operator takes its own Lease back at once; and the
		// Deployment's GOMEMLIMIT.
		OperatorEnv:  []string{"POD_NAME=diskpool-operator-0", memLimit},
		StartTimeout: 5 * time.Minute,
		Progress:     os.Stderr,
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := env.Stop(); err != nil {
			logf("stop: %v", err)
		}
	}()
	var fleet *localcluster.Process
	if cfg.fleet {
		if fleet, err = startFleet(ctx, env, binDir, nodes, cfg.timeout); err != nil {
			return nil, err
		}
		defer func() { _ = fleet.Stop() }()
		if err := env.StartOperator(ctx); err != nil {
			return nil, err
		}
	}
	cpu := cpuSampler{env: env, fleet: fleet}
	res.EnvStart = time.Since(began).Seconds()
	if cfg.samples != "" {
		stopSampler, err := startSampler(ctx, env, cfg.samples, sampleMeta{Pools: cfg.pools, OperatorFlags: res.Flags})
		if err != nil {
			return res, err
		}
		defer stopSampler()
	}

	rc := env.RESTConfig()
	rc.QPS, rc.Burst = 2000, 4000 // the burst client must not be the bottleneck
	client, err := versioned.NewForConfig(rc)
	if err != nil {
		return res, err
	}
	pools := make([]poolSpec, cfg.pools)
	names := make([]string, cfg.pools)
	for i := range pools {
		node := nodes[i%cfg.nodes]
		pools[i] = poolSpec{name: fmt.Sprintf("pool-%05d", i), node: node, disks: []string{env.DiskPath(node, i/cfg.nodes)}}
		names[i] = pools[i].name
	}
	metricsURL := env.OperatorMetricsURL()

	// Operator: create burst.
	base, err := metrics.Scrape(ctx, metricsURL)
	if err != nil {
		return res, err
	}
	res.Operator.HeapBaselineBytes = base.Sum("go_memstats_heap_alloc_bytes")
	res.Operator.HeapLiveBaselineBytes = base.Sum("go_gc_heap_live_bytes")
	track := newTracker()
	if err := track.run(ctx, client, poolNamespace); err != nil {
		return res, err
	}
	cpuBefore := cpu.sample()
	logf("creating %d DiskPools in one burst", cfg.pools)
	if err := createBurst(ctx, client, poolNamespace, pools, cfg.createWorkers, track); err != nil {
		return res, err
	}
	if err := track.waitAll(ctx, names, false, cfg.timeout); err != nil {
		return res, fmt.Errorf("operator create: %w", err)
	}
	res.Create = track.createPhase(names)
	logf("all Ready: %.2fs, p50 %.3fs, p99 %.3fs", res.Create.WallSeconds, res.Create.P50Seconds, res.Create.P99Seconds)
	// Let trailing watch events (our own status writes echoed back) land
	// before counting: they must cause nothing, and that is part of the cost.
	if err := waitQueueEmpty(ctx, metricsURL, 30*time.Second); err != nil {
		return res, err
	}
	afterCreate, err := metrics.Scrape(ctx, metricsURL)
	if err != nil {
		return res, err
	}
	cpuAfterCreate := cpu.sample()
	res.CPUCreate = cpuAfterCreate.minus(cpuBefore)
	n := float64(cfg.pools)
	o := &res.Operator
	o.WritesPerCreate = poolWrites(base, afterCreate) / n
	o.EventWritesPerCreate = eventWrites(base, afterCreate) / n
	o.WritesByKind = writesByKind(base, afterCreate, n)
	o.OtherWritesCreate = otherWrites(base, afterCreate)
	o.GRPCPerCreate = unaryGRPC(base, afterCreate) / n
	o.CPUSecondsPerPool = metrics.Delta(base, afterCreate, "process_cpu_seconds_total") / n
	o.MeanCreatePoolSeconds = metrics.HistogramMean(base, afterCreate, "diskpool_grpc_client_request_duration_seconds", "method=CreatePool")
	o.MeanWriteSeconds = metrics.HistogramMean(base, afterCreate, "diskpool_rest_client_request_duration_seconds", "verb=PUT")
	o.MeanRateLimitSeconds = metrics.HistogramMean(base, afterCreate, "diskpool_rest_client_rate_limiter_duration_seconds")
	o.MeanQueueWaitSeconds = metrics.HistogramMean(base, afterCreate, "diskpool_workqueue_queue_duration_seconds")
	o.MeanReconcileSeconds = metrics.HistogramMean(base, afterCreate, "diskpool_reconcile_duration_seconds")
	o.MeanListDisksSeconds = metrics.HistogramMean(base, afterCreate, "diskpool_grpc_client_request_duration_seconds", "method=ListDisks")
	o.ListDisksCalls = metrics.Delta(base, afterCreate, "diskpool_grpc_client_requests_total", "method=ListDisks")

	// Idle: nothing may be written or called.
	leases, err := startLeaseCounter(ctx, env)
	if err != nil {
		return res, err
	}
	leases.take()
	logf("idle for %s", cfg.idle)
	select {
	case <-time.After(cfg.idle):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	afterIdle, err := metrics.Scrape(ctx, metricsURL)
	if err != nil {
		return res, err
	}
	o.IdleSeconds = cfg.idle.Seconds()
	res.CPUIdle = cpu.sample().minus(cpuAfterCreate)
	res.LeaseWritesPerNodePerSecond = float64(leases.take()) / float64(cfg.nodes) / cfg.idle.Seconds()
	o.IdleWrites = poolWrites(afterCreate, afterIdle) + eventWrites(afterCreate, afterIdle)
	o.IdleOtherWrites = otherWrites(afterCreate, afterIdle)
	o.IdleGRPC = unaryGRPC(afterCreate, afterIdle)
	o.HeapBytes = afterIdle.Sum("go_memstats_heap_alloc_bytes")
	o.HeapLiveBytes = afterIdle.Sum("go_gc_heap_live_bytes")
	o.HeapBytesPerPool = (o.HeapBytes - o.HeapBaselineBytes) / n
	o.PeakRSSBytes = peakRSS(env.Operator().PID())
	o.Conflicts = afterIdle.Sum("diskpool_api_conflicts_total")

	if !cfg.skipRestart {
		if err := measureRestart(ctx, env, cfg, &res.Restart); err != nil {
			return res, err
		}
		// The restarted operator bound new ports.
		metricsURL = env.OperatorMetricsURL()
	}

	// Operator: delete burst.
	beforeDelete, err := metrics.Scrape(ctx, metricsURL)
	if err != nil {
		return res, err
	}
	logf("deleting %d DiskPools in one burst", cfg.pools)
	cpuBeforeDelete := cpu.sample()
	if err := deleteBurst(ctx, client, poolNamespace, pools, cfg.createWorkers, track); err != nil {
		return res, err
	}
	if err := track.waitAll(ctx, names, true, cfg.timeout); err != nil {
		return res, fmt.Errorf("operator delete: %w", err)
	}
	res.CPUDelete = cpu.sample().minus(cpuBeforeDelete)
	res.Delete = track.deletePhase(names)
	if err := checkLabelsErased(pools); err != nil {
		return res, err
	}
	afterDelete, err := metrics.Scrape(ctx, metricsURL)
	if err != nil {
		return res, err
	}
	o.WritesPerDelete = poolWrites(beforeDelete, afterDelete) / n
	o.GRPCPerDelete = unaryGRPC(beforeDelete, afterDelete) / n
	o.DeleteWritesByKind = writesByKind(beforeDelete, afterDelete, n)
	o.MeanDestroyPoolSeconds = metrics.HistogramMean(beforeDelete, afterDelete, "diskpool_grpc_client_request_duration_seconds", "method=DestroyPool")
	o.MeanDeleteWriteSeconds = metrics.HistogramMean(beforeDelete, afterDelete, "diskpool_rest_client_request_duration_seconds", "verb=PUT")
	o.MeanDeleteQueueWaitSeconds = metrics.HistogramMean(beforeDelete, afterDelete, "diskpool_workqueue_queue_duration_seconds")
	o.MeanDeleteReconcileSeconds = metrics.HistogramMean(beforeDelete, afterDelete, "diskpool_reconcile_duration_seconds")
	o.Conflicts += afterDelete.Sum("diskpool_api_conflicts_total") - beforeDelete.Sum("diskpool_api_conflicts_total")
	o.OtherWritesDelete = otherWrites(beforeDelete, afterDelete)
	logf("all gone and every label erased: %.2fs", res.Delete.WallSeconds)
	// After the delete, so the agent's restart and its pools' status
	// changes are in no other phase's counts.
	if !cfg.skipOffline && !cfg.fleet {
		if res.AgentKillToOfflineSeconds, res.AgentKillToNotReadySeconds, err = measureAgentOffline(ctx, env, client, pools[0], cfg.timeout); err != nil {
			return res, err
		}
		if res.AgentStopToOfflineSeconds, res.AgentContToOnlineSeconds, err = measureAgentFrozen(ctx, env, client, pools[0], cfg.timeout); err != nil {
			return res, err
		}
	}

	// The rest runs without the finalizer policy: the floor and the peer
	// add the finalizer themselves, as the operator does then.
	if err := disablePolicy(ctx, env); err != nil {
		return res, err
	}
	if !cfg.skipNoPolicy {
		res.OperatorNoPolicy.Name = "without-policy"
		if err := measureOperatorBurst(ctx, env, client, pools, names, cfg, &res.OperatorNoPolicy, false); err != nil {
			return res, err
		}
		res.OperatorBacklog.Name = "backlog-without-policy"
		if err := measureOperatorBurst(ctx, env, client, pools, names, cfg, &res.OperatorBacklog, true); err != nil {
			return res, err
		}
	}
	if !cfg.skipPeer {
		if err := measurePeers(ctx, env, pools, names, cfg, res); err != nil {
			return res, err
		}
	}
	if !cfg.skipFloor {
		if err := measureFloor(ctx, env, cpu, pools, names, cfg, res); err != nil {
			return res, err
		}
		if res.FloorCreate.WallSeconds > 0 {
			res.CreateRatio = res.Create.WallSeconds / res.FloorCreate.WallSeconds
		}
		if res.FloorDelete.WallSeconds > 0 {
			res.DeleteRatio = res.Delete.WallSeconds / res.FloorDelete.WallSeconds
		}
		if res.FloorEventsDelete.WallSeconds > 0 {
			res.DeleteRatioToFloorWithEvents = res.Delete.WallSeconds / res.FloorEventsDelete.WallSeconds
		}
	}
	return res, nil
}

// measurePeers runs the controller-runtime peer in each of its modes and
// sets the ratios to the operator's runs without the policy (the same
// writes per object).
func measurePeers(ctx context.Context, env *localenv.Env, pools []poolSpec, names []string, cfg config, res *result) error {
	dir, cleanup, err := tempDir()
	if err != nil {
		return err
	}
	defer cleanup()
	logf("building the controller-runtime peer (%s)", peerDir)
	bin, err := buildPeer(ctx, dir)
	if err != nil {
		return err
	}
	for _, run := range peerModes(operatorWorkers(cfg.operatorArgs)) {
		if err := measurePeer(ctx, env, bin, pools, names, cfg, &run); err != nil {
			return err
		}
		ours := res.OperatorNoPolicy
		if run.Backlog {
			ours = res.OperatorBacklog
		}
		run.OperatorCreateRatio = ratio(ours.Create.WallSeconds, run.Create.WallSeconds)
		run.OperatorDeleteRatio = ratio(ours.Delete.WallSeconds, run.Delete.WallSeconds)
		res.Peers = append(res.Peers, run)
	}
	return nil
}

func ratio(a, b float64) float64 {
	if a == 0 || b == 0 {
		return 0
	}
	return a / b
}

// measureRestart kills the operator with every pool Created, starts it
// again and counts what it does until it has looked at every pool.
func measureRestart(ctx context.Context, env *localenv.Env, cfg config, out *restartCounts) error {
	logf("restart: killing the operator with %d pools Created", cfg.pools)
	if err := env.KillOperator(); err != nil {
		return err
	}
	began := time.Now()
	if err := env.StartOperator(ctx); err != nil {
		return err
	}
	out.ReadySeconds = time.Since(began).Seconds()
	// The new leader lists every pool and reconciles each once.
	deadline := time.Now().Add(cfg.timeout)
	var m metrics.Snapshot
	for {
		var err error
		m, err = metrics.Scrape(ctx, env.OperatorMetricsURL())
		if err == nil && m.Sum("diskpool_reconcile_total") >= float64(cfg.pools) && m.Sum("diskpool_workqueue_depth") == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("restart: operator did not reconcile %d pools within %s", cfg.pools, cfg.timeout)
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	out.SettleSeconds = time.Since(began).Seconds()
	out.Reconciles = m.Sum("diskpool_reconcile_total")
	out.Writes = poolWrites(metrics.Snapshot{}, m) + eventWrites(metrics.Snapshot{}, m)
	out.LeaderElectionWrites = otherWrites(metrics.Snapshot{}, m)
	out.GRPC = m.Sum("diskpool_grpc_client_requests_total")
	var methods []string
	if f, ok := m["diskpool_grpc_client_requests_total"]; ok {
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "method" {
					methods = append(methods, fmt.Sprintf("%s=%g", l.GetValue(), s.GetCounter().GetValue()))
				}
			}
		}
	}
	out.GRPCByMethod = strings.Join(methods, ",")
	logf("restart: ready in %.2fs, settled in %.2fs, %g writes, %g gRPC calls (%s)", out.ReadySeconds, out.SettleSeconds, out.Writes, out.GRPC, out.GRPCByMethod)
	return nil
}

// measureFloor times a plain client doing the minimum writes for the same
// objects, with the operator's concurrency and client rate limits, in a
// namespace the operator does not watch; then, unless skipped, the same
// with one event per delete (the operator's Destroyed), in another.
func measureFloor(ctx context.Context, env *localenv.Env, cpu cpuSampler, pools []poolSpec, names []string, cfg config, res *result) error {
	var err error
	if res.FloorCreate, res.FloorDelete, res.CPUFloorDelete, err = runFloor(ctx, env, cpu, floorNamespace, false, pools, names, cfg); err != nil {
		return err
	}
	if cfg.skipFloorEvents {
		return nil
	}
	_, res.FloorEventsDelete, res.CPUFloorEventsDelete, err = runFloor(ctx, env, cpu, floorNamespace+"-events", true, pools, names, cfg)
	return err
}

// runFloor runs one floor controller over a create and a delete burst.
func runFloor(ctx context.Context, env *localenv.Env, cpu cpuSampler, namespace string, deleteEvents bool, pools []poolSpec, names []string, cfg config) (create, del phase, delCPU cpuSplit, err error) {
	kube, err := kubernetes.NewForConfig(env.RESTConfig())
	if err != nil {
		return create, del, delCPU, err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return create, del, delCPU, fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	rc := env.RESTConfig()
	rc.QPS, rc.Burst = floorQPS, floorBurst
	floorClient, err := versioned.NewForConfig(rc)
	if err != nil {
		return create, del, delCPU, err
	}
	burst := env.RESTConfig()
	burst.QPS, burst.Burst = 2000, 4000
	client, err := versioned.NewForConfig(burst)
	if err != nil {
		return create, del, delCPU, err
	}
	floorCtx, stop := context.WithCancel(ctx)
	defer stop()
	floor := &floorController{client: floorClient, namespace: namespace, workers: operatorWorkers(cfg.operatorArgs)}
	what := "a plain client adds the finalizer and writes status"
	if deleteEvents {
		// Its own rate limiter, as the operator's event client has.
		eventClient, err := kubernetes.NewForConfig(rc)
		if err != nil {
			return create, del, delCPU, err
		}
		floor.deleteEvents = eventClient.EventsV1()
		what += ", and records an event per delete"
	}
	if err := floor.run(floorCtx); err != nil {
		return create, del, delCPU, err
	}
	track := newTracker()
	if err := track.run(floorCtx, client, namespace); err != nil {
		return create, del, delCPU, err
	}
	logf("floor: creating %d DiskPools in %s; %s", cfg.pools, namespace, what)
	if err := createBurst(ctx, client, namespace, pools, cfg.createWorkers, track); err != nil {
		return create, del, delCPU, err
	}
	if err := track.waitAll(ctx, names, false, cfg.timeout); err != nil {
		return create, del, delCPU, fmt.Errorf("floor create: %w", err)
	}
	create = track.createPhase(names)
	cpuBefore := cpu.sample()
	if err := deleteBurst(ctx, client, namespace, pools, cfg.createWorkers, track); err != nil {
		return create, del, delCPU, err
	}
	if err := track.waitAll(ctx, names, true, cfg.timeout); err != nil {
		return create, del, delCPU, fmt.Errorf("floor delete: %w", err)
	}
	delCPU = cpu.sample().minus(cpuBefore)
	del = track.deletePhase(names)
	logf("floor: create %.2fs, delete %.2fs, %d writes", create.WallSeconds, del.WallSeconds, floor.writes.get())
	return create, del, delCPU, nil
}

// waitQueueEmpty waits until the operator's workqueue is empty.
func waitQueueEmpty(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		m, err := metrics.Scrape(ctx, url)
		if err == nil && m.Sum("diskpool_workqueue_depth") == 0 && m.Sum("diskpool_workqueue_unfinished_work_seconds") == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("operator workqueue not seen empty in %s: %w", timeout, err)
			}
			return fmt.Errorf("operator workqueue not empty after %s", timeout)
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// poolWrites are the operator's writes of pool objects (finalizers, status).
func poolWrites(before, after metrics.Snapshot) float64 {
	return metrics.Delta(before, after, "diskpool_api_writes_total", "resource=~diskpools|mayastorpools|diskpools/status|mayastorpools/status")
}

// eventWrites are the operator's event writes (events.k8s.io create and
// patch, counted by the operator's event recorder client).
func eventWrites(before, after metrics.Snapshot) float64 {
	return metrics.Delta(before, after, "diskpool_event_writes_total")
}

// leaseWrites are the remaining writes of the operator's REST client: the
// leader-election Lease.
func otherWrites(before, after metrics.Snapshot) float64 {
	all := metrics.Delta(before, after, "diskpool_rest_client_requests_total", "method=~POST|PUT|PATCH|DELETE")
	return max(all-poolWrites(before, after)-eventWrites(before, after), 0)
}

func writesByKind(before, after metrics.Snapshot, n float64) map[string]float64 {
	out := map[string]float64{}
	f, ok := after["diskpool_api_writes_total"]
	if !ok {
		return out
	}
	for _, m := range f.GetMetric() {
		var labels []string
		var want []string
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
			want = append(want, l.GetName()+"="+l.GetValue())
		}
		out[strings.Join(labels, ",")] = metrics.Delta(before, after, "diskpool_api_writes_total", want...) / n
	}
	return out
}

// unaryGRPC counts CreatePool/DestroyPool/... calls, not the long-lived
// WatchPools streams.
func unaryGRPC(before, after metrics.Snapshot) float64 {
	total := metrics.Delta(before, after, "diskpool_grpc_client_requests_total")
	watches := metrics.Delta(before, after, "diskpool_grpc_client_requests_total", "method=WatchPools") +
		metrics.Delta(before, after, "diskpool_grpc_client_requests_total", "method=/diskpool.agent.v1.PoolService/WatchPools")
	return total - watches
}

// peakRSS is the operator's high-water resident set size (VmHWM).
func peakRSS(pid int) int64 {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// checkLabelsErased reads every pool's disk: no label may be left.
func checkLabelsErased(pools []poolSpec) error {
	for _, p := range pools {
		f, err := os.Open(p.disks[0])
		if err != nil {
			return fmt.Errorf("check label of %s: %w", p.disks[0], err)
		}
		st, err := f.Stat()
		if err != nil {
			_ = f.Close()
			return err
		}
		found, err := label.Read(f, st.Size())
		_ = f.Close()
		if err != nil {
			return fmt.Errorf("read label of %s: %w", p.disks[0], err)
		}
		if found.Label != nil || label.HasMagic(found.Primary) {
			return fmt.Errorf("disk %s of deleted pool %s still carries a label", p.disks[0], p.name)
		}
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// operatorWorkers is the operator's --workers: the floor's concurrency.
func operatorWorkers(args string) int {
	for _, a := range strings.Fields(args) {
		if v, ok := strings.CutPrefix(a, "--workers="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return n
			}
		}
	}
	return defaultWorkers
}
