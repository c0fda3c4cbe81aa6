// Command kubectl-diskpool, installed on PATH as a kubectl plugin
// (`kubectl diskpool ...`), shows what is on the storage nodes: the disk
// inventory, the pools as a tree, the orphaned pools, and recovers them.
// It reads only what the operator publishes and the API (app.Run).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/diskpool/diskpool-operator/cmd/kubectl-diskpool/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := app.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil, nil)
	stop()
	os.Exit(code)
}
