package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAddProfilingServesPprof(t *testing.T) {
	mux := http.NewServeMux()
	addProfiling(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for path, want := range map[string]string{
		"/debug/pprof/":                  "heap",
		"/debug/pprof/heap?debug=1":      "heap profile",
		"/debug/pprof/cmdline":           "",
		"/debug/pprof/goroutine?debug=1": "goroutine profile",
	} {
		code, body := httpGet(strings.TrimPrefix(srv.URL, "http://"), path)
		if code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, code)
		}
		if !strings.Contains(body, want) {
			t.Errorf("GET %s lacks %q", path, want)
		}
	}
}
