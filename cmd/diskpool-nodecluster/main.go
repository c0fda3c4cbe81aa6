// Command diskpool-nodecluster starts and stops the single-node cluster of
// pkg/nodecluster for a person at a terminal (make cluster-up, make
// cluster-down):
//
//	diskpool-nodecluster up   [--state .local/nodecluster.json] [--images _output/images]
//	diskpool-nodecluster down [--state .local/nodecluster.json]
//
// up starts the cluster with its processes detached, imports the images of
// make images, writes the state file (PIDs, work directory, what it changed
// on the host) and prints the kubeconfig; down stops exactly what the state
// file lists and removes what the cluster made.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/klog/v2"

	"github.com/diskpool/diskpool-operator/pkg/nodecluster"
)

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "up" && os.Args[1] != "down") {
		fmt.Fprintln(os.Stderr, "usage: diskpool-nodecluster up|down [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	state := fs.String("state", ".local/nodecluster.json", "state file written by up and read by down")
	images := fs.String("images", "_output/images", "directory of the OCI archives of make images (up)")
	workDir := fs.String("work-dir", "/tmp/dpnode", "the cluster's files (up); short: containerd's sockets live there")
	klog.InitFlags(fs)
	_ = fs.Parse(os.Args[2:])
	var err error
	if os.Args[1] == "up" {
		err = up(*state, *images, *workDir)
	} else {
		err = down(*state)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "diskpool-nodecluster:", err)
		os.Exit(1)
	}
}

func up(state, images, workDir string) error {
	if _, err := os.Stat(state); err == nil {
		return fmt.Errorf("%s exists: a cluster is up (make cluster-down first)", state)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	c, err := nodecluster.Start(ctx, nodecluster.Options{
		WorkDir:       workDir,
		SurviveParent: true,
		Images: []string{
			filepath.Join(images, "pause.tar"),
			filepath.Join(images, "diskpool-operator.tar"),
			filepath.Join(images, "diskpool-agent.tar"),
		},
	})
	if err != nil {
		return err
	}
	if err := nodecluster.WriteState(state, c.State()); err != nil {
		return fmt.Errorf("%w (the cluster runs; its work dir is %s)", err, c.WorkDir())
	}
	fmt.Printf("Single-node cluster up in %s: node %s, logs in %s\n", time.Since(began).Round(time.Millisecond), c.NodeName(), filepath.Join(c.WorkDir(), "logs"))
	fmt.Printf("export KUBECONFIG=%s\n", c.KubeconfigPath())
	return nil
}

func down(state string) error {
	s, err := nodecluster.ReadState(state)
	if os.IsNotExist(err) {
		fmt.Printf("%s: no cluster is up\n", state)
		return nil
	}
	if err != nil {
		return err
	}
	if err := nodecluster.StopState(s); err != nil {
		return err
	}
	if err := os.RemoveAll(s.WorkDir); err != nil {
		return err
	}
	return os.Remove(state)
}
