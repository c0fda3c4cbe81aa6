// Package pki generates throwaway certificate authorities and
// certificates: the one generator behind the local control plane
// (localcluster), the agents' mutual TLS in the local environment
// (localenv) and the mTLS tests (transporttest). Keys are ECDSA P-256:
// generated in microseconds, unlike RSA, and accepted by kube-apiserver for
// TLS and ServiceAccount tokens (ES256).
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"time"
)

// Validity is how long certificates are valid: far longer than any test or
// demo, short enough to be obviously throwaway.
const Validity = 7 * 24 * time.Hour

// KeyPair is a certificate and its private key, PEM encoded.
type KeyPair struct {
	CertPEM []byte
	KeyPEM  []byte
}

// CA is a certificate authority: its parsed certificate, its key, and both
// as PEM.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	KeyPair
}

// NewCA returns a new self-signed CA named cn that signs leaf certificates
// only (path length zero).
func NewCA(cn string) (*CA, error) {
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	cert, pair, err := sign(tmpl, key, nil, nil)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, KeyPair: pair}, nil
}

// Issue signs tmpl for a new key. The serial number is random; a zero
// NotBefore/NotAfter becomes an hour ago/Validity from now, and a zero
// KeyUsage digital signature.
func (ca *CA) Issue(tmpl *x509.Certificate) (KeyPair, error) {
	key, err := NewKey()
	if err != nil {
		return KeyPair{}, err
	}
	if tmpl.KeyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	_, pair, err := sign(tmpl, key, ca.Cert, ca.Key)
	return pair, err
}

// NewKey returns a new ECDSA P-256 key.
func NewKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// EncodeKey returns key as a PEM "EC PRIVATE KEY" block.
func EncodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// sign issues tmpl for key, signed by parent and parentKey, or self-signed
// when parent is nil.
func sign(tmpl *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, KeyPair, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, KeyPair{}, err
	}
	tmpl.SerialNumber = serial
	now := time.Now()
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = now.Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = now.Add(Validity)
	}
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
	keyPEM, err := EncodeKey(key)
	if err != nil {
		return nil, KeyPair{}, err
	}
	return cert, KeyPair{CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), KeyPEM: keyPEM}, nil
}
