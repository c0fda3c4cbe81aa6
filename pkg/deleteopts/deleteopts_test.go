package deleteopts

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	all := Options{Purge: true, Accept: true, AcceptVolumeLoss: true, AcceptSnapshotLoss: true}
	for _, tt := range []struct {
		in   string
		want Options
		// err, when set, is a substring of the error; the error wraps
		// ErrMalformed.
		err string
	}{
		{in: "", want: Options{}},
		{in: " , ,", want: Options{}},
		{in: "purge", want: Options{Purge: true}},
		{in: "purge=true", want: Options{Purge: true}},
		{in: "purge=false", want: Options{}},
		{in: " purge = true ", want: Options{Purge: true}},
		{in: "accept", want: Options{Accept: true}},
		{in: "purge,accept", want: Options{Purge: true, Accept: true}},
		{in: "purge=true,accept=true,accept-data-loss=true", want: all},
		{in: "accept-volume-loss", want: Options{AcceptVolumeLoss: true}},
		{in: "accept-snapshot-loss", want: Options{AcceptSnapshotLoss: true}},
		{in: "accept-data-loss", want: Options{AcceptVolumeLoss: true, AcceptSnapshotLoss: true}},
		{in: "purge-accept-all", want: all},
		{in: "purge-accept-all=false", want: Options{}},
		// Later keys win.
		{in: "purge-accept-all,accept-volume-loss=false", want: Options{Purge: true, Accept: true, AcceptSnapshotLoss: true}},
		{in: "purge,purge=false", want: Options{}},
		{in: "purge=false,purge", want: Options{Purge: true}},
		{in: "accept-data-loss,accept-snapshot-loss=false", want: Options{AcceptVolumeLoss: true}},
		{in: "accept-volume-loss=false,purge-accept-all", want: all},
		{in: "purge,,accept", want: Options{Purge: true, Accept: true}},
		// Malformed.
		{in: "Purge", err: `unknown key "Purge"`},
		{in: "force", err: `unknown key "force"`},
		{in: "purge=yes", err: `invalid value "yes" for key "purge"`},
		{in: "purge=TRUE", err: `invalid value "TRUE"`},
		{in: "purge=", err: `invalid value ""`},
		{in: "=true", err: `unknown key ""`},
		{in: "purge;accept", err: `unknown key "purge;accept"`},
		{in: "purge,bogus", err: `unknown key "bogus"`},
		{in: "purge=true=true", err: `invalid value "true=true"`},
	} {
		got, err := Parse(tt.in)
		if tt.err != "" {
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q) = %+v, %v; want an ErrMalformed saying %q", tt.in, got, err, tt.err)
			}
			if got != (Options{}) {
				t.Errorf("Parse(%q) returned options %+v with an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseUnknownKeyNamesTheValidOnes(t *testing.T) {
	_, err := Parse("force")
	for _, k := range []string{KeyPurge, KeyAccept, KeyAcceptVolumeLoss, KeyAcceptSnapshotLoss, KeyAcceptDataLoss, KeyPurgeAcceptAll} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not list %q", err, k)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"purge", "purge-accept-all,accept=false", "a=b,c", ",,="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || o != (Options{}) {
				t.Fatalf("Parse(%q) = %+v, %v", s, o, err)
			}
			return
		}
		// Appending the same value again changes nothing (later keys win,
		// and they are the same keys).
		if again, err := Parse(s + "," + s); err != nil || again != o {
			t.Fatalf("Parse(%q twice) = %+v, %v; want %+v", s, again, err, o)
		}
	})
}
