package controller

import (
	"slices"
	"sync"
	"time"
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
//
// Until the last echo of a sync's writes arrives, the informer cache holds
// an older copy of the object. A sync started in that window (an agent's
// pool update can trigger one) would decide on the stale copy and fail its
// write with a conflict; instead it is deferred: deferIfPending marks the
// object, and the awaited echo queues it rather than being dropped.
type echoes struct {
	mu       sync.Mutex
	rv       map[key][]string
	deferred map[key]bool
	// lastWrite is when each object was last written, so a deferral never
	// waits on an echo that already came and went (handled before wrote
	// recorded it) for longer than echoWait.
	lastWrite map[key]time.Time
	// deleted is the uid of the object under each key that the
	// controller's own write deleted (its last finalizer removed). Until
	// the informer reports it gone, the cache holds an object that no
	// longer exists, and a sync on it (an agent's pool update queues one)
	// would remove the finalizer once more and fail with NotFound: under
	// load the watch lags by more than echoWait, and a 1000-pool delete
	// burst made 1.3-1.45 writes per delete that way.
	deleted map[key]string
}

// echoWait bounds how long a sync waits for the cache to catch up with the
// controller's own write; the watch normally delivers it in milliseconds.
const echoWait = time.Second

// wrote records that the controller's write of k produced resourceVersion.
func (e *echoes) wrote(k key, resourceVersion string, now time.Time) {
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
	if e.lastWrite == nil {
		e.lastWrite = map[key]time.Time{}
	}
	e.lastWrite[k] = now
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
		if e.deferred[k] {
			// The cache has caught up with the writes (or someone else
			// wrote): the deferred sync runs now.
			delete(e.deferred, k)
			return false
		}
	} else {
		e.rv[k] = versions[i+1:]
	}
	return i >= 0
}

// deferIfPending reports whether the cache, holding k at cachedRV, has not
// seen the controller's last write of k yet; if so, the echo of that write
// queues k instead of being dropped (the caller also schedules a look after
// echoWait, in case the echo was handled before it was recorded).
func (e *echoes) deferIfPending(k key, cachedRV string, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	versions := e.rv[k]
	if len(versions) == 0 {
		return false
	}
	if versions[len(versions)-1] == cachedRV || now.Sub(e.lastWrite[k]) > echoWait {
		// The cache is current, or the echo came before it was recorded.
		delete(e.rv, k)
		delete(e.deferred, k)
		return false
	}
	if e.deferred == nil {
		e.deferred = map[key]bool{}
	}
	e.deferred[k] = true
	return true
}

// wroteDelete records that the controller's write deleted the object of
// uid under k.
func (e *echoes) wroteDelete(k key, uid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.deleted == nil {
		e.deleted = map[key]string{}
	}
	e.deleted[k] = uid
}

// isDeleted reports whether the cached object of uid under k is one the
// controller's own write deleted. The informer's report of the deletion
// queues k (forget then drops this); an object created again under the
// same name has another uid.
func (e *echoes) isDeleted(k key, uid string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return uid != "" && e.deleted[k] == uid
}

// forget drops what is known of k (the object is gone).
func (e *echoes) forget(k key) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.rv, k)
	delete(e.deferred, k)
	delete(e.lastWrite, k)
	delete(e.deleted, k)
}
