package soak

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// The kinds of step. Workload steps change pool objects or replicas;
// fault steps break something for a number of steps (dur) or at once.
const (
	stepCreate        = "create"         // a slot's object on a fresh (or the foreign) disk
	stepCreateDelete  = "create+delete"  // create, and delete at once
	stepDelete        = "delete"         // delete without purge
	stepPurge         = "purge"          // delete-opts=purge, then delete: the pool stays as an orphan
	stepRecreate      = "recreate"       // wait until a deleted slot's object is gone, create it again
	stepCreateReplica = "create-replica" // CreateReplica on a slot's pool
	stepDestroyRepl   = "destroy-replica"
	stepPause         = "pause"

	faultKillLeader   = "kill-leader"   // SIGKILL the operator that leads
	faultFreezeLeader = "freeze-leader" // SIGSTOP it for dur steps (a standby is started first)
	faultStandby      = "start-standby" // one more operator, with fault-hook rules
	faultKillAgent    = "kill-agent"    // SIGKILL, started again after dur steps
	faultRestartAgent = "restart-agent" // SIGTERM and start at once
	faultFreezeAgent  = "freeze-agent"  // SIGSTOP for dur steps
	faultAPIServer    = "restart-apiserver"
	faultEtcd         = "restart-etcd" // SIGKILL and start
	faultRemoveDisk   = "remove-disk"  // rename a slot's disk away for dur steps
)

// hookRules are DISKPOOL_FAULTS rule templates for a standby (pkg/faultinject):
// 409s on the status and object writes, lost replies and crashes.
var hookRules = []string{
	"conflict=update:diskpools/status:%d-%d",
	"conflict=update:diskpools:%d-%d",
	"conflict=update:mayastorpools/status:%d-%d",
	"drop-reply=CreatePool:%d",
	"drop-reply=DestroyPool:%d",
	"crash-after=CreatePool:%d",
	"crash-after=update:diskpools/status:%d",
	"crash-after=DestroyPool:%d",
}

type slotState int

const (
	slotFree slotState = iota
	slotLive
	slotDeleting
	slotPurged // retired: its name stays with the orphan pool
)

// slot is one object name of the model: a DiskPool or a MayastorPool.
type slot struct {
	name     string
	legacy   bool // MayastorPool
	state    slotState
	node     string
	foreign  bool // on the node's foreign disk: must never become a pool
	diskGen  int  // how many disks the slot had (each create takes a fresh one)
	replicas []string
	removed  bool // its disk is renamed away
}

// timed is a fault that ends at step until.
type timed struct {
	kind, target string
	until        int
}

// model is the driver's intent: what it created, deleted and broke. It
// changes only by the steps it generates, never by what the system did,
// so a seed always gives the same schedule.
type model struct {
	rng    *rand.Rand
	step   int
	slots  []*slot
	nodes  []string
	active []timed
}

func newModel(seed uint64, tag string, nodes []string, diskPools, legacyPools int) *model {
	m := &model{rng: rand.New(rand.NewPCG(seed, 0x50a6)), nodes: nodes}
	for i := range diskPools {
		m.slots = append(m.slots, &slot{name: fmt.Sprintf("%s-d%d", tag, i)})
	}
	for i := range legacyPools {
		m.slots = append(m.slots, &slot{name: fmt.Sprintf("%s-m%d", tag, i), legacy: true})
	}
	return m
}

// step is one scheduled action.
type step struct {
	n       int
	kind    string
	slot    *slot
	node    string
	oldNode string // a recreated slot's node before
	dur     int    // steps a timed fault lasts
	foreign bool
	replica string
	faults  string // DISKPOOL_FAULTS of a standby
	pause   time.Duration
	ends    []timed // timed faults that end before this step
}

func (s step) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d: %s", s.n, s.kind)
	if s.slot != nil {
		fmt.Fprintf(&b, " %s", s.slot.name)
	}
	if s.node != "" {
		fmt.Fprintf(&b, " node=%s", s.node)
	}
	if s.foreign {
		b.WriteString(" on-foreign-disk")
	}
	if s.replica != "" {
		fmt.Fprintf(&b, " replica=%s", s.replica)
	}
	if s.dur > 0 {
		fmt.Fprintf(&b, " for=%d", s.dur)
	}
	if s.faults != "" {
		fmt.Fprintf(&b, " faults=%q", s.faults)
	}
	if s.pause > 0 {
		fmt.Fprintf(&b, " %s", s.pause)
	}
	for _, e := range s.ends {
		fmt.Fprintf(&b, " (end %s %s)", e.kind, e.target)
	}
	return b.String()
}

// weights of the step kinds: workload about two thirds.
var weights = []struct {
	kind string
	w    int
}{
	{stepCreate, 14}, {stepCreateDelete, 4}, {stepDelete, 8}, {stepPurge, 2}, {stepRecreate, 6},
	{stepCreateReplica, 4}, {stepDestroyRepl, 4}, {stepPause, 6},
	{faultKillLeader, 3}, {faultFreezeLeader, 2}, {faultStandby, 3}, {faultKillAgent, 2},
	{faultRestartAgent, 2}, {faultFreezeAgent, 2}, {faultAPIServer, 1}, {faultEtcd, 1}, {faultRemoveDisk, 2},
}

// next returns the next step and applies it to the model.
func (m *model) next() step {
	m.step++
	s := step{n: m.step}
	s.ends = m.expire()
	for range 100 { // a kind whose precondition fails is drawn again
		if m.fill(&s, m.draw()) {
			return s
		}
	}
	s.kind, s.pause = stepPause, 200*time.Millisecond
	return s
}

// expire removes the timed faults that end before this step.
func (m *model) expire() []timed {
	var ends, keep []timed
	for _, a := range m.active {
		if a.until <= m.step {
			ends = append(ends, a)
			if a.kind == faultRemoveDisk {
				for _, sl := range m.slots {
					if sl.name == a.target {
						sl.removed = false
					}
				}
			}
		} else {
			keep = append(keep, a)
		}
	}
	m.active = keep
	return ends
}

func (m *model) draw() string {
	total := 0
	for _, w := range weights {
		total += w.w
	}
	r := m.rng.IntN(total)
	for _, w := range weights {
		if r < w.w {
			return w.kind
		}
		r -= w.w
	}
	return stepPause
}

// fill sets s up as kind, or reports false when its precondition fails.
func (m *model) fill(s *step, kind string) bool {
	s.kind = kind
	switch kind {
	case stepCreate, stepCreateDelete:
		sl := m.pick(func(sl *slot) bool { return sl.state == slotFree })
		if sl == nil {
			return false
		}
		m.create(s, sl)
		if kind == stepCreateDelete {
			sl.state = slotDeleting
		}
	case stepDelete:
		sl := m.pick(func(sl *slot) bool { return sl.state == slotLive })
		if sl == nil {
			return false
		}
		s.slot, sl.state = sl, slotDeleting
	case stepPurge:
		sl := m.pick(func(sl *slot) bool { return sl.state == slotLive && !sl.legacy })
		if sl == nil {
			return false
		}
		s.slot, sl.state = sl, slotPurged
	case stepRecreate:
		sl := m.pick(func(sl *slot) bool { return sl.state == slotDeleting && !sl.removed && m.nodeHealthy(sl.node) })
		if sl == nil {
			return false
		}
		sl.replicas = nil // the step destroys them first
		s.oldNode = sl.node
		m.create(s, sl)
	case stepCreateReplica:
		sl := m.pick(func(sl *slot) bool { return sl.state == slotLive && !sl.foreign && len(sl.replicas) < 2 })
		if sl == nil {
			return false
		}
		s.slot, s.replica = sl, m.uuid()
		sl.replicas = append(sl.replicas, s.replica)
	case stepDestroyRepl:
		sl := m.pick(func(sl *slot) bool { return len(sl.replicas) > 0 && sl.state != slotPurged })
		if sl == nil {
			return false
		}
		s.slot, s.replica = sl, sl.replicas[0]
		sl.replicas = sl.replicas[1:]
	case stepPause:
		s.pause = time.Duration(100+m.rng.IntN(1400)) * time.Millisecond
	default:
		return m.fillFault(s, kind)
	}
	return true
}

func (m *model) fillFault(s *step, kind string) bool {
	switch kind {
	case faultKillLeader, faultAPIServer, faultEtcd:
	case faultFreezeLeader:
		if m.activeKind(faultFreezeLeader) {
			return false
		}
		s.dur = 2 + m.rng.IntN(6)
		m.active = append(m.active, timed{kind: kind, until: m.step + s.dur})
	case faultStandby:
		s.faults = m.hookFaults()
	case faultKillAgent, faultFreezeAgent, faultRestartAgent:
		n := m.healthyNode()
		if n == "" {
			return false
		}
		s.node = n
		if kind != faultRestartAgent {
			s.dur = 2 + m.rng.IntN(6)
			m.active = append(m.active, timed{kind: kind, target: n, until: m.step + s.dur})
		}
	case faultRemoveDisk:
		sl := m.pick(func(sl *slot) bool {
			return sl.state == slotLive && !sl.foreign && !sl.removed && m.nodeHealthy(sl.node)
		})
		if sl == nil {
			return false
		}
		s.slot, sl.removed, s.dur = sl, true, 2+m.rng.IntN(6)
		m.active = append(m.active, timed{kind: kind, target: sl.name, until: m.step + s.dur})
	default:
		return false
	}
	return true
}

// create makes sl live on a node drawn now, on a fresh disk or (one in
// ten DiskPools) the node's foreign disk.
func (m *model) create(s *step, sl *slot) {
	sl.node = m.nodes[m.rng.IntN(len(m.nodes))]
	sl.foreign = !sl.legacy && m.rng.IntN(10) == 0
	sl.diskGen++
	sl.state = slotLive
	s.slot, s.node, s.foreign = sl, sl.node, sl.foreign
}

// hookFaults draws one or two fault-hook rules.
func (m *model) hookFaults() string {
	var rules []string
	for range 1 + m.rng.IntN(2) {
		tmpl := hookRules[m.rng.IntN(len(hookRules))]
		from := 1 + m.rng.IntN(6)
		if strings.Count(tmpl, "%d") == 2 {
			rules = append(rules, fmt.Sprintf(tmpl, from, from+m.rng.IntN(4)))
		} else {
			rules = append(rules, fmt.Sprintf(tmpl, from))
		}
	}
	return strings.Join(rules, ";")
}

func (m *model) pick(ok func(*slot) bool) *slot {
	var c []*slot
	for _, sl := range m.slots {
		if ok(sl) {
			c = append(c, sl)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[m.rng.IntN(len(c))]
}

func (m *model) activeKind(kind string) bool {
	for _, a := range m.active {
		if a.kind == kind {
			return true
		}
	}
	return false
}

// nodeHealthy reports no agent fault and no removed disk on node.
func (m *model) nodeHealthy(node string) bool {
	for _, a := range m.active {
		if a.target == node {
			return false
		}
		if a.kind == faultRemoveDisk {
			for _, sl := range m.slots {
				if sl.name == a.target && sl.node == node {
					return false
				}
			}
		}
	}
	return true
}

func (m *model) healthyNode() string {
	var c []string
	for _, n := range m.nodes {
		if m.nodeHealthy(n) {
			c = append(c, n)
		}
	}
	if len(c) == 0 {
		return ""
	}
	return c[m.rng.IntN(len(c))]
}

// uuid is a random (seeded) UUID for a replica.
func (m *model) uuid() string {
	a, b := m.rng.Uint64(), m.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, (b>>48)&0xfff, b&0xffffffffffff)
}
