package v1beta3

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
)

// The cluster size bounds are the agent's (CreatePoolRequest
// cluster_size_bytes): powers of two from 1 MiB to 64 MiB. Mayastor
// allows up to 1 GiB; a larger value is refused here, at admission, rather
// than by every node.
const (
	MinClusterSize int64 = 1 << 20
	MaxClusterSize int64 = 64 << 20
)

// ErrInvalidSize is returned for a size string the CRD's rules refuse.
var ErrInvalidSize = errors.New("invalid size")

var clusterSizeSyntax = regexp.MustCompile(`^([0-9]+)(B|KiB|Ki|MiB|Mi|GiB|Gi)?$`)

var binaryUnits = map[string]int64{
	"": 1, "B": 1,
	"KiB": 1 << 10, "Ki": 1 << 10,
	"MiB": 1 << 20, "Mi": 1 << 20,
	"GiB": 1 << 30, "Gi": 1 << 30,
	"TiB": 1 << 40, "PiB": 1 << 50,
}

// ClusterSizeSpec returns the cluster size the spec asks for, whichever
// spelling holds it ("" when neither does).
func (s *DiskPoolSpec) ClusterSizeSpec() string {
	if s.ClusterSize != "" {
		return s.ClusterSize
	}
	return s.ClusterSizeSnake
}

// ParseClusterSize parses a spec cluster size: a power of two from
// MinClusterSize to MaxClusterSize, as bytes or with a binary unit. It
// accepts exactly what the CRD's rule accepts.
func ParseClusterSize(s string) (int64, error) {
	m := clusterSizeSyntax.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%w: cluster size %q: want a number with an optional unit B, KiB, MiB or GiB", ErrInvalidSize, s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || m[1][0] == '0' {
		return 0, fmt.Errorf("%w: cluster size %q", ErrInvalidSize, s)
	}
	unit := binaryUnits[m[2]]
	hi, v := bits.Mul64(uint64(n), uint64(unit))
	if hi != 0 || v > uint64(MaxClusterSize) || v < uint64(MinClusterSize) || v&(v-1) != 0 {
		return 0, fmt.Errorf("%w: cluster size %q is not a power of two from 1MiB to 64MiB", ErrInvalidSize, s)
	}
	return int64(v), nil
}

// MaxExpansion is a parsed spec.maxExpansion: a factor of the disk's size
// at creation, or an absolute size.
type MaxExpansion struct {
	// FactorMilli is the factor in thousandths (1500 for 1.5x); 0 when the
	// value is absolute.
	FactorMilli int64
	// Bytes is the absolute size; 0 when the value is a factor.
	Bytes int64
}

// DefaultMaxExpansion is what an unset spec.maxExpansion means: 1x.
var DefaultMaxExpansion = MaxExpansion{FactorMilli: 1000}

var (
	factorSyntax   = regexp.MustCompile(`^([1-9][0-9]{0,5})(?:\.([0-9]{1,3}))?x$`)
	absoluteSyntax = regexp.MustCompile(`^([0-9]{1,19})(?:\.([0-9]{1,3}))?(B|KiB|MiB|GiB|TiB|PiB)$`)
)

// ParseMaxExpansion parses spec.maxExpansion; "" is DefaultMaxExpansion.
// It accepts exactly what the CRD's rule accepts.
func ParseMaxExpansion(s string) (MaxExpansion, error) {
	if s == "" {
		return DefaultMaxExpansion, nil
	}
	if m := factorSyntax.FindStringSubmatch(s); m != nil {
		whole, _ := strconv.ParseInt(m[1], 10, 64)
		return MaxExpansion{FactorMilli: whole*1000 + milli(m[2])}, nil
	}
	if m := absoluteSyntax.FindStringSubmatch(s); m != nil {
		whole, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil {
			whole = math.MaxUint64
		}
		unit := uint64(binaryUnits[m[3]])
		hi, b := bits.Mul64(whole, unit)
		b, carry := bits.Add64(b, uint64(milli(m[2]))*unit/1000, 0)
		if hi != 0 || carry != 0 || b > math.MaxInt64 {
			b = math.MaxInt64
		}
		return MaxExpansion{Bytes: int64(b)}, nil
	}
	return MaxExpansion{}, fmt.Errorf("%w: maxExpansion %q: want a factor of at least 1x (5x, 1.5x) or a size with a binary unit (200GiB, 1073741824B)", ErrInvalidSize, s)
}

// milli turns up to three fraction digits into thousandths ("5" is 500).
func milli(frac string) int64 {
	if frac == "" {
		return 0
	}
	frac += strings.Repeat("0", 3-len(frac))
	n, _ := strconv.ParseInt(frac, 10, 64)
	return n
}

// Limit is the largest disk size the pool may grow to, given the disk's
// size when the limit is first recorded. It never returns less than
// initial: a limit below the disk's size would only forbid what exists.
func (m MaxExpansion) Limit(initial int64) int64 {
	if m.FactorMilli == 0 {
		return max(m.Bytes, initial)
	}
	hi, lo := bits.Mul64(uint64(max(initial, 0)), uint64(m.FactorMilli))
	if hi >= 1000 {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, 1000)
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return max(int64(q), initial)
}
