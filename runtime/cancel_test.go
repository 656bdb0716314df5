package runtime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/pop3server"
)

// stall is the point where a test server stops answering: the first
// connection to get there closes reached, and every one waits there until
// the test ends.
type stall struct {
	reachOnce, freeOnce sync.Once
	reached, release    chan struct{}
}

func newStall(t *testing.T) *stall {
	s := &stall{reached: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(s.free)
	return s
}

func (s *stall) wait() {
	s.reachOnce.Do(func() { close(s.reached) })
	<-s.release
}

// free lets every waiting connection go on.
func (s *stall) free() { s.freeOnce.Do(func() { close(s.release) }) }

// dialTo returns a DialFunc that connects every protocol to addr.
func dialTo(addr string) mail.DialFunc {
	return func(ctx context.Context, _ mail.Protocol, _ mail.Endpoint) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// stallAuthSMTP starts a go-smtp server that greets, answers EHLO
// (offering AUTH PLAIN) and never answers AUTH.
func stallAuthSMTP(t *testing.T, st *stall) string {
	l := listen(t)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return stallSession{st}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	go srv.Serve(l)
	t.Cleanup(func() { st.free(); srv.Close() })
	return l.Addr().String()
}

type stallSession struct{ st *stall }

func (stallSession) Reset()                               {}
func (stallSession) Logout() error                        { return nil }
func (stallSession) Mail(string, *smtp.MailOptions) error { return nil }
func (stallSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (stallSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (stallSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s stallSession) Auth(string) (sasl.Server, error) {
	return stallSASL(s), nil
}

// stallSASL never finishes an authentication exchange.
type stallSASL stallSession

func (s stallSASL) Next([]byte) ([]byte, bool, error) {
	s.st.wait()
	return nil, false, errors.New("released")
}

// stallRetrPOP3 starts a pop3server whose one message is served in part:
// after 100 KB of it RETR stops sending.
func stallRetrPOP3(t *testing.T, st *stall) string {
	l := listen(t)
	srv := &pop3server.Server{Backend: stallBackend{st}}
	go srv.Serve(l)
	t.Cleanup(func() { st.free(); srv.Close() })
	return l.Addr().String()
}

const stallMsgSize = 200 << 10

type stallBackend struct{ st *stall }

func (b stallBackend) Login(user, pass string) (pop3server.Mailbox, error) {
	return stallMailbox(b), nil
}

type stallMailbox stallBackend

func (stallMailbox) Messages() ([]pop3server.Message, error) {
	return []pop3server.Message{{UID: "stall-1", Size: stallMsgSize}}, nil
}

func (m stallMailbox) Open(int) (io.ReadCloser, error) {
	head := "Subject: stalled\r\nFrom: a@example.test\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", (100<<10)/18)
	return io.NopCloser(io.MultiReader(strings.NewReader(head), stallReader(m))), nil
}

func (stallMailbox) Delete([]int) error { return nil }
func (stallMailbox) Close() error       { return nil }

type stallReader stallMailbox

func (r stallReader) Read([]byte) (int, error) {
	r.st.wait()
	return 0, io.ErrUnexpectedEOF
}

// cancelRunner prepares a script to run under a context, on a Runtime or
// on a Pool.
type cancelRunner struct {
	name    string
	prepare func(t *testing.T, opts Options, code string) func(context.Context) error
}

var cancelRunners = []cancelRunner{
	{"DoString", func(t *testing.T, opts Options, code string) func(context.Context) error {
		r, _ := newTestRuntime(t, opts)
		return func(ctx context.Context) error { return r.DoString(ctx, code) }
	}},
	{"Pool.Run", func(t *testing.T, opts Options, code string) func(context.Context) error {
		p, err := NewPool(opts, 1)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		s, err := CompileString("stall.lua", code)
		if err != nil {
			t.Fatal(err)
		}
		return func(ctx context.Context) error { return p.Run(ctx, s) }
	}},
}

// TestCancelStalledMailOperation: a script blocked in a mail operation
// whose server stopped answering — AUTH never answered, RETR stopped in
// the middle of the message — returns within 100 ms of the cancellation,
// and the operation does not return to the script.
func TestCancelStalledMailOperation(t *testing.T) {
	tests := []struct {
		name   string
		server func(*testing.T, *stall) string
		code   string
	}{
		{"SMTPAuth", stallAuthSMTP, `
local o = TMailManager():New()
o:Init("", "smtp.example.test", "fulano", "secret", 0, 25)
o:SetSMTPTimeout(60)
local n = o:SMTPConnect()
if n ~= 0 then error("SMTPConnect: " .. o:GetErrorString(n)) end
conout("connected")
n = o:SMTPAuth("fulano", "secret")
conout("SMTPAuth returned", n)
`},
		{"POP3Retr", stallRetrPOP3, `
local o = TMailManager():New()
o:Init("pop.example.test", "", "fulano", "secret", 110, 0)
o:SetPOPTimeout(60)
local n = o:PopConnect()
if n ~= 0 then error("PopConnect: " .. o:GetErrorString(n)) end
local _, count = o:GetNumMsgs()
conout("connected", count)
local m = TMailMessage():New()
n = m:Receive(o, 1)
conout("Receive returned", n)
`},
	}
	for _, tc := range tests {
		for _, runner := range cancelRunners {
			t.Run(tc.name+"/"+runner.name, func(t *testing.T) {
				st := newStall(t)
				var out bytes.Buffer
				run := runner.prepare(t, Options{INI: []byte{}, Stdout: &out, Dial: dialTo(tc.server(t, st))}, tc.code)

				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				done := make(chan error, 1)
				go func() { done <- run(ctx) }()
				select {
				case <-st.reached:
				case err := <-done:
					t.Fatalf("script ended before the server stalled: %v\n%s", err, out.String())
				case <-time.After(10 * time.Second):
					t.Fatalf("the server never stalled\n%s", out.String())
				}
				time.Sleep(10 * time.Millisecond) // let the client block reading the reply

				start := time.Now()
				cancel()
				var err error
				select {
				case err = <-done:
				case <-time.After(5 * time.Second):
					t.Fatal("the script was not cancelled")
				}
				if elapsed := time.Since(start); elapsed >= 100*time.Millisecond {
					t.Errorf("returned %v after the cancel, want < 100ms", elapsed)
				}
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v, want context.Canceled", err)
				}
				if !strings.Contains(out.String(), "connected") || strings.Contains(out.String(), "returned") {
					t.Errorf("output %q: want the connect, not the stalled operation's return", out.String())
				}
			})
		}
	}
}

// TestCancelWhileWaitingForPoolState: Run waiting for an idle state gives
// up when its context ends.
func TestCancelWhileWaitingForPoolState(t *testing.T) {
	p, err := NewPool(Options{INI: []byte{}, Stdout: io.Discard}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	busy, err := CompileString("busy.lua", `Sleep(60000)`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, busy) }()

	// Wait until the only state is taken.
	for len(p.idle) != 0 {
		time.Sleep(time.Millisecond)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer wcancel()
	if err := p.Run(wctx, busy); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run waiting for a state: %v, want context.DeadlineExceeded", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("busy script: %v, want context.Canceled", err)
	}
	// The state is back and usable.
	quick, _ := CompileString("quick.lua", `local x = 1`)
	if err := p.Run(context.Background(), quick); err != nil {
		t.Errorf("Run after the cancel: %v", err)
	}
}
