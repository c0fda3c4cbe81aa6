package poolclient

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/diskpool/diskpool-operator/pkg/localcluster/pki"
)

// testPKI is a CA with one agent serving certificate and one operator
// client certificate, written to a temporary directory.
type testPKI struct {
	dir                   string
	caFile                string
	clientCert, clientKey string
	serverCert, serverKey string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.NewCA("diskpool test CA")
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{dir: dir, caFile: filepath.Join(dir, "ca.crt")}
	writeFile(t, p.caFile, ca.CertPEM)
	issue := func(name string, usage x509.ExtKeyUsage, dnsNames []string) (string, string) {
		pair, err := ca.Issue(&x509.Certificate{
			Subject:     pkix.Name{CommonName: name},
			DNSNames:    dnsNames,
			ExtKeyUsage: []x509.ExtKeyUsage{usage},
		})
		if err != nil {
			t.Fatal(err)
		}
		certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		writeFile(t, certFile, pair.CertPEM)
		writeFile(t, keyFile, pair.KeyPEM)
		return certFile, keyFile
	}
	p.serverCert, p.serverKey = issue("agent", x509.ExtKeyUsageServerAuth, []string{"diskpool-agent"})
	p.clientCert, p.clientKey = issue("operator", x509.ExtKeyUsageClientAuth, nil)
	return p
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// serverTLS is the agent side: its certificate, and client certificates
// required and verified against the CA.
func (p *testPKI) serverTLS(t *testing.T) *tls.Config {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(p.serverCert, p.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}
}

func (p *testPKI) clientOptions() TLSOptions {
	return TLSOptions{CertFile: p.clientCert, KeyFile: p.clientKey, CAFile: p.caFile, ServerName: "diskpool-agent"}
}

func TestLoadClientTLS(t *testing.T) {
	p := newTestPKI(t)
	garbage := filepath.Join(p.dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(p.dir, "missing.pem")

	cfg, err := LoadClientTLS(p.clientOptions())
	if err != nil {
		t.Fatalf("LoadClientTLS: %v", err)
	}
	if len(cfg.Certificates) != 1 || cfg.RootCAs == nil || cfg.ServerName != "diskpool-agent" || cfg.MinVersion != tls.VersionTLS13 {
		t.Errorf("unexpected config: %d certificates, RootCAs %v, ServerName %q", len(cfg.Certificates), cfg.RootCAs != nil, cfg.ServerName)
	}

	tests := []struct {
		name    string
		mutate  func(o *TLSOptions)
		wantErr string
	}{
		{name: "no files", mutate: func(o *TLSOptions) { *o = TLSOptions{} }, wantErr: "needs a client certificate"},
		{name: "missing certificate", mutate: func(o *TLSOptions) { o.CertFile = missing }, wantErr: "read agent client certificate " + missing + ": "},
		{name: "missing key", mutate: func(o *TLSOptions) { o.KeyFile = missing }, wantErr: "read agent client key " + missing + ": "},
		{name: "missing CA", mutate: func(o *TLSOptions) { o.CAFile = missing }, wantErr: "read agent CA certificate " + missing + ": "},
		{name: "garbage certificate", mutate: func(o *TLSOptions) { o.CertFile = garbage }, wantErr: "load agent client key pair (certificate " + garbage},
		{name: "key of another certificate", mutate: func(o *TLSOptions) { o.KeyFile = p.serverKey }, wantErr: "load agent client key pair"},
		{name: "garbage CA", mutate: func(o *TLSOptions) { o.CAFile = garbage }, wantErr: "agent CA certificate " + garbage + ": no PEM certificate found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := p.clientOptions()
			tc.mutate(&o)
			_, err := LoadClientTLS(o)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("LoadClientTLS error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}
