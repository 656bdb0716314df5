package integration

// Faults against the real servers: refused credentials, TLS mode
// mismatches, untrusted certificates, a POP3 session killed before QUIT and
// refused recipients. Every failure must carry the right code and the
// server's words, and never hang.

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/advmail/advmail/mail"
)

// faultTimeout is the engine timeout of the fault tests; a failure must be
// reported within twice this (one timeout, plus the handshake and slack).
const faultTimeout = 3 * time.Second

// dialAny dials and logs into proto at ep (POP3 and IMAP log in; SMTP
// authenticates when pass is not empty), returning the error of the first
// step that failed, and closing what was opened.
func dialAny(tr *mail.Transport, proto mail.Protocol, ep mail.Endpoint, user, pass string) error {
	ctx := context.Background()
	switch proto {
	case mail.SMTP:
		c, err := mail.DialSMTP(ctx, tr, mail.SMTPOptions{Endpoint: ep, Timeout: faultTimeout})
		if err != nil {
			return err
		}
		defer c.Close()
		if pass == "" {
			return nil
		}
		return c.Auth(ctx, user, pass)
	case mail.POP3:
		c, err := mail.DialPOP3(ctx, tr, mail.POP3Options{Endpoint: ep, Timeout: faultTimeout})
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Login(user, pass)
	case mail.IMAP:
		c, err := mail.DialIMAP(ctx, tr, mail.IMAPOptions{Endpoint: ep, Timeout: faultTimeout}, user, pass)
		if err != nil {
			return err
		}
		c.Logout()
		return nil
	}
	panic("unknown protocol " + proto)
}

// service is one lab port in one TLS mode.
type service struct {
	name  string
	proto mail.Protocol
	port  int
	sec   mail.Security
}

// tlsServices lists every TLS-protected way in.
func tlsServices(l *Lab) []service {
	return []service{
		{"submission+STARTTLS", mail.SMTP, l.Ports.Submission, mail.StartTLS},
		{"smtps", mail.SMTP, l.Ports.SMTPS, mail.ImplicitTLS},
		{"pop3+STLS", mail.POP3, l.Ports.POP3, mail.StartTLS},
		{"pop3s", mail.POP3, l.Ports.POP3S, mail.ImplicitTLS},
		{"imap+STARTTLS", mail.IMAP, l.Ports.IMAP, mail.StartTLS},
		{"imaps", mail.IMAP, l.Ports.IMAPS, mail.ImplicitTLS},
	}
}

// TestFaultWrongPassword checks that a refused login is ErrAuthFailed with
// the server's own reply, on every protocol and TLS mode, and that the
// wrong password never reaches the trace or the error; then what an SMTP
// session is worth after a refusal (see the last subtest).
func TestFaultWrongPassword(t *testing.T) {
	l := requireLab(t)
	alice := l.User(t, "alice")
	wrong := "wrong-" + alice.Password
	// What each server says (Postfix: "535 5.7.8 Error: authentication
	// failed: ..."; Dovecot: "-ERR [AUTH] Authentication failed." and
	// "NO [AUTHENTICATIONFAILED] Authentication failed.").
	wantReply := map[mail.Protocol][]string{
		mail.SMTP: {"535", "authentication failed"},
		mail.POP3: {"-ERR", "[AUTH]", "Authentication failed"},
		mail.IMAP: {"AUTHENTICATIONFAILED", "Authentication failed"},
	}
	for _, s := range tlsServices(l) {
		t.Run(s.name, func(t *testing.T) {
			tr, trace := labTransport(labConfig(l, nil))
			start := time.Now()
			err := dialAny(tr, s.proto, endpoint(l, s.port, s.sec), alice.Login, wrong)
			if time.Since(start) > 2*faultTimeout {
				t.Errorf("the refusal took %v", time.Since(start))
			}
			if err == nil {
				t.Fatal("login with a wrong password succeeded")
			}
			me := asMailError(t, err)
			if me.Code != mail.ErrAuthFailed {
				t.Fatalf("code %d (%v), want ErrAuthFailed: %v", me.Code, me.Code, err)
			}
			for _, w := range wantReply[s.proto] {
				if !strings.Contains(me.Reply, w) {
					t.Errorf("Reply %q lacks the server's %q", me.Reply, w)
				}
			}
			if !strings.Contains(err.Error(), me.Reply) {
				t.Errorf("error text %q does not show the reply %q", err, me.Reply)
			}
			if strings.Contains(trace.String(), wrong) || strings.Contains(err.Error(), wrong) {
				t.Error("the password shows in the trace or the error")
			}
		})
	}
	// After a refused AUTH, go-smtp v0.25.1 (Client.Auth) sends "*" to
	// cancel an exchange the server has already ended (emersion/go-smtp
	// issue 316); Postfix's default smtpd_forbidden_commands takes that
	// line for a non-SMTP command and drops the connection. The engine
	// notices and opens the session again, so a script can retry AUTH and
	// send on the same SMTPClient.
	t.Run("smtp retry after refusal", func(t *testing.T) {
		tr, trace := labTransport(labConfig(l, nil))
		c := dialSMTP(t, tr, endpoint(l, l.Ports.Submission, mail.StartTLS))
		if err := c.Auth(t.Context(), alice.Login, wrong); mail.CodeOf(err) != mail.ErrAuthFailed {
			t.Fatalf("wrong password: %v, want ErrAuthFailed", err)
		}
		if err := c.Auth(t.Context(), alice.Login, alice.Password); err != nil {
			t.Fatalf("AUTH retry on the same client: %v", err)
		}
		// The cause, as the trace shows it: "*" after the 535, Postfix's
		// "221 ... Goodbye", then the engine's reconnection.
		if !regexp.MustCompile(`(?m)^smtp: 535 .*\n^smtp: \*\n^smtp: 221 `).MatchString(trace.String()) ||
			!strings.Contains(trace.String(), "reconnecting") {
			t.Errorf("trace does not show the server's goodbye and the reconnection:\n%s", trace)
		}
		if err := c.SendRaw(t.Context(), alice.Address, []string{alice.Address},
			[]byte("Subject: after retry\r\n\r\nbody\r\n")); err != nil {
			t.Errorf("send after the retried AUTH: %v", err)
		}
	})
}

// TestFaultTLSMismatch speaks TLS to plain ports and plain text to TLS
// ports (TryProtocols off) with a 3 s timeout: each attempt must fail with
// a clear code within twice the timeout, and never send credentials.
func TestFaultTLSMismatch(t *testing.T) {
	l := requireLab(t)
	alice := l.User(t, "alice")
	tests := []struct {
		name  string
		proto mail.Protocol
		port  int
		sec   mail.Security
		want  []mail.Code
	}{
		// TLS to a port that greets in clear: the handshake reads "220 ..." / "+OK" / "* OK".
		{"smtps to submission port", mail.SMTP, l.Ports.Submission, mail.ImplicitTLS, []mail.Code{mail.ErrTLSHandshake}},
		{"smtps to port 25", mail.SMTP, l.Ports.SMTP, mail.ImplicitTLS, []mail.Code{mail.ErrTLSHandshake}},
		{"pop3s to pop3 port", mail.POP3, l.Ports.POP3, mail.ImplicitTLS, []mail.Code{mail.ErrTLSHandshake}},
		{"imaps to imap port", mail.IMAP, l.Ports.IMAP, mail.ImplicitTLS, []mail.Code{mail.ErrTLSHandshake}},
		// Clear text to a port that waits for a TLS ClientHello: silence.
		{"starttls to smtps port", mail.SMTP, l.Ports.SMTPS, mail.StartTLS, []mail.Code{mail.ErrTLSHandshake, mail.ErrTimeout}},
		{"plain to smtps port", mail.SMTP, l.Ports.SMTPS, mail.Plain, []mail.Code{mail.ErrTLSHandshake, mail.ErrTimeout}},
		{"stls to pop3s port", mail.POP3, l.Ports.POP3S, mail.StartTLS, []mail.Code{mail.ErrTLSHandshake, mail.ErrTimeout}},
		{"plain to pop3s port", mail.POP3, l.Ports.POP3S, mail.Plain, []mail.Code{mail.ErrTLSHandshake, mail.ErrTimeout}},
		{"starttls to imaps port", mail.IMAP, l.Ports.IMAPS, mail.StartTLS, []mail.Code{mail.ErrTLSHandshake, mail.ErrTimeout}},
		{"plain to imaps port", mail.IMAP, l.Ports.IMAPS, mail.Plain, []mail.Code{mail.ErrTLSHandshake, mail.ErrTimeout}},
	}
	// Most cases wait out the timeout: dial them all at once (go test's
	// -parallel defaults to the number of CPUs), then check each result.
	type result struct {
		err     error
		elapsed time.Duration
		trace   string
	}
	results := make([]result, len(tests))
	var wg sync.WaitGroup
	for i, tt := range tests {
		wg.Go(func() {
			tr, trace := labTransport(labConfig(l, nil))
			start := time.Now()
			err := dialAny(tr, tt.proto, endpoint(l, tt.port, tt.sec), alice.Login, alice.Password)
			results[i] = result{err, time.Since(start), trace.String()}
		})
	}
	wg.Wait()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := results[i]
			t.Logf("%v after %v", r.err, r.elapsed.Round(time.Millisecond))
			if r.elapsed > 2*faultTimeout {
				t.Errorf("took %v, want at most %v", r.elapsed, 2*faultTimeout)
			}
			if r.err == nil {
				t.Fatal("succeeded, want an error")
			}
			if me := asMailError(t, r.err); !slices.Contains(tt.want, me.Code) {
				t.Errorf("code %d (%v), want one of %v: %v", me.Code, me.Code, tt.want, r.err)
			}
			if strings.Contains(r.trace, "[redacted]") || strings.Contains(r.trace, alice.Password) {
				t.Errorf("credentials were sent:\n%s", r.trace)
			}
		})
	}
}

// TestFaultUntrustedCertificate connects to every TLS service without the
// lab CA: ErrCertUntrusted naming the host, before any credentials go out.
// Listing the host in TLSInsecureHosts (the documented opt-out) connects.
func TestFaultUntrustedCertificate(t *testing.T) {
	l := requireLab(t)
	alice := l.User(t, "alice")
	for _, s := range tlsServices(l) {
		t.Run(s.name, func(t *testing.T) {
			cfg := mail.DefaultConfig() // system roots only: the lab CA is unknown
			tr, trace := labTransport(cfg)
			start := time.Now()
			err := dialAny(tr, s.proto, endpoint(l, s.port, s.sec), alice.Login, alice.Password)
			if time.Since(start) > 2*faultTimeout {
				t.Errorf("took %v", time.Since(start))
			}
			if err == nil {
				t.Fatal("connected without trusting the lab CA")
			}
			me := asMailError(t, err)
			if me.Code != mail.ErrCertUntrusted {
				t.Fatalf("code %d (%v), want ErrCertUntrusted: %v", me.Code, me.Code, err)
			}
			if !strings.Contains(err.Error(), `"`+l.TLSServerName+`"`) {
				t.Errorf("error does not name the host %q: %v", l.TLSServerName, err)
			}
			if strings.Contains(trace.String(), "[redacted]") || strings.Contains(trace.String(), alice.Password) {
				t.Errorf("credentials were sent before the certificate check:\n%s", trace)
			}

			cfg = mail.DefaultConfig()
			cfg.InsecureHosts = []string{l.TLSServerName}
			tr, _ = labTransport(cfg)
			if err := dialAny(tr, s.proto, endpoint(l, s.port, s.sec), alice.Login, alice.Password); err != nil {
				t.Errorf("with TLSInsecureHosts=%s: %v", l.TLSServerName, err)
			}
		})
	}
}

// popSessions returns the number of pop3 sessions of user (doveadm who).
func popSessions(t *testing.T, l *Lab, u LabUser) int {
	t.Helper()
	n := 0
	for _, line := range doveadmLines(t, l, "who", "-1", u.Address) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == u.Address && f[1] == "pop3" {
			n++
		}
	}
	return n
}

// TestFaultPOPSessionKilled marks messages deleted and retrieves one, then
// has Dovecot kill the session (doveadm kick) before QUIT: the following
// commands must fail at once (the server's shutdown line, then a lost
// connection), QUIT must not report success, and nothing may be deleted.
// The shared Dovecot keeps running; only this user's session dies. A clean
// DELE+QUIT afterwards shows that the deletion path itself works.
func TestFaultPOPSessionKilled(t *testing.T) {
	l := requireLab(t)
	carol := l.User(t, "carol")
	l.ResetMailboxes(t, carol.Address)
	msgs := []*mail.Message{simpleMessage("um"), simpleMessage("dois"), simpleMessage("três"), simpleMessage("quatro")}
	seed(t, l, carol, msgs...)
	tr, _ := labTransport(labConfig(l, nil))
	ep := endpoint(l, l.Ports.POP3S, mail.ImplicitTLS)

	c := dialPOP3(t, tr, ep, carol)
	if n, _, err := c.Stat(); err != nil || n != 4 {
		t.Fatalf("STAT = %d, %v; want 4", n, err)
	}
	if _, err := c.Retr(1); err != nil {
		t.Fatalf("RETR 1: %v", err)
	}
	for _, n := range []int{1, 3} {
		if err := c.Dele(n); err != nil {
			t.Fatalf("DELE %d: %v", n, err)
		}
	}
	if n := popSessions(t, l, carol); n != 1 {
		t.Fatalf("doveadm who shows %d pop3 sessions of %s, want 1", n, carol.Address)
	}
	l.Doveadm(t, "kick", carol.Address)
	deadline := time.Now().Add(deliveryWait)
	for popSessions(t, l, carol) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the kicked pop3 session is still alive")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Dovecot's pop3 process says "-ERR [SYS/TEMP] Server shutting down."
	// before it closes: the next command reads that line as its reply (or
	// finds the connection reset) and must report a lost connection, the
	// ones after find the connection gone.
	start := time.Now()
	err := c.Dele(4)
	t.Logf("DELE 4 after the kick: %v", err)
	if me := asMailError(t, err); me.Code != mail.ErrConnectionLost {
		t.Errorf("DELE 4: %v (code %d), want ErrConnectionLost", err, me.Code)
	}
	err = c.Quit()
	t.Logf("QUIT after the kick: %v", err)
	if err == nil {
		t.Fatal("QUIT on a killed session reported success")
	}
	if code := mail.CodeOf(err); code != mail.ErrConnectionLost && code != mail.ErrNoConnection {
		t.Errorf("QUIT: %v (code %d), want ErrConnectionLost or ErrNoConnection", err, code)
	}
	if time.Since(start) > ioTimeout {
		t.Errorf("the failing commands took %v", time.Since(start))
	}
	if err := c.Noop(); mail.CodeOf(err) != mail.ErrNoConnection {
		t.Errorf("NOOP after QUIT: %v, want ErrNoConnection", err)
	}

	// Nothing was deleted: doveadm and a new session both see 4 messages.
	if n := messageCount(t, l, carol, "INBOX"); n != 4 {
		t.Fatalf("doveadm: INBOX holds %d messages after the killed session, want 4", n)
	}
	for _, m := range msgs {
		if len(searchHeader(t, l, carol, "INBOX", "Message-ID", m.MessageID)) != 1 {
			t.Errorf("message %q is gone", m.Subject)
		}
	}

	// Control: DELE then a clean QUIT does delete.
	c2 := dialPOP3(t, tr, ep, carol)
	if n, _, err := c2.Stat(); err != nil || n != 4 {
		t.Fatalf("new session STAT = %d, %v; want 4", n, err)
	}
	if err := c2.Dele(2); err != nil {
		t.Fatalf("DELE 2: %v", err)
	}
	if err := c2.Quit(); err != nil {
		t.Fatalf("QUIT: %v", err)
	}
	if n := messageCount(t, l, carol, "INBOX"); n != 3 {
		t.Errorf("after DELE 2 + QUIT the INBOX holds %d messages, want 3", n)
	}
	if len(searchHeader(t, l, carol, "INBOX", "Message-ID", msgs[1].MessageID)) != 0 {
		t.Error("message 2 survived DELE + QUIT")
	}
}

// TestFaultRecipientRejected sends to recipients the lab refuses (relaying
// to another domain, an unknown local user) on an unauthenticated port-25
// session and an authenticated submission session: ErrRecipientRejected
// naming the address with the server's reply, nothing delivered, and the
// same session then sends a good message.
func TestFaultRecipientRejected(t *testing.T) {
	l := requireLab(t)
	alice, bob := l.User(t, "alice"), l.User(t, "bob")
	for _, s := range []struct {
		name string
		port int
		sec  mail.Security
		auth bool
	}{
		{"port25-plain", l.Ports.SMTP, mail.Plain, false},
		{"submission-auth", l.Ports.Submission, mail.StartTLS, true},
	} {
		t.Run(s.name, func(t *testing.T) {
			l.ResetMailboxes(t, bob.Address)
			tr, _ := labTransport(labConfig(l, nil))
			c := dialSMTP(t, tr, endpoint(l, s.port, s.sec))
			if s.auth {
				if err := c.Auth(t.Context(), alice.Login, alice.Password); err != nil {
					t.Fatalf("Auth: %v", err)
				}
			}
			refused := []struct {
				to, cc, addr string
				reply        []string
			}{
				{"someone@example.com", "", "someone@example.com", []string{"554", "5.7.1", "Relay access denied"}},
				{bob.Address, "nobody@" + l.Domain, "nobody@" + l.Domain, []string{"550", "5.1.1", "nobody@" + l.Domain}},
			}
			for _, r := range refused {
				m := &mail.Message{From: alice.Address, To: r.to, Cc: r.cc, Subject: "recusada", Body: "x", BodyType: "text/plain", MessageID: uniqueID("refused")}
				err := c.Send(t.Context(), m)
				if err == nil {
					t.Fatalf("sending to %s succeeded", r.addr)
				}
				me := asMailError(t, err)
				if me.Code != mail.ErrRecipientRejected {
					t.Fatalf("code %d (%v), want ErrRecipientRejected: %v", me.Code, me.Code, err)
				}
				if !strings.Contains(me.Reply, "<"+r.addr+">") {
					t.Errorf("Reply %q does not name %s", me.Reply, r.addr)
				}
				for _, w := range r.reply {
					if !strings.Contains(me.Reply, w) {
						t.Errorf("Reply %q lacks the server's %q", me.Reply, w)
					}
				}
				if !strings.Contains(err.Error(), me.Reply) {
					t.Errorf("error text %q does not show the reply", err)
				}
			}
			// The same session still sends.
			id := uniqueID("after-refusal")
			good := &mail.Message{From: alice.Address, To: bob.Address, Subject: "depois da recusa", Body: "ok", BodyType: "text/plain", MessageID: id}
			if err := c.Send(t.Context(), good); err != nil {
				t.Fatalf("send after the refusals: %v", err)
			}
			if err := c.Quit(); err != nil {
				t.Errorf("Quit: %v", err)
			}
			waitDelivered(t, l, bob, id)
			// Only the good message reached bob (the refused one listed him too).
			if n := messageCount(t, l, bob, "INBOX"); n != 1 {
				t.Errorf("bob's INBOX holds %d messages, want only the good one", n)
			}
		})
	}
}
