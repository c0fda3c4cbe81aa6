// Package recovery recreates the pool objects of orphaned pools: after the
// control plane lost its objects (an etcd restored empty, a namespace
// deleted with its finalizers removed), one DiskPool per orphan, under its
// former name, each asking the operator to adopt its pool. Nothing is
// written to a disk but the owner recorded in each pool's label.
package recovery

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
)

// RecoveredFromAnnotation records on a recovered DiskPool the uuid of the
// pool it was created for; a re-run recognises its own objects by it.
const RecoveredFromAnnotation = "openebs.io/recovered-pool-uuid"

// StepKind is what recovery does for one orphan.
type StepKind string

const (
	// StepCreate: create the DiskPool.
	StepCreate StepKind = "Create"
	// StepWait: the DiskPool exists (an earlier run made it); wait for it.
	StepWait StepKind = "Wait"
	// StepSkip: leave the orphan (Why says why).
	StepSkip StepKind = "Skip"
)

// Step is the plan for one orphan.
type Step struct {
	Kind   StepKind
	Node   string
	Orphan inventory.Orphan
	// DiskPool is the object to create or wait for.
	DiskPool *v1beta3.DiskPool
	Why      string
}

// Plan decides, for every orphan of reports whose former namespace is
// namespace (or unknown), whether to create its DiskPool. existing are the
// DiskPools of namespace. An agent adopts a pool only under its own name,
// so a name held by another object is skipped, and of two orphans of the
// same name (on two nodes) only the first, by node, is recovered.
func Plan(namespace string, reports []inventory.Report, existing []*v1beta3.DiskPool) []Step {
	byName := make(map[string]*v1beta3.DiskPool, len(existing))
	for _, d := range existing {
		byName[d.Name] = d
	}
	reports = slices.Clone(reports)
	slices.SortFunc(reports, func(a, b inventory.Report) int { return strings.Compare(a.Node, b.Node) })
	planned := map[string]string{} // name -> node
	var steps []Step
	for _, r := range reports {
		for _, o := range r.Orphans {
			s := Step{Node: r.Node, Orphan: o, DiskPool: diskPoolFor(namespace, r.Node, o)}
			switch have := byName[o.Name]; {
			case o.Owner.Namespace != "" && o.Owner.Namespace != namespace:
				continue // another namespace's orphan: recover it there
			case have != nil && have.Annotations[RecoveredFromAnnotation] == o.UUID:
				s.Kind, s.DiskPool = StepWait, have
			case have != nil:
				s.Kind, s.Why = StepSkip, fmt.Sprintf("DiskPool %s/%s already exists (uid %s) and is not this pool's; adopt the pool by hand under that name once it is free",
					namespace, o.Name, have.UID)
			case planned[o.Name] != "":
				s.Kind, s.Why = StepSkip, fmt.Sprintf("an orphan of the same name on node %s is recovered under that name", planned[o.Name])
			case len(o.Disks) == 0:
				s.Kind, s.Why = StepSkip, "its label does not list its disks (a pool labelled by an older agent)"
			default:
				s.Kind = StepCreate
			}
			if s.Kind != StepSkip {
				planned[o.Name] = r.Node
			}
			steps = append(steps, s)
		}
	}
	return steps
}

// diskPoolFor is the DiskPool that adopts orphan o on node: its former
// name, its disks in label order, annotated to adopt the pool from its
// former owner.
func diskPoolFor(namespace, node string, o inventory.Orphan) *v1beta3.DiskPool {
	return &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{
			Name:      o.Name,
			Namespace: namespace,
			Annotations: map[string]string{
				v1beta3.AdoptPoolOwnerAnnotation: o.Owner.UID,
				v1beta3.AdoptOrphanAnnotation:    o.UUID,
				RecoveredFromAnnotation:          o.UUID,
			},
		},
		Spec: v1beta3.DiskPoolSpec{Node: node, Disks: slices.Clone(o.Disks)},
	}
}
