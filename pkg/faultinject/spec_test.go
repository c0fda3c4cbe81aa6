package faultinject

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		spec    string
		want    []string // normalised rules
		wantErr string
	}{
		{spec: "", want: nil},
		{spec: " ; ", want: nil},
		{spec: "crash-after=update:diskpools/status:1;drop-reply=CreatePool:1",
			want: []string{"crash-after=update:diskpools/status:1", "drop-reply=CreatePool:1"}},
		{spec: "crash-after=update:diskpools", want: []string{"crash-after=update:diskpools:1"}},
		{spec: "conflict=update:diskpools/status:2-4", want: []string{"conflict=update:diskpools/status:2-4"}},
		{spec: "stop-after=DestroyPool:3-", want: []string{"stop-after=DestroyPool:3-"}},
		{spec: "stop-before=DestroyPool;stop-before=update:diskpools:2", want: []string{"stop-before=DestroyPool:1", "stop-before=update:diskpools:2"}},
		{spec: "crash-after=/diskpool.agent.v1.PoolService/CreatePool:2", want: []string{"crash-after=/diskpool.agent.v1.PoolService/CreatePool:2"}},
		{spec: "explode=CreatePool", wantErr: `unknown action "explode"`},
		{spec: "crash-after", wantErr: "want action=target"},
		{spec: "crash-after=get:diskpools:1", wantErr: `unknown API verb "get"`},
		{spec: "crash-after=update::1", wantErr: "empty API resource"},
		{spec: "crash-after=a:b:c:1", wantErr: "want verb:resource or a gRPC method"},
		{spec: "crash-after=CreatePool:0", wantErr: "N >= 1"},
		{spec: "crash-after=CreatePool:3-2", wantErr: "M >= N"},
		{spec: "crash-after=CreatePool:1-x", wantErr: "M >= N"},
		{spec: "conflict=CreatePool:1", wantErr: "API writes only"},
		{spec: "drop-reply=update:diskpools:1", wantErr: "gRPC calls only"},
		{spec: "drop-reply=Create Pool", wantErr: "invalid gRPC method"},
	} {
		rules, err := Parse(tc.spec)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) error %v, want one containing %q", tc.spec, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		var got []string
		for _, r := range rules {
			got = append(got, r.String())
		}
		if strings.Join(got, ";") != strings.Join(tc.want, ";") {
			t.Errorf("Parse(%q) = %q, want %q", tc.spec, got, tc.want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want string // one letter per call: y picked, n not
	}{
		{"crash-after=CreatePool", "ynnn"},
		{"crash-after=CreatePool:3", "nnyn"},
		{"conflict=update:x:2-3", "nyyn"},
		{"drop-reply=CreatePool:2-", "nyyy"},
	} {
		rules, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		for range len(tc.want) {
			if rules[0].Count() {
				got.WriteByte('y')
			} else {
				got.WriteByte('n')
			}
		}
		if got.String() != tc.want {
			t.Errorf("%s picks %s, want %s", tc.spec, got.String(), tc.want)
		}
	}
}

func TestMatches(t *testing.T) {
	rules, err := Parse("crash-after=update:diskpools/status;crash-after=CreatePool")
	if err != nil {
		t.Fatal(err)
	}
	api, grpc := rules[0], rules[1]
	if !api.MatchesAPI("update", "diskpools/status") || api.MatchesAPI("update", "diskpools") || api.MatchesMethod("CreatePool") {
		t.Errorf("API rule %s matches wrongly", api)
	}
	if !grpc.MatchesMethod("/diskpool.agent.v1.PoolService/CreatePool") || !grpc.MatchesMethod("CreatePool") ||
		grpc.MatchesMethod("/diskpool.agent.v1.PoolService/CreatePoolX") || grpc.MatchesAPI("update", "CreatePool") {
		t.Errorf("gRPC rule %s matches wrongly", grpc)
	}
}

func TestAPIWrite(t *testing.T) {
	for _, tc := range []struct {
		method, path   string
		verb, resource string
		ok             bool
	}{
		{"PUT", "/apis/openebs.io/v1beta3/namespaces/ns/diskpools/p1/status", "update", "diskpools/status", true},
		{"PUT", "/apis/openebs.io/v1beta3/namespaces/ns/diskpools/p1", "update", "diskpools", true},
		{"POST", "/apis/events.k8s.io/v1/namespaces/ns/events", "create", "events", true},
		{"PATCH", "/apis/events.k8s.io/v1/namespaces/ns/events/e1", "patch", "events", true},
		{"PUT", "/apis/coordination.k8s.io/v1/namespaces/diskpool-system/leases/diskpool-operator", "update", "leases", true},
		{"DELETE", "/api/v1/nodes/n1", "delete", "nodes", true},
		{"POST", "/api/v1/namespaces", "create", "namespaces", true},
		{"GET", "/apis/openebs.io/v1beta3/namespaces/ns/diskpools/p1", "", "", false},
		{"PUT", "/healthz", "", "", false},
		{"PUT", "/apis/openebs.io/v1beta3/namespaces/ns/diskpools/p1/status/extra", "", "", false},
	} {
		verb, resource, ok := APIWrite(tc.method, tc.path)
		if verb != tc.verb || resource != tc.resource || ok != tc.ok {
			t.Errorf("APIWrite(%s %s) = %q %q %v, want %q %q %v", tc.method, tc.path, verb, resource, ok, tc.verb, tc.resource, tc.ok)
		}
	}
}

func TestNilInjector(t *testing.T) {
	var i *Injector
	if i.DialOptions() != nil {
		t.Error("a nil injector adds dial options")
	}
	if rt := i.WrapTransport(nil); rt != nil {
		t.Error("a nil injector wraps the transport")
	}
}
