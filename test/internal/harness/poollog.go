package harness

import (
	"bufio"
	"bytes"
	"regexp"
	"slices"
	"strings"
)

// Pool events in an agent's log (pkg/agent's messages), each with its
// pool name and uuid; processStart is the line localcluster.StartProcess
// writes before each process of a log.
var (
	poolEventRE  = regexp.MustCompile(`"(Created|Imported|Adopted|Destroyed) pool"`)
	poolKeyRE    = regexp.MustCompile(`\bpool="([^"]+)"`)
	uuidKeyRE    = regexp.MustCompile(`\buuid="([^"]+)"`)
	processStart = []byte("==== ")
)

// PoolLedger is what an agent's log, across all its processes, says
// happened to the pools whose names start with a prefix: pools by uuid,
// so a pool is counted once whichever process logged it.
type PoolLedger struct {
	// Names maps each pool name to the uuids it had, in order: a name
	// created twice has two.
	Names map[string][]string
	// Destroyed counts the destructions of each uuid: its "Destroyed pool"
	// lines, or 1 for a pool one process had and the next did not import
	// (destroyed in the instant before a SIGKILL, its line never written).
	Destroyed map[string]int
}

// Created is the number of pools created: distinct uuids. A pool created in
// the instant before a SIGKILL logs no "Created pool" line, but the next
// process imports it and logs its uuid.
func (l PoolLedger) Created() int {
	n := 0
	for _, uuids := range l.Names {
		n += len(uuids)
	}
	return n
}

// DestroyedTotal is the number of destructions, a uuid destroyed twice
// counting twice.
func (l PoolLedger) DestroyedTotal() int {
	n := 0
	for _, c := range l.Destroyed {
		n += c
	}
	return n
}

// ReadPoolLedger reads an agent's log for the pools named prefix*.
func ReadPoolLedger(log []byte, prefix string) PoolLedger {
	l := PoolLedger{Names: map[string][]string{}, Destroyed: map[string]int{}}
	// last is each uuid's last event; lastProcess whether that was in the
	// log's last process.
	last, lastProcess := map[string]string{}, map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, processStart) {
			clear(lastProcess)
			continue
		}
		ev, name, uuid := poolEvent(line)
		if ev == "" || !strings.HasPrefix(name, prefix) {
			continue
		}
		if !slices.Contains(l.Names[name], uuid) {
			l.Names[name] = append(l.Names[name], uuid)
		}
		if ev == "Destroyed" {
			l.Destroyed[uuid]++
		}
		last[uuid], lastProcess[uuid] = ev, true
	}
	// A pool the current process does not have, with no "Destroyed pool"
	// line, was destroyed by a process killed before it could log it.
	for uuid, ev := range last {
		if ev != "Destroyed" && !lastProcess[uuid] {
			l.Destroyed[uuid] = 1
		}
	}
	return l
}

// poolEvent parses one log line: the event, pool name and uuid, or "".
func poolEvent(line []byte) (ev, name, uuid string) {
	e := poolEventRE.FindSubmatch(line)
	if e == nil {
		return "", "", ""
	}
	n, u := poolKeyRE.FindSubmatch(line), uuidKeyRE.FindSubmatch(line)
	if n == nil || u == nil {
		return "", "", ""
	}
	return string(e[1]), string(n[1]), string(u[1])
}
