package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/recovery"
)

// RecoverCommand is the subcommand that recreates the DiskPools of orphans.
const RecoverCommand = "recover"

// RecoverOptions are the flags of the recover subcommand.
type RecoverOptions struct {
	adminConnection
	Namespace         string
	OperatorNamespace string
	DryRun            bool
	Timeout           time.Duration
	Interval          time.Duration
}

// NewRecoverOptions returns the defaults.
func NewRecoverOptions() *RecoverOptions {
	return &RecoverOptions{OperatorNamespace: agentlease.DefaultNamespace, Timeout: 5 * time.Minute, Interval: 500 * time.Millisecond}
}

// AddFlags registers the flags on fs.
func (o *RecoverOptions) AddFlags(fs *pflag.FlagSet) {
	o.addFlags(fs)
	fs.StringVarP(&o.Namespace, "namespace", "n", o.Namespace, "Namespace the DiskPools are recreated in (required); orphans whose former owner was in another namespace are left alone.")
	fs.StringVar(&o.OperatorNamespace, "operator-namespace", o.OperatorNamespace, "Namespace of the operator's node reports.")
	fs.BoolVar(&o.DryRun, "dry-run", o.DryRun, "Print what would be done and change nothing.")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "How long to wait for the operator to adopt each pool.")
	fs.DurationVar(&o.Interval, "interval", o.Interval, "How often to look at the objects while waiting.")
}

// Validate reports every invalid option.
func (o *RecoverOptions) Validate() error {
	var errs []error
	if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("--namespace %q: %s", o.Namespace, strings.Join(msgs, "; ")))
	}
	if msgs := validation.IsDNS1123Label(o.OperatorNamespace); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("--operator-namespace %q: %s", o.OperatorNamespace, strings.Join(msgs, "; ")))
	}
	if o.Timeout <= 0 || o.Interval <= 0 || o.Interval > o.Timeout {
		errs = append(errs, errors.New("need 0 < --interval <= --timeout"))
	}
	return errors.Join(errs...)
}

// RecoverUsage is the subcommand's help text, before its flags.
const RecoverUsage = `Usage: diskpool-operator recover --namespace NS [--dry-run] [--timeout 5m] [--kubeconfig FILE]

Recreates one DiskPool per orphaned pool the operator reports (pools whose
owner matches no live DiskPool or MayastorPool, e.g. after the cluster's
etcd was lost), under its former name, on its node and disks, annotated to
adopt the pool. The operator then hands each pool to its new DiskPool: only
the owner recorded in the pool's on-disk label changes (same uuid, same
replicas); nothing is created, destroyed or otherwise written on a disk.

An orphan whose name is held by another DiskPool, or whose former owner was
in another namespace, is skipped and listed. Run it again at any time: it
waits for the DiskPools it made before.

Exit status: 0 every orphan recovered (or nothing to do, or a dry run);
1 a DiskPool could not be created or did not adopt its pool in time;
2 bad usage.

Flags:
`

// RunRecover runs the recover subcommand with args (after its name) and
// returns the exit status. kube and client, when not nil, replace those
// built from the flags.
func RunRecover(ctx context.Context, args []string, stdout, stderr io.Writer, kube kubernetes.Interface, client versioned.Interface) int {
	o := NewRecoverOptions()
	fs := pflag.NewFlagSet(RecoverCommand, pflag.ContinueOnError)
	o.AddFlags(fs)
	if code, ok := parseAdminFlags(RecoverCommand, RecoverUsage, fs, args, stderr, o.Validate); !ok {
		return code
	}
	if kube == nil || client == nil {
		cfg, err := o.restConfig(RecoverCommand)
		if err == nil {
			if kube, err = kubernetes.NewForConfig(cfg); err == nil {
				client, err = versioned.NewForConfig(cfg)
			}
		}
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "%s: %v\n", RecoverCommand, err)
			return MigrateExitFailed
		}
	}
	mode := ""
	if o.DryRun {
		mode = " (dry run: nothing is changed)"
	}
	_, _ = fmt.Fprintf(stdout, "Recovering the orphaned pools of namespace %s%s\n", o.Namespace, mode)
	res, err := recovery.Run(ctx, kube, client, recovery.Options{
		Namespace: o.Namespace, OperatorNamespace: o.OperatorNamespace, DryRun: o.DryRun, Timeout: o.Timeout, Interval: o.Interval, Out: stdout,
	})
	verb := "recovered"
	if o.DryRun {
		verb = "would be recovered"
	}
	summary := fmt.Sprintf("%d %s, %d skipped", len(res.Recovered), verb, len(res.Skipped))
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "%s: %v\n", RecoverCommand, err)
		_, _ = fmt.Fprintf(stdout, "Stopped: %s. Nothing was destroyed; run the command again to continue.\n", summary)
		return MigrateExitFailed
	}
	_, _ = fmt.Fprintf(stdout, "Done: %s.\n", summary)
	return MigrateExitOK
}
