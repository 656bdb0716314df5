package bindings

import (
	"bytes"
	"strings"
	"testing"
)

// MailSend's lTLS/lSSL are honoured: a session opened in clear text is
// reopened over implicit TLS and authenticated again before the
// message goes out; a send that asks for nothing keeps the session.
func TestMailSendHonoursTLSArguments(t *testing.T) {
	e, sb, _ := sandboxEngine(t)
	var trace bytes.Buffer
	e.Transport.Trace = &trace
	L := newState(t, e)
	runScript(t, L, `
		eq(MailSmtpOn("smtp.empresa.com.br", "robo@empresa.com.br", "pw", 20), true, "MailSmtpOn")
		eq(MailAuth("robo@empresa.com.br", "pw"), true, "MailAuth")
		eq(MailSend("robo@empresa.com.br", "a@empresa.com.br", nil, nil, "claro", "x"), true, "MailSend plain")
		eq(MailSend("robo@empresa.com.br", "a@empresa.com.br", nil, nil, "ssl", "x", nil, true, false, true), true, "MailSend SSL " .. MailGetErr())
		eq(MailSend("robo@empresa.com.br", "a@empresa.com.br", nil, nil, "ssl again", "x", nil, true, false, true), true, "MailSend SSL 2")
		eq(MailSmtpOff(), true, "MailSmtpOff")
	`)
	if n := len(sb.Captured()); n != 3 {
		t.Fatalf("captured %d messages, want 3", n)
	}
	// The trace shows each session's EHLO; a clear-text session is offered
	// STARTTLS, an implicit-TLS one is not.
	tr := trace.String()
	if got := strings.Count(tr, "smtp: EHLO "); got != 2 {
		t.Errorf("trace shows %d sessions, want 2 (one reopen, then reuse):\n%s", got, tr)
	}
	if got := strings.Count(tr, "250-STARTTLS"); got != 1 {
		t.Errorf("STARTTLS offered in %d sessions, want only the first (clear-text) one:\n%s", got, tr)
	}
	if got := strings.Count(tr, "smtp: AUTH "); got != 2 {
		t.Errorf("trace shows %d AUTH commands, want one per session:\n%s", got, tr)
	}
}
