package controller

import (
	"slices"
	"sync"
)

// maxEchoes bounds the versions remembered per object: one sync writes at
// most a few times (finalizer, then status).
const maxEchoes = 4

// echoes remembers the resourceVersions of the controller's own recent
// writes of each object, so the informer's update events for those very
// writes (their echoes) do not queue the object again. The sync that wrote
// them went on deciding with the objects the writes returned, so an echo
// carries nothing new; syncing it would cost a Decide per write and, after
// a failed agent call, an immediate second call that bypasses the backoff.
type echoes struct {
	mu sync.Mutex
	rv map[key][]string
}

// wrote records that the controller's write of k produced resourceVersion.
func (e *echoes) wrote(k key, resourceVersion string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rv == nil {
		e.rv = map[key][]string{}
	}
	versions := append(e.rv[k], resourceVersion)
	if len(versions) > maxEchoes {
		versions = versions[len(versions)-maxEchoes:]
	}
	e.rv[k] = versions
}

// isEcho reports whether an update of k to resourceVersion is the echo of
// one of the controller's writes. Watch events arrive in order, so versions
// written before an echo are dropped with it; any other version means
// someone else wrote the object, and everything remembered is dropped.
func (e *echoes) isEcho(k key, resourceVersion string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	versions, ok := e.rv[k]
	if !ok {
		return false
	}
	i := slices.Index(versions, resourceVersion)
	if i < 0 || i == len(versions)-1 {
		delete(e.rv, k)
	} else {
		e.rv[k] = versions[i+1:]
	}
	return i >= 0
}

// forget drops what is known of k (the object is gone).
func (e *echoes) forget(k key) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.rv, k)
}
