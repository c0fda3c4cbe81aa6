package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

func runCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs)
	keep := fs.Bool("keep", false, "Keep the work directory (logs, data) after Ctrl-C.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := ef.options()
	opts.KeepWorkDir = *keep
	fmt.Println("Starting the local diskpool environment (Ctrl-C stops it)")
	env, err := localenv.Start(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			// Ctrl-C during the start: Start has stopped what it started.
			fmt.Println("Interrupted; stopped everything this run started")
			return nil
		}
		return err
	}
	defer func() {
		fmt.Println("\nStopping everything this run started")
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "diskpool-localenv: %v\n", err)
		}
	}()

	ns := opts.Namespaces[0]
	applied := time.Now()
	objs, files, err := env.ApplySamples(ctx, ns)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(objs))
	for _, o := range objs {
		names = append(names, o.GetName())
	}
	printUsage(env, ns, files)
	fmt.Printf("Applied the sample pools %s; watching them (Ctrl-C to stop):\n", strings.Join(names, ", "))
	err = watchPools(ctx, env.RESTConfig(), ns, names, applied, os.Stdout)
	if ctx.Err() != nil {
		return nil // Ctrl-C: the deferred Stop runs
	}
	return err
}

func printUsage(env *localenv.Env, ns string, samples []string) {
	kubectl := env.Cluster().Binaries().Kubectl
	if p, err := repoPath("bin/kubectl"); err == nil {
		if _, err := os.Stat(p); err == nil {
			kubectl = "bin/kubectl"
		}
	}
	fmt.Printf(`
The environment is up. In another terminal:

  export KUBECONFIG=%s
  %s -n %s get dsp -w                     # NODE STATE POOL_STATUS CAPACITY ...
  %s -n %s get dsp -o wide                # + DISKS, READY
  %s -n %s describe dsp pool-node-a       # conditions and events
  %s -n %s delete dsp pool-node-a         # destroys the pool, erases its label
  %s apply -f %s

Disks:      %s/<node>/disk-<i>  (nodes: %s)
Logs:       %s
Metrics:    %s
`, env.Kubeconfig(),
		kubectl, ns, kubectl, ns, kubectl, ns, kubectl, ns,
		kubectl, strings.Join(samples, " -f "),
		env.DiskRoot(), strings.Join(env.Nodes(), " "), env.LogDir(), env.OperatorMetricsURL())
	fmt.Println()
}
