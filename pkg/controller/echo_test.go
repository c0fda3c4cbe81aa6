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
	e.wrote(k, "10")
	e.wrote(k, "11")
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
	e.wrote(k, "20")
	e.wrote(k, "21")
	if !e.isEcho(k, "21") || e.isEcho(k, "20") {
		t.Error("skipped echo mishandled")
	}

	// Someone else's write in between drops what is remembered.
	e.wrote(k, "30")
	if e.isEcho(k, "29") {
		t.Error("foreign version taken for an echo")
	}
	if e.isEcho(k, "30") {
		t.Error("memory kept after a foreign version")
	}

	// Bounded, and forgotten when the object goes.
	for _, rv := range []string{"40", "41", "42", "43", "44", "45"} {
		e.wrote(k, rv)
	}
	if got := len(e.rv[k]); got != maxEchoes {
		t.Errorf("remembered %d versions, want %d", got, maxEchoes)
	}
	e.forget(k)
	if e.isEcho(k, "45") {
		t.Error("echo after forget")
	}
}
