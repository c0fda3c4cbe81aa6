package poolclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSOptions names the files of the operator's mutual-TLS identity towards
// the agents.
type TLSOptions struct {
	// CertFile and KeyFile are the client certificate and key (PEM) the
	// operator presents to agents.
	CertFile string
	KeyFile  string
	// CAFile holds the PEM certificates that sign the agents' serving
	// certificates.
	CAFile string
	// ServerName overrides the name checked against the agent's
	// certificate. Agents are dialled by IP from their Lease, so a shared
	// name in their certificates (e.g. "diskpool-agent") is the usual setup.
	ServerName string
}

// LoadClientTLS reads the files named by o into a client tls.Config. It
// reads them on every call, so a caller that loads per connection picks up
// rotated certificates.
func LoadClientTLS(o TLSOptions) (*tls.Config, error) {
	if o.CertFile == "" || o.KeyFile == "" || o.CAFile == "" {
		return nil, errors.New("agent TLS needs a client certificate, a client key and a CA file")
	}
	certPEM, err := os.ReadFile(o.CertFile)
	if err != nil {
		return nil, fmt.Errorf("read agent client certificate %s: %w", o.CertFile, err)
	}
	keyPEM, err := os.ReadFile(o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("read agent client key %s: %w", o.KeyFile, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load agent client key pair (certificate %s, key %s): %w", o.CertFile, o.KeyFile, err)
	}
	caPEM, err := os.ReadFile(o.CAFile)
	if err != nil {
		return nil, fmt.Errorf("read agent CA certificate %s: %w", o.CAFile, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("agent CA certificate %s: no PEM certificate found", o.CAFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ServerName:   o.ServerName,
		MinVersion:   tls.VersionTLS13,
	}, nil
}
