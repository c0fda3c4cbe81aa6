package agent

import (
	"sync"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

// maxPending is how many changes a watcher may fall behind before its
// backlog is dropped and it is sent a fresh SNAPSHOT instead.
const maxPending = 256

// event is one change for watchers.
type event struct {
	typ  agentv1.WatchPoolsResponse_Type
	pool *agentv1.Pool
}

// watcher is one WatchPools stream's queue. Publishing never blocks: a
// watcher that falls behind by maxPending is marked for resync.
type watcher struct {
	mu      sync.Mutex
	pending []event
	resync  bool
	// notify has capacity 1: a pending wake-up is never lost or doubled.
	notify chan struct{}
}

func newWatcher() *watcher { return &watcher{notify: make(chan struct{}, 1)} }

func (w *watcher) push(ev event) {
	w.mu.Lock()
	if !w.resync {
		if len(w.pending) >= maxPending {
			w.pending, w.resync = nil, true
		} else {
			w.pending = append(w.pending, ev)
		}
	}
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// take returns and clears the pending changes, or reports that a resync is
// needed (pending changes are then dropped).
func (w *watcher) take() (evs []event, resync bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	evs, resync = w.pending, w.resync
	w.pending, w.resync = nil, false
	return evs, resync
}

// hub fans changes out to watchers. Its methods are called with the
// registry lock held, which orders them with snapshots.
type hub struct {
	mu       sync.Mutex
	watchers map[*watcher]struct{}
}

func (h *hub) add(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.watchers == nil {
		h.watchers = map[*watcher]struct{}{}
	}
	h.watchers[w] = struct{}{}
}

func (h *hub) remove(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.watchers, w)
}

func (h *hub) publish(ev event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		w.push(ev)
	}
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.watchers)
}
