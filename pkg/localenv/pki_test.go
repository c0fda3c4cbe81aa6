package localenv

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
)

// TestAgentPKIMutualTLS checks an agent serving certificate and a client
// certificate from one agentPKI complete a TLS 1.3 handshake with client
// verification, under both names the operator may check.
func TestAgentPKIMutualTLS(t *testing.T) {
	p, err := newAgentPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	server, err := p.server("agent-node-a")
	if err != nil {
		t.Fatal(err)
	}
	client, err := p.client("operator", "diskpool-operator")
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(client.KeyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("client key mode: %v %v", fi.Mode(), err)
	}
	cert, err := tls.LoadX509KeyPair(server.CertFile, server.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(server.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	serverCfg := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}

	for _, name := range []string{AgentTLSServerName, "127.0.0.1"} {
		t.Run(name, func(t *testing.T) {
			l, err := tls.Listen("tcp", "127.0.0.1:0", serverCfg)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = l.Close() }()
			errc := make(chan error, 1)
			go func() {
				c, err := l.Accept()
				if err != nil {
					errc <- err
					return
				}
				defer func() { _ = c.Close() }()
				errc <- c.(*tls.Conn).Handshake()
			}()
			cfg, err := client.ClientTLSConfig(name)
			if err != nil {
				t.Fatal(err)
			}
			if name == "127.0.0.1" {
				cfg.ServerName = "" // verified against the IP SAN
			}
			c, err := tls.Dial("tcp", l.Addr().String(), cfg)
			if err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			_ = c.Close()
			if err := <-errc; err != nil {
				t.Fatalf("server handshake: %v", err)
			}
		})
	}
}

// TestAgentPKIRejectsForeignClient checks the agent side refuses a client
// certificate from another CA.
func TestAgentPKIRejectsForeignClient(t *testing.T) {
	p, err := newAgentPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other, err := newAgentPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	server, _ := p.server("agent")
	foreign, err := other.client("intruder", "intruder")
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := tls.LoadX509KeyPair(server.CertFile, server.KeyFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.ca.CertPEM)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	errc := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer func() { _ = c.Close() }()
		errc <- c.(*tls.Conn).Handshake()
	}()
	cfg, err := foreign.ClientTLSConfig(AgentTLSServerName)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RootCAs = pool // trust the server, so only the client side can fail
	c, err := tls.Dial("tcp", l.Addr().String(), cfg)
	if err == nil {
		// TLS 1.3: the client learns of the rejection on its first read.
		_, err = c.Read(make([]byte, 1))
		_ = c.Close()
	}
	if serr := <-errc; serr == nil {
		t.Fatal("server accepted a client certificate from another CA")
	}
	if err == nil {
		t.Fatal("client saw no error")
	}
}
