package v1beta3

import (
	"errors"
	"math"
	"testing"
)

func TestParseClusterSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64 // 0: refused
	}{
		{"4MiB", 4 << 20},
		{"4Mi", 4 << 20},
		{"32MiB", 32 << 20},
		{"1MiB", 1 << 20},
		{"64MiB", 64 << 20},
		{"64Mi", 64 << 20},
		{"65536KiB", 64 << 20},
		{"4096KiB", 4 << 20},
		{"1024Ki", 1 << 20},
		{"4194304", 4 << 20},
		{"4194304B", 4 << 20},
		{"512KiB", 0},  // below 1MiB
		{"128MiB", 0},  // above 64MiB
		{"1GiB", 0},    // Mayastor's maximum, above the agent's
		{"3MiB", 0},    // not a power of two
		{"6291456", 0}, // 6MiB in bytes
		{"04MiB", 0},   // leading zero
		{"4 MiB", 0},   // space
		{"4MB", 0},     // decimal unit
		{"4mib", 0},    // case
		{"", 0},
		{"-4MiB", 0},
		{"99999999999999999999MiB", 0},
		{"17592186044416MiB", 0}, // overflows when multiplied out
	} {
		got, err := ParseClusterSize(tt.in)
		if tt.want == 0 {
			if err == nil || !errors.Is(err, ErrInvalidSize) {
				t.Errorf("ParseClusterSize(%q) = %d, %v; want ErrInvalidSize", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseClusterSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseMaxExpansion(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    MaxExpansion
		invalid bool
	}{
		{"", DefaultMaxExpansion, false},
		{"1x", MaxExpansion{FactorMilli: 1000}, false},
		{"5x", MaxExpansion{FactorMilli: 5000}, false},
		{"20x", MaxExpansion{FactorMilli: 20000}, false},
		{"1.5x", MaxExpansion{FactorMilli: 1500}, false},
		{"1.25x", MaxExpansion{FactorMilli: 1250}, false},
		{"200GiB", MaxExpansion{Bytes: 200 << 30}, false},
		{"3.5TiB", MaxExpansion{Bytes: 7 << 39}, false},
		{"1073741824B", MaxExpansion{Bytes: 1 << 30}, false},
		{"0B", MaxExpansion{Bytes: 0}, false},
		{"9999999999999999999PiB", MaxExpansion{Bytes: math.MaxInt64}, false},
		{"0.5x", MaxExpansion{}, true},
		{"0x", MaxExpansion{}, true},
		{"x", MaxExpansion{}, true},
		{"5", MaxExpansion{}, true},
		{"5X", MaxExpansion{}, true},
		{"-2x", MaxExpansion{}, true},
		{"1.2345x", MaxExpansion{}, true},
		{"200GB", MaxExpansion{}, true},
		{"200Gi", MaxExpansion{}, true},
		{"200 GiB", MaxExpansion{}, true},
		{"abc", MaxExpansion{}, true},
	} {
		got, err := ParseMaxExpansion(tt.in)
		if tt.invalid {
			if !errors.Is(err, ErrInvalidSize) {
				t.Errorf("ParseMaxExpansion(%q) = %+v, %v; want ErrInvalidSize", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseMaxExpansion(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestMaxExpansionLimit(t *testing.T) {
	const gi = int64(1) << 30
	for _, tt := range []struct {
		m       MaxExpansion
		initial int64
		want    int64
	}{
		{DefaultMaxExpansion, gi, gi},
		{MaxExpansion{FactorMilli: 4000}, gi, 4 * gi},
		{MaxExpansion{FactorMilli: 1500}, 2 * gi, 3 * gi},
		{MaxExpansion{FactorMilli: 20000}, gi, 20 * gi},
		{MaxExpansion{Bytes: 200 * gi}, gi, 200 * gi},
		{MaxExpansion{Bytes: gi / 2}, gi, gi}, // never below the disk
		{MaxExpansion{FactorMilli: 999999999}, math.MaxInt64 / 2, math.MaxInt64},
		{MaxExpansion{FactorMilli: 1000}, 0, 0},
	} {
		if got := tt.m.Limit(tt.initial); got != tt.want {
			t.Errorf("%+v.Limit(%d) = %d, want %d", tt.m, tt.initial, got, tt.want)
		}
	}
}

func TestClusterSizeSpec(t *testing.T) {
	for _, tt := range []struct {
		spec DiskPoolSpec
		want string
	}{
		{DiskPoolSpec{}, ""},
		{DiskPoolSpec{ClusterSize: "8MiB"}, "8MiB"},
		{DiskPoolSpec{ClusterSizeSnake: "4MiB"}, "4MiB"},
	} {
		if got := tt.spec.ClusterSizeSpec(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.spec, got, tt.want)
		}
	}
}
