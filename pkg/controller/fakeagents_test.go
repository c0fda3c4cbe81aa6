package controller

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// fakeAgents is an in-memory Agents: per node an agent state and the pools
// on it. CreatePool and DestroyPool behave like the real agent
// (create-or-import by owner, destroy refused while replicas remain,
// destroy of a missing pool succeeds) unless an error is injected, and, like
// the Tracker, notify the change handlers of what their success changed.
type fakeAgents struct {
	mu        sync.Mutex
	agents    map[string]reconcile.AgentState
	messages  map[string]string
	pools     map[string]map[string]reconcile.Pool
	createErr *reconcile.AgentError
	// destroyErr, when set, is returned by every DestroyPool.
	destroyErr error
	// block, when set, makes calls wait for ctx to end.
	block bool
	calls []string
	uuids int
	// handlers are the registered change handlers.
	handlers []func(node, pool string)
}

func newFakeAgents() *fakeAgents {
	return &fakeAgents{
		agents:   map[string]reconcile.AgentState{},
		messages: map[string]string{},
		pools:    map[string]map[string]reconcile.Pool{},
	}
}

func (f *fakeAgents) setAgent(node string, s reconcile.AgentState, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents[node] = s
	f.messages[node] = msg
}

func (f *fakeAgents) updatePool(node, name string, fn func(*reconcile.Pool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pools[node][name]
	fn(&p)
	f.pools[node][name] = p
}

func (f *fakeAgents) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeAgents) Agent(node string) (reconcile.AgentState, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.agents[node]
	if !ok {
		return reconcile.AgentMissing, ""
	}
	return s, f.messages[node]
}

func (f *fakeAgents) AddChangeHandler(fn func(node, pool string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers = append(f.handlers, fn)
}

func (f *fakeAgents) HasSynced() bool { return true }

// notify tells the handlers that pool on node changed; never under f.mu.
func (f *fakeAgents) notify(node, pool string) {
	f.mu.Lock()
	handlers := f.handlers
	f.mu.Unlock()
	for _, fn := range handlers {
		fn(node, pool)
	}
}

func (f *fakeAgents) Pool(node, name string) reconcile.PoolView {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pools[node][name]
	return reconcile.PoolView{Found: ok, Pool: p}
}

func (f *fakeAgents) CreatePool(ctx context.Context, req reconcile.CreateRequest) (reconcile.Pool, error) {
	pool, changed, err := f.createPool(ctx, req)
	if changed {
		f.notify(req.Node, req.Name)
	}
	return pool, err
}

func (f *fakeAgents) createPool(ctx context.Context, req reconcile.CreateRequest) (_ reconcile.Pool, changed bool, _ error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("CreatePool %s/%s %v", req.Node, req.Name, req.Disks))
	if f.block {
		f.mu.Unlock()
		<-ctx.Done()
		f.mu.Lock()
		return reconcile.Pool{}, false, &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: reconcile.ReasonAgentTimeout, Message: ctx.Err().Error()}
	}
	if f.createErr != nil {
		return reconcile.Pool{}, false, f.createErr
	}
	if f.agents[req.Node] != reconcile.AgentReady {
		return reconcile.Pool{}, false, &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: reconcile.ReasonAgentUnavailable, Message: "no agent"}
	}
	if p, ok := f.pools[req.Node][req.Name]; ok {
		if p.OwnerUID != req.OwnerUID {
			return reconcile.Pool{}, false, &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: reconcile.ReasonPoolNameTaken, Message: "taken"}
		}
		return p, false, nil
	}
	f.uuids++
	p := reconcile.Pool{
		Name: req.Name, UUID: fmt.Sprintf("uuid-%d", f.uuids), OwnerUID: req.OwnerUID, Disks: slices.Clone(req.Disks),
		Health: reconcile.PoolHealthOnline, Capacity: 10 << 30, Used: 0, Committed: 0,
	}
	if f.pools[req.Node] == nil {
		f.pools[req.Node] = map[string]reconcile.Pool{}
	}
	f.pools[req.Node][req.Name] = p
	return p, true, nil
}

// ExpandPool grows the pool to its DiskCapacity, refused like the agent
// when the disk has not grown or the pool is at max.
func (f *fakeAgents) ExpandPool(_ context.Context, req reconcile.ExpandRequest) (reconcile.Pool, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("ExpandPool %s/%s %d", req.Node, req.Name, req.MaxCapacity))
	p, ok := f.pools[req.Node][req.Name]
	switch {
	case !ok || p.OwnerUID != req.OwnerUID:
		f.mu.Unlock()
		return reconcile.Pool{}, &reconcile.AgentError{Op: reconcile.ActionExpandPool, Reason: "PoolNotFound", Message: "no such pool"}
	case p.DiskCapacity <= p.Capacity:
		f.mu.Unlock()
		return reconcile.Pool{}, &reconcile.AgentError{Op: reconcile.ActionExpandPool, Reason: reconcile.ReasonDiskNotGrown, Message: "disk not grown"}
	}
	p.Capacity = min(p.DiskCapacity, req.MaxCapacity)
	f.pools[req.Node][req.Name] = p
	f.mu.Unlock()
	f.notify(req.Node, req.Name)
	return p, nil
}

func (f *fakeAgents) DestroyPool(ctx context.Context, req reconcile.DestroyRequest) error {
	changed, err := f.destroyPool(req)
	if changed {
		f.notify(req.Node, req.Name)
	}
	return err
}

func (f *fakeAgents) destroyPool(req reconcile.DestroyRequest) (changed bool, _ error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("DestroyPool %s/%s", req.Node, req.Name))
	if f.destroyErr != nil {
		return false, f.destroyErr
	}
	p, ok := f.pools[req.Node][req.Name]
	if !ok {
		return false, nil
	}
	if p.OwnerUID != req.OwnerUID {
		return false, &reconcile.AgentError{Op: reconcile.ActionDestroyPool, Reason: "OwnerMismatch", Message: "not yours"}
	}
	if p.ReplicaCount > 0 {
		return false, &reconcile.AgentError{Op: reconcile.ActionDestroyPool, Reason: reconcile.ReasonPoolInUse,
			Message: fmt.Sprintf("pool %s holds %d replicas", p.Name, p.ReplicaCount)}
	}
	delete(f.pools[req.Node], req.Name)
	return true, nil
}
