package localenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Roles of the processes in a State, in the order StopState stops them.
const (
	RoleOperator  = "operator"
	RoleAgent     = "agent"
	RoleAPIServer = "kube-apiserver"
	RoleEtcd      = "etcd"
)

// State describes a running environment for other processes: `make up`
// writes it as a shell file (WriteEnvFile), `make down` and scripts read it.
type State struct {
	Kubeconfig string
	// Namespace is where pools go (the first watched namespace).
	Namespace string
	Nodes     []string
	DiskRoot  string
	WorkDir   string
	LogDir    string
	// OperatorMetricsURL is the operator's /metrics.
	OperatorMetricsURL string
	// Processes in stop order: operator, agents (in node order),
	// kube-apiserver, etcd.
	Processes []ProcessRecord
}

// ProcessRecord is one started process: enough to find it again and to
// check that a PID still belongs to it before signalling.
type ProcessRecord struct {
	Role   string
	Node   string // agents only
	PID    int
	Binary string
}

// State returns the description of e for WriteEnvFile. Every process must be
// running.
func (e *Env) State() (State, error) {
	s := State{
		Kubeconfig:         e.Kubeconfig(),
		Nodes:              e.Nodes(),
		DiskRoot:           e.DiskRoot(),
		WorkDir:            e.workDir,
		LogDir:             e.logDir(),
		OperatorMetricsURL: e.OperatorMetricsURL(),
	}
	if len(e.opts.Namespaces) > 0 {
		s.Namespace = e.opts.Namespaces[0]
	}
	op := e.operatorProcess()
	if op == nil || op.Exited() {
		return State{}, errors.New("state: the operator is not running")
	}
	s.Processes = append(s.Processes, ProcessRecord{Role: RoleOperator, PID: op.PID(), Binary: e.operatorBinary})
	pids, err := e.agentPIDs()
	if err != nil {
		return State{}, fmt.Errorf("state: %w", err)
	}
	for i, n := range e.opts.Nodes {
		s.Processes = append(s.Processes, ProcessRecord{Role: RoleAgent, Node: n, PID: pids[i], Binary: e.agentBinary})
	}
	bins := e.cluster.Binaries()
	for _, r := range []struct {
		role, bin string
		pid       func() int
	}{
		{RoleAPIServer, bins.KubeAPIServer, func() int { return e.cluster.APIServer().PID() }},
		{RoleEtcd, bins.Etcd, func() int { return e.cluster.Etcd().PID() }},
	} {
		bin, err := filepath.Abs(r.bin)
		if err != nil {
			return State{}, err
		}
		s.Processes = append(s.Processes, ProcessRecord{Role: r.role, PID: r.pid(), Binary: bin})
	}
	return s, nil
}

// Names of the variables of the env file. Other tools rely on them: keep
// them stable.
const (
	VarKubeconfig  = "KUBECONFIG"
	VarNamespace   = "NAMESPACE"
	VarNodes       = "NODES"
	VarDiskRoot    = "DISK_ROOT"
	VarWorkDir     = "WORK_DIR"
	VarLogDir      = "LOG_DIR"
	VarMetricsURL  = "OPERATOR_METRICS_URL"
	VarPIDs        = "PIDS"
	VarEtcdPID     = "ETCD_PID"
	VarEtcdBin     = "ETCD_BIN"
	VarAPIPID      = "APISERVER_PID"
	VarAPIBin      = "APISERVER_BIN"
	VarOperatorPID = "OPERATOR_PID"
	VarOperatorBin = "OPERATOR_BIN"
	VarAgentPIDs   = "AGENT_PIDS"
	VarAgentBin    = "AGENT_BIN"
)

// EnvFile renders s as a sourceable shell file: `export NAME='value'` lines.
// AGENT_PIDS lists the agents' PIDs in the order of NODES; PIDS lists every
// PID in stop order.
func (s State) EnvFile() ([]byte, error) {
	vars := map[string]string{}
	var all, agents []string
	agentBin := ""
	for _, p := range s.Processes {
		pid := strconv.Itoa(p.PID)
		all = append(all, pid)
		switch p.Role {
		case RoleOperator:
			vars[VarOperatorPID], vars[VarOperatorBin] = pid, p.Binary
		case RoleAgent:
			agents = append(agents, pid)
			if agentBin != "" && agentBin != p.Binary {
				return nil, errors.New("env file: agents run different binaries")
			}
			agentBin = p.Binary
		case RoleAPIServer:
			vars[VarAPIPID], vars[VarAPIBin] = pid, p.Binary
		case RoleEtcd:
			vars[VarEtcdPID], vars[VarEtcdBin] = pid, p.Binary
		default:
			return nil, fmt.Errorf("env file: unknown role %q", p.Role)
		}
	}
	if len(agents) != len(s.Nodes) {
		return nil, fmt.Errorf("env file: %d agents for %d nodes", len(agents), len(s.Nodes))
	}
	vars[VarAgentPIDs], vars[VarAgentBin] = strings.Join(agents, " "), agentBin
	vars[VarPIDs] = strings.Join(all, " ")
	vars[VarKubeconfig] = s.Kubeconfig
	vars[VarNamespace] = s.Namespace
	vars[VarNodes] = strings.Join(s.Nodes, " ")
	vars[VarDiskRoot] = s.DiskRoot
	vars[VarWorkDir] = s.WorkDir
	vars[VarLogDir] = s.LogDir
	vars[VarMetricsURL] = s.OperatorMetricsURL

	var b bytes.Buffer
	fmt.Fprintf(&b, "# The local diskpool environment started by `make up` at %s.\n", time.Now().Format(time.RFC3339))
	b.WriteString("# Source it (. .local/env) to use kubectl against it; `make down` stops\n")
	b.WriteString("# exactly the processes listed in PIDS and removes DISK_ROOT and WORK_DIR.\n")
	for _, k := range envFileOrder {
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(vars[k]))
	}
	return b.Bytes(), nil
}

var envFileOrder = []string{
	VarKubeconfig, VarNamespace, VarNodes, VarDiskRoot, VarWorkDir, VarLogDir, VarMetricsURL,
	VarOperatorPID, VarOperatorBin, VarAgentPIDs, VarAgentBin, VarAPIPID, VarAPIBin, VarEtcdPID, VarEtcdBin,
	VarPIDs,
}

// WriteEnvFile writes s to path (via a temporary file and a rename, so a
// reader never sees half of it).
func (s State) WriteEnvFile(path string) error {
	data, err := s.EnvFile()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadEnvFile parses a file written by WriteEnvFile.
func ReadEnvFile(path string) (State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return State{}, err
	}
	vars, err := parseEnvFile(data)
	if err != nil {
		return State{}, fmt.Errorf("%s: %w", path, err)
	}
	s, err := stateFromVars(vars)
	if err != nil {
		return State{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func stateFromVars(vars map[string]string) (State, error) {
	s := State{
		Kubeconfig:         vars[VarKubeconfig],
		Namespace:          vars[VarNamespace],
		Nodes:              strings.Fields(vars[VarNodes]),
		DiskRoot:           vars[VarDiskRoot],
		WorkDir:            vars[VarWorkDir],
		LogDir:             vars[VarLogDir],
		OperatorMetricsURL: vars[VarMetricsURL],
	}
	if s.WorkDir == "" || !filepath.IsAbs(s.WorkDir) {
		return State{}, fmt.Errorf("%s %q is not an absolute path", VarWorkDir, s.WorkDir)
	}
	var errs []error
	add := func(role, node, pidVar, binVar string, pidText string) {
		n, err := strconv.Atoi(pidText)
		if err != nil || n <= 1 {
			errs = append(errs, fmt.Errorf("%s %q is not a process ID", pidVar, pidText))
			return
		}
		if !filepath.IsAbs(vars[binVar]) {
			errs = append(errs, fmt.Errorf("%s %q is not an absolute path", binVar, vars[binVar]))
			return
		}
		s.Processes = append(s.Processes, ProcessRecord{Role: role, Node: node, PID: n, Binary: vars[binVar]})
	}
	add(RoleOperator, "", VarOperatorPID, VarOperatorBin, vars[VarOperatorPID])
	agents := strings.Fields(vars[VarAgentPIDs])
	if len(agents) != len(s.Nodes) {
		errs = append(errs, fmt.Errorf("%s has %d PIDs for %d nodes in %s", VarAgentPIDs, len(agents), len(s.Nodes), VarNodes))
	} else {
		for i, a := range agents {
			add(RoleAgent, s.Nodes[i], VarAgentPIDs, VarAgentBin, a)
		}
	}
	add(RoleAPIServer, "", VarAPIPID, VarAPIBin, vars[VarAPIPID])
	add(RoleEtcd, "", VarEtcdPID, VarEtcdBin, vars[VarEtcdPID])
	if err := errors.Join(errs...); err != nil {
		return State{}, err
	}
	return s, nil
}

// parseEnvFile reads `export NAME='value'` lines (and comments) as written
// by EnvFile; it is not a shell.
func parseEnvFile(data []byte) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		text = strings.TrimPrefix(text, "export ")
		name, value, ok := strings.Cut(text, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("line %d: want NAME=value", line)
		}
		v, err := shellUnquote(value)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		vars[name] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return vars, nil
}

// shellQuote quotes s for a POSIX shell: in single quotes, each single
// quote inside closed, backslash-escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellUnquote reverses shellQuote (and accepts an unquoted word).
func shellUnquote(s string) (string, error) {
	var b strings.Builder
	for len(s) > 0 {
		switch {
		case s[0] == '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return "", errors.New("unterminated single quote")
			}
			b.WriteString(s[1 : 1+end])
			s = s[2+end:]
		case strings.HasPrefix(s, `\'`):
			b.WriteByte('\'')
			s = s[2:]
		case slices.Contains([]byte(" \t\"\\$`;&|<>()"), s[0]):
			return "", fmt.Errorf("unsupported character %q outside single quotes", s[0])
		default:
			b.WriteByte(s[0])
			s = s[1:]
		}
	}
	return b.String(), nil
}
