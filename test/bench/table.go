package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// printTable writes the headline figures for humans; the JSON has all.
func printTable(w io.Writer, r *result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { _, _ = fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("pools / nodes", fmt.Sprintf("%d / %d", r.Pools, r.Nodes))
	row("operator flags", fmt.Sprintf("%v (production defaults otherwise)", r.Flags))
	row("create: all Ready", fmt.Sprintf("%.2fs (%.0f pools/s), p50 %.3fs, p99 %.3fs; the creates took %.2fs", r.Create.WallSeconds, r.Create.ObjectsPerSec, r.Create.P50Seconds, r.Create.P99Seconds, r.Create.RequestsSeconds))
	row("floor create", fmt.Sprintf("%.2fs (%.0f objects/s), p50 %.3fs, p99 %.3fs; the creates took %.2fs", r.FloorCreate.WallSeconds, r.FloorCreate.ObjectsPerSec, r.FloorCreate.P50Seconds, r.FloorCreate.P99Seconds, r.FloorCreate.RequestsSeconds))
	row("create ratio to floor", fmt.Sprintf("%.2fx", r.CreateRatio))
	row("delete: all gone, labels erased", fmt.Sprintf("%.2fs, p50 %.3fs, p99 %.3fs; the deletes took %.2fs", r.Delete.WallSeconds, r.Delete.P50Seconds, r.Delete.P99Seconds, r.Delete.RequestsSeconds))
	row("floor delete", fmt.Sprintf("%.2fs, p50 %.3fs, p99 %.3fs; the deletes took %.2fs", r.FloorDelete.WallSeconds, r.FloorDelete.P50Seconds, r.FloorDelete.P99Seconds, r.FloorDelete.RequestsSeconds))
	row("delete ratio to floor", fmt.Sprintf("%.2fx", r.DeleteRatio))
	row("floor delete with an event per delete", fmt.Sprintf("%.2fs, p50 %.3fs, p99 %.3fs; the deletes took %.2fs; the operator's delete is %.2fx it",
		r.FloorEventsDelete.WallSeconds, r.FloorEventsDelete.P50Seconds, r.FloorEventsDelete.P99Seconds, r.FloorEventsDelete.RequestsSeconds, r.DeleteRatioToFloorWithEvents))
	o := r.Operator
	row("API writes per create (pool object)", fmt.Sprintf("%.2f (+%.2f event writes)", o.WritesPerCreate, o.EventWritesPerCreate))
	row("API writes per delete (pool object)", fmt.Sprintf("%.2f", o.WritesPerDelete))
	row("gRPC calls per create / delete", fmt.Sprintf("%.2f / %.2f", o.GRPCPerCreate, o.GRPCPerDelete))
	row("409 conflicts", o.Conflicts)
	row("idle writes / gRPC calls", fmt.Sprintf("%g / %g in %gs (other writes: %g)", o.IdleWrites, o.IdleGRPC, o.IdleSeconds, o.IdleOtherWrites))
	row("other writes in the create / delete burst", fmt.Sprintf("%g / %g (inventory ConfigMaps, leader Lease)", o.OtherWritesCreate, o.OtherWritesDelete))
	row("peak RSS", fmt.Sprintf("%.1f MiB", float64(o.PeakRSSBytes)/(1<<20)))
	row("heap after convergence", fmt.Sprintf("%.1f MiB (%.0f bytes per pool over baseline)", o.HeapBytes/(1<<20), o.HeapBytesPerPool))
	row("live heap (last GC) before create / after convergence", fmt.Sprintf("%.1f MiB / %.1f MiB", o.HeapLiveBaselineBytes/(1<<20), o.HeapLiveBytes/(1<<20)))
	row("create means: CreatePool / PUT / queued", fmt.Sprintf("%.0f ms / %.0f ms / %.2fs (%g ListDisks in the burst, %.0f ms each)",
		o.MeanCreatePoolSeconds*1e3, o.MeanWriteSeconds*1e3, o.MeanQueueWaitSeconds, o.ListDisksCalls, o.MeanListDisksSeconds*1e3))
	row("delete means: DestroyPool / PUT / queued", fmt.Sprintf("%.0f ms / %.0f ms / %.2fs",
		o.MeanDestroyPoolSeconds*1e3, o.MeanDeleteWriteSeconds*1e3, o.MeanDeleteQueueWaitSeconds))
	row("CPU seconds per pool", fmt.Sprintf("%.4f", o.CPUSecondsPerPool))
	row("restart: ready / settled", fmt.Sprintf("%.2fs / %.2fs", r.Restart.ReadySeconds, r.Restart.SettleSeconds))
	row("restart: writes / gRPC calls", fmt.Sprintf("%g / %g (%s)", r.Restart.Writes, r.Restart.GRPC, r.Restart.GRPCByMethod))
	row("CPU seconds in the create burst", fmt.Sprintf("operator %.2f, nodes %.2f, etcd %.2f, kube-apiserver %.2f (fleet process: %v)", r.CPUCreate.Operator, r.CPUCreate.Nodes, r.CPUCreate.Etcd, r.CPUCreate.KubeAPIServe, r.Fleet))
	for _, c := range []struct {
		name string
		cpu  cpuSplit
	}{{"the delete burst", r.CPUDelete}, {"the floor's delete", r.CPUFloorDelete}, {"the floor's delete with events", r.CPUFloorEventsDelete}} {
		row("CPU seconds in "+c.name, fmt.Sprintf("operator %.2f, nodes %.2f, etcd %.2f, kube-apiserver %.2f", c.cpu.Operator, c.cpu.Nodes, c.cpu.Etcd, c.cpu.KubeAPIServe))
	}
	row("CPU seconds in the idle period", fmt.Sprintf("operator %.2f, nodes %.2f, etcd %.2f, kube-apiserver %.2f", r.CPUIdle.Operator, r.CPUIdle.Nodes, r.CPUIdle.Etcd, r.CPUIdle.KubeAPIServe))
	row("agent Lease writes per node per second", fmt.Sprintf("%.3f", r.LeaseWritesPerNodePerSecond))
	row("agent SIGKILL to pool not Ready / Offline", fmt.Sprintf("%.2fs / %.2fs", r.AgentKillToNotReadySeconds, r.AgentKillToOfflineSeconds))
	row("agent SIGSTOP to pool Offline / SIGCONT to Online", fmt.Sprintf("%.2fs / %.2fs", r.AgentStopToOfflineSeconds, r.AgentContToOnlineSeconds))
	for _, x := range []operatorRun{r.OperatorNoPolicy, r.OperatorBacklog} {
		if x.Name == "" {
			continue
		}
		row("operator "+x.Name, fmt.Sprintf("create %.2fs (p99 %.3fs), delete %.2fs, %.2f writes per create, %.2f per delete, %g conflicts",
			x.Create.WallSeconds, x.Create.P99Seconds, x.Delete.WallSeconds, x.WritesPerCreate, x.WritesPerDelete, x.Conflicts))
	}
	for _, p := range r.Peers {
		row("controller-runtime peer "+p.Name, fmt.Sprintf("create %.2fs (p99 %.3fs), delete %.2fs, %.2f writes per create, %g conflicts; operator/peer %.2fx create, %.2fx delete",
			p.Create.WallSeconds, p.Create.P99Seconds, p.Delete.WallSeconds, p.WritesPerCreate, p.Conflicts, p.OperatorCreateRatio, p.OperatorDeleteRatio))
	}
	_ = tw.Flush()
}
