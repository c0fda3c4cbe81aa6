// Command diskpool-localenv runs the local diskpool environment of package
// localenv (a real etcd and kube-apiserver, the CRDs and RBAC of manifests/,
// one diskpool-agent per simulated node on sparse-file disks, the
// diskpool-operator) for `make run`, `make up` and `make down`:
//
//	diskpool-localenv run    start it, apply the sample pools, show them
//	                         converge, run until Ctrl-C, stop everything
//	diskpool-localenv up     start it in the background; write .local/env
//	diskpool-localenv down   stop what .local/env lists, remove its files
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// DefaultNamespace is where `run` and `up` put pools.
const DefaultNamespace = "diskpool-demo"

const usage = `Usage: diskpool-localenv run|up|down [flags]

  run    start the local environment with the sample pools of
         manifests/samples/local, print how to use it, show the pools
         converge, and run until Ctrl-C; then stop everything it started
  up     start the same environment without sample pools, in the
         background, and write .local/env (sourceable: KUBECONFIG,
         NAMESPACE, NODES, DISK_ROOT, PIDS, ...)
  down   stop exactly the processes .local/env lists, remove the disks,
         the work directory and .local/env

Run "diskpool-localenv <command> -h" for the flags of a command.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "run":
		err = runCommand(ctx, args)
	case "up":
		err = upCommand(ctx, args)
	case "down":
		err = downCommand(ctx, args)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "diskpool-localenv: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "diskpool-localenv: %v\n", err)
		if errors.Is(err, localcluster.ErrBinaryNotFound) {
			fmt.Fprintln(os.Stderr, "Build the control plane first: make controlplane")
		}
		os.Exit(1)
	}
}

// envFlags are the flags run and up share.
type envFlags struct {
	nodes        string
	namespace    string
	disksPerNode int
	diskSize     int64
}

func (f *envFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.nodes, "nodes", strings.Join(localenv.DefaultNodes, " "), "Simulated nodes, space- or comma-separated.")
	fs.StringVar(&f.namespace, "namespace", DefaultNamespace, "Namespace the operator watches for pools.")
	fs.IntVar(&f.disksPerNode, "disks-per-node", localenv.DefaultDisksPerNode, "Sparse-file disks per node (<DISK_ROOT>/<node>/disk-<i>).")
	fs.Int64Var(&f.diskSize, "disk-size", localenv.DefaultDiskSize, "Size of each disk in bytes (sparse: takes no space until written).")
}

func (f *envFlags) options() localenv.Options {
	return localenv.Options{
		Nodes:        strings.FieldsFunc(f.nodes, func(r rune) bool { return r == ' ' || r == ',' }),
		Namespaces:   []string{f.namespace},
		DisksPerNode: f.disksPerNode,
		DiskSize:     f.diskSize,
		Progress:     os.Stdout,
	}
}

// repoPath returns path relative to the repository root, absolute.
func repoPath(path string) (string, error) {
	root, err := localcluster.RepoRoot()
	if err != nil {
		return "", err
	}
	return root + string(os.PathSeparator) + path, nil
}
