package pop3server_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/advmail/advmail/mail/internal/testca"
	"github.com/advmail/advmail/mail/pop3server"
)

// memBackend is an in-memory Backend: users with passwords, one maildrop
// per user, and a record of what sessions did.
type memBackend struct {
	mu        sync.Mutex
	pass      map[string]string
	drops     map[string][][]byte
	deleted   [][]int       // every Delete call's indexes
	closes    int           // Mailbox.Close calls
	closed    chan struct{} // receives once per Mailbox.Close
	failMsgs  bool          // Messages fails
	failDele  bool          // Delete fails
	apop      bool          // implements APOP (see apopBackend)
	lastLogin string
}

func newMemBackend(msgs ...string) *memBackend {
	b := &memBackend{
		pass:   map[string]string{"alice": "secret word"},
		drops:  map[string][][]byte{},
		closed: make(chan struct{}, 16),
	}
	for _, m := range msgs {
		b.drops["alice"] = append(b.drops["alice"], []byte(m))
	}
	return b
}

func (b *memBackend) Login(user, pass string) (pop3server.Mailbox, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.pass[user]; !ok || p != pass {
		return nil, errors.New("bad credentials")
	}
	b.lastLogin = user
	return &memMailbox{b: b, user: user}, nil
}

// apopBackend adds APOP to memBackend.
type apopBackend struct{ *memBackend }

func (b apopBackend) LoginAPOP(user, stamp, digest string) (pop3server.Mailbox, error) {
	b.mu.Lock()
	p, ok := b.pass[user]
	b.mu.Unlock()
	if !ok || pop3server.APOPDigest(stamp, p) != digest {
		return nil, errors.New("bad digest")
	}
	return b.Login(user, p)
}

type memMailbox struct {
	b    *memBackend
	user string
}

func (m *memMailbox) Messages() ([]pop3server.Message, error) {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	if m.b.failMsgs {
		return nil, errors.New("locked")
	}
	var out []pop3server.Message
	for i, d := range m.b.drops[m.user] {
		out = append(out, pop3server.Message{UID: fmt.Sprintf("uid-%d", i+1), Size: int64(len(d))})
	}
	return out, nil
}

func (m *memMailbox) Open(i int) (io.ReadCloser, error) {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	return io.NopCloser(bytes.NewReader(m.b.drops[m.user][i])), nil
}

func (m *memMailbox) Delete(idx []int) error {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	if m.b.failDele {
		return errors.New("read-only")
	}
	m.b.deleted = append(m.b.deleted, slices.Clone(idx))
	return nil
}

func (m *memMailbox) Close() error {
	m.b.mu.Lock()
	m.b.closes++
	m.b.mu.Unlock()
	m.b.closed <- struct{}{}
	return nil
}

func (b *memBackend) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-b.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the mailbox was not closed")
	}
}

func (b *memBackend) deletes() [][]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.deleted)
}

// start serves srv on a loopback listener (TLS-wrapped when tlsCfg is set).
func start(t *testing.T, srv *pop3server.Server, tlsCfg *tls.Config) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var sl net.Listener = l
	if tlsCfg != nil {
		sl = tls.NewListener(l, tlsCfg)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sl) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String()
}

// peer is a raw protocol client for transcripts.
type peer struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialPeer(t *testing.T, addr string, tlsPool *x509.CertPool) *peer {
	t.Helper()
	var c net.Conn
	var err error
	if tlsPool != nil {
		c, err = tls.Dial("tcp", addr, &tls.Config{RootCAs: tlsPool, ServerName: "127.0.0.1"})
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p := &peer{t: t, conn: c, r: bufio.NewReader(c)}
	p.expect("+OK POP3 server ready*")
	return p
}

func (p *peer) send(s string) {
	p.t.Helper()
	p.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(p.conn, s); err != nil {
		p.t.Fatalf("write %q: %v", s, err)
	}
}

func (p *peer) line() string {
	p.t.Helper()
	p.conn.SetDeadline(time.Now().Add(10 * time.Second))
	l, err := p.r.ReadString('\n')
	if err != nil {
		p.t.Fatalf("read: %v (got %q)", err, l)
	}
	if !strings.HasSuffix(l, "\r\n") {
		p.t.Fatalf("line %q does not end with CRLF", l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// expect reads one line per want; a want ending in "*" matches a prefix.
func (p *peer) expect(want ...string) {
	p.t.Helper()
	for _, w := range want {
		got := p.line()
		if pre, ok := strings.CutSuffix(w, "*"); ok {
			if !strings.HasPrefix(got, pre) {
				p.t.Fatalf("got %q, want prefix %q", got, pre)
			}
		} else if got != w {
			p.t.Fatalf("got %q, want %q", got, w)
		}
	}
}

// do sends a command line and expects the reply lines.
func (p *peer) do(cmd string, want ...string) {
	p.t.Helper()
	p.send(cmd + "\r\n")
	p.expect(want...)
}

// expectEOF checks that the server closed the connection.
func (p *peer) expectEOF() {
	p.t.Helper()
	p.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if l, err := p.r.ReadString('\n'); err == nil {
		p.t.Fatalf("got %q, want the connection closed", l)
	}
}

func (p *peer) login() {
	p.t.Helper()
	p.do("USER alice", "+OK")
	p.do("PASS secret word", "+OK maildrop has *")
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const (
	msg1 = "Subject: one\r\n\r\nfirst body\r\n"
	msg2 = "Subject: two\r\nX-A: b\r\n\r\n.leading dot\r\n.\r\nline 3\r\n..two dots\r\n"
	msg3 = "Subject: three\n\nbare LF body\nno final newline"
)

func TestServerSessions(t *testing.T) {
	tests := []struct {
		name string
		srv  func(b *memBackend) *pop3server.Server
		run  func(p *peer, b *memBackend)
	}{
		{"user pass and listings", nil, func(p *peer, b *memBackend) {
			p.do("STAT", "-ERR not logged in")
			p.do("PASS x", "-ERR USER first")
			p.login()
			p.do("STAT", fmt.Sprintf("+OK 3 %d", len(msg1)+len(msg2)+len(msg3)))
			p.do("LIST", "+OK 3 messages*", fmt.Sprintf("1 %d", len(msg1)), fmt.Sprintf("2 %d", len(msg2)), fmt.Sprintf("3 %d", len(msg3)), ".")
			p.do("LIST 2", fmt.Sprintf("+OK 2 %d", len(msg2)))
			p.do("LIST 4", "-ERR no such message")
			p.do("LIST x", "-ERR no such message")
			p.do("UIDL", "+OK*", "1 uid-1", "2 uid-2", "3 uid-3", ".")
			p.do("UIDL 3", "+OK 3 uid-3")
			p.do("USER bob", "-ERR already logged in")
			p.do("NOOP", "+OK")
			p.do("BOGUS", "-ERR unknown command")
			p.do("QUIT", "+OK bye")
			p.expectEOF()
			if d := b.deletes(); len(d) != 0 {
				t.Errorf("Delete called: %v", d)
			}
		}},
		{"retr is dot-stuffed", nil, func(p *peer, b *memBackend) {
			p.login()
			p.do("RETR 2", fmt.Sprintf("+OK %d octets", len(msg2)), "Subject: two", "X-A: b", "", "..leading dot", "..", "line 3", "...two dots", ".")
			// Bare LF becomes CRLF, and a missing final line break is added.
			p.do("RETR 3", "+OK*", "Subject: three", "", "bare LF body", "no final newline", ".")
			p.do("RETR 0", "-ERR no such message")
		}},
		{"top", nil, func(p *peer, b *memBackend) {
			p.login()
			p.do("TOP 2 0", "+OK*", "Subject: two", "X-A: b", "", ".")
			p.do("TOP 2 2", "+OK*", "Subject: two", "X-A: b", "", "..leading dot", "..", ".")
			p.do("TOP 1 99", "+OK*", "Subject: one", "", "first body", ".")
			p.do("TOP 1 -1", "-ERR invalid line count")
			p.do("TOP 1", "-ERR usage: TOP msg n")
		}},
		{"dele rset quit", nil, func(p *peer, b *memBackend) {
			p.login()
			p.do("DELE 1", "+OK message 1 deleted")
			p.do("DELE 1", "-ERR message 1 already deleted")
			p.do("RETR 1", "-ERR message 1 already deleted")
			p.do("STAT", fmt.Sprintf("+OK 2 %d", len(msg2)+len(msg3)))
			p.do("LIST", "+OK 2 messages*", fmt.Sprintf("2 %d", len(msg2)), fmt.Sprintf("3 %d", len(msg3)), ".")
			p.do("RSET", "+OK maildrop has 3 messages*")
			p.do("DELE 3", "+OK message 3 deleted")
			p.do("DELE 2", "+OK message 2 deleted")
			p.do("QUIT", "+OK bye")
			p.expectEOF()
			if d := b.deletes(); !slices.EqualFunc(d, [][]int{{1, 2}}, slices.Equal) {
				t.Errorf("Delete calls = %v, want [[1 2]]", d)
			}
			b.waitClosed(t)
		}},
		{"dropped connection deletes nothing", nil, func(p *peer, b *memBackend) {
			p.login()
			p.do("DELE 1", "+OK*")
			p.conn.Close()
			b.waitClosed(t)
			if d := b.deletes(); len(d) != 0 {
				t.Errorf("Delete called: %v", d)
			}
		}},
		{"delete failure", nil, func(p *peer, b *memBackend) {
			b.failDele = true
			p.login()
			p.do("DELE 1", "+OK*")
			p.do("QUIT", "-ERR [SYS/TEMP] some deleted messages not removed")
			b.waitClosed(t)
		}},
		{"maildrop failure", nil, func(p *peer, b *memBackend) {
			b.failMsgs = true
			p.do("USER alice", "+OK")
			p.do("PASS secret word", "-ERR [SYS/TEMP] cannot open maildrop")
			b.waitClosed(t)
			p.do("STAT", "-ERR not logged in")
		}},
		{"wrong password ends after three failures", nil, func(p *peer, b *memBackend) {
			p.do("USER alice", "+OK")
			p.do("PASS nope", "-ERR [AUTH] Authentication failed.")
			p.do("USER nobody", "+OK")
			p.do("PASS secret word", "-ERR [AUTH] Authentication failed.")
			p.do("AUTH PLAIN "+b64("\x00alice\x00wrong"), "-ERR [AUTH] Authentication failed.")
			p.expectEOF()
		}},
		{"auth plain", nil, func(p *peer, b *memBackend) {
			p.do("AUTH", "+OK", "PLAIN", "LOGIN", ".")
			p.do("AUTH PLAIN "+b64("bob\x00alice\x00secret word"), "-ERR [AUTH] Authentication failed.")
			p.do("AUTH PLAIN", "+ ")
			p.do("*", "-ERR authentication cancelled")
			p.do("AUTH PLAIN", "+ ")
			p.do("%%%", "-ERR invalid base64 in response")
			p.do("AUTH PLAIN", "+ ")
			p.do(b64("\x00alice\x00secret word"), "+OK maildrop has 3 messages*")
		}},
		{"auth plain initial response", nil, func(p *peer, b *memBackend) {
			p.do("AUTH PLAIN "+b64("alice\x00alice\x00secret word"), "+OK maildrop has 3 messages*")
		}},
		{"auth login", nil, func(p *peer, b *memBackend) {
			p.do("AUTH LOGIN", "+ "+b64("Username:"))
			p.do(b64("alice"), "+ "+b64("Password:"))
			p.do(b64("secret word"), "+OK*")
		}},
		{"auth login initial response", nil, func(p *peer, b *memBackend) {
			p.do("AUTH LOGIN "+b64("alice"), "+ "+b64("Password:"))
			p.do(b64("secret word"), "+OK*")
		}},
		{"auth unknown mechanism", nil, func(p *peer, b *memBackend) {
			p.do("AUTH CRAM-MD5", "-ERR [AUTH] unsupported authentication mechanism")
			p.do("AUTH XOAUTH2", "-ERR [AUTH] unsupported authentication mechanism")
			p.do("AUTH PLAIN a b", "-ERR usage: AUTH mechanism [initial-response]")
		}},
		{"xoauth2", func(b *memBackend) *pop3server.Server {
			b.pass["alice"] = "tok-123"
			return &pop3server.Server{Backend: b, XOAuth2: true}
		}, func(p *peer, b *memBackend) {
			p.do("CAPA", "+OK*", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "USER", "SASL PLAIN LOGIN XOAUTH2", "IMPLEMENTATION advmail", ".")
			p.do("AUTH XOAUTH2 "+b64("user=alice\x01auth=Bearer bad\x01\x01"), "-ERR [AUTH] Authentication failed.")
			p.do("AUTH XOAUTH2 "+b64("user=alice\x01auth=Bearer tok-123\x01\x01"), "+OK*")
		}},
		{"capa", func(b *memBackend) *pop3server.Server {
			return &pop3server.Server{Backend: b, Pipelining: true}
		}, func(p *peer, b *memBackend) {
			p.do("CAPA", "+OK Capability list follows", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "SASL PLAIN LOGIN", "IMPLEMENTATION advmail", ".")
			p.do("STLS", "-ERR STLS not available")
			p.login()
			p.do("CAPA", "+OK*", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION advmail", ".")
		}},
		{"user disabled", func(b *memBackend) *pop3server.Server {
			return &pop3server.Server{Backend: b, DisableUser: true}
		}, func(p *peer, b *memBackend) {
			p.do("CAPA", "+OK*", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "SASL PLAIN LOGIN", "IMPLEMENTATION advmail", ".")
			p.do("USER alice", "-ERR [AUTH] USER/PASS not available; use AUTH")
			p.do("PASS secret word", "-ERR [AUTH] USER/PASS not available; use AUTH")
			p.do("APOP alice 0123", "-ERR APOP not available")
		}},
		{"pipelined commands", func(b *memBackend) *pop3server.Server {
			return &pop3server.Server{Backend: b, Pipelining: true}
		}, func(p *peer, b *memBackend) {
			p.send("USER alice\r\nPASS secret word\r\nSTAT\r\nRETR 1\r\nDELE 1\r\nLIST\r\nNOOP\r\nQUIT\r\n")
			p.expect("+OK", "+OK maildrop has 3 messages*", "+OK 3 *",
				"+OK*", "Subject: one", "", "first body", ".",
				"+OK message 1 deleted",
				"+OK 2 messages*", "2 *", "3 *", ".",
				"+OK", "+OK bye")
			p.expectEOF()
			if d := b.deletes(); !slices.EqualFunc(d, [][]int{{0}}, slices.Equal) {
				t.Errorf("Delete calls = %v, want [[0]]", d)
			}
		}},
		{"line too long", nil, func(p *peer, b *memBackend) {
			p.send("USER " + strings.Repeat("a", 20<<10) + "\r\n")
			p.expect("-ERR line too long")
			p.expectEOF()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newMemBackend(msg1, msg2, msg3)
			srv := &pop3server.Server{Backend: b}
			if tt.srv != nil {
				srv = tt.srv(b)
			}
			addr := start(t, srv, nil)
			tt.run(dialPeer(t, addr, nil), b)
		})
	}
}

func TestServerAPOP(t *testing.T) {
	b := newMemBackend(msg1)
	addr := start(t, &pop3server.Server{Backend: apopBackend{b}}, nil)
	p := dialPeer(t, addr, nil)
	// dialPeer consumed the greeting; read a second session's to get a stamp.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	greeting, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	i, j := strings.Index(greeting, "<"), strings.Index(greeting, ">")
	if i < 0 || j < i || !strings.Contains(greeting[i:j], "@") {
		t.Fatalf("greeting %q has no APOP timestamp", greeting)
	}
	stamp := greeting[i : j+1]
	p2 := &peer{t: t, conn: c, r: bufio.NewReader(c)}
	p2.do("APOP alice "+pop3server.APOPDigest(stamp, "wrong"), "-ERR [AUTH] Authentication failed.")
	p2.do("APOP alice", "-ERR usage: APOP name digest")
	p2.do("APOP alice "+strings.ToUpper(pop3server.APOPDigest(stamp, "secret word")), "+OK maildrop has 1 messages*")
	// Another session's stamp differs, so its digest is refused here.
	p.do("APOP alice "+pop3server.APOPDigest(stamp, "secret word"), "-ERR [AUTH] Authentication failed.")
}

func TestServerSTLS(t *testing.T) {
	ca := testca.New(t)
	b := newMemBackend(msg1)
	addr := start(t, &pop3server.Server{Backend: b, TLSConfig: ca.Server}, nil)
	p := dialPeer(t, addr, nil)
	p.do("CAPA", "+OK*", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "USER", "SASL PLAIN LOGIN", "STLS", "IMPLEMENTATION advmail", ".")
	// A command pipelined behind STLS in clear text must not survive the upgrade.
	p.send("USER alice\r\nSTLS\r\nUSER mallory\r\n")
	p.expect("+OK", "+OK Begin TLS negotiation now")
	tc := tls.Client(p.conn, &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	p.conn, p.r = tc, bufio.NewReader(tc)
	p.do("PASS secret word", "-ERR USER first")
	p.do("CAPA", "+OK*", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "USER", "SASL PLAIN LOGIN", "IMPLEMENTATION advmail", ".")
	p.do("STLS", "-ERR STLS not available")
	p.login()
	p.do("RETR 1", "+OK*", "Subject: one", "", "first body", ".")
	p.do("QUIT", "+OK bye")
}

func TestServerImplicitTLS(t *testing.T) {
	ca := testca.New(t)
	b := newMemBackend(msg1)
	addr := start(t, &pop3server.Server{Backend: b, TLSConfig: ca.Server}, ca.Server)
	p := dialPeer(t, addr, ca.Pool)
	p.do("CAPA", "+OK*", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "USER", "SASL PLAIN LOGIN", "IMPLEMENTATION advmail", ".")
	p.login()
	p.do("STAT", fmt.Sprintf("+OK 1 %d", len(msg1)))
}

func TestServerClose(t *testing.T) {
	b := newMemBackend(msg1)
	srv := &pop3server.Server{Backend: b}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	p := dialPeer(t, l.Addr().String(), nil)
	p.login()
	p.do("DELE 1", "+OK*")
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Close waited for the session: the maildrop is closed, nothing deleted.
	select {
	case <-b.closed:
	default:
		t.Fatal("Close returned before the session's maildrop was closed")
	}
	if d := b.deletes(); len(d) != 0 {
		t.Errorf("Delete called: %v", d)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
	p.expectEOF()
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Error("the listener still accepts after Close")
	}
	// ServeConn after Close closes the connection at once.
	a, c := net.Pipe()
	go srv.ServeConn(a)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Errorf("read %d bytes from a session started after Close", n)
	}
}

func TestServerIdleTimeout(t *testing.T) {
	b := newMemBackend(msg1)
	addr := start(t, &pop3server.Server{Backend: b, IdleTimeout: 200 * time.Millisecond}, nil)
	p := dialPeer(t, addr, nil)
	p.login()
	p.expectEOF()
	b.waitClosed(t)
}

func TestServerServeConnPipe(t *testing.T) {
	// The sandbox may run sessions over in-memory connections.
	b := newMemBackend(msg1, msg2)
	srv := &pop3server.Server{Backend: b, Pipelining: true}
	defer srv.Close()
	a, c := net.Pipe()
	go srv.ServeConn(a)
	p := &peer{t: t, conn: c, r: bufio.NewReader(c)}
	p.expect("+OK*")
	p.send("USER alice\r\nPASS secret word\r\nRETR 1\r\nRETR 2\r\nQUIT\r\n")
	p.expect("+OK", "+OK*", "+OK*", "Subject: one", "", "first body", ".",
		"+OK*", "Subject: two", "X-A: b", "", "..leading dot", "..", "line 3", "...two dots", ".", "+OK bye")
	p.expectEOF()
}
