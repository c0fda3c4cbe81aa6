//go:build faultinject

package faultinject

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Enabled reports whether this build acts on DISKPOOL_FAULTS.
const Enabled = true

// CrashExitCode is the exit status of a crash-after fault, the status a
// shell reports for a process killed by SIGKILL.
const CrashExitCode = 137

// Injector applies the rules of DISKPOOL_FAULTS to the operator's clients.
// A nil *Injector injects nothing.
type Injector struct {
	rules []*Rule
	// crash and stop are os.Exit and SIGSTOP-to-self; tests replace them.
	crash func()
	stop  func()
}

// FromEnv returns the injector of $DISKPOOL_FAULTS, or nil when it is
// empty. It announces the rules on stderr, so the process log shows them.
func FromEnv() (*Injector, error) {
	rules, err := Parse(os.Getenv(EnvVar))
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "faultinject: %s=%q active\n", EnvVar, os.Getenv(EnvVar))
	i := New(rules)
	if f := os.Getenv(ResumeFileEnvVar); f != "" {
		i.stop = func() { stopUntil(f) }
	}
	return i, nil
}

// ResumeFileEnvVar names a file whose existence lets a stopped process go
// on: a stop-after or stop-before fault stops the process again after any
// SIGCONT that came before the file (at most maxStops times), so only the
// test that created the file resumes it.
const ResumeFileEnvVar = "DISKPOOL_FAULTS_RESUME_FILE"

const maxStops = 100

func stopUntil(file string) {
	for range maxStops {
		stopSelf()
		if _, err := os.Stat(file); err == nil {
			return
		}
		fmt.Fprintf(os.Stderr, "faultinject: continued before %s exists; stopping again\n", file)
	}
}

// New returns an injector of rules that crashes with os.Exit and stops
// with SIGSTOP.
func New(rules []*Rule) *Injector {
	return &Injector{
		rules: rules,
		crash: func() { os.Exit(CrashExitCode) },
		stop:  stopSelf,
	}
}

// fire carries out a crash-after or stop-after rule that picked a call.
func (i *Injector) fire(r *Rule, what string) {
	fmt.Fprintf(os.Stderr, "faultinject: %s fired after %s\n", r, what)
	switch r.Action {
	case CrashAfter:
		i.crash()
	case StopAfter, StopBefore:
		i.stop()
		fmt.Fprintf(os.Stderr, "faultinject: %s: resumed\n", r)
	}
}

// WrapTransport wraps the Kubernetes REST transport (rest.Config.Wrap).
func (i *Injector) WrapTransport(rt http.RoundTripper) http.RoundTripper {
	if i == nil || !i.hasAPIRules() {
		return rt
	}
	return &roundTripper{i: i, next: rt}
}

func (i *Injector) hasAPIRules() bool {
	for _, r := range i.rules {
		if r.IsAPI() {
			return true
		}
	}
	return false
}

type roundTripper struct {
	i    *Injector
	next http.RoundTripper
}

func (t *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	verb, resource, ok := APIWrite(req.Method, req.URL.Path)
	if !ok {
		return t.next.RoundTrip(req)
	}
	for _, r := range t.i.rules {
		if r.Action == StopBefore && r.MatchesAPI(verb, resource) && r.Count() {
			t.i.fire(r, "nothing: before "+req.Method+" "+req.URL.Path)
		}
	}
	for _, r := range t.i.rules {
		if r.Action == Conflict && r.MatchesAPI(verb, resource) && r.Count() {
			if req.Body != nil {
				_ = req.Body.Close()
			}
			fmt.Fprintf(os.Stderr, "faultinject: %s answered %s %s\n", r, req.Method, req.URL.Path)
			return conflictResponse(req, resource, r)
		}
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, err
	}
	for _, r := range t.i.rules {
		if (r.Action == CrashAfter || r.Action == StopAfter) && r.MatchesAPI(verb, resource) && r.Count() {
			t.i.fire(r, req.Method+" "+req.URL.Path)
		}
	}
	return resp, nil
}

// conflictResponse is the 409 the API server sends for a stale
// resourceVersion, as JSON (every client decodes it).
func conflictResponse(req *http.Request, resource string, r *Rule) (*http.Response, error) {
	st := apierrors.NewConflict(schema.GroupResource{Resource: resource}, "",
		errors.New("fault injected ("+r.String()+"): the object has been modified; please apply your changes to the latest version and try again")).ErrStatus
	st.Kind, st.APIVersion = "Status", "v1"
	body, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status:        "409 Conflict",
		StatusCode:    http.StatusConflict,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": []string{"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

// DialOptions returns the gRPC options that apply the rules to agent calls
// (poolclient.Options.DialOptions).
func (i *Injector) DialOptions() []grpc.DialOption {
	if i == nil {
		return nil
	}
	for _, r := range i.rules {
		if !r.IsAPI() {
			return []grpc.DialOption{grpc.WithChainUnaryInterceptor(i.unary)}
		}
	}
	return nil
}

func (i *Injector) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	for _, r := range i.rules {
		if r.Action == StopBefore && r.MatchesMethod(method) && r.Count() {
			i.fire(r, "nothing: before "+method)
		}
	}
	if err := invoker(ctx, method, req, reply, cc, opts...); err != nil {
		return err
	}
	var dropped *Rule
	for _, r := range i.rules {
		if r.Action == StopBefore || !r.MatchesMethod(method) || !r.Count() {
			continue
		}
		switch r.Action {
		case DropReply:
			fmt.Fprintf(os.Stderr, "faultinject: %s dropped the reply of %s\n", r, method)
			dropped = r
		case CrashAfter, StopAfter:
			i.fire(r, method)
		}
	}
	if dropped != nil {
		return status.Errorf(codes.DeadlineExceeded, "fault injected (%s): the agent's reply was lost", dropped)
	}
	return nil
}
