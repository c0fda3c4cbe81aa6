package localcluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certValidity is how long generated certificates are valid: far longer than
// any test or demo, short enough to be obviously throwaway.
const certValidity = 7 * 24 * time.Hour

// AdminUser and AdminGroup are the identity of the admin client certificate.
// system:masters bypasses RBAC.
const (
	AdminUser  = "localcluster-admin"
	AdminGroup = "system:masters"
)

// KeyPair is a certificate and its private key, PEM encoded.
type KeyPair struct {
	CertPEM []byte
	KeyPEM  []byte
}

// PKI is the set of credentials a local cluster needs, all generated in Go.
type PKI struct {
	// CA signs the serving and client certificates.
	CA KeyPair
	// Serving is the kube-apiserver serving certificate.
	Serving KeyPair
	// Admin is a client certificate for AdminUser in AdminGroup.
	Admin KeyPair
	// ServiceAccountKeyPEM signs and verifies ServiceAccount tokens.
	ServiceAccountKeyPEM []byte
	// ServiceAccountPublicKeyPEM is the public half of ServiceAccountKeyPEM.
	ServiceAccountPublicKeyPEM []byte
}

// NewPKI generates a CA, a serving certificate valid for hosts (IP addresses
// or DNS names), an admin client certificate and a ServiceAccount signing key.
func NewPKI(hosts []string) (*PKI, error) {
	now := time.Now()
	caKey, err := newKey()
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "localcluster-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caCert, caPair, err := sign(caTmpl, caKey, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("generate CA certificate: %w", err)
	}

	servingTmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(certValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			servingTmpl.IPAddresses = append(servingTmpl.IPAddresses, ip)
		} else {
			servingTmpl.DNSNames = append(servingTmpl.DNSNames, h)
		}
	}
	serving, err := newLeaf(servingTmpl, caCert, caKey)
	if err != nil {
		return nil, fmt.Errorf("generate serving certificate: %w", err)
	}

	admin, err := newLeaf(&x509.Certificate{
		Subject:     pkix.Name{CommonName: AdminUser, Organization: []string{AdminGroup}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(certValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, caCert, caKey)
	if err != nil {
		return nil, fmt.Errorf("generate admin client certificate: %w", err)
	}

	saKey, err := newKey()
	if err != nil {
		return nil, fmt.Errorf("generate service account key: %w", err)
	}
	saKeyPEM, err := encodeKey(saKey)
	if err != nil {
		return nil, fmt.Errorf("encode service account key: %w", err)
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, fmt.Errorf("encode service account public key: %w", err)
	}

	return &PKI{
		CA:                         caPair,
		Serving:                    serving,
		Admin:                      admin,
		ServiceAccountKeyPEM:       saKeyPEM,
		ServiceAccountPublicKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPubDER}),
	}, nil
}

// PKIFiles are the paths WriteFiles wrote the PKI to.
type PKIFiles struct {
	CACert, ServingCert, ServingKey, AdminCert, AdminKey string
	ServiceAccountKey, ServiceAccountPublicKey           string
}

// WriteFiles writes the PKI as PEM files into dir, keys readable by the
// owner only.
func (p *PKI) WriteFiles(dir string) (PKIFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return PKIFiles{}, fmt.Errorf("write PKI: %w", err)
	}
	f := PKIFiles{
		CACert:                  filepath.Join(dir, "ca.crt"),
		ServingCert:             filepath.Join(dir, "apiserver.crt"),
		ServingKey:              filepath.Join(dir, "apiserver.key"),
		AdminCert:               filepath.Join(dir, "admin.crt"),
		AdminKey:                filepath.Join(dir, "admin.key"),
		ServiceAccountKey:       filepath.Join(dir, "sa.key"),
		ServiceAccountPublicKey: filepath.Join(dir, "sa.pub"),
	}
	for _, w := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{f.CACert, p.CA.CertPEM, 0o644},
		{f.ServingCert, p.Serving.CertPEM, 0o644},
		{f.ServingKey, p.Serving.KeyPEM, 0o600},
		{f.AdminCert, p.Admin.CertPEM, 0o644},
		{f.AdminKey, p.Admin.KeyPEM, 0o600},
		{f.ServiceAccountKey, p.ServiceAccountKeyPEM, 0o600},
		{f.ServiceAccountPublicKey, p.ServiceAccountPublicKeyPEM, 0o644},
	} {
		if err := os.WriteFile(w.path, w.data, w.mode); err != nil {
			return PKIFiles{}, fmt.Errorf("write PKI: %w", err)
		}
	}
	return f, nil
}

// newKey returns an ECDSA P-256 key: generated in microseconds, unlike RSA,
// and accepted by kube-apiserver for TLS and ServiceAccount tokens (ES256).
func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

func newLeaf(tmpl, ca *x509.Certificate, caKey crypto.Signer) (KeyPair, error) {
	key, err := newKey()
	if err != nil {
		return KeyPair{}, err
	}
	_, pair, err := sign(tmpl, key, ca, caKey)
	return pair, err
}

// sign issues tmpl for key, signed by parent and parentKey, or self-signed
// when parent is nil.
func sign(tmpl *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, KeyPair, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, KeyPair{}, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, KeyPair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, KeyPair{}, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, KeyPair{}, err
	}
	return cert, KeyPair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  keyPEM,
	}, nil
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}
