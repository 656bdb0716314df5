package mail

import (
	"context"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/advmail/advmail/mail/internal/hostile"
	"github.com/advmail/advmail/mail/internal/testca"
)

// hostileCeiling is the memory ceiling of every adversarial probe: generous,
// but far below what an unbounded client would use.
const hostileCeiling = 512 << 20

// bounded runs fn and fails t when it takes longer than limit or the heap
// in use grows past hostileCeiling meanwhile. It returns fn's error.
func bounded(t *testing.T, limit time.Duration, fn func() error) error {
	t.Helper()
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	err := fn()
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	if elapsed > limit {
		t.Errorf("the call took %v, want at most %v", elapsed, limit)
	}
	if p := peak.Load(); p > hostileCeiling {
		t.Errorf("heap in use peaked at %d MiB, ceiling %d MiB", p>>20, hostileCeiling>>20)
	}
	return err
}

// hostileCode fails t unless err carries code.
func hostileCode(t *testing.T, err error, code Code) {
	t.Helper()
	if got := CodeOf(err); got != code {
		t.Errorf("code %d (%v), want %d (%v); err = %v", got, got, code, code, err)
	}
}

func hostileTransport(t *testing.T) *Transport {
	t.Helper()
	tr, err := NewTransport(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func dialHostileIMAP(t *testing.T, s *hostile.Server, sec Security, timeout time.Duration) (*IMAPClient, error) {
	t.Helper()
	o := IMAPOptions{Endpoint: Endpoint{Host: s.Host, Port: s.Port, Security: sec}, Timeout: timeout}
	return DialIMAP(context.Background(), hostileTransport(t), o, "user", "secret-pass")
}

// imapAfterLogin dials s, expecting the login to work, and returns the client.
func imapAfterLogin(t *testing.T, s *hostile.Server, timeout time.Duration) *IMAPClient {
	t.Helper()
	c, err := dialHostileIMAP(t, s, Plain, timeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// fetchHook answers FETCH (and UID FETCH) with reply, then runs after.
func fetchHook(reply func(c *hostile.Conn, tag string)) hostile.IMAPHook {
	return func(c *hostile.Conn, tag, verb, line string) bool {
		switch verb {
		case "FETCH", "UID FETCH":
			reply(c, tag)
			return true
		}
		return c.Send(tag+" BAD unknown\r\n") == nil
	}
}

func TestHostileIMAP(t *testing.T) {
	deep := func(prefix string) func(c *hostile.Conn, tag string) {
		return func(c *hostile.Conn, tag string) {
			c.Send(prefix)
			c.Flood([]byte("("), 2<<20)
		}
	}
	tests := []struct {
		name  string
		hook  hostile.IMAPHook
		call  func(c *IMAPClient) error
		code  Code
		limit time.Duration
	}{
		{"deep BODYSTRUCTURE in GetMsgBody", fetchHook(deep("* 1 FETCH (UID 1 BODYSTRUCTURE ")),
			func(c *IMAPClient) error { _, err := c.FetchStructure(1, false); return err }, ErrProtocol, 5 * time.Second},
		{"unsolicited deep BODYSTRUCTURE in Receive", fetchHook(deep("* 1 FETCH (FLAGS () BODYSTRUCTURE ")),
			func(c *IMAPClient) error { _, err := c.Fetch(1, false); return err }, ErrProtocol, 5 * time.Second},
		{"deep nesting inside ENVELOPE-like list", fetchHook(deep("* 1 FETCH (ENVELOPE (")),
			func(c *IMAPClient) error { _, err := c.Fetch(1, false); return err }, ErrProtocol, 5 * time.Second},
		{"1 GiB body literal announced", fetchHook(func(c *hostile.Conn, tag string) {
			c.Send("* 1 FETCH (BODY[] {1073741824}\r\n")
			c.Flood([]byte("x"), 64<<20)
		}), func(c *IMAPClient) error { _, err := c.Fetch(1, false); return err }, ErrProtocol, 10 * time.Second},
		{"close mid-literal", fetchHook(func(c *hostile.Conn, tag string) {
			c.Send("* 1 FETCH (UID 1 BODY[] {1000}\r\nSubject: x\r\n")
			c.Close()
		}), func(c *IMAPClient) error { _, err := c.Fetch(1, false); return err }, ErrConnectionLost, 5 * time.Second},
		{"endless line in a FETCH reply", fetchHook(func(c *hostile.Conn, tag string) {
			c.Send("* 1 FETCH (FLAGS (")
			c.Flood([]byte("\\Seen "), 64<<20)
		}), func(c *IMAPClient) error { _, err := c.Fetch(1, false); return err }, ErrProtocol, 10 * time.Second},
		{"1 GiB mailbox-name literal in LIST", func(c *hostile.Conn, tag, verb, line string) bool {
			c.Send("* LIST () \"/\" {1073741824}\r\n")
			c.Flood([]byte("a"), 64<<20)
			return false
		}, func(c *IMAPClient) error { _, err := c.Folders(false); return err }, ErrProtocol, 10 * time.Second},
		{"10^6 untagged responses", func(c *hostile.Conn, tag, verb, line string) bool {
			if verb != "LIST" {
				return c.Send(tag+" OK done\r\n") == nil
			}
			c.Flood([]byte("* OK flood\r\n"), 12_000_000)
			return c.Send(tag+" OK done\r\n") == nil
		}, func(c *IMAPClient) error { _, err := c.Folders(false); return err }, OK, 30 * time.Second},
		{"malformed LIST", func(c *hostile.Conn, tag, verb, line string) bool {
			return c.Send("* LIST (\\Noselect \"/\r\n"+tag+" OK done\r\n") == nil
		}, func(c *IMAPClient) error { _, err := c.Folders(false); return err }, ErrConnectionLost, 5 * time.Second},
		{"malformed STATUS", func(c *hostile.Conn, tag, verb, line string) bool {
			switch verb {
			case "LIST":
				return c.Send("* LIST () \"/\" INBOX\r\n"+tag+" OK done\r\n") == nil
			case "STATUS":
				return c.Send("* STATUS INBOX (MESSAGES x UNSEEN)\r\n"+tag+" OK done\r\n") == nil
			}
			return c.Send(tag+" OK done\r\n") == nil
		}, func(c *IMAPClient) error { _, err := c.Folders(false); return err }, ErrConnectionLost, 5 * time.Second},
		{"malformed BODYSTRUCTURE", fetchHook(func(c *hostile.Conn, tag string) {
			c.Send("* 1 FETCH (UID 1 BODYSTRUCTURE (\"text\" 12 NIL))\r\n" + tag + " OK done\r\n")
		}), func(c *IMAPClient) error { _, err := c.FetchStructure(1, false); return err }, ErrConnectionLost, 5 * time.Second},
		{"trickling FETCH reply", fetchHook(func(c *hostile.Conn, tag string) {
			c.Send("* 1 FETCH (FLAGS (")
			c.Trickle("\\Seen ", 10*time.Millisecond)
		}), func(c *IMAPClient) error { _, err := c.Fetch(1, false); return err }, ErrTimeout, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := hostile.Start(t, hostile.IMAP("", tt.hook))
			c := imapAfterLogin(t, s, time.Second)
			err := bounded(t, tt.limit, func() error { return tt.call(c) })
			hostileCode(t, err, tt.code)
		})
	}
}

func TestHostileIMAPCommandBytes(t *testing.T) {
	old := imapMaxCommandBytes
	imapMaxCommandBytes = 1 << 20
	t.Cleanup(func() { imapMaxCommandBytes = old })
	s := hostile.Start(t, hostile.IMAP("", func(c *hostile.Conn, tag, verb, line string) bool {
		c.Flood([]byte("* OK flood\r\n"), 4<<20)
		return c.Send(tag+" OK done\r\n") == nil
	}))
	c := imapAfterLogin(t, s, time.Second)
	err := bounded(t, 5*time.Second, func() error { _, err := c.Folders(false); return err })
	hostileCode(t, err, ErrProtocol)
	if !strings.Contains(fmt.Sprint(err), "MiB of responses") {
		t.Errorf("err = %v, want it to name the bound", err)
	}
}

func TestHostileIMAPConnect(t *testing.T) {
	ca := testca.New(t) // a CA the client does not trust: a self-signed server
	tests := []struct {
		name string
		h    hostile.Handler
		tls  bool
		sec  Security
		code Code
	}{
		{"stall before greeting", func(c *hostile.Conn) { c.Stall() }, false, Plain, ErrTimeout},
		{"trickled greeting", func(c *hostile.Conn) { c.Trickle("* OK hello there ", 5*time.Millisecond) }, false, Plain, ErrTimeout},
		{"endless greeting line", func(c *hostile.Conn) { c.Flood([]byte("* OK "), 1<<30) }, false, Plain, ErrProtocol},
		{"STARTTLS not offered", hostile.IMAP("IMAP4rev1 AUTH=PLAIN", nil), false, StartTLS, ErrStartTLSNotOffered},
		{"endless untagged lines before STARTTLS", func(c *hostile.Conn) {
			c.Send("* OK hi\r\n")
			c.Line()
			c.Flood([]byte("* OK x\r\n"), 1<<30)
		}, false, StartTLS, ErrProtocol},
		{"trickled lines before STARTTLS", func(c *hostile.Conn) {
			c.Send("* OK hi\r\n")
			c.Line()
			c.Trickle("* OK x\r\n", 2*time.Millisecond)
		}, false, StartTLS, ErrTimeout},
		{"self-signed certificate", hostile.IMAP("", nil), true, ImplicitTLS, ErrCertUntrusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *hostile.Server
			if tt.tls {
				s = hostile.StartTLS(t, ca.Server, tt.h)
			} else {
				s = hostile.Start(t, tt.h)
			}
			err := bounded(t, 5*time.Second, func() error {
				c, err := dialHostileIMAP(t, s, tt.sec, 500*time.Millisecond)
				if err == nil {
					c.Close()
				}
				return err
			})
			hostileCode(t, err, tt.code)
		})
	}
}

func TestIMAPGuardAcceptsLegitimate(t *testing.T) {
	var nest strings.Builder
	for range 60 {
		nest.WriteString("(")
	}
	nest.WriteString(`"x" "y"`)
	for range 60 {
		nest.WriteString(")")
	}
	inputs := []string{
		"* OK [CAPABILITY IMAP4rev1] ready\r\n",
		"* 1 FETCH (BODY[] {12}\r\n((((((((((((\r\n FLAGS (\\Seen))\r\n",
		"* LIST () \"/\" {5}\r\nIN(((\r\n",
		"* 1 FETCH (ENVELOPE (\"(((((\" NIL))\r\n",
		"* 1 FETCH (BODYSTRUCTURE " + nest.String() + ")\r\n",
		"A1 OK done\r\n",
	}
	var g imapGuard
	for _, in := range inputs {
		if err := g.scan([]byte(in)); err != nil {
			t.Errorf("scan(%q): %v", in, err)
		}
	}
	bad := map[string]string{
		"nesting":      "* 1 FETCH (" + strings.Repeat("(", 200) + "\r\n",
		"LIST literal": "* LIST () \"/\" {70000}\r\n",
		"line":         "* OK " + strings.Repeat("x", 2<<20),
		"literal":      "* OK {2000000}\r\n",
	}
	for name, in := range bad {
		var g imapGuard
		if err := g.scan([]byte(in)); err == nil {
			t.Errorf("%s: scan accepted it", name)
		}
	}
}

func dialHostileSMTP(t *testing.T, s *hostile.Server, timeout time.Duration) (*SMTPClient, error) {
	t.Helper()
	o := SMTPOptions{Endpoint: Endpoint{Host: s.Host, Port: s.Port}, Timeout: timeout}
	return DialSMTP(context.Background(), hostileTransport(t), o)
}

func TestHostileSMTPConnect(t *testing.T) {
	tests := []struct {
		name string
		h    hostile.Handler
		code Code
	}{
		{"stall before greeting", func(c *hostile.Conn) { c.Stall() }, ErrTimeout},
		{"trickled greeting", func(c *hostile.Conn) { c.Trickle("220-hello ", 5*time.Millisecond) }, ErrTimeout},
		{"endless greeting line", func(c *hostile.Conn) { c.Flood([]byte("220 "), 1<<30) }, ErrProtocol},
		{"endless multi-line EHLO reply", hostile.SMTP(nil, func(c *hostile.Conn, verb, line string) bool {
			if verb != "EHLO" {
				return false
			}
			c.Flood([]byte("250-SIZE 1000\r\n"), 1<<30)
			c.Close()
			return true
		}), ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := hostile.Start(t, tt.h)
			err := bounded(t, 5*time.Second, func() error {
				c, err := dialHostileSMTP(t, s, 500*time.Millisecond)
				if err == nil {
					c.Close()
				}
				return err
			})
			hostileCode(t, err, tt.code)
		})
	}
}

func TestHostileSMTPCloseMidData(t *testing.T) {
	s := hostile.Start(t, hostile.SMTP(nil, func(c *hostile.Conn, verb, line string) bool {
		if verb != "DATA" {
			return false
		}
		c.Send("354 go on\r\n")
		c.Line()
		c.Close()
		return true
	}))
	c, err := dialHostileSMTP(t, s, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := &Message{From: "a@x.test", To: "b@y.test", Subject: "s", Body: strings.Repeat("line\r\n", 100000)}
	err = bounded(t, 5*time.Second, func() error { return c.Send(context.Background(), m) })
	hostileCode(t, err, ErrConnectionLost)
}

func TestHostileSMTPAuthEcho(t *testing.T) {
	s := hostile.Start(t, hostile.SMTP([]string{"AUTH PLAIN LOGIN"}, func(c *hostile.Conn, verb, line string) bool {
		if verb != "AUTH" {
			return false
		}
		c.Send("535 5.7.8 " + line + " rejected; you sent " + line + "\r\n")
		return true
	}))
	c, err := dialHostileSMTP(t, s, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Auth(context.Background(), "user", "secret-pass")
	hostileCode(t, err, ErrAuthFailed)
	payload := base64.StdEncoding.EncodeToString([]byte("\x00user\x00secret-pass"))
	for _, leak := range []string{payload, "secret-pass"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("the error shows %q: %v", leak, err)
		}
	}
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("err = %v, want the echo redacted", err)
	}
}

func TestHostileSMTPAddresses(t *testing.T) {
	var mu sync.Mutex
	var rcpts []string
	s := hostile.Start(t, hostile.SMTP(nil, func(c *hostile.Conn, verb, line string) bool {
		if verb == "RCPT" || verb == "MAIL" {
			mu.Lock()
			rcpts = append(rcpts, line)
			mu.Unlock()
		}
		return false
	}))
	tests := []struct {
		to   string
		code Code
		want string // the RCPT line the server must see
	}{
		{`"victim@evil.com"@y.com`, OK, `RCPT TO:<"victim@evil.com"@y.com>`},
		{`"@evil.com:victim"@y.com`, OK, `RCPT TO:<"@evil.com:victim"@y.com>`},
		{`"a b"@y.com`, OK, `RCPT TO:<"a b"@y.com>`},
		{`<a@b.test> <evil@x.com>`, ErrInvalidArgument, ""},
		{"a@b.test\r\nRCPT TO:<evil@x.com>", ErrInvalidArgument, ""},
		{"x\n@y.com", ErrInvalidArgument, ""},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			mu.Lock()
			rcpts = nil
			mu.Unlock()
			c, err := dialHostileSMTP(t, s, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = c.Send(context.Background(), &Message{From: "a@x.test", To: tt.to, Subject: "s", Body: "b"})
			hostileCode(t, err, tt.code)
			mu.Lock()
			defer mu.Unlock()
			if tt.want != "" && !containsString(rcpts, tt.want) {
				t.Errorf("server saw %q, want %q", rcpts, tt.want)
			}
			for _, r := range rcpts {
				if strings.Contains(r, "evil") && tt.want == "" {
					t.Errorf("server saw %q", r)
				}
			}
		})
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestHostilePOP3(t *testing.T) {
	old := pop3MaxMessage
	pop3MaxMessage = 16 << 20
	t.Cleanup(func() { pop3MaxMessage = old })
	tests := []struct {
		name string
		hook hostile.POP3Hook
		code Code
	}{
		{"trickled RETR", func(c *hostile.Conn, verb, line string) bool {
			c.Send("+OK\r\n")
			c.Trickle("x\r\n", 10*time.Millisecond)
			return false
		}, ErrTimeout},
		{"endless line in RETR", func(c *hostile.Conn, verb, line string) bool {
			c.Send("+OK\r\n")
			c.Flood([]byte("x"), 1<<30)
			return false
		}, ErrMessageTooLarge},
		{"close mid-RETR", func(c *hostile.Conn, verb, line string) bool {
			c.Send("+OK 100 octets\r\nSubject: x\r\n")
			return false
		}, ErrConnectionLost},
		{"stalled RETR", func(c *hostile.Conn, verb, line string) bool {
			c.Stall()
			return false
		}, ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := hostile.Start(t, hostile.POP3(tt.hook))
			o := POP3Options{Endpoint: Endpoint{Host: s.Host, Port: s.Port}, Timeout: 500 * time.Millisecond, ReadAhead: -1}
			c, err := DialPOP3(context.Background(), hostileTransport(t), o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Login("user", "secret-pass"); err != nil {
				t.Fatal(err)
			}
			err = bounded(t, 5*time.Second, func() error { _, err := c.Retr(1); return err })
			hostileCode(t, err, tt.code)
		})
	}
}

func TestHostileMIMELinear(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@x\r\nSubject: many parts\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n")
	chunk := strings.Repeat("texto ", 340) + "\r\n"
	for range 8000 {
		b.WriteString("--B\r\nContent-Type: text/plain\r\n\r\n" + chunk)
	}
	b.WriteString("--B--\r\n")
	var m *Message
	err := bounded(t, 5*time.Second, func() error {
		var err error
		m, err = Parse(strings.NewReader(b.String()))
		return err
	})
	hostileCode(t, err, OK)
	if m != nil && strings.Count(m.TextBody, "texto") != 8000*340 {
		t.Errorf("the joined body has %d words, want %d", strings.Count(m.TextBody, "texto"), 8000*340)
	}
}

func TestHostileMIMECancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ParseContext(ctx, strings.NewReader("From: a@x\r\n\r\nbody"))
	hostileCode(t, err, ErrCanceled)
}

func TestHostileMIMETruncated(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want string
	}{
		{"parts", "From: a@x\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
			strings.Repeat("--B\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n", maxParts+5) + "--B--\r\n", "MIME parts"},
		{"nesting", func() string {
			var b strings.Builder
			b.WriteString("From: a@x\r\nContent-Type: multipart/mixed; boundary=B0\r\n\r\n")
			for i := range maxMultipartDepth + 5 {
				fmt.Fprintf(&b, "--B%d\r\nContent-Type: multipart/mixed; boundary=B%d\r\n\r\n", i, i+1)
			}
			return b.String()
		}(), "nested"},
		{"whole", "From: a@x\r\n\r\nbody\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(strings.NewReader(tt.msg))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" && m.Truncated != "" || !strings.Contains(m.Truncated, tt.want) {
				t.Errorf("Truncated = %q, want it to contain %q", m.Truncated, tt.want)
			}
		})
	}
}

func TestHostileFoldedHeaderLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString("Subject: start\r\n")
	for range 200_000 {
		b.WriteString(" fold\r\n")
	}
	b.WriteString("From: a@x\r\n\r\n")
	raw := []byte(b.String())
	var hs []Header
	err := bounded(t, 3*time.Second, func() error { hs = imapParseHeader(raw); return nil })
	hostileCode(t, err, OK)
	if len(hs) != 2 || strings.Count(hs[0].Value, "fold") != 200_000 {
		t.Errorf("got %d fields, first with %d folds", len(hs), strings.Count(hs[0].Value, "fold"))
	}
	err = bounded(t, 3*time.Second, func() error { _, err := Parse(strings.NewReader(b.String())); return err })
	hostileCode(t, err, OK)
}

func TestRedactReply(t *testing.T) {
	plain := base64.StdEncoding.EncodeToString([]byte("\x00user\x00hunter22"))
	tests := []struct{ in, leak string }{
		{"535 5.7.8 AUTH PLAIN " + plain + " failed", plain},
		{"NO you said " + plain, plain},
		{"-ERR password hunter22 wrong", "hunter22"},
		{"535 AUTH LOGIN dXNlcg== failed", "dXNlcg=="},
	}
	for _, tt := range tests {
		got := RedactReply(tt.in, "hunter22")
		if strings.Contains(got, tt.leak) || !strings.Contains(got, "[redacted]") {
			t.Errorf("RedactReply(%q) = %q", tt.in, got)
		}
	}
	if got := RedactReply("550 5.1.1 mailbox unavailable", "hunter22"); got != "550 5.1.1 mailbox unavailable" {
		t.Errorf("an innocent reply changed: %q", got)
	}
}

func TestTraceRedactsAuthEcho(t *testing.T) {
	var out strings.Builder
	tw := NewTraceWriter(&out, SMTP)
	payload := base64.StdEncoding.EncodeToString([]byte("\x00user\x00hunter22"))
	fmt.Fprintf(tw, "AUTH PLAIN %s\r\n535 5.7.8 AUTH PLAIN %s rejected\r\n", payload, payload)
	if strings.Contains(out.String(), payload) {
		t.Errorf("trace shows the payload:\n%s", out.String())
	}
}

func TestCommandBudget(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		moved   int64
		at      time.Duration // since start
		timeout time.Duration
		want    time.Duration // next deadline, since start
	}{
		{"fresh command", 0, 0, 10 * time.Second, 10 * time.Second},
		{"idle wait inside the budget", 0, 3 * time.Second, 10 * time.Second, 10 * time.Second},
		{"trickler: capped by the overall deadline", 100, 9 * time.Second, 10 * time.Second, 10*time.Second + 100*time.Second/time.Duration(minTransferRate)},
		{"big transfer extends it", 80 * minTransferRate, 50 * time.Second, 10 * time.Second, 60 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b commandBudget
			b.begin(start)
			b.add(int(tt.moved))
			got := b.next(start.Add(tt.at), tt.timeout).Sub(start)
			if got != tt.want {
				t.Errorf("next = %v, want %v", got, tt.want)
			}
		})
	}
}
