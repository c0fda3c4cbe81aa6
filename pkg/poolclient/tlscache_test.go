package poolclient

import (
	"os"
	"testing"
)

func TestTLSCacheSharesUntilFilesChange(t *testing.T) {
	p := newTestPKI(t)
	c := &tlsCache{entries: map[TLSOptions]*tlsEntry{}}
	o := p.clientOptions()
	first, err := c.credentials(o)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.credentials(o)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Error("same files, unchanged: got new credentials, want the shared ones")
	}

	other := o
	other.ServerName = "other-name"
	if oc, err := c.credentials(other); err != nil || oc == first {
		t.Errorf("other options: credentials shared with the first (%v), want their own", err)
	}

	// Rotate: another CA's client certificate and key under the same names.
	q := newTestPKI(t)
	for src, dst := range map[string]string{q.clientCert: p.clientCert, q.clientKey: p.clientKey, q.caFile: p.caFile} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dst, b)
	}
	rotated, err := c.credentials(o)
	if err != nil {
		t.Fatal(err)
	}
	if rotated == first {
		t.Error("rotated files: got the old credentials, want new ones")
	}

	writeFile(t, p.clientCert, []byte("not pem"))
	if _, err := c.credentials(o); err == nil {
		t.Error("broken certificate file: got the cached credentials, want an error")
	}
}
