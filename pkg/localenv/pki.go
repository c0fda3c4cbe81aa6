package localenv

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/diskpool/diskpool-operator/pkg/localcluster/pki"
)

// TLSFiles are the PEM files of one mTLS identity: its certificate and key,
// and the CA that verifies the other side.
type TLSFiles struct {
	CertFile, KeyFile, CAFile string
}

// agentPKI is the mTLS material of the operator-agent link: one CA signs
// every agent's serving certificate and every client certificate, as one
// cert-manager Issuer does in manifests/components/tls-cert-manager.
type agentPKI struct {
	dir string
	ca  *pki.CA
}

// newAgentPKI generates a CA and writes its certificate to dir/ca.crt.
func newAgentPKI(dir string) (*agentPKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent PKI: %w", err)
	}
	ca, err := pki.NewCA("diskpool-localenv-agent-ca")
	if err != nil {
		return nil, fmt.Errorf("agent PKI: CA: %w", err)
	}
	p := &agentPKI{dir: dir, ca: ca}
	if err := os.WriteFile(p.caFile(), ca.CertPEM, 0o644); err != nil {
		return nil, fmt.Errorf("agent PKI: %w", err)
	}
	return p, nil
}

func (p *agentPKI) caFile() string { return filepath.Join(p.dir, "ca.crt") }

// server issues a serving certificate for an agent listening on 127.0.0.1,
// also valid for AgentTLSServerName, and writes it as <name>.crt/.key.
func (p *agentPKI) server(name string) (TLSFiles, error) {
	return p.leaf(name, &x509.Certificate{
		Subject:     pkix.Name{CommonName: AgentTLSServerName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{AgentTLSServerName, "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	})
}

// client issues a client certificate with common name cn, written as
// <name>.crt/.key.
func (p *agentPKI) client(name, cn string) (TLSFiles, error) {
	return p.leaf(name, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

func (p *agentPKI) leaf(name string, tmpl *x509.Certificate) (TLSFiles, error) {
	pair, err := p.ca.Issue(tmpl)
	if err != nil {
		return TLSFiles{}, fmt.Errorf("certificate %s: %w", name, err)
	}
	f := TLSFiles{
		CertFile: filepath.Join(p.dir, name+".crt"),
		KeyFile:  filepath.Join(p.dir, name+".key"),
		CAFile:   p.caFile(),
	}
	if err := os.WriteFile(f.CertFile, pair.CertPEM, 0o644); err != nil {
		return TLSFiles{}, fmt.Errorf("certificate %s: %w", name, err)
	}
	if err := os.WriteFile(f.KeyFile, pair.KeyPEM, 0o600); err != nil {
		return TLSFiles{}, fmt.Errorf("certificate %s: %w", name, err)
	}
	return f, nil
}

// ClientTLSConfig loads f as a TLS 1.3 client configuration that presents
// f's certificate and verifies the server against f's CA under serverName.
func (f TLSFiles) ClientTLSConfig(serverName string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load client certificate: %w", err)
	}
	caPEM, err := os.ReadFile(f.CAFile)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("CA file %s holds no certificate", f.CAFile)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ServerName:   serverName,
	}, nil
}
