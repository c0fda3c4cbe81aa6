package label

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseLabel feeds arbitrary bytes to Parse: it must never panic, must
// return exactly one of a label or an error, and a label it accepts must
// survive an Encode/Parse round trip unchanged.
func FuzzParseLabel(f *testing.F) {
	good, err := Encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:HeaderSize+40])
	f.Add([]byte(Magic))
	f.Add(resealVersion(good, 1))
	f.Add(resealVersion(good, 3))
	f.Add(resealPayload(good, []byte(`{"name":"x"}`)))
	f.Add(resealPayload(good, []byte(`{"name":"a","uuid":"0f2b7c1e-8a4d-4b0e-9a57-3c1d2e4f5a6b","ownerUID":"o","disks":["/dev/x"],"clusterSize":4096,"replicas":[{"uuid":"r","size":1,"allocated":2}]}`)))
	f.Fuzz(func(t *testing.T, area []byte) {
		l, err := Parse(area)
		if (l == nil) == (err == nil) {
			t.Fatalf("Parse returned label %v and error %v", l, err)
		}
		_, _ = Salvage(area)
		if err != nil {
			var ce *CorruptError
			if !errors.Is(err, ErrNoLabel) && !errors.As(err, &ce) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		again, err := Encode(l)
		if err != nil {
			t.Fatalf("accepted label does not encode: %v", err)
		}
		l2, err := Parse(again)
		if err != nil {
			t.Fatalf("re-encoded label does not parse: %v", err)
		}
		a, _ := Encode(l2)
		if !bytes.Equal(a, again) {
			t.Fatal("Encode(Parse(Encode(l))) differs from Encode(l)")
		}
	})
}
