package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The JSON-lines file test/bench writes with -samples (see
// test/bench/sampler.go and docs/dashboard.md).
type sampleMeta struct {
	Source          string   `json:"source"`
	Args            []string `json:"args"`
	Pools           int      `json:"pools"`
	Nodes           []string `json:"nodes"`
	OperatorFlags   []string `json:"operatorFlags"`
	Started         string   `json:"started"`
	IntervalSeconds float64  `json:"intervalSeconds"`
	WindowSeconds   float64  `json:"windowSeconds"`
}

type sample struct {
	T      float64                       `json:"t"`
	Time   string                        `json:"time"`
	Series map[string]map[string]float64 `json:"series"`
}

type samples struct {
	Meta    sampleMeta
	Samples []sample
}

func readSamples(r io.Reader) (*samples, error) {
	var out samples
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Bytes()
		if len(strings.TrimSpace(string(raw))) == 0 {
			continue
		}
		var l struct {
			Meta *sampleMeta `json:"meta"`
			sample
		}
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if l.Meta != nil {
			out.Meta = *l.Meta
			continue
		}
		out.Samples = append(out.Samples, l.sample)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out.Samples) == 0 {
		return nil, fmt.Errorf("no samples")
	}
	if out.Meta.IntervalSeconds <= 0 {
		out.Meta.IntervalSeconds = 1
	}
	return &out, nil
}

// names are the series names a group ever had, in the dashboard's order
// for the states it knows, else in natural order (node-2 before node-10).
func (s *samples) names(group string) []string {
	seen := map[string]bool{}
	for _, x := range s.Samples {
		for n := range x.Series[group] {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return naturalLess(out[i], out[j]) })
	return out
}

// Known label values in the order the dashboard and the API list them.
var stateOrder = []string{
	"Online", "Degraded", "Faulted", "Offline", "Unknown",
	"Creating", "Created", "Terminating",
	"Ready", "Syncing", "Unreachable", "Missing",
	"success", "requeue", "retry", "conflict", "error",
	"p50", "p90", "p99",
}

func naturalLess(a, b string) bool {
	ka, kb := sortKey(a), sortKey(b)
	for i := 0; i < len(ka) && i < len(kb); i++ {
		if ka[i] != kb[i] {
			return ka[i].less(kb[i])
		}
	}
	return len(ka) < len(kb)
}

type keyPart struct {
	rank int // index in stateOrder, or len(stateOrder)
	num  float64
	str  string
}

func (a keyPart) less(b keyPart) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if a.str != b.str {
		return a.str < b.str
	}
	return a.num < b.num
}

// sortKey splits "DiskPool p99" and "node-10" into words and numbers.
func sortKey(s string) []keyPart {
	var out []keyPart
	for _, w := range strings.Fields(s) {
		if i := slices.Index(stateOrder, w); i >= 0 {
			out = append(out, keyPart{rank: i})
			continue
		}
		prefix := strings.TrimRightFunc(w, func(r rune) bool { return r >= '0' && r <= '9' })
		n, err := strconv.ParseFloat(w[len(prefix):], 64)
		if err != nil {
			n = -1
		}
		out = append(out, keyPart{rank: len(stateOrder), str: prefix, num: n})
	}
	return out
}

// value is a series at sample i (NaN when absent).
func (s *samples) value(i int, group, name string) float64 {
	g, ok := s.Samples[i].Series[group]
	if !ok {
		return math.NaN()
	}
	v, ok := g[name]
	if !ok {
		return math.NaN()
	}
	return v
}

// at is the index of the last sample at or before t.
func (s *samples) at(t float64) int {
	i := sort.Search(len(s.Samples), func(i int) bool { return s.Samples[i].T > t })
	return max(i-1, 0)
}

// fullest is the time of the last sample in which a leader counted the
// largest number of Created pools: the moment before the delete burst,
// when the stat panels say the most. (A restarted operator waiting for the
// Lease exports its cache too; without a leader in any sample, any
// sample counts.)
func (s *samples) fullest() float64 {
	best, at := -1.0, s.Samples[len(s.Samples)-1].T
	for _, needLeader := range []bool{true, false} {
		for _, x := range s.Samples {
			g, ok := x.Series["pools_by_state"]
			if !ok || needLeader && x.Series["leader"]["leaders"] < 1 {
				continue
			}
			if n := g["Created"]; n >= best {
				best, at = n, x.T
			}
		}
		if best >= 0 {
			break
		}
	}
	return at
}
