package reconcile

import (
	"fmt"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// ReasonAdoptRefused: the object asks to adopt an orphan (annotation
// openebs.io/adopt-orphan) that is not one, or not there.
const ReasonAdoptRefused = "AdoptRefused"

// adoptOrphan decides for an object annotated openebs.io/adopt-orphan that
// does not own its pool yet, with its node's agent ready: it adopts the pool
// of that uuid under its name when no live object owns it, and otherwise
// refuses, writing nothing on the node. It never creates a fresh pool: an
// adopting object whose pool is missing is refused too. ok is false when
// the annotation does not apply (absent, or the object was Created: an
// adoption is how an object starts, never how it comes back).
func (d decider) adoptOrphan() (plan Plan, ok bool) {
	want := d.obj.Annotations[v1beta3.AdoptOrphanAnnotation]
	if want == "" || d.wasCreated() {
		return Plan{}, false
	}
	p := d.obs.Pool
	switch {
	case !p.Found:
		return d.failing(ReasonAdoptRefused, fmt.Sprintf("no pool named %q on node %s to adopt (annotation %s=%s); nothing was created. "+
			"Name this %s like the orphan (kubectl diskpool orphans), or remove the annotation to create a new pool",
			d.obj.Name, d.target.node, v1beta3.AdoptOrphanAnnotation, want, kindName), false), true
	case p.Pool.UUID != want:
		return d.failing(ReasonAdoptRefused, fmt.Sprintf("pool %q on node %s has uuid %s, not %s (annotation %s); nothing was changed",
			p.Pool.Name, d.target.node, p.Pool.UUID, want, v1beta3.AdoptOrphanAnnotation), false), true
	case p.Owner != "":
		return d.failing(ReasonAdoptRefused, fmt.Sprintf("pool %q (uuid %s) on node %s is not an orphan: %s owns it; nothing was changed",
			p.Pool.Name, want, d.target.node, p.Owner), false), true
	case d.obs.LastError != nil:
		return d.createFailed(*d.obs.LastError), true
	case !d.hasFinalizer():
		return Plan{Action: ActionAddFinalizer}, true
	}
	req := d.createRequest()
	req.AdoptOwnerUID = p.Pool.OwnerUID
	return Plan{Action: ActionCreatePool, Create: req}, true
}
