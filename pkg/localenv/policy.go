package localenv

import (
	"context"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// policyTimeout bounds the wait for the finalizer policy to take effect.
const policyTimeout = 30 * time.Second

// WaitFinalizerPolicy waits until the API server adds the finalizer to a
// new DiskPool in namespace (manifests/base/finalizer-policy.yaml). An
// admission policy takes effect a moment after it is created, when the API
// server's policy informer has seen it and its binding; pools created
// before that would get their finalizer from the operator instead, an
// extra write that would make benchmarks and write-count tests flaky. It
// probes with server-side dry-run creates, which run admission and store
// nothing.
func WaitFinalizerPolicy(ctx context.Context, cfg *rest.Config, namespace string) error {
	client, err := versioned.NewForConfig(cfg)
	if err != nil {
		return err
	}
	probe := &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: "finalizer-policy-probe", Namespace: namespace},
		Spec:       v1beta3.DiskPoolSpec{Node: "probe", Disks: []string{"/dev/probe"}},
	}
	var last string
	err = wait.PollUntilContextTimeout(ctx, pollInterval, policyTimeout, true, func(ctx context.Context) (bool, error) {
		got, err := client.OpenebsV1beta3().DiskPools(namespace).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		if slices.Contains(got.Finalizers, v1beta3.Finalizer) {
			return true, nil
		}
		last = fmt.Sprintf("a new DiskPool has finalizers %v", got.Finalizers)
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("wait for the finalizer admission policy: %w (last: %s)", err, last)
	}
	return nil
}
