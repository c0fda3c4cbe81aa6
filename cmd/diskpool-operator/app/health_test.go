package app

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestHealthz(t *testing.T) {
	h := healthHandler([]check{{"never", func(*http.Request) error { return errors.New("no") }}})
	if code, body := get(t, h, "/healthz"); code != http.StatusOK || body != "ok" {
		t.Errorf("/healthz = %d %q: liveness must not depend on readiness", code, body)
	}
}

func TestReadyz(t *testing.T) {
	synced := false
	h := healthHandler([]check{
		{"informer-sync", func(*http.Request) error {
			if !synced {
				return errors.New("caches have not synced")
			}
			return nil
		}},
		{"leaderElection", func(*http.Request) error { return nil }},
	})
	code, body := get(t, h, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "[-]informer-sync failed: caches have not synced") ||
		!strings.Contains(body, "[+]leaderElection ok") {
		t.Errorf("/readyz before sync = %d %q", code, body)
	}
	synced = true
	if code, body := get(t, h, "/readyz"); code != http.StatusOK || body != "ok" {
		t.Errorf("/readyz = %d %q", code, body)
	}
	if code, body := get(t, h, "/readyz?verbose"); code != http.StatusOK || !strings.Contains(body, "[+]informer-sync ok") {
		t.Errorf("/readyz?verbose = %d %q", code, body)
	}
}
