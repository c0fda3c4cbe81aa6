package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
	"github.com/diskpool/diskpool-operator/pkg/recovery"
)

func sortedReports(ctx context.Context, kube kubernetes.Interface, ns string) ([]inventory.Report, error) {
	reports, err := recovery.Reports(ctx, kube, ns)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(reports, func(a, b inventory.Report) int { return strings.Compare(a.Node, b.Node) })
	return reports, nil
}

func size(b uint64) string {
	if b > 1<<62 {
		return fmt.Sprintf("%dB", b)
	}
	return resource.NewQuantity(int64(b), resource.BinarySI).String() //nolint:gosec // checked above
}

// detail says what is on a disk in a few words.
func detail(d inventory.Disk) string {
	switch {
	case d.Pool != nil:
		s := fmt.Sprintf("pool %s (uuid %s, %d replica(s), owner %s)", d.Pool.Name, d.Pool.UUID, d.Pool.Replicas, owner(d.Pool.Owner))
		if d.Signature != "" {
			s += " overwritten by " + d.Signature
		}
		return s
	case d.Signature != "":
		return d.Signature
	case d.Error != "":
		return d.Error
	}
	return "-"
}

func owner(o inventory.Owner) string {
	if o.Kind == "" {
		return "uid " + o.UID
	}
	return fmt.Sprintf("%s %s/%s", o.Kind, o.Namespace, o.Name)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func disks(ctx context.Context, out io.Writer, kube kubernetes.Interface, ns, node string) error {
	reports, err := sortedReports(ctx, kube, ns)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "NODE\tPATH\tSIZE\tCONTENT\tDETAIL\tUSED BY\tLINKS")
	found := node == ""
	for _, r := range reports {
		if node != "" && r.Node != node {
			continue
		}
		found = true
		for _, d := range r.Disks {
			_, _ = fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Node, d.Path, size(d.SizeBytes), d.Content, detail(d),
				orDash(d.ClaimedBy), orDash(strings.Join(d.Links, ",")))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("no report for node %s in namespace %s (no agent there, or the operator has not listed it yet)", node, ns)
	}
	return nil
}

func orphans(ctx context.Context, out io.Writer, kube kubernetes.Interface, ns string) error {
	reports, err := sortedReports(ctx, kube, ns)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "NODE\tPOOL\tUUID\tREPLICAS\tFORMER OWNER\tOWNER UID\tDISKS")
	for _, r := range reports {
		for _, o := range r.Orphans {
			_, _ = fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Node, o.Name, o.UUID, o.Replicas, owner(o.Owner), o.Owner.UID, strings.Join(o.Disks, ","))
		}
	}
	return w.Flush()
}

// pools prints node → disk → pool, with the DiskPool's state and size
// from its status and the replica count from the node's report.
func pools(ctx context.Context, out io.Writer, kube kubernetes.Interface, client versioned.Interface, ns, poolNS string) error {
	reports, err := sortedReports(ctx, kube, ns)
	if err != nil {
		return err
	}
	list, err := client.OpenebsV1beta3().DiskPools(poolNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list DiskPools: %w", err)
	}
	byUUID := map[string]*v1beta3.DiskPool{}
	for i := range list.Items {
		if u := list.Items[i].Status.PoolUUID; u != "" {
			byUUID[u] = &list.Items[i]
		}
	}
	for _, r := range reports {
		orphaned := map[string]bool{}
		for _, o := range r.Orphans {
			orphaned[o.UUID] = true
		}
		_, _ = fmt.Fprintln(out, r.Node)
		for i, d := range r.Disks {
			branch, stem := "├─", "│ "
			if i == len(r.Disks)-1 {
				branch, stem = "└─", "  "
			}
			_, _ = fmt.Fprintf(out, "%s %s  %s  %s\n", branch, d.Path, size(d.SizeBytes), d.Content)
			if d.Pool == nil {
				continue
			}
			obj, state, capacity := owner(d.Pool.Owner), "-", "-"
			if orphaned[d.Pool.UUID] {
				obj = "orphan (was " + obj + ")"
			}
			if dp := byUUID[d.Pool.UUID]; dp != nil {
				obj = "DiskPool " + dp.Namespace + "/" + dp.Name
				state = fmt.Sprintf("%s/%s", orDash(string(dp.Status.CRState)), orDash(string(dp.Status.PoolStatus)))
				capacity = size(uint64(max(dp.Status.Capacity, 0)))
			}
			_, _ = fmt.Fprintf(out, "%s └─ pool %s  %s  %s  capacity %s  replicas %d\n", stem, d.Pool.Name, obj, state, capacity, d.Pool.Replicas)
		}
	}
	return nil
}
