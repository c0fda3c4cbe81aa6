package localcluster

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"slices"
	"testing"
	"time"
)

func parseCert(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", certPEM)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func newTestPKI(t *testing.T) *PKI {
	t.Helper()
	pki, err := NewPKI([]string{"127.0.0.1", "localhost"})
	if err != nil {
		t.Fatalf("NewPKI: %v", err)
	}
	return pki
}

func TestNewPKICertificates(t *testing.T) {
	pki := newTestPKI(t)
	ca := parseCert(t, pki.CA.CertPEM)
	if !ca.IsCA || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA: IsCA=%v keyUsage=%v, want a signing CA", ca.IsCA, ca.KeyUsage)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	serving := parseCert(t, pki.Serving.CertPEM)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		if _, err := serving.Verify(x509.VerifyOptions{
			DNSName:   host,
			Roots:     roots,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}); err != nil {
			t.Errorf("serving certificate for %s: %v", host, err)
		}
	}
	if err := serving.VerifyHostname("example.com"); err == nil {
		t.Error("serving certificate is valid for example.com")
	}
	if !slices.ContainsFunc(serving.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) }) {
		t.Errorf("serving certificate IPs = %v, want 127.0.0.1 as an IP SAN", serving.IPAddresses)
	}

	admin := parseCert(t, pki.Admin.CertPEM)
	if _, err := admin.Verify(x509.VerifyOptions{
		Roots:     roots,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		t.Errorf("admin certificate: %v", err)
	}
	if admin.Subject.CommonName != AdminUser || !slices.Equal(admin.Subject.Organization, []string{AdminGroup}) {
		t.Errorf("admin subject = %v, want CN=%s O=%s", admin.Subject, AdminUser, AdminGroup)
	}
	if _, err := admin.Verify(x509.VerifyOptions{
		Roots:     roots,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err == nil {
		t.Error("admin certificate is valid for server auth")
	}

	for name, c := range map[string]*x509.Certificate{"CA": ca, "serving": serving, "admin": admin} {
		if time.Until(c.NotAfter) < 24*time.Hour || time.Now().Before(c.NotBefore) {
			t.Errorf("%s certificate valid %s..%s, want valid now and for at least a day", name, c.NotBefore, c.NotAfter)
		}
	}
	if serving.SerialNumber.Cmp(admin.SerialNumber) == 0 {
		t.Error("serving and admin certificates share a serial number")
	}
}

func TestNewPKIKeyPairsMatch(t *testing.T) {
	pki := newTestPKI(t)
	for name, kp := range map[string]KeyPair{"CA": pki.CA, "serving": pki.Serving, "admin": pki.Admin} {
		if _, err := tls.X509KeyPair(kp.CertPEM, kp.KeyPEM); err != nil {
			t.Errorf("%s key pair: %v", name, err)
		}
	}
}

func TestNewPKIServiceAccountKey(t *testing.T) {
	pki := newTestPKI(t)
	keyBlock, _ := pem.Decode(pki.ServiceAccountKeyPEM)
	if keyBlock == nil {
		t.Fatal("service account key is not PEM")
	}
	key, err := x509.ParseECPrivateKey(keyBlock.Bytes)
	if err != nil {
		t.Fatalf("service account key: %v", err)
	}
	pubBlock, _ := pem.Decode(pki.ServiceAccountPublicKeyPEM)
	if pubBlock == nil || pubBlock.Type != "PUBLIC KEY" {
		t.Fatal("service account public key is not a PEM PUBLIC KEY")
	}
	pub, err := x509.ParsePKIXPublicKey(pubBlock.Bytes)
	if err != nil {
		t.Fatalf("service account public key: %v", err)
	}
	if !key.PublicKey.Equal(pub) {
		t.Error("service account public key does not match the private key")
	}
}

func TestNewPKIIsFreshEachTime(t *testing.T) {
	a, b := newTestPKI(t), newTestPKI(t)
	if string(a.CA.KeyPEM) == string(b.CA.KeyPEM) {
		t.Error("two PKIs share a CA key")
	}
}

func TestPKIWriteFiles(t *testing.T) {
	pki := newTestPKI(t)
	dir := t.TempDir() + "/pki"
	files, err := pki.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]byte{
		files.CACert:                  pki.CA.CertPEM,
		files.ServingCert:             pki.Serving.CertPEM,
		files.ServingKey:              pki.Serving.KeyPEM,
		files.AdminCert:               pki.Admin.CertPEM,
		files.AdminKey:                pki.Admin.KeyPEM,
		files.ServiceAccountKey:       pki.ServiceAccountKeyPEM,
		files.ServiceAccountPublicKey: pki.ServiceAccountPublicKeyPEM,
	} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s does not hold the expected PEM", path)
		}
	}
	for _, key := range []string{files.ServingKey, files.AdminKey, files.ServiceAccountKey} {
		info, err := os.Stat(key)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode = %o, want 600", key, perm)
		}
	}
}
