package app

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/klog/v2"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localcluster/localclustertest"
)

// electorKubeconfigEnv makes the test binary an elector process (see
// TestMain) instead of running tests.
const electorKubeconfigEnv = "DISKPOOL_TEST_ELECTOR_KUBECONFIG"

// Lease timing of the elector processes: a lease long against a process
// start, so "before the old Lease expired" cannot happen by chance.
const (
	testLeaseDuration = 10 * time.Second
	testRenewDeadline = 5 * time.Second
	testRetryPeriod   = 500 * time.Millisecond
)

func TestMain(m *testing.M) {
	if kc := os.Getenv(electorKubeconfigEnv); kc != "" {
		os.Exit(runElectorProcess(kc))
	}
	os.Exit(m.Run())
}

// runElectorProcess runs runElected against the cluster of kubeconfig and
// prints "leading <unix nanoseconds>" when it starts leading; it runs until
// killed.
func runElectorProcess(kubeconfig string) int {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	o := NewOptions()
	o.OperatorNamespace = "diskpool-system"
	o.LeaderElectLeaseDuration, o.LeaderElectRenewDeadline, o.LeaderElectRetryPeriod = testLeaseDuration, testRenewDeadline, testRetryPeriod
	ctx := klog.NewContext(context.Background(), klog.Background())
	err = runElected(ctx, o, kube, leaderelection.NewLeaderHealthzAdaptor(time.Second), prometheus.NewGauge(prometheus.GaugeOpts{Name: "leading"}),
		func(ctx context.Context) error {
			fmt.Printf("leading %d\n", time.Now().UnixNano())
			<-ctx.Done()
			return nil
		})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// elector is one elector process.
type elector struct {
	cmd     *exec.Cmd
	leading chan time.Time
}

func startElector(t *testing.T, kubeconfig, podName string) *elector {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), electorKubeconfigEnv+"="+kubeconfig, podNameEnv+"="+podName)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &elector{cmd: cmd, leading: make(chan time.Time, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "leading "); ok {
				ns, _ := strconv.ParseInt(v, 10, 64)
				e.leading <- time.Unix(0, ns)
			}
		}
	}()
	t.Cleanup(func() { e.kill(t) })
	return e
}

// kill sends SIGKILL (no release of the Lease) and reaps the process.
func (e *elector) kill(t *testing.T) {
	t.Helper()
	if e.cmd.ProcessState != nil {
		return
	}
	if err := e.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("kill elector %d: %v", e.cmd.Process.Pid, err)
	}
	_ = e.cmd.Wait()
}

// waitLeading returns when e started leading; bound is generous: the
// assertions are on the order of events, not on speed.
func (e *elector) waitLeading(t *testing.T, bound time.Duration) time.Time {
	t.Helper()
	select {
	case at := <-e.leading:
		return at
	case <-time.After(bound):
		t.Fatalf("elector %d did not lead within %v", e.cmd.Process.Pid, bound)
		return time.Time{}
	}
}

// TestRestartWithSameIdentityLeadsAtOnce kills a leader with SIGKILL (its
// Lease stays held) and starts processes against the real API server: one
// with the same pod name takes its own Lease back before the Lease would
// have expired; one with another pod name waits the lease duration out.
func TestRestartWithSameIdentityLeadsAtOnce(t *testing.T) {
	c := localclustertest.Start(t, localcluster.Options{UnsafeNoFsync: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kube, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "diskpool-system"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	lease := func() *coordinationv1.Lease {
		l, err := kube.CoordinationV1().Leases("diskpool-system").Get(ctx, "diskpool-operator", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	// expiry is when a standby may take the Lease of the killed holder at
	// the earliest: the last renewal plus the duration.
	expiry := func(l *coordinationv1.Lease) time.Time {
		return l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second)
	}
	bound := testLeaseDuration + time.Minute

	first := startElector(t, c.KubeconfigPath(), "operator-0")
	first.waitLeading(t, bound)
	first.kill(t)
	killed := lease()
	killedAt := time.Now()

	again := startElector(t, c.KubeconfigPath(), "operator-0")
	led := again.waitLeading(t, bound)
	l := lease()
	if !led.Before(expiry(killed)) {
		t.Errorf("the restart with the same identity led at %s, not before the old Lease expired (%s)", led.Format(time.RFC3339Nano), expiry(killed).Format(time.RFC3339Nano))
	}
	if *l.Spec.HolderIdentity != "operator-0" || *l.Spec.LeaseTransitions != *killed.Spec.LeaseTransitions {
		t.Errorf("Lease after the restart: holder %s, transitions %d; want operator-0, %d (the same leadership)",
			*l.Spec.HolderIdentity, *l.Spec.LeaseTransitions, *killed.Spec.LeaseTransitions)
	}
	t.Logf("same identity: led %v after the kill (lease duration %v)", led.Sub(killedAt).Round(time.Millisecond), testLeaseDuration)

	again.kill(t)
	killed = lease()
	killedAt = time.Now()
	other := startElector(t, c.KubeconfigPath(), "operator-1")
	led = other.waitLeading(t, bound)
	l = lease()
	if led.Before(expiry(killed)) {
		t.Errorf("another identity led at %s, before the killed leader's Lease expired (%s)", led.Format(time.RFC3339Nano), expiry(killed).Format(time.RFC3339Nano))
	}
	if *l.Spec.HolderIdentity != "operator-1" || *l.Spec.LeaseTransitions != *killed.Spec.LeaseTransitions+1 {
		t.Errorf("Lease after the take-over: holder %s, transitions %d; want operator-1, %d",
			*l.Spec.HolderIdentity, *l.Spec.LeaseTransitions, *killed.Spec.LeaseTransitions+1)
	}
	t.Logf("other identity: led %v after the kill", led.Sub(killedAt).Round(time.Millisecond))
}

func TestLeaderIdentity(t *testing.T) {
	t.Setenv(podNameEnv, "diskpool-operator-7d9f-abcde")
	if id, err := leaderIdentity(); err != nil || id != "diskpool-operator-7d9f-abcde" {
		t.Errorf("with POD_NAME: %q, %v; want the pod name", id, err)
	}
	t.Setenv(podNameEnv, "")
	a, errA := leaderIdentity()
	b, errB := leaderIdentity()
	host, _ := os.Hostname()
	if errA != nil || errB != nil || a == b || !strings.HasPrefix(a, host+"_") {
		t.Errorf("without POD_NAME: %q and %q (%v, %v); want two distinct identities starting with %q", a, b, errA, errB, host+"_")
	}
}
