package nodecluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// waitNodeReadySince waits until the node reports Ready (kubelet
// registered, runtime and CNI network ready) and its kubelet renewed the
// node Lease after since (the Ready condition itself is only rewritten on a
// change or every few minutes).
func (c *Cluster) waitNodeReadySince(ctx context.Context, since time.Time) error {
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	var last string
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, c.opts.StartTimeout, true, func(ctx context.Context) (bool, error) {
		n, err := cs.CoreV1().Nodes().Get(ctx, c.opts.NodeName, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				last = fmt.Sprintf("Ready=%s %s: %s", cond.Status, cond.Reason, cond.Message)
				if cond.Status != corev1.ConditionTrue {
					return false, nil
				}
				l, err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, c.opts.NodeName, metav1.GetOptions{})
				if err != nil || l.Spec.RenewTime == nil {
					last += fmt.Sprintf("; node Lease: %v", err)
					return false, nil
				}
				last += fmt.Sprintf("; node Lease renewed %s", l.Spec.RenewTime)
				return l.Spec.RenewTime.After(since), nil
			}
		}
		last = "no Ready condition"
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("node %s not Ready: %s: %w", c.opts.NodeName, last, err)
	}
	return nil
}
