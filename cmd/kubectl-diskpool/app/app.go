// Package app is kubectl-diskpool: flags, the subcommands and their tables.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/recovery"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
)

// Usage is the help text, before the flags.
const Usage = `Usage: kubectl diskpool COMMAND [flags]

Commands:
  disks [NODE]   the disks of every node (or one): size, what is on them, which pool uses them
  pools          node, disk, pool, state, size and replicas, as a tree
  orphans        pools whose owner matches no live DiskPool or MayastorPool
  recover -n NS  recreate one DiskPool per orphan of namespace NS, adopting its pool (--dry-run first)

It reads the operator's node reports (ConfigMaps labelled
app.kubernetes.io/component=disk-inventory in the operator namespace) and the
DiskPools; it never contacts the agents.

Flags:
`

type options struct {
	kubeconfig, context, operatorNamespace, namespace string
	dryRun                                            bool
	timeout                                           time.Duration
}

// Run runs the plugin with args and returns the exit status. kube and
// client, when not nil, replace those built from the flags.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, kube kubernetes.Interface, client versioned.Interface) int {
	o := options{operatorNamespace: agentlease.DefaultNamespace, timeout: 5 * time.Minute}
	fs := pflag.NewFlagSet("kubectl-diskpool", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { _, _ = fmt.Fprint(stderr, Usage); fs.PrintDefaults() }
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "Path to the kubeconfig. Empty: $KUBECONFIG or ~/.kube/config.")
	fs.StringVar(&o.context, "context", "", "Kubeconfig context. Empty: the current one.")
	fs.StringVar(&o.operatorNamespace, "operator-namespace", o.operatorNamespace, "Namespace of the operator's node reports.")
	fs.StringVarP(&o.namespace, "namespace", "n", "", "pools: only this namespace's DiskPools (default all); recover: the namespace to recover (required).")
	fs.BoolVar(&o.dryRun, "dry-run", false, "recover: print what would be done and change nothing.")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "recover: how long to wait for the operator to adopt each pool.")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return ExitUsage
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	if kube == nil || client == nil {
		var err error
		if kube, client, err = clients(o); err != nil {
			_, _ = fmt.Fprintf(stderr, "kubectl-diskpool: %v\n", err)
			return ExitFailed
		}
	}
	var err error
	switch {
	case cmd == "disks" && len(rest) <= 1:
		node := ""
		if len(rest) == 1 {
			node = rest[0]
		}
		err = disks(ctx, stdout, kube, o.operatorNamespace, node)
	case cmd == "pools" && len(rest) == 0:
		err = pools(ctx, stdout, kube, client, o.operatorNamespace, o.namespace)
	case cmd == "orphans" && len(rest) == 0:
		err = orphans(ctx, stdout, kube, o.operatorNamespace)
	case cmd == "recover" && len(rest) == 0:
		if o.namespace == "" {
			_, _ = fmt.Fprintln(stderr, "kubectl-diskpool recover: --namespace is required")
			return ExitUsage
		}
		var res recovery.Result
		res, err = recovery.Run(ctx, kube, client, recovery.Options{Namespace: o.namespace, OperatorNamespace: o.operatorNamespace,
			DryRun: o.dryRun, Timeout: o.timeout, Interval: 500 * time.Millisecond, Out: stdout})
		if err == nil {
			_, _ = fmt.Fprintf(stdout, "Done: %d recovered, %d skipped.\n", len(res.Recovered), len(res.Skipped))
		}
	default:
		_, _ = fmt.Fprintf(stderr, "kubectl-diskpool: unknown command or arguments %q\n", fs.Args())
		fs.Usage()
		return ExitUsage
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "kubectl-diskpool %s: %v\n", cmd, err)
		return ExitFailed
	}
	return ExitOK
}

func clients(o options) (kubernetes.Interface, versioned.Interface, error) {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: o.kubeconfig, Precedence: clientcmd.NewDefaultClientConfigLoadingRules().Precedence},
		&clientcmd.ConfigOverrides{CurrentContext: o.context}).ClientConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client config: %w", err)
	}
	cfg.UserAgent = "kubectl-diskpool"
	cfg.QPS, cfg.Burst = 50, 100
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	client, err := versioned.NewForConfig(cfg)
	return kube, client, err
}
