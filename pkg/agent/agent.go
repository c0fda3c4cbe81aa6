package agent

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"
	"k8s.io/utils/clock"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// Defaults of Config.
const (
	DefaultHealthInterval = 2 * time.Second
	// DefaultFaultThreshold consecutive failed health checks of a disk make
	// its pool Faulted; fewer make it Degraded.
	DefaultFaultThreshold = 3
)

// Config configures an Agent.
type Config struct {
	// Node is the name of the node this agent serves. Required.
	Node string
	// Resolver checks disk paths against the allowed device directories.
	// Required.
	Resolver *disk.Resolver
	// Opener opens disks; nil means disk.OSOpener.
	Opener disk.Opener
	// Disks are the disks (paths or globs) scanned at Start besides those
	// in the state file.
	Disks []string
	// StateDir, when set, holds a file listing the disks of known pools, so
	// they are scanned at Start even if not in Disks.
	StateDir string
	// LinkDir holds the stable symlinks ListDisks reports for each disk;
	// empty means DefaultLinkDir.
	LinkDir string
	// ClusterSize of new pools; 0 means label.DefaultClusterSize.
	ClusterSize uint64
	// HealthInterval between disk health checks; 0 means the default.
	HealthInterval time.Duration
	// FaultThreshold, see DefaultFaultThreshold; 0 means the default.
	FaultThreshold int
	// Clock; nil means the real clock.
	Clock clock.WithTicker
}

// Agent implements agentv1.PoolServiceServer.
type Agent struct {
	agentv1.UnimplementedPoolServiceServer

	cfg Config

	// opMu serialises disk I/O: every mutation and every health check.
	opMu sync.Mutex

	// stateMu serialises state file saves; stateDirty says a change is not
	// saved yet.
	stateMu    sync.Mutex
	stateDirty atomic.Bool
	// stateWrites counts the state file's writes (each one an fsync).
	stateWrites atomic.Uint64

	// tombMu guards tombstones, saved in the state file with the known disks.
	tombMu     sync.Mutex
	tombstones []tombstone
	// tombSeen is the disk last seen at each tombstone's path; opMu.
	tombSeen map[string]disk.FileID

	// deletedMu guards deletedOwners, saved in the state file too.
	deletedMu     sync.Mutex
	deletedOwners []deletedOwner

	// mu guards pools; changes are published to hub while it is held.
	mu    sync.RWMutex
	pools map[string]*pool
	hub   hub

	closeOnce sync.Once
	done      chan struct{}
}

var _ agentv1.PoolServiceServer = (*Agent)(nil)

// New returns an Agent. It starts nothing and touches no disk: call Start.
func New(cfg Config) (*Agent, error) {
	if cfg.Node == "" {
		return nil, errors.New("agent: node name is required")
	}
	if cfg.Resolver == nil {
		return nil, errors.New("agent: a disk resolver is required")
	}
	if cfg.Opener == nil {
		cfg.Opener = disk.OSOpener{}
	}
	if cfg.ClusterSize == 0 {
		cfg.ClusterSize = label.DefaultClusterSize
	}
	if cfg.ClusterSize < 4096 || cfg.ClusterSize&(cfg.ClusterSize-1) != 0 {
		return nil, errors.New("agent: cluster size must be a power of two of at least 4096")
	}
	if cfg.HealthInterval <= 0 {
		cfg.HealthInterval = DefaultHealthInterval
	}
	if cfg.FaultThreshold <= 0 {
		cfg.FaultThreshold = DefaultFaultThreshold
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	return &Agent{cfg: cfg, pools: map[string]*pool{}, done: make(chan struct{})}, nil
}

// Close ends every WatchPools stream (so a graceful gRPC stop can finish).
// The Agent must not be used afterwards.
func (a *Agent) Close() {
	a.closeOnce.Do(func() { close(a.done) })
}

// Pools returns every pool, sorted by name (for metrics and tests).
func (a *Agent) Pools() []*agentv1.Pool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.listLocked()
}

func (a *Agent) listLocked() []*agentv1.Pool {
	out := make([]*agentv1.Pool, 0, len(a.pools))
	for _, p := range a.pools {
		out = append(out, p.proto(a.cfg.Node))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// get returns the committed pool of that name, or nil. Callers must not
// modify it.
func (a *Agent) get(name string) *pool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.pools[name]
}

// all returns the committed pools.
func (a *Agent) all() []*pool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]*pool, 0, len(a.pools))
	for _, p := range a.pools {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].label.Name < out[j].label.Name })
	return out
}

// commit stores p (refreshing its state) and tells watchers when what they
// see changed. It returns the wire form of p.
func (a *Agent) commit(p *pool) *agentv1.Pool {
	p.refreshState()
	out := p.proto(a.cfg.Node)
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.pools[p.label.Name]
	a.pools[p.label.Name] = p
	if old == nil || !proto.Equal(old.proto(a.cfg.Node), out) {
		a.hub.publish(event{typ: agentv1.WatchPoolsResponse_UPSERT, pool: out})
	}
	return out
}

// remove drops a pool and tells watchers.
func (a *Agent) remove(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.pools[name]
	if p == nil {
		return
	}
	delete(a.pools, name)
	a.hub.publish(event{typ: agentv1.WatchPoolsResponse_DELETE, pool: p.proto(a.cfg.Node)})
}

// subscribe registers a watcher and returns it with the current snapshot;
// every change committed afterwards reaches the watcher.
func (a *Agent) subscribe() (*watcher, []*agentv1.Pool) {
	w := newWatcher()
	a.mu.RLock()
	defer a.mu.RUnlock()
	a.hub.add(w)
	return w, a.listLocked()
}

// resync returns a fresh snapshot for w and drops its pending changes
// (the snapshot includes them).
func (a *Agent) resync(w *watcher) []*agentv1.Pool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	w.take()
	return a.listLocked()
}

// owner returns the pool that uses the disk with id, or nil.
func (a *Agent) owner(id disk.FileID) *pool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, p := range a.pools {
		for _, m := range p.members {
			if m.disk.ID == id {
				return p
			}
		}
	}
	return nil
}
