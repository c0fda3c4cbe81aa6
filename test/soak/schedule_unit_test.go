package soak

import (
	"slices"
	"strings"
	"testing"
)

// schedule renders n steps of seed's model.
func schedule(seed uint64, n int) []string {
	m := newModel(seed, "t", nodes, diskPools, legacyPools)
	var out []string
	for range n {
		out = append(out, m.next().String())
	}
	return out
}

func TestScheduleIsTheSeeds(t *testing.T) {
	a, b := schedule(7, 400), schedule(7, 400)
	if !slices.Equal(a, b) {
		t.Fatal("seed 7 gave two different schedules")
	}
	if slices.Equal(a, schedule(8, 400)) {
		t.Fatal("seeds 7 and 8 gave the same schedule")
	}
}

// TestScheduleCoversEveryKind: a long schedule holds every kind of step,
// so no fault silently drops out of the generator.
func TestScheduleCoversEveryKind(t *testing.T) {
	text := strings.Join(schedule(1, 3000), "\n")
	for _, w := range weights {
		if !strings.Contains(text, ": "+w.kind+" ") && !strings.Contains(text, ": "+w.kind+"\n") {
			t.Errorf("no %s step in 3000", w.kind)
		}
	}
}

// TestScheduleKeepsItsRules: the model never schedules a second fault on
// a node that has one, never re-creates a purged name, and ends every
// timed fault.
func TestScheduleKeepsItsRules(t *testing.T) {
	m := newModel(3, "t", nodes, diskPools, legacyPools)
	for range 3000 {
		st := m.next()
		if st.kind == stepRecreate && (st.slot.state != slotLive || st.oldNode == "") {
			t.Fatalf("%s: slot not live after recreate", st)
		}
		busy := map[string]int{}
		for _, a := range m.active {
			if a.target != "" {
				busy[a.target]++
			}
			if a.until <= m.step {
				t.Fatalf("%s: fault %v outlived its end", st, a)
			}
		}
		for target, n := range busy {
			if n > 1 {
				t.Fatalf("%s: %d faults on %s at once", st, n, target)
			}
		}
	}
	for _, sl := range m.slots {
		if sl.state == slotPurged && sl.diskGen == 0 {
			t.Fatalf("%s purged without being created", sl.name)
		}
	}
}
