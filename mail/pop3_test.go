package mail_test

import (
	"bytes"
	"context"
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
	"sync/atomic"
	"testing"
	"time"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/internal/testca"
	"github.com/advmail/advmail/mail/pop3server"
)

// pop3Backend is an in-memory pop3server.Backend (with APOP) for the
// client tests: user alice, one shared maildrop, and counters of what the
// server did.
type pop3Backend struct {
	mu      sync.Mutex
	pass    map[string]string
	msgs    [][]byte
	deleted [][]int
	opens   atomic.Int64  // Mailbox.Open calls: RETR/TOP served
	closed  chan struct{} // one value per Mailbox.Close
	block   chan struct{} // when set, Open waits for it to be closed
}

func newPOP3Backend(msgs ...[]byte) *pop3Backend {
	return &pop3Backend{
		pass:   map[string]string{"alice": "s3cret pass", "oauth": "tok-123"},
		msgs:   msgs,
		closed: make(chan struct{}, 64),
	}
}

func (b *pop3Backend) Login(user, pass string) (pop3server.Mailbox, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.pass[user]; !ok || p != pass {
		return nil, errors.New("bad credentials")
	}
	return &pop3Mailbox{b: b, msgs: slices.Clone(b.msgs)}, nil
}

func (b *pop3Backend) LoginAPOP(user, stamp, digest string) (pop3server.Mailbox, error) {
	b.mu.Lock()
	p, ok := b.pass[user]
	b.mu.Unlock()
	if !ok || pop3server.APOPDigest(stamp, p) != digest {
		return nil, errors.New("bad digest")
	}
	return b.Login(user, p)
}

func (b *pop3Backend) deletes() [][]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.deleted)
}

func (b *pop3Backend) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-b.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not close the maildrop")
	}
}

// pop3NoAPOP hides LoginAPOP: the server then offers no APOP.
type pop3NoAPOP struct{ b *pop3Backend }

func (n pop3NoAPOP) Login(user, pass string) (pop3server.Mailbox, error) {
	return n.b.Login(user, pass)
}

type pop3Mailbox struct {
	b    *pop3Backend
	msgs [][]byte
}

func (m *pop3Mailbox) Messages() ([]pop3server.Message, error) {
	out := make([]pop3server.Message, len(m.msgs))
	for i, d := range m.msgs {
		out[i] = pop3server.Message{UID: fmt.Sprintf("uid-%03d", i+1), Size: int64(len(d))}
	}
	return out, nil
}

func (m *pop3Mailbox) Open(i int) (io.ReadCloser, error) {
	m.b.opens.Add(1)
	if m.b.block != nil {
		<-m.b.block
	}
	return io.NopCloser(bytes.NewReader(m.msgs[i])), nil
}

func (m *pop3Mailbox) Delete(idx []int) error {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	m.b.deleted = append(m.b.deleted, slices.Clone(idx))
	return nil
}

func (m *pop3Mailbox) Close() error {
	m.b.closed <- struct{}{}
	return nil
}

// pop3Start serves srv on 127.0.0.1 (POP3S when implicit is set) and
// returns the endpoint to dial.
func pop3Start(t testing.TB, srv *pop3server.Server, implicit *tls.Config) mail.Endpoint {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep := mail.Endpoint{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
	var sl net.Listener = l
	if implicit != nil {
		sl = tls.NewListener(l, implicit)
		ep.Security = mail.ImplicitTLS
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sl) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("pop3server Serve: %v", err)
		}
	})
	return ep
}

// pop3Transport returns a Transport with the default config changed by
// edit (may be nil), trusting pool (may be nil), tracing to trace (may be nil).
func pop3Transport(edit func(*mail.Config), pool *x509.CertPool, trace io.Writer) *mail.Transport {
	cfg := mail.DefaultConfig()
	if edit != nil {
		edit(cfg)
	}
	return &mail.Transport{Config: cfg, RootCAs: pool, Trace: trace}
}

func pop3Dial(t testing.TB, tr *mail.Transport, o mail.POP3Options) *mail.POP3Client {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	c, err := mail.DialPOP3(context.Background(), tr, o)
	if err != nil {
		t.Fatalf("DialPOP3: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// pop3WantCode fails unless err is a *mail.Error with code want.
func pop3WantCode(t testing.TB, err error, want mail.Code) *mail.Error {
	t.Helper()
	var e *mail.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *mail.Error; want code %d (%v)", err, err, want, want)
	}
	if e.Code != want {
		t.Fatalf("error %q has code %d (%v), want %d (%v)", err, e.Code, e.Code, want, want)
	}
	return e
}

// The test maildrop: byte-exact round trips, including dot-stuffing cases
// and a body line longer than the client's status-line limit.
var (
	pop3Msg1 = []byte("From: a@example.com\r\nSubject: hello\r\n\r\nbody line\r\n")
	pop3Msg2 = []byte("Subject: dots\r\n\r\n.leading dot\r\n.\r\n..two\r\n. space\r\nmid.dle\r\n\xe9\xe8 latin-1 bytes\r\n.\r\n")
	pop3Msg3 = []byte("Subject: long\r\n\r\n" + strings.Repeat("x", 100<<10) + "\r\nend\r\n")
	pop3Msg4 = []byte("Subject: empty body\r\n\r\n")
	pop3Msg5 = []byte("Subject: five\r\nX-Num: 5\r\n\r\nl1\r\nl2\r\nl3\r\n")
)

func pop3Maildrop() [][]byte { return [][]byte{pop3Msg1, pop3Msg2, pop3Msg3, pop3Msg4, pop3Msg5} }

func TestPOP3Login(t *testing.T) {
	longPass := strings.Repeat("p", 300) // initial response too long for the AUTH line
	tests := []struct {
		name      string
		srv       func(b *pop3Backend) *pop3server.Server
		cfg       func(*mail.Config)
		user      string
		pass      string
		wantTrace string // a line the trace must contain
	}{
		{"auth plain", nil, nil, "alice", "s3cret pass", "pop3: C: AUTH PLAIN [redacted]"},
		{"auth plain without initial response", nil, nil, "long", longPass, "pop3: C: AUTH PLAIN"},
		{"auth login", nil, func(c *mail.Config) { c.AuthPlain = false }, "alice", "s3cret pass", "pop3: C: AUTH LOGIN"},
		{"user pass", nil, func(c *mail.Config) { c.AuthPlain, c.AuthLogin = false, false }, "alice", "s3cret pass", "pop3: C: PASS [redacted]"},
		{"apop", func(b *pop3Backend) *pop3server.Server {
			return &pop3server.Server{Backend: b, DisableUser: true}
		}, func(c *mail.Config) { c.AuthPlain, c.AuthLogin = false, false }, "alice", "s3cret pass", "pop3: C: APOP [redacted]"},
		{"xoauth2", func(b *pop3Backend) *pop3server.Server {
			return &pop3server.Server{Backend: b, XOAuth2: true}
		}, nil, "oauth", "oauth2:tok-123", "pop3: C: AUTH XOAUTH2 [redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newPOP3Backend(pop3Maildrop()...)
			b.pass["long"] = longPass
			srv := &pop3server.Server{Backend: b}
			if tt.srv != nil {
				srv = tt.srv(b)
			}
			ep := pop3Start(t, srv, nil)
			var trace bytes.Buffer
			tr := pop3Transport(tt.cfg, nil, &trace)

			// Wrong password: ErrAuthFailed with the server's line.
			c := pop3Dial(t, tr, mail.POP3Options{Endpoint: ep})
			e := pop3WantCode(t, c.Login(tt.user, tt.pass+"x"), mail.ErrAuthFailed)
			if e.Reply != "-ERR [AUTH] Authentication failed." {
				t.Errorf("Reply = %q, want the server's line", e.Reply)
			}
			c.Close()

			c = pop3Dial(t, tr, mail.POP3Options{Endpoint: ep})
			if err := c.Login(tt.user, tt.pass); err != nil {
				t.Fatalf("Login: %v", err)
			}
			n, size, err := c.Stat()
			if err != nil || n != 5 {
				t.Fatalf("Stat = %d, %d, %v; want 5 messages", n, size, err)
			}
			if err := c.Quit(); err != nil {
				t.Fatalf("Quit: %v", err)
			}

			out := trace.String()
			if !strings.Contains(out, tt.wantTrace) {
				t.Errorf("trace lacks %q:\n%s", tt.wantTrace, out)
			}
			secret := strings.TrimPrefix(tt.pass, "oauth2:")
			for _, s := range []string{
				secret,
				base64.StdEncoding.EncodeToString([]byte(secret)),
				base64.StdEncoding.EncodeToString([]byte("\x00" + tt.user + "\x00" + tt.pass)),
			} {
				if strings.Contains(out, s) {
					t.Errorf("trace reveals the credentials (%q):\n%s", s, out)
				}
			}
		})
	}
}

func TestPOP3LoginNegotiation(t *testing.T) {
	b := newPOP3Backend(pop3Maildrop()...)

	t.Run("no usable mechanism", func(t *testing.T) {
		ep := pop3Start(t, &pop3server.Server{Backend: pop3NoAPOP{b}, DisableUser: true}, nil)
		tr := pop3Transport(func(c *mail.Config) { c.AuthPlain, c.AuthLogin = false, false }, nil, nil)
		c := pop3Dial(t, tr, mail.POP3Options{Endpoint: ep})
		pop3WantCode(t, c.Login("alice", "s3cret pass"), mail.ErrNoAuthMechanism)
	})
	t.Run("xoauth2 not offered", func(t *testing.T) {
		ep := pop3Start(t, &pop3server.Server{Backend: b}, nil)
		c := pop3Dial(t, pop3Transport(nil, nil, nil), mail.POP3Options{Endpoint: ep})
		pop3WantCode(t, c.Login("oauth", "oauth2:tok-123"), mail.ErrNoAuthMechanism)
	})
	t.Run("xoauth2 token source", func(t *testing.T) {
		ep := pop3Start(t, &pop3server.Server{Backend: b, XOAuth2: true}, nil)
		tr := pop3Transport(nil, nil, nil)
		var asked string
		tr.Token = func(ctx context.Context, user string) (string, error) {
			asked = user
			return "tok-123", nil
		}
		c := pop3Dial(t, tr, mail.POP3Options{Endpoint: ep})
		if err := c.Login("oauth", "oauth2:"); err != nil {
			t.Fatalf("Login: %v", err)
		}
		if asked != "oauth" {
			t.Errorf("Token asked for %q, want oauth", asked)
		}
		if err := c.Login("oauth", "oauth2:"); err == nil {
			t.Error("a second Login succeeded")
		}
	})
}

func TestPOP3TLS(t *testing.T) {
	ca := testca.New(t)
	b := newPOP3Backend(pop3Maildrop()...)
	stlsEP := pop3Start(t, &pop3server.Server{Backend: b, TLSConfig: ca.Server}, nil)
	stlsEP.Security = mail.StartTLS
	popsEP := pop3Start(t, &pop3server.Server{Backend: b}, ca.Server)
	plainEP := pop3Start(t, &pop3server.Server{Backend: b}, nil)

	for _, tt := range []struct {
		name string
		ep   mail.Endpoint
	}{{"stls", stlsEP}, {"pop3s", popsEP}} {
		t.Run(tt.name, func(t *testing.T) {
			var trace bytes.Buffer
			c := pop3Dial(t, pop3Transport(nil, ca.Pool, &trace), mail.POP3Options{Endpoint: tt.ep})
			if !c.IsTLS() {
				t.Error("IsTLS() = false")
			}
			if _, ok := c.Capabilities()["STLS"]; ok {
				t.Error("capabilities after TLS still list STLS")
			}
			if err := c.Login("alice", "s3cret pass"); err != nil {
				t.Fatalf("Login: %v", err)
			}
			got, err := c.Retr(2)
			if err != nil || !bytes.Equal(got, pop3Msg2) {
				t.Fatalf("Retr(2) = %q, %v", got, err)
			}
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}
			if tt.name == "stls" && strings.Count(trace.String(), "C: CAPA") != 2 {
				t.Errorf("want CAPA before and after STLS:\n%s", trace.String())
			}
		})
	}

	errCases := []struct {
		name string
		ep   mail.Endpoint
		pool *x509.CertPool
		want mail.Code
	}{
		{"stls untrusted certificate", stlsEP, nil, mail.ErrCertUntrusted},
		{"pop3s untrusted certificate", popsEP, nil, mail.ErrCertUntrusted},
		{"stls required but not offered", mail.Endpoint{Host: plainEP.Host, Port: plainEP.Port, Security: mail.StartTLS}, ca.Pool, mail.ErrStartTLSNotOffered},
		{"pop3s against a plain port", mail.Endpoint{Host: plainEP.Host, Port: plainEP.Port, Security: mail.ImplicitTLS}, ca.Pool, mail.ErrTLSHandshake},
	}
	for _, tt := range errCases {
		t.Run(tt.name, func(t *testing.T) {
			var trace bytes.Buffer
			c, err := mail.DialPOP3(context.Background(), pop3Transport(nil, tt.pool, &trace), mail.POP3Options{Endpoint: tt.ep, Timeout: 10 * time.Second})
			if err == nil {
				c.Close()
				t.Fatal("DialPOP3 succeeded")
			}
			pop3WantCode(t, err, tt.want)
			if strings.Contains(trace.String(), "C: USER") || strings.Contains(trace.String(), "C: AUTH") {
				t.Errorf("credentials were offered:\n%s", trace.String())
			}
		})
	}
}

func TestPOP3Commands(t *testing.T) {
	b := newPOP3Backend(pop3Maildrop()...)
	ep := pop3Start(t, &pop3server.Server{Backend: b}, nil)
	c := pop3Dial(t, pop3Transport(nil, nil, nil), mail.POP3Options{Endpoint: ep})
	if err := c.Login("alice", "s3cret pass"); err != nil {
		t.Fatal(err)
	}
	// Out of range before the count is known: the server's -ERR, classified
	// with the count learnt from STAT.
	_, err := c.Retr(99)
	if e := pop3WantCode(t, err, mail.ErrNoSuchMessage); e.Reply != "-ERR no such message" {
		t.Errorf("Reply = %q, want the server's line", e.Reply)
	}
	msgs := pop3Maildrop()
	var total int64
	for _, m := range msgs {
		total += int64(len(m))
	}
	n, size, err := c.Stat()
	if err != nil || n != len(msgs) || size != total {
		t.Fatalf("Stat = %d, %d, %v; want %d, %d", n, size, err, len(msgs), total)
	}
	list, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	uidl, err := c.UIDL()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(msgs) || len(uidl) != len(msgs) {
		t.Fatalf("List has %d, UIDL %d entries; want %d", len(list), len(uidl), len(msgs))
	}
	for i, m := range msgs {
		if list[i].Num != i+1 || list[i].Size != int64(len(m)) {
			t.Errorf("List[%d] = %+v, want num %d size %d", i, list[i], i+1, len(m))
		}
		if want := fmt.Sprintf("uid-%03d", i+1); uidl[i].Num != i+1 || uidl[i].UID != want {
			t.Errorf("UIDL[%d] = %+v, want num %d uid %s", i, uidl[i], i+1, want)
		}
		got, err := c.Retr(i + 1)
		if err != nil {
			t.Fatalf("Retr(%d): %v", i+1, err)
		}
		if !bytes.Equal(got, m) {
			t.Errorf("Retr(%d) = %q, want %q", i+1, pop3ClipBytes(got), pop3ClipBytes(m))
		}
	}
	tops := []struct {
		n, lines int
		want     string
	}{
		{1, 0, "From: a@example.com\r\nSubject: hello\r\n\r\n"},
		{5, 2, "Subject: five\r\nX-Num: 5\r\n\r\nl1\r\nl2\r\n"},
		{2, 3, "Subject: dots\r\n\r\n.leading dot\r\n.\r\n..two\r\n"},
		{4, 10, "Subject: empty body\r\n\r\n"},
	}
	for _, tc := range tops {
		got, err := c.Top(tc.n, tc.lines)
		if err != nil || string(got) != tc.want {
			t.Errorf("Top(%d, %d) = %q, %v; want %q", tc.n, tc.lines, got, err, tc.want)
		}
	}
	pop3WantCode(t, func() error { _, err := c.Top(1, -1); return err }(), mail.ErrInvalidArgument)
	for _, n := range []int{0, -1, 6} {
		_, err := c.Retr(n)
		pop3WantCode(t, err, mail.ErrNoSuchMessage)
		_, err = c.Top(n, 1)
		pop3WantCode(t, err, mail.ErrNoSuchMessage)
		pop3WantCode(t, c.Dele(n), mail.ErrNoSuchMessage)
	}
	if err := c.Noop(); err != nil {
		t.Fatal(err)
	}
}

func TestPOP3LineEndings(t *testing.T) {
	// A message stored with bare LF or without a final line break travels
	// as CRLF lines (RFC 1939) and comes back that way.
	b := newPOP3Backend([]byte("Subject: lf\n\nline\n.dot\nlast"))
	ep := pop3Start(t, &pop3server.Server{Backend: b}, nil)
	c := pop3Dial(t, pop3Transport(nil, nil, nil), mail.POP3Options{Endpoint: ep})
	if err := c.Login("alice", "s3cret pass"); err != nil {
		t.Fatal(err)
	}
	got, err := c.Retr(1)
	if want := "Subject: lf\r\n\r\nline\r\n.dot\r\nlast\r\n"; err != nil || string(got) != want {
		t.Fatalf("Retr = %q, %v; want %q", got, err, want)
	}
}

func pop3ClipBytes(b []byte) []byte {
	if len(b) > 200 {
		return append(slices.Clone(b[:200]), "..."...)
	}
	return b
}

func TestPOP3Deletion(t *testing.T) {
	tests := []struct {
		name        string
		run         func(t *testing.T, c *mail.POP3Client)
		wantDeleted [][]int
	}{
		{"dele and quit", func(t *testing.T, c *mail.POP3Client) {
			for _, n := range []int{4, 2} {
				if err := c.Dele(n); err != nil {
					t.Fatalf("Dele(%d): %v", n, err)
				}
			}
			n, _, err := c.Stat()
			if err != nil || n != 3 {
				t.Fatalf("Stat after DELE = %d, %v; want 3", n, err)
			}
			if _, err := c.Retr(2); err == nil {
				t.Fatal("Retr of a deleted message succeeded")
			} else {
				pop3WantCode(t, err, mail.ErrNoSuchMessage)
			}
			pop3WantCode(t, c.Dele(4), mail.ErrNoSuchMessage)
			if got, err := c.Retr(5); err != nil || !bytes.Equal(got, pop3Msg5) {
				t.Fatalf("Retr(5) after deletions = %q, %v", got, err)
			}
			if err := c.Quit(); err != nil {
				t.Fatalf("Quit: %v", err)
			}
		}, [][]int{{1, 3}}},
		{"dele then close", func(t *testing.T, c *mail.POP3Client) {
			if err := c.Dele(1); err != nil {
				t.Fatal(err)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			pop3WantCode(t, c.Noop(), mail.ErrNoConnection)
		}, nil},
		{"dele then rset", func(t *testing.T, c *mail.POP3Client) {
			for _, n := range []int{1, 3} {
				if err := c.Dele(n); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Rset(); err != nil {
				t.Fatal(err)
			}
			if got, err := c.Retr(1); err != nil || !bytes.Equal(got, pop3Msg1) {
				t.Fatalf("Retr(1) after RSET = %q, %v", got, err)
			}
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newPOP3Backend(pop3Maildrop()...)
			ep := pop3Start(t, &pop3server.Server{Backend: b, Pipelining: true}, nil)
			c := pop3Dial(t, pop3Transport(nil, nil, nil), mail.POP3Options{Endpoint: ep})
			if err := c.Login("alice", "s3cret pass"); err != nil {
				t.Fatal(err)
			}
			tt.run(t, c)
			b.waitClosed(t)
			if got := b.deletes(); !slices.EqualFunc(got, tt.wantDeleted, slices.Equal) {
				t.Errorf("deleted %v, want %v", got, tt.wantDeleted)
			}
		})
	}
}

// pop3Many returns n small distinct messages.
func pop3Many(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "Subject: message %d\r\nMessage-ID: <%d@test>\r\n\r\nbody of %d\r\n.dot line %d\r\n", i+1, i+1, i+1, i+1)
	}
	return out
}

func TestPOP3ReadAhead(t *testing.T) {
	const count = 12
	tests := []struct {
		name       string
		pipelining bool
		readAhead  int
		firstOpens int64 // server-side Open calls after the first Retr
	}{
		{"pipelining default read-ahead", true, 0, 5},
		{"pipelining read-ahead 2", true, 2, 3},
		{"pipelining read-ahead off", true, -1, 1},
		{"no pipelining", false, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := pop3Many(count)
			b := newPOP3Backend(msgs...)
			ep := pop3Start(t, &pop3server.Server{Backend: b, Pipelining: tt.pipelining}, nil)
			var trace bytes.Buffer
			c := pop3Dial(t, pop3Transport(nil, nil, &trace), mail.POP3Options{Endpoint: ep, ReadAhead: tt.readAhead})
			if err := c.Login("alice", "s3cret pass"); err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= count; i++ {
				got, err := c.Retr(i)
				if err != nil {
					t.Fatalf("Retr(%d): %v", i, err)
				}
				if !bytes.Equal(got, msgs[i-1]) {
					t.Fatalf("Retr(%d) = %q, want %q", i, got, msgs[i-1])
				}
				if i == 1 {
					if got := b.opens.Load(); got != tt.firstOpens {
						t.Errorf("after the first Retr the server served %d messages, want %d", got, tt.firstOpens)
					}
				}
			}
			// In order, nothing is fetched twice.
			if got := b.opens.Load(); got != count {
				t.Errorf("the server served %d messages for %d Retr calls", got, count)
			}
			if got := strings.Count(trace.String(), "C: RETR "); got != count {
				t.Errorf("%d RETR commands sent, want %d", got, count)
			}

			// Out of order, interleaved with other commands: same bytes.
			for _, n := range []int{7, 3, 8, 1, 9, 12, 10} {
				got, err := c.Retr(n)
				if err != nil || !bytes.Equal(got, msgs[n-1]) {
					t.Fatalf("Retr(%d) = %q, %v", n, got, err)
				}
				if n == 8 {
					if _, _, err := c.Stat(); err != nil {
						t.Fatal(err)
					}
				}
			}
			// A message read ahead and then deleted is gone.
			if _, err := c.Retr(4); err != nil {
				t.Fatal(err)
			}
			if err := c.Dele(5); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Retr(5); err == nil {
				t.Fatal("Retr(5) after Dele(5) succeeded")
			} else {
				pop3WantCode(t, err, mail.ErrNoSuchMessage)
			}
			if got, err := c.Retr(6); err != nil || !bytes.Equal(got, msgs[5]) {
				t.Fatalf("Retr(6) = %q, %v", got, err)
			}
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}
			if got := b.deletes(); !slices.EqualFunc(got, [][]int{{4}}, slices.Equal) {
				t.Errorf("deleted %v, want [[4]]", got)
			}
		})
	}
}

func TestPOP3Timeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	const bound = timeout + 5*time.Second // generous: the machine may be loaded

	t.Run("server never answers", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close() // hold it open, say nothing
			}
		}()
		ep := mail.Endpoint{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
		start := time.Now()
		_, err = mail.DialPOP3(context.Background(), pop3Transport(nil, nil, nil), mail.POP3Options{Endpoint: ep, Timeout: timeout})
		pop3WantCode(t, err, mail.ErrTimeout)
		if d := time.Since(start); d > bound {
			t.Errorf("DialPOP3 returned after %v, timeout %v", d, timeout)
		}
	})

	t.Run("command timeout", func(t *testing.T) {
		b := newPOP3Backend(pop3Maildrop()...)
		b.block = make(chan struct{})
		ep := pop3Start(t, &pop3server.Server{Backend: b}, nil)
		t.Cleanup(func() { close(b.block) }) // runs before the server's Close
		c := pop3Dial(t, pop3Transport(nil, nil, nil), mail.POP3Options{Endpoint: ep, Timeout: timeout})
		if err := c.Login("alice", "s3cret pass"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := c.Retr(1)
		pop3WantCode(t, err, mail.ErrTimeout)
		if d := time.Since(start); d > bound {
			t.Errorf("Retr returned after %v, timeout %v", d, timeout)
		}
		// The session is out of step now: later commands fail at once.
		pop3WantCode(t, c.Noop(), mail.ErrConnectionLost)
	})

	t.Run("context cancelled during greeting", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err == nil {
				defer c.Close()
				io.Copy(io.Discard, c)
			}
		}()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		ep := mail.Endpoint{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
		_, err = mail.DialPOP3(ctx, pop3Transport(nil, nil, nil), mail.POP3Options{Endpoint: ep, Timeout: time.Minute})
		pop3WantCode(t, err, mail.ErrCanceled)
	})
}

func TestPOP3Injection(t *testing.T) {
	b := newPOP3Backend(pop3Maildrop()...)
	ep := pop3Start(t, &pop3server.Server{Backend: b}, nil)
	var trace bytes.Buffer
	tr := pop3Transport(func(c *mail.Config) { c.AuthPlain, c.AuthLogin = false, false }, nil, &trace)
	c := pop3Dial(t, tr, mail.POP3Options{Endpoint: ep})
	for _, cred := range [][2]string{
		{"alice\r\nDELE 1", "s3cret pass"},
		{"alice", "s3cret pass\r\nDELE 1"},
		{"alice\nQUIT", "x"},
		{"alice", "x\rQUIT"},
		{"alice\x00", "x"},
	} {
		pop3WantCode(t, c.Login(cred[0], cred[1]), mail.ErrInvalidArgument)
	}
	if strings.Contains(trace.String(), "C: DELE") || strings.Contains(trace.String(), "C: USER") {
		t.Fatalf("an injected line reached the server:\n%s", trace.String())
	}
	// The session is intact.
	if err := c.Login("alice", "s3cret pass"); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	if d := b.deletes(); len(d) != 0 {
		t.Fatalf("deleted %v", d)
	}
}

// pop3Peer serves one connection with a fixed script: a misbehaving server.
func pop3Peer(t *testing.T, script string) mail.Endpoint {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		go func() {
			// Hang up (half-close: the client reads everything first),
			// then read until the client closes.
			io.WriteString(c, script)
			c.(*net.TCPConn).CloseWrite()
		}()
		io.Copy(io.Discard, c)
	}()
	return mail.Endpoint{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
}

func TestPOP3BadServer(t *testing.T) {
	const greeting = "+OK ready\r\n"
	const capa = "+OK\r\nUSER\r\n.\r\n"
	tests := []struct {
		name   string
		script string
		login  bool // the error comes from Login (USER/PASS), not DialPOP3
		want   mail.Code
	}{
		{"over-long greeting", "+OK " + strings.Repeat("a", 100<<10) + "\r\n", false, mail.ErrProtocol},
		{"over-long greeting without line end", "+OK " + strings.Repeat("a", 100<<10), false, mail.ErrProtocol},
		{"not pop3", "220 smtp.example.com ESMTP\r\n", false, mail.ErrProtocol},
		{"refusal", "-ERR too busy\r\n", false, mail.ErrCommandFailed},
		{"closed at once", "", false, mail.ErrConnectionLost},
		{"closed during capa", greeting + "+OK\r\nUSER\r\n", false, mail.ErrConnectionLost},
		{"over-long capa line", greeting + "+OK\r\n" + strings.Repeat("X", 70<<10) + "\r\n.\r\n", false, mail.ErrProtocol},
		{"garbage after capa", greeting + capa + "*** hello\r\n", true, mail.ErrProtocol},
		{"over-long login reply", greeting + capa + "+OK " + strings.Repeat("b", 65<<10) + "\r\n", true, mail.ErrProtocol},
		{"auth refused", greeting + capa + "+OK\r\n-ERR [AUTH] Authentication failed.\r\n", true, mail.ErrAuthFailed},
		// RFC 3206 SYS: a server shutting the session down (Dovecot's kick)
		// is a lost connection, not a refused command.
		{"server shutting down", greeting + capa + "-ERR [SYS/TEMP] Server shutting down.\r\n", true, mail.ErrConnectionLost},
		// Old servers: no CAPA. USER/PASS still works; a refused USER falls
		// back to APOP when the greeting has a timestamp.
		{"no capa, user pass", greeting + "-ERR unknown command\r\n+OK\r\n+OK logged in\r\n", true, mail.OK},
		{"no capa, apop fallback", "+OK ready <1.2@host>\r\n-ERR unknown command\r\n-ERR unknown command\r\n+OK logged in\r\n", true, mail.OK},
		{"no capa, stls refused", greeting + "-ERR unknown command\r\n-ERR unknown command\r\n", false, mail.ErrStartTLSNotOffered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := pop3Peer(t, tt.script)
			tr := pop3Transport(nil, nil, nil)
			if tt.want == mail.ErrStartTLSNotOffered {
				ep.Security = mail.StartTLS
			}
			c, err := mail.DialPOP3(context.Background(), tr, mail.POP3Options{Endpoint: ep, Timeout: 10 * time.Second})
			if tt.login {
				if err != nil {
					t.Fatalf("DialPOP3: %v", err)
				}
				defer c.Close()
				err = c.Login("alice", "pw")
				if tt.want == mail.OK {
					if err != nil {
						t.Fatalf("Login: %v", err)
					}
					return
				}
			} else if err == nil {
				c.Close()
				t.Fatal("DialPOP3 succeeded")
			}
			pop3WantCode(t, err, tt.want)
		})
	}
}

func TestPOP3ConnectionLost(t *testing.T) {
	b := newPOP3Backend(pop3Maildrop()...)
	srv := &pop3server.Server{Backend: b}
	ep := pop3Start(t, srv, nil)
	c := pop3Dial(t, pop3Transport(nil, nil, nil), mail.POP3Options{Endpoint: ep})
	if err := c.Login("alice", "s3cret pass"); err != nil {
		t.Fatal(err)
	}
	if err := c.Dele(1); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	pop3WantCode(t, c.Noop(), mail.ErrConnectionLost)
	_, err := c.Retr(1)
	pop3WantCode(t, err, mail.ErrConnectionLost)
	pop3WantCode(t, c.Quit(), mail.ErrConnectionLost)
	pop3WantCode(t, c.Noop(), mail.ErrNoConnection)
	if d := b.deletes(); len(d) != 0 {
		t.Fatalf("deleted %v", d)
	}
}

func TestPOP3CloseAbortsCommand(t *testing.T) {
	b := newPOP3Backend(pop3Maildrop()...)
	b.block = make(chan struct{})
	ep := pop3Start(t, &pop3server.Server{Backend: b}, nil)
	t.Cleanup(func() { close(b.block) })
	c := pop3Dial(t, pop3Transport(nil, nil, nil), mail.POP3Options{Endpoint: ep, Timeout: time.Minute})
	if err := c.Login("alice", "s3cret pass"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Retr(1)
		done <- err
	}()
	for b.opens.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	c.Close()
	select {
	case err := <-done:
		pop3WantCode(t, err, mail.ErrNoConnection)
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not abort Retr")
	}
}

// TestPOP3TryProtocols: with [Mail] TryProtocols=1 a TLS-mode mismatch is
// retried once in the other mode on the same port; without it, it fails.
func TestPOP3TryProtocols(t *testing.T) {
	ca := testca.New(t)
	b := newPOP3Backend(pop3Maildrop()...)
	stlsEP := pop3Start(t, &pop3server.Server{Backend: b, TLSConfig: ca.Server}, nil) // plain port offering STLS
	popsEP := pop3Start(t, &pop3server.Server{Backend: b}, ca.Server)                 // implicit TLS port

	tests := []struct {
		name    string
		ep      mail.Endpoint
		try     bool
		wantSec mail.Security
		wantErr mail.Code
	}{
		{"implicit TLS to a STLS port, retried", mail.Endpoint{Host: stlsEP.Host, Port: stlsEP.Port, Security: mail.ImplicitTLS}, true, mail.StartTLS, mail.OK},
		{"implicit TLS to a STLS port, no retry", mail.Endpoint{Host: stlsEP.Host, Port: stlsEP.Port, Security: mail.ImplicitTLS}, false, 0, mail.ErrTLSHandshake},
		{"STLS to a POP3S port, retried", mail.Endpoint{Host: popsEP.Host, Port: popsEP.Port, Security: mail.StartTLS}, true, mail.ImplicitTLS, mail.OK},
		{"STLS to a POP3S port, no retry", mail.Endpoint{Host: popsEP.Host, Port: popsEP.Port, Security: mail.StartTLS}, false, 0, mail.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := pop3Transport(func(c *mail.Config) { c.TryProtocols = tt.try }, ca.Pool, nil)
			c, err := mail.DialPOP3(context.Background(), tr, mail.POP3Options{Endpoint: tt.ep, Timeout: 500 * time.Millisecond})
			if tt.wantErr != mail.OK {
				if err == nil {
					c.Close()
					t.Fatal("DialPOP3 succeeded")
				}
				e := pop3WantCode(t, err, tt.wantErr)
				if tt.wantErr == mail.ErrTimeout && !strings.Contains(e.Reply, "TryProtocols=1") {
					t.Errorf("the timeout does not hint at the TLS mode: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("DialPOP3: %v", err)
			}
			defer c.Close()
			if c.Security() != tt.wantSec || !c.IsTLS() {
				t.Errorf("Security() = %v (TLS %v), want %v", c.Security(), c.IsTLS(), tt.wantSec)
			}
			if err := c.Login("alice", "s3cret pass"); err != nil {
				t.Fatalf("Login after fallback: %v", err)
			}
		})
	}
}
