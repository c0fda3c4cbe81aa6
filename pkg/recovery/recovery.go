package recovery

import (
	"context"
	"fmt"
	"io"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
)

// Options control a recovery run.
type Options struct {
	// Namespace gets the DiskPools; orphans whose former owner was in
	// another namespace are left for a run there.
	Namespace string
	// OperatorNamespace holds the operator's node reports.
	OperatorNamespace string
	// DryRun prints the plan and changes nothing.
	DryRun bool
	// Timeout bounds the wait for the operator to adopt every pool.
	Timeout time.Duration
	// Interval is how often the wait looks at the objects.
	Interval time.Duration
	Out      io.Writer
}

// Result lists what a run did, by "node/pool".
type Result struct {
	Recovered []string
	Skipped   []string
}

// Reports reads every node report the operator published in namespace.
// A report that does not decode is returned as an error with the others.
func Reports(ctx context.Context, kube kubernetes.Interface, namespace string) ([]inventory.Report, error) {
	list, err := kube.CoreV1().ConfigMaps(namespace).List(ctx, metav1.ListOptions{LabelSelector: inventory.Selector()})
	if err != nil {
		return nil, fmt.Errorf("list the node reports in %s: %w", namespace, err)
	}
	out := make([]inventory.Report, 0, len(list.Items))
	for i := range list.Items {
		r, err := inventory.Decode(&list.Items[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Run recovers the orphans the operator reports: it creates the planned
// DiskPools, then waits until the operator reports each Created with its
// pool's uuid. It is idempotent: a re-run waits for the DiskPools it made.
func Run(ctx context.Context, kube kubernetes.Interface, client versioned.Interface, opts Options) (Result, error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	printf := func(format string, args ...any) { _, _ = fmt.Fprintf(opts.Out, format+"\n", args...) }
	reports, err := Reports(ctx, kube, opts.OperatorNamespace)
	if err != nil {
		return Result{}, err
	}
	if len(reports) == 0 {
		printf("no node reports in namespace %s: is the operator running with a disk inventory?", opts.OperatorNamespace)
	}
	list, err := client.OpenebsV1beta3().DiskPools(opts.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return Result{}, fmt.Errorf("list DiskPools in %s: %w", opts.Namespace, err)
	}
	existing := make([]*v1beta3.DiskPool, len(list.Items))
	for i := range list.Items {
		existing[i] = &list.Items[i]
	}
	var res Result
	var wait []Step
	for _, s := range Plan(opts.Namespace, reports, existing) {
		id := s.Node + "/" + s.Orphan.Name
		switch s.Kind {
		case StepSkip:
			printf("%s (uuid %s): skipped: %s", id, s.Orphan.UUID, s.Why)
			res.Skipped = append(res.Skipped, id)
			continue
		case StepCreate:
			if opts.DryRun {
				printf("%s (uuid %s, %d replica(s)): would create DiskPool %s/%s on disks %v", id, s.Orphan.UUID, s.Orphan.Replicas, opts.Namespace, s.Orphan.Name, s.Orphan.Disks)
				res.Recovered = append(res.Recovered, id)
				continue
			}
			if _, err := client.OpenebsV1beta3().DiskPools(opts.Namespace).Create(ctx, s.DiskPool, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return res, fmt.Errorf("create DiskPool %s/%s: %w", opts.Namespace, s.Orphan.Name, err)
			}
			printf("%s (uuid %s, %d replica(s)): created DiskPool %s/%s on disks %v", id, s.Orphan.UUID, s.Orphan.Replicas, opts.Namespace, s.Orphan.Name, s.Orphan.Disks)
		case StepWait:
			printf("%s (uuid %s): DiskPool %s/%s exists from an earlier run", id, s.Orphan.UUID, opts.Namespace, s.Orphan.Name)
		}
		if !opts.DryRun {
			wait = append(wait, s)
		}
	}
	for _, s := range wait {
		if err := waitAdopted(ctx, client, opts, s); err != nil {
			return res, err
		}
		printf("%s: DiskPool %s/%s is Created with pool uuid %s", s.Node+"/"+s.Orphan.Name, opts.Namespace, s.Orphan.Name, s.Orphan.UUID)
		res.Recovered = append(res.Recovered, s.Node+"/"+s.Orphan.Name)
	}
	return res, nil
}

// waitAdopted waits until the DiskPool reports Created with the orphan's
// uuid: the operator adopted the pool.
func waitAdopted(ctx context.Context, client versioned.Interface, opts Options, s Step) error {
	var last *v1beta3.DiskPool
	err := wait.PollUntilContextTimeout(ctx, opts.Interval, opts.Timeout, true, func(ctx context.Context) (bool, error) {
		d, err := client.OpenebsV1beta3().DiskPools(opts.Namespace).Get(ctx, s.Orphan.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // transient: keep waiting until the timeout
		}
		last = d
		return d.Status.CRState == v1beta3.CRStateCreated && d.Status.PoolUUID == s.Orphan.UUID, nil
	})
	if err == nil {
		return nil
	}
	why := "the DiskPool is gone"
	if last != nil {
		why = fmt.Sprintf("its status is %q with pool uuid %q (conditions: %v)", last.Status.CRState, last.Status.PoolUUID, last.Status.Conditions)
	}
	return fmt.Errorf("DiskPool %s/%s did not adopt pool %s within %v: %s", opts.Namespace, s.Orphan.Name, s.Orphan.UUID, opts.Timeout, why)
}
