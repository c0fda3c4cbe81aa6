// Command diskpool-operator reconciles DiskPool and legacy MayastorPool
// objects with the diskpool-agents on their nodes. main only parses flags,
// sets up logging and signals, and calls app.Run; see docs/architecture.md.
//
// `diskpool-operator migrate-mayastorpools` is the admin's one-off
// conversion of MayastorPools into DiskPools (app.RunMigrate,
// docs/migration.md); `diskpool-operator recover` recreates the DiskPools
// of orphaned pools (app.RunRecover, docs/operations.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/component-base/featuregate"
	"k8s.io/component-base/logs"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/klog/v2"

	"github.com/diskpool/diskpool-operator/cmd/diskpool-operator/app"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 1 && args[0] == "version" {
		fmt.Println(app.VersionString())
		return 0
	}
	if len(args) > 0 && args[0] == app.MigrateCommand {
		// A one-off admin command: the first signal cancels it (it
		// stops between API calls; running it again continues).
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return app.RunMigrate(ctx, args[1:], os.Stdout, os.Stderr, nil)
	}
	if len(args) > 0 && args[0] == app.RecoverCommand {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return app.RunRecover(ctx, args[1:], os.Stdout, os.Stderr, nil, nil)
	}
	o := app.NewOptions()
	fs := pflag.NewFlagSet("diskpool-operator", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.Version {
		fmt.Println(app.VersionString())
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "diskpool-operator: unexpected arguments %q\n", fs.Args())
		return 2
	}

	gates := featuregate.NewFeatureGate()
	if err := logsapi.AddFeatureGates(gates); err != nil {
		fmt.Fprintf(os.Stderr, "diskpool-operator: %v\n", err)
		return 1
	}
	if err := logsapi.ValidateAndApply(o.Logs, gates); err != nil {
		fmt.Fprintf(os.Stderr, "diskpool-operator: %v\n", err)
		return 2
	}
	defer logs.FlushLogs()

	o.Complete()
	if err := o.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "diskpool-operator: invalid flags:\n%v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	logger := klog.Background()
	ctx = klog.NewContext(ctx, logger)

	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, o, app.Deps{}) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// A second signal now kills the process at once.
		stop()
		logger.Info("Shutting down", "timeout", o.ShutdownTimeout)
		select {
		case err = <-done:
		case <-time.After(o.ShutdownTimeout):
			err = fmt.Errorf("graceful shutdown did not finish within %v", o.ShutdownTimeout)
		}
	}
	if err != nil {
		logger.Error(err, "Operator failed")
		return 1
	}
	return 0
}
