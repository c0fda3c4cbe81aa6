package soak

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// The invariants, as named in violations and in the report.
const (
	invNoDestroyWhileLive = "no pool destroyed while its object exists and is not being deleted"
	invCreateOnce         = "CreatePool of a new pool at most once per object UID"
	invForeignUntouched   = "no foreign or signature-carrying disk written"
	invWriteBudget        = "pool-object writes within the budget per transition"
	invStatusTrue         = "at quiescence every object's status true to the agents"
	invNoOrphan           = "no orphan except those made by purge"
	invDeletedDestroyed   = "every object deleted without purge has its pool destroyed"
)

// quiesceTimeout bounds the wait for everything to converge once the
// faults have ended.
const quiesceTimeout = 4 * time.Minute

// continuousChecks runs after every step: the agents' logs and the write
// budget; with heavy, the foreign disks' hashes too.
func (s *soak) continuousChecks(heavy bool) {
	s.checkLogs()
	s.checkWrites()
	if heavy {
		s.checkForeign()
	}
}

// checkLogs: a pool destroyed whose object the soak never deleted (its
// deletionTimestamp can never have been set), and CreatePool that made a
// new pool twice for one UID.
func (s *soak) checkLogs() {
	created, destroyed, err := agentLogEvents()
	if err != nil {
		s.t.Errorf("agent logs: %v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	perUID := map[string]int{}
	for _, e := range created {
		if _, ours := s.uids[e.owner]; ours {
			perUID[e.owner]++
		}
	}
	for uid, n := range perUID {
		s.checks[invCreateOnce]++
		if n > 1 && !s.reportedOnce("create "+uid) {
			s.violateLocked(invCreateOnce, "pool %s (uid %s) created %d times", s.uids[uid].name, uid, n)
		}
	}
	for _, e := range destroyed {
		info, ours := s.uids[e.owner]
		if !ours {
			continue
		}
		s.checks[invNoDestroyWhileLive]++
		if !info.deleted && !info.purged && !s.reportedOnce("destroy "+e.uuid) {
			s.violateLocked(invNoDestroyWhileLive, "pool %s uuid %s on %s destroyed, and its object (uid %s, created at step %d) was never deleted",
				e.pool, e.uuid, e.node, e.owner, info.step)
		}
	}
}

// reportedOnce reports whether key was reported before, and marks it.
func (s *soak) reportedOnce(key string) bool {
	if s.reported == nil {
		s.reported = map[string]bool{}
	}
	if s.reported[key] {
		return true
	}
	s.reported[key] = true
	return false
}

func (s *soak) violateLocked(invariant, format string, args ...any) {
	msg := fmt.Sprintf("seed %d step %d: invariant %q violated: %s", s.seed, s.step.Load(), invariant, fmt.Sprintf(format, args...))
	s.violations = append(s.violations, msg)
	s.t.Error(msg)
}

func (s *soak) checkWrites() {
	s.checked(invWriteBudget)
	for _, o := range s.writes.overBudget() {
		s.violate(invWriteBudget, "%s", o)
	}
}

func (s *soak) checkForeign() {
	for d, want := range s.hashes {
		s.checked(invForeignUntouched)
		if got := harness.FileHash(s.t, d); got != want {
			s.violate(invForeignUntouched, "foreign disk %s changed: sha256 %s, was %s", d, got, want)
		}
	}
}

// quiesce ends every fault, destroys the replicas (so deletions can
// finish) and waits until the state is the model's, or reports what
// differs.
func (s *soak) quiesce() {
	for _, a := range s.m.active {
		if err := s.end(a); err != nil {
			s.t.Errorf("end %s %s: %v", a.kind, a.target, err)
		}
	}
	s.m.active = nil
	for _, op := range s.ops.frozenOnes() {
		s.ops.setFrozen(op, false)
		_ = signal(op.Process.PID(), syscall.SIGCONT)
	}
	for _, n := range nodes {
		if err := s.startAgent(n); err != nil {
			s.t.Errorf("start agent %s: %v", n, err)
		}
	}
	s.t.Logf("quiescence: faults ended; waiting up to %s for convergence", quiesceTimeout)
	var last []string
	err := wait.PollUntilContextTimeout(s.ctx, time.Second, quiesceTimeout, true, func(ctx context.Context) (bool, error) {
		for _, sl := range s.m.slots {
			if len(sl.replicas) > 0 || sl.state == slotDeleting {
				s.destroyReplicas(sl.name, sl.node)
			}
		}
		last = s.mismatches(ctx)
		return len(last) == 0, nil
	})
	s.checked(invStatusTrue)
	if err != nil {
		for _, m := range last {
			s.violate(invStatusTrue, "not converged within %s: %s", quiesceTimeout, m)
		}
	}
}

// mismatches compares the objects and the agents' pools with the model.
func (s *soak) mismatches(ctx context.Context) []string {
	pools, err := s.agentPools()
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, sl := range s.m.slots {
		if m := s.slotMismatch(ctx, sl, pools); m != "" {
			out = append(out, sl.name+": "+m)
		}
	}
	return out
}

func (s *soak) slotMismatch(ctx context.Context, sl *slot, pools map[string]*agentv1.Pool) string {
	uid := s.cur[sl.name]
	obj, err := s.getObject(ctx, sl)
	switch {
	case apierrors.IsNotFound(err) && sl.state != slotLive:
		return ""
	case apierrors.IsNotFound(err):
		return "object missing"
	case err != nil:
		return err.Error()
	case sl.state != slotLive:
		return "object still there: " + s.describeObj(obj)
	}
	om, _ := meta.Accessor(obj)
	if string(om.GetUID()) != uid {
		return fmt.Sprintf("object has uid %s, want %s", om.GetUID(), uid)
	}
	p := pools[sl.name]
	if sl.foreign {
		if p != nil && p.GetOwnerUid() == uid {
			return "a pool was made on the foreign disk"
		}
		if d, ok := obj.(*v1beta3.DiskPool); ok && (d.Status.CRState == v1beta3.CRStateCreated || harness.Ready(d) != nil && harness.Ready(d).Status == metav1.ConditionTrue) {
			return "object on the foreign disk reports a pool: " + harness.Describe(d)
		}
		return ""
	}
	if p == nil {
		return "no pool on the agent; object: " + s.describeObj(obj)
	}
	if p.GetOwnerUid() != uid {
		return fmt.Sprintf("pool owned by %s, want %s", p.GetOwnerUid(), uid)
	}
	return statusMismatch(obj, p)
}

// statusMismatch compares an object's status with its pool on the agent.
func statusMismatch(obj any, p *agentv1.Pool) string {
	switch o := obj.(type) {
	case *v1beta3.DiskPool:
		switch {
		case !harness.IsCreatedOnline(o) || o.DeletionTimestamp != nil:
			return "not Created/Online/Ready: " + harness.Describe(o)
		case o.Status.ObservedGeneration != o.Generation:
			return fmt.Sprintf("observedGeneration %d, generation %d", o.Status.ObservedGeneration, o.Generation)
		case o.Status.PoolUUID != p.GetUuid():
			return fmt.Sprintf("status uuid %s, agent %s", o.Status.PoolUUID, p.GetUuid())
		case uint64(o.Status.Capacity) != p.GetCapacity():
			return fmt.Sprintf("status capacity %d, agent %d", o.Status.Capacity, p.GetCapacity())
		}
	case *v1alpha1.MayastorPool:
		switch {
		case o.Status.State != v1alpha1.StateOnline || o.DeletionTimestamp != nil:
			return fmt.Sprintf("state %s (%s), deleting %v", o.Status.State, o.Status.Reason, o.DeletionTimestamp != nil)
		case o.Status.ObservedGeneration != o.Generation:
			return fmt.Sprintf("observedGeneration %d, generation %d", o.Status.ObservedGeneration, o.Generation)
		case uint64(o.Status.Capacity) != p.GetCapacity():
			return fmt.Sprintf("status capacity %d, agent %d", o.Status.Capacity, p.GetCapacity())
		}
	}
	return ""
}

func (s *soak) getObject(ctx context.Context, sl *slot) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if sl.legacy {
		return s.pools.OpenebsV1alpha1().MayastorPools(s.ns).Get(ctx, sl.name, metav1.GetOptions{})
	}
	return s.pools.OpenebsV1beta3().DiskPools(s.ns).Get(ctx, sl.name, metav1.GetOptions{})
}

func (s *soak) describe(ctx context.Context, sl *slot) string {
	obj, err := s.getObject(ctx, sl)
	if err != nil {
		return err.Error()
	}
	return s.describeObj(obj)
}

func (s *soak) describeObj(obj any) string {
	switch o := obj.(type) {
	case *v1beta3.DiskPool:
		return harness.Describe(o)
	case *v1alpha1.MayastorPool:
		return fmt.Sprintf("state=%s reason=%q capacity=%d finalizers=%v deleting=%v", o.Status.State, o.Status.Reason,
			o.Status.Capacity, o.Finalizers, o.DeletionTimestamp != nil)
	}
	return fmt.Sprint(obj)
}

// finalChecks runs at quiescence: orphans, deleted objects' pools, and the
// continuous checks once more.
func (s *soak) finalChecks() {
	s.continuousChecks(true)
	pools, err := s.agentPools()
	if err != nil {
		s.t.Errorf("final check: %v", err)
		return
	}
	live := map[string]bool{}
	for _, sl := range s.m.slots {
		if sl.state == slotLive {
			live[s.cur[sl.name]] = true
		}
	}
	var orphans []string
	for name, p := range pools {
		s.checked(invNoOrphan)
		owner := p.GetOwnerUid()
		info := s.uids[owner]
		switch {
		case live[owner], info != nil && info.purged:
		case info != nil && info.deleted:
			s.checked(invDeletedDestroyed)
			s.violate(invDeletedDestroyed, "pool %s uuid %s of deleted object uid %s (created at step %d) is still on %s", name, p.GetUuid(), owner, info.step, p.GetNode())
		default:
			orphans = append(orphans, fmt.Sprintf("%s uuid %s owner %q on %s", name, p.GetUuid(), owner, p.GetNode()))
		}
	}
	if len(orphans) > 0 {
		s.violate(invNoOrphan, "%s", strings.Join(orphans, "; "))
	}
}
