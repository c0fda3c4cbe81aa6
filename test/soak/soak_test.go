package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// Environment variables of the soak.
const (
	// EnvSeed replays one seed; without it a fixed seed and a random one run.
	EnvSeed = "SOAK_SEED"
	// EnvTime is each seed's schedule length (a Go duration); the
	// quiescence checks come after it.
	EnvTime = "SOAK_TIME"
	// EnvSteps, when set, runs exactly that many steps instead: a replay
	// of a failure on a slower or faster machine reaches the same step.
	EnvSteps = "SOAK_STEPS"
)

// Defaults: the fixed seed, and a schedule short enough that `make test`
// spends about a minute here.
const (
	fixedSeed   = 1
	defaultTime = 20 * time.Second
	diskPools   = 8
	legacyPools = 4
)

func TestSoak(t *testing.T) {
	suite.Env(t)
	seeds, err := seedsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	d := defaultTime
	if v := os.Getenv(EnvTime); v != "" {
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("%s=%q: %v", EnvTime, v, err)
		}
	}
	steps := 0
	if v := os.Getenv(EnvSteps); v != "" {
		if steps, err = strconv.Atoi(v); err != nil || steps < 1 {
			t.Fatalf("%s=%q: want a positive number of steps", EnvSteps, v)
		}
	}
	for i, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			fmt.Printf("soak: %s=%d %s=%s (replay: %s=%d %s=%s make soak)\n", EnvSeed, seed, EnvTime, d, EnvSeed, seed, EnvTime, d)
			newSoak(t, seed, fmt.Sprintf("r%d-%06x", i, seed&0xffffff)).run(d, steps)
		})
	}
}

// seedsFromEnv is SOAK_SEED, or the fixed seed and a random one.
func seedsFromEnv() ([]uint64, error) {
	if v := os.Getenv(EnvSeed); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %w", EnvSeed, v, err)
		}
		return []uint64{s}, nil
	}
	return []uint64{fixedSeed, rand.Uint64() >> 1}, nil
}

// soak is one seed's run.
type soak struct {
	t     *testing.T
	ctx   context.Context
	seed  uint64
	tag   string
	ns    string
	kube  kubernetes.Interface
	pools versioned.Interface
	m     *model
	ops   *operators
	// step is the step being run, for violations found in the background.
	step atomic.Int64
	// controlPlaneDown is set while kube-apiserver or etcd restart.
	controlPlaneDown atomic.Bool

	mu         sync.Mutex
	schedule   []string
	violations []string
	faults     map[string]int // injected, by kind
	checks     map[string]int // invariant checks made, by invariant
	outcomes   map[string]int // workload calls, by kind and result

	foreign  map[string]string // node -> foreign disk
	hashes   map[string]string // foreign disk -> SHA-256 at start
	disk     map[string]string // slot -> its current disk
	cur      map[string]string // slot -> UID of its current object
	uids     map[string]*objInfo
	disks    int    // disks made by newDisk
	awayDir  string // where removed disks wait
	frozenOp *operator
	reported map[string]bool // violations already reported, by key
	writes   *writeTracker
}

// objInfo is what the soak did with one object (by UID).
type objInfo struct {
	name    string
	legacy  bool
	foreign bool
	deleted bool // deleted without purge
	purged  bool
	step    int // created at
}

func newSoak(t *testing.T, seed uint64, tag string) *soak {
	kube, pools := clients(t)
	s := &soak{t: t, ctx: t.Context(), seed: seed, tag: tag, ns: "soak-" + tag, kube: kube, pools: pools, awayDir: t.TempDir(),
		m:      newModel(seed, tag, nodes, diskPools, legacyPools),
		faults: map[string]int{}, checks: map[string]int{}, outcomes: map[string]int{},
		foreign: map[string]string{}, hashes: map[string]string{}, disk: map[string]string{},
		cur: map[string]string{}, uids: map[string]*objInfo{}}
	s.ops = &operators{t: t, ns: s.ns, dir: t.TempDir()}
	if _, err := s.kube.CoreV1().Namespaces().Create(s.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("soak seed %d failed; replay with %s=%d %s=%d make soak; schedule so far:\n%s", seed, EnvSeed, seed, EnvSteps, s.m.step, strings.Join(s.schedule, "\n"))
			for _, op := range s.ops.all {
				harness.LogTails(t, op.Process)
			}
			for _, n := range nodes {
				harness.LogTails(t, env.Agent(n))
			}
		}
		s.ops.killAll()
	})
	return s
}

// clients are admin clients with room for the soak's polling: client-go's
// default 5 QPS made waits fail with the rate limiter's error.
func clients(t *testing.T) (kubernetes.Interface, versioned.Interface) {
	cfg := env.RESTConfig()
	cfg.QPS, cfg.Burst = 200, 400
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pools, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kube, pools
}

// violate records an invariant failure, naming the seed and the step.
func (s *soak) violate(invariant, format string, args ...any) {
	msg := fmt.Sprintf("seed %d step %d: invariant %q violated: %s", s.seed, s.step.Load(), invariant, fmt.Sprintf(format, args...))
	s.mu.Lock()
	s.violations = append(s.violations, msg)
	s.mu.Unlock()
	s.t.Error(msg)
}

// checked counts one check of invariant.
func (s *soak) checked(invariant string) {
	s.mu.Lock()
	s.checks[invariant]++
	s.mu.Unlock()
}

func (s *soak) outcome(kind string, err error) {
	res := "ok"
	if err != nil {
		res = "error"
		s.t.Logf("step %d: %s: %v", s.step.Load(), kind, err)
	}
	s.mu.Lock()
	s.outcomes[kind+" "+res]++
	s.mu.Unlock()
}

// run runs the schedule for d (or exactly steps steps, when not 0), then
// the quiescence checks, and reports.
func (s *soak) run(d time.Duration, steps int) {
	s.setup()
	bg, stop := context.WithCancel(s.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.supervise(bg) }()
	began := time.Now()
	for s.ctx.Err() == nil && (steps > 0 && s.m.step < steps || steps == 0 && time.Since(began) < d) {
		st := s.m.next()
		s.step.Store(int64(st.n))
		s.mu.Lock()
		s.schedule = append(s.schedule, st.String())
		s.mu.Unlock()
		s.t.Log(st.String())
		if err := s.exec(st); err != nil {
			s.t.Errorf("seed %d %s: %v", s.seed, st, err)
			break
		}
		s.continuousChecks(st.n%5 == 0)
	}
	ran := s.m.step
	s.step.Store(int64(ran + 1))
	s.quiesce()
	stop()
	wg.Wait()
	s.finalChecks()
	s.report(ran, time.Since(began))
}

// setup starts the write tracker and the first operator, and makes one
// foreign disk per node (an ext4 signature), hashed.
func (s *soak) setup() {
	s.writes = startWriteTracker(s.t, s.ctx, s.pools, s.ns)
	if s.ops.start("") == nil {
		s.t.FailNow()
	}
	for _, n := range nodes {
		p, err := s.newDisk(n)
		if err != nil {
			s.t.Fatal(err)
		}
		if err := writeSignature(p); err != nil {
			s.t.Fatal(err)
		}
		s.foreign[n], s.hashes[p] = p, harness.FileHash(s.t, p)
	}
}

// supervise replaces operators (a Deployment's restarts) and samples
// readiness until ctx ends.
func (s *soak) supervise(ctx context.Context) {
	var notReadySince time.Time
	reported := false
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if s.ops.ensure() > 0 {
			s.countFault("operator-replaced")
		}
		now := time.Now()
		switch {
		case s.controlPlaneDown.Load():
			// Nobody can be ready without an API server: the Lease
			// clock starts when it is back.
			notReadySince, reported = now, false
		case s.ops.anyReady(ctx):
			notReadySince, reported = time.Time{}, false
		case notReadySince.IsZero():
			notReadySince = now
		}
		s.checked("operator ready within Lease+margin")
		if !notReadySince.IsZero() && !reported && now.Sub(notReadySince) > harness.LeaderLease+readyMargin {
			reported = true
			s.violate("operator ready within Lease+margin", "no operator ready for %s (Lease %s + margin %s)",
				now.Sub(notReadySince).Round(time.Second), harness.LeaderLease, readyMargin)
		}
	}
}

// readyMargin is the margin beyond the Lease for an operator to become
// ready again: a fresh process's start and cache sync on a loaded machine.
const readyMargin = 45 * time.Second

func (s *soak) countFault(kind string) {
	s.mu.Lock()
	s.faults[kind]++
	s.mu.Unlock()
}

// report prints the figures of the run.
func (s *soak) report(steps int, took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "soak: seed %d: %d steps in %s; %d violations\n", s.seed, steps, took.Round(time.Second), len(s.violations))
	fmt.Fprintf(&b, "  faults: %s\n", sortedCounts(s.faults))
	fmt.Fprintf(&b, "  workload: %s\n", sortedCounts(s.outcomes))
	fmt.Fprintf(&b, "  invariant checks: %s\n", sortedCounts(s.checks))
	fmt.Fprintf(&b, "  pool-object writes: %s\n", s.writes.summary())
	fmt.Print(b.String())
}
