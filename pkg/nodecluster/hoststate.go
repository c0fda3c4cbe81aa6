package nodecluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// hostState is what the cluster may change on the host outside its work
// directory, recorded before it starts, so Stop can remove exactly what it
// added and put back what it changed.
type hostState struct {
	// Recorded is false until the state was read: restoring an empty
	// state would delete every chain on the host.
	Recorded bool `json:"recorded"`
	// Chains are "family/table/chain" of iptables and ip6tables.
	Chains  []string          `json:"chains"`
	Netns   []string          `json:"netns"`
	Sysctls map[string]string `json:"sysctls"`
	// CNIResults are libcni's cached results of this cluster's networks
	// that were there before; CNIDirExisted: /var/lib/cni/results was.
	CNIResults    []string `json:"cniResults"`
	CNIDirExisted bool     `json:"cniDirExisted"`
	// NewPaths are the fixed paths the kubelet and containerd 1.6 create
	// whatever their configuration that did not exist before: Stop removes
	// them.
	NewPaths []string `json:"newPaths"`
	// MadeBridge: the bridge is this cluster's (not another's that made
	// createBridge fail).
	MadeBridge bool `json:"madeBridge"`
}

// sysctls the kubelet (kernel tunables) and kube-proxy may set.
var sysctls = []string{
	"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
	"kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
	"net/ipv4/conf/all/route_localnet", "net/bridge/bridge-nf-call-iptables",
	"net/ipv4/ip_forward",
}

var iptablesFamilies = []string{"iptables", "ip6tables"}

// fixedPaths: the kubelet's device-plugin directory and container log
// links, containerd 1.6's shim sockets, fifos and runc state.
var fixedPaths = []string{"/var/lib/kubelet", "/var/log/containers", "/run/containerd"}

// builtinChains are never deleted: they come with their table.
var builtinChains = []string{"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"}

func recordHostState(ctx context.Context) (hostState, error) {
	s := hostState{Sysctls: map[string]string{}, Recorded: true}
	for _, fam := range iptablesFamilies {
		rules, err := iptablesSave(ctx, fam)
		if err != nil {
			return hostState{}, err
		}
		for _, c := range rules.chains {
			s.Chains = append(s.Chains, fam+"/"+c)
		}
	}
	var err error
	if s.Netns, err = netnsEntries(); err != nil {
		return hostState{}, err
	}
	for _, p := range fixedPaths {
		if _, err := os.Lstat(p); os.IsNotExist(err) {
			s.NewPaths = append(s.NewPaths, p)
		}
	}
	if s.CNIResults, err = cniResults(); err != nil {
		return hostState{}, err
	}
	if _, err := os.Stat(cniResultsDir); err == nil {
		s.CNIDirExisted = true
	}
	for _, k := range sysctls {
		if v, err := os.ReadFile(filepath.Join("/proc/sys", k)); err == nil {
			s.Sysctls[k] = strings.TrimSpace(string(v))
		}
	}
	return s, nil
}

// restore removes the chains, network namespaces and sysctl changes made
// since s was recorded.
func (s hostState) restore(ctx context.Context) error {
	if !s.Recorded {
		return nil
	}
	var errs []string
	for _, fam := range iptablesFamilies {
		if err := removeNewChains(ctx, fam, s.Chains); err != nil {
			errs = append(errs, err.Error())
		}
	}
	now, err := netnsEntries()
	if err != nil {
		errs = append(errs, err.Error())
	}
	for _, n := range now {
		if slices.Contains(s.Netns, n) || !strings.HasPrefix(n, "cni-") {
			continue
		}
		p := filepath.Join("/run/netns", n)
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && err != syscall.EINVAL {
			errs = append(errs, fmt.Sprintf("unmount %s: %v", p, err))
		}
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err.Error())
		}
	}
	for _, p := range s.NewPaths {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for k, v := range s.Sysctls {
		p := filepath.Join("/proc/sys", k)
		cur, err := os.ReadFile(p)
		if err == nil && strings.TrimSpace(string(cur)) != v {
			if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
				errs = append(errs, fmt.Sprintf("restore %s: %v", k, err))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("restore host state: %s", strings.Join(errs, "; "))
	}
	return nil
}

func netnsEntries() ([]string, error) {
	ents, err := os.ReadDir("/run/netns")
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, nil
}

// savedRules is an iptables-save dump: "table/chain" names, and the rules
// as "table" + the arguments after -A.
type savedRules struct {
	chains []string
	rules  []savedRule
}

type savedRule struct {
	table, chain, target string
	args                 []string
}

func iptablesSave(ctx context.Context, family string) (savedRules, error) {
	out, err := run(ctx, family+"-save")
	if err != nil {
		return savedRules{}, err
	}
	return parseIPTablesSave(out), nil
}

func parseIPTablesSave(out string) savedRules {
	var r savedRules
	table := ""
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case strings.HasPrefix(line, ":"):
			r.chains = append(r.chains, table+"/"+strings.Fields(line[1:])[0])
		case strings.HasPrefix(line, "-A "):
			f := strings.Fields(line[3:])
			sr := savedRule{table: table, chain: f[0], args: f}
			for i := range f {
				if (f[i] == "-j" || f[i] == "-g") && i+1 < len(f) {
					sr.target = f[i+1]
				}
			}
			r.rules = append(r.rules, sr)
		}
	}
	return r
}

// removeNewChains deletes every chain of family absent from before: first
// the rules that jump to it (in any chain), then its rules, then the chain.
func removeNewChains(ctx context.Context, family string, before []string) error {
	cur, err := iptablesSave(ctx, family)
	if err != nil {
		return err
	}
	isNew := map[string]bool{}
	for _, c := range cur.chains {
		_, name, _ := strings.Cut(c, "/")
		if !slices.Contains(before, family+"/"+c) && !slices.Contains(builtinChains, name) {
			isNew[c] = true
		}
	}
	var errs []string
	for _, r := range cur.rules {
		if isNew[r.table+"/"+r.target] && !isNew[r.table+"/"+r.chain] {
			if err := deleteRule(ctx, family, r); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	for c := range isNew {
		table, chain, _ := strings.Cut(c, "/")
		if _, err := run(ctx, family, "-w", "-t", table, "-F", chain); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for c := range isNew {
		table, chain, _ := strings.Cut(c, "/")
		if _, err := run(ctx, family, "-w", "-t", table, "-X", chain); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove %s chains: %s", family, strings.Join(errs, "; "))
	}
	return nil
}

// deleteRule deletes one rule of a pre-existing chain, by its position
// (found by matching its -save text), so quoted comments need no parsing.
func deleteRule(ctx context.Context, family string, r savedRule) error {
	out, err := run(ctx, family+"-save", "-t", r.table)
	if err != nil {
		return err
	}
	n := 0
	want := "-A " + strings.Join(r.args, " ")
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "-A "+r.chain+" ") {
			continue
		}
		n++
		if line == want {
			_, err := run(ctx, family, "-w", "-t", r.table, "-D", r.chain, fmt.Sprint(n))
			return err
		}
	}
	return nil
}
