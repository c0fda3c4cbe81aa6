package recovery

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
)

const (
	ns   = "storage"
	opNS = "diskpool-system"
)

func orphan(name, uuid, namespace string, disks ...string) inventory.Orphan {
	return inventory.Orphan{Name: name, UUID: uuid, Disks: disks, Paths: disks, Replicas: 2,
		Owner: inventory.Owner{Kind: "DiskPool", Namespace: namespace, Name: name, UID: "old-" + uuid}}
}

func TestPlan(t *testing.T) {
	mine := &v1beta3.DiskPool{ObjectMeta: metav1.ObjectMeta{Name: "p-wait", Namespace: ns, Annotations: map[string]string{RecoveredFromAnnotation: "u-wait"}}}
	other := &v1beta3.DiskPool{ObjectMeta: metav1.ObjectMeta{Name: "p-taken", Namespace: ns, UID: "live"}}
	reports := []inventory.Report{
		{Node: "node-b", Orphans: []inventory.Orphan{orphan("p-twice", "u-twice-b", ns, "/dev/sdb")}},
		{Node: "node-a", Orphans: []inventory.Orphan{
			orphan("p-new", "u-new", ns, "/dev/sdc", "/dev/sdb"),
			orphan("p-old-label", "u-old", "", "/dev/sdd"),
			orphan("p-elsewhere", "u-else", "other", "/dev/sde"),
			orphan("p-wait", "u-wait", ns, "/dev/sdf"),
			orphan("p-taken", "u-taken", ns, "/dev/sdg"),
			orphan("p-twice", "u-twice-a", ns, "/dev/sdh"),
			orphan("p-nodisks", "u-nodisks", ns),
		}},
	}
	var got []string
	for _, s := range Plan(ns, reports, []*v1beta3.DiskPool{mine, other}) {
		got = append(got, s.Node+"/"+s.Orphan.Name+"="+string(s.Kind))
	}
	want := []string{
		"node-a/p-new=Create", "node-a/p-old-label=Create", "node-a/p-wait=Wait", "node-a/p-taken=Skip",
		"node-a/p-twice=Create", "node-a/p-nodisks=Skip", "node-b/p-twice=Skip",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan = %v\nwant %v", got, want)
	}
	s := Plan(ns, reports[1:], nil)[0]
	d := s.DiskPool
	if d.Name != "p-new" || d.Namespace != ns || d.Spec.Node != "node-a" || !reflect.DeepEqual(d.Spec.Disks, []string{"/dev/sdc", "/dev/sdb"}) ||
		d.Annotations[v1beta3.AdoptPoolOwnerAnnotation] != "old-u-new" || d.Annotations[v1beta3.AdoptOrphanAnnotation] != "u-new" {
		t.Errorf("DiskPool = %+v", d)
	}
}

func reportConfigMaps(t *testing.T, reports ...inventory.Report) []runtime.Object {
	var out []runtime.Object
	for _, r := range reports {
		cm, err := inventory.NewConfigMap(opNS, r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cm)
	}
	return out
}

// adopter stands in for the operator: it marks recovered DiskPools Created
// with the uuid they adopt.
func adopter(ctx context.Context, client *fake.Clientset) {
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			list, err := client.OpenebsV1beta3().DiskPools(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				continue
			}
			for i := range list.Items {
				d := &list.Items[i]
				if d.Status.CRState != v1beta3.CRStateCreated {
					d.Status = v1beta3.DiskPoolStatus{CRState: v1beta3.CRStateCreated, PoolUUID: d.Annotations[v1beta3.AdoptOrphanAnnotation]}
					_, _ = client.OpenebsV1beta3().DiskPools(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{})
				}
			}
		}
	}()
}

func TestRun(t *testing.T) {
	kube := kubefake.NewClientset(reportConfigMaps(t,
		inventory.Report{Node: "node-a", Orphans: []inventory.Orphan{orphan("p1", "u1", ns, "/dev/sdb"), orphan("p2", "u2", ns, "/dev/sdc")}},
		inventory.Report{Node: "node-b", Orphans: []inventory.Orphan{}})...)
	client := fake.NewSimpleClientset()
	var out bytes.Buffer
	opts := Options{Namespace: ns, OperatorNamespace: opNS, DryRun: true, Timeout: 10 * time.Second, Interval: 5 * time.Millisecond, Out: &out}

	res, err := Run(context.Background(), kube, client, opts)
	if err != nil || len(res.Recovered) != 2 {
		t.Fatalf("dry run = %+v, %v\n%s", res, err, out.String())
	}
	if n := len(client.Actions()); n != 1 { // the list
		t.Fatalf("dry run made %d calls: %v", n, client.Actions())
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	adopter(ctx, client)
	opts.DryRun = false
	res, err = Run(ctx, kube, client, opts)
	if err != nil || !reflect.DeepEqual(res.Recovered, []string{"node-a/p1", "node-a/p2"}) {
		t.Fatalf("run = %+v, %v\n%s", res, err, out.String())
	}
	// Again: nothing to create, both waited for.
	res, err = Run(ctx, kube, client, opts)
	if err != nil || len(res.Recovered) != 2 || !strings.Contains(out.String(), "exists from an earlier run") {
		t.Fatalf("re-run = %+v, %v\n%s", res, err, out.String())
	}
}
