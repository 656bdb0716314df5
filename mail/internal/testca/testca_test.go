package testca

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
)

// TestNew: the leaf verifies against Pool for every loopback name and not for
// another host, nor against a second CA's pool; WriteFile holds PEM.
func TestNew(t *testing.T) {
	ca := New(t)
	leaf, err := x509.ParseCertificate(ca.Server.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		pool *x509.CertPool
		ok   bool
	}{
		{"localhost", ca.Pool, true},
		{"127.0.0.1", ca.Pool, true},
		{"::1", ca.Pool, true},
		{"mail.example.com", ca.Pool, false},
		{"localhost", New(t).Pool, false},
	} {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: tt.name, Roots: tt.pool})
		if (err == nil) != tt.ok {
			t.Errorf("Verify(%q) error = %v, want ok %v", tt.name, err, tt.ok)
		}
	}

	data, err := os.ReadFile(ca.WriteFile(t))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(data); b == nil || b.Type != "CERTIFICATE" || string(data) != string(ca.PEM) {
		t.Errorf("WriteFile wrote %q, want the CA PEM", data)
	}
}
