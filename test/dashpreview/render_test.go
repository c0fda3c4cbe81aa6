package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"testing"
	"time"
)

const dashboardPath = "../../manifests/components/monitoring/dashboard.json"

// synthetic is a bench-like run in the sampler's JSON-lines format: pools
// created, idle, an operator restart (a gap), then deleted.
func synthetic(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	nodes := []string{"node-0", "node-1", "node-2"}
	meta := sampleMeta{Source: "test", Pools: 300, Nodes: nodes, Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339),
		IntervalSeconds: 1, WindowSeconds: 5}
	if err := enc.Encode(map[string]any{"meta": meta}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 120; i++ {
		tt := float64(i)
		if i >= 60 && i < 66 {
			continue // the operator restarts: no samples
		}
		created := math.Min(tt*10, 300)
		if tt > 90 {
			created = math.Max(300-(tt-90)*15, 0)
		}
		g := map[string]map[string]float64{
			"up":                         {"diskpool-operator": 1, "diskpool-agent": 3},
			"leader":                     {"leaders": 1},
			"agents_by_state":            {"Ready": 3, "Syncing": 0, "Unreachable": 0, "Missing": 0},
			"pools_by_status":            {"Online": created * 0.9, "Degraded": created * 0.1, "Faulted": 0, "Offline": 0, "Unknown": 0},
			"pools_by_state":             {"Creating": 300 - created, "Created": created, "Terminating": 0},
			"reconcile_rate":             {"DiskPool success": 20 + 10*math.Sin(tt/5), "DiskPool error": 1},
			"reconcile_errors_rate":      {"DiskPool": 1 + math.Sin(tt/7)},
			"reconcile_latency_seconds":  {"DiskPool p50": 0.01, "DiskPool p90": 0.05, "DiskPool p99": 0.2 + 0.1*math.Cos(tt/9)},
			"workqueue_depth":            {"diskpool": math.Max(100-tt*2, 0)},
			"workqueue_wait_p99_seconds": {"diskpool": 2},
			"workqueue_adds_rate":        {"diskpool": 30},
			"workqueue_retries_rate":     {"diskpool": 2},
			"agent_reconnects_rate":      {"node-0": 0.1, "node-1": 0, "node-2": 0.2},
		}
		for k, n := range nodes {
			per := created / 3
			add := func(group string, v float64) {
				if g[group] == nil {
					g[group] = map[string]float64{}
				}
				g[group][n] = v
			}
			add("pool_count", per)
			add("node_capacity_bytes", per*(1<<30))
			add("node_used_bytes", per*float64(k+1)*(100<<20))
			add("pool_capacity_min_bytes", 1<<30)
			add("pool_capacity_max_bytes", 2<<30)
			add("pool_used_min_bytes", float64(k)*(50<<20))
			add("pool_used_max_bytes", float64(k+1)*(300<<20))
			add("pool_allocated_max_ratio", 0.3*float64(k+1))
		}
		if err := enc.Encode(sample{T: tt, Time: "x", Series: g}); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestRenderPNG(t *testing.T) {
	d, err := readDashboard(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := readSamples(bytes.NewReader(synthetic(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Samples) != 114 || s.Meta.Pools != 300 {
		t.Fatalf("read %d samples, meta %+v", len(s.Samples), s.Meta)
	}
	img, panels, err := render(d, s, options{Width: 1500, At: -1, Label: label(s.Meta)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}

	rows := 0
	nonRow := 0
	for _, p := range d.Panels {
		rows = max(rows, p.GridPos.Y+p.GridPos.H)
		if p.Type != "row" {
			nonRow++
		}
	}
	if want := image.Rect(0, 0, 1500, header+rows*rowUnit+margin); got.Bounds() != want {
		t.Fatalf("image is %v, want %v", got.Bounds(), want)
	}
	if len(panels) != nonRow {
		t.Fatalf("drew %d panels, the dashboard has %d", len(panels), nonRow)
	}
	for _, p := range panels {
		// Data is drawn in colours; frames, grid and text are grey.
		if n := coloured(got, p.Rect); n < 60 {
			t.Errorf("panel %q (%s) at %v: %d coloured pixels, looks blank", p.Title, p.Type, p.Rect, n)
		}
		if p.Rect.Dx() < 200 || p.Rect.Dy() < 100 {
			t.Errorf("panel %q is only %v", p.Title, p.Rect)
		}
	}
	// The provenance label is in the header.
	if n := notBackground(got, image.Rect(0, 0, 1500, header)); n < 2000 {
		t.Errorf("header has %d drawn pixels", n)
	}
}

// TestEveryPanelHasData fails when the dashboard gains a panel the preview
// does not know (it would be drawn as "not in the samples").
func TestEveryPanelHasData(t *testing.T) {
	d, err := readDashboard(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Panels {
		if _, ok := specs[p.Title]; !ok && p.Type != "row" {
			t.Errorf("dashboard panel %d %q has no data source in test/dashpreview (specs) nor in test/bench/sampler.go", p.ID, p.Title)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		unit string
		v    float64
		want string
	}{
		{"bytes", 249.02 * (1 << 30), "249.02 GiB"},
		{"bytes", 0, "0 B"},
		{"s", 0.0123, "12.3 ms"},
		{"s", 57.9e-6, "57.9 µs"},
		{"ops", 261, "261 ops/s"},
		{"percentunit", 0.9, "90%"},
		{"short", 1000, "1000"},
		{"short", 12500, "12.5 K"},
	} {
		if got := format(c.unit, c.v); got != c.want {
			t.Errorf("format(%s, %g) = %q, want %q", c.unit, c.v, got, c.want)
		}
	}
	if got := fmt.Sprint(naturalLess("node-2", "node-10"), naturalLess("Online", "Degraded"), naturalLess("DiskPool p50", "DiskPool p99")); got != "true true true" {
		t.Errorf("natural order: %s", got)
	}
}

func coloured(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			hi, lo := max(cr, cg, cb)>>8, min(cr, cg, cb)>>8
			if hi-lo > 40 {
				n++
			}
		}
	}
	return n
}

func notBackground(img image.Image, r image.Rectangle) int {
	n := 0
	br, bg, bb, _ := colBackground.RGBA()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr != br || cg != bg || cb != bb {
				n++
			}
		}
	}
	return n
}
