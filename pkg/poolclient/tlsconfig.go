package poolclient

import (
	"bytes"
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
	pem, err := readClientTLS(o)
	if err != nil {
		return nil, err
	}
	return parseClientTLS(o, pem)
}

// clientPEM is the contents of the certificate, key and CA files.
type clientPEM struct{ cert, key, ca []byte }

func readClientTLS(o TLSOptions) (clientPEM, error) {
	var p clientPEM
	if o.CertFile == "" || o.KeyFile == "" || o.CAFile == "" {
		return p, errors.New("agent TLS needs a client certificate, a client key and a CA file")
	}
	var err error
	if p.cert, err = os.ReadFile(o.CertFile); err != nil {
		return p, fmt.Errorf("read agent client certificate %s: %w", o.CertFile, err)
	}
	if p.key, err = os.ReadFile(o.KeyFile); err != nil {
		return p, fmt.Errorf("read agent client key %s: %w", o.KeyFile, err)
	}
	if p.ca, err = os.ReadFile(o.CAFile); err != nil {
		return p, fmt.Errorf("read agent CA certificate %s: %w", o.CAFile, err)
	}
	return p, nil
}

func (p clientPEM) equal(q clientPEM) bool {
	return bytes.Equal(p.cert, q.cert) && bytes.Equal(p.key, q.key) && bytes.Equal(p.ca, q.ca)
}

// parseClientTLS builds the client tls.Config of o from the files' contents.
func parseClientTLS(o TLSOptions, p clientPEM) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(p.cert, p.key)
	if err != nil {
		return nil, fmt.Errorf("load agent client key pair (certificate %s, key %s): %w", o.CertFile, o.KeyFile, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(p.ca) {
		return nil, fmt.Errorf("agent CA certificate %s: no PEM certificate found", o.CAFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ServerName:   o.ServerName,
		MinVersion:   tls.VersionTLS13,
	}, nil
}
