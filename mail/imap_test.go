package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"

	"github.com/advmail/advmail/mail/internal/testca"
)

const (
	imapTestUser = "fulano"
	imapTestPass = "s3nha-secreta"
)

// Capability sets of the test servers.
var (
	// imapCapsFull has every extension the client uses.
	imapCapsFull = imap.CapSet{
		imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapMove: {}, imap.CapNamespace: {},
		imap.CapListExtended: {}, imap.CapListStatus: {}, imap.CapLiteralPlus: {},
	}
	// imapCapsNoMove lacks MOVE and LIST-STATUS: Move falls back to UID
	// COPY + UID STORE + UID EXPUNGE, Folders to LIST + STATUS per folder.
	imapCapsNoMove = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapListExtended: {}}
	// imapCapsBare is plain IMAP4rev1: no MOVE, no UIDPLUS, no LIST-EXTENDED.
	imapCapsBare = imap.CapSet{imap.CapIMAP4rev1: {}}
	// imapCapsRev2 is IMAP4rev2 only (UTF-8 folder names on the wire).
	imapCapsRev2 = imap.CapSet{imap.CapIMAP4rev2: {}}
)

// imapTestServer is an in-process go-imap server backed by imapmemserver,
// with one user (imapTestUser/imapTestPass) and an INBOX.
type imapTestServer struct {
	Host string
	Port int
	User *imapmemserver.User
	Pool *x509.CertPool // trusts the server certificate (TLS modes)
	Sec  Security       // what the server speaks on its port
}

type imapServerConfig struct {
	caps imap.CapSet // nil: imapCapsFull
	// sec: Plain (passwords allowed in clear), StartTLS (STARTTLS offered,
	// passwords only after it) or ImplicitTLS (TLS listener).
	sec Security
	// noInsecureAuth refuses passwords on a plain connection (LOGINDISABLED).
	noInsecureAuth bool
	// wrap decorates each session (SASL mechanisms, slow commands).
	wrap func(imapserver.SessionIMAP4rev2) imapserver.Session
}

func startIMAPTestServer(t testing.TB, cfg imapServerConfig) *imapTestServer {
	t.Helper()
	caps := cfg.caps
	if caps == nil {
		caps = imapCapsFull
	}
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(imapTestUser, imapTestPass)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			sess := mem.NewSession().(imapserver.SessionIMAP4rev2)
			if cfg.wrap != nil {
				return cfg.wrap(sess), nil, nil
			}
			return sess, nil, nil
		},
		Caps:         caps,
		InsecureAuth: cfg.sec == Plain && !cfg.noInsecureAuth,
		Logger:       log.New(io.Discard, "", 0),
	}
	s := &imapTestServer{Host: "127.0.0.1", User: user, Sec: cfg.sec}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.sec != Plain {
		ca := testca.New(t)
		s.Pool = ca.Pool
		if cfg.sec == StartTLS {
			opts.TLSConfig = ca.Server
		} else {
			ln = tls.NewListener(ln, ca.Server) // imapserver sees *tls.Conn: encrypted
		}
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	srv := imapserver.New(opts)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Endpoint returns where to connect, in the server's security mode.
func (s *imapTestServer) Endpoint() Endpoint {
	return Endpoint{Host: s.Host, Port: s.Port, Security: s.Sec}
}

// Add stores messages straight into the server's folder.
func (s *imapTestServer) Add(t testing.TB, folder string, flags []imap.Flag, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		if _, err := s.User.Append(folder, bytes.NewReader([]byte(m)), &imap.AppendOptions{Flags: flags}); err != nil {
			t.Fatalf("seed %s: %v", folder, err)
		}
	}
}

// imapTestMsg is what an independent client sees of a message.
type imapTestMsg struct {
	UID     uint32
	Subject string
	Flags   []imap.Flag
}

func (m imapTestMsg) has(f imap.Flag) bool {
	for _, g := range m.Flags {
		if strings.EqualFold(string(g), string(f)) {
			return true
		}
	}
	return false
}

// Observe lists folder's messages through a separate go-imap client, with
// EXAMINE so that nothing changes (plain servers only).
func (s *imapTestServer) Observe(t testing.TB, folder string) []imapTestMsg {
	t.Helper()
	c, err := imapclient.DialInsecure(fmt.Sprintf("%s:%d", s.Host, s.Port), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(imapTestUser, imapTestPass).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("observe %s: %v", folder, err)
	}
	var out []imapTestMsg
	if sel.NumMessages > 0 {
		msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true, Envelope: true}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			out = append(out, imapTestMsg{UID: uint32(m.UID), Subject: m.Envelope.Subject, Flags: m.Flags})
		}
	}
	c.Logout().Wait()
	return out
}

func imapSubjects(msgs []imapTestMsg) []string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Subject)
	}
	return s
}

// imapTestMessage is a small message with the given subject.
func imapTestMessage(n int, subject string) string {
	return fmt.Sprintf("From: Remetente <rem@example.com>\r\nTo: fulano@example.com\r\nSubject: %s\r\n"+
		"Message-ID: <%d@example.com>\r\nDate: Mon, 02 Jan 2006 15:04:05 -0700\r\n\r\nCorpo %d\r\n", subject, n, n)
}

// imapTestTrace collects a session trace.
type imapTestTrace struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *imapTestTrace) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *imapTestTrace) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// commands counts the client commands named verb (with or without UID) in the trace.
func (w *imapTestTrace) commands(verb string) int {
	re := regexp.MustCompile(`(?m)^imap: [A-Z]+[0-9]+ (?:UID )?` + verb + `(?: |\r?$)`)
	return len(re.FindAllStringIndex(w.String(), -1))
}

type imapDial struct {
	cfg     *Config
	ctx     context.Context
	user    string
	pass    string
	timeout time.Duration
	noCA    bool // do not trust the server's CA
	token   TokenFunc
	trace   *imapTestTrace
	sec     *Security    // override the server's mode
	turns   *turnCounter // counts the round trips (turns_test.go)
}

// dial connects to s; it returns the client (nil on error) and the error.
func (s *imapTestServer) dial(t testing.TB, d imapDial) (*IMAPClient, error) {
	t.Helper()
	if d.cfg == nil {
		d.cfg = DefaultConfig()
	}
	if d.ctx == nil {
		d.ctx = context.Background()
	}
	if d.user == "" {
		d.user = imapTestUser
	}
	if d.pass == "" {
		d.pass = imapTestPass
	}
	if d.timeout == 0 {
		d.timeout = 10 * time.Second
	}
	tr := &Transport{Config: d.cfg, Token: d.token}
	if !d.noCA {
		tr.RootCAs = s.Pool
	}
	if d.trace != nil {
		tr.Trace = d.trace
	}
	if d.turns != nil {
		tr.Dial = d.turns.dial
	}
	ep := s.Endpoint()
	if d.sec != nil {
		ep.Security = *d.sec
	}
	c, err := DialIMAP(d.ctx, tr, IMAPOptions{Endpoint: ep, Timeout: d.timeout}, d.user, d.pass)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// mustDial connects to s or fails the test.
func (s *imapTestServer) mustDial(t testing.TB, d imapDial) *IMAPClient {
	t.Helper()
	c, err := s.dial(t, d)
	if err != nil {
		t.Fatalf("DialIMAP: %v", err)
	}
	return c
}

// imapWantCode fails unless err has code want.
func imapWantCode(t testing.TB, what string, err error, want Code) {
	t.Helper()
	if got := CodeOf(err); got != want {
		t.Fatalf("%s: code %d (%v), want %d (%v); err = %v", what, got, got, want, want, err)
	}
	if want != OK {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: %T is not a *mail.Error", what, err)
		}
	}
}

// imapSASLSession adds SASL mechanisms to a session: on success it logs the
// inner session in as the test user.
type imapSASLSession struct {
	imapserver.SessionIMAP4rev2
	mechs []string
	new   func(mech string) sasl.Server
}

func (s *imapSASLSession) AuthenticateMechanisms() []string { return s.mechs }

func (s *imapSASLSession) Authenticate(mech string) (sasl.Server, error) {
	srv := s.new(mech)
	if srv == nil {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "unsupported mechanism"}
	}
	return &imapSASLThenLogin{srv, s.SessionIMAP4rev2}, nil
}

type imapSASLThenLogin struct {
	sasl.Server
	sess imapserver.Session
}

func (a *imapSASLThenLogin) Next(resp []byte) ([]byte, bool, error) {
	ch, done, err := a.Server.Next(resp)
	if err != nil {
		return nil, false, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: err.Error()}
	}
	if done {
		if err := a.sess.Login(imapTestUser, imapTestPass); err != nil {
			return nil, false, err
		}
	}
	return ch, done, nil
}

func TestIMAPLogin(t *testing.T) {
	noPlain := DefaultConfig()
	noPlain.AuthPlain = false
	tests := []struct {
		name     string
		cfg      *Config
		pass     string // "" = the right one
		userPass string // the server's password, when not the default
		want     Code
		wantLine string // a trace line that must appear
	}{
		{"plain mechanism", nil, "", "", OK, "AUTHENTICATE PLAIN [redacted]"},
		{"LOGIN command", noPlain, "", "", OK, "LOGIN [redacted]"},
		{"LOGIN with a literal password", noPlain, "sênha çom acentos", "sênha çom acentos", OK, "LOGIN [redacted]"},
		{"wrong password", nil, "wrong-password", "", ErrAuthFailed, "AUTHENTICATE PLAIN [redacted]"},
		{"wrong password, LOGIN", noPlain, "wrong-password", "", ErrAuthFailed, "LOGIN [redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *imapTestServer
			if tt.userPass != "" {
				s = startIMAPTestServerUser(t, tt.userPass)
			} else {
				s = startIMAPTestServer(t, imapServerConfig{})
			}
			trace := &imapTestTrace{}
			c, err := s.dial(t, imapDial{cfg: tt.cfg, pass: tt.pass, trace: trace})
			imapWantCode(t, "DialIMAP", err, tt.want)
			if tt.want == ErrAuthFailed {
				e := err.(*Error)
				if !strings.Contains(e.Reply, "NO") || !strings.Contains(strings.ToLower(e.Reply), "authentication failed") {
					t.Errorf("Reply = %q, want the server's NO text", e.Reply)
				}
			}
			if tt.want == OK {
				if n, err := c.Select("INBOX"); err != nil || n != 0 {
					t.Fatalf("Select after login = %d, %v", n, err)
				}
				if err := c.Logout(); err != nil {
					t.Fatalf("Logout: %v", err)
				}
			}
			tr := trace.String()
			for _, secret := range []string{imapTestPass, tt.pass, "s3nha", "sênha"} {
				if secret != "" && strings.Contains(tr, secret) {
					t.Errorf("the trace contains the password %q:\n%s", secret, tr)
				}
			}
			if !strings.Contains(tr, tt.wantLine) {
				t.Errorf("trace lacks %q:\n%s", tt.wantLine, tr)
			}
		})
	}
}

// startIMAPTestServerUser is a plain server whose user has password pass.
func startIMAPTestServerUser(t testing.TB, pass string) *imapTestServer {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(imapTestUser, pass)
	user.Create("INBOX", nil)
	mem.AddUser(user)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imapCapsFull,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &imapTestServer{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, User: user}
}

func TestIMAPSASLMechanisms(t *testing.T) {
	const token = "ya29.token-de-teste"
	sasl := func(mechs ...string) func(imapserver.SessionIMAP4rev2) imapserver.Session {
		return func(s imapserver.SessionIMAP4rev2) imapserver.Session {
			return &imapSASLSession{SessionIMAP4rev2: s, mechs: mechs, new: func(mech string) sasl.Server {
				switch mech {
				case MechCRAMMD5:
					return &testCRAMMD5Server{user: imapTestUser, pass: imapTestPass}
				case MechXOAuth2:
					return &testXOAuth2Server{user: imapTestUser, token: token}
				case MechNTLM:
					return &testNTLMServer{user: imapTestUser, domain: "EXAMPLE"}
				case MechPlain:
					return sasl.NewPlainServer(func(_, u, p string) error {
						if u != imapTestUser || p != imapTestPass {
							return errors.New("bad credentials")
						}
						return nil
					})
				}
				return nil
			}}
		}
	}
	tests := []struct {
		name  string
		mechs []string
		user  string
		pass  string
		token TokenFunc
		want  Code
		mech  string // AUTHENTICATE mechanism expected in the trace
	}{
		{"CRAM-MD5 preferred", []string{"PLAIN", "CRAM-MD5"}, "", "", nil, OK, "CRAM-MD5"},
		{"CRAM-MD5 wrong password", []string{"CRAM-MD5"}, "", "errada", nil, ErrAuthFailed, "CRAM-MD5"},
		{"NTLM before PLAIN", []string{"PLAIN", "NTLM"}, `EXAMPLE\` + imapTestUser, "", nil, OK, "NTLM"},
		{"XOAUTH2 token", []string{"PLAIN", "XOAUTH2"}, "", "oauth2:" + token, nil, OK, "XOAUTH2"},
		{"XOAUTH2 from the token source", []string{"XOAUTH2"}, "", "oauth2:",
			func(ctx context.Context, user string) (string, error) { return token, nil }, OK, "XOAUTH2"},
		{"XOAUTH2 bad token", []string{"XOAUTH2"}, "", "oauth2:expired", nil, ErrAuthFailed, "XOAUTH2"},
		{"XOAUTH2 not offered", []string{"PLAIN"}, "", "oauth2:" + token, nil, ErrNoAuthMechanism, ""},
		{"oauth2: without a token source", []string{"XOAUTH2"}, "", "oauth2:", nil, ErrInvalidArgument, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startIMAPTestServer(t, imapServerConfig{wrap: sasl(tt.mechs...)})
			trace := &imapTestTrace{}
			c, err := s.dial(t, imapDial{user: tt.user, pass: tt.pass, token: tt.token, trace: trace})
			imapWantCode(t, "DialIMAP", err, tt.want)
			if c != nil {
				if _, err := c.Select("INBOX"); err != nil {
					t.Fatalf("Select: %v", err)
				}
			}
			tr := trace.String()
			if tt.mech != "" && !strings.Contains(tr, "AUTHENTICATE "+tt.mech) {
				t.Errorf("trace lacks AUTHENTICATE %s:\n%s", tt.mech, tr)
			}
			for _, secret := range []string{imapTestPass, token, "expired"} {
				if strings.Contains(tr, secret) {
					t.Errorf("the trace contains the secret %q:\n%s", secret, tr)
				}
			}
		})
	}
}

func TestIMAPSecurity(t *testing.T) {
	plain, starttls := Plain, StartTLS
	tests := []struct {
		name   string
		server imapServerConfig
		sec    *Security // client mode when not the server's
		noCA   bool
		want   Code
	}{
		{"plain", imapServerConfig{sec: Plain}, nil, false, OK},
		{"STARTTLS", imapServerConfig{sec: StartTLS}, nil, false, OK},
		{"implicit TLS", imapServerConfig{sec: ImplicitTLS}, nil, false, OK},
		{"STARTTLS, untrusted certificate", imapServerConfig{sec: StartTLS}, nil, true, ErrCertUntrusted},
		{"implicit TLS, untrusted certificate", imapServerConfig{sec: ImplicitTLS}, nil, true, ErrCertUntrusted},
		{"STARTTLS not offered", imapServerConfig{sec: Plain}, &starttls, false, ErrStartTLSNotOffered},
		{"implicit TLS against a plain port", imapServerConfig{sec: Plain}, func() *Security { s := ImplicitTLS; return &s }(), false, ErrTLSHandshake},
		{"password refused in clear (LOGINDISABLED)", imapServerConfig{sec: Plain, noInsecureAuth: true}, &plain, false, ErrCleartextRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startIMAPTestServer(t, tt.server)
			trace := &imapTestTrace{}
			c, err := s.dial(t, imapDial{sec: tt.sec, noCA: tt.noCA, trace: trace, timeout: 5 * time.Second})
			imapWantCode(t, "DialIMAP", err, tt.want)
			tr := trace.String()
			if tt.want != OK {
				if strings.Contains(tr, " LOGIN ") || strings.Contains(tr, " AUTHENTICATE ") {
					t.Errorf("credentials were sent although the connection failed:\n%s", tr)
				}
				return
			}
			if n, err := c.Select("INBOX"); err != nil || n != 0 {
				t.Fatalf("Select = %d, %v", n, err)
			}
			if tt.server.sec == StartTLS && !strings.Contains(tr, "A1 STARTTLS") {
				t.Errorf("trace lacks STARTTLS:\n%s", tr)
			}
			if err := c.Logout(); err != nil {
				t.Fatalf("Logout: %v", err)
			}
		})
	}
}

// imapServerTests are the server flavours the folder tests run against.
var imapServerTests = []struct {
	name string
	caps imap.CapSet
}{
	{"IMAP4rev1 full", imapCapsFull},
	{"IMAP4rev1 no MOVE, no LIST-STATUS", imapCapsNoMove},
	{"IMAP4rev1 bare", imapCapsBare},
	{"IMAP4rev2", imapCapsRev2},
}

func TestIMAPFolderOps(t *testing.T) {
	const (
		accented = "Relatórios/Notas Fiscais"
		renamed  = "Relatórios/Notas Emitidas"
	)
	for _, st := range imapServerTests {
		t.Run(st.name, func(t *testing.T) {
			s := startIMAPTestServer(t, imapServerConfig{caps: st.caps})
			trace := &imapTestTrace{}
			c := s.mustDial(t, imapDial{trace: trace})

			if err := c.Create(accented); err != nil {
				t.Fatalf("Create: %v", err)
			}
			imapWantCode(t, "Create again", c.Create(accented), ErrCommandFailed)
			if !st.caps.Has(imap.CapIMAP4rev2) && !strings.Contains(trace.String(), "Relat&APM-rios/Notas Fiscais") {
				t.Errorf("the folder name did not travel in modified UTF-7:\n%s", trace.String())
			}
			folders, err := c.Folders(false)
			if err != nil {
				t.Fatalf("Folders: %v", err)
			}
			if !imapHasFolder(folders, accented) || !imapHasFolder(folders, "INBOX") {
				t.Fatalf("Folders = %+v, want INBOX and %q", folders, accented)
			}
			s.Add(t, accented, nil, imapTestMessage(1, "nota"))
			if n, err := c.Select(accented); err != nil || n != 1 || c.Folder() != accented {
				t.Fatalf("Select = %d, %v, Folder %q", n, err, c.Folder())
			}

			if err := c.Subscribe(accented, true); err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			subs, err := c.Folders(true)
			if err != nil {
				t.Fatalf("Folders(subscribed): %v", err)
			}
			if len(subs) != 1 || subs[0].Name != accented || !subs[0].Subscribed || subs[0].Total != 1 {
				t.Fatalf("subscribed folders = %+v, want only %q with 1 message", subs, accented)
			}
			if err := c.Subscribe(accented, false); err != nil {
				t.Fatalf("Unsubscribe: %v", err)
			}
			if subs, err := c.Folders(true); err != nil || len(subs) != 0 {
				t.Fatalf("subscribed folders after unsubscribe = %+v, %v", subs, err)
			}

			// Renaming the selected folder follows it.
			if err := c.Rename(accented, renamed); err != nil {
				t.Fatalf("Rename: %v", err)
			}
			if c.Folder() != renamed {
				t.Errorf("Folder after renaming the selected folder = %q, want %q", c.Folder(), renamed)
			}
			imapWantCode(t, "Select old name", func() error { _, err := c.Select(accented); return err }(), ErrNoSuchFolder)
			if _, err := c.Select(renamed); err != nil {
				t.Fatalf("Select renamed: %v", err)
			}
			// Deleting the selected folder leaves it first.
			if err := c.Delete(renamed); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if c.Folder() != "" {
				t.Errorf("Folder after deleting it = %q", c.Folder())
			}
			imapWantCode(t, "Delete missing", c.Delete(renamed), ErrNoSuchFolder)
			imapWantCode(t, "Rename missing", c.Rename(renamed, "x"), ErrNoSuchFolder)
			imapWantCode(t, "Create empty", c.Create(""), ErrInvalidArgument)
			imapWantCode(t, "Create CRLF", c.Create("a\r\nb"), ErrInvalidArgument)
			folders, err = c.Folders(false)
			if err != nil || imapHasFolder(folders, renamed) || imapHasFolder(folders, accented) {
				t.Fatalf("Folders after delete = %+v, %v", folders, err)
			}
			if err := c.Logout(); err != nil {
				t.Fatalf("Logout: %v", err)
			}
			imapWantCode(t, "Select after Logout", func() error { _, err := c.Select("INBOX"); return err }(), ErrNoConnection)
		})
	}
}

func imapHasFolder(fs []FolderInfo, name string) bool {
	for _, f := range fs {
		if f.Name == name {
			return true
		}
	}
	return false
}

func imapFolder(fs []FolderInfo, name string) (FolderInfo, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return FolderInfo{}, false
}

func TestIMAPFoldersCounts(t *testing.T) {
	for _, st := range imapServerTests {
		t.Run(st.name, func(t *testing.T) {
			s := startIMAPTestServer(t, imapServerConfig{caps: st.caps})
			for _, f := range []string{"Arquivo", "Vazia"} {
				if err := s.User.Create(f, nil); err != nil {
					t.Fatal(err)
				}
			}
			s.User.Subscribe("Arquivo")
			s.Add(t, "INBOX", nil, imapTestMessage(1, "a"), imapTestMessage(2, "b"), imapTestMessage(3, "c"))
			s.Add(t, "INBOX", []imap.Flag{imap.FlagSeen}, imapTestMessage(4, "d"))
			s.Add(t, "Arquivo", []imap.Flag{imap.FlagSeen}, imapTestMessage(5, "e"), imapTestMessage(6, "f"))
			s.Add(t, "Arquivo", nil, imapTestMessage(7, "g"))

			trace := &imapTestTrace{}
			c := s.mustDial(t, imapDial{trace: trace})
			folders, err := c.Folders(false)
			if err != nil {
				t.Fatalf("Folders: %v", err)
			}
			want := map[string][3]int{"INBOX": {4, 1, 3}, "Arquivo": {3, 2, 1}, "Vazia": {0, 0, 0}}
			if len(folders) != len(want) {
				t.Fatalf("Folders = %+v, want %d folders", folders, len(want))
			}
			for name, w := range want {
				f, ok := imapFolder(folders, name)
				if !ok || [3]int{f.Total, f.Seen, f.Unseen} != w {
					t.Errorf("%s: %+v, want total/seen/unseen %v", name, f, w)
				}
			}
			listStatus := st.caps.Has(imap.CapListStatus)
			if got := trace.commands("LIST"); got != 1 {
				t.Errorf("%d LIST commands, want 1; trace:\n%s", got, trace)
			}
			wantStatus := len(want)
			if listStatus {
				wantStatus = 0
			}
			if got := trace.commands("STATUS"); got != wantStatus {
				t.Errorf("%d STATUS commands, want %d (LIST-STATUS %v):\n%s", got, wantStatus, listStatus, trace.String())
			}

			subs, err := c.Folders(true)
			if err != nil {
				t.Fatalf("Folders(true): %v", err)
			}
			if len(subs) != 1 || subs[0].Name != "Arquivo" || !subs[0].Subscribed || subs[0].Total != 3 || subs[0].Unseen != 1 {
				t.Fatalf("subscribed = %+v, want Arquivo 3/1", subs)
			}
			if !st.caps.Has(imap.CapListExtended) && !st.caps.Has(imap.CapIMAP4rev2) && !strings.Contains(trace.String(), "sent as LSUB") {
				t.Errorf("without LIST-EXTENDED the subscribed list must come from LSUB:\n%s", trace.String())
			}
			// The session still works after the LSUB shim.
			if n, err := c.Count(); err != nil || n != 4 {
				t.Fatalf("Count = %d, %v", n, err)
			}
		})
	}
}

func TestIMAPFetch(t *testing.T) {
	raw := "From: =?ISO-8859-1?Q?Jo=E3o?= <joao@example.com>\r\nTo: fulano@example.com\r\n" +
		"Subject: exato\r\n\r\nlinha 1\r\nlinha 2 com acentuação\r\n"
	for _, uid := range []bool{false, true} {
		t.Run(fmt.Sprintf("uid=%v", uid), func(t *testing.T) {
			s := startIMAPTestServer(t, imapServerConfig{})
			s.Add(t, "INBOX", nil, imapTestMessage(1, "outra"), raw)
			c := s.mustDial(t, imapDial{})
			id, missing := uint32(2), uint32(3)
			if uid {
				id = s.Observe(t, "INBOX")[1].UID
				missing = id + 100
			}
			got, err := c.Fetch(id, uid)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if string(got) != raw {
				t.Fatalf("Fetch = %q, want %q", got, raw)
			}
			if c.Folder() != "INBOX" {
				t.Errorf("Fetch did not select INBOX: Folder() = %q", c.Folder())
			}
			for _, m := range s.Observe(t, "INBOX") {
				if m.has(imap.FlagSeen) {
					t.Errorf("message %d got \\Seen from Fetch", m.UID)
				}
			}
			_, err = c.Fetch(missing, uid)
			imapWantCode(t, "Fetch missing", err, ErrNoSuchMessage)
			_, err = c.Fetch(0, uid)
			imapWantCode(t, "Fetch 0", err, ErrInvalidArgument)
		})
	}
}

func TestIMAPFetchHeader(t *testing.T) {
	raw := "Received: from a\r\n\tby b\r\n" +
		"From: =?ISO-8859-1?Q?Jo=E3o_da_Silva?= <joao@example.com>\r\n" +
		"Subject: =?ISO-8859-1?Q?Relat=F3rio_de_vendas_=E0_vista?=\r\n" +
		"X-Raw: caf\xe9\r\n" +
		"X-Long: primeira parte\r\n segunda parte\r\n" +
		"\r\ncorpo\r\n"
	for _, uid := range []bool{false, true} {
		t.Run(fmt.Sprintf("uid=%v", uid), func(t *testing.T) {
			s := startIMAPTestServer(t, imapServerConfig{})
			s.Add(t, "INBOX", nil, raw)
			c := s.mustDial(t, imapDial{})
			id := uint32(1)
			if uid {
				id = s.Observe(t, "INBOX")[0].UID
			}
			hdr, err := c.FetchHeader(id, uid)
			if err != nil {
				t.Fatalf("FetchHeader: %v", err)
			}
			want := []Header{
				{"Received", "from a\tby b"},
				{"From", "João da Silva <joao@example.com>"},
				{"Subject", "Relatório de vendas à vista"},
				{"X-Raw", "café"},
				{"X-Long", "primeira parte segunda parte"},
			}
			if fmt.Sprint(hdr) != fmt.Sprint(want) {
				t.Fatalf("FetchHeader =\n%q\nwant\n%q", hdr, want)
			}
			_, err = c.FetchHeader(id+50, uid)
			imapWantCode(t, "FetchHeader missing", err, ErrNoSuchMessage)
		})
	}
}

func TestIMAPFetchStructure(t *testing.T) {
	raw := "From: a@example.com\r\nSubject: anexo\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"externo\"\r\n\r\n" +
		"--externo\r\nContent-Type: multipart/alternative; boundary=\"interno\"\r\n\r\n" +
		"--interno\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nol=E1\r\n" +
		"--interno\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>olá</p>\r\n" +
		"--interno--\r\n" +
		"--externo\r\nContent-Type: application/pdf; name=\"relatorio.pdf\"\r\n" +
		"Content-Disposition: attachment; filename*=utf-8''relat%C3%B3rio%20final.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\nContent-ID: <anexo1@example.com>\r\n\r\nJVBERi0xLjQK\r\n" +
		"--externo--\r\n"
	for _, uid := range []bool{false, true} {
		t.Run(fmt.Sprintf("uid=%v", uid), func(t *testing.T) {
			s := startIMAPTestServer(t, imapServerConfig{})
			s.Add(t, "INBOX", nil, imapTestMessage(1, "simples"), raw)
			c := s.mustDial(t, imapDial{})
			id := uint32(2)
			if uid {
				id = s.Observe(t, "INBOX")[1].UID
			}
			parts, err := c.FetchStructure(id, uid)
			if err != nil {
				t.Fatalf("FetchStructure: %v", err)
			}
			if len(parts) != 3 {
				t.Fatalf("parts = %+v, want 3", parts)
			}
			want := []BodyPart{
				{Section: "1.1", ContentType: "text/plain", Charset: "iso-8859-1", Encoding: "quoted-printable"},
				{Section: "1.2", ContentType: "text/html", Charset: "utf-8", Encoding: "7bit"},
				{Section: "2", ContentType: "application/pdf", Encoding: "base64", Disposition: "attachment",
					FileName: "relatório final.pdf", ContentID: "anexo1@example.com"},
			}
			for i, w := range want {
				p := parts[i]
				p.Size = 0
				if p != w {
					t.Errorf("part %d = %+v, want %+v", i, parts[i], w)
				}
			}
			if parts[2].Size != int64(len("JVBERi0xLjQK\r\n")) && parts[2].Size != int64(len("JVBERi0xLjQK")) {
				t.Errorf("attachment size = %d", parts[2].Size)
			}
			// A single-part message is section 1.
			one := uint32(1)
			if uid {
				one = s.Observe(t, "INBOX")[0].UID
			}
			parts, err = c.FetchStructure(one, uid)
			if err != nil || len(parts) != 1 || parts[0].Section != "1" || parts[0].ContentType != "text/plain" {
				t.Fatalf("single part = %+v, %v", parts, err)
			}
		})
	}
}

func TestIMAPFetchAllHeaders(t *testing.T) {
	s := startIMAPTestServer(t, imapServerConfig{})
	if err := s.User.Create("Lote", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.User.Create("Vazia", nil); err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := 1; i <= n; i++ {
		s.Add(t, "Lote", nil, imapTestMessage(i, fmt.Sprintf("=?ISO-8859-1?Q?Mensagem_n=BA_%d?=", i)))
	}
	trace := &imapTestTrace{}
	c := s.mustDial(t, imapDial{trace: trace})
	observed := s.Observe(t, "Lote")

	var rows []HeaderRow
	err := c.FetchAllHeaders("Lote", []string{"Subject", "from", "X-Ausente"}, func(r HeaderRow) { rows = append(rows, r) })
	if err != nil {
		t.Fatalf("FetchAllHeaders: %v", err)
	}
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	for i, r := range rows {
		want := []Header{{"Subject", fmt.Sprintf("Mensagem nº %d", i+1)}, {"from", "Remetente <rem@example.com>"}, {"X-Ausente", ""}}
		if r.SeqNum != uint32(i+1) || r.UID != observed[i].UID || fmt.Sprint(r.Headers) != fmt.Sprint(want) {
			t.Fatalf("row %d = %+v, want seq %d uid %d %q", i, r, i+1, observed[i].UID, want)
		}
	}
	if got := trace.commands("FETCH"); got != 1 {
		t.Errorf("%d FETCH commands, want 1:\n%s", got, trace.String())
	}
	if c.Folder() != "Lote" {
		t.Errorf("Folder() = %q, want Lote", c.Folder())
	}
	for _, m := range s.Observe(t, "Lote") {
		if m.has(imap.FlagSeen) {
			t.Fatalf("FetchAllHeaders set \\Seen on %d", m.UID)
		}
	}

	// An empty folder: no row and no FETCH.
	rows = nil
	if err := c.FetchAllHeaders("Vazia", []string{"Subject"}, func(r HeaderRow) { rows = append(rows, r) }); err != nil || len(rows) != 0 {
		t.Fatalf("empty folder: %d rows, %v", len(rows), err)
	}
	if got := trace.commands("FETCH"); got != 1 {
		t.Errorf("an empty folder sent a FETCH")
	}
	imapWantCode(t, "missing folder", c.FetchAllHeaders("Nenhuma", []string{"Subject"}, func(HeaderRow) {}), ErrNoSuchFolder)
	imapWantCode(t, "bad field", c.FetchAllHeaders("Lote", []string{"Sub ject"}, func(HeaderRow) {}), ErrInvalidArgument)

	// A panicking callback leaves the session usable.
	func() {
		defer func() { recover() }()
		c.FetchAllHeaders("Lote", []string{"Subject"}, func(HeaderRow) { panic("script error") })
	}()
	if n, err := c.Count(); err != nil || n != 50 {
		t.Fatalf("Count after a panicking callback = %d, %v", n, err)
	}
}

// TestIMAPMessageOps covers Copy, Move and DeleteMsgs on each kind of server,
// by UID and by sequence number. Message 2 of INBOX is already flagged
// \Deleted: it must survive, which proves no folder-wide EXPUNGE was sent.
func TestIMAPMessageOps(t *testing.T) {
	servers := []struct {
		name     string
		caps     imap.CapSet
		fallback bool // Move uses COPY + STORE + UID EXPUNGE
		refuse   bool // Move and DeleteMsgs must refuse (no MOVE, no UIDPLUS)
	}{
		{"MOVE", imapCapsFull, false, false},
		{"UIDPLUS fallback", imapCapsNoMove, true, false},
		{"neither MOVE nor UIDPLUS", imapCapsBare, false, true},
	}
	ops := []struct {
		name string
		ids  []int // positions (1-based) in INBOX
		run  func(c *IMAPClient, ids []uint32, uid bool) error
		// what remains in INBOX and lands in Arquivo, by subject
		inbox, arquivo []string
		mutates        bool // refused without MOVE/UIDPLUS
	}{
		{"Copy", []int{1, 3}, func(c *IMAPClient, ids []uint32, uid bool) error { return c.Copy(ids, uid, "Arquivo") },
			[]string{"m1", "m2", "m3", "m4"}, []string{"m1", "m3"}, false},
		{"Move", []int{1, 3, 4}, func(c *IMAPClient, ids []uint32, uid bool) error { return c.Move(ids, uid, "Arquivo") },
			[]string{"m2"}, []string{"m1", "m3", "m4"}, true},
		{"DeleteMsgs", []int{3, 4}, func(c *IMAPClient, ids []uint32, uid bool) error { return c.DeleteMsgs(ids, uid) },
			[]string{"m1", "m2"}, nil, true},
	}
	for _, sv := range servers {
		for _, op := range ops {
			for _, uid := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/uid=%v", sv.name, op.name, uid), func(t *testing.T) {
					s := startIMAPTestServer(t, imapServerConfig{caps: sv.caps})
					if err := s.User.Create("Arquivo", nil); err != nil {
						t.Fatal(err)
					}
					s.Add(t, "INBOX", nil, imapTestMessage(1, "m1"))
					s.Add(t, "INBOX", []imap.Flag{imap.FlagDeleted}, imapTestMessage(2, "m2"))
					s.Add(t, "INBOX", nil, imapTestMessage(3, "m3"), imapTestMessage(4, "m4"))
					before := s.Observe(t, "INBOX")
					var ids []uint32
					for _, p := range op.ids {
						if uid {
							ids = append(ids, before[p-1].UID)
						} else {
							ids = append(ids, uint32(p))
						}
					}
					trace := &imapTestTrace{}
					c := s.mustDial(t, imapDial{trace: trace})
					err := op.run(c, ids, uid)
					inbox, arquivo := op.inbox, op.arquivo
					if sv.refuse && op.mutates {
						imapWantCode(t, op.name, err, ErrUnsupported)
						inbox, arquivo = []string{"m1", "m2", "m3", "m4"}, nil
					} else if err != nil {
						t.Fatalf("%s: %v", op.name, err)
					}
					if got := imapSubjects(s.Observe(t, "INBOX")); fmt.Sprint(got) != fmt.Sprint(inbox) {
						t.Errorf("INBOX = %v, want %v", got, inbox)
					}
					if got := imapSubjects(s.Observe(t, "Arquivo")); fmt.Sprint(got) != fmt.Sprint(arquivo) {
						t.Errorf("Arquivo = %v, want %v", got, arquivo)
					}
					for _, m := range s.Observe(t, "Arquivo") {
						if m.has(imap.FlagDeleted) {
							t.Errorf("the copy of %s in Arquivo is flagged \\Deleted", m.Subject)
						}
					}
					tr := trace.String()
					if regexp.MustCompile(`(?m)^imap: T[0-9]+ EXPUNGE`).MatchString(tr) {
						t.Errorf("a folder-wide EXPUNGE was sent:\n%s", tr)
					}
					if sv.fallback && op.name == "Move" && !strings.Contains(tr, "UID EXPUNGE") {
						t.Errorf("the fallback did not use UID EXPUNGE:\n%s", tr)
					}
					if !sv.fallback && !sv.refuse && op.name == "Move" && trace.commands("MOVE") != 1 {
						t.Errorf("want one MOVE command:\n%s", tr)
					}
					for _, verb := range []string{"COPY", "MOVE"} {
						if trace.commands(verb) > 1 {
							t.Errorf("%d %s commands for one batch, want at most 1", trace.commands(verb), verb)
						}
					}
					// Ids that do not exist are refused before any change:
					// sequence numbers beyond the count, UIDs none of which exists.
					imapWantCode(t, "no ids", op.run(c, nil, uid), ErrInvalidArgument)
					if uid {
						err := op.run(c, []uint32{99999}, true)
						if sv.refuse && op.mutates {
							imapWantCode(t, "unknown UID", err, ErrUnsupported)
						} else {
							imapWantCode(t, "unknown UID", err, ErrNoSuchMessage)
						}
						return
					}
					want := ErrNoSuchMessage
					if sv.refuse && op.mutates {
						want = ErrUnsupported // refused before looking at the ids
					}
					imapWantCode(t, "sequence number beyond the count", op.run(c, []uint32{99}, false), want)
				})
			}
		}
	}
	t.Run("missing destination", func(t *testing.T) {
		s := startIMAPTestServer(t, imapServerConfig{})
		s.Add(t, "INBOX", nil, imapTestMessage(1, "m1"))
		c := s.mustDial(t, imapDial{})
		imapWantCode(t, "Copy", c.Copy([]uint32{1}, false, "Nenhuma"), ErrNoSuchFolder)
		imapWantCode(t, "Move", c.Move([]uint32{1}, false, "Nenhuma"), ErrNoSuchFolder)
		if got := imapSubjects(s.Observe(t, "INBOX")); fmt.Sprint(got) != "[m1]" {
			t.Errorf("INBOX = %v", got)
		}
	})
}

func TestIMAPSetFlags(t *testing.T) {
	for _, uid := range []bool{false, true} {
		t.Run(fmt.Sprintf("uid=%v", uid), func(t *testing.T) {
			s := startIMAPTestServer(t, imapServerConfig{})
			s.Add(t, "INBOX", nil, imapTestMessage(1, "m1"), imapTestMessage(2, "m2"), imapTestMessage(3, "m3"))
			before := s.Observe(t, "INBOX")
			ids := []uint32{1, 3}
			if uid {
				ids = []uint32{before[0].UID, before[2].UID}
			}
			trace := &imapTestTrace{}
			c := s.mustDial(t, imapDial{trace: trace})
			if err := c.SetFlags(ids, uid, []string{`\seen`, `\Flagged`, `$Etiqueta`}); err != nil {
				t.Fatalf("SetFlags: %v", err)
			}
			after := s.Observe(t, "INBOX")
			for i, m := range after {
				want := i != 1
				if m.has(imap.FlagSeen) != want || m.has(imap.FlagFlagged) != want || m.has("$Etiqueta") != want {
					t.Errorf("%s flags = %v, want flags set: %v", m.Subject, m.Flags, want)
				}
			}
			if got := trace.commands("STORE"); got != 1 {
				t.Errorf("%d STORE commands, want 1", got)
			}
			imapWantCode(t, `\Recent`, c.SetFlags(ids, uid, []string{`\Recent`}), ErrCommandFailed)
			imapWantCode(t, "unknown system flag", c.SetFlags(ids, uid, []string{`\Bogus`}), ErrInvalidArgument)
			imapWantCode(t, "flag with a space", c.SetFlags(ids, uid, []string{"dois termos"}), ErrInvalidArgument)
			imapWantCode(t, "no flag", c.SetFlags(ids, uid, nil), ErrInvalidArgument)
			if got := trace.commands("STORE"); got != 1 {
				t.Errorf("invalid flags reached the server")
			}
			if n, err := c.Count(); err != nil || n != 3 {
				t.Fatalf("Count after refused flags = %d, %v", n, err)
			}
		})
	}
}

func TestIMAPExpungeAndUnselect(t *testing.T) {
	for _, withUnselect := range []bool{true, false} {
		t.Run(fmt.Sprintf("UNSELECT=%v", withUnselect), func(t *testing.T) {
			s := startIMAPTestServer(t, imapServerConfig{})
			s.Add(t, "INBOX", nil, imapTestMessage(1, "m1"))
			s.Add(t, "INBOX", []imap.Flag{imap.FlagDeleted}, imapTestMessage(2, "m2"))
			trace := &imapTestTrace{}
			c := s.mustDial(t, imapDial{trace: trace})
			if !withUnselect {
				// go-imap's server always offers UNSELECT: hide it from the client.
				c.caps = c.caps.Copy()
				delete(c.caps, imap.CapUnselect)
			}
			if _, err := c.Select("INBOX"); err != nil {
				t.Fatal(err)
			}
			if err := c.Unselect(); err != nil {
				t.Fatalf("Unselect: %v", err)
			}
			if c.Folder() != "" {
				t.Errorf("Folder after Unselect = %q", c.Folder())
			}
			if got := imapSubjects(s.Observe(t, "INBOX")); fmt.Sprint(got) != "[m1 m2]" {
				t.Fatalf("Unselect expunged: INBOX = %v", got)
			}
			if strings.Contains(trace.String(), " CLOSE") {
				t.Errorf("Unselect used CLOSE:\n%s", trace.String())
			}
			if err := c.Expunge("INBOX"); err != nil {
				t.Fatalf("Expunge: %v", err)
			}
			if got := imapSubjects(s.Observe(t, "INBOX")); fmt.Sprint(got) != "[m1]" {
				t.Fatalf("after Expunge INBOX = %v", got)
			}
			if n, err := c.Count(); err != nil || n != 1 {
				t.Fatalf("Count = %d, %v", n, err)
			}
			imapWantCode(t, "Expunge missing", c.Expunge("Nenhuma"), ErrNoSuchFolder)
			if err := c.Unselect(); err != nil {
				t.Fatal(err)
			}
			imapWantCode(t, `Expunge("") with no folder selected`, c.Expunge(""), ErrInvalidArgument)
		})
	}
}

func TestIMAPAppend(t *testing.T) {
	s := startIMAPTestServer(t, imapServerConfig{})
	if err := s.User.Create("Enviados", nil); err != nil {
		t.Fatal(err)
	}
	c := s.mustDial(t, imapDial{})
	if err := c.Append("Enviados", []byte("Subject: lf\n\nlinha\n"), []string{`\Seen`, "$Enviado"}); err != nil {
		t.Fatalf("Append: %v", err)
	}
	msgs := s.Observe(t, "Enviados")
	if len(msgs) != 1 || msgs[0].Subject != "lf" || !msgs[0].has(imap.FlagSeen) || !msgs[0].has("$Enviado") {
		t.Fatalf("Enviados = %+v", msgs)
	}
	if _, err := c.Select("Enviados"); err != nil {
		t.Fatal(err)
	}
	got, err := c.Fetch(msgs[0].UID, true)
	if err != nil || string(got) != "Subject: lf\r\n\r\nlinha\r\n" {
		t.Fatalf("stored message = %q, %v; want CRLF line ends", got, err)
	}
	imapWantCode(t, "missing folder", c.Append("Nenhuma", []byte("Subject: x\r\n\r\n"), nil), ErrNoSuchFolder)
	imapWantCode(t, "empty message", c.Append("Enviados", nil, nil), ErrInvalidArgument)
	imapWantCode(t, `\Recent`, c.Append("Enviados", []byte("Subject: x\r\n\r\n"), []string{`\Recent`}), ErrCommandFailed)
	folders, err := c.Folders(false)
	if f, _ := imapFolder(folders, "Enviados"); err != nil || f.Total != 1 || f.Seen != 1 {
		t.Fatalf("Enviados counts = %+v, %v", f, err)
	}
}

// imapSlowSession blocks SELECT until release is closed.
type imapSlowSession struct {
	imapserver.SessionIMAP4rev2
	release chan struct{}
}

func (s *imapSlowSession) Select(name string, o *imap.SelectOptions) (*imap.SelectData, error) {
	if name == "Lenta" {
		<-s.release
	}
	return s.SessionIMAP4rev2.Select(name, o)
}

func TestIMAPTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	const bound = timeout + 2*time.Second // "within the timeout", with room for a loaded machine

	for _, sec := range []Security{Plain, StartTLS, ImplicitTLS} {
		t.Run("silent server/"+sec.String(), func(t *testing.T) {
			host, port := "127.0.0.1", startRawServer(t, silentPeer)
			start := time.Now()
			_, err := DialIMAP(context.Background(), &Transport{}, IMAPOptions{
				Endpoint: Endpoint{Host: host, Port: port, Security: sec}, Timeout: timeout}, imapTestUser, imapTestPass)
			elapsed := time.Since(start)
			imapWantCode(t, "DialIMAP", err, ErrTimeout)
			if elapsed > bound {
				t.Errorf("returned after %v, timeout %v", elapsed, timeout)
			}
		})
	}

	t.Run("command", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		s := startIMAPTestServer(t, imapServerConfig{wrap: func(s imapserver.SessionIMAP4rev2) imapserver.Session {
			return &imapSlowSession{s, release}
		}})
		if err := s.User.Create("Lenta", nil); err != nil {
			t.Fatal(err)
		}
		c := s.mustDial(t, imapDial{})
		// imapclient's own deadlines (30 s per response) must not apply: the
		// configured timeout does.
		c.conn.SetReadDeadline(time.Now())
		if _, err := c.Select("INBOX"); err != nil {
			t.Fatalf("Select with a past imapclient deadline: %v", err)
		}
		c.SetTimeout(timeout)
		start := time.Now()
		_, err := c.Select("Lenta")
		elapsed := time.Since(start)
		imapWantCode(t, "Select", err, ErrTimeout)
		if elapsed > bound {
			t.Errorf("returned after %v, timeout %v", elapsed, timeout)
		}
		_, err = c.Count()
		imapWantCode(t, "Count after a timeout", err, ErrConnectionLost)
		if err := c.Logout(); err != nil {
			t.Errorf("Logout of a lost connection: %v", err)
		}
	})
}

func TestIMAPCancel(t *testing.T) {
	t.Run("context during connect", func(t *testing.T) {
		host, port := "127.0.0.1", startRawServer(t, silentPeer)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err := DialIMAP(ctx, &Transport{}, IMAPOptions{Endpoint: Endpoint{Host: host, Port: port}, Timeout: 10 * time.Second}, imapTestUser, imapTestPass)
		imapWantCode(t, "DialIMAP", err, ErrCanceled)
	})
	t.Run("Close during a command", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		s := startIMAPTestServer(t, imapServerConfig{wrap: func(s imapserver.SessionIMAP4rev2) imapserver.Session {
			return &imapSlowSession{s, release}
		}})
		if err := s.User.Create("Lenta", nil); err != nil {
			t.Fatal(err)
		}
		c := s.mustDial(t, imapDial{})
		time.AfterFunc(100*time.Millisecond, func() { c.Close() })
		_, err := c.Select("Lenta")
		imapWantCode(t, "Select", err, ErrCanceled)
		_, err = c.Count()
		imapWantCode(t, "Count after Close", err, ErrNoConnection)
	})
}

func TestIMAPConnectionLost(t *testing.T) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(imapTestUser, imapTestPass)
	user.Create("INBOX", nil)
	mem.AddUser(user)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imapCapsFull,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	go srv.Serve(ln)
	s := &imapTestServer{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, User: user}
	c := s.mustDial(t, imapDial{})
	if _, err := c.Select("INBOX"); err != nil {
		t.Fatal(err)
	}
	srv.Close() // drops every connection
	_, err = c.Count()
	imapWantCode(t, "Count", err, ErrConnectionLost)
	_, err = c.Fetch(1, false)
	imapWantCode(t, "Fetch after the drop", err, ErrConnectionLost)
}

func TestIMAPLSUBFilter(t *testing.T) {
	in := "* LSUB () \"/\" INBOX\r\n* LSUB (\\Noselect) \"/\" {4}\r\nLSUB\r\n* LSUBX\r\n* LS\r\nT1 OK LSUB done\r\n"
	want := "* LIST () \"/\" INBOX\r\n* LIST (\\Noselect) \"/\" {4}\r\nLSUB\r\n* LSUBX\r\n* LS\r\nT1 OK LSUB done\r\n"
	for size := 1; size <= len(in); size++ {
		var f imapLSUBFilter
		var out []byte
		for i := 0; i < len(in); i += size {
			out = f.feed(out, []byte(in[i:min(i+size, len(in))]))
		}
		out = append(out, f.hold...)
		if string(out) != want {
			t.Fatalf("chunks of %d: %q, want %q", size, out, want)
		}
	}
}

func TestIMAPTraceHidesLiteralPassword(t *testing.T) {
	var buf imapTestTrace
	tw := &imapTrace{w: NewTraceWriter(&buf, IMAP)}
	tw.hide("p@ss wörd")
	io.WriteString(tw, "* OK ready\r\nT1 LOGIN fulano {10}\r\n+ go on\r\np@ss wörd\r\nT1 OK done\r\n")
	tw.hide("")
	io.WriteString(tw, "T2 SELECT INBOX\r\n")
	got := buf.String()
	if strings.Contains(got, "p@ss") {
		t.Fatalf("password in trace:\n%s", got)
	}
	for _, want := range []string{"imap: * OK ready", "imap: T1 LOGIN [redacted]", "imap: [redacted]", "imap: T1 OK done", "imap: T2 SELECT INBOX"} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("trace lacks %q:\n%s", want, got)
		}
	}
}

func TestIMAPNotConnected(t *testing.T) {
	var c *IMAPClient
	_, err := c.Select("INBOX")
	imapWantCode(t, "nil client", err, ErrNoConnection)
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	if err := c.Logout(); err != nil {
		t.Error(err)
	}
	_, err = DialIMAP(context.Background(), &Transport{}, IMAPOptions{Endpoint: Endpoint{Host: "127.0.0.1", Port: 1}}, "a\r\nb", "x")
	imapWantCode(t, "CRLF in user", err, ErrInvalidArgument)
	_, err = DialIMAP(context.Background(), &Transport{}, IMAPOptions{}, "a", "x")
	imapWantCode(t, "no host", err, ErrNotInitialized)
}

// TestIMAPCountAfterMoves: imapmemserver's MOVE reports each EXPUNGE twice,
// so the count imapclient tracks drifts; Count and sequence numbers must
// still be right.
func TestIMAPCountAfterMoves(t *testing.T) {
	s := startIMAPTestServer(t, imapServerConfig{})
	if err := s.User.Create("Arquivo", nil); err != nil {
		t.Fatal(err)
	}
	s.Add(t, "INBOX", nil, imapTestMessage(1, "m1"), imapTestMessage(2, "m2"), imapTestMessage(3, "m3"), imapTestMessage(4, "m4"))
	c := s.mustDial(t, imapDial{})
	for i := 0; i < 3; i++ {
		if err := c.Move([]uint32{1}, false, "Arquivo"); err != nil {
			t.Fatalf("move %d: %v", i+1, err)
		}
	}
	if n, err := c.Count(); err != nil || n != 1 {
		t.Fatalf("Count = %d, %v; want 1", n, err)
	}
	if got := imapSubjects(s.Observe(t, "INBOX")); fmt.Sprint(got) != "[m4]" {
		t.Errorf("INBOX = %v", got)
	}
	if got := imapSubjects(s.Observe(t, "Arquivo")); fmt.Sprint(got) != "[m1 m2 m3]" {
		t.Errorf("Arquivo = %v", got)
	}
	raw, err := c.Fetch(1, false)
	if err != nil || !strings.Contains(string(raw), "Subject: m4") {
		t.Fatalf("Fetch(1) = %q, %v", raw, err)
	}
}

// TestIMAPTryProtocols: with [Mail] TryProtocols=1 an IMAPS client on a
// STARTTLS port (and the reverse) retries once in the other mode.
func TestIMAPTryProtocols(t *testing.T) {
	starttls := startIMAPTestServer(t, imapServerConfig{sec: StartTLS})
	implicit := startIMAPTestServer(t, imapServerConfig{sec: ImplicitTLS})
	tryCfg := DefaultConfig()
	tryCfg.TryProtocols = true
	implicitSec, starttlsSec := ImplicitTLS, StartTLS
	tests := []struct {
		name    string
		srv     *imapTestServer
		sec     *Security
		cfg     *Config
		wantSec Security
		wantErr Code
	}{
		{"IMAPS to a STARTTLS port, retried", starttls, &implicitSec, tryCfg, StartTLS, OK},
		{"IMAPS to a STARTTLS port, no retry", starttls, &implicitSec, nil, 0, ErrTLSHandshake},
		{"STARTTLS to an IMAPS port, retried", implicit, &starttlsSec, tryCfg, ImplicitTLS, OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.srv.dial(t, imapDial{cfg: tt.cfg, sec: tt.sec, timeout: 500 * time.Millisecond})
			if tt.wantErr != OK {
				imapWantCode(t, "DialIMAP", err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("DialIMAP: %v", err)
			}
			if c.Security() != tt.wantSec {
				t.Errorf("Security() = %v, want %v", c.Security(), tt.wantSec)
			}
			if _, err := c.Select("INBOX"); err != nil {
				t.Errorf("Select after fallback: %v", err)
			}
		})
	}
}

// TestIMAPFetchTooLarge: a literal beyond the bound is refused with
// ErrMessageTooLarge instead of being buffered, and the session goes on.
func TestIMAPFetchTooLarge(t *testing.T) {
	old := imapMaxMessage
	imapMaxMessage = 1 << 10
	t.Cleanup(func() { imapMaxMessage = old })
	s := startIMAPTestServer(t, imapServerConfig{})
	big := "Subject: big\r\n\r\n" + strings.Repeat("x", 4<<10) + "\r\n"
	small := imapTestMessage(2, "small")
	s.Add(t, "INBOX", nil, big, small)
	c := s.mustDial(t, imapDial{})
	_, err := c.Fetch(1, false)
	imapWantCode(t, "Fetch of a 4 KiB message with a 1 KiB bound", err, ErrMessageTooLarge)
	got, err := c.Fetch(2, false)
	if err != nil || string(got) != small {
		t.Fatalf("Fetch after the refusal = %q, %v", got, err)
	}
}
