package soak

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature/sigtest"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// agentCall dials node's current agent (a restarted one listens elsewhere)
// over mutual TLS and runs call, bounded by callTimeout.
func (s *soak) agentCall(node string, call func(context.Context, agentv1.PoolServiceClient) error) error {
	cfg, err := env.AgentClientTLS().ClientTLSConfig(localenv.AgentTLSServerName)
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(env.AgentEndpoint(node), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(s.ctx, callTimeout)
	defer cancel()
	return call(ctx, agentv1.NewPoolServiceClient(conn))
}

// agentPools lists the run's pools on every agent, by name; an agent that
// does not answer is an error.
func (s *soak) agentPools() (map[string]*agentv1.Pool, error) {
	out := map[string]*agentv1.Pool{}
	for _, n := range nodes {
		err := s.agentCall(n, func(ctx context.Context, c agentv1.PoolServiceClient) error {
			l, err := c.ListPools(ctx, &agentv1.ListPoolsRequest{})
			if err != nil {
				return err
			}
			for _, p := range l.GetPools() {
				if strings.HasPrefix(p.GetName(), s.tag+"-") {
					out[p.GetName()] = p
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("ListPools on %s: %w", n, err)
		}
	}
	return out, nil
}

// Pool creations and destructions in the agents' logs (pkg/agent's
// messages); the logs survive agent restarts.
var (
	createdLog   = regexp.MustCompile(`"Created pool".*\bowner="([^"]*)"`)
	destroyedLog = regexp.MustCompile(`"Destroyed pool".*\buuid="([^"]*)".*\bowner="([^"]*)"`)
	poolNameLog  = regexp.MustCompile(`\bpool="([^"]*)"`)
)

// logEvent is one pool created or destroyed, from an agent's log.
type logEvent struct {
	node, pool, uuid, owner string
}

// agentLogEvents returns the creations and destructions of pools by any
// agent so far.
func agentLogEvents() (created, destroyed []logEvent, err error) {
	for _, n := range nodes {
		data, err := os.ReadFile(env.Agent(n).LogPath())
		if err != nil {
			return nil, nil, err
		}
		for _, line := range strings.Split(string(data), "\n") {
			pool := ""
			if m := poolNameLog.FindStringSubmatch(line); m != nil {
				pool = m[1]
			}
			if m := createdLog.FindStringSubmatch(line); m != nil {
				created = append(created, logEvent{node: n, pool: pool, owner: m[1]})
			}
			if m := destroyedLog.FindStringSubmatch(line); m != nil {
				destroyed = append(destroyed, logEvent{node: n, pool: pool, uuid: m[1], owner: m[2]})
			}
		}
	}
	return created, destroyed, nil
}

// writeSignature makes path a foreign disk: an ext4 superblock.
func writeSignature(path string) error {
	fh, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := sigtest.Apply(fh, "ext4", diskSize); err != nil {
		_ = fh.Close()
		return err
	}
	return fh.Close()
}

func sortedCounts(m map[string]int) string {
	var keys []string
	total := 0
	for k, v := range m {
		keys = append(keys, k)
		total += v
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return fmt.Sprintf("%d total (%s)", total, strings.Join(parts, ", "))
}
