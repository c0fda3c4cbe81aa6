package localcluster

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/diskpool/diskpool-operator/pkg/localcluster/pki"
)

// AdminUser and AdminGroup are the identity of the admin client certificate.
// system:masters bypasses RBAC.
const (
	AdminUser  = "localcluster-admin"
	AdminGroup = "system:masters"
)

// KeyPair is a certificate and its private key, PEM encoded.
type KeyPair = pki.KeyPair

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
	ca, err := pki.NewCA("localcluster-ca")
	if err != nil {
		return nil, fmt.Errorf("generate CA: %w", err)
	}
	servingTmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			servingTmpl.IPAddresses = append(servingTmpl.IPAddresses, ip)
		} else {
			servingTmpl.DNSNames = append(servingTmpl.DNSNames, h)
		}
	}
	serving, err := ca.Issue(servingTmpl)
	if err != nil {
		return nil, fmt.Errorf("generate serving certificate: %w", err)
	}
	admin, err := ca.Issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: AdminUser, Organization: []string{AdminGroup}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, fmt.Errorf("generate admin client certificate: %w", err)
	}

	saKey, err := pki.NewKey()
	if err != nil {
		return nil, fmt.Errorf("generate service account key: %w", err)
	}
	saKeyPEM, err := pki.EncodeKey(saKey)
	if err != nil {
		return nil, fmt.Errorf("encode service account key: %w", err)
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, fmt.Errorf("encode service account public key: %w", err)
	}

	return &PKI{
		CA:                         ca.KeyPair,
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
