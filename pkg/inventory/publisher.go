package inventory

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
)

// Event reason and the actions it names, for the Warning on the Node.
const (
	ReasonOrphanPool = "OrphanPool"
	actionReport     = "ReportOrphan"
)

// FieldManager is the field manager of the report writes.
const FieldManager = "diskpool-operator-inventory"

// Publisher writes node reports to their ConfigMaps, only when they
// change, and announces each new orphan once.
type Publisher struct {
	client     kubernetes.Interface
	namespace  string
	configMaps corelisters.ConfigMapLister
	recorder   events.EventRecorder
	metrics    *Metrics
}

// NewPublisher returns a Publisher writing in namespace. configMaps must be
// an informer's lister that sees the report ConfigMaps of namespace (it is
// what "changed" is compared with); metrics may be nil.
func NewPublisher(client kubernetes.Interface, namespace string, configMaps corelisters.ConfigMapLister, recorder events.EventRecorder, metrics *Metrics) *Publisher {
	return &Publisher{client: client, namespace: namespace, configMaps: configMaps, recorder: recorder, metrics: metrics}
}

// Publish stores r as its node's report. It writes nothing when the
// ConfigMap already holds r; after a write it sends one Warning event on
// the Node per orphan the previous report did not list.
func (p *Publisher) Publish(ctx context.Context, r Report) error {
	logger := klog.FromContext(ctx).WithValues("node", r.Node)
	want, err := NewConfigMap(p.namespace, r)
	if err != nil {
		return fmt.Errorf("encode the report of node %s: %w", r.Node, err)
	}
	have, err := p.configMaps.ConfigMaps(p.namespace).Get(want.Name)
	var prev Report
	switch {
	case apierrors.IsNotFound(err):
		if _, err := p.client.CoreV1().ConfigMaps(p.namespace).Create(ctx, want, createOpts); err != nil {
			return fmt.Errorf("create the report of node %s: %w", r.Node, err)
		}
		logger.V(2).Info("Published the node's disk inventory", "disks", len(r.Disks), "orphans", len(r.Orphans))
	case err != nil:
		return fmt.Errorf("read the report of node %s: %w", r.Node, err)
	case upToDate(have, want):
		p.metrics.setOrphans(r.Node, len(r.Orphans))
		return nil
	default:
		prev, _ = Decode(have) // an unreadable old report announces every orphan again
		upd := have.DeepCopy()
		upd.Data = want.Data
		if upd.Labels == nil {
			upd.Labels = map[string]string{}
		}
		if upd.Annotations == nil {
			upd.Annotations = map[string]string{}
		}
		for k, v := range want.Labels {
			upd.Labels[k] = v
		}
		upd.Annotations[NodeAnnotation] = r.Node
		if _, err := p.client.CoreV1().ConfigMaps(p.namespace).Update(ctx, upd, updateOpts); err != nil {
			return fmt.Errorf("update the report of node %s: %w", r.Node, err)
		}
		logger.V(2).Info("Updated the node's disk inventory", "disks", len(r.Disks), "orphans", len(r.Orphans))
	}
	p.metrics.setOrphans(r.Node, len(r.Orphans))
	for _, o := range NewOrphans(prev.Orphans, r.Orphans) {
		p.announce(ctx, r.Node, o)
	}
	return nil
}

// announce sends the Warning event of a new orphan on its Node.
func (p *Publisher) announce(ctx context.Context, node string, o Orphan) {
	klog.FromContext(ctx).Info("Found an orphaned pool", "node", node, "pool", o.Name, "uuid", o.UUID,
		"ownerKind", o.Owner.Kind, "ownerNamespace", o.Owner.Namespace, "ownerName", o.Owner.Name, "ownerUID", o.Owner.UID,
		"replicas", o.Replicas, "disks", o.Disks)
	if p.recorder == nil {
		return
	}
	ref := &corev1.ObjectReference{Kind: "Node", Name: node, UID: types.UID(node)}
	p.recorder.Eventf(ref, nil, corev1.EventTypeWarning, ReasonOrphanPool, actionReport, OrphanMessage(node, o))
}

// OrphanMessage says whose the orphan was and what the admin can do.
func OrphanMessage(node string, o Orphan) string {
	return fmt.Sprintf("Pool %s (uuid %s, %d replica(s)) on disk(s) %v of node %s belonged to %s, which no longer exists. "+
		"Adopt it with a DiskPool named %s on this node and disk(s) annotated openebs.io/adopt-orphan=%s, "+
		"recover every orphan with `diskpool-operator recover`, or reclaim the disk (see docs/operations.md)",
		o.Name, o.UUID, o.Replicas, o.Disks, node, ownerName(o.Owner), o.Name, o.UUID)
}

func ownerName(o Owner) string {
	if o.Kind == "" && o.Name == "" {
		return "the object with uid " + o.UID
	}
	return fmt.Sprintf("%s %s/%s (uid %s)", o.Kind, o.Namespace, o.Name, o.UID)
}
