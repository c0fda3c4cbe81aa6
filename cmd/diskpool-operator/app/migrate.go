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

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/pkg/migrate"
)

// MigrateCommand is the subcommand that converts MayastorPools into
// DiskPools.
const MigrateCommand = "migrate-mayastorpools"

// Exit codes of the migrate subcommand.
const (
	// MigrateExitOK: every MayastorPool was migrated (or there was none),
	// or a dry run finished.
	MigrateExitOK = 0
	// MigrateExitFailed: a MayastorPool could not be migrated (the message
	// says why); those before it are migrated, it and those after it are
	// untouched or half-way, and running the command again continues.
	MigrateExitFailed = 1
	// MigrateExitUsage: bad flags or arguments.
	MigrateExitUsage = 2
)

// MigrateOptions are the flags of the migrate subcommand.
type MigrateOptions struct {
	adminConnection
	Namespace string
	DryRun    bool
	Timeout   time.Duration
	Interval  time.Duration
}

// NewMigrateOptions returns the defaults: the namespace Mayastor installs
// its MayastorPools in, two minutes per pool.
func NewMigrateOptions() *MigrateOptions {
	return &MigrateOptions{Namespace: "mayastor", Timeout: 2 * time.Minute, Interval: 500 * time.Millisecond}
}

// AddFlags registers the flags on fs.
func (o *MigrateOptions) AddFlags(fs *pflag.FlagSet) {
	o.addFlags(fs)
	fs.StringVarP(&o.Namespace, "namespace", "n", o.Namespace, "Namespace of the MayastorPools to migrate; the DiskPools are created in it.")
	fs.BoolVar(&o.DryRun, "dry-run", o.DryRun, "Print what would be done and change nothing.")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "How long to wait for the operator at each step of each pool (the hand-over, then the MayastorPool's removal).")
	fs.DurationVar(&o.Interval, "interval", o.Interval, "How often to look at the objects while waiting.")
}

// Validate reports every invalid option.
func (o *MigrateOptions) Validate() error {
	var errs []error
	if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("--namespace %q: %s", o.Namespace, strings.Join(msgs, "; ")))
	}
	if o.Timeout <= 0 {
		errs = append(errs, errors.New("--timeout must be positive"))
	}
	if o.Interval <= 0 || o.Interval > o.Timeout {
		errs = append(errs, errors.New("need 0 < --interval <= --timeout"))
	}
	return errors.Join(errs...)
}

// MigrateUsage is the subcommand's help text, before its flags.
const MigrateUsage = `Usage: diskpool-operator migrate-mayastorpools [--namespace mayastor] [--dry-run] [--timeout 2m] [--kubeconfig FILE]

Converts every MayastorPool of a namespace into a DiskPool of the same name,
node and disks, and hands the existing pool to it without destroying,
re-creating or rewriting it (same pool uuid, replicas intact): only the
owner recorded in the pool's on-disk label changes. For each MayastorPool:

  1. create the DiskPool, annotated openebs.io/adopt-pool-owner=<MayastorPool uid>;
  2. wait until the operator reports it Created (it owns the pool now);
  3. delete the MayastorPool (UID precondition); the operator lets it go
     without destroying the pool, which is no longer its own.

It runs with your credentials, not the operator's, and needs the operator
running (it performs the hand-over). It is idempotent: interrupted at any
point, run it again and it finishes the job; no pool is ever destroyed.

Exit status: 0 all migrated (or nothing to do, or a dry run);
1 a pool could not be migrated (see the message; run again after fixing);
2 bad usage.

Flags:
`

// RunMigrate runs the migrate subcommand with args (after its name),
// writing progress to stdout and failures to stderr, and returns the exit
// status. client, when not nil, replaces the one built from the flags.
func RunMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, client versioned.Interface) int {
	o := NewMigrateOptions()
	fs := pflag.NewFlagSet(MigrateCommand, pflag.ContinueOnError)
	o.AddFlags(fs)
	if code, ok := parseAdminFlags(MigrateCommand, MigrateUsage, fs, args, stderr, o.Validate); !ok {
		return code
	}
	if client == nil {
		cfg, err := o.restConfig("migrate")
		if err == nil {
			client, err = versioned.NewForConfig(cfg)
		}
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "%s: %v\n", MigrateCommand, err)
			return MigrateExitFailed
		}
	}

	mode := ""
	if o.DryRun {
		mode = " (dry run: nothing is changed)"
	}
	_, _ = fmt.Fprintf(stdout, "Migrating the MayastorPools of namespace %s to DiskPools%s\n", o.Namespace, mode)
	res, err := migrate.Run(ctx, client, migrate.Options{
		Namespace: o.Namespace, DryRun: o.DryRun, Timeout: o.Timeout, Interval: o.Interval, Out: stdout,
	})
	summary := fmt.Sprintf("%d migrated", len(res.Migrated))
	if o.DryRun {
		summary = fmt.Sprintf("%d would be migrated", len(res.Migrated))
	}
	if len(res.Skipped) > 0 {
		summary += fmt.Sprintf(", %d skipped (being deleted, so not migrated: %s)", len(res.Skipped), strings.Join(res.Skipped, ", "))
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted: %w", err)
		}
		_, _ = fmt.Fprintf(stderr, "%s: %v\n", MigrateCommand, err)
		_, _ = fmt.Fprintf(stdout, "Stopped: %s before the failure. Nothing was destroyed; run the command again to continue.\n", summary)
		return MigrateExitFailed
	}
	_, _ = fmt.Fprintf(stdout, "Done: %s.\n", summary)
	return MigrateExitOK
}
