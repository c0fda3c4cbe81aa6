package localcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// etcdConfig is everything needed to (re)start the etcd member.
type etcdConfig struct {
	binary        string
	dataDir       string
	logPath       string
	clientPort    int
	peerPort      int
	unsafeNoFsync bool
	surviveParent bool
	stopTimeout   time.Duration
}

func (c etcdConfig) clientURL() string { return "http://127.0.0.1:" + strconv.Itoa(c.clientPort) }
func (c etcdConfig) peerURL() string   { return "http://127.0.0.1:" + strconv.Itoa(c.peerPort) }

func (c etcdConfig) args() []string {
	args := []string{
		"--name=localcluster",
		"--data-dir=" + c.dataDir,
		"--listen-client-urls=" + c.clientURL(),
		"--advertise-client-urls=" + c.clientURL(),
		"--listen-peer-urls=" + c.peerURL(),
		"--initial-advertise-peer-urls=" + c.peerURL(),
		"--initial-cluster=localcluster=" + c.peerURL(),
		"--log-level=warn",
		// The ports are held by this process (HeldPort).
		"--socket-reuse-port",
	}
	if c.unsafeNoFsync {
		args = append(args, "--unsafe-no-fsync")
	}
	return args
}

// startEtcd starts etcd and waits until it reports itself healthy.
func startEtcd(ctx context.Context, c etcdConfig, timeout time.Duration) (*Process, error) {
	p, err := StartProcess(ProcessConfig{
		Name:          "etcd",
		Path:          c.binary,
		Args:          c.args(),
		LogPath:       c.logPath,
		StopTimeout:   c.stopTimeout,
		SurviveParent: c.surviveParent,
	})
	if err != nil {
		return nil, err
	}
	url := c.clientURL() + "/health"
	if err := waitReady(ctx, p, timeout, func(ctx context.Context) error { return etcdHealthy(ctx, url) }); err != nil {
		return nil, stopAfter(p, err)
	}
	return p, nil
}

// etcdHealthy checks etcd's /health endpoint, which answers {"health":"true"}
// once the member has a leader and serves reads.
func etcdHealthy(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return err
	}
	var health struct {
		Health string `json:"health"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(body, &health); err != nil {
		return fmt.Errorf("GET %s: %s: %q", url, resp.Status, body)
	}
	if resp.StatusCode != http.StatusOK || health.Health != "true" {
		return fmt.Errorf("GET %s: %s: health=%q reason=%q", url, resp.Status, health.Health, health.Reason)
	}
	return nil
}

// stopAfter stops p after a failed start and returns err, noting a failed
// stop too.
func stopAfter(p *Process, err error) error {
	if stopErr := p.Stop(); stopErr != nil {
		return fmt.Errorf("%w; stopping it failed too: %w", err, stopErr)
	}
	return err
}
