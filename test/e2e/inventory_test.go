package e2e

import (
	"bufio"
	"bytes"
	"context"
	"maps"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	plugin "github.com/diskpool/diskpool-operator/cmd/kubectl-diskpool/app"
	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// inventoryTimeout bounds a wait for the operator's node report: a few
// 2 s inventory rounds.
const inventoryTimeout = 30 * time.Second

// TestInventoryOrphanRecoverReclaim walks an admin through a node: the
// inventory lists a pool's disk, an empty disk and, after mkfs.ext4, an
// ext4 disk; a pool with a replica purged while its agent is down becomes
// an orphan when the agent is back (listing,
// diskpool_orphan_pools, one OrphanPool event on the Node); a reclaim
// without the confirmation, or of a pool with replicas, is refused with the
// disk unchanged; `diskpool-operator recover` brings the DiskPool back with
// the same uuid and replica, no DestroyPool, and the data area unchanged;
// then adopting that pool, no longer an orphan, is refused (AdoptRefused).
func TestInventoryOrphanRecoverReclaim(t *testing.T) {
	f := setup(t)
	const node = "node-a"
	pooled, empty, ext4 := f.NewDisk(node), f.NewDisk(node), f.NewDisk(node)
	name := harness.UniqueName("inv")
	f.CreatePool(name, node, pooled)
	p := f.WaitCreated(name)
	poolUUID := p.Status.PoolUUID

	f.waitReport(node, "the pool's disk and an empty disk", func(r inventory.Report) bool {
		d, e := diskIn(r, pooled), diskIn(r, empty)
		return d != nil && d.Content == "Pool" && d.Pool != nil && d.Pool.UUID == poolUUID && d.ClaimedBy == name &&
			d.Pool.Owner.UID == string(p.UID) && d.Pool.Owner.Name == name && d.Pool.Owner.Namespace == f.NS &&
			e != nil && e.Content == "Empty" && e.SizeBytes > 0
	})
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Fatalf("mkfs.ext4 is needed (Debian package e2fsprogs): %v", err)
	}
	if out, err := exec.CommandContext(f.Ctx, "mkfs.ext4", "-q", "-F", ext4).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4 %s: %v\n%s", ext4, err, out)
	}
	f.waitReport(node, "an ext4 disk", func(r inventory.Report) bool {
		d := diskIn(r, ext4)
		return d != nil && d.Content == "Signature" && d.Signature == "ext4" && d.Pool == nil
	})

	agent := f.agentClient(node)
	ctx, cancel := f.callCtx()
	if _, err := agent.CreateReplica(ctx, &agentv1.CreateReplicaRequest{Pool: name, Uuid: uuid.NewString(), Size: 8 << 20}); err != nil {
		cancel()
		t.Fatal(err)
	}
	cancel()
	data := harness.DataHash(t, pooled)

	// Purge while the node's agent is down: the object goes, the pool stays.
	if err := f.Env.StopAgent(node); err != nil {
		t.Fatal(err)
	}
	// A merge patch: the operator writes status meanwhile, so a Get then
	// Update could meet a 409.
	purge := []byte(`{"metadata":{"annotations":{"` + v1beta3.DeleteOptsAnnotation + `":"` + v1beta3.DeleteOptsPurge + `"}}}`)
	if _, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Patch(f.Ctx, name, types.MergePatchType, purge, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	f.DeletePool(name)
	f.WaitGone(name, harness.ConvergeTimeout)
	if err := f.Env.StartAgent(f.Ctx, node); err != nil {
		t.Fatal(err)
	}
	agent = f.agentClient(node)
	f.waitReport(node, "the purged pool as an orphan once its agent is back", func(r inventory.Report) bool {
		o := orphanIn(r, poolUUID)
		return o != nil && o.Name == name && o.Replicas == 1 && o.Owner.UID == string(p.UID) && o.Owner.Namespace == f.NS &&
			o.Owner.Kind == "DiskPool" && slices.Equal(o.Disks, []string{pooled}) && o.Imported
	})
	// kubectl diskpool shows the same, from the API alone: for each
	// command, one output line holding every piece.
	for args, pieces := range map[string][]string{
		"disks node-a": {pooled, "pool " + name + " (uuid " + poolUUID + ", 1 replica(s), owner DiskPool " + f.NS + "/" + name + ")"},
		"disks":        {ext4, "Signature", "ext4"},
		"orphans":      {name, poolUUID, "DiskPool " + f.NS + "/" + name, string(p.UID)},
		"pools":        {"pool " + name, "orphan (was DiskPool " + f.NS + "/" + name + ")", "replicas 1"},
	} {
		var out, errOut bytes.Buffer
		code := plugin.Run(f.Ctx, append(strings.Fields(args), "--operator-namespace="+localenv.SystemNamespace), &out, &errOut, f.Kube, f.Pools)
		if code != 0 || !slices.ContainsFunc(strings.Split(out.String(), "\n"), func(line string) bool {
			return !slices.ContainsFunc(pieces, func(w string) bool { return !strings.Contains(line, w) })
		}) {
			t.Errorf("kubectl diskpool %s: exit %d, no line with all of %q:\n%s%s", args, code, pieces, out.String(), errOut.String())
		}
	}
	if n := f.operatorGauge(`diskpool_orphan_pools{node="node-a"}`); n < 1 {
		t.Errorf("diskpool_orphan_pools{node=node-a} = %v, want at least 1", n)
	}
	f.waitOrphanEvents(node, poolUUID, 1)

	// Reclaim refusals leave the disk alone.
	whole := harness.FileHash(t, pooled)
	ctx, cancel = f.callCtx()
	_, err := agent.ReclaimPool(ctx, &agentv1.ReclaimPoolRequest{Name: name, Uuid: poolUUID})
	cancel()
	if status.Code(err) != codes.FailedPrecondition || poolerr.Reason(err) != poolerr.ReasonConfirmationRequired {
		t.Errorf("reclaim without the confirmation: %v, want FailedPrecondition ConfirmationRequired", err)
	}
	ctx, cancel = f.callCtx()
	_, err = agent.ReclaimPool(ctx, &agentv1.ReclaimPoolRequest{Name: name, Uuid: poolUUID, Confirm: "yes-really-destroy-data"})
	cancel()
	if poolerr.Reason(err) != poolerr.ReasonPoolInUse {
		t.Errorf("reclaim of a pool with a replica: %v, want PoolInUse", err)
	}
	if harness.FileHash(t, pooled) != whole {
		t.Fatal("a refused reclaim changed the disk")
	}

	// Recover: the DiskPool comes back and adopts the pool.
	destroys := f.destroyPoolCalls()
	code, out := f.recoverCLI("--namespace=" + f.NS)
	if code != 0 {
		t.Fatalf("recover: exit %d\n%s", code, out)
	}
	back := f.WaitCreated(name)
	if back.Status.PoolUUID != poolUUID || back.UID == p.UID {
		t.Fatalf("recovered DiskPool: %s; want pool uuid %s under a new object", harness.Describe(back), poolUUID)
	}
	ctx, cancel = f.callCtx()
	got, err := agent.GetPool(ctx, &agentv1.GetPoolRequest{Name: name})
	cancel()
	if err != nil || got.GetUuid() != poolUUID || got.GetReplicaCount() != 1 || got.GetOwnerUid() != string(back.UID) {
		t.Fatalf("pool after recovery = %v, %v", got, err)
	}
	if after := f.destroyPoolCalls(); !maps.Equal(after, destroys) {
		t.Errorf("DestroyPool calls moved during recovery: %v -> %v", destroys, after)
	}
	if harness.DataHash(t, pooled) != data {
		t.Error("the pool's data area changed during the purge, orphan and recovery")
	}
	f.waitReport(node, "no orphan once adopted", func(r inventory.Report) bool { return orphanIn(r, poolUUID) == nil })

	// Adopting a pool that is not an orphan is refused, and changes nothing.
	otherNS := harness.UniqueName(f.NS)
	if _, err := f.Kube.CoreV1().Namespaces().Create(f.Ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: otherNS}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Pools.OpenebsV1beta3().DiskPools(otherNS).Create(f.Ctx, &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: otherNS, Annotations: map[string]string{v1beta3.AdoptOrphanAnnotation: poolUUID}},
		Spec:       v1beta3.DiskPoolSpec{Node: node, Disks: []string{pooled}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	refusedBy := func(p *v1beta3.DiskPool) bool { return harness.ReadyReason(p) == reconcile.ReasonAdoptRefused }
	var refused *v1beta3.DiskPool
	if err := wait.PollUntilContextTimeout(f.Ctx, harness.PollInterval, harness.ConvergeTimeout, true, func(ctx context.Context) (bool, error) {
		d, err := f.Pools.OpenebsV1beta3().DiskPools(otherNS).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		refused = d
		return refusedBy(d), nil
	}); err != nil {
		t.Fatalf("adopting a live pool was not refused: %s", harness.Describe(refused))
	}
	ctx, cancel = f.callCtx()
	got, err = agent.GetPool(ctx, &agentv1.GetPoolRequest{Name: name})
	cancel()
	if err != nil || got.GetOwnerUid() != string(back.UID) || got.GetUuid() != poolUUID {
		t.Fatalf("pool after a refused adoption = %v, %v; want still owned by %s", got, err, back.UID)
	}
	if err := f.Pools.OpenebsV1beta3().DiskPools(otherNS).Delete(f.Ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.waitOrphanEvents(node, poolUUID, 1) // still one: never repeated

	// Clean up: free the replica so the pool can be destroyed.
	ctx, cancel = f.callCtx()
	rs, err := agent.ListReplicas(ctx, &agentv1.ListReplicasRequest{Pool: name})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.GetReplicas() {
		ctx, cancel = f.callCtx()
		_, err := agent.DestroyReplica(ctx, &agentv1.DestroyReplicaRequest{Pool: name, Uuid: r.GetUuid()})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.DeletePool(name)
	f.WaitGone(name, harness.ConvergeTimeout)
}

// waitReport waits until node's published report satisfies cond.
func (f *fixture) waitReport(node, what string, cond func(inventory.Report) bool) inventory.Report {
	f.T.Helper()
	var last inventory.Report
	var lastErr error
	err := wait.PollUntilContextTimeout(f.Ctx, harness.PollInterval, inventoryTimeout, true, func(ctx context.Context) (bool, error) {
		cm, err := f.Kube.CoreV1().ConfigMaps(localenv.SystemNamespace).Get(ctx, inventory.ConfigMapName(node), metav1.GetOptions{})
		if err != nil {
			lastErr = err
			return false, nil
		}
		if last, lastErr = inventory.Decode(cm); lastErr != nil {
			return false, nil
		}
		return cond(last), nil
	})
	if err != nil {
		f.T.Fatalf("node %s report never showed %s within %v (last error %v): %+v", node, what, inventoryTimeout, lastErr, last)
	}
	return last
}

func diskIn(r inventory.Report, path string) *inventory.Disk {
	if c, err := filepath.EvalSymlinks(path); err == nil {
		path = c
	}
	for i := range r.Disks {
		if r.Disks[i].Path == path {
			return &r.Disks[i]
		}
	}
	return nil
}

func orphanIn(r inventory.Report, uuid string) *inventory.Orphan {
	for i := range r.Orphans {
		if r.Orphans[i].UUID == uuid {
			return &r.Orphans[i]
		}
	}
	return nil
}

// waitOrphanEvents waits until node has exactly n OrphanPool events naming
// uuid (each event once: no series).
func (f *fixture) waitOrphanEvents(node, uuid string, n int) {
	f.T.Helper()
	var got []string
	err := wait.PollUntilContextTimeout(f.Ctx, harness.PollInterval, inventoryTimeout, true, func(ctx context.Context) (bool, error) {
		list, err := f.Kube.EventsV1().Events(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		got = got[:0]
		for _, e := range list.Items {
			if e.Reason == inventory.ReasonOrphanPool && e.Regarding.Kind == "Node" && e.Regarding.Name == node && strings.Contains(e.Note, uuid) {
				count := 1
				if e.Series != nil {
					count = int(e.Series.Count)
				}
				got = append(got, e.Type+" x"+strconv.Itoa(count)+": "+e.Note)
			}
		}
		return len(got) == n && (n == 0 || strings.HasPrefix(got[0], "Warning x1:")), nil
	})
	if err != nil {
		f.T.Fatalf("OrphanPool events on node %s for pool %s: %v, want %d Warning, once", node, uuid, got, n)
	}
}

// operatorGauge returns the value of one sample line of the operator's
// /metrics (-1 when absent).
func (f *fixture) operatorGauge(sample string) float64 {
	f.T.Helper()
	ctx, cancel := f.callCtx()
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.Env.OperatorMetricsURL(), nil)
	if err != nil {
		f.T.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.T.Fatalf("scrape the operator: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, sample+" ") {
			v, err := strconv.ParseFloat(strings.TrimPrefix(line, sample+" "), 64)
			if err != nil {
				f.T.Fatal(err)
			}
			return v
		}
	}
	return -1
}

// recoverCLI runs `diskpool-operator recover` as the admin.
func (f *fixture) recoverCLI(args ...string) (int, string) {
	f.T.Helper()
	ctx, cancel := context.WithTimeout(f.Ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.Env.OperatorBinary(), append([]string{"recover",
		"--kubeconfig=" + f.Env.Kubeconfig(), "--operator-namespace=" + localenv.SystemNamespace, "--interval=100ms", "--timeout=1m"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok { //nolint:errorlint // exec returns it unwrapped
			return ee.ExitCode(), string(out)
		}
		f.T.Fatalf("recover: %v\n%s", err, out)
	}
	return 0, string(out)
}
