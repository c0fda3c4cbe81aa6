package harness

import (
	"strings"
	"testing"
)

func TestReadPoolLedger(t *testing.T) {
	const (
		start = `==== 2026-12-01T13:00:00Z: starting /bin/diskpool-agent ["--node" "n1"]`
		u1    = "11111111-1111-4111-8111-111111111111"
		u2    = "22222222-2222-4222-8222-222222222222"
	)
	line := func(ev, pool, uuid string) string {
		return `I1201 13:00:01.000000   42 create.go:141] "` + ev + ` pool" pool="` + pool + `" uuid="` + uuid + `" owner="o" disks=["/d"]`
	}
	for _, tc := range []struct {
		name               string
		log                []string
		created, destroyed int
		namesWithTwoUUIDs  int
	}{
		{name: "created and destroyed", created: 1, destroyed: 1,
			log: []string{start, line("Created", "run-p0", u1), line("Destroyed", "run-p0", u1)}},
		{name: "created, still there", created: 1, destroyed: 0,
			log: []string{start, line("Created", "run-p0", u1)}},
		{name: "created and killed before its line, imported by the next process", created: 1, destroyed: 0,
			log: []string{start, start, line("Imported", "run-p0", u1)}},
		{name: "created in one process, imported and destroyed by the next", created: 1, destroyed: 1,
			log: []string{start, line("Created", "run-p0", u1), start, line("Imported", "run-p0", u1), line("Destroyed", "run-p0", u1)}},
		{name: "destroyed and killed before its line: the next process does not import it", created: 1, destroyed: 1,
			log: []string{start, line("Created", "run-p0", u1), start}},
		{name: "imported by every restart", created: 1, destroyed: 0,
			log: []string{start, line("Created", "run-p0", u1), start, line("Imported", "run-p0", u1), start, line("Imported", "run-p0", u1)}},
		{name: "created twice: two uuids for one name", created: 2, destroyed: 1, namesWithTwoUUIDs: 1,
			log: []string{start, line("Created", "run-p0", u1), start, line("Created", "run-p0", u2)}},
		{name: "created twice across a restart that imported the first", created: 2, destroyed: 0, namesWithTwoUUIDs: 1,
			log: []string{start, start, line("Imported", "run-p0", u1), line("Created", "run-p0", u2)}},
		{name: "destroyed twice", created: 1, destroyed: 2,
			log: []string{start, line("Created", "run-p0", u1), line("Destroyed", "run-p0", u1), line("Destroyed", "run-p0", u1)}},
		{name: "adopted keeps its uuid", created: 1, destroyed: 0,
			log: []string{start, line("Created", "run-p0", u1), line("Adopted", "run-p0", u1)}},
		{name: "another run's pools are not counted", created: 0, destroyed: 0,
			log: []string{start, line("Created", "other-p0", u1), line("Destroyed", "other-p0", u1)}},
		{name: "lines without a uuid are not events", created: 0, destroyed: 0,
			log: []string{start, `I1201 13:00:01.000000   42 destroy.go:1] "Destroyed pool" pool="run-p0"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := ReadPoolLedger([]byte(strings.Join(tc.log, "\n")+"\n"), "run-")
			two := 0
			for _, uuids := range l.Names {
				if len(uuids) > 1 {
					two++
				}
			}
			if l.Created() != tc.created || l.DestroyedTotal() != tc.destroyed || two != tc.namesWithTwoUUIDs {
				t.Errorf("created %d, destroyed %d, names with two uuids %d; want %d, %d, %d (%+v)",
					l.Created(), l.DestroyedTotal(), two, tc.created, tc.destroyed, tc.namesWithTwoUUIDs, l)
			}
		})
	}
}
