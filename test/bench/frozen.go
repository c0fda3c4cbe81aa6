package main

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// measureAgentFrozen creates one pool, freezes its node's agent (SIGSTOP:
// its connections and its Lease stay, nothing answers, as on a node that
// went silent) and times until the pool is reported Offline, then thaws it
// (SIGCONT) and times until the pool is Online again, and deletes it.
func measureAgentFrozen(ctx context.Context, env *localenv.Env, client versioned.Interface, p poolSpec, timeout time.Duration) (offline, online float64, err error) {
	pools := client.OpenebsV1beta3().DiskPools(poolNamespace)
	name, node := "frozen-probe", p.node
	if _, err := pools.Create(ctx, &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: poolNamespace},
		Spec:       v1beta3.DiskPoolSpec{Node: node, Disks: p.disks},
	}, metav1.CreateOptions{}); err != nil {
		return 0, 0, err
	}
	status := func(want v1beta3.PoolStatus) wait.ConditionWithContextFunc {
		return func(ctx context.Context) (bool, error) {
			dp, err := pools.Get(ctx, name, metav1.GetOptions{})
			return err == nil && dp.Status.PoolStatus == want && isReady(dp) == (want == v1beta3.PoolStatusOnline), nil
		}
	}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, status(v1beta3.PoolStatusOnline)); err != nil {
		return 0, 0, fmt.Errorf("pool %s not Online: %w", name, err)
	}
	proc := env.Agent(node)
	if proc == nil {
		return 0, 0, fmt.Errorf("no agent process on %s", node)
	}
	logf("freezing the agent of %s (SIGSTOP); waiting for pool %s to be Offline", node, name)
	began := time.Now()
	if err := syscall.Kill(proc.PID(), syscall.SIGSTOP); err != nil {
		return 0, 0, err
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, timeout, true, status(v1beta3.PoolStatusOffline))
	offline = time.Since(began).Seconds()
	thawed := time.Now()
	// Thaw whatever happened: later phases need the agent.
	if cerr := syscall.Kill(proc.PID(), syscall.SIGCONT); cerr != nil {
		return offline, 0, errors.Join(err, cerr)
	}
	if err != nil {
		return offline, 0, fmt.Errorf("pool %s not Offline within %s of freezing its agent: %w", name, timeout, err)
	}
	if err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, timeout, true, status(v1beta3.PoolStatusOnline)); err != nil {
		return offline, 0, fmt.Errorf("pool %s not Online again after its agent thawed: %w", name, err)
	}
	online = time.Since(thawed).Seconds()
	if err := pools.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return offline, online, err
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		_, err := pools.Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		return offline, online, fmt.Errorf("pool %s not gone: %w", name, err)
	}
	logf("pool %s Offline %.2fs after its agent froze; Online %.2fs after it thawed; deleted", name, offline, online)
	return offline, online, nil
}
