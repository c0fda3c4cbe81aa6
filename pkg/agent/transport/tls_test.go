package transport

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/diskpool/diskpool-operator/pkg/agent/transport/transporttest"
)

// serve runs a gRPC health server with cfg on 127.0.0.1 and returns its
// address.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(cfg)))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func check(t *testing.T, addr string, cfg *tls.Config) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return err
}

func TestMutualTLS(t *testing.T) {
	ca := transporttest.NewCA(t, "agent-ca")
	clientCA := transporttest.NewCA(t, "client-ca")
	otherCA := transporttest.NewCA(t, "other-ca")
	dir := t.TempDir()
	cert, key, caFile := transporttest.ServerFiles(t, dir, ca.Server(t), clientCA)
	cfg, err := ServerTLSConfig(TLSFiles{CertFile: cert, KeyFile: key, ClientCAFile: caFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, cfg)

	good := clientCA.Client(t, "diskpool-operator").TLS(t)
	forged := otherCA.Client(t, "diskpool-operator").TLS(t)
	tests := []struct {
		name    string
		cfg     *tls.Config
		wantErr bool
	}{
		{"valid client certificate", &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{good}}, false},
		{"no client certificate", &tls.Config{RootCAs: ca.Pool()}, true},
		{"certificate from another CA", &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{forged}}, true},
		{"TLS 1.2 only", &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{good}, MaxVersion: tls.VersionTLS12}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := check(t, addr, tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Check() error = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestReloadClientCA(t *testing.T) {
	ca := transporttest.NewCA(t, "agent-ca")
	oldCA, newCA := transporttest.NewCA(t, "old"), transporttest.NewCA(t, "new")
	dir := t.TempDir()
	cert, key, caFile := transporttest.ServerFiles(t, dir, ca.Server(t), oldCA)
	cfg, err := ServerTLSConfig(TLSFiles{CertFile: cert, KeyFile: key, ClientCAFile: caFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, cfg)
	newClient := &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{newCA.Client(t, "op").TLS(t)}}
	if check(t, addr, newClient) == nil {
		t.Fatal("client of the new CA accepted before rotation")
	}
	if err := os.WriteFile(caFile, newCA.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Minute)
	if err := os.Chtimes(caFile, future, future); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for check(t, addr, newClient) != nil {
		if time.Now().After(deadline) {
			t.Fatal("rotated client CA never picked up")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestServerTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	ca := transporttest.NewCA(t, "ca")
	cert, key, caFile := transporttest.ServerFiles(t, dir, ca.Server(t), ca)
	tests := []struct {
		name  string
		files TLSFiles
	}{
		{"incomplete", TLSFiles{CertFile: cert, KeyFile: key}},
		{"missing cert", TLSFiles{CertFile: dir + "/nope", KeyFile: key, ClientCAFile: caFile}},
		{"key is not a key", TLSFiles{CertFile: cert, KeyFile: caFile, ClientCAFile: caFile}},
		{"CA is not PEM", TLSFiles{CertFile: cert, KeyFile: key, ClientCAFile: dir}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ServerTLSConfig(tt.files, nil); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
