// Package migrate converts MayastorPools into DiskPools without touching
// the pools on disk. For each MayastorPool it creates a DiskPool with the
// same name, node and disks that asks to adopt the MayastorPool's pool; the
// operator hands the pool over (only the owner in the on-disk label
// changes: same uuid, same replicas), and then the MayastorPool is deleted.
// Its pool is no longer its own, so the operator lets it go without
// destroying anything.
//
// Every step is idempotent and checked against what is stored, so an
// interrupted run is finished by running it again.
package migrate

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// MigratedFromAnnotation records on a DiskPool the MayastorPool it came from.
const MigratedFromAnnotation = "openebs.io/migrated-from"

// Options control a migration run.
type Options struct {
	Namespace string
	// DryRun prints what would be done and changes nothing.
	DryRun bool
	// Timeout bounds the wait for the operator at each step of each pool.
	Timeout time.Duration
	// Interval is how often the wait looks at the objects.
	Interval time.Duration
	// Out receives one line per step.
	Out io.Writer
}

// Result counts what a run did.
type Result struct {
	Migrated []string
	Skipped  []string
}

// Run migrates every MayastorPool in opts.Namespace. It stops at the first
// pool that cannot be migrated and says why; pools migrated before it stay
// migrated, and a re-run continues.
func Run(ctx context.Context, client versioned.Interface, opts Options) (Result, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.Interval == 0 {
		opts.Interval = 500 * time.Millisecond
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	m := migrator{client: client, opts: opts}
	list, err := client.OpenebsV1alpha1().MayastorPools(opts.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return Result{}, fmt.Errorf("list MayastorPools in %s: %w", opts.Namespace, err)
	}
	pools := list.Items
	slices.SortFunc(pools, func(a, b v1alpha1.MayastorPool) int { return strings.Compare(a.Name, b.Name) })
	var res Result
	if len(pools) == 0 {
		m.printf("no MayastorPools in namespace %s: nothing to migrate", opts.Namespace)
	}
	for i := range pools {
		done, err := m.migrate(ctx, &pools[i])
		if err != nil {
			return res, fmt.Errorf("migrate MayastorPool %s/%s: %w", opts.Namespace, pools[i].Name, err)
		}
		if done {
			res.Migrated = append(res.Migrated, pools[i].Name)
		} else {
			res.Skipped = append(res.Skipped, pools[i].Name)
		}
	}
	return res, nil
}

type migrator struct {
	client versioned.Interface
	opts   Options
}

func (m migrator) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(m.opts.Out, format+"\n", args...)
}

// migrate moves one MayastorPool; it reports false when it skipped it.
func (m migrator) migrate(ctx context.Context, msp *v1alpha1.MayastorPool) (bool, error) {
	name := msp.Namespace + "/" + msp.Name
	if msp.DeletionTimestamp != nil && !m.handedOver(ctx, msp) {
		m.printf("%s: skipped: it is being deleted", name)
		return false, nil
	}
	dsp, err := m.ensureDiskPool(ctx, msp)
	if err != nil || dsp == nil {
		return false, err
	}
	if m.opts.DryRun {
		m.printf("%s: would wait for DiskPool %s to adopt pool on node %s, disks %v, then delete the MayastorPool", name, name, dsp.Spec.Node, dsp.Spec.Disks)
		return true, nil
	}
	dsp, err = m.waitAdopted(ctx, dsp)
	if err != nil {
		return false, err
	}
	m.printf("%s: DiskPool is Created and owns pool %s", name, dsp.Status.PoolUUID)
	if err := m.deleteMayastorPool(ctx, msp); err != nil {
		return false, err
	}
	m.printf("%s: migrated (MayastorPool deleted; the pool was not touched)", name)
	return true, nil
}

// ensureDiskPool creates the DiskPool, or finds the one an earlier run
// created. It returns nil (and no error) when it must skip.
func (m migrator) ensureDiskPool(ctx context.Context, msp *v1alpha1.MayastorPool) (*v1beta3.DiskPool, error) {
	name := msp.Namespace + "/" + msp.Name
	want := diskPoolFor(msp)
	existing, err := m.client.OpenebsV1beta3().DiskPools(msp.Namespace).Get(ctx, msp.Name, metav1.GetOptions{})
	switch {
	case err == nil:
		if existing.Annotations[v1beta3.AdoptPoolOwnerAnnotation] != string(msp.UID) {
			return nil, fmt.Errorf("a DiskPool %s already exists and was not created by this migration (its %s annotation is %q, not %q); rename or delete one of them and run again",
				name, v1beta3.AdoptPoolOwnerAnnotation, existing.Annotations[v1beta3.AdoptPoolOwnerAnnotation], msp.UID)
		}
		m.printf("%s: DiskPool exists from an earlier run", name)
		return existing, nil
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("get DiskPool %s: %w", name, err)
	}
	if m.opts.DryRun {
		m.printf("%s: would create DiskPool %s (node %s, disks %v) adopting the pool of MayastorPool uid %s", name, name, want.Spec.Node, want.Spec.Disks, msp.UID)
		return want, nil
	}
	created, err := m.client.OpenebsV1beta3().DiskPools(msp.Namespace).Create(ctx, want, metav1.CreateOptions{FieldManager: "diskpool-migrate"})
	if err != nil {
		return nil, fmt.Errorf("create DiskPool %s: %w", name, err)
	}
	m.printf("%s: created DiskPool (node %s, disks %v)", name, want.Spec.Node, want.Spec.Disks)
	return created, nil
}

// diskPoolFor is the DiskPool that takes over msp's pool: the node and disks
// the pool was created with (the cached status), the spec before that.
func diskPoolFor(msp *v1alpha1.MayastorPool) *v1beta3.DiskPool {
	node, disks := msp.Status.Node, msp.Status.Disks
	if node == "" || len(disks) == 0 {
		node, disks = msp.Spec.Node, msp.Spec.Disks
	}
	return &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{
			Name:      msp.Name,
			Namespace: msp.Namespace,
			Labels:    msp.Labels,
			Annotations: map[string]string{
				v1beta3.AdoptPoolOwnerAnnotation: string(msp.UID),
				MigratedFromAnnotation:           "MayastorPool/" + string(msp.UID),
			},
		},
		Spec: v1beta3.DiskPoolSpec{Node: node, Disks: slices.Clone(disks)},
	}
}

// waitAdopted waits until the operator reports the DiskPool Created, which
// it does only once the agent reports the pool owned by the DiskPool.
func (m migrator) waitAdopted(ctx context.Context, dsp *v1beta3.DiskPool) (*v1beta3.DiskPool, error) {
	var last *v1beta3.DiskPool
	err := wait.PollUntilContextTimeout(ctx, m.opts.Interval, m.opts.Timeout, true, func(ctx context.Context) (bool, error) {
		got, err := m.client.OpenebsV1beta3().DiskPools(dsp.Namespace).Get(ctx, dsp.Name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("get DiskPool: %w", err)
		}
		last = got
		return got.Status.CRState == v1beta3.CRStateCreated && got.Status.ObservedGeneration == got.Generation && got.Status.PoolUUID != "", nil
	})
	if err != nil {
		why := "no status yet"
		if last != nil {
			why = fmt.Sprintf("cr_state %q", last.Status.CRState)
			for _, c := range last.Status.Conditions {
				if c.Type == v1beta3.ConditionReady {
					why += fmt.Sprintf(", Ready %s %s: %s", c.Status, c.Reason, c.Message)
				}
			}
		}
		return nil, fmt.Errorf("DiskPool %s/%s did not become Created within %s (%s); is the operator running? The MayastorPool is untouched; run again to continue: %w",
			dsp.Namespace, dsp.Name, m.opts.Timeout, why, err)
	}
	return last, nil
}

// handedOver reports whether msp's pool already belongs to the DiskPool of
// the same name (a previous run got as far as deleting the MayastorPool).
func (m migrator) handedOver(ctx context.Context, msp *v1alpha1.MayastorPool) bool {
	dsp, err := m.client.OpenebsV1beta3().DiskPools(msp.Namespace).Get(ctx, msp.Name, metav1.GetOptions{})
	return err == nil && dsp.Annotations[v1beta3.AdoptPoolOwnerAnnotation] == string(msp.UID) && dsp.Status.CRState == v1beta3.CRStateCreated
}

// deleteMayastorPool deletes msp (only that object: UID precondition) and
// waits until it is gone.
func (m migrator) deleteMayastorPool(ctx context.Context, msp *v1alpha1.MayastorPool) error {
	uid := msp.UID
	err := m.client.OpenebsV1alpha1().MayastorPools(msp.Namespace).Delete(ctx, msp.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &uid},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete MayastorPool: %w", err)
	}
	err = wait.PollUntilContextTimeout(ctx, m.opts.Interval, m.opts.Timeout, true, func(ctx context.Context) (bool, error) {
		got, err := m.client.OpenebsV1alpha1().MayastorPools(msp.Namespace).Get(ctx, msp.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		return got.UID != uid, nil
	})
	if err != nil {
		return fmt.Errorf("MayastorPool %s/%s is still there after %s (its finalizer is removed by the operator, which leaves the handed-over pool alone); run again to continue: %w",
			msp.Namespace, msp.Name, m.opts.Timeout, err)
	}
	return nil
}
