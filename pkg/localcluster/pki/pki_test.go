package pki

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"testing"
	"time"
)

func TestIssueVerifies(t *testing.T) {
	ca, err := NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Cert.IsCA || !ca.Cert.MaxPathLenZero || ca.Cert.Subject.CommonName != "test-ca" {
		t.Errorf("CA certificate: IsCA=%v MaxPathLenZero=%v CN=%q", ca.Cert.IsCA, ca.Cert.MaxPathLenZero, ca.Cert.Subject.CommonName)
	}
	leaf, err := ca.Issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "server"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("leaf does not verify against its CA: %v", err)
	}
	if err := cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if cert.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("key usage %v, want digital signature", cert.KeyUsage)
	}
	if left := time.Until(cert.NotAfter); left < Validity-time.Minute || left > Validity {
		t.Errorf("valid for %v more, want about %v", left, Validity)
	}
	other, err := ca.Issue(&x509.Certificate{Subject: pkix.Name{CommonName: "server"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(other.CertPEM) == string(leaf.CertPEM) || string(other.KeyPEM) == string(leaf.KeyPEM) {
		t.Error("two issues gave the same certificate or key")
	}
}
