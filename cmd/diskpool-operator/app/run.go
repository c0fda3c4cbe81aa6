package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	kubeinformers "k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/scheme"
	informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	v1alpha1informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1alpha1"
	v1beta3informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/addrfile"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/agentwatch"
	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/controller"
	"github.com/diskpool/diskpool-operator/pkg/faultinject"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
	"github.com/diskpool/diskpool-operator/pkg/metrics"
	"github.com/diskpool/diskpool-operator/pkg/poolclient"
)

// Deps are what Run otherwise builds from the options; tests inject fakes.
type Deps struct {
	// KubeClient and PoolClient, when both set, replace the clients built
	// from --kubeconfig (and client-go's REST metrics are not installed).
	KubeClient kubernetes.Interface
	PoolClient versioned.Interface
	// Registry receives every metric; nil means a new one with the Go and
	// process collectors.
	Registry *prometheus.Registry
	// Listening, when set, is told the address each server bound
	// ("metrics", "health"), so tests can use port 0.
	Listening func(server string, addr net.Addr)
}

// Run wires the operator and runs it until ctx ends: informers start at
// once (a standby keeps warm caches), the agent tracker and the
// controller only while leading.
func Run(ctx context.Context, o *Options, d Deps) error {
	logger := klog.FromContext(ctx)
	logger.Info("Starting", "version", VersionString(), "namespaces", namespacesForLog(o.Namespaces),
		"operatorNamespace", o.OperatorNamespace, "leaderElect", o.LeaderElect, "mayastorPools", o.MayastorPools)

	reg := d.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(newGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	// Faults of a faultinject build (test/fault); nil, and no-ops, in
	// the shipped one.
	faults, err := faultinject.FromEnv()
	if err != nil {
		return err
	}
	kube, pools, electorKube := d.KubeClient, d.PoolClient, d.KubeClient
	if kube == nil || pools == nil {
		if kube, pools, electorKube, err = buildClients(o, reg, faults); err != nil {
			return err
		}
	}
	m, err := newOperatorMetrics(reg)
	if err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}

	// Informers.
	var (
		poolFactories []informers.SharedInformerFactory
		poolInformers []v1beta3informers.DiskPoolInformer
		mspInformers  []v1alpha1informers.MayastorPoolInformer
	)
	namespaces := o.Namespaces
	if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	for _, ns := range namespaces {
		f := informers.NewSharedInformerFactoryWithOptions(pools, o.Resync,
			informers.WithNamespace(ns), informers.WithTransform(controller.StripManagedFields))
		poolFactories = append(poolFactories, f)
		poolInformers = append(poolInformers, f.Openebs().V1beta3().DiskPools())
		if o.MayastorPools {
			mspInformers = append(mspInformers, f.Openebs().V1alpha1().MayastorPools())
		}
	}
	// Secrets named by spec.encryptionConfig: only their existence
	// matters, so the cache keeps metadata, never their data.
	var (
		secretFactories []kubeinformers.SharedInformerFactory
		secretInformers []coreinformers.SecretInformer
	)
	for _, ns := range namespaces {
		f := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0,
			kubeinformers.WithNamespace(ns), kubeinformers.WithTransform(controller.SecretMetadataOnly))
		secretFactories = append(secretFactories, f)
		secretInformers = append(secretInformers, f.Core().V1().Secrets())
	}
	// Nodes: only their existence matters, so the cache keeps metadata.
	nodeFactory := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0,
		kubeinformers.WithTransform(controller.NodeMetadataOnly))
	nodeInformer := nodeFactory.Core().V1().Nodes()
	leaseFactory := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0,
		kubeinformers.WithNamespace(o.OperatorNamespace),
		kubeinformers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = agentlease.Selector() }),
		kubeinformers.WithTransform(controller.StripManagedFields))
	leaseInformer := leaseFactory.Coordination().V1().Leases()
	// The operator's node reports (disk inventory and orphans).
	reportFactory := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0,
		kubeinformers.WithNamespace(o.OperatorNamespace),
		kubeinformers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = inventory.Selector() }),
		kubeinformers.WithTransform(controller.StripManagedFields))
	reportInformer := reportFactory.Core().V1().ConfigMaps()

	clientOpts := poolclient.Options{
		Insecure:    o.AgentInsecure,
		CallTimeout: o.AgentCallTimeout,
		Metrics:     m.grpc,
		DialOptions: faults.DialOptions(),
	}
	if !o.AgentInsecure {
		clientOpts.TLS = &poolclient.TLSOptions{CertFile: o.AgentTLSCertFile, KeyFile: o.AgentTLSKeyFile,
			CAFile: o.AgentTLSCAFile, ServerName: o.AgentTLSServerName}
	}
	heartbeat := o.AgentHeartbeatInterval
	if heartbeat == 0 {
		heartbeat = -1 // the tracker's "none"
	}
	tracker := agentwatch.New(agentwatch.Options{
		Namespace:         o.OperatorNamespace,
		Leases:            leaseInformer,
		Client:            clientOpts,
		ReconnectGrace:    o.AgentReconnectGrace,
		HeartbeatInterval: heartbeat,
		Metrics:           m.tracker,
	})

	broadcaster := events.NewBroadcaster(countingSink{EventSink: &events.EventSinkImpl{Interface: kube.EventsV1()}, writes: m.eventWrites})
	// The controller registers its change handler with the tracker and
	// waits for the tracker's HasSynced itself.
	ctrl, err := controller.NewController(ctx, controller.Config{
		PoolClient:            pools,
		DiskPoolInformers:     poolInformers,
		MayastorPoolInformers: mspInformers,
		NodeInformer:          nodeInformer,
		SecretInformers:       secretInformers,
		Agents:                tracker,
		EventBroadcaster:      broadcaster,
		EventRecorder:         broadcaster.NewRecorder(scheme.Scheme, controller.FieldManager),
		Metrics:               m.controller,
		QueueMetricsProvider:  m.workqueue,
		BackoffBase:           o.BackoffBase,
		BackoffMax:            o.BackoffMax,
		Clock:                 clock.RealClock{},
	})
	if err != nil {
		return err
	}
	invAgents := newLeaseAgents(leaseInformer.Lister().Leases(o.OperatorNamespace), tracker)
	owners, err := inventory.NewOwnerIndex(poolObjectInformers(poolInformers, mspInformers)...)
	if err != nil {
		return err
	}
	inv := inventory.NewRunner(invAgents, owners,
		inventory.NewPublisher(kube, o.OperatorNamespace, reportInformer.Lister(),
			broadcaster.NewRecorder(scheme.Scheme, controller.FieldManager), m.inventory),
		o.DiskInventoryInterval)
	tracker.AddChangeHandler(func(node, pool string) {
		if pool == "" {
			inv.Enqueue(node) // the agent came or went: list its disks now
		}
	})
	if _, err := metrics.NewPools(reg, listPools(poolInformers)); err != nil {
		return fmt.Errorf("registering pool metrics: %w", err)
	}
	if len(mspInformers) > 0 {
		if _, err := metrics.NewMayastorPools(reg, listMayastorPools(mspInformers)); err != nil {
			return fmt.Errorf("registering MayastorPool metrics: %w", err)
		}
	}

	// The informers stop when Run returns, whatever ended it: ctx ends on
	// SIGTERM but not on a lost Lease, and each Shutdown below waits for
	// its informers, so without this a replica that lost the Lease would
	// hang there instead of exiting.
	informersCtx, stopInformers := context.WithCancel(ctx)
	for _, f := range poolFactories {
		f.Start(informersCtx.Done())
		defer f.Shutdown()
	}
	for _, f := range secretFactories {
		f.Start(informersCtx.Done())
		defer f.Shutdown()
	}
	nodeFactory.Start(informersCtx.Done())
	defer nodeFactory.Shutdown()
	leaseFactory.Start(informersCtx.Done())
	defer leaseFactory.Shutdown()
	reportFactory.Start(informersCtx.Done())
	defer reportFactory.Shutdown()
	defer stopInformers() // runs before the Shutdowns (defers run last first)

	// Ready once the caches have synced (a standby included: it takes
	// over with warm caches), and, while leading, once the controller's
	// view is complete (its informers and the tracker's HasSynced), and the
	// elector, if any, is healthy.
	cachesSynced := []cache.InformerSynced{nodeInformer.Informer().HasSynced, leaseInformer.Informer().HasSynced,
		reportInformer.Informer().HasSynced}
	for _, inf := range poolInformers {
		cachesSynced = append(cachesSynced, inf.Informer().HasSynced)
	}
	for _, inf := range mspInformers {
		cachesSynced = append(cachesSynced, inf.Informer().HasSynced)
	}
	for _, inf := range secretInformers {
		cachesSynced = append(cachesSynced, inf.Informer().HasSynced)
	}
	var leading atomic.Bool
	checks := []check{{name: "informer-sync", fn: func(*http.Request) error {
		for _, s := range cachesSynced {
			if !s() {
				return errors.New("caches have not synced")
			}
		}
		return nil
	}}, {name: "controller-sync", fn: func(*http.Request) error {
		if leading.Load() && !ctrl.HasSynced() {
			return errors.New("leading, but the controller's caches or the agent tracker have not synced")
		}
		return nil
	}}}
	var watchdog *leaderelection.HealthzAdaptor
	if o.LeaderElect {
		// Unhealthy when leading but the Lease was not renewed for its
		// duration plus this slack: the replica should have stopped.
		watchdog = leaderelection.NewLeaderHealthzAdaptor(o.LeaderElectRenewDeadline)
		checks = append(checks, check{name: watchdog.Name(), fn: watchdog.Check})
	}
	stopServers, err := serve(ctx, o, d, reg, checks)
	if err != nil {
		return err
	}
	defer stopServers()

	lead := func(ctx context.Context) error {
		leading.Store(true)
		defer leading.Store(false)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		trackerDone := make(chan error, 1)
		go func() {
			err := tracker.Run(ctx)
			if err != nil {
				cancel() // the controller would wait for the tracker forever
			}
			trackerDone <- err
		}()
		inventoryDone := make(chan error, 1)
		go func() { inventoryDone <- inv.Run(ctx) }()
		err := ctrl.Run(ctx, o.Workers)
		cancel()
		if ierr := <-inventoryDone; ierr != nil && ctx.Err() == nil {
			klog.FromContext(ctx).Error(ierr, "Disk inventory stopped")
		}
		if terr := <-trackerDone; terr != nil {
			return fmt.Errorf("agent tracker: %w", terr)
		}
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("controller: %w", err)
		}
		return nil
	}
	if !o.LeaderElect {
		m.leading.Set(1)
		err = lead(ctx)
		m.leading.Set(0)
	} else {
		err = runElected(ctx, o, electorKube, watchdog, m.leading, lead)
	}
	logger.Info("Stopped")
	return err
}

// Rate limits of the leader-election client.
const (
	electorQPS   = 5
	electorBurst = 10
)

// buildClients builds the clients from the options and hooks client-go's
// REST metrics into reg (process-wide: client-go keeps them globally).
//
// The leader-election Lease has a client of its own (as in
// kube-controller-manager): sharing the controller's rate limiter, a
// renewal waits behind a burst of status and event writes, can miss its
// renew deadline, and the leader stops in the middle of the burst (seen in
// make bench with 1000 agents).
func buildClients(o *Options, reg prometheus.Registerer, faults *faultinject.Injector) (kube kubernetes.Interface, pools versioned.Interface, elector kubernetes.Interface, err error) {
	rm, err := metrics.NewRESTClient(reg)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("registering REST client metrics: %w", err)
	}
	rm.Install()
	cfg, err := restConfig(o.Kubeconfig)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kubernetes client config: %w", err)
	}
	cfg.Wrap(faults.WrapTransport)
	cfg.QPS, cfg.Burst = o.KubeAPIQPS, o.KubeAPIBurst
	cfg.UserAgent = "diskpool-operator/" + version
	if pools, err = versioned.NewForConfig(cfg); err != nil {
		return nil, nil, nil, fmt.Errorf("DiskPool client: %w", err)
	}
	// Built-in kinds (Nodes, Leases, Events) speak protobuf: cheaper to
	// decode for every Node and Lease update the informers receive.
	kcfg := rest.CopyConfig(cfg)
	kcfg.ContentType = "application/vnd.kubernetes.protobuf"
	kcfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	if kube, err = kubernetes.NewForConfig(kcfg); err != nil {
		return nil, nil, nil, fmt.Errorf("kubernetes client: %w", err)
	}
	// A renewal every retry period: a few requests a second at most.
	ecfg := rest.CopyConfig(kcfg)
	ecfg.QPS, ecfg.Burst = electorQPS, electorBurst
	ecfg.UserAgent += " leader-election"
	if elector, err = kubernetes.NewForConfig(ecfg); err != nil {
		return nil, nil, nil, fmt.Errorf("leader-election client: %w", err)
	}
	return kube, pools, elector, nil
}

// restConfig uses --kubeconfig when given, else the in-cluster config,
// else $KUBECONFIG or ~/.kube/config (for `make run` on a workstation).
func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	cfg, err := rest.InClusterConfig()
	if err == nil {
		return cfg, nil
	}
	if !errors.Is(err, rest.ErrNotInCluster) {
		return nil, err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
}

// listPools lists the DiskPools of every informer, for the pool metrics.
func listPools(infs []v1beta3informers.DiskPoolInformer) metrics.ListFunc {
	return func() ([]*v1beta3.DiskPool, error) {
		var out []*v1beta3.DiskPool
		for _, inf := range infs {
			l, err := inf.Lister().List(labels.Everything())
			if err != nil {
				return nil, err
			}
			out = append(out, l...)
		}
		return out, nil
	}
}

// listMayastorPools lists the MayastorPools of every informer, for the
// MayastorPool metrics.
func listMayastorPools(infs []v1alpha1informers.MayastorPoolInformer) metrics.MayastorPoolListFunc {
	return func() ([]*v1alpha1.MayastorPool, error) {
		var out []*v1alpha1.MayastorPool
		for _, inf := range infs {
			l, err := inf.Lister().List(labels.Everything())
			if err != nil {
				return nil, err
			}
			out = append(out, l...)
		}
		return out, nil
	}
}

// serve starts the metrics and health servers; the returned func stops
// them.
func serve(ctx context.Context, o *Options, d Deps, reg *prometheus.Registry, checks []check) (func(), error) {
	logger := klog.FromContext(ctx)
	var servers []*http.Server
	bound := map[string]string{} // server name: address, for --address-file
	stop := func() {
		for _, s := range servers {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := s.Shutdown(sctx); err != nil {
				logger.Error(err, "Stopping HTTP server", "address", s.Addr)
			}
			cancel()
		}
	}
	start := func(name, addr string, h http.Handler) error {
		if addr == "" {
			return nil
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("%s server: %w", name, err)
		}
		s := &http.Server{Addr: ln.Addr().String(), Handler: h, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, s)
		bound[name] = s.Addr
		if d.Listening != nil {
			d.Listening(name, ln.Addr())
		}
		logger.Info("Serving", "server", name, "address", ln.Addr().String())
		go func() {
			if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error(err, "HTTP server failed", "server", name)
			}
		}()
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if o.Profiling {
		addProfiling(mux)
	}
	if err := start("metrics", o.MetricsAddress, mux); err != nil {
		stop()
		return nil, err
	}
	if err := start("health", o.HealthAddress, healthHandler(checks)); err != nil {
		stop()
		return nil, err
	}
	if o.AddressFile != "" {
		if err := addrfile.Write(o.AddressFile, bound); err != nil {
			stop()
			return nil, err
		}
	}
	return stop, nil
}

func namespacesForLog(ns []string) any {
	if len(ns) == 0 {
		return "all"
	}
	return ns
}

// operatorMetrics are the metrics of every part the operator wires.
type operatorMetrics struct {
	controller *metrics.Controller
	workqueue  *metrics.Workqueue
	grpc       *poolclient.Metrics
	tracker    *agentwatch.Metrics
	inventory  *inventory.Metrics
	leading    prometheus.Gauge
	// eventWrites counts the event recorder's API writes.
	eventWrites *prometheus.CounterVec
}

func newOperatorMetrics(reg prometheus.Registerer) (*operatorMetrics, error) {
	var m operatorMetrics
	var err error
	if m.controller, err = metrics.NewController(reg); err != nil {
		return nil, err
	}
	if m.workqueue, err = metrics.NewWorkqueue(reg); err != nil {
		return nil, err
	}
	if m.grpc, err = poolclient.NewMetrics(reg); err != nil {
		return nil, err
	}
	if m.tracker, err = agentwatch.NewMetrics(reg); err != nil {
		return nil, err
	}
	if m.inventory, err = inventory.NewMetrics(reg); err != nil {
		return nil, err
	}
	if m.eventWrites, err = newEventWritesCounter(reg); err != nil {
		return nil, err
	}
	m.leading = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "diskpool_leader",
		Help: "1 while this replica holds the leader-election Lease and reconciles (always 1 without leader election).",
	})
	if err := reg.Register(m.leading); err != nil {
		return nil, err
	}
	return &m, nil
}
