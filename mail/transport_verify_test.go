package mail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/advmail/advmail/mail/internal/testca"
)

// TestTLSConfigVerification checks the hand-made verification of
// TLSConfig (each of RootCAs and CAFile, then the system roots) against a
// real TLS server: trusted names pass, and the error of a failure is the
// telling one (a wrong name, not "unknown authority" from the other pools).
func TestTLSConfigVerification(t *testing.T) {
	ca := testca.New(t)
	other := testca.New(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ca.Server)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.(*tls.Conn).Handshake()
				c.Close()
			}()
		}
	}()
	caFile := ca.WriteFile(t)
	otherFile := other.WriteFile(t)
	isName := func(err error) bool { var e x509.HostnameError; return errors.As(err, &e) }
	isUnknown := func(err error) bool { var e x509.UnknownAuthorityError; return errors.As(err, &e) }
	tests := []struct {
		name   string
		host   string
		caFile string
		roots  *x509.CertPool
		want   func(error) bool // nil: the handshake succeeds
	}{
		{"CAFile", "localhost", caFile, nil, nil},
		{"RootCAs", "localhost", "", ca.Pool, nil},
		{"RootCAs and CAFile, second trusts", "127.0.0.1", caFile, other.Pool, nil},
		{"CAFile and RootCAs, first trusts", "127.0.0.1", otherFile, ca.Pool, nil},
		{"CAFile, wrong name", "wrong.example", caFile, nil, isName},
		{"both pools, wrong name", "wrong.example", otherFile, ca.Pool, isName},
		{"another CA", "localhost", otherFile, nil, isUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.CAFile = tt.caFile
			tr := &Transport{Config: cfg, RootCAs: tt.roots}
			tc, err := tr.TLSConfig(tt.host)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			raw.SetDeadline(time.Now().Add(5 * time.Second))
			err = tls.Client(raw, tc).Handshake()
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("handshake: %v", err)
			case tt.want != nil && !tt.want(err):
				t.Fatalf("handshake error %v (%T), not the expected kind", err, err)
			}
		})
	}
}
