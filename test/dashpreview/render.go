package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
	"time"
)

// dashboard is the part of a Grafana dashboard JSON the preview follows:
// the panels' type, title, grid position, unit, colours and legend.
type dashboard struct {
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	GridPos struct {
		H, W, X, Y int
	} `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit  string   `json:"unit"`
			Min   *float64 `json:"min"`
			Max   *float64 `json:"max"`
			Color *struct {
				Mode       string `json:"mode"`
				FixedColor string `json:"fixedColor"`
			} `json:"color"`
			Thresholds *thresholds `json:"thresholds"`
			Custom     struct {
				Stacking struct {
					Mode string `json:"mode"`
				} `json:"stacking"`
				FillOpacity float64 `json:"fillOpacity"`
			} `json:"custom"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher struct {
				ID      string          `json:"id"`
				Options json.RawMessage `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Options struct {
		ColorMode   string `json:"colorMode"`
		TextMode    string `json:"textMode"`
		Orientation string `json:"orientation"`
		Legend      struct {
			Placement string   `json:"placement"`
			Calcs     []string `json:"calcs"`
		} `json:"legend"`
	} `json:"options"`
}

type thresholds struct {
	Steps []struct {
		Color string   `json:"color"`
		Value *float64 `json:"value"`
	} `json:"steps"`
}

// Grafana's thresholds when a panel sets none: green, red from 80.
var defaultThresholds = func() *thresholds {
	var t thresholds
	_ = json.Unmarshal([]byte(`{"steps":[{"color":"green","value":null},{"color":"red","value":80}]}`), &t)
	return &t
}()

// source is one query of a panel, as the sampler wrote it: a group of
// series (test/bench/sampler.go), optionally one name of it, and the
// legend (legendFormat with the series name for %s).
type source struct {
	group  string
	name   string
	legend string
}

// spec is what the preview draws for a dashboard panel, by title.
type spec struct {
	sources []source
	// band: a min-max spread per node instead of one line per pool.
	bandLo, bandHi string
	// note says how the preview aggregates where it differs from the
	// dashboard's query.
	note string
}

var specs = map[string]spec{
	"Pools by status":            {sources: []source{{group: "pools_by_status"}}},
	"Pools by lifecycle state":   {sources: []source{{group: "pools_by_state"}}},
	"Pools by status over time":  {sources: []source{{group: "pools_by_status"}}},
	"Capacity and used per node": {sources: []source{{group: "node_capacity_bytes", legend: "%s capacity"}, {group: "node_used_bytes", legend: "%s used"}}},
	"Allocated per pool":         {sources: []source{{group: "pool_allocated_max_ratio", legend: "%s"}}, note: "fullest pool of each node"},
	"Capacity per pool":          {bandLo: "pool_capacity_min_bytes", bandHi: "pool_capacity_max_bytes", note: "min-max over each node's pools"},
	"Used per pool":              {bandLo: "pool_used_min_bytes", bandHi: "pool_used_max_bytes", note: "min-max over each node's pools"},
	"Reconcile rate by result":   {sources: []source{{group: "reconcile_rate"}}},
	"Reconcile latency":          {sources: []source{{group: "reconcile_latency_seconds"}}},
	"Reconcile errors":           {sources: []source{{group: "reconcile_errors_rate"}}},
	"Workqueue depth":            {sources: []source{{group: "workqueue_depth"}}},
	"Workqueue wait (p99)":       {sources: []source{{group: "workqueue_wait_p99_seconds"}}},
	"Workqueue adds and retries": {sources: []source{{group: "workqueue_adds_rate", legend: "%s adds"}, {group: "workqueue_retries_rate", legend: "%s retries"}}},
	"Operator replicas up":       {sources: []source{{group: "up", name: "diskpool-operator", legend: "up"}}, note: "one replica here"},
	"Leaders":                    {sources: []source{{group: "leader", name: "leaders", legend: "leaders"}}},
	"Agents up":                  {sources: []source{{group: "up", name: "diskpool-agent", legend: "up"}}},
	"Agents by state":            {sources: []source{{group: "agents_by_state"}}},
	"Agent stream reconnects":    {sources: []source{{group: "agent_reconnects_rate"}}},
}

type options struct {
	Width int
	// At is the time (seconds into the run) of the stat and bar gauge
	// panels; negative: the last sample with the most Created pools.
	At float64
	// Label is the line that says where the data comes from.
	Label string
}

// placed is where a panel was drawn (the test checks each is not blank).
type placed struct {
	Title string
	Type  string
	Rect  image.Rectangle
}

const (
	margin  = 12
	header  = 92
	rowUnit = 36
	gap     = 4
)

func render(d *dashboard, s *samples, o options) (*image.RGBA, []placed, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, nil, err
	}
	if o.Width == 0 {
		o.Width = 1800
	}
	rows := 0
	for _, p := range d.Panels {
		rows = max(rows, p.GridPos.Y+p.GridPos.H)
	}
	h := header + rows*rowUnit + margin
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, o.Width, h))}
	c.fill(c.img.Bounds(), colBackground)

	at := o.At
	if at < 0 {
		at = s.fullest()
	}
	r := &renderer{c: c, f: fs, s: s, at: at, atIndex: s.at(at)}

	title := d.Title
	if title == "" {
		title = "dashboard"
	}
	c.text(fs.header, title, margin, 32, colText, 0)
	c.text(fs.title, o.Label, margin+textWidth(fs.header, title)+16, 32, colMuted, 0)
	c.text(fs.text, fmt.Sprintf("Panels, titles, units and colours from %s; data: the operator's and agents' /metrics scraped every %gs, rates and quantiles over %gs windows.",
		"manifests/components/monitoring/dashboard.json", s.Meta.IntervalSeconds, s.Meta.WindowSeconds), margin, 56, colMuted, 0)
	c.text(fs.text, fmt.Sprintf("Stat and bar gauge panels show the values at t = %.0f s (the last sample with the most Created pools), marked by the dashed line on the graphs.", r.s.Samples[r.atIndex].T),
		margin, 76, colMuted, 0)

	colW := float64(o.Width-2*margin) / 24
	var out []placed
	for _, p := range d.Panels {
		g := p.GridPos
		rect := image.Rect(
			margin+int(math.Round(float64(g.X)*colW))+gap,
			header+g.Y*rowUnit+gap,
			margin+int(math.Round(float64(g.X+g.W)*colW))-gap,
			header+(g.Y+g.H)*rowUnit-gap,
		)
		if p.Type == "row" {
			c.text(fs.header, p.Title, rect.Min.X, rect.Max.Y-6, colText, 0)
			continue
		}
		c.fill(rect, colPanel)
		c.border(rect, colBorder)
		c.text(fs.title, fit(fs.title, p.Title, rect.Dx()-16), rect.Min.X+10, rect.Min.Y+20, colText, 0)
		sp, known := specs[p.Title]
		if sp.note != "" {
			c.text(fs.small, sp.note, rect.Max.X-10, rect.Min.Y+19, colMuted, 1)
		}
		body := image.Rect(rect.Min.X+10, rect.Min.Y+30, rect.Max.X-10, rect.Max.Y-8)
		switch {
		case !known:
			c.text(fs.text, "not in the samples", body.Min.X+body.Dx()/2, body.Min.Y+body.Dy()/2, colMuted, 0.5)
		case p.Type == "stat":
			r.stat(p, sp, body)
		case p.Type == "bargauge":
			r.bargauge(p, sp, body)
		default:
			r.timeseries(p, sp, body)
		}
		out = append(out, placed{Title: p.Title, Type: p.Type, Rect: rect})
	}
	return c.img, out, nil
}

type renderer struct {
	c       *canvas
	f       *fonts
	s       *samples
	at      float64
	atIndex int
}

// series is one drawn series: a value per sample, NaN where absent.
type series struct {
	name  string
	color color.RGBA
	v     []float64
	lo    []float64 // bands only
}

func (r *renderer) collect(p panel, sp spec) []series {
	var out []series
	add := func(name string, v, lo []float64) {
		out = append(out, series{name: name, v: v, lo: lo})
	}
	values := func(group, name string) []float64 {
		v := make([]float64, len(r.s.Samples))
		for i := range v {
			v[i] = r.s.value(i, group, name)
		}
		return v
	}
	if sp.bandHi != "" {
		for _, n := range r.s.names(sp.bandHi) {
			pools := 0.0
			for i := range r.s.Samples {
				pools = math.Max(pools, nanZero(r.s.value(i, "pool_count", n)))
			}
			add(fmt.Sprintf("%s (%.0f pools)", n, pools), values(sp.bandHi, n), values(sp.bandLo, n))
		}
	}
	for _, src := range sp.sources {
		names := r.s.names(src.group)
		if src.name != "" {
			names = []string{src.name}
		}
		for _, n := range names {
			label := n
			switch {
			case src.name != "" && src.legend != "":
				label = src.legend
			case src.legend != "":
				label = fmt.Sprintf(src.legend, n)
			}
			add(label, values(src.group, n), nil)
		}
	}
	for i := range out {
		out[i].color = r.colorOf(p, out[i].name, i)
	}
	return out
}

// colorOf follows the panel's byName overrides, then its fixed colour,
// then the classic palette.
func (r *renderer) colorOf(p panel, name string, i int) color.RGBA {
	if c, ok := overrideColor(p, name); ok {
		return c
	}
	if p.Type == "timeseries" || p.FieldConfig.Defaults.Color == nil {
		return palette[i%len(palette)]
	}
	return named(p.FieldConfig.Defaults.Color.FixedColor)
}

func overrideColor(p panel, name string) (color.RGBA, bool) {
	for _, o := range p.FieldConfig.Overrides {
		var opt string
		if o.Matcher.ID != "byName" || json.Unmarshal(o.Matcher.Options, &opt) != nil || opt != name {
			continue
		}
		for _, prop := range o.Properties {
			var v struct {
				FixedColor string `json:"fixedColor"`
			}
			if prop.ID == "color" && json.Unmarshal(prop.Value, &v) == nil && v.FixedColor != "" {
				return named(v.FixedColor), true
			}
		}
	}
	return color.RGBA{}, false
}

func named(n string) color.RGBA {
	if c, ok := namedColors[n]; ok {
		return c
	}
	if strings.HasPrefix(n, "#") && len(n) == 7 {
		var v uint32
		if _, err := fmt.Sscanf(n[1:], "%06x", &v); err == nil {
			return rgb(v)
		}
	}
	return namedColors["blue"]
}

// thresholdColor is the colour of the highest step at or below v.
func thresholdColor(t *thresholds, v float64) color.RGBA {
	if t == nil || len(t.Steps) == 0 {
		t = defaultThresholds
	}
	col := named(t.Steps[0].Color)
	for _, s := range t.Steps[1:] {
		if s.Value != nil && v >= *s.Value {
			col = named(s.Color)
		}
	}
	return col
}

// stat draws the values at r.at: one row per series (name, value), or one
// big value for a single series.
func (r *renderer) stat(p panel, sp spec, body image.Rectangle) {
	ss := r.collect(p, sp)
	c := r.c
	colorFor := func(s series, v float64) color.RGBA {
		if _, ok := overrideColor(p, s.name); ok || p.FieldConfig.Defaults.Color != nil {
			return s.color
		}
		return thresholdColor(p.FieldConfig.Defaults.Thresholds, v)
	}
	unit := p.FieldConfig.Defaults.Unit
	if len(ss) == 1 {
		v := ss[0].v[r.atIndex]
		text, col := "No data", colMuted
		if !math.IsNaN(v) {
			text, col = format(unit, v), colorFor(ss[0], v)
		}
		c.text(r.f.big, text, body.Min.X+body.Dx()/2, body.Min.Y+body.Dy()/2+11, col, 0.5)
		return
	}
	if len(ss) == 0 {
		c.text(r.f.text, "No data", body.Min.X+body.Dx()/2, body.Min.Y+body.Dy()/2, colMuted, 0.5)
		return
	}
	rowH := min(body.Dy()/len(ss), 30)
	for i, s := range ss {
		v := s.v[r.atIndex]
		row := image.Rect(body.Min.X, body.Min.Y+i*rowH, body.Max.X, body.Min.Y+(i+1)*rowH-2)
		text, col := "No data", colMuted
		if !math.IsNaN(v) {
			text, col = format(unit, v), colorFor(s, v)
		}
		base := row.Min.Y + row.Dy()/2 + 5
		if p.Options.ColorMode == "background" {
			c.fill(row, withAlpha(col, 0.85))
			c.text(r.f.title, s.name, row.Min.X+8, base, colBackground, 0)
			c.text(r.f.title, text, row.Max.X-8, base, colBackground, 1)
			continue
		}
		c.text(r.f.title, s.name, row.Min.X+8, base, colText, 0)
		c.text(r.f.title, text, row.Max.X-8, base, col, 1)
	}
}

// bargauge draws one bar per series at r.at, coloured by the thresholds.
func (r *renderer) bargauge(p panel, sp spec, body image.Rectangle) {
	ss := r.collect(p, sp)
	c := r.c
	lo, hi := 0.0, 1.0
	if m := p.FieldConfig.Defaults.Min; m != nil {
		lo = *m
	}
	if m := p.FieldConfig.Defaults.Max; m != nil {
		hi = *m
	}
	if len(ss) == 0 {
		c.text(r.f.text, "No data", body.Min.X+body.Dx()/2, body.Min.Y+body.Dy()/2, colMuted, 0.5)
		return
	}
	rowH := min(body.Dy()/len(ss), 44)
	valueW := textWidth(r.f.title, "100.0%") + 10
	for i, s := range ss {
		v := s.v[r.atIndex]
		top := body.Min.Y + i*rowH
		c.text(r.f.text, s.name, body.Min.X, top+14, colText, 0)
		bar := image.Rect(body.Min.X, top+19, body.Max.X-valueW, top+rowH-5)
		c.fill(bar, colGrid)
		if math.IsNaN(v) {
			c.text(r.f.title, "No data", body.Max.X, bar.Max.Y-3, colMuted, 1)
			continue
		}
		col := thresholdColor(p.FieldConfig.Defaults.Thresholds, v)
		frac := math.Min(math.Max((v-lo)/(hi-lo), 0), 1)
		w := int(math.Round(frac * float64(bar.Dx())))
		c.fill(image.Rect(bar.Min.X, bar.Min.Y, bar.Min.X+max(w, 2), bar.Max.Y), col)
		c.text(r.f.title, format(p.FieldConfig.Defaults.Unit, v), body.Max.X, bar.Max.Y-3, col, 1)
	}
}

func (r *renderer) timeseries(p panel, sp spec, body image.Rectangle) {
	ss := r.collect(p, sp)
	c := r.c
	unit := p.FieldConfig.Defaults.Unit
	stacked := p.FieldConfig.Defaults.Custom.Stacking.Mode == "normal"

	// Legend: name, last, max (the dashboard's calcs), right of the plot on
	// wide panels, else below it.
	type entry struct {
		s         series
		last, max string
	}
	entries := make([]entry, len(ss))
	nameW, lastW, maxW := 0, textWidth(r.f.small, "Last"), textWidth(r.f.small, "Max")
	for i, s := range ss {
		last, mx := math.NaN(), math.NaN()
		for _, v := range s.v {
			if !math.IsNaN(v) {
				last = v
				if math.IsNaN(mx) || v > mx {
					mx = v
				}
			}
		}
		e := entry{s: s, last: "-", max: "-"}
		if !math.IsNaN(last) {
			e.last, e.max = format(unit, last), format(unit, mx)
		}
		entries[i] = e
		nameW = max(nameW, textWidth(r.f.text, s.name))
		lastW = max(lastW, textWidth(r.f.text, e.last))
		maxW = max(maxW, textWidth(r.f.text, e.max))
	}
	const lineH = 16
	legendW := 22 + nameW + 16 + lastW + 16 + maxW
	plot := body
	var legend image.Rectangle
	cols, perCol := 1, 0
	if right := body.Dx() >= 1000; right {
		legendW = min(legendW, body.Dx()*2/5)
		legend = image.Rect(body.Max.X-legendW, body.Min.Y, body.Max.X, body.Max.Y)
		plot.Max.X = legend.Min.X - 16
		perCol = max(legend.Dy()/lineH-1, 1)
	} else {
		// Below the plot, in as many columns as keep it to 4 rows.
		cols = max(min((len(entries)+3)/4, body.Dx()/(legendW+32)), 1)
		perCol = (len(entries) + cols - 1) / cols
		rows := min(perCol+1, max((body.Dy()-90)/lineH, 2))
		perCol = rows - 1
		legend = image.Rect(body.Min.X, body.Max.Y-rows*lineH, body.Min.X+cols*(legendW+32), body.Max.Y)
		plot.Max.Y = legend.Min.Y - 6
	}

	// Axes.
	tEnd := r.s.Samples[len(r.s.Samples)-1].T
	if tEnd <= 0 {
		tEnd = 1
	}
	yMax := 0.0
	for i := range r.s.Samples {
		sum := 0.0
		for _, s := range ss {
			if v := s.v[i]; !math.IsNaN(v) {
				if stacked {
					sum += v
				} else {
					yMax = math.Max(yMax, v)
				}
			}
		}
		yMax = math.Max(yMax, sum)
	}
	if m := p.FieldConfig.Defaults.Max; m != nil {
		yMax = *m
	}
	var step float64
	switch {
	case unit == "bytes":
		step = niceBytesStep(yMax, 4)
	case unit == "s" && yMax < 1:
		step = niceStep(yMax, 4)
	case unit == "short" && yMax < 4:
		// Counts this small (leaders, a short queue): whole steps.
		step = niceStep(max(yMax, 1), 4)
	default:
		step = niceStep(yMax, 4)
	}
	yTop := math.Ceil(yMax/step-1e-9) * step
	ticks := []float64{0}
	if yMax <= 0 {
		yTop = 1 // everything 0: one tick at 0, the lines on it
	} else {
		for v := step; v <= yTop+step/2; v += step {
			ticks = append(ticks, v)
		}
	}
	axisW := 0
	for _, v := range ticks {
		axisW = max(axisW, textWidth(r.f.small, format(unit, v)))
	}
	plot.Min.X += axisW + 8
	plot.Max.Y -= 16
	plot.Min.Y += 6
	x := func(t float64) float64 { return float64(plot.Min.X) + t/tEnd*float64(plot.Dx()) }
	y := func(v float64) float64 { return float64(plot.Max.Y) - v/yTop*float64(plot.Dy()) }

	for _, v := range ticks {
		py := int(math.Round(y(v)))
		c.fill(image.Rect(plot.Min.X, py, plot.Max.X, py+1), colGrid)
		c.text(r.f.small, format(unit, v), plot.Min.X-6, py+4, colMuted, 1)
	}
	tStep := timeStep(tEnd, max(plot.Dx()/90, 2))
	lastTick := 0.0
	for t := 0.0; t <= tEnd+1e-9; t += tStep {
		px := int(math.Round(x(t)))
		c.fill(image.Rect(px, plot.Min.Y, px+1, plot.Max.Y), colGrid)
		c.text(r.f.small, trimFloat(t, 0), px, plot.Max.Y+13, colMuted, 0.5)
		lastTick = t
	}
	// The unit after the last label, or in place of it when they would touch.
	if x(lastTick)+float64(textWidth(r.f.small, trimFloat(lastTick, 0)))/2+14 < float64(plot.Max.X) {
		c.text(r.f.small, "s", plot.Max.X, plot.Max.Y+13, colMuted, 1)
	} else {
		c.text(r.f.small, " s", int(math.Round(x(lastTick)))+textWidth(r.f.small, trimFloat(lastTick, 0))/2, plot.Max.Y+13, colMuted, 0)
	}
	c.dashedV(int(math.Round(x(r.s.Samples[r.atIndex].T))), plot.Min.Y, plot.Max.Y, colMarker)

	// Runs of consecutive present samples: a missed scrape is a gap.
	maxGap := 2.5 * r.s.Meta.IntervalSeconds
	runs := func(present func(i int) bool) [][2]int {
		var out [][2]int
		start := -1
		for i := range r.s.Samples {
			ok := present(i)
			if ok && start >= 0 && r.s.Samples[i].T-r.s.Samples[i-1].T > maxGap {
				out = append(out, [2]int{start, i})
				start = -1
			}
			if ok && start < 0 {
				start = i
			}
			if !ok && start >= 0 {
				out = append(out, [2]int{start, i})
				start = -1
			}
		}
		if start >= 0 {
			out = append(out, [2]int{start, len(r.s.Samples)})
		}
		return out
	}
	clip := plot.Inset(-2)
	pa := c.paths(clip)
	base := make([]float64, len(r.s.Samples))
	// Lines go on top of every fill; stacked, the lowest series' last, so
	// a boundary shared with series at 0 above it shows its colour.
	type stroke struct {
		pts []pt
		col color.RGBA
	}
	var strokes []stroke
	for _, s := range ss {
		lower := s.lo
		if stacked {
			lower = append([]float64(nil), base...)
		}
		top := make([]float64, len(s.v))
		for i, v := range s.v {
			top[i] = v
			if stacked && !math.IsNaN(v) {
				top[i] = base[i] + v
				base[i] = top[i]
			}
		}
		for _, run := range runs(func(i int) bool { return !math.IsNaN(top[i]) }) {
			var line, low []pt
			for i := run[0]; i < run[1]; i++ {
				t := r.s.Samples[i].T
				line = append(line, pt{x(t), y(top[i])})
				if lower != nil && !math.IsNaN(lower[i]) {
					low = append(low, pt{x(t), y(lower[i])})
				}
			}
			if lower != nil && len(low) == len(line) && len(line) > 1 {
				opacity := p.FieldConfig.Defaults.Custom.FillOpacity / 100
				if opacity == 0 {
					opacity = 0.25
				}
				poly := append([]pt(nil), line...)
				for i := len(low) - 1; i >= 0; i-- {
					poly = append(poly, low[i])
				}
				pa.polygon(poly)
				pa.draw(withAlpha(s.color, opacity))
				if s.lo != nil {
					strokes = append(strokes, stroke{low, s.color})
				}
			}
			if len(line) == 1 {
				line = append(line, pt{line[0].x + 1, line[0].y})
			}
			if stacked {
				strokes = append([]stroke{{line, s.color}}, strokes...)
			} else {
				strokes = append(strokes, stroke{line, s.color})
			}
		}
	}
	for _, st := range strokes {
		pa.line(st.pts, 1.75)
		pa.draw(st.col)
	}

	if len(entries) == 0 {
		c.text(r.f.title, "No data", plot.Min.X+plot.Dx()/2, plot.Min.Y+plot.Dy()/2, colMuted, 0.5)
		return
	}

	// Legend table(s): name, last, max.
	for col := range cols {
		x0 := legend.Min.X + col*(legendW+32)
		colLast := x0 + legendW - maxW - 16 - lastW
		colMax := colLast + lastW + 16
		ly := legend.Min.Y + 12
		c.text(r.f.small, "Last", colLast+lastW, ly, colMuted, 1)
		c.text(r.f.small, "Max", colMax+maxW, ly, colMuted, 1)
		first, last := col*perCol, min((col+1)*perCol, len(entries))
		if col == cols-1 && len(entries) > last {
			last-- // room for "+n more"
		}
		for _, e := range entries[min(first, last):last] {
			ly += lineH
			c.fill(image.Rect(x0, ly-6, x0+14, ly-3), e.s.color)
			c.text(r.f.text, fit(r.f.text, e.s.name, colLast-x0-30), x0+22, ly, colText, 0)
			c.text(r.f.text, e.last, colLast+lastW, ly, colText, 1)
			c.text(r.f.text, e.max, colMax+maxW, ly, colText, 1)
		}
		if col == cols-1 && len(entries) > last {
			c.text(r.f.small, fmt.Sprintf("+%d more", len(entries)-last), x0+22, ly+lineH, colMuted, 0)
		}
	}
}

// timeStep is a step of seconds a clock reads well: 1, 2, 5, 10, 15,
// 20, 30 s, 1, 2, 5, 10 min..., about n intervals over span.
func timeStep(span float64, n int) float64 {
	raw := span / float64(max(n, 1))
	for _, s := range []float64{1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600} {
		if s >= raw {
			return s
		}
	}
	return niceStep(span, n)
}

func nanZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// label is the provenance line of the image.
func label(m sampleMeta) string {
	date := m.Started
	if t, err := time.Parse(time.RFC3339, m.Started); err == nil {
		date = t.UTC().Format("2006-01-02 15:04 UTC")
	}
	return fmt.Sprintf("rendered from a make bench run: %d pools, %d nodes, %s", m.Pools, len(m.Nodes), date)
}
