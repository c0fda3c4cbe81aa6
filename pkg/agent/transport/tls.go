// Package transport builds the agent's gRPC server transport security:
// mutual TLS 1.3 where the server requires and verifies a client
// certificate signed by the configured CA. Certificate and CA files are
// re-read when they change, so rotated certificates (cert-manager, kubelet)
// are picked up without a restart.
package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// TLSFiles are the PEM files of the server's mTLS configuration.
type TLSFiles struct {
	CertFile, KeyFile, ClientCAFile string
}

// Complete reports whether all three files are set; Any whether one is.
func (f TLSFiles) Complete() bool { return f.CertFile != "" && f.KeyFile != "" && f.ClientCAFile != "" }

// Any reports whether any file is set.
func (f TLSFiles) Any() bool { return f.CertFile != "" || f.KeyFile != "" || f.ClientCAFile != "" }

// reloadCheckInterval bounds how often the files are stat'ed.
const reloadCheckInterval = time.Second

// ServerTLSConfig returns a TLS 1.3 server config that requires client
// certificates verified against ClientCAFile. The files are loaded now (an
// error if any is missing or invalid) and reloaded on a later handshake
// after they change; a reload that fails keeps the previous files and is
// reported to onReloadError (may be nil).
func ServerTLSConfig(files TLSFiles, onReloadError func(error)) (*tls.Config, error) {
	if !files.Complete() {
		return nil, errors.New("mTLS needs a certificate, a key and a client CA file")
	}
	r := &reloader{files: files, onErr: onReloadError}
	if err := r.load(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return r.config(), nil
		},
	}, nil
}

type reloader struct {
	files TLSFiles
	onErr func(error)

	mu        sync.Mutex
	cfg       *tls.Config
	mtimes    [3]time.Time
	lastCheck time.Time
}

func (r *reloader) config() *tls.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.lastCheck) >= reloadCheckInterval {
		r.lastCheck = time.Now()
		if m, err := r.stat(); err == nil && m != r.mtimes {
			if err := r.loadLocked(); err != nil && r.onErr != nil {
				r.onErr(err)
			}
		}
	}
	return r.cfg
}

func (r *reloader) stat() ([3]time.Time, error) {
	var m [3]time.Time
	for i, f := range []string{r.files.CertFile, r.files.KeyFile, r.files.ClientCAFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return m, err
		}
		m[i] = fi.ModTime()
	}
	return m, nil
}

func (r *reloader) load() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loadLocked()
}

func (r *reloader) loadLocked() error {
	m, err := r.stat()
	if err != nil {
		return fmt.Errorf("tls files: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(r.files.CertFile, r.files.KeyFile)
	if err != nil {
		return fmt.Errorf("load server certificate %s and key %s: %w", r.files.CertFile, r.files.KeyFile, err)
	}
	caPEM, err := os.ReadFile(r.files.ClientCAFile)
	if err != nil {
		return fmt.Errorf("read client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("client CA file %s holds no PEM certificate", r.files.ClientCAFile)
	}
	r.cfg = &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
	r.mtimes = m
	return nil
}
