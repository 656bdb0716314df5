package mail

import (
	"strings"
	"testing"
)

func TestTraceRedaction(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		secrets []string
		keep    []string
	}{
		{"smtp auth plain", []string{"250-AUTH PLAIN LOGIN", "AUTH PLAIN AGpvYW8Ac2VncmVkbzEyMw==", "235 2.7.0 ok", "MAIL FROM:<a@b>"},
			[]string{"AGpvYW8Ac2VncmVkbzEyMw=="}, []string{"AUTH PLAIN [redacted]", "235 2.7.0 ok", "MAIL FROM:<a@b>"}},
		{"smtp auth login", []string{"AUTH LOGIN", "334 VXNlcm5hbWU6", "am9hbw==", "334 UGFzc3dvcmQ6", "c2VncmVkbzEyMw==", "235 ok", "QUIT"},
			[]string{"am9hbw==", "c2VncmVkbzEyMw=="}, []string{"235 ok", "QUIT"}},
		{"imap login", []string{"T1 LOGIN joao segredo123", "T1 OK done", "T2 SELECT INBOX"},
			[]string{"segredo123"}, []string{"T1 LOGIN [redacted]", "T2 SELECT INBOX"}},
		{"imap authenticate", []string{"T1 AUTHENTICATE PLAIN", "+ ", "AGpvYW8Ac2VncmVkbzEyMw==", "T1 OK"},
			[]string{"AGpvYW8Ac2VncmVkbzEyMw=="}, []string{"T1 OK"}},
		{"pop3 user pass", []string{"C: USER joao", "S: +OK", "C: PASS segredo123", "S: +OK logged in"},
			[]string{"segredo123"}, []string{"C: USER joao", "C: PASS [redacted]", "S: +OK logged in"}},
		{"pop3 apop", []string{"C: APOP joao c4c9334bac560ecc979e58001b3e22fb"},
			[]string{"c4c9334bac560ecc979e58001b3e22fb"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			tw := NewTraceWriter(&b, SMTP)
			for _, l := range tt.lines {
				tw.Write([]byte(l + "\r\n"))
			}
			out := b.String()
			for _, s := range tt.secrets {
				if strings.Contains(out, s) {
					t.Errorf("trace leaks %q:\n%s", s, out)
				}
			}
			for _, k := range tt.keep {
				if !strings.Contains(out, k) {
					t.Errorf("trace lost %q:\n%s", k, out)
				}
			}
		})
	}
}

func TestTraceSplitWrites(t *testing.T) {
	var b strings.Builder
	tw := NewTraceWriter(&b, IMAP)
	for _, chunk := range []string{"T1 LOG", "IN joao seg", "redo\r\nT1 OK\r", "\n"} {
		tw.Write([]byte(chunk))
	}
	if strings.Contains(b.String(), "segredo") {
		t.Fatalf("split write leaked the password: %q", b.String())
	}
	if !strings.Contains(b.String(), "imap: T1 OK") {
		t.Fatalf("missing prefix/line: %q", b.String())
	}
}
