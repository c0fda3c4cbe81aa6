package localcluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// CreateNodes creates Node objects with a Ready condition, as the admin user;
// see CreateNodesWith.
func (c *Cluster) CreateNodes(ctx context.Context, names ...string) error {
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("create nodes: %w", err)
	}
	return CreateNodesWith(ctx, cs, names...)
}

// CreateNodesWith creates Node objects labelled kubernetes.io/hostname=<name>
// with condition Ready=True. No kubelet or node lifecycle controller runs
// locally, so the condition stays as written. Existing nodes are left alone.
func CreateNodesWith(ctx context.Context, cs kubernetes.Interface, names ...string) error {
	for _, name := range names {
		node := newReadyNode(name)
		created, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{FieldManager: FieldManager})
		if apierrors.IsAlreadyExists(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("create node %s: %w", name, err)
		}
		if hasReadyCondition(created) {
			continue
		}
		// Should the API server drop status on create, set it explicitly.
		created.Status = node.Status
		if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil {
			return fmt.Errorf("set node %s ready: %w", name, err)
		}
	}
	return nil
}

func newReadyNode(name string) *corev1.Node {
	now := metav1.Now()
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:   name,
			Labels: map[string]string{corev1.LabelHostname: name},
		},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{
				Type:               corev1.NodeReady,
				Status:             corev1.ConditionTrue,
				Reason:             "LocalCluster",
				Message:            "simulated node created by localcluster",
				LastHeartbeatTime:  now,
				LastTransitionTime: now,
			}},
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: "127.0.0.1"},
				{Type: corev1.NodeHostName, Address: name},
			},
		},
	}
}

func hasReadyCondition(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
