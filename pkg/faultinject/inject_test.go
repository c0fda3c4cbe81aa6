//go:build faultinject

package faultinject

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// fakeInjector parses spec and counts crashes and stops instead of doing
// them.
func fakeInjector(t *testing.T, spec string) (*Injector, *atomic.Int32, *atomic.Int32) {
	t.Helper()
	rules, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	var crashes, stops atomic.Int32
	i := New(rules)
	i.crash = func() { crashes.Add(1) }
	i.stop = func() { stops.Add(1) }
	return i, &crashes, &stops
}

func TestTransport(t *testing.T) {
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Success"}`))
	}))
	defer srv.Close()
	i, crashes, stops := fakeInjector(t, "conflict=update:diskpools/status:1;crash-after=update:diskpools/status:2;stop-after=update:diskpools:1")
	cfg := &rest.Config{Host: srv.URL}
	cfg.Wrap(i.WrapTransport)
	cfg.GroupVersion = nil
	cfg.APIPath = "/apis"
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	c, err := rest.UnversionedRESTClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	put := func(path string) error {
		return c.Put().AbsPath(path).Body([]byte("{}")).Do(context.Background()).Error()
	}
	status := "/apis/openebs.io/v1beta3/namespaces/ns/diskpools/p/status"
	// 1st status update: 409, not sent.
	if err := put(status); !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "fault injected") {
		t.Fatalf("first status update: %v, want an injected conflict", err)
	}
	if served.Load() != 0 || crashes.Load() != 0 {
		t.Fatalf("served %d, crashes %d after the conflict", served.Load(), crashes.Load())
	}
	// 2nd: sent, not yet the 2nd success. 3rd: the 2nd success: crash.
	for n, wantCrashes := range []int32{0, 1} {
		if err := put(status); err != nil {
			t.Fatalf("status update %d: %v", n+2, err)
		}
		if crashes.Load() != wantCrashes {
			t.Fatalf("after status update %d: %d crashes, want %d", n+2, crashes.Load(), wantCrashes)
		}
	}
	if err := put("/apis/openebs.io/v1beta3/namespaces/ns/diskpools/p"); err != nil {
		t.Fatal(err)
	}
	if stops.Load() != 1 || served.Load() != 3 {
		t.Errorf("stops %d, served %d; want 1 and 3", stops.Load(), served.Load())
	}
	// Reads pass untouched.
	if err := c.Get().AbsPath(status).Do(context.Background()).Error(); err != nil {
		t.Fatal(err)
	}
}

func TestUnary(t *testing.T) {
	i, crashes, stops := fakeInjector(t, "drop-reply=CreatePool:1;crash-after=DestroyPool:2;stop-before=DestroyPool:2")
	opts := i.DialOptions()
	if len(opts) != 1 {
		t.Fatalf("%d dial options, want 1", len(opts))
	}
	calls := 0
	ok := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error {
		calls++
		return nil
	}
	failing := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error {
		calls++
		return status.Error(codes.Unavailable, "down")
	}
	const create, destroy = "/diskpool.agent.v1.PoolService/CreatePool", "/diskpool.agent.v1.PoolService/DestroyPool"
	ctx := context.Background()
	if err := i.unary(ctx, create, nil, nil, nil, failing); status.Code(err) != codes.Unavailable {
		t.Errorf("failed call: %v, want Unavailable passed through", err)
	}
	if err := i.unary(ctx, create, nil, nil, nil, ok); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("first successful CreatePool: %v, want DeadlineExceeded", err)
	}
	if err := i.unary(ctx, create, nil, nil, nil, ok); err != nil {
		t.Errorf("second CreatePool: %v", err)
	}
	for n := range 2 {
		if err := i.unary(ctx, destroy, nil, nil, nil, ok); err != nil {
			t.Errorf("DestroyPool %d: %v", n+1, err)
		}
		if want := int32(n); stops.Load() != want {
			t.Errorf("after DestroyPool %d: %d stops, want %d", n+1, stops.Load(), want)
		}
	}
	if calls != 5 || crashes.Load() != 1 {
		t.Errorf("calls %d, crashes %d; want every call sent and one crash", calls, crashes.Load())
	}
	// stop-before=DestroyPool:2 picks the second call only.
	if err := i.unary(ctx, destroy, nil, nil, nil, failing); status.Code(err) != codes.Unavailable || stops.Load() != 1 {
		t.Errorf("failed DestroyPool: %v, %d stops", err, stops.Load())
	}
}
