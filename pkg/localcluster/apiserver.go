package localcluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// ServiceAccountIssuer is the issuer of ServiceAccount tokens.
const ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// apiserverConfig is everything needed to (re)start kube-apiserver.
type apiserverConfig struct {
	binary        string
	certDir       string
	logPath       string
	address       string
	port          int
	etcdURL       string
	serviceCIDR   string
	files         PKIFiles
	pki           *PKI
	extraArgs     []string
	surviveParent bool
	stopTimeout   time.Duration
}

func (c apiserverConfig) url() string {
	return "https://" + net.JoinHostPort(c.address, strconv.Itoa(c.port))
}

func (c apiserverConfig) args() []string {
	args := []string{
		"--etcd-servers=" + c.etcdURL,
		"--bind-address=" + c.address,
		"--secure-port=" + strconv.Itoa(c.port),
		// The port is held by this process (HeldPort).
		"--permit-port-sharing",
		"--advertise-address=" + c.address,
		"--authorization-mode=Node,RBAC",
		"--client-ca-file=" + c.files.CACert,
		"--tls-cert-file=" + c.files.ServingCert,
		"--tls-private-key-file=" + c.files.ServingKey,
		"--cert-dir=" + c.certDir,
		"--service-account-issuer=" + ServiceAccountIssuer,
		"--service-account-key-file=" + c.files.ServiceAccountPublicKey,
		"--service-account-signing-key-file=" + c.files.ServiceAccountKey,
		"--service-cluster-ip-range=" + c.serviceCIDR,
	}
	if ip := net.ParseIP(c.address); ip != nil && ip.IsLoopback() {
		// v1.37 refuses a loopback advertise address unless the endpoint
		// reconciler is off: without pods, nothing needs the kubernetes
		// Service endpoints.
		args = append(args, "--endpoint-reconciler-type=none")
	}
	return append(args, c.extraArgs...)
}

// startAPIServer starts kube-apiserver and waits until /readyz succeeds.
func startAPIServer(ctx context.Context, c apiserverConfig, timeout time.Duration) (*Process, error) {
	client, err := adminHTTPClient(c.pki)
	if err != nil {
		return nil, err
	}
	p, err := StartProcess(ProcessConfig{
		Name:          "kube-apiserver",
		Path:          c.binary,
		Args:          c.args(),
		LogPath:       c.logPath,
		StopTimeout:   c.stopTimeout,
		SurviveParent: c.surviveParent,
	})
	if err != nil {
		return nil, err
	}
	url := c.url() + "/readyz"
	if err := waitReady(ctx, p, timeout, func(ctx context.Context) error { return apiserverReady(ctx, client, url) }); err != nil {
		return nil, stopAfter(p, err)
	}
	return p, nil
}

// adminHTTPClient returns an HTTP client that trusts the cluster CA and
// authenticates with the admin certificate.
func adminHTTPClient(pki *PKI) (*http.Client, error) {
	cert, err := tls.X509KeyPair(pki.Admin.CertPEM, pki.Admin.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("load admin certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pki.CA.CertPEM) {
		return nil, errors.New("load CA certificate: no certificate found")
	}
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		// A fresh connection per poll, so no idle connection outlives the
		// readiness wait.
		DisableKeepAlives: true,
	}}, nil
}

// apiserverReady checks /readyz, which succeeds once storage, RBAC bootstrap
// and the other post-start hooks are done.
func apiserverReady(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return nil
}
