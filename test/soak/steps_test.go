package soak

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// Bounds of the steps' waits: generous, a loaded machine is slow and a
// fault may cost a Lease or a backoff.
const (
	apiRetryTimeout = 90 * time.Second
	goneTimeout     = 3 * time.Minute
	agentTimeout    = 90 * time.Second
	callTimeout     = 10 * time.Second
	replicaSize     = 4 << 20
)

// exec runs one step. An error ends the schedule (the system is not in a
// state the next steps can build on).
func (s *soak) exec(st step) error {
	for _, e := range st.ends {
		if err := s.end(e); err != nil {
			return err
		}
	}
	switch st.kind {
	case stepCreate:
		return s.create(st)
	case stepCreateDelete:
		if err := s.create(st); err != nil {
			return err
		}
		return s.delete(st.slot, false)
	case stepDelete:
		return s.delete(st.slot, false)
	case stepPurge:
		return s.delete(st.slot, true)
	case stepRecreate:
		s.destroyReplicas(st.slot.name, st.oldNode)
		if err := s.waitGone(st.slot); err != nil {
			return err
		}
		return s.create(st)
	case stepCreateReplica:
		s.outcome(st.kind, s.agentCall(st.slot.node, func(ctx context.Context, c agentv1.PoolServiceClient) error {
			_, err := c.CreateReplica(ctx, &agentv1.CreateReplicaRequest{Pool: st.slot.name, Uuid: st.replica, Size: replicaSize, Thin: true})
			return err
		}))
	case stepDestroyRepl:
		s.outcome(st.kind, s.agentCall(st.slot.node, func(ctx context.Context, c agentv1.PoolServiceClient) error {
			_, err := c.DestroyReplica(ctx, &agentv1.DestroyReplicaRequest{Pool: st.slot.name, Uuid: st.replica})
			return err
		}))
	case stepPause:
		select {
		case <-s.ctx.Done():
		case <-time.After(st.pause): // the schedule's own pacing, not a wait for a condition
		}
	default:
		return s.fault(st)
	}
	return nil
}

// fault injects one fault.
func (s *soak) fault(st step) error {
	if st.kind != faultKillLeader && st.kind != faultFreezeLeader {
		s.countFault(st.kind)
	}
	switch st.kind {
	case faultKillLeader:
		if l := s.waitLeader(st.kind); l != nil {
			return l.Process.Kill()
		}
	case faultFreezeLeader:
		l := s.waitLeader(st.kind)
		if l == nil {
			return nil
		}
		if len(s.ops.alive()) < 2 { // a standby to take over
			s.ops.start("")
		}
		if err := signal(l.Process.PID(), syscall.SIGSTOP); errors.Is(err, syscall.ESRCH) {
			// It exited (lost its Lease) since it was seen leading.
			s.countFault(st.kind + " skipped (the leader exited first)")
			return nil
		} else if err != nil {
			return err
		}
		s.ops.setFrozen(l, true)
		s.frozenOp = l
	case faultStandby:
		if len(s.ops.alive()) < maxOperators {
			s.ops.start(st.faults)
		}
	case faultKillAgent:
		return env.KillAgent(st.node)
	case faultRestartAgent:
		if err := env.StopAgent(st.node); err != nil {
			return err
		}
		return s.startAgent(st.node)
	case faultFreezeAgent:
		return signal(env.Agent(st.node).PID(), syscall.SIGSTOP)
	case faultAPIServer:
		return s.restartControlPlane(env.Cluster().RestartAPIServer)
	case faultEtcd:
		return s.restartControlPlane(func(ctx context.Context) error {
			if err := env.Cluster().Etcd().Kill(); err != nil {
				return err
			}
			return env.Cluster().StartEtcd(ctx)
		})
	case faultRemoveDisk:
		d := s.disk[st.slot.name]
		return os.Rename(d, s.awayPath(d))
	}
	return nil
}

// restartControlPlane runs restart with the readiness clock held, then
// renews the write tracker's watches.
func (s *soak) restartControlPlane(restart func(context.Context) error) error {
	s.controlPlaneDown.Store(true)
	err := restart(s.ctx)
	s.controlPlaneDown.Store(false)
	if err != nil {
		return err
	}
	s.writes.restart(s.ctx)
	return nil
}

// leaderTimeout bounds the wait for a leader to strike: a new one takes a
// Lease when the last one was killed.
const leaderTimeout = 15 * time.Second

// waitLeader returns the operator that leads, counting the fault kind as
// injected, or nil (counted as skipped) when none leads within
// leaderTimeout.
func (s *soak) waitLeader(kind string) *operator {
	var l *operator
	_ = wait.PollUntilContextTimeout(s.ctx, 250*time.Millisecond, leaderTimeout, true, func(ctx context.Context) (bool, error) {
		l = s.ops.leader(ctx)
		return l != nil, nil
	})
	if l == nil {
		s.countFault(kind + " skipped (no leader within " + leaderTimeout.String() + ")")
		return nil
	}
	s.countFault(kind)
	return l
}

// end ends a timed fault.
func (s *soak) end(e timed) error {
	switch e.kind {
	case faultFreezeLeader:
		if op := s.frozenOp; op != nil {
			s.frozenOp = nil
			s.ops.setFrozen(op, false)
			if err := signal(op.Process.PID(), syscall.SIGCONT); err != nil && !op.Process.Exited() {
				return err
			}
		}
	case faultKillAgent:
		return s.startAgent(e.target)
	case faultFreezeAgent:
		return signal(env.Agent(e.target).PID(), syscall.SIGCONT)
	case faultRemoveDisk:
		d := s.disk[e.target]
		return os.Rename(s.awayPath(d), d)
	}
	return nil
}

// newDisk makes a fresh empty disk on node under a name never used
// before: env.AddDisk takes the lowest free index, which is a removed
// disk's while it is away, and putting that disk back would replace the new one.
func (s *soak) newDisk(node string) (string, error) {
	s.disks++
	p := filepath.Join(filepath.Dir(env.DiskPath(node, 0)), fmt.Sprintf("disk-%s-%d", s.tag, s.disks))
	return p, localenv.CreateDisk(p, diskSize)
}

// awayPath is where a removed disk waits: outside the agents' disk
// directories, so no agent sees it.
func (s *soak) awayPath(disk string) string {
	return filepath.Join(s.awayDir, filepath.Base(filepath.Dir(disk))+"-"+filepath.Base(disk))
}

func (s *soak) startAgent(node string) error {
	ctx, cancel := context.WithTimeout(s.ctx, agentTimeout)
	defer cancel()
	return env.StartAgent(ctx, node)
}

// create creates the slot's object on a fresh disk or its node's foreign
// disk, retrying while the API server is away.
func (s *soak) create(st step) error {
	sl := st.slot
	disk := s.foreign[sl.node]
	if !sl.foreign {
		var err error
		if disk, err = s.newDisk(sl.node); err != nil {
			return err
		}
	}
	s.disk[sl.name] = disk
	var uid types.UID
	err := s.retryAPI("create "+sl.name, func(ctx context.Context) error {
		meta := metav1.ObjectMeta{Name: sl.name, Namespace: s.ns}
		var err error
		if sl.legacy {
			var o *v1alpha1.MayastorPool
			o, err = s.pools.OpenebsV1alpha1().MayastorPools(s.ns).Create(ctx, &v1alpha1.MayastorPool{ObjectMeta: meta,
				Spec: v1alpha1.MayastorPoolSpec{Node: sl.node, Disks: []string{disk}}}, metav1.CreateOptions{})
			if err == nil {
				uid = o.UID
			}
		} else {
			var o *v1beta3.DiskPool
			o, err = s.pools.OpenebsV1beta3().DiskPools(s.ns).Create(ctx, &v1beta3.DiskPool{ObjectMeta: meta,
				Spec: v1beta3.DiskPoolSpec{Node: sl.node, Disks: []string{disk}}}, metav1.CreateOptions{})
			if err == nil {
				uid = o.UID
			}
		}
		if apierrors.IsAlreadyExists(err) { // an earlier try's reply was lost
			uid, err = s.getUID(ctx, sl)
		}
		return err
	})
	s.outcome("create", err)
	if err != nil {
		return err
	}
	s.cur[sl.name] = string(uid)
	s.uids[string(uid)] = &objInfo{name: sl.name, legacy: sl.legacy, foreign: sl.foreign, step: st.n}
	return nil
}

func (s *soak) getUID(ctx context.Context, sl *slot) (types.UID, error) {
	if sl.legacy {
		o, err := s.pools.OpenebsV1alpha1().MayastorPools(s.ns).Get(ctx, sl.name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return o.UID, nil
	}
	o, err := s.pools.OpenebsV1beta3().DiskPools(s.ns).Get(ctx, sl.name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return o.UID, nil
}

// delete deletes the slot's object (with a UID precondition), after
// annotating it for purge when asked.
func (s *soak) delete(sl *slot, purge bool) error {
	uid := s.cur[sl.name]
	info := s.uids[uid]
	if purge {
		patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, v1beta3.DeleteOptsAnnotation, v1beta3.DeleteOptsPurge))
		err := s.retryAPI("annotate "+sl.name, func(ctx context.Context) error {
			_, err := s.pools.OpenebsV1beta3().DiskPools(s.ns).Patch(ctx, sl.name, types.MergePatchType, patch, metav1.PatchOptions{})
			return err
		})
		if err != nil {
			return err
		}
		info.purged = true
	} else {
		info.deleted = true
	}
	t := types.UID(uid)
	opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &t}}
	err := s.retryAPI("delete "+sl.name, func(ctx context.Context) error {
		var err error
		if sl.legacy {
			err = s.pools.OpenebsV1alpha1().MayastorPools(s.ns).Delete(ctx, sl.name, opts)
		} else {
			err = s.pools.OpenebsV1beta3().DiskPools(s.ns).Delete(ctx, sl.name, opts)
		}
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
	s.outcome(map[bool]string{false: "delete", true: "purge"}[purge], err)
	if err != nil || !purge {
		return err
	}
	return s.unblockPurge(sl, info)
}

// unblockPurge handles a purge the operator refuses because the pool's
// agent works (PurgeBlocked, as Mayastor): it removes the annotation, so
// the delete goes on normally and destroys the pool. A purge honoured
// (the agent was away) leaves the object gone and its pool an orphan.
func (s *soak) unblockPurge(sl *slot, info *objInfo) error {
	blocked := false
	err := wait.PollUntilContextTimeout(s.ctx, 250*time.Millisecond, goneTimeout, true, func(ctx context.Context) (bool, error) {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		o, err := s.pools.OpenebsV1beta3().DiskPools(s.ns).Get(cctx, sl.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return true, nil
		case err != nil:
			return false, nil
		}
		if c := harness.Ready(o); c != nil && c.Reason == reconcile.ReasonPurgeBlocked {
			blocked = true
			return true, nil
		}
		return false, nil
	})
	if err != nil || !blocked {
		return err
	}
	info.purged, info.deleted = false, true
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:null}}}`, v1beta3.DeleteOptsAnnotation))
	err = s.retryAPI("unannotate "+sl.name, func(ctx context.Context) error {
		_, err := s.pools.OpenebsV1beta3().DiskPools(s.ns).Patch(ctx, sl.name, types.MergePatchType, patch, metav1.PatchOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
	s.outcome("purge blocked", err)
	return err
}

// retryAPI retries call while the API server answers with errors (it
// may be restarting), up to apiRetryTimeout.
func (s *soak) retryAPI(what string, call func(context.Context) error) error {
	var last error
	err := wait.PollUntilContextTimeout(s.ctx, 250*time.Millisecond, apiRetryTimeout, true, func(ctx context.Context) (bool, error) {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		last = call(cctx)
		if apierrors.IsInvalid(last) || apierrors.IsForbidden(last) {
			return false, last
		}
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w (last error: %w)", what, err, last)
	}
	return nil
}

// waitGone waits until the slot's object is gone: the deletion converged.
func (s *soak) waitGone(sl *slot) error {
	var last string
	err := wait.PollUntilContextTimeout(s.ctx, 250*time.Millisecond, goneTimeout, true, func(ctx context.Context) (bool, error) {
		_, err := s.getUID(ctx, sl)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err == nil {
			last = s.describe(ctx, sl)
		} else {
			last = fmt.Sprintf("%v (before: %s)", err, last)
		}
		return false, nil
	})
	s.checked("deleted object converges")
	if err != nil {
		s.violate("deleted object converges", "%s not gone within %s; last seen: %s", sl.name, goneTimeout, last)
		return errors.New("deletion did not converge")
	}
	return nil
}

// destroyReplicas destroys every replica of the slot's pool (the
// schedule's, and any whose create reply was lost).
func (s *soak) destroyReplicas(pool, node string) {
	err := s.agentCall(node, func(ctx context.Context, c agentv1.PoolServiceClient) error {
		l, err := c.ListReplicas(ctx, &agentv1.ListReplicasRequest{Pool: pool})
		if err != nil {
			return err
		}
		for _, r := range l.GetReplicas() {
			if _, err := c.DestroyReplica(ctx, &agentv1.DestroyReplicaRequest{Pool: pool, Uuid: r.GetUuid()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.t.Logf("destroy replicas of %s on %s: %v", pool, node, err)
	}
}
