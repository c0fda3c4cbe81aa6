package agentwatch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	coordinationinformers "k8s.io/client-go/informers/coordination/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/diskpool/diskpool-operator/pkg/poolclient"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

const (
	// DefaultConnectTimeout bounds the wait for an agent's first pool
	// snapshot after dialling it.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultReconnectGrace is how long a node whose stream broke (or is
	// being opened) stays AgentReconnecting (AgentSyncing) before it is
	// AgentUnreachable, and its created pools Offline. It covers an agent
	// restarted in place (the kubelet restarts a crashed container at once;
	// the agent serves again in well under a second, see
	// docs/reliability.md) and an operator start that meets an agent
	// restarting, so neither costs a status write, and it leaves room
	// under the 5 s a killed agent's pools take to read Offline.
	DefaultReconnectGrace = 3 * time.Second
	// DefaultHeartbeatInterval is the heartbeat the Tracker asks of each
	// pool stream. The agent sends one only after that much silence, so a
	// busy stream carries none; at 1000 agents an idle fleet sends the
	// operator 1000 small messages a second and writes nothing.
	DefaultHeartbeatInterval = time.Second
	// heartbeatMisses is how many heartbeat intervals of silence fail a
	// stream: 3 s at the default, the time a frozen agent or a silent node
	// takes to be AgentUnreachable.
	heartbeatMisses = 3
)

// DefaultBackoff spaces the re-opening of a failed pool stream: 0.5s, 1s,
// 2s, 4s, 8s, 16s, then 30s for as long as the agent's Lease stays live,
// each plus up to 20% jitter so agents that fail together (an operator
// network blip) are not redialled in lockstep. It restarts at 0.5s after a
// stream that reached its snapshot.
var DefaultBackoff = wait.Backoff{
	Duration: 500 * time.Millisecond,
	Factor:   2,
	Jitter:   0.2,
	Steps:    math.MaxInt32,
	Cap:      30 * time.Second,
}

// Options configures a Tracker.
type Options struct {
	// Namespace of the agent Leases; Leases elsewhere are ignored. Empty
	// accepts every namespace the informer sees.
	Namespace string
	// Leases is an informer of agent Leases; the caller filters it with
	// agentlease.Selector() and starts it.
	Leases coordinationinformers.LeaseInformer
	// Client configures the connections to the agents. Node is set per
	// agent by the Tracker.
	Client poolclient.Options
	// Clock drives Lease expiry, connect timeouts and reconnect backoff;
	// nil means the real clock.
	Clock clock.WithTicker
	// ConnectTimeout bounds the wait for the first snapshot of a stream;
	// zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// Backoff spaces reconnects; a zero Duration means DefaultBackoff.
	// Within the reconnect grace, redials come every Backoff.Duration.
	Backoff wait.Backoff
	// ReconnectGrace is how long a stream may be down or opening before
	// the agent is AgentUnreachable; zero means DefaultReconnectGrace.
	ReconnectGrace time.Duration
	// HeartbeatInterval is asked of every pool stream; a stream silent
	// for three intervals fails at once, without grace. Zero means
	// DefaultHeartbeatInterval; negative asks for none (gRPC keepalive
	// remains, poolclient.KeepaliveParams).
	HeartbeatInterval time.Duration
	// Metrics records agent states and reconnects; nil records nothing.
	Metrics *Metrics
}

// Tracker follows the agents of every node with an agent Lease. Construct
// it with New, start it with Run. Its methods are safe for concurrent use.
type Tracker struct {
	namespace      string
	clientOpts     poolclient.Options
	clock          clock.WithTicker
	connectTimeout time.Duration
	backoff        wait.Backoff
	grace          time.Duration
	heartbeat      time.Duration
	metrics        *Metrics

	registration cache.ResourceEventHandlerRegistration
	registerErr  error

	handlersMu sync.RWMutex
	// handlers are told of every change (AddChangeHandler).
	handlers []func(node, pool string)

	// expiryKick wakes the expiry loop when a Lease expires earlier than
	// its timer.
	expiryKick chan struct{}
	// wg counts the goroutines Run waits for.
	wg sync.WaitGroup

	mu sync.RWMutex
	// nodes holds every node with an agent Lease.
	nodes map[string]*node
	// running is true while Run follows the agents. Before Run and after
	// it, Lease events are only recorded. active is true from Run's start
	// until it returns.
	running, active bool
	// ctx is Run's context, the parent of every stream.
	ctx    context.Context
	logger klog.Logger
	// lastGen numbers connections, so events of a replaced one are ignored.
	lastGen uint64
	// nextExpiry is when the expiry loop's timer fires; zero if idle.
	nextExpiry time.Time
}

// node is what the Tracker knows of one node's agent; guarded by
// Tracker.mu.
type node struct {
	name string

	// From the Lease.
	leaseKey  string
	holder    string
	endpoint  string
	expiresAt time.Time

	state   reconcile.AgentState
	message string
	pools   poolCache
	// graceUntil is when a Settling state (Syncing, Reconnecting) ends in
	// AgentUnreachable; zero in any other state.
	graceUntil time.Time
	// brokeWith is the error that took a Ready agent to Reconnecting.
	brokeWith string

	// conn is the running connection to endpoint, nil when none.
	conn *connection
	// client is conn's current client: set by a stream's snapshot (the
	// agent answered, for this node), withdrawn when the next attempt
	// starts and when a stream finds the endpoint serving another node.
	client *poolclient.Client
}

// connection is one stream goroutine for one endpoint.
type connection struct {
	gen      uint64
	endpoint string
	cancel   context.CancelFunc
}

// change is a notification to send after unlocking.
type change struct{ node, pool string }

// New returns a Tracker and registers its Lease event handlers. It starts
// no goroutine.
func New(opts Options) *Tracker {
	t := &Tracker{
		namespace:      opts.Namespace,
		clientOpts:     opts.Client,
		clock:          opts.Clock,
		connectTimeout: opts.ConnectTimeout,
		backoff:        opts.Backoff,
		grace:          opts.ReconnectGrace,
		heartbeat:      opts.HeartbeatInterval,
		metrics:        opts.Metrics,
		expiryKick:     make(chan struct{}, 1),
		nodes:          map[string]*node{},
		logger:         klog.Background(),
	}
	if t.clock == nil {
		t.clock = clock.RealClock{}
	}
	if t.connectTimeout <= 0 {
		t.connectTimeout = DefaultConnectTimeout
	}
	if t.backoff.Duration <= 0 {
		t.backoff = DefaultBackoff
	}
	if t.grace <= 0 {
		t.grace = DefaultReconnectGrace
	}
	switch {
	case t.heartbeat == 0:
		t.heartbeat = DefaultHeartbeatInterval
	case t.heartbeat < 0:
		t.heartbeat = 0
	}
	if opts.Leases == nil {
		t.registerErr = errors.New("agentwatch: Options.Leases is nil")
		return t
	}
	t.registration, t.registerErr = opts.Leases.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    t.onLeaseAdd,
		UpdateFunc: t.onLeaseUpdate,
		DeleteFunc: t.onLeaseDelete,
	})
	if t.registerErr != nil {
		t.registerErr = fmt.Errorf("agentwatch: register Lease handler: %w", t.registerErr)
	}
	return t
}

// AddChangeHandler registers fn to be told when something Agent or Pool
// report changes: pool "" means every pool of node (the agent appeared,
// disappeared, became unreachable or resynced); otherwise the one pool,
// whether the change came from the agent's stream or from this Tracker's
// own CreatePool or DestroyPool. fn is called never under a lock and must
// not block. Register before Run, like an informer's event handler.
func (t *Tracker) AddChangeHandler(fn func(node, pool string)) {
	t.handlersMu.Lock()
	defer t.handlersMu.Unlock()
	t.handlers = append(t.handlers, fn)
}

// HasSynced reports whether the Tracker has taken in every live agent
// Lease: its Lease handler has had the informer's initial list, and no node
// whose Lease is live is still AgentMissing, which is what every node is
// until Run has made its first pass. Acting before that would report every
// pool Offline at each start or leader change. While Run runs it stays
// true: a Lease that arrives then is taken in as it arrives.
func (t *Tracker) HasSynced() bool {
	if t.registration == nil || !t.registration.HasSynced() {
		return false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	now := t.clock.Now()
	for _, n := range t.nodes {
		if n.state == reconcile.AgentMissing && n.holder != "" && n.expiresAt.After(now) {
			return false
		}
	}
	return true
}

// Run opens streams to the live agents and follows the Leases until ctx
// ends; then it closes every stream, leaves every live agent AgentSyncing,
// and returns once all its goroutines have stopped. It may be called again
// after it returned (a replica that leads again), never concurrently. It
// returns an error only if the Tracker could not be set up.
func (t *Tracker) Run(ctx context.Context) error {
	if t.registerErr != nil {
		return t.registerErr
	}
	logger := klog.FromContext(ctx).WithName("agentwatch")
	ctx = klog.NewContext(ctx, logger)

	t.mu.Lock()
	if t.active {
		t.mu.Unlock()
		return errors.New("agentwatch: Run is already running")
	}
	t.active, t.running, t.ctx, t.logger, t.nextExpiry = true, true, ctx, logger, time.Time{}
	var changes []change
	for _, n := range t.nodes {
		changes = append(changes, t.syncLocked(n)...)
	}
	t.wg.Add(1)
	go t.runExpiry(ctx)
	t.mu.Unlock()
	t.notify(changes)

	logger.Info("Started agent tracker")
	<-ctx.Done()
	logger.Info("Stopping agent tracker")

	t.mu.Lock()
	t.running = false
	for _, n := range t.nodes {
		t.stopConnLocked(n)
		// Nothing is watched any more: a worker still finishing its item
		// must wait, not report the agent gone (Decide waits while
		// Syncing). A later Run resumes from here.
		if n.state != reconcile.AgentMissing {
			t.setStateLocked(n, reconcile.AgentSyncing, "")
		}
		// A later Run gives each node a new grace.
		n.graceUntil = time.Time{}
	}
	t.mu.Unlock()
	t.wg.Wait()
	t.mu.Lock()
	t.active = false
	t.mu.Unlock()
	logger.Info("Stopped agent tracker")
	return nil
}

// Agent returns the state of node's agent and a message that explains it
// (what was seen when AgentUnreachable or AgentMissing; the last stream
// error while AgentReconnecting).
func (t *Tracker) Agent(nodeName string) (state reconcile.AgentState, message string) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.nodes[nodeName]
	if n == nil {
		return reconcile.AgentMissing, ""
	}
	return n.state, n.message
}

// Pool returns the pool called name as node's agent last reported it (or
// as this Tracker's own CreatePool or DestroyPool left it). It is
// meaningful only while Agent(node) is AgentReady.
func (t *Tracker) Pool(nodeName, name string) reconcile.PoolView {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.nodes[nodeName]
	if n == nil {
		return reconcile.PoolView{}
	}
	p, ok := n.pools.get(name)
	return reconcile.PoolView{Found: ok, Pool: p}
}

// notify tells the handlers of changes; never called under t.mu.
func (t *Tracker) notify(changes []change) {
	if len(changes) == 0 {
		return
	}
	t.handlersMu.RLock()
	handlers := t.handlers
	t.handlersMu.RUnlock()
	for _, c := range changes {
		for _, fn := range handlers {
			fn(c.node, c.pool)
		}
	}
}

// setStateLocked moves n to state and returns the notifications it needs:
// one for the whole node on any change of state but into a Settling one
// (Syncing, Reconnecting: Decide waits; the snapshot, or the grace's end,
// notifies), and none outside Run. A new message alone notifies nobody: a
// flapping error text must not re-reconcile every pool of the node.
// Entering a Settling state starts the node's grace, unless one runs.
func (t *Tracker) setStateLocked(n *node, state reconcile.AgentState, message string) []change {
	old := n.state
	n.state, n.message = state, message
	switch {
	case !state.Settling():
		n.graceUntil = time.Time{}
	case n.graceUntil.IsZero() && t.running:
		n.graceUntil = t.clock.Now().Add(t.grace)
		t.scheduleExpiryLocked(n.graceUntil)
	}
	if old == state {
		return nil
	}
	t.metrics.transition(old, state)
	t.logger.V(2).Info("Agent state changed", "node", n.name, "from", old.String(), "to", state.String(), "message", message)
	if state.Settling() || !t.running {
		return nil
	}
	return []change{{node: n.name}}
}
