package localenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certValidity is far longer than any test or demo run.
const certValidity = 7 * 24 * time.Hour

// TLSFiles are the PEM files of one mTLS identity: its certificate and key,
// and the CA that verifies the other side.
type TLSFiles struct {
	CertFile, KeyFile, CAFile string
}

// agentPKI is the mTLS material of the operator-agent link: one CA signs
// every agent's serving certificate and every client certificate, as one
// cert-manager Issuer does in manifests/components/tls-cert-manager.
type agentPKI struct {
	dir    string
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caPEM  []byte
}

// newAgentPKI generates a CA and writes its certificate to dir/ca.crt.
func newAgentPKI(dir string) (*agentPKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent PKI: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("agent PKI: generate CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "diskpool-localenv-agent-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := issue(tmpl, key, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("agent PKI: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("agent PKI: CA certificate: %w", err)
	}
	p := &agentPKI{dir: dir, caCert: cert, caKey: key, caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	if err := os.WriteFile(p.caFile(), p.caPEM, 0o644); err != nil {
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
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return TLSFiles{}, fmt.Errorf("certificate %s: %w", name, err)
	}
	now := time.Now()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(certValidity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := issue(tmpl, key, p.caCert, p.caKey)
	if err != nil {
		return TLSFiles{}, fmt.Errorf("certificate %s: %w", name, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return TLSFiles{}, fmt.Errorf("certificate %s: %w", name, err)
	}
	f := TLSFiles{
		CertFile: filepath.Join(p.dir, name+".crt"),
		KeyFile:  filepath.Join(p.dir, name+".key"),
		CAFile:   p.caFile(),
	}
	if err := os.WriteFile(f.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return TLSFiles{}, fmt.Errorf("certificate %s: %w", name, err)
	}
	if err := os.WriteFile(f.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return TLSFiles{}, fmt.Errorf("certificate %s: %w", name, err)
	}
	return f, nil
}

// issue signs tmpl for key with parent and parentKey, or self-signs it when
// parent is nil, and returns the DER certificate.
func issue(tmpl *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	return x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
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
