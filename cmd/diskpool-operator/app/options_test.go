package app

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func parse(t *testing.T, args ...string) *Options {
	t.Helper()
	o := NewOptions()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	o.Complete()
	return o
}

func TestDefaults(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "")
	o := parse(t, "--agent-insecure")
	if err := o.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if o.OperatorNamespace != "diskpool-system" || o.Workers != 32 || o.KubeAPIQPS != 200 || o.KubeAPIBurst != 400 ||
		o.BackoffBase != 5*time.Second || o.BackoffMax != 5*time.Minute || o.Resync != 10*time.Hour ||
		!o.LeaderElect || o.LeaderElectLeaseDuration != 15*time.Second || o.Namespaces != nil {
		t.Errorf("unexpected defaults: %+v", o)
	}
}

func TestOperatorNamespaceFromPodNamespace(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "storage-ops")
	if o := parse(t); o.OperatorNamespace != "storage-ops" {
		t.Errorf("operator namespace = %q", o.OperatorNamespace)
	}
	if o := parse(t, "--operator-namespace=other"); o.OperatorNamespace != "other" {
		t.Errorf("flag did not win: %q", o.OperatorNamespace)
	}
}

func TestNamespacesRepeatedAndCommaSeparated(t *testing.T) {
	o := parse(t, "--namespace=b,a", "--namespace", "c", "--namespace= a ")
	if got := strings.Join(o.Namespaces, ","); got != "a,b,c" {
		t.Errorf("namespaces = %q", got)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // substring of the error; "" means valid
	}{
		{"tls files", []string{"--agent-tls-cert-file=c", "--agent-tls-key-file=k", "--agent-tls-ca-file=ca"}, ""},
		{"no transport", nil, "mutual TLS"},
		{"partial tls", []string{"--agent-tls-cert-file=c"}, "mutual TLS"},
		{"insecure and tls", []string{"--agent-insecure", "--agent-tls-ca-file=ca"}, "excludes"},
		{"workers", []string{"--agent-insecure", "--workers=0"}, "--workers"},
		{"qps", []string{"--agent-insecure", "--kube-api-qps=0"}, "--kube-api-qps"},
		{"backoff", []string{"--agent-insecure", "--backoff-base=10m"}, "--backoff-base"},
		{"namespace", []string{"--agent-insecure", "--namespace=Bad_NS"}, "Bad_NS"},
		{"lease timings", []string{"--agent-insecure", "--leader-elect-renew-deadline=20s"}, "retry period"},
		{"lease timings ignored without election", []string{"--agent-insecure", "--leader-elect=false", "--leader-elect-renew-deadline=20s"}, ""},
		{"resync off", []string{"--agent-insecure", "--resync=0"}, ""},
		{"no reconnect grace", []string{"--agent-insecure", "--agent-reconnect-grace=0"}, "--agent-reconnect-grace"},
		{"negative heartbeat", []string{"--agent-insecure", "--agent-heartbeat-interval=-1s"}, "--agent-heartbeat-interval"},
		{"no heartbeats", []string{"--agent-insecure", "--agent-heartbeat-interval=0"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := parse(t, tc.args...).Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestVersionString(t *testing.T) {
	if v := VersionString(); !strings.HasPrefix(v, "diskpool-operator ") || !strings.Contains(v, "go1.") {
		t.Errorf("version = %q", v)
	}
}
