// Package faultinject is the operator's fault-injection hook, for the
// fault suite (test/fault) only. It is compiled into the operator only with
// the build tag faultinject: without it, FromEnv returns a nil *Injector
// whose methods change nothing, and the shipped binary holds none of the
// code that acts on a fault (inject.go is build-tagged; this file is pure
// parsing and counting, which the linker drops when nothing calls it).
//
// A faultinject build reads its faults from the environment variable
// DISKPOOL_FAULTS, a list of rules separated by ';':
//
//	action=target:calls
//
// The target is either an API write, verb:resource (verb one of create,
// update, patch, delete; resource as in the URL, with its subresource:
// diskpools, diskpools/status, leases), or a PoolService method of the
// agent (CreatePool, DestroyPool). calls picks matching calls by their
// 1-based count in this process: N (the Nth only), N-M (the Nth to the
// Mth), or N- (the Nth and every later one); omitted means 1.
//
// Actions:
//
//	crash-after  exit at once with status 137 (as SIGKILL would: no
//	             deferred function, no Lease release, no flush) right after
//	             the picked call returned success; the write is committed
//	stop-after   stop the whole process with SIGSTOP right after the picked
//	             call returned success (a frozen leader: the test resumes
//	             it with SIGCONT)
//	stop-before  the same, right before the picked call is sent: on SIGCONT
//	             the call goes out with whatever the process knew when it
//	             stopped (a stale leader's last word)
//	conflict     answer the picked API write with 409 Conflict without
//	             sending it (API targets only)
//	drop-reply   send the picked gRPC call to the agent, let it succeed
//	             there, and report codes.DeadlineExceeded: the reply was
//	             lost (gRPC targets only)
//
// crash-after, stop-after and drop-reply count successful calls only (a
// refused write changed nothing); conflict and stop-before count every
// matching request.
//
// Example: DISKPOOL_FAULTS="crash-after=update:diskpools/status:1;drop-reply=CreatePool:1".
package faultinject

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// EnvVar names the environment variable a faultinject build reads.
const EnvVar = "DISKPOOL_FAULTS"

// Action is what a rule does to the calls it picks.
type Action string

// The actions; see the package documentation.
const (
	CrashAfter Action = "crash-after"
	StopAfter  Action = "stop-after"
	StopBefore Action = "stop-before"
	Conflict   Action = "conflict"
	DropReply  Action = "drop-reply"
)

// Rule is one parsed rule.
type Rule struct {
	Action Action
	// Verb and Resource are set for an API target, Method for a gRPC one.
	Verb     string
	Resource string
	Method   string
	// From and To are the 1-based counts picked; To 0 means no end.
	From, To int

	mu   sync.Mutex
	seen int
}

// String returns the rule as it was written (normalised).
func (r *Rule) String() string {
	target := r.Method
	if target == "" {
		target = r.Verb + ":" + r.Resource
	}
	calls := strconv.Itoa(r.From)
	switch {
	case r.To == 0:
		calls += "-"
	case r.To != r.From:
		calls += "-" + strconv.Itoa(r.To)
	}
	return fmt.Sprintf("%s=%s:%s", r.Action, target, calls)
}

// IsAPI reports whether the rule targets Kubernetes API writes.
func (r *Rule) IsAPI() bool { return r.Method == "" }

// MatchesAPI reports whether the rule targets this API write.
func (r *Rule) MatchesAPI(verb, resource string) bool {
	return r.IsAPI() && r.Verb == verb && r.Resource == resource
}

// MatchesMethod reports whether the rule targets this gRPC method, given
// as the method name or the full "/pkg.Service/Method".
func (r *Rule) MatchesMethod(fullMethod string) bool {
	if r.IsAPI() {
		return false
	}
	return fullMethod == r.Method || strings.HasSuffix(fullMethod, "/"+r.Method)
}

// Count counts one more matching call and reports whether the rule picks
// it. It is safe for concurrent use.
func (r *Rule) Count() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen++
	return r.seen >= r.From && (r.To == 0 || r.seen <= r.To)
}

var apiVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true}

// Parse parses a DISKPOOL_FAULTS value. An empty value gives no rules.
func Parse(spec string) ([]*Rule, error) {
	var rules []*Rule
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		r, err := parseRule(part)
		if err != nil {
			return nil, fmt.Errorf("%s: rule %q: %w", EnvVar, part, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func parseRule(s string) (*Rule, error) {
	action, target, ok := strings.Cut(s, "=")
	if !ok {
		return nil, fmt.Errorf("want action=target[:calls]")
	}
	r := &Rule{Action: Action(strings.TrimSpace(action)), From: 1, To: 1}
	switch r.Action {
	case CrashAfter, StopAfter, StopBefore, Conflict, DropReply:
	default:
		return nil, fmt.Errorf("unknown action %q (want %s, %s, %s, %s or %s)", r.Action, CrashAfter, StopAfter, StopBefore, Conflict, DropReply)
	}
	fields := strings.Split(strings.TrimSpace(target), ":")
	// verb:resource[:calls] or Method[:calls]: a trailing field that starts
	// with a digit is the calls.
	if n := len(fields); n > 1 && fields[n-1] != "" && fields[n-1][0] >= '0' && fields[n-1][0] <= '9' {
		if err := r.parseCalls(fields[n-1]); err != nil {
			return nil, err
		}
		fields = fields[:n-1]
	}
	switch len(fields) {
	case 1:
		r.Method = fields[0]
		if r.Method == "" || strings.ContainsAny(r.Method, " \t") {
			return nil, fmt.Errorf("invalid gRPC method %q", r.Method)
		}
	case 2:
		r.Verb, r.Resource = fields[0], fields[1]
		if !apiVerbs[r.Verb] {
			return nil, fmt.Errorf("unknown API verb %q (want create, update, patch or delete)", r.Verb)
		}
		if r.Resource == "" {
			return nil, fmt.Errorf("empty API resource")
		}
	default:
		return nil, fmt.Errorf("want verb:resource or a gRPC method, got %q", target)
	}
	switch {
	case r.Action == Conflict && !r.IsAPI():
		return nil, fmt.Errorf("%s applies to API writes only", Conflict)
	case r.Action == DropReply && r.IsAPI():
		return nil, fmt.Errorf("%s applies to gRPC calls only", DropReply)
	}
	return r, nil
}

func (r *Rule) parseCalls(s string) error {
	from, to, isRange := strings.Cut(s, "-")
	f, err := strconv.Atoi(from)
	if err != nil || f < 1 {
		return fmt.Errorf("calls %q: want N, N-M or N- with N >= 1", s)
	}
	r.From, r.To = f, f
	if !isRange {
		return nil
	}
	if to == "" {
		r.To = 0
		return nil
	}
	t, err := strconv.Atoi(to)
	if err != nil || t < f {
		return fmt.Errorf("calls %q: want N, N-M or N- with M >= N", s)
	}
	r.To = t
	return nil
}

// APIWrite classifies an HTTP request to the Kubernetes API as a write:
// its verb (create, update, patch, delete) and resource with subresource
// ("diskpools/status"). ok is false for reads and anything unparsable.
func APIWrite(method, path string) (verb, resource string, ok bool) {
	switch method {
	case "POST":
		verb = "create"
	case "PUT":
		verb = "update"
	case "PATCH":
		verb = "patch"
	case "DELETE":
		verb = "delete"
	default:
		return "", "", false
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	// /api/v1/... or /apis/group/version/...
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		parts = parts[3:]
	default:
		return "", "", false
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		parts = parts[2:]
	}
	switch len(parts) {
	case 1, 2: // resource, resource/name
		return verb, parts[0], true
	case 3: // resource/name/subresource
		return verb, parts[0] + "/" + parts[2], true
	}
	return "", "", false
}
