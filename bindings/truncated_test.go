package bindings

import (
	"net/smtp"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
)

// TestGetTruncated: a message beyond the part limit is read with 0 and says
// so in GetTruncated; a whole message says "".
func TestGetTruncated(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@x\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n")
	for range 10005 {
		b.WriteString("--B\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n")
	}
	b.WriteString("--B--\r\n")
	tests := []struct {
		name, msg, want string
	}{
		{"beyond the part limit", b.String(), "MIME parts"},
		{"whole", "From: a@x\r\nSubject: s\r\n\r\nbody\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			L := newState(t, nil)
			L.SetGlobal("msg", lua.LString(tt.msg))
			out := run(t, L, `local m = TMailMessage():New(); local n = m:FromStr(msg); return n, m:GetTruncated()`)
			if len(out) != 2 || out[0].String() != "0" {
				t.Fatalf("FromStr returned %v", out)
			}
			got := out[1].String()
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("GetTruncated() = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

// FromStr and MailReceive note a message not read whole in the trace, and
// MailReceive (which has no GetTruncated) says it through MailGetErr while
// returning .T.
func TestTruncatedTraceAndMailGetErr(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@x\r\nTo: grande@empresa.com.br\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n")
	for range 10005 {
		b.WriteString("--B\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n")
	}
	b.WriteString("--B--\r\n")
	e, sb, _ := sandboxEngine(t)
	deliverRaw(t, sb.Addr(mail.SMTP, mail.Plain), "grande@empresa.com.br", b.String())
	var trace strings.Builder
	e.Transport.Trace = &trace
	L := newState(t, e)
	L.SetGlobal("msg", lua.LString(b.String()))
	runScript(t, L, `
		local m = TMailMessage():New()
		eq(m:FromStr(msg), 0, "FromStr")
		eq(MailPopOn("pop.empresa.com.br", "grande", "pw"), true, "MailPopOn")
		local lOk, n = PopMsgCount()
		local lOk, cFrom, cTo, cCc, cBcc, cSubject = MailReceive(n, nil, nil, nil, nil, nil, nil, {}, "", false)
		eq(lOk, true, "MailReceive")
		eq(cSubject, "big", "subject")
		has(MailGetErr(), "message " .. n .. " not read whole", "MailGetErr")
		eq(MailPopOff(), true, "MailPopOff")
	`)
	for _, want := range []string{"TMailMessage:FromStr not read whole", "MailReceive: message"} {
		if !strings.Contains(trace.String(), want) {
			t.Errorf("trace lacks %q", want)
		}
	}
}

// deliverRaw hands data to the SMTP server at addr as it is, in clear text.
func deliverRaw(t *testing.T, addr, to, data string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@x"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(to); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}
