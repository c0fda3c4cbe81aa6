// Package tlsrecipe runs the openssl commands docs/operations.md gives for
// the self-managed TLS Secrets, and checks that the files they produce let
// the operator's client (pkg/poolclient) and the agent's server
// (pkg/agent/transport) complete a mutual-TLS handshake, and that a client
// without the operator's certificate is refused.
package tlsrecipe

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/agent/transport"
	"github.com/diskpool/diskpool-operator/pkg/poolclient"
	"github.com/diskpool/diskpool-operator/test/manifests"
)

const marker = "<!-- tls-recipe"

// recipe returns the first ```sh block after the marker in operations.md.
func recipe(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(manifests.Root(t), "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(data), marker)
	if !ok {
		t.Fatalf("docs/operations.md: no %q marker", marker)
	}
	_, block, ok := strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatal("docs/operations.md: no ```sh block after the marker")
	}
	block, _, ok = strings.Cut(block, "```")
	if !ok {
		t.Fatal("docs/operations.md: unterminated ```sh block")
	}
	return block
}

func TestDocumentedTLSRecipe(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("Skipping: openssl is not installed")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", recipe(t))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the documented openssl commands fail: %v\n%s", err, out)
	}
	f := func(name string) string { return filepath.Join(dir, name) }

	serverCfg, err := transport.ServerTLSConfig(transport.TLSFiles{
		CertFile: f("agent.crt"), KeyFile: f("agent.key"), ClientCAFile: f("ca.crt"),
	}, func(err error) { t.Errorf("reload: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverCfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer func() { _ = ln.Close(); <-done }()
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// Complete the handshake (or fail it), then answer one byte.
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if err := c.(*tls.Conn).Handshake(); err == nil {
				_, _ = c.Write([]byte("k"))
			}
			_ = c.Close()
		}
	}()

	dial := func(cfg *tls.Config) error {
		d := tls.Dialer{Config: cfg, NetDialer: &net.Dialer{Timeout: 5 * time.Second}}
		c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer func() { _ = c.Close() }()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		// TLS 1.3: a rejected client certificate surfaces on the first read.
		buf := make([]byte, 1)
		_, err = io.ReadFull(c, buf)
		return err
	}

	// clientTLS is the operator's client configuration (poolclient) with
	// the recipe's <identity>.crt and .key.
	clientTLS := func(t *testing.T, identity, serverName string) *tls.Config {
		t.Helper()
		cfg, err := poolclient.LoadClientTLS(poolclient.TLSOptions{
			CertFile: f(identity + ".crt"), KeyFile: f(identity + ".key"), CAFile: f("ca.crt"), ServerName: serverName,
		})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	t.Run("operator certificate accepted", func(t *testing.T) {
		// diskpool-agent: --agent-tls-server-name in the manifests.
		if err := dial(clientTLS(t, "operator", "diskpool-agent")); err != nil {
			t.Errorf("handshake with the documented certificates failed: %v", err)
		}
	})
	t.Run("client without a certificate refused", func(t *testing.T) {
		cfg := clientTLS(t, "operator", "diskpool-agent")
		cfg.Certificates = nil
		if err := dial(cfg); err == nil {
			t.Error("an agent accepted a client without a certificate")
		}
	})
	t.Run("agent certificate is not a client certificate", func(t *testing.T) {
		if err := dial(clientTLS(t, "agent", "diskpool-agent")); err == nil {
			t.Error("the agent's serving certificate was accepted as a client certificate")
		}
	})
	t.Run("wrong server name refused", func(t *testing.T) {
		var verr *tls.CertificateVerificationError
		if err := dial(clientTLS(t, "operator", "not-the-agent")); !errors.As(err, &verr) {
			t.Errorf("want a certificate verification error, got %v", err)
		}
	})
}
