package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/advmail/advmail/mail/internal/testca"
)

// ---- in-process SMTP server -------------------------------------------------

type testSMTPMode int

const (
	srvPlain    testSMTPMode = iota // no TLS at all
	srvStartTLS                     // plain port offering STARTTLS
	srvImplicit                     // TLS from the first byte
)

// testSMTPMail is one message the test server accepted.
type testSMTPMail struct {
	From string
	To   []string
	Data string
	Helo string // EHLO name of the session that sent it
	TLS  bool
	User string // authenticated user, if any
}

// testSMTPBackend is a go-smtp backend recording what clients do. Hooks
// let a test refuse commands.
type testSMTPBackend struct {
	mu        sync.Mutex
	mails     []testSMTPMail
	mailCmds  int
	mechs     []string // offered AUTH mechanisms, in order
	newSASL   func(s *testSMTPSession, mech string) sasl.Server
	authMechs []string // mechanisms clients tried

	mailHook func(from string) error
	rcptHook func(to string) error
	dataHook func(c *smtp.Conn, r io.Reader) error
}

func (b *testSMTPBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &testSMTPSession{b: b, conn: c, helo: c.Hostname(), tls: isTLS}, nil
}

func (b *testSMTPBackend) snapshot() (mails []testSMTPMail, mailCmds int, authMechs []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]testSMTPMail(nil), b.mails...), b.mailCmds, append([]string(nil), b.authMechs...)
}

type testSMTPSession struct {
	b    *testSMTPBackend
	conn *smtp.Conn
	helo string
	tls  bool
	user string
	from string
	to   []string
}

func (s *testSMTPSession) AuthMechanisms() []string { return s.b.mechs }

func (s *testSMTPSession) Auth(mech string) (sasl.Server, error) {
	s.b.mu.Lock()
	s.b.authMechs = append(s.b.authMechs, mech)
	s.b.mu.Unlock()
	if s.b.newSASL == nil {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	if srv := s.b.newSASL(s, mech); srv != nil {
		return srv, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *testSMTPSession) Mail(from string, _ *smtp.MailOptions) error {
	s.b.mu.Lock()
	s.b.mailCmds++
	s.b.mu.Unlock()
	if s.b.mailHook != nil {
		if err := s.b.mailHook(from); err != nil {
			return err
		}
	}
	s.from = from
	return nil
}

func (s *testSMTPSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.b.rcptHook != nil {
		if err := s.b.rcptHook(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *testSMTPSession) Data(r io.Reader) error {
	if s.b.dataHook != nil {
		if err := s.b.dataHook(s.conn, r); err != nil {
			return err
		}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.mails = append(s.b.mails, testSMTPMail{From: s.from, To: s.to, Data: string(data), Helo: s.helo, TLS: s.tls, User: s.user})
	s.b.mu.Unlock()
	return nil
}

func (s *testSMTPSession) Reset()        { s.from, s.to = "", nil }
func (s *testSMTPSession) Logout() error { return nil }

// startTestSMTP serves b on 127.0.0.1 in mode, with TLS from ca, until the
// test ends. It returns the port.
func startTestSMTP(t testing.TB, mode testSMTPMode, ca *testca.CA, b *testSMTPBackend, tweak func(*smtp.Server)) int {
	t.Helper()
	s := smtp.NewServer(b)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case srvStartTLS:
		s.TLSConfig = ca.Server
	case srvImplicit:
		s.TLSConfig = ca.Server
		l = tls.NewListener(l, ca.Server)
	}
	if tweak != nil {
		tweak(s)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// startRawServer accepts TCP connections and hands each to handle (a peer
// that is not a mail server: silent, or speaking TLS alerts).
func startRawServer(t testing.TB, handle func(net.Conn)) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go handle(c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().(*net.TCPAddr).Port
}

// silentPeer holds the connection open and never says a word.
func silentPeer(c net.Conn) { io.Copy(io.Discard, c) }

// tlsAlertPeer answers like a TLS server hit by a non-TLS client: a fatal
// alert record, then close.
func tlsAlertPeer(c net.Conn) {
	c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46})
	c.Close()
}

// ---- client helpers ------------------------------------------------------------

// testSMTPTransport trusts ca (nil: nothing beyond the system) and traces to trace (may be nil).
func testSMTPTransport(ca *testca.CA, trace io.Writer, mod func(*Config)) *Transport {
	cfg := DefaultConfig()
	if mod != nil {
		mod(cfg)
	}
	tr := &Transport{Config: cfg, Trace: trace}
	if ca != nil {
		tr.RootCAs = ca.Pool
	}
	return tr
}

func dialTestSMTP(t testing.TB, tr *Transport, port int, sec Security, timeout time.Duration) *SMTPClient {
	t.Helper()
	c, err := DialSMTP(context.Background(), tr, SMTPOptions{Endpoint: Endpoint{Host: "127.0.0.1", Port: port, Security: sec}, Timeout: timeout})
	if err != nil {
		t.Fatalf("DialSMTP(%s): %v", sec, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// wantCode fails unless err is a *mail.Error with code.
func wantCode(t *testing.T, err error, code Code) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *mail.Error, want code %d (%s)", err, err, code, code)
	}
	if e.Code != code {
		t.Fatalf("code %d (%s), want %d (%s); error: %v", e.Code, e.Code, code, code, err)
	}
	return e
}

// within fails when f takes longer than limit (a hang guard, not a benchmark).
func within(t *testing.T, limit time.Duration, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if d := time.Since(start); d > limit {
		t.Fatalf("took %s, want at most %s", d.Round(time.Millisecond), limit)
	}
}

const testMsg = "From: a@example.com\r\nTo: b@example.com\r\nSubject: test\r\n\r\nhello\r\n"

// ---- tests ---------------------------------------------------------------------

func TestSMTPModes(t *testing.T) {
	ca := testca.New(t)
	tests := []struct {
		name    string
		server  testSMTPMode
		sec     Security
		wantTLS bool
		useFile bool // trust the CA through Config.CAFile instead of RootCAs
	}{
		{"plain", srvPlain, SecurityFor(false, false), false, false},
		{"plain on a STARTTLS port", srvStartTLS, SecurityFor(false, false), false, false},
		{"STARTTLS", srvStartTLS, SecurityFor(false, true), true, false},
		{"implicit TLS", srvImplicit, SecurityFor(true, false), true, false},
		{"both flags", srvImplicit, SecurityFor(true, true), true, false},
		{"implicit TLS with CAFile", srvImplicit, ImplicitTLS, true, true},
		{"STARTTLS with CAFile", srvStartTLS, StartTLS, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &testSMTPBackend{}
			port := startTestSMTP(t, tt.server, ca, b, nil)
			var trace bytes.Buffer
			tr := testSMTPTransport(ca, &trace, func(c *Config) { c.HeloName = "client.example.com" })
			if tt.useFile {
				tr.RootCAs = nil
				tr.Config.CAFile = ca.WriteFile(t)
			}
			c := dialTestSMTP(t, tr, port, tt.sec, 5*time.Second)
			if c.Security() != tt.sec {
				t.Errorf("Security() = %s, want %s", c.Security(), tt.sec)
			}
			if err := c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com", "c@example.com"}, []byte(testMsg)); err != nil {
				t.Fatalf("SendRaw: %v", err)
			}
			if err := c.Quit(); err != nil {
				t.Fatalf("Quit: %v", err)
			}
			mails, _, _ := b.snapshot()
			if len(mails) != 1 {
				t.Fatalf("server got %d messages, want 1", len(mails))
			}
			m := mails[0]
			if m.From != "a@example.com" || strings.Join(m.To, ",") != "b@example.com,c@example.com" {
				t.Errorf("envelope %q -> %q", m.From, m.To)
			}
			if !strings.Contains(m.Data, "Subject: test") || !strings.Contains(m.Data, "hello") {
				t.Errorf("data %q", m.Data)
			}
			if m.TLS != tt.wantTLS {
				t.Errorf("message travelled with TLS=%v, want %v", m.TLS, tt.wantTLS)
			}
			if m.Helo != "client.example.com" {
				t.Errorf("session EHLO name %q, want the configured HeloName", m.Helo)
			}
			if tt.sec == StartTLS && !strings.Contains(trace.String(), "STARTTLS") {
				t.Errorf("trace lacks the clear-text STARTTLS exchange:\n%s", trace.String())
			}
		})
	}
}

func TestSMTPExtendSMTPOff(t *testing.T) {
	// go-smtp cannot be told to say HELO: ExtendSMTP=0 still works, with EHLO.
	ca := testca.New(t)
	b := &testSMTPBackend{}
	port := startTestSMTP(t, srvPlain, ca, b, nil)
	c := dialTestSMTP(t, testSMTPTransport(ca, nil, func(c *Config) { c.ExtendSMTP = false }), port, Plain, 5*time.Second)
	if err := c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, []byte(testMsg)); err != nil {
		t.Fatal(err)
	}
	if mails, _, _ := b.snapshot(); len(mails) != 1 {
		t.Fatalf("server got %d messages", len(mails))
	}
}

func TestSMTPStartTLSNotOffered(t *testing.T) {
	ca := testca.New(t)
	b := &testSMTPBackend{mechs: []string{"PLAIN"}, newSASL: func(*testSMTPSession, string) sasl.Server { return nil }}
	port := startTestSMTP(t, srvPlain, ca, b, nil)
	var trace bytes.Buffer
	_, err := DialSMTP(context.Background(), testSMTPTransport(ca, &trace, nil),
		SMTPOptions{Endpoint: Endpoint{Host: "127.0.0.1", Port: port, Security: StartTLS}, Timeout: 5 * time.Second})
	e := wantCode(t, err, ErrStartTLSNotOffered)
	for _, ext := range []string{"PIPELINING", "AUTH PLAIN", "8BITMIME"} {
		if !strings.Contains(e.Reply, ext) {
			t.Errorf("reply %q does not name the server's extension %s", e.Reply, ext)
		}
	}
	if _, _, mechs := b.snapshot(); len(mechs) != 0 {
		t.Errorf("credentials were offered in clear: AUTH %v", mechs)
	}
	if strings.Contains(trace.String(), "smtp: AUTH") {
		t.Errorf("trace shows an AUTH command:\n%s", trace.String())
	}
	if !strings.Contains(trace.String(), "EHLO localhost") {
		t.Errorf("the clear-text phase is missing from the trace:\n%s", trace.String())
	}
}

// authBackend offers exactly mechs and checks credentials user/pass (token
// for XOAUTH2; NTLM checks the decoded user and domain).
func authBackend(mechs []string, user, pass, ntlmUser, ntlmDomain string) *testSMTPBackend {
	return &testSMTPBackend{
		mechs: mechs,
		newSASL: func(s *testSMTPSession, mech string) sasl.Server {
			ok := func() { s.user = user }
			switch mech {
			case "PLAIN":
				return sasl.NewPlainServer(func(identity, u, p string) error {
					if u != user || p != pass {
						return errTestBadCredentials
					}
					ok()
					return nil
				})
			case "LOGIN":
				return &testSASLDone{srv: &testLoginServer{prompts: [2]string{"VXNlciBOYW1l", "Pass phrase, please"}, user: user, pass: pass}, ok: ok}
			case "CRAM-MD5":
				return &testSASLDone{srv: &testCRAMMD5Server{user: user, pass: pass}, ok: ok}
			case "XOAUTH2":
				return &testSASLDone{srv: &testXOAuth2Server{user: user, token: pass}, ok: ok}
			case "NTLM":
				return &testSASLDone{srv: &testNTLMServer{user: ntlmUser, domain: ntlmDomain}, ok: ok}
			}
			return nil
		},
	}
}

// testSASLDone calls ok when srv accepts.
type testSASLDone struct {
	srv sasl.Server
	ok  func()
}

func (d *testSASLDone) Next(resp []byte) ([]byte, bool, error) {
	ch, done, err := d.srv.Next(resp)
	if done && err == nil {
		d.ok()
	}
	return ch, done, err
}

func TestSMTPAuthMechanisms(t *testing.T) {
	ca := testca.New(t)
	const pass = "Pa55-w0rd!"
	tests := []struct {
		name       string
		mech       string
		user, pass string // what the client gives
		secret     string // what the server checks (token for XOAUTH2)
		ntlmUser   string
		ntlmDomain string
		hook       bool // set Transport.Token
	}{
		{name: "PLAIN", mech: "PLAIN", user: "fulano@empresa.com.br", pass: pass, secret: pass},
		{name: "LOGIN odd prompts", mech: "LOGIN", user: "fulano@empresa.com.br", pass: pass, secret: pass},
		{name: "CRAM-MD5", mech: "CRAM-MD5", user: "fulano", pass: pass, secret: pass},
		{name: "XOAUTH2 token", mech: "XOAUTH2", user: "fulano@empresa.com.br", pass: "oauth2:ya29.token", secret: "ya29.token"},
		{name: "XOAUTH2 token hook", mech: "XOAUTH2", user: "fulano@empresa.com.br", pass: "oauth2:", secret: "hook-token-for-fulano@empresa.com.br", hook: true},
		{name: "NTLM user@domain", mech: "NTLM", user: "alice@example.com", pass: pass, ntlmUser: "alice@example.com"},
		{name: `NTLM DOMAIN\user`, mech: "NTLM", user: `EXAMPLE\alice`, pass: pass, ntlmUser: "alice", ntlmDomain: "EXAMPLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := authBackend([]string{tt.mech}, tt.user, tt.secret, tt.ntlmUser, tt.ntlmDomain)
			port := startTestSMTP(t, srvImplicit, ca, b, func(s *smtp.Server) { s.AllowInsecureAuth = false })
			tr := testSMTPTransport(ca, nil, nil)
			if tt.hook {
				tr.Token = func(_ context.Context, user string) (string, error) { return "hook-token-for-" + user, nil }
			}
			c := dialTestSMTP(t, tr, port, ImplicitTLS, 5*time.Second)
			if err := c.Auth(context.Background(), tt.user, tt.pass); err != nil {
				t.Fatalf("Auth: %v", err)
			}
			if err := c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, []byte(testMsg)); err != nil {
				t.Fatalf("SendRaw after Auth: %v", err)
			}
			mails, _, mechs := b.snapshot()
			if len(mails) != 1 || mails[0].User != tt.user {
				t.Fatalf("message not sent as the authenticated user: %+v", mails)
			}
			if len(mechs) != 1 || mechs[0] != tt.mech {
				t.Errorf("mechanisms tried %v, want [%s]", mechs, tt.mech)
			}
		})
	}
}

func TestSMTPAuthPreference(t *testing.T) {
	ca := testca.New(t)
	offered := []string{"LOGIN", "PLAIN", "XOAUTH2", "NTLM", "CRAM-MD5"}
	tests := []struct {
		name string
		pass string
		mod  func(*Config)
		want string
	}{
		{"strongest", "pw", nil, "CRAM-MD5"},
		{"no CRAM-MD5", "pw", func(c *Config) { c.AuthCramMD5 = false }, "NTLM"},
		{"no CRAM-MD5 nor NTLM", "pw", func(c *Config) { c.AuthCramMD5, c.AuthNTLM = false, false }, "PLAIN"},
		{"only LOGIN", "pw", func(c *Config) { c.AuthCramMD5, c.AuthNTLM, c.AuthPlain = false, false, false }, "LOGIN"},
		{"oauth2 password", "oauth2:pw", nil, "XOAUTH2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := strings.TrimPrefix(tt.pass, "oauth2:")
			b := authBackend(offered, "bob", secret, "bob", "")
			port := startTestSMTP(t, srvImplicit, ca, b, nil)
			c := dialTestSMTP(t, testSMTPTransport(ca, nil, tt.mod), port, ImplicitTLS, 5*time.Second)
			if err := c.Auth(context.Background(), "bob", tt.pass); err != nil {
				t.Fatalf("Auth: %v", err)
			}
			if _, _, mechs := b.snapshot(); len(mechs) != 1 || mechs[0] != tt.want {
				t.Errorf("mechanisms tried %v, want [%s]", mechs, tt.want)
			}
		})
	}
}

func TestSMTPAuthFailures(t *testing.T) {
	ca := testca.New(t)
	tests := []struct {
		name      string
		offered   []string
		server    testSMTPMode
		sec       Security
		noInsec   bool // server refuses AUTH without TLS
		mod       func(*Config)
		user      string
		pass      string
		hook      func(context.Context, string) (string, error)
		code      Code
		replyHas  []string
		notOffers bool
	}{
		{name: "PLAIN wrong password", offered: []string{"PLAIN"}, user: "bob", pass: "wrong", code: ErrAuthFailed, replyHas: []string{"535 5.7.8 bad credentials"}},
		{name: "LOGIN wrong password", offered: []string{"LOGIN"}, user: "bob", pass: "wrong", code: ErrAuthFailed, replyHas: []string{"535 5.7.8 bad credentials"}},
		{name: "CRAM-MD5 wrong password", offered: []string{"CRAM-MD5"}, user: "bob", pass: "wrong", code: ErrAuthFailed, replyHas: []string{"535 5.7.8"}},
		{name: "XOAUTH2 bad token", offered: []string{"XOAUTH2"}, user: "bob", pass: "oauth2:expired", code: ErrAuthFailed, replyHas: []string{"535 5.7.8"}},
		{name: "NTLM wrong user", offered: []string{"NTLM"}, user: `OTHER\eve`, pass: "x", code: ErrAuthFailed, replyHas: []string{"535"}},
		{name: "nothing allowed", offered: []string{"CRAM-MD5"}, mod: func(c *Config) { c.AuthCramMD5 = false }, user: "bob", pass: "right",
			code: ErrNoAuthMechanism, replyHas: []string{"CRAM-MD5", "PLAIN LOGIN"}},
		{name: "no AUTH at all", offered: nil, user: "bob", pass: "right", code: ErrNoAuthMechanism, replyHas: []string{"no AUTH"}},
		{name: "AUTH only after STARTTLS", offered: []string{"PLAIN"}, server: srvStartTLS, sec: Plain, noInsec: true, user: "bob", pass: "right",
			code: ErrNoAuthMechanism, replyHas: []string{"STARTTLS"}},
		{name: "oauth2 password without XOAUTH2", offered: []string{"PLAIN", "LOGIN"}, user: "bob", pass: "oauth2:tok", code: ErrNoAuthMechanism, replyHas: []string{"XOAUTH2"}},
		{name: "oauth2: without token source", offered: []string{"XOAUTH2"}, user: "bob", pass: "oauth2:", code: ErrInvalidArgument},
		{name: "token source fails", offered: []string{"XOAUTH2"}, user: "bob", pass: "oauth2:",
			hook: func(context.Context, string) (string, error) { return "", errors.New("consent revoked") }, code: ErrAuthFailed},
		{name: "empty user", offered: []string{"PLAIN"}, user: "", pass: "right", code: ErrInvalidArgument},
		{name: "user with line break", offered: []string{"PLAIN"}, user: "bob\r\nQUIT", pass: "right", code: ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := authBackend(tt.offered, "bob", "right", "bob", "")
			if strings.HasPrefix(tt.pass, "oauth2:") {
				b = authBackend(tt.offered, "bob", "fresh", "bob", "")
			}
			server, sec := tt.server, tt.sec
			if server == srvPlain && sec == Plain {
				server, sec = srvImplicit, ImplicitTLS
			}
			port := startTestSMTP(t, server, ca, b, func(s *smtp.Server) { s.AllowInsecureAuth = !tt.noInsec })
			tr := testSMTPTransport(ca, nil, tt.mod)
			tr.Token = tt.hook
			c := dialTestSMTP(t, tr, port, sec, 5*time.Second)
			err := c.Auth(context.Background(), tt.user, tt.pass)
			e := wantCode(t, err, tt.code)
			for _, s := range tt.replyHas {
				if !strings.Contains(e.Error(), s) {
					t.Errorf("error %q does not contain %q", e.Error(), s)
				}
			}
			if strings.Contains(e.Error(), "right") || (tt.pass != "" && tt.pass != "oauth2:" && strings.Contains(e.Error(), tt.pass)) {
				t.Errorf("error text shows a password: %v", e)
			}
			// A refusal leaves the session usable.
			if err := c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, []byte(testMsg)); err != nil {
				t.Errorf("SendRaw after failed Auth: %v", err)
			}
		})
	}
}

func TestSMTPConnRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	for _, sec := range []Security{Plain, StartTLS, ImplicitTLS} {
		_, err := DialSMTP(context.Background(), testSMTPTransport(nil, nil, nil),
			SMTPOptions{Endpoint: Endpoint{Host: "127.0.0.1", Port: port, Security: sec}, Timeout: 5 * time.Second})
		wantCode(t, err, ErrConnRefused)
	}
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	ca := testca.New(t)
	other := testca.New(t)
	tests := []struct {
		name   string
		server testSMTPMode
		sec    Security
		trust  *testca.CA
	}{
		{"implicit TLS, system roots", srvImplicit, ImplicitTLS, nil},
		{"implicit TLS, another CA", srvImplicit, ImplicitTLS, other},
		{"STARTTLS, system roots", srvStartTLS, StartTLS, nil},
		{"STARTTLS, another CA", srvStartTLS, StartTLS, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &testSMTPBackend{}
			port := startTestSMTP(t, tt.server, ca, b, nil)
			_, err := DialSMTP(context.Background(), testSMTPTransport(tt.trust, nil, nil),
				SMTPOptions{Endpoint: Endpoint{Host: "127.0.0.1", Port: port, Security: tt.sec}, Timeout: 5 * time.Second})
			e := wantCode(t, err, ErrCertUntrusted)
			if !strings.Contains(e.Error(), "127.0.0.1") {
				t.Errorf("error does not name the host: %v", e)
			}
			if mails, n, _ := b.snapshot(); len(mails) != 0 || n != 0 {
				t.Error("the client went on after an untrusted certificate")
			}
		})
	}
}

func TestSMTPTLSMismatch(t *testing.T) {
	ca := testca.New(t)
	tests := []struct {
		name    string
		server  func(t *testing.T) int
		sec     Security
		try     bool
		timeout time.Duration
		code    Code   // expected error, OK for success
		want    string // in the error text
		wantSec Security
	}{
		{name: "implicit TLS on a plain port", sec: ImplicitTLS, timeout: 5 * time.Second,
			server: func(t *testing.T) int { return startTestSMTP(t, srvStartTLS, ca, &testSMTPBackend{}, nil) },
			code:   ErrTLSHandshake, want: "SetUseTLS"},
		{name: "plain client, TLS alert", sec: Plain, timeout: 5 * time.Second,
			server: func(t *testing.T) int { return startRawServer(t, tlsAlertPeer) },
			code:   ErrTLSHandshake, want: "implicit TLS"},
		{name: "STARTTLS client, TLS alert", sec: StartTLS, timeout: 5 * time.Second,
			server: func(t *testing.T) int { return startRawServer(t, tlsAlertPeer) },
			code:   ErrTLSHandshake, want: "implicit TLS"},
		{name: "STARTTLS on an implicit TLS port", sec: StartTLS, timeout: time.Second,
			server: func(t *testing.T) int { return startTestSMTP(t, srvImplicit, ca, &testSMTPBackend{}, nil) },
			code:   ErrTimeout, want: "implicit TLS"},
		{name: "plain on an implicit TLS port", sec: Plain, timeout: time.Second,
			server: func(t *testing.T) int { return startTestSMTP(t, srvImplicit, ca, &testSMTPBackend{}, nil) },
			code:   ErrTimeout, want: "SetUseSSL"},
		{name: "TryProtocols: implicit TLS on a STARTTLS port", sec: ImplicitTLS, try: true, timeout: 5 * time.Second,
			server:  func(t *testing.T) int { return startTestSMTP(t, srvStartTLS, ca, &testSMTPBackend{}, nil) },
			wantSec: StartTLS},
		{name: "TryProtocols: STARTTLS on an implicit TLS port", sec: StartTLS, try: true, timeout: time.Second,
			server:  func(t *testing.T) int { return startTestSMTP(t, srvImplicit, ca, &testSMTPBackend{}, nil) },
			wantSec: ImplicitTLS},
		{name: "TryProtocols: plain on an implicit TLS port", sec: Plain, try: true, timeout: time.Second,
			server:  func(t *testing.T) int { return startTestSMTP(t, srvImplicit, ca, &testSMTPBackend{}, nil) },
			wantSec: ImplicitTLS},
		{name: "TryProtocols: implicit TLS on a plain port without STARTTLS", sec: ImplicitTLS, try: true, timeout: 5 * time.Second,
			server: func(t *testing.T) int { return startTestSMTP(t, srvPlain, ca, &testSMTPBackend{}, nil) },
			code:   ErrStartTLSNotOffered},
		{name: "TryProtocols: TLS alert both ways", sec: StartTLS, try: true, timeout: 5 * time.Second,
			server: func(t *testing.T) int { return startRawServer(t, tlsAlertPeer) },
			code:   ErrTLSHandshake, want: "implicit TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := tt.server(t)
			tr := testSMTPTransport(ca, nil, func(c *Config) { c.TryProtocols = tt.try })
			var c *SMTPClient
			var err error
			limit := tt.timeout + 2*time.Second
			if tt.try {
				limit += tt.timeout // the fallback may wait a second timeout
			}
			within(t, limit, func() {
				c, err = DialSMTP(context.Background(), tr, SMTPOptions{Endpoint: Endpoint{Host: "127.0.0.1", Port: port, Security: tt.sec}, Timeout: tt.timeout})
			})
			if tt.code != OK {
				e := wantCode(t, err, tt.code)
				if !strings.Contains(e.Error(), tt.want) {
					t.Errorf("error %q lacks the hint %q", e.Error(), tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("DialSMTP: %v", err)
			}
			defer c.Close()
			if c.Security() != tt.wantSec {
				t.Errorf("Security() = %s, want %s", c.Security(), tt.wantSec)
			}
			if err := c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, []byte(testMsg)); err != nil {
				t.Errorf("SendRaw after fallback: %v", err)
			}
		})
	}
}

func TestSMTPTimeoutSilentServer(t *testing.T) {
	port := startRawServer(t, silentPeer)
	for _, sec := range []Security{Plain, StartTLS, ImplicitTLS} {
		t.Run(sec.String(), func(t *testing.T) {
			var err error
			within(t, time.Second+2*time.Second, func() {
				_, err = DialSMTP(context.Background(), testSMTPTransport(nil, nil, nil),
					SMTPOptions{Endpoint: Endpoint{Host: "127.0.0.1", Port: port, Security: sec}, Timeout: time.Second})
			})
			wantCode(t, err, ErrTimeout)
		})
	}
}

func TestSMTPCancel(t *testing.T) {
	port := startRawServer(t, silentPeer)
	for _, sec := range []Security{Plain, StartTLS, ImplicitTLS} {
		t.Run(sec.String(), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			var err error
			within(t, 10*time.Second, func() {
				_, err = DialSMTP(ctx, testSMTPTransport(nil, nil, nil),
					SMTPOptions{Endpoint: Endpoint{Host: "127.0.0.1", Port: port, Security: sec}, Timeout: 30 * time.Second})
			})
			wantCode(t, err, ErrCanceled)
		})
	}
}

func TestSMTPSetTimeoutDuringData(t *testing.T) {
	ca := testca.New(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	b := &testSMTPBackend{dataHook: func(_ *smtp.Conn, r io.Reader) error {
		io.Copy(io.Discard, r)
		<-release // never answer the final dot while the test runs
		return nil
	}}
	port := startTestSMTP(t, srvPlain, ca, b, nil)
	c := dialTestSMTP(t, testSMTPTransport(ca, nil, nil), port, Plain, 30*time.Second)
	c.SetTimeout(time.Second)
	var err error
	within(t, time.Second+2*time.Second, func() {
		err = c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, []byte(testMsg))
	})
	wantCode(t, err, ErrTimeout)
	wantCode(t, c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, []byte(testMsg)), ErrNoConnection)
}

func TestSMTPCancelDuringData(t *testing.T) {
	ca := testca.New(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	b := &testSMTPBackend{dataHook: func(_ *smtp.Conn, r io.Reader) error {
		io.Copy(io.Discard, r)
		<-release
		return nil
	}}
	port := startTestSMTP(t, srvImplicit, ca, b, nil)
	c := dialTestSMTP(t, testSMTPTransport(ca, nil, nil), port, ImplicitTLS, 30*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	var err error
	within(t, 10*time.Second, func() {
		err = c.SendRaw(ctx, "a@example.com", []string{"b@example.com"}, []byte(testMsg))
	})
	wantCode(t, err, ErrCanceled)
	wantCode(t, c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, []byte(testMsg)), ErrNoConnection)
}

func TestSMTPConnectionLostMidData(t *testing.T) {
	ca := testca.New(t)
	b := &testSMTPBackend{dataHook: func(c *smtp.Conn, r io.Reader) error {
		io.CopyN(io.Discard, r, 1000)
		c.Conn().Close()
		return errors.New("gone")
	}}
	for _, mode := range []struct {
		server testSMTPMode
		sec    Security
	}{{srvPlain, Plain}, {srvImplicit, ImplicitTLS}} {
		t.Run(mode.sec.String(), func(t *testing.T) {
			port := startTestSMTP(t, mode.server, ca, b, nil)
			c := dialTestSMTP(t, testSMTPTransport(ca, nil, nil), port, mode.sec, 5*time.Second)
			big := []byte(testMsg + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 1<<15))
			var err error
			within(t, 5*time.Second+2*time.Second, func() {
				err = c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, big)
			})
			if code := CodeOf(err); code != ErrConnectionLost && code != ErrMessageRejected {
				t.Fatalf("error %v (code %d), want ErrConnectionLost or ErrMessageRejected", err, code)
			}
		})
	}
}

func TestSMTPRefusalsKeepSessionUsable(t *testing.T) {
	ca := testca.New(t)
	refuse := func(code int, ec smtp.EnhancedCode, msg string) error {
		return &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: msg}
	}
	tests := []struct {
		name     string
		from     string
		to       []string
		size     int // message size, 0 = testMsg
		maxBytes int64
		code     Code
		replyHas []string
		noMail   bool // the client must refuse before MAIL
	}{
		{name: "sender rejected", from: "spammer@example.com", to: []string{"b@example.com"},
			code: ErrSenderRejected, replyHas: []string{"<spammer@example.com>", "550 5.7.1 sender blocked"}},
		{name: "one recipient rejected", from: "a@example.com", to: []string{"b@example.com", "nobody@example.com"},
			code: ErrRecipientRejected, replyHas: []string{"<nobody@example.com>: 550 5.1.1 no such user"}},
		{name: "two recipients rejected", from: "a@example.com", to: []string{"nobody@example.com", "b@example.com", "nobody2@example.com"},
			code: ErrRecipientRejected, replyHas: []string{"<nobody@example.com>", "<nobody2@example.com>"}},
		{name: "message rejected at the final dot", from: "a@example.com", to: []string{"virus@example.com"},
			code: ErrMessageRejected, replyHas: []string{"554 5.6.0 content refused"}},
		{name: "552 at the final dot", from: "a@example.com", to: []string{"full@example.com"},
			code: ErrMessageTooLarge, replyHas: []string{"552 5.3.4"}},
		{name: "over the server SIZE", from: "a@example.com", to: []string{"b@example.com"}, size: 10000, maxBytes: 4096,
			code: ErrMessageTooLarge, replyHas: []string{"4096"}, noMail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var rcptAt string
			b := &testSMTPBackend{
				mailHook: func(from string) error {
					if strings.HasPrefix(from, "spammer") {
						return refuse(550, smtp.EnhancedCode{5, 7, 1}, "sender blocked")
					}
					return nil
				},
				rcptHook: func(to string) error {
					mu.Lock()
					rcptAt = to
					mu.Unlock()
					if strings.HasPrefix(to, "nobody") {
						return refuse(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
					}
					return nil
				},
			}
			b.dataHook = func(_ *smtp.Conn, r io.Reader) error {
				io.Copy(io.Discard, r)
				mu.Lock()
				last := rcptAt
				mu.Unlock()
				switch last {
				case "virus@example.com":
					return refuse(554, smtp.EnhancedCode{5, 6, 0}, "content refused")
				case "full@example.com":
					return refuse(552, smtp.EnhancedCode{5, 3, 4}, "mailbox full")
				}
				return nil
			}
			port := startTestSMTP(t, srvStartTLS, ca, b, func(s *smtp.Server) { s.MaxMessageBytes = tt.maxBytes })
			c := dialTestSMTP(t, testSMTPTransport(ca, nil, nil), port, StartTLS, 5*time.Second)
			data := []byte(testMsg)
			if tt.size > 0 {
				data = []byte(testMsg + strings.Repeat("x", tt.size))
			}
			e := wantCode(t, c.SendRaw(context.Background(), tt.from, tt.to, data), tt.code)
			for _, s := range tt.replyHas {
				if !strings.Contains(e.Reply, s) {
					t.Errorf("reply %q lacks %q", e.Reply, s)
				}
			}
			if _, n, _ := b.snapshot(); tt.noMail && n != 0 {
				t.Errorf("MAIL was sent for a message over the SIZE limit")
			}
			// Same session: a good message goes through, with only its own recipients.
			if err := c.SendRaw(context.Background(), "ok@example.com", []string{"b@example.com"}, []byte(testMsg)); err != nil {
				t.Fatalf("next SendRaw on the same session: %v", err)
			}
			mails, _, _ := b.snapshot()
			if len(mails) != 1 || mails[0].From != "ok@example.com" || strings.Join(mails[0].To, ",") != "b@example.com" {
				t.Errorf("server got %+v, want one message ok@ -> b@", mails)
			}
		})
	}
}

func TestSMTPLineInjection(t *testing.T) {
	ca := testca.New(t)
	b := &testSMTPBackend{}
	port := startTestSMTP(t, srvPlain, ca, b, nil)

	_, err := DialSMTP(context.Background(), testSMTPTransport(ca, nil, func(c *Config) { c.HeloName = "evil\r\nMAIL FROM:<x@y>" }),
		SMTPOptions{Endpoint: Endpoint{Host: "127.0.0.1", Port: port}, Timeout: 5 * time.Second})
	wantCode(t, err, ErrInvalidArgument)

	c := dialTestSMTP(t, testSMTPTransport(ca, nil, nil), port, Plain, 5*time.Second)
	bad := []struct {
		from string
		to   []string
		code Code
	}{
		{"a@example.com\r\nRCPT TO:<victim@example.com>", []string{"b@example.com"}, ErrInvalidArgument},
		{"a@example.com", []string{"b@example.com\nDATA"}, ErrInvalidArgument},
		{"a@example.com", []string{"Fulano <b@example.com>"}, ErrInvalidArgument},
		{"a@example.com", []string{""}, ErrInvalidArgument},
		{"a@example.com", nil, ErrNoRecipients},
	}
	for _, tt := range bad {
		wantCode(t, c.SendRaw(context.Background(), tt.from, tt.to, []byte(testMsg)), tt.code)
	}
	if _, n, _ := b.snapshot(); n != 0 {
		t.Fatalf("%d MAIL commands reached the server", n)
	}
	if err := c.SendRaw(context.Background(), "", []string{"b@example.com"}, []byte(testMsg)); err != nil {
		t.Fatalf("null sender: %v", err)
	}
}

func TestSMTPTraceRedaction(t *testing.T) {
	ca := testca.New(t)
	const user, pass = "fulano@empresa.com.br", "Sup3r-S3cret!"
	secrets := []string{
		pass,
		base64.StdEncoding.EncodeToString([]byte(pass)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass)),
	}
	for _, tc := range []struct {
		mech   string
		server testSMTPMode
		sec    Security
	}{
		{"PLAIN", srvPlain, Plain},
		{"LOGIN", srvPlain, Plain},
		{"PLAIN", srvStartTLS, StartTLS},
		{"LOGIN", srvImplicit, ImplicitTLS},
	} {
		t.Run(tc.mech+" "+tc.sec.String(), func(t *testing.T) {
			b := authBackend([]string{tc.mech}, user, pass, "", "")
			port := startTestSMTP(t, tc.server, ca, b, nil)
			var trace bytes.Buffer
			c := dialTestSMTP(t, testSMTPTransport(ca, &trace, nil), port, tc.sec, 5*time.Second)
			if err := c.Auth(context.Background(), user, pass); err != nil {
				t.Fatalf("Auth: %v", err)
			}
			if err := c.SendRaw(context.Background(), user, []string{"b@example.com"}, []byte(testMsg)); err != nil {
				t.Fatal(err)
			}
			c.Quit()
			out := trace.String()
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("trace contains secret %q:\n%s", s, out)
				}
			}
			for _, s := range []string{"EHLO", "AUTH " + tc.mech, "235", "MAIL FROM:<" + user + ">", "QUIT"} {
				if !strings.Contains(out, s) {
					t.Errorf("trace lacks %q:\n%s", s, out)
				}
			}
		})
	}
}

func TestSMTPQuitClose(t *testing.T) {
	ca := testca.New(t)
	port := startTestSMTP(t, srvPlain, ca, &testSMTPBackend{}, nil)
	c := dialTestSMTP(t, testSMTPTransport(ca, nil, nil), port, Plain, 5*time.Second)
	if err := c.Quit(); err != nil {
		t.Fatalf("Quit: %v", err)
	}
	wantCode(t, c.Quit(), ErrNoConnection)
	wantCode(t, c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, []byte(testMsg)), ErrNoConnection)
	wantCode(t, c.Auth(context.Background(), "u", "p"), ErrNoConnection)
	if err := c.Close(); err != nil {
		t.Errorf("Close after Quit: %v", err)
	}

	c2 := dialTestSMTP(t, testSMTPTransport(ca, nil, nil), port, Plain, 5*time.Second)
	if err := c2.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := c2.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	wantCode(t, c2.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, []byte(testMsg)), ErrNoConnection)

	var nilClient *SMTPClient
	wantCode(t, nilClient.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, nil), ErrNoConnection)
	if err := nilClient.Close(); err != nil {
		t.Errorf("nil Close: %v", err)
	}
}

func TestSMTPEHLOExtensions(t *testing.T) {
	out := []byte("220 mx ESMTP\r\n250-mx Hello\r\n250-PIPELINING\r\n250-SIZE 100\r\n250 AUTH PLAIN LOGIN\r\n220 2.0.0 go\r\n")
	exts, ok := smtpEHLOExtensions(out)
	if !ok || fmt.Sprint(exts) != "[PIPELINING SIZE 100 AUTH PLAIN LOGIN]" {
		t.Errorf("got %q, %v", exts, ok)
	}
	if !smtpHasExtension(exts, "size") || smtpHasExtension(exts, "STARTTLS") {
		t.Error("smtpHasExtension")
	}
	if exts, ok := smtpEHLOExtensions([]byte("220 mx\r\n502 no EHLO\r\n250 mx hello\r\n")); !ok || len(exts) != 0 {
		t.Errorf("HELO reply: %q, %v", exts, ok)
	}
	if _, ok := smtpEHLOExtensions([]byte("220 mx\r\n")); ok {
		t.Error("no 250 reply must report !ok")
	}
}

func TestSMTPSendMessage(t *testing.T) {
	ca := testca.New(t)
	b := &testSMTPBackend{}
	port := startTestSMTP(t, srvStartTLS, ca, b, nil)
	c := dialTestSMTP(t, testSMTPTransport(ca, nil, nil), port, StartTLS, 5*time.Second)
	m := &Message{
		From:    "Fulano <fulano@empresa.com.br>",
		To:      "b@example.com; João <joao@example.com>",
		Cc:      "c@example.com",
		Bcc:     "hidden@example.com",
		Subject: "Relatório",
		Body:    "<p>olá</p>",
	}
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	mails, _, _ := b.snapshot()
	if len(mails) != 1 {
		t.Fatalf("server got %d messages", len(mails))
	}
	got := mails[0]
	if got.From != "fulano@empresa.com.br" {
		t.Errorf("envelope sender %q", got.From)
	}
	if want := "b@example.com,joao@example.com,c@example.com,hidden@example.com"; strings.Join(got.To, ",") != want {
		t.Errorf("envelope recipients %q, want %q", got.To, want)
	}
	if strings.Contains(got.Data, "hidden@example.com") {
		t.Errorf("Bcc address in the message data:\n%s", got.Data)
	}
	if !strings.Contains(got.Data, "Subject:") || !strings.Contains(got.Data, "joao@example.com") {
		t.Errorf("message data lacks its headers:\n%s", got.Data)
	}

	wantCode(t, c.Send(context.Background(), &Message{From: "a@example.com", Subject: "nobody"}), ErrNoRecipients)
	wantCode(t, c.Send(context.Background(), nil), ErrInvalidArgument)
	if err := c.Send(context.Background(), &Message{From: "", To: "b@example.com"}); err == nil {
		t.Error("a message without From was sent")
	}
	if mails, _, _ := b.snapshot(); len(mails) != 1 {
		t.Errorf("server got %d messages, want still 1", len(mails))
	}
	// The session still works after the refused messages.
	if err := c.Send(context.Background(), &Message{From: "a@example.com", To: "b@example.com", Subject: "again", Body: "x"}); err != nil {
		t.Errorf("Send after refusals: %v", err)
	}
}

// TestSMTPSlowReaderWithinTimeout: a server that keeps reading a large
// message, slower than the whole message fits in one timeout, gets all of
// it: the write deadline is per chunk, not for the whole body.
func TestSMTPSlowReaderWithinTimeout(t *testing.T) {
	ca := testca.New(t)
	b := &testSMTPBackend{dataHook: func(_ *smtp.Conn, r io.Reader) error {
		buf := make([]byte, 128<<10)
		for {
			if _, err := io.ReadFull(r, buf); err != nil {
				return nil // the rest (if any) is read by the session
			}
			time.Sleep(10 * time.Millisecond) // ~12 MiB/s
		}
	}}
	port := startTestSMTP(t, srvPlain, ca, b, nil)
	c := dialTestSMTP(t, testSMTPTransport(ca, nil, nil), port, Plain, time.Second)
	line := strings.Repeat("x", 998) + "\r\n"
	msg := "Subject: big\r\n\r\n" + strings.Repeat(line, (20<<20)/len(line)) // 20 MiB: well over 1 s at that pace
	start := time.Now()
	if err := c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, []byte(msg)); err != nil {
		t.Fatalf("SendRaw after %v: %v", time.Since(start), err)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Logf("the server read faster than expected (%v); the test proves less", elapsed)
	}
	if mails, _, _ := b.snapshot(); len(mails) != 1 {
		t.Errorf("%d mails recorded, want 1", len(mails))
	}
}
