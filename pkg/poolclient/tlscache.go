package poolclient

import (
	"sync"

	"google.golang.org/grpc/credentials"
)

// sharedTLS gives every connection made with the same TLS files one
// credentials value, so a fleet of agent connections holds one parsed
// certificate, key and CA pool instead of one each. The files are read on
// every Dial and parsed again only when their contents change, so the next
// connection after a rotation uses the new certificate, as before.
var sharedTLS = &tlsCache{entries: map[TLSOptions]*tlsEntry{}}

type tlsCache struct {
	mu      sync.Mutex
	entries map[TLSOptions]*tlsEntry
}

type tlsEntry struct {
	pem   clientPEM // as parsed into creds
	creds credentials.TransportCredentials
}

func (c *tlsCache) credentials(o TLSOptions) (credentials.TransportCredentials, error) {
	pem, err := readClientTLS(o)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[o]; e != nil && e.pem.equal(pem) {
		return e.creds, nil
	}
	cfg, err := parseClientTLS(o, pem)
	if err != nil {
		return nil, err
	}
	// grpc's TLS credentials clone cfg: once here, not once per Dial.
	e := &tlsEntry{pem: pem, creds: credentials.NewTLS(cfg)}
	c.entries[o] = e
	return e.creds, nil
}
