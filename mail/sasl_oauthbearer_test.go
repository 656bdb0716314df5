package mail

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-sasl"

	"github.com/advmail/advmail/mail/internal/testca"
)

const testBearer = "ya29.bearer-de-teste"

// testOAuthBearerServer is go-sasl's OAUTHBEARER server accepting user and
// token (it runs RFC 7628's failure exchange: a JSON challenge, then %x01).
func testOAuthBearerServer(user, token string) sasl.Server {
	return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
		if o.Username != user || o.Token != token {
			return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
		}
		return nil
	})
}

func TestSASLOAuthBearerClient(t *testing.T) {
	c, err := newSASLClient(MechOAuthBearer, "user@example.com", "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==")
	if err != nil {
		t.Fatal(err)
	}
	mech, ir, err := c.Start()
	// RFC 7628 section 4.1 (without the optional host and port).
	want := "n,a=user@example.com,\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\x01\x01"
	if mech != MechOAuthBearer || string(ir) != want || err != nil {
		t.Errorf("Start = %q, %q, %v; want %q", mech, ir, err, want)
	}
	if err := runSASL(t, c, testOAuthBearerServer("user@example.com", "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==")); err != nil {
		t.Errorf("good token refused: %v", err)
	}

	// GS2 escaping of the authorization identity (RFC 5801).
	_, ir, _ = (&saslOAuthBearerClient{user: "a,b=c", token: "t"}).Start()
	if !bytes.HasPrefix(ir, []byte("n,a=a=2Cb=3Dc,")) {
		t.Errorf("authzid not escaped: %q", ir)
	}

	// A refused token: the JSON challenge is answered %x01 and kept.
	bad := &saslOAuthBearerClient{user: "u", token: "expired"}
	resp, err := bad.Next([]byte(`{"status":"invalid_token"}`))
	if err != nil || !bytes.Equal(resp, []byte{1}) {
		t.Errorf("Next(error challenge) = %q, %v; want %%x01", resp, err)
	}
	if d := saslDetail(bad); !strings.Contains(d, "invalid_token") || !strings.HasPrefix(d, "OAUTHBEARER") {
		t.Errorf("detail = %q", d)
	}
	if _, err := bad.Next([]byte("again")); err == nil {
		t.Error("a second challenge must be an error")
	}
	if err := runSASL(t, &saslOAuthBearerClient{user: "u", token: "expired"}, testOAuthBearerServer("u", "fresh")); err == nil {
		t.Error("a bad token was accepted")
	}
}

func TestSASLOAuthPreference(t *testing.T) {
	tests := []struct {
		name    string
		offered []string
		cfg     func(*Config)
		want    []string
	}{
		{"both offered: OAUTHBEARER first", []string{"XOAUTH2", "OAUTHBEARER", "PLAIN"}, nil, []string{"OAUTHBEARER", "XOAUTH2"}},
		{"only OAUTHBEARER", []string{"oauthbearer", "PLAIN"}, nil, []string{"OAUTHBEARER"}},
		{"AuthOAuthBearer=0", []string{"XOAUTH2", "OAUTHBEARER"}, func(c *Config) { c.AuthOAuthBearer = false }, []string{"XOAUTH2"}},
		{"AuthXOAuth2=0", []string{"XOAUTH2", "OAUTHBEARER"}, func(c *Config) { c.AuthXOAuth2 = false }, []string{"OAUTHBEARER"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			if got, _ := saslMechanisms(cfg, tt.offered, true); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got, _ := saslMechanisms(DefaultConfig(), []string{"OAUTHBEARER"}, false); len(got) != 0 {
		t.Errorf("a password must never use OAUTHBEARER: %v", got)
	}
	cfg, err := ParseConfig("appserver.ini", []byte("[Mail]\nAuthOAuthBearer=0\n"))
	if err != nil || cfg.AuthOAuthBearer {
		t.Errorf("[Mail] AuthOAuthBearer=0: %v, %v", cfg.AuthOAuthBearer, err)
	}
}

func TestIMAPOAuthBearer(t *testing.T) {
	newServer := func(mechs ...string) func(imapserver.SessionIMAP4rev2) imapserver.Session {
		return func(s imapserver.SessionIMAP4rev2) imapserver.Session {
			return &imapSASLSession{SessionIMAP4rev2: s, mechs: mechs, new: func(mech string) sasl.Server {
				switch mech {
				case MechOAuthBearer:
					return testOAuthBearerServer(imapTestUser, testBearer)
				case MechXOAuth2:
					return &testXOAuth2Server{user: imapTestUser, token: testBearer}
				}
				return nil
			}}
		}
	}
	noBearer := DefaultConfig()
	noBearer.AuthOAuthBearer = false
	tests := []struct {
		name   string
		mechs  []string
		cfg    *Config
		pass   string
		token  TokenFunc
		want   Code
		mech   string
		detail string // in the error
	}{
		{"OAUTHBEARER preferred", []string{"XOAUTH2", "OAUTHBEARER"}, nil, "oauth2:" + testBearer, nil, OK, "OAUTHBEARER", ""},
		{"OAUTHBEARER from the token hook", []string{"OAUTHBEARER"}, nil, "oauth2:",
			func(context.Context, string) (string, error) { return testBearer, nil }, OK, "OAUTHBEARER", ""},
		{"OAUTHBEARER bad token", []string{"OAUTHBEARER"}, nil, "oauth2:expired", nil, ErrAuthFailed, "OAUTHBEARER", "invalid_token"},
		{"AuthOAuthBearer=0 uses XOAUTH2", []string{"XOAUTH2", "OAUTHBEARER"}, noBearer, "oauth2:" + testBearer, nil, OK, "XOAUTH2", ""},
		{"AuthOAuthBearer=0 and no XOAUTH2", []string{"OAUTHBEARER"}, noBearer, "oauth2:" + testBearer, nil, ErrNoAuthMechanism, "", "OAUTHBEARER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startIMAPTestServer(t, imapServerConfig{wrap: newServer(tt.mechs...)})
			trace := &imapTestTrace{}
			c, err := s.dial(t, imapDial{cfg: tt.cfg, pass: tt.pass, token: tt.token, trace: trace})
			imapWantCode(t, "DialIMAP", err, tt.want)
			if c != nil {
				if _, err := c.Select("INBOX"); err != nil {
					t.Fatalf("Select after login: %v", err)
				}
			}
			if err != nil && tt.detail != "" && !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("error %q lacks %q", err, tt.detail)
			}
			tr := trace.String()
			if tt.mech != "" && !strings.Contains(tr, "AUTHENTICATE "+tt.mech) {
				t.Errorf("trace lacks AUTHENTICATE %s:\n%s", tt.mech, tr)
			}
			traceHasNoToken(t, tr, testBearer, "expired")
		})
	}
}

// traceHasNoToken fails when a token appears in the trace, plainly or
// inside a base64 payload.
func traceHasNoToken(t *testing.T, tr string, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if strings.Contains(tr, tok) {
			t.Errorf("the trace contains the token %q:\n%s", tok, tr)
		}
		for _, w := range base64Token.FindAllString(tr, -1) {
			if dec, err := base64.StdEncoding.DecodeString(w); err == nil && bytes.Contains(dec, []byte(tok)) {
				t.Errorf("the trace contains the token %q in base64 (%s):\n%s", tok, w, tr)
			}
		}
	}
}

func TestSMTPOAuthBearer(t *testing.T) {
	ca := testca.New(t)
	backend := func(mechs ...string) *testSMTPBackend {
		b := authBackend(mechs, "bob", testBearer, "bob", "")
		inner := b.newSASL
		b.newSASL = func(s *testSMTPSession, mech string) sasl.Server {
			if mech == MechOAuthBearer {
				return &testSASLDone{srv: testOAuthBearerServer("bob", testBearer), ok: func() { s.user = "bob" }}
			}
			return inner(s, mech)
		}
		return b
	}
	tests := []struct {
		name  string
		mechs []string
		pass  string
		mod   func(*Config)
		want  Code
		mech  string
	}{
		{"OAUTHBEARER preferred", []string{"PLAIN", "XOAUTH2", "OAUTHBEARER"}, "oauth2:" + testBearer, nil, OK, "OAUTHBEARER"},
		{"AuthOAuthBearer=0", []string{"XOAUTH2", "OAUTHBEARER"}, "oauth2:" + testBearer, func(c *Config) { c.AuthOAuthBearer = false }, OK, "XOAUTH2"},
		{"OAUTHBEARER bad token", []string{"OAUTHBEARER"}, "oauth2:expired", nil, ErrAuthFailed, "OAUTHBEARER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := backend(tt.mechs...)
			port := startTestSMTP(t, srvImplicit, ca, b, nil)
			trace := &bytes.Buffer{}
			var mu sync.Mutex
			tr := testSMTPTransport(ca, lockedWriter{&mu, trace}, tt.mod)
			c := dialTestSMTP(t, tr, port, ImplicitTLS, 5*time.Second)
			err := c.Auth(context.Background(), "bob", tt.pass)
			if got := CodeOf(err); got != tt.want {
				t.Fatalf("Auth: code %v (%v), want %v", got, err, tt.want)
			}
			if tt.want == OK {
				if err := c.SendRaw(context.Background(), "a@example.com", []string{"b@example.com"}, []byte(testMsg)); err != nil {
					t.Fatalf("SendRaw after Auth: %v", err)
				}
			} else if !strings.Contains(err.Error(), "invalid_token") {
				t.Errorf("error %q lacks the server's JSON detail", err)
			}
			if _, _, mechs := b.snapshot(); len(mechs) != 1 || mechs[0] != tt.mech {
				t.Errorf("mechanisms tried %v, want [%s]", mechs, tt.mech)
			}
			mu.Lock()
			traceHasNoToken(t, trace.String(), testBearer, "expired")
			mu.Unlock()
		})
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// fakePOP3 is a small POP3 server for the SASL tests: CAPA lists mechs;
// AUTH runs the mechanism's sasl.Server (RFC 5034 framing); USER/PASS,
// STAT and QUIT are enough for a session.
type fakePOP3 struct {
	mechs []string
	user  string
	pass  string // password and token
	mu    sync.Mutex
	used  []string // mechanisms of the AUTH commands received
}

func (f *fakePOP3) start(t *testing.T) Endpoint {
	t.Helper()
	port := startRawServer(t, f.serve)
	return Endpoint{Host: "127.0.0.1", Port: port}
}

func (f *fakePOP3) usedMechs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.used...)
}

func (f *fakePOP3) newServer(mech string) sasl.Server {
	switch mech {
	case MechCRAMMD5:
		return &testCRAMMD5Server{user: f.user, pass: f.pass}
	case MechOAuthBearer:
		return testOAuthBearerServer(f.user, f.pass)
	case MechXOAuth2:
		return &testXOAuth2Server{user: f.user, token: f.pass}
	case MechPlain:
		return sasl.NewPlainServer(func(_, u, p string) error {
			if u != f.user || p != f.pass {
				return errors.New("bad")
			}
			return nil
		})
	}
	return nil
}

func (f *fakePOP3) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	write := func(s string) { fmt.Fprint(c, s+"\r\n") }
	read := func() (string, bool) {
		line, err := br.ReadString('\n')
		return strings.TrimRight(line, "\r\n"), err == nil
	}
	write("+OK fake POP3 ready")
	for {
		line, ok := read()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "CAPA":
			write("+OK\r\nUSER\r\nSASL " + strings.Join(f.mechs, " ") + "\r\n.")
		case "AUTH":
			mech, ir, hasIR := strings.Cut(arg, " ")
			f.mu.Lock()
			f.used = append(f.used, mech)
			f.mu.Unlock()
			write(f.auth(mech, ir, hasIR, read, write))
		case "USER":
			write("+OK")
		case "PASS":
			if arg == f.pass {
				write("+OK logged in")
			} else {
				write("-ERR [AUTH] bad password")
			}
		case "STAT":
			write("+OK 0 0")
		case "QUIT":
			write("+OK bye")
			return
		default:
			write("-ERR unknown command")
		}
	}
}

// auth runs one AUTH exchange and returns the final status line.
func (f *fakePOP3) auth(mech, ir string, hasIR bool, read func() (string, bool), write func(string)) string {
	srv := f.newServer(strings.ToUpper(mech))
	if srv == nil {
		return "-ERR [AUTH] unsupported mechanism"
	}
	var resp []byte
	if hasIR && ir != "=" {
		var err error
		if resp, err = base64.StdEncoding.DecodeString(ir); err != nil {
			return "-ERR bad base64"
		}
	} else if hasIR {
		resp = []byte{}
	}
	for i := 0; i < 5; i++ {
		ch, done, err := srv.Next(resp)
		if err != nil {
			return "-ERR [AUTH] authentication failed"
		}
		if done {
			return "+OK logged in"
		}
		write("+ " + base64.StdEncoding.EncodeToString(ch))
		line, ok := read()
		if !ok || line == "*" {
			return "-ERR [AUTH] cancelled"
		}
		if resp, err = base64.StdEncoding.DecodeString(line); err != nil {
			return "-ERR bad base64"
		}
	}
	return "-ERR too many steps"
}

func TestPOP3SASLMechanisms(t *testing.T) {
	const pass = "s3nha-pop"
	tests := []struct {
		name   string
		mechs  []string
		secret string // the server's password or token
		pass   string
		token  TokenFunc
		mod    func(*Config)
		want   Code
		used   []string
	}{
		{"CRAM-MD5 preferred", []string{"PLAIN", "CRAM-MD5"}, pass, pass, nil, nil, OK, []string{"CRAM-MD5"}},
		{"CRAM-MD5 wrong password", []string{"CRAM-MD5"}, pass, "errada", nil, nil, ErrAuthFailed, []string{"CRAM-MD5"}},
		{"AuthCramMD5=0 uses PLAIN", []string{"PLAIN", "CRAM-MD5"}, pass, pass, nil, func(c *Config) { c.AuthCramMD5 = false }, OK, []string{"PLAIN"}},
		{"AuthCramMD5=0 and AuthPlain=0 use USER", []string{"PLAIN", "CRAM-MD5"}, pass, pass, nil,
			func(c *Config) { c.AuthCramMD5, c.AuthPlain = false, false }, OK, nil},
		{"OAUTHBEARER preferred", []string{"XOAUTH2", "OAUTHBEARER"}, testBearer, "oauth2:" + testBearer, nil, nil, OK, []string{"OAUTHBEARER"}},
		{"OAUTHBEARER from the token hook", []string{"OAUTHBEARER"}, testBearer, "oauth2:",
			func(context.Context, string) (string, error) { return testBearer, nil }, nil, OK, []string{"OAUTHBEARER"}},
		{"OAUTHBEARER bad token", []string{"OAUTHBEARER"}, testBearer, "oauth2:expired", nil, nil, ErrAuthFailed, []string{"OAUTHBEARER"}},
		{"AuthOAuthBearer=0 uses XOAUTH2", []string{"XOAUTH2", "OAUTHBEARER"}, testBearer, "oauth2:" + testBearer, nil,
			func(c *Config) { c.AuthOAuthBearer = false }, OK, []string{"XOAUTH2"}},
		{"no token mechanism", []string{"PLAIN"}, testBearer, "oauth2:" + testBearer, nil, nil, ErrNoAuthMechanism, nil},
		{"oauth2: without a token source", []string{"OAUTHBEARER"}, testBearer, "oauth2:", nil, nil, ErrInvalidArgument, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePOP3{mechs: tt.mechs, user: "fulano", pass: tt.secret}
			ep := f.start(t)
			cfg := DefaultConfig()
			if tt.mod != nil {
				tt.mod(cfg)
			}
			var trace bytes.Buffer
			var mu sync.Mutex
			tr := &Transport{Config: cfg, Token: tt.token, Trace: lockedWriter{&mu, &trace}}
			c, err := DialPOP3(context.Background(), tr, POP3Options{Endpoint: ep, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatalf("DialPOP3: %v", err)
			}
			defer c.Close()
			err = c.Login("fulano", tt.pass)
			if got := CodeOf(err); got != tt.want {
				t.Fatalf("Login: code %v (%v), want %v", got, err, tt.want)
			}
			if tt.want == OK {
				if _, _, err := c.Stat(); err != nil {
					t.Fatalf("Stat after Login: %v", err)
				}
			}
			if tt.name == "OAUTHBEARER bad token" && !strings.Contains(err.Error(), "invalid_token") {
				t.Errorf("error %q lacks the server's JSON detail", err)
			}
			if got := f.usedMechs(); !reflect.DeepEqual(got, tt.used) {
				t.Errorf("AUTH mechanisms used %v, want %v", got, tt.used)
			}
			mu.Lock()
			tr2 := trace.String()
			mu.Unlock()
			traceHasNoToken(t, tr2, testBearer, "expired", pass)
		})
	}
}

// The trace writer hides an OAUTHBEARER exchange like XOAUTH2's: the
// initial response, the JSON challenge and the %x01 answer.
func TestTraceRedactsOAuthBearer(t *testing.T) {
	ir := base64.StdEncoding.EncodeToString([]byte("n,a=bob,\x01auth=Bearer " + testBearer + "\x01\x01"))
	lines := []string{
		"C: AUTH OAUTHBEARER " + ir,
		"S: + eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=",
		"C: AQ==",
		"S: -ERR [AUTH] authentication failed",
		"C: STAT",
	}
	var out bytes.Buffer
	tw := NewTraceWriter(&out, POP3)
	for _, l := range lines {
		tw.Write([]byte(l + "\r\n"))
	}
	got := out.String()
	traceHasNoToken(t, got, testBearer)
	for _, want := range []string{"AUTH OAUTHBEARER [redacted]", "-ERR [AUTH] authentication failed", "C: STAT"} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "AQ==") || strings.Contains(got, "eyJzdGF0dXMi") {
		t.Errorf("the exchange is not hidden:\n%s", got)
	}
}
