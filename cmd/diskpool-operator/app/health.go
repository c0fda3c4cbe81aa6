package app

import (
	"fmt"
	"net/http"
	"strings"
)

// check is one named readiness check; nil error means passing.
type check struct {
	name string
	fn   func(*http.Request) error
}

// healthHandler serves /healthz (liveness: the process serves HTTP) and
// /readyz (every check passes). ?verbose lists the checks, as Kubernetes
// components do.
func healthHandler(ready []check) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		failed := false
		for _, c := range ready {
			if err := c.fn(r); err != nil {
				failed = true
				fmt.Fprintf(&b, "[-]%s failed: %v\n", c.name, err)
			} else {
				fmt.Fprintf(&b, "[+]%s ok\n", c.name)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if failed {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprint(w, b.String()+"readyz check failed\n")
			return
		}
		if _, verbose := r.URL.Query()["verbose"]; verbose {
			_, _ = fmt.Fprint(w, b.String()+"readyz check passed\n")
			return
		}
		_, _ = fmt.Fprint(w, "ok")
	})
	return mux
}
