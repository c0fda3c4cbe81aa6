package app

import (
	"net/http"
	"net/http/pprof"
)

// addProfiling serves net/http/pprof under /debug/pprof/ (--profiling), as
// kube-controller-manager does with its --profiling flag. It is registered
// on mux, not on http.DefaultServeMux, so it is off unless asked for.
func addProfiling(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}
