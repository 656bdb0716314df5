package integration

// POP3 SASL against Dovecot: CRAM-MD5 (the lab offers it) chosen by
// preference and turned off by [Mail] AuthCramMD5=0. User grace only.

import (
	"context"
	"strings"
	"testing"

	"github.com/advmail/advmail/mail"
)

func TestPOP3CramMD5(t *testing.T) {
	l := requireLab(t)
	grace := l.User(t, "grace")
	tests := []struct {
		name   string
		mutate func(*mail.Config)
		pass   string // "" = grace's
		want   mail.Code
		mech   string // AUTH mechanism expected in the trace
	}{
		{"CRAM-MD5 preferred", nil, "", mail.OK, "AUTH CRAM-MD5"},
		{"CRAM-MD5 wrong password", nil, "not-" + grace.Password, mail.ErrAuthFailed, "AUTH CRAM-MD5"},
		{"AuthCramMD5=0 uses PLAIN", func(c *mail.Config) { c.AuthCramMD5 = false }, "", mail.OK, "AUTH PLAIN"},
	}
	for _, md := range popModes(l) {
		for _, tt := range tests {
			t.Run(md.name+"/"+tt.name, func(t *testing.T) {
				tr, trace := labTransport(labConfig(l, tt.mutate))
				c, err := mail.DialPOP3(context.Background(), tr, mail.POP3Options{Endpoint: endpoint(l, md.port, md.sec), Timeout: ioTimeout})
				if err != nil {
					t.Fatalf("DialPOP3: %v", err)
				}
				defer c.Close()
				pass := tt.pass
				if pass == "" {
					pass = grace.Password
				}
				err = c.Login(grace.Login, pass)
				if got := mail.CodeOf(err); got != tt.want {
					t.Fatalf("Login: code %v (%v), want %v", got, err, tt.want)
				}
				if tt.want == mail.OK {
					if _, _, err := c.Stat(); err != nil {
						t.Fatalf("STAT after the login: %v", err)
					}
				}
				tx := trace.String()
				if !strings.Contains(tx, tt.mech) {
					t.Errorf("trace lacks %q:\n%s", tt.mech, tx)
				}
				if strings.Contains(tx, pass) {
					t.Errorf("the password is in the trace:\n%s", tx)
				}
				if err != nil && strings.Contains(err.Error(), pass) {
					t.Errorf("the password is in the error: %v", err)
				}
			})
		}
	}
}
