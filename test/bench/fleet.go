package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// fleetPackage serves every node from one process (-fleet).
const fleetPackage = "./test/bench/fleet"

// startFleet builds and starts the fleet process for every node of env
// (started with NoAgents) and waits until every node's Lease is live.
func startFleet(ctx context.Context, env *localenv.Env, binDir string, nodes []string, timeout time.Duration) (*localcluster.Process, error) {
	root, err := localcluster.RepoRoot()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(binDir, "fleet")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, fleetPackage)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build %s: %w\n%s", fleetPackage, err, out)
	}
	tlsFiles, err := env.AgentServerTLS("fleet")
	if err != nil {
		return nil, err
	}
	p, err := localcluster.StartProcess(localcluster.ProcessConfig{
		Name: "fleet",
		Path: bin,
		Args: []string{
			"--kubeconfig=" + env.AgentKubeconfig("{node}"),
			"--namespace=" + localenv.SystemNamespace,
			"--nodes=" + strings.Join(nodes, ","),
			"--disk-root=" + env.DiskRoot(),
			"--state-root=" + filepath.Join(env.WorkDir(), "fleet-state"),
			"--tls-cert-file=" + tlsFiles.CertFile,
			"--tls-key-file=" + tlsFiles.KeyFile,
			"--tls-client-ca-file=" + tlsFiles.CAFile,
		},
		LogPath: filepath.Join(env.LogDir(), "fleet.log"),
	})
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(env.RESTConfig())
	if err != nil {
		_ = p.Stop()
		return nil, err
	}
	began := time.Now()
	live := 0
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if p.Exited() {
			return false, fmt.Errorf("fleet exited:\n%s", p.LogTail(20))
		}
		list, err := kube.CoordinationV1().Leases(localenv.SystemNamespace).List(ctx, metav1.ListOptions{LabelSelector: agentlease.Selector()})
		if err != nil {
			return false, nil
		}
		live = 0
		for i := range list.Items {
			if agentlease.Live(&list.Items[i], time.Now()) {
				live++
			}
		}
		return live == len(nodes), nil
	})
	if err != nil {
		_ = p.Stop()
		return nil, fmt.Errorf("fleet: %d of %d nodes live: %w", live, len(nodes), err)
	}
	logf("fleet: %d nodes live in %.2fs (one process, pid %d)", len(nodes), time.Since(began).Seconds(), p.PID())
	return p, nil
}

// cpuSeconds is the user+system CPU time of the processes so far, from
// /proc/<pid>/stat (0 for a process that is gone).
func cpuSeconds(pids ...int) float64 {
	var total float64
	for _, pid := range pids {
		raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses.
		s := string(raw)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseFloat(fields[11], 64)
		stime, _ := strconv.ParseFloat(fields[12], 64)
		total += (utime + stime) / clockTicks
	}
	return total
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// cpuSplit is CPU seconds per component over one phase.
type cpuSplit struct {
	Operator     float64 `json:"operator"`
	Nodes        float64 `json:"nodes"`
	Etcd         float64 `json:"etcd"`
	KubeAPIServe float64 `json:"kubeApiserver"`
}

// cpuSampler reads the CPU time of each component.
type cpuSampler struct {
	env   *localenv.Env
	fleet *localcluster.Process
}

func (c cpuSampler) sample() cpuSplit {
	s := cpuSplit{
		Etcd:         cpuSeconds(c.env.Cluster().Etcd().PID()),
		KubeAPIServe: cpuSeconds(c.env.Cluster().APIServer().PID()),
	}
	if op := c.env.Operator(); op != nil {
		s.Operator = cpuSeconds(op.PID())
	}
	if c.fleet != nil {
		s.Nodes = cpuSeconds(c.fleet.PID())
	} else {
		for _, n := range c.env.Nodes() {
			if a := c.env.Agent(n); a != nil {
				s.Nodes += cpuSeconds(a.PID())
			}
		}
	}
	return s
}

func (a cpuSplit) minus(b cpuSplit) cpuSplit {
	return cpuSplit{Operator: a.Operator - b.Operator, Nodes: a.Nodes - b.Nodes, Etcd: a.Etcd - b.Etcd, KubeAPIServe: a.KubeAPIServe - b.KubeAPIServe}
}
