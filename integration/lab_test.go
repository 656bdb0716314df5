// Package integration runs advmail against the real mail lab
// (testdata/maillab: Postfix and Dovecot on 127.0.0.1, see the README).
//
// The tests read the lab description, lab.json, written by
// testdata/maillab/start.sh. ADVMAIL_LAB selects what happens without a lab:
//
//	ADVMAIL_LAB=required  the lab must be up: a missing or broken lab.json fails the tests (CI)
//	ADVMAIL_LAB=absent    the tests skip
//	unset                 the tests run when lab.json exists and skip when it does not
//
// ADVMAIL_LAB_ENV names lab.json (or the env file or the run directory beside
// it); by default it is $MAILLAB_DIR/lab.json, else
// testdata/maillab/run/lab.json.
package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Environment variables that control the lab tests.
const (
	labModeEnv = "ADVMAIL_LAB"     // "required", "absent" or unset
	labFileEnv = "ADVMAIL_LAB_ENV" // path of lab.json (or env file / run dir)
)

// Lab describes the running mail lab, as written to lab.json by start.sh.
type Lab struct {
	Host             string            `json:"host"`
	TLSServerName    string            `json:"tls_server_name"`
	Domain           string            `json:"domain"`
	CAFile           string            `json:"ca_file"`
	Ports            LabPorts          `json:"ports"`
	Users            []LabUser         `json:"users"`
	AuthMechanisms   []string          `json:"auth_mechanisms"`
	MaxMessageSize   int64             `json:"max_message_size"`
	MailboxSeparator string            `json:"mailbox_separator"`
	SpecialUse       map[string]string `json:"special_use"`
	DoveadmCmd       []string          `json:"doveadm"`
	ResetScript      string            `json:"reset"`
	Dir              string            `json:"dir"`
	Logs             map[string]string `json:"logs"`

	roots *x509.CertPool
}

// LabPorts are the lab's listening ports on Lab.Host.
type LabPorts struct {
	SMTP       int `json:"smtp"`       // STARTTLS optional, AUTH offered, local domain only
	Submission int `json:"submission"` // STARTTLS and AUTH required
	SMTPS      int `json:"smtps"`      // implicit TLS, AUTH required
	IMAP       int `json:"imap"`       // STARTTLS offered
	IMAPS      int `json:"imaps"`      // implicit TLS
	POP3       int `json:"pop3"`       // STLS offered
	POP3S      int `json:"pop3s"`      // implicit TLS
	LMTP       int `json:"lmtp"`       // Dovecot LMTP
}

// LabUser is a mailbox of the lab. Login is the full address; Dovecot also
// accepts the bare name (auth_default_realm).
type LabUser struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	Login    string `json:"login"`
	Password string `json:"password"`
}

// The lab as loaded by TestMain: either lab is set, or labSkip says why the
// tests skip, or labErr says why they fail.
var (
	lab     *Lab
	labSkip string
	labErr  error
)

func TestMain(m *testing.M) {
	lab, labSkip, labErr = loadLab()
	os.Exit(m.Run())
}

// requireLab returns the lab, or skips or fails t as ADVMAIL_LAB says.
func requireLab(t testing.TB) *Lab {
	t.Helper()
	if labErr != nil {
		t.Fatal(labErr)
	}
	if labSkip != "" {
		t.Skip(labSkip)
	}
	return lab
}

// loadLab applies the ADVMAIL_LAB policy to the lab.json found by labFile.
func loadLab() (*Lab, string, error) {
	mode := os.Getenv(labModeEnv)
	switch mode {
	case "absent":
		return nil, labModeEnv + "=absent: mail lab tests disabled", nil
	case "", "required":
	default:
		return nil, "", fmt.Errorf("%s=%q: want \"required\", \"absent\" or unset", labModeEnv, mode)
	}
	path := labFile()
	l, err := readLab(path)
	if err == nil {
		return l, "", nil
	}
	if mode == "" && errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Sprintf("mail lab not running (%s not found): start it with sudo testdata/maillab/start.sh, or set %s=required to make this a failure", path, labModeEnv), nil
	}
	return nil, "", fmt.Errorf("mail lab: %w (start it with testdata/maillab/start.sh, or set %s=absent to skip these tests)", err, labModeEnv)
}

// labFile returns the path of lab.json.
func labFile() string {
	if p := os.Getenv(labFileEnv); p != "" {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return filepath.Join(p, "lab.json")
		}
		if strings.HasSuffix(p, ".json") {
			return p
		}
		return filepath.Join(filepath.Dir(p), "lab.json") // the env file
	}
	if d := os.Getenv("MAILLAB_DIR"); d != "" {
		return filepath.Join(d, "lab.json")
	}
	return filepath.Join("..", "testdata", "maillab", "run", "lab.json")
}

// readLab parses and checks lab.json and loads the lab CA.
func readLab(path string) (*Lab, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	l := new(Lab)
	if err := json.Unmarshal(data, l); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	var missing []string
	for name, v := range map[string]int{
		"smtp": l.Ports.SMTP, "submission": l.Ports.Submission, "smtps": l.Ports.SMTPS,
		"imap": l.Ports.IMAP, "imaps": l.Ports.IMAPS, "pop3": l.Ports.POP3, "pop3s": l.Ports.POP3S, "lmtp": l.Ports.LMTP,
	} {
		if v <= 0 || v > 65535 {
			missing = append(missing, "ports."+name)
		}
	}
	if l.Host == "" {
		missing = append(missing, "host")
	}
	if l.TLSServerName == "" {
		missing = append(missing, "tls_server_name")
	}
	if len(l.Users) < 2 {
		missing = append(missing, "users (at least 2)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: missing or invalid: %s", path, strings.Join(missing, ", "))
	}
	pem, err := os.ReadFile(l.CAFile)
	if err != nil {
		return nil, fmt.Errorf("%s: lab CA: %w", path, err)
	}
	l.roots = x509.NewCertPool()
	if !l.roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: lab CA %s holds no PEM certificate", path, l.CAFile)
	}
	return l, nil
}

// Addr returns host:port of a lab port.
func (l *Lab) Addr(port int) string { return net.JoinHostPort(l.Host, strconv.Itoa(port)) }

// RootCAs returns a pool holding only the lab CA.
func (l *Lab) RootCAs() *x509.CertPool { return l.roots }

// TLSConfig returns a client TLS config that trusts only the lab CA and
// verifies the server name "localhost".
func (l *Lab) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: l.roots, ServerName: l.TLSServerName, MinVersion: tls.VersionTLS12}
}

// User returns the lab user with the given name ("alice", "bob", ...).
func (l *Lab) User(t testing.TB, name string) LabUser {
	t.Helper()
	for _, u := range l.Users {
		if u.Name == name {
			return u
		}
	}
	t.Fatalf("mail lab has no user %q", name)
	return LabUser{}
}

// Doveadm runs doveadm against the lab's Dovecot (needs root) and returns
// its standard output, e.g. l.Doveadm(t, "mailbox", "status", "-u", addr, "messages", "INBOX").
func (l *Lab) Doveadm(t testing.TB, args ...string) string {
	t.Helper()
	if len(l.DoveadmCmd) == 0 {
		t.Fatal("lab.json has no doveadm command")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	argv := append(append([]string(nil), l.DoveadmCmd[1:]...), args...)
	out, err := exec.CommandContext(ctx, l.DoveadmCmd[0], argv...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("doveadm %s: %v: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatalf("doveadm %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// ResetMailboxes empties the given users' mailboxes (all users when none are
// given) with testdata/maillab/reset.sh (needs root).
func (l *Lab) ResetMailboxes(t testing.TB, users ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, l.ResetScript, users...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", l.ResetScript, strings.Join(users, " "), err, out)
	}
}

// ioTimeout bounds every network exchange of these tests.
const ioTimeout = 10 * time.Second

// labConn is a line-oriented connection for hand-driven protocol checks.
type labConn struct {
	t    *testing.T
	conn net.Conn
	tp   *textproto.Conn
}

// dialLab connects to a lab port, with an implicit TLS handshake when cfg is non-nil.
func dialLab(t *testing.T, l *Lab, port int, cfg *tls.Config) *labConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", l.Addr(port), ioTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", l.Addr(port), err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &labConn{t: t, conn: conn}
	if cfg != nil {
		c.handshake(cfg)
	}
	c.tp = textproto.NewConn(c.conn)
	return c
}

// handshake runs a TLS client handshake on the connection and checks that
// the server certificate was verified.
func (c *labConn) handshake(cfg *tls.Config) {
	c.t.Helper()
	tc := tls.Client(c.conn, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		c.t.Fatalf("TLS handshake with %s: %v", c.conn.RemoteAddr(), err)
	}
	if st := tc.ConnectionState(); len(st.VerifiedChains) == 0 {
		c.t.Fatalf("TLS with %s: no verified chain", c.conn.RemoteAddr())
	}
	c.conn = tc
	c.tp = textproto.NewConn(tc)
}

func (c *labConn) line() string {
	c.t.Helper()
	c.conn.SetDeadline(time.Now().Add(ioTimeout))
	s, err := c.tp.ReadLine()
	if err != nil {
		c.t.Fatalf("read from %s: %v", c.conn.RemoteAddr(), err)
	}
	return s
}

func (c *labConn) send(format string, args ...any) {
	c.t.Helper()
	c.conn.SetDeadline(time.Now().Add(ioTimeout))
	if err := c.tp.PrintfLine(format, args...); err != nil {
		c.t.Fatalf("write to %s: %v", c.conn.RemoteAddr(), err)
	}
}

// smtp sends an SMTP/LMTP command (none when cmd is "") and returns the
// reply code and its lines.
func (c *labConn) smtp(cmd string) (int, []string) {
	c.t.Helper()
	if cmd != "" {
		c.send("%s", cmd)
	}
	var lines []string
	for {
		s := c.line()
		if len(s) < 4 {
			c.t.Fatalf("%q: short SMTP reply %q", cmd, s)
		}
		lines = append(lines, s[4:])
		if s[3] == ' ' {
			code, err := strconv.Atoi(s[:3])
			if err != nil {
				c.t.Fatalf("%q: bad SMTP reply %q", cmd, s)
			}
			return code, lines
		}
	}
}

// smtpExpect sends cmd and fails unless the reply code is want.
func (c *labConn) smtpExpect(cmd string, want int) []string {
	c.t.Helper()
	code, lines := c.smtp(cmd)
	if code != want {
		c.t.Fatalf("%q: got %d %s, want %d", cmd, code, strings.Join(lines, " / "), want)
	}
	return lines
}

// imap sends a tagged IMAP command and returns the untagged lines and the
// tagged completion line.
func (c *labConn) imap(tag, cmd string) ([]string, string) {
	c.t.Helper()
	c.send("%s %s", tag, cmd)
	var untagged []string
	for {
		s := c.line()
		if strings.HasPrefix(s, tag+" ") {
			return untagged, s[len(tag)+1:]
		}
		untagged = append(untagged, s)
	}
}

// pop3Multi sends a POP3 command with a multi-line answer and returns the lines.
func (c *labConn) pop3Multi(cmd string) []string {
	c.t.Helper()
	c.send("%s", cmd)
	if s := c.line(); !strings.HasPrefix(s, "+OK") {
		c.t.Fatalf("%s: %q", cmd, s)
	}
	var lines []string
	for {
		s := c.line()
		if s == "." {
			return lines
		}
		lines = append(lines, s)
	}
}

// mechanisms extracts the SASL mechanism names from capability lines:
// SMTP "AUTH PLAIN LOGIN", IMAP "AUTH=PLAIN", POP3 "SASL PLAIN LOGIN".
func mechanisms(proto string, lines []string) map[string]bool {
	got := map[string]bool{}
	for _, l := range lines {
		f := strings.Fields(strings.ToUpper(l))
		switch {
		case proto == "imap":
			for _, w := range f {
				if m, ok := strings.CutPrefix(w, "AUTH="); ok {
					got[m] = true
				}
			}
		case len(f) > 0 && (proto == "smtp" && f[0] == "AUTH" || proto == "pop3" && f[0] == "SASL"):
			for _, m := range f[1:] {
				got[m] = true
			}
		}
	}
	return got
}

func hasWord(lines []string, word string) bool {
	for _, l := range lines {
		for _, f := range strings.Fields(strings.ToUpper(l)) {
			if f == word {
				return true
			}
		}
	}
	return false
}

// TestLabGreetings checks that every lab port answers its greeting, that
// TLS (implicit and STARTTLS/STLS) verifies against the lab CA for
// "localhost", and that the AUTH mechanisms of lab.json are offered where
// authentication is allowed.
func TestLabGreetings(t *testing.T) {
	l := requireLab(t)
	tests := []struct {
		name     string
		port     int
		implicit bool   // TLS from the first byte
		proto    string // smtp, imap, pop3, lmtp
		starttls bool   // STARTTLS/STLS offered on the plain connection
		authPre  bool   // AUTH offered before TLS
	}{
		{"smtp", l.Ports.SMTP, false, "smtp", true, true},
		{"submission", l.Ports.Submission, false, "smtp", true, false},
		{"smtps", l.Ports.SMTPS, true, "smtp", false, false},
		{"imap", l.Ports.IMAP, false, "imap", true, true},
		{"imaps", l.Ports.IMAPS, true, "imap", false, false},
		{"pop3", l.Ports.POP3, false, "pop3", true, true},
		{"pop3s", l.Ports.POP3S, true, "pop3", false, false},
		{"lmtp", l.Ports.LMTP, false, "lmtp", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg *tls.Config
			if tt.implicit {
				cfg = l.TLSConfig()
			}
			c := dialLab(t, l, tt.port, cfg)
			// caps returns the capability lines (SMTP: EHLO/LHLO keywords).
			var caps func() []string
			switch tt.proto {
			case "smtp", "lmtp":
				c.smtpExpect("", 220)
				hello := "EHLO"
				if tt.proto == "lmtp" {
					hello = "LHLO"
				}
				caps = func() []string { return c.smtpExpect(hello+" client.lab.test", 250) }
			case "imap":
				if g := c.line(); !strings.HasPrefix(g, "* OK") {
					t.Fatalf("IMAP greeting %q, want * OK", g)
				}
				n := 0
				caps = func() []string {
					n++
					untagged, done := c.imap(fmt.Sprintf("c%d", n), "CAPABILITY")
					if !strings.HasPrefix(done, "OK") {
						t.Fatalf("CAPABILITY: %s", done)
					}
					return untagged
				}
			case "pop3":
				if g := c.line(); !strings.HasPrefix(g, "+OK") {
					t.Fatalf("POP3 greeting %q, want +OK", g)
				}
				caps = func() []string { return c.pop3Multi("CAPA") }
			}
			if tt.proto == "lmtp" {
				caps()
				c.smtpExpect("QUIT", 221)
				return
			}

			before := caps()
			after := before
			if !tt.implicit {
				if got := mechanisms(tt.proto, before); tt.authPre != (len(got) > 0) {
					t.Errorf("AUTH offered before TLS: %v (mechanisms %v), want %v", len(got) > 0, got, tt.authPre)
				}
				word := map[string]string{"smtp": "STARTTLS", "imap": "STARTTLS", "pop3": "STLS"}[tt.proto]
				if !hasWord(before, word) {
					t.Fatalf("%s not offered: %q", word, before)
				}
				switch tt.proto {
				case "smtp":
					c.smtpExpect("STARTTLS", 220)
				case "imap":
					if _, done := c.imap("s1", "STARTTLS"); !strings.HasPrefix(done, "OK") {
						t.Fatalf("STARTTLS: %s", done)
					}
				case "pop3":
					c.send("STLS")
					if s := c.line(); !strings.HasPrefix(s, "+OK") {
						t.Fatalf("STLS: %q", s)
					}
				}
				c.handshake(l.TLSConfig())
				after = caps()
			}
			got := mechanisms(tt.proto, after)
			for _, m := range l.AuthMechanisms {
				if !got[m] {
					t.Errorf("over TLS, mechanism %s not offered (got %v)", m, got)
				}
			}
			switch tt.proto {
			case "smtp":
				c.smtpExpect("QUIT", 221)
			case "imap":
				c.imap("z", "LOGOUT")
			case "pop3":
				c.send("QUIT")
				c.line()
			}
		})
	}
}

// TestLabTLSVerification checks that the lab certificate is only trusted
// through the lab CA and only for its own name, so the greeting test above
// proves real verification.
func TestLabTLSVerification(t *testing.T) {
	l := requireLab(t)
	for _, port := range []int{l.Ports.SMTPS, l.Ports.IMAPS, l.Ports.POP3S} {
		tests := []struct {
			name string
			cfg  *tls.Config
			want func(error) bool
		}{
			{"wrong name", &tls.Config{RootCAs: l.roots, ServerName: "wrong.example"}, func(err error) bool {
				var he x509.HostnameError
				return errors.As(err, &he)
			}},
			{"without lab CA", &tls.Config{RootCAs: x509.NewCertPool(), ServerName: l.TLSServerName}, func(err error) bool {
				var ue x509.UnknownAuthorityError
				return errors.As(err, &ue)
			}},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%d/%s", port, tt.name), func(t *testing.T) {
				d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: ioTimeout}, Config: tt.cfg}
				ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
				defer cancel()
				conn, err := d.DialContext(ctx, "tcp", l.Addr(port))
				if err == nil {
					conn.Close()
					t.Fatal("handshake succeeded, want a verification error")
				}
				if !tt.want(err) {
					t.Fatalf("got %v (%T), want a certificate verification error", err, err)
				}
			})
		}
	}
}

// TestLabSMTPPolicy checks the lab's SMTP contract: no relaying on any
// port (authenticated or not), unknown local users refused at RCPT,
// submission refusing mail before STARTTLS and AUTH.
func TestLabSMTPPolicy(t *testing.T) {
	l := requireLab(t)
	alice := l.User(t, "alice")
	bob := l.User(t, "bob")
	external := "someone@example.com"

	t.Run("smtp", func(t *testing.T) {
		c := dialLab(t, l, l.Ports.SMTP, nil)
		c.smtpExpect("", 220)
		c.smtpExpect("EHLO client.lab.test", 250)
		c.smtpExpect("MAIL FROM:<sender@example.org>", 250)
		if lines := c.smtpExpect("RCPT TO:<"+external+">", 554); !strings.Contains(lines[0], "Relay access denied") {
			t.Errorf("relay reply %q", lines)
		}
		c.smtpExpect("RCPT TO:<nobody@"+l.Domain+">", 550)
		c.smtpExpect("RCPT TO:<"+bob.Address+">", 250)
		c.smtpExpect("RSET", 250)
		c.smtpExpect("QUIT", 221)
	})
	t.Run("submission", func(t *testing.T) {
		c := dialLab(t, l, l.Ports.Submission, nil)
		c.smtpExpect("", 220)
		c.smtpExpect("EHLO client.lab.test", 250)
		c.smtpExpect("MAIL FROM:<"+alice.Address+">", 530) // must STARTTLS first
		c.smtpExpect("STARTTLS", 220)
		c.handshake(l.TLSConfig())
		c.smtpExpect("EHLO client.lab.test", 250)
		c.smtpExpect("MAIL FROM:<"+alice.Address+">", 250)
		c.smtpExpect("RCPT TO:<"+bob.Address+">", 554) // not authenticated
		c.smtpExpect("RSET", 250)
		ir := base64.StdEncoding.EncodeToString([]byte("\x00" + alice.Login + "\x00" + alice.Password))
		c.smtpExpect("AUTH PLAIN "+ir, 235)
		c.smtpExpect("MAIL FROM:<"+alice.Address+">", 250)
		if lines := c.smtpExpect("RCPT TO:<"+external+">", 554); !strings.Contains(lines[0], "Relay access denied") {
			t.Errorf("relay reply %q", lines)
		}
		c.smtpExpect("RCPT TO:<"+bob.Address+">", 250)
		c.smtpExpect("RSET", 250)
		c.smtpExpect("QUIT", 221)
	})
	t.Run("smtps bad password", func(t *testing.T) {
		c := dialLab(t, l, l.Ports.SMTPS, l.TLSConfig())
		c.smtpExpect("", 220)
		c.smtpExpect("EHLO client.lab.test", 250)
		ir := base64.StdEncoding.EncodeToString([]byte("\x00" + alice.Login + "\x00wrong-" + alice.Password))
		c.smtpExpect("AUTH PLAIN "+ir, 535)
		c.smtpExpect("QUIT", 221)
	})
}

// TestLabDelivery sends a message through Postfix to bob@localhost (an alias
// of bob's lab address) and finds it in bob's INBOX with doveadm.
func TestLabDelivery(t *testing.T) {
	l := requireLab(t)
	bob := l.User(t, "bob")
	msgID := fmt.Sprintf("<lab-delivery-%d@client.lab.test>", time.Now().UnixNano())

	c := dialLab(t, l, l.Ports.SMTP, nil)
	c.smtpExpect("", 220)
	c.smtpExpect("EHLO client.lab.test", 250)
	c.smtpExpect("MAIL FROM:<sender@example.org>", 250)
	c.smtpExpect("RCPT TO:<"+bob.Name+"@localhost>", 250)
	c.smtpExpect("DATA", 354)
	w := c.tp.DotWriter()
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "From: <sender@example.org>\r\nTo: <%s@localhost>\r\nSubject: lab delivery\r\nMessage-ID: %s\r\n\r\nhello\r\n", bob.Name, msgID)
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.smtpExpect("", 250)
	c.smtpExpect("QUIT", 221)

	query := []string{"-u", bob.Address, "mailbox", "INBOX", "header", "Message-ID", msgID}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if out := l.Doveadm(t, append([]string{"search"}, query...)...); strings.TrimSpace(out) != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s not in %s's INBOX after 20s (see %s)", msgID, bob.Address, l.Logs["postfix"])
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.Doveadm(t, append([]string{"expunge"}, query...)...)
}
