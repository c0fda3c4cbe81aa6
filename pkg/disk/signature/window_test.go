package signature

import (
	"bytes"
	"testing"
)

// TestReadWindowTailInto: a window read into a reused buffer, dirty from
// another disk, is byte for byte the window read into fresh memory, for
// disks smaller than, equal to and larger than both windows.
func TestReadWindowTailInto(t *testing.T) {
	for _, tc := range []struct {
		name       string
		size, tail int64
	}{
		{"empty", 0, WindowSize},
		{"smaller than a window", WindowSize / 2, WindowSize},
		{"one window", WindowSize, WindowSize},
		{"windows overlap", WindowSize + WindowSize/2, WindowSize},
		{"two windows", 8 * WindowSize, WindowSize},
		{"longer tail", 8 * WindowSize, 3 * WindowSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disk := make([]byte, tc.size)
			for i := range disk {
				disk[i] = byte(i*7 + 1)
			}
			want, err := ReadWindowTail(bytes.NewReader(disk), tc.size, tc.tail)
			if err != nil {
				t.Fatal(err)
			}
			n := WindowLen(tc.size, tc.tail)
			for _, buf := range [][]byte{nil, bytes.Repeat([]byte{0xff}, int(n)), make([]byte, n/2)} {
				got, err := ReadWindowTailInto(bytes.NewReader(disk), tc.size, tc.tail, buf)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Head, want.Head) || !bytes.Equal(got.Tail, want.Tail) ||
					got.TailOffset != want.TailOffset || got.Size != want.Size {
					t.Errorf("buffer of %d bytes: window differs from a fresh read", len(buf))
				}
				if int64(len(buf)) >= n && n > 0 && &got.Head[0] != &buf[0] {
					t.Errorf("buffer of %d bytes (%d needed) was not used", len(buf), n)
				}
			}
		})
	}
}
