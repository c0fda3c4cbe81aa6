package main

import (
	"math"
	"testing"
	"time"
)

func TestHistogramQuantile(t *testing.T) {
	inf := math.Inf(1)
	// 10 observations in (0, 0.1], 10 in (0.1, 1], none above.
	b := []bucket{{0.1, 10}, {1, 20}, {inf, 20}}
	for _, c := range []struct{ q, want float64 }{{0.5, 0.1}, {0.25, 0.05}, {0.75, 0.55}, {1, 1}} {
		got, ok := histogramQuantile(c.q, b)
		if !ok || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("q%g = %g, %v; want %g", c.q, got, ok, c.want)
		}
	}
	// The rank in +Inf: the last finite bound.
	if got, _ := histogramQuantile(0.99, []bucket{{0.1, 1}, {inf, 10}}); got != 0.1 {
		t.Errorf("rank in +Inf: %g, want 0.1", got)
	}
	if _, ok := histogramQuantile(0.5, []bucket{{0.1, 0}, {inf, 0}}); ok {
		t.Error("no observations gave a value")
	}
}

func TestIncreasesCounterReset(t *testing.T) {
	at := time.Unix(0, 0)
	hist := []cumulative{
		{at: at, start: 1, v: map[string]float64{"a": 10}},
		{at: at.Add(time.Second), start: 1, v: map[string]float64{"a": 15, "b": 2}},
		{at: at.Add(2 * time.Second), start: 1, v: map[string]float64{"a": 3, "b": 4}},  // a fell: reset
		{at: at.Add(3 * time.Second), start: 2, v: map[string]float64{"a": 7, "b": 10}}, // new process
	}
	inc := increases(hist)
	if inc["a"] != 5+3+7 || inc["b"] != 2+2+10 {
		t.Errorf("increases = %v, want a=15 b=14", inc)
	}
}
