package controller

import "testing"

func TestEchoes(t *testing.T) {
	k := key{Kind: KindDiskPool, Namespace: "ns", Name: "a"}
	other := key{Kind: KindDiskPool, Namespace: "ns", Name: "b"}
	var e echoes

	if e.isEcho(k, "1") {
		t.Error("echo before any write")
	}

	// Two writes in one sync; their echoes arrive in order.
	e.wrote(k, "10", t0)
	e.wrote(k, "11", t0)
	if e.isEcho(other, "10") {
		t.Error("another object's update taken for an echo")
	}
	if !e.isEcho(k, "10") || !e.isEcho(k, "11") {
		t.Error("echoes of own writes not recognised")
	}
	if e.isEcho(k, "11") {
		t.Error("an echo is delivered once; the same version again is a resync")
	}

	// A relist may skip the first echo: the second still counts.
	e.wrote(k, "20", t0)
	e.wrote(k, "21", t0)
	if !e.isEcho(k, "21") || e.isEcho(k, "20") {
		t.Error("skipped echo mishandled")
	}

	// Someone else's write in between drops what is remembered.
	e.wrote(k, "30", t0)
	if e.isEcho(k, "29") {
		t.Error("foreign version taken for an echo")
	}
	if e.isEcho(k, "30") {
		t.Error("memory kept after a foreign version")
	}

	// Bounded, and forgotten when the object goes.
	for _, rv := range []string{"40", "41", "42", "43", "44", "45"} {
		e.wrote(k, rv, t0)
	}
	if got := len(e.rv[k]); got != maxEchoes {
		t.Errorf("remembered %d versions, want %d", got, maxEchoes)
	}
	e.forget(k)
	if e.isEcho(k, "45") {
		t.Error("echo after forget")
	}
}

func TestDeferredSyncRunsOnTheLastEcho(t *testing.T) {
	k := key{Kind: KindDiskPool, Namespace: "ns", Name: "a"}
	var e echoes
	if e.deferIfPending(k, "1", t0) {
		t.Fatal("deferred with no write pending")
	}
	e.wrote(k, "10", t0)
	e.wrote(k, "11", t0)
	if e.deferIfPending(k, "11", t0) {
		t.Fatal("deferred although the cache holds the last write")
	}
	e.wrote(k, "10", t0)
	e.wrote(k, "11", t0)
	if !e.deferIfPending(k, "9", t0) {
		t.Fatal("a sync with two echoes to come was not deferred")
	}
	if !e.isEcho(k, "10") {
		t.Fatal("the first echo must still be dropped: the cache is not current yet")
	}
	if e.isEcho(k, "11") {
		t.Fatal("the last echo must queue the deferred sync")
	}
	if e.deferIfPending(k, "11", t0) {
		t.Fatal("still deferring after the cache caught up")
	}
	// An echo handled before its write was recorded: the wait is bounded.
	e.wrote(k, "15", t0)
	if !e.deferIfPending(k, "14", t0.Add(echoWait/2)) || e.deferIfPending(k, "14", t0.Add(2*echoWait)) {
		t.Fatal("deferral not bounded by echoWait")
	}
	// A foreign write that skips the echoes also queues the deferred sync.
	e.wrote(k, "20", t0)
	e.deferIfPending(k, "19", t0)
	if e.isEcho(k, "25") {
		t.Fatal("a foreign version taken for an echo")
	}
	if len(e.deferred) != 0 {
		t.Fatal("deferred mark left behind")
	}
}

// TestDeletedByOwnWrite: the cached copy of an object the controller's
// last write deleted is recognised by its uid until the informer reports
// it gone; an object created again under the name (another uid) is not.
func TestDeletedByOwnWrite(t *testing.T) {
	k := key{Kind: KindDiskPool, Namespace: "ns", Name: "a"}
	var e echoes
	if e.isDeleted(k, "uid-1") || e.isDeleted(k, "") {
		t.Error("deleted before any write")
	}
	e.wroteDelete(k, "uid-1")
	if !e.isDeleted(k, "uid-1") {
		t.Error("the stale copy of the deleted object is not recognised")
	}
	if e.isDeleted(k, "uid-2") || e.isDeleted(key{Kind: KindDiskPool, Namespace: "ns", Name: "b"}, "uid-1") {
		t.Error("another object taken for the deleted one")
	}
	e.forget(k)
	if e.isDeleted(k, "uid-1") {
		t.Error("still deleted after the informer reported it gone")
	}
}
