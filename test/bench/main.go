// Command bench measures the operator against the API server's write floor
// on the local control plane (etcd with fsync on, as in production): it
// creates N DiskPools on K nodes in one burst, times convergence to Ready
// with an independent watch, counts the operator's API writes and gRPC
// calls per pool, checks that it is idle after convergence and after a
// restart, deletes everything, and then times a plain client doing only the
// minimum writes the same N objects need. Run it with `make bench`.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/klog/v2"
)

type config struct {
	pools           int
	nodes           int
	createWorkers   int
	operatorArgs    string
	idle            time.Duration
	timeout         time.Duration
	jsonOut         string
	skipFloor       bool
	skipFloorEvents bool
	skipRestart     bool
	skipOffline     bool
	skipNoPolicy    bool
	skipPeer        bool
	fleet           bool
	disksPerNode    int
	samples         string
}

func main() {
	var cfg config
	flag.IntVar(&cfg.pools, "n", 1000, "DiskPools to create (one disk each)")
	flag.IntVar(&cfg.nodes, "k", 4, "simulated nodes, one diskpool-agent each")
	flag.IntVar(&cfg.createWorkers, "create-workers", 16, "concurrent requests of the burst creator and deleter")
	flag.StringVar(&cfg.operatorArgs, "operator-args", "", "extra operator flags, space-separated (tuned runs; default: production defaults)")
	flag.DurationVar(&cfg.idle, "idle", 60*time.Second, "idle period after convergence in which writes and gRPC calls are counted")
	flag.DurationVar(&cfg.timeout, "timeout", 30*time.Minute, "bound of each wait")
	flag.StringVar(&cfg.jsonOut, "json", "", "also write the JSON result to this file")
	flag.BoolVar(&cfg.skipFloor, "skip-floor", false, "skip the write-floor runs")
	flag.BoolVar(&cfg.skipFloorEvents, "skip-floor-events", false, "skip the second floor run, which also records one event per delete (the operator's delete writes without its agent)")
	flag.BoolVar(&cfg.skipRestart, "skip-restart", false, "skip the restart measurement")
	flag.BoolVar(&cfg.skipOffline, "skip-offline", false, "skip killing an agent, then freezing one, and timing its pool to Offline")
	flag.BoolVar(&cfg.skipNoPolicy, "skip-no-policy", false, "skip the operator's runs without the finalizer policy (burst and backlog); the peer's ratios need them")
	flag.IntVar(&cfg.disksPerNode, "disks-per-node", 0, "sparse disks per node (at least ceil(n/k), the disks the pools use)")
	flag.BoolVar(&cfg.fleet, "fleet", false, "serve the -k nodes from one process (agent.RunNode per node: own listener, Lease, disks, health sweep) instead of one agent process each; -k 1000 -n 10000 is the fleet case")
	flag.BoolVar(&cfg.skipPeer, "skip-peer", false, "skip the controller-runtime peer (test/bench/peer)")
	flag.StringVar(&cfg.samples, "samples", "", "scrape the operator's and agents' metrics every second into this JSON-lines file (test/dashpreview draws it)")
	klog.InitFlags(nil)
	flag.Parse()
	if cfg.pools < 1 || cfg.nodes < 1 {
		fmt.Fprintln(os.Stderr, "bench: -n and -k must be at least 1")
		os.Exit(2)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	res, err := run(ctx, cfg)
	if res != nil {
		printTable(os.Stdout, res)
		out, _ := json.MarshalIndent(res, "", "  ")
		fmt.Println(string(out))
		if cfg.jsonOut != "" {
			if werr := os.WriteFile(cfg.jsonOut, append(out, '\n'), 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, "bench:", werr)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func splitArgs(s string) []string {
	return strings.Fields(s)
}
