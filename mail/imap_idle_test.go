package mail

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// imapCapsIdle is imapCapsFull plus IDLE (imapserver announces IDLE after
// login whatever its Caps say; see hideIdle).
var imapCapsIdle = func() imap.CapSet {
	caps := imap.CapSet{imap.CapIdle: {}}
	for c := range imapCapsFull {
		caps[c] = struct{}{}
	}
	return caps
}()

// hideIdle makes c see a server without IDLE (imapserver always announces
// it to IMAP4rev1 clients).
func hideIdle(c *IMAPClient) {
	caps := imap.CapSet{}
	for k := range c.caps {
		if k != imap.CapIdle && k != imap.CapIMAP4rev2 {
			caps[k] = struct{}{}
		}
	}
	c.caps = caps
}

// appendFromAnother APPENDs n messages to INBOX over a second connection
// after delay.
func (s *imapTestServer) appendFromAnother(t *testing.T, delay time.Duration, n int) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	time.AfterFunc(delay, func() {
		done <- func() error {
			c, err := imapclient.DialInsecure(fmt.Sprintf("%s:%d", s.Host, s.Port), nil)
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.Login(imapTestUser, imapTestPass).Wait(); err != nil {
				return err
			}
			for i := 0; i < n; i++ {
				msg := imapTestMessage(100+i, "nova")
				cmd := c.Append("INBOX", int64(len(msg)), nil)
				if _, err := cmd.Write([]byte(msg)); err != nil {
					return err
				}
				if err := cmd.Close(); err != nil {
					return err
				}
				if _, err := cmd.Wait(); err != nil {
					return err
				}
			}
			return c.Logout().Wait()
		}()
	})
	return done
}

// shorten sets *v to d for the test.
func shorten(t *testing.T, v *time.Duration, d time.Duration) {
	old := *v
	*v = d
	t.Cleanup(func() { *v = old })
}

func TestIMAPWaitNew(t *testing.T) {
	tests := []struct {
		name    string
		caps    imap.CapSet
		noIdle  bool // the client sees no IDLE
		arrive  int  // messages appended after 150 ms (0: none)
		timeout time.Duration
		want    int
		verb    string // command expected in the trace
		notVerb string // command that must not appear
	}{
		{"IDLE woken by an APPEND", imapCapsIdle, false, 1, 5 * time.Second, 1, "IDLE", "NOOP"},
		{"IDLE timeout", imapCapsIdle, false, 0, 300 * time.Millisecond, 0, "IDLE", "NOOP"},
		{"NOOP fallback woken", imapCapsFull, true, 1, 5 * time.Second, 1, "NOOP", "IDLE"},
		{"NOOP fallback timeout", imapCapsFull, true, 0, 300 * time.Millisecond, 0, "NOOP", "IDLE"},
		{"IMAP4rev2 server", imapCapsRev2, false, 1, 5 * time.Second, 1, "IDLE", "NOOP"},
	}
	shorten(t, &imapPollInterval, 50*time.Millisecond)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startIMAPTestServer(t, imapServerConfig{caps: tt.caps})
			s.Add(t, "INBOX", nil, imapTestMessage(1, "velha"))
			trace := &imapTestTrace{}
			c := s.mustDial(t, imapDial{trace: trace})
			if tt.noIdle {
				hideIdle(c)
			}
			var appended <-chan error
			if tt.arrive > 0 {
				appended = s.appendFromAnother(t, 150*time.Millisecond, tt.arrive)
			}
			start := time.Now()
			n, err := c.WaitNew(context.Background(), tt.timeout)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("WaitNew: %v", err)
			}
			if n != tt.want {
				t.Errorf("WaitNew = %d, want %d", n, tt.want)
			}
			if tt.want == 0 && took < tt.timeout {
				t.Errorf("WaitNew returned after %v, before its timeout %v", took, tt.timeout)
			}
			if tt.want > 0 && took > 2*time.Second {
				t.Errorf("WaitNew took %v to see the new message", took)
			}
			if appended != nil {
				if err := <-appended; err != nil {
					t.Fatalf("append: %v", err)
				}
			}
			if got := trace.commands(tt.verb); got == 0 {
				t.Errorf("no %s in the trace:\n%s", tt.verb, trace)
			}
			if got := trace.commands(tt.notVerb); got != 0 {
				t.Errorf("%d %s in the trace:\n%s", got, tt.notVerb, trace)
			}
			if tt.verb == "IDLE" && !strings.Contains(trace.String(), "DONE") {
				t.Errorf("IDLE not ended with DONE:\n%s", trace)
			}
			// The session is usable and sees the messages.
			total, err := c.Count()
			if err != nil {
				t.Fatalf("Count after WaitNew: %v", err)
			}
			if total != 1+tt.arrive {
				t.Errorf("Count = %d, want %d", total, 1+tt.arrive)
			}
		})
	}
}

func TestIMAPWaitNewCancel(t *testing.T) {
	for _, name := range []string{"IDLE", "NOOP"} {
		t.Run(name, func(t *testing.T) {
			shorten(t, &imapPollInterval, time.Hour) // cancellation must not wait for the next poll
			s := startIMAPTestServer(t, imapServerConfig{caps: imapCapsIdle})
			trace := &imapTestTrace{}
			c := s.mustDial(t, imapDial{trace: trace})
			if name == "NOOP" {
				hideIdle(c)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var cancelled time.Time
			time.AfterFunc(200*time.Millisecond, func() { cancelled = time.Now(); cancel() })
			n, err := c.WaitNew(ctx, time.Minute)
			late := time.Since(cancelled)
			imapWantCode(t, "WaitNew", err, ErrCanceled)
			if n != 0 {
				t.Errorf("WaitNew = %d, want 0", n)
			}
			if late > 100*time.Millisecond {
				t.Errorf("WaitNew returned %v after the cancel, want <= 100ms", late)
			}
			// The session stays usable: the next command works.
			s.Add(t, "INBOX", nil, imapTestMessage(1, "depois"))
			if total, err := c.Count(); err != nil || total != 1 {
				t.Fatalf("Count after the cancel = %d, %v; want 1, nil", total, err)
			}
			if name == "IDLE" && !strings.Contains(trace.String(), "DONE") {
				t.Errorf("IDLE not ended with DONE:\n%s", trace)
			}
		})
	}
}

func TestIMAPWaitNewReissue(t *testing.T) {
	shorten(t, &imapIdleReissue, 100*time.Millisecond)
	s := startIMAPTestServer(t, imapServerConfig{caps: imapCapsIdle})
	trace := &imapTestTrace{}
	c := s.mustDial(t, imapDial{trace: trace})
	appended := s.appendFromAnother(t, 450*time.Millisecond, 2)
	n, err := c.WaitNew(context.Background(), 5*time.Second)
	if err != nil {
		t.Fatalf("WaitNew: %v", err)
	}
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	if n < 1 || n > 2 {
		t.Errorf("WaitNew = %d, want 1 or 2", n)
	}
	if got := trace.commands("IDLE"); got < 3 {
		t.Errorf("IDLE issued %d times in 450 ms with a 100 ms re-issue, want >= 3:\n%s", got, trace)
	}
	// What arrived but was not counted yet is counted by the next wait.
	if n == 1 {
		m, err := c.WaitNew(context.Background(), time.Second)
		if err != nil || m != 1 {
			t.Errorf("second WaitNew = %d, %v; want 1, nil", m, err)
		}
	}
}

func TestIMAPWaitNewZeroTimeout(t *testing.T) {
	s := startIMAPTestServer(t, imapServerConfig{caps: imapCapsIdle})
	trace := &imapTestTrace{}
	c := s.mustDial(t, imapDial{trace: trace})
	n, err := c.WaitNew(context.Background(), 0)
	if err != nil || n != 0 {
		t.Fatalf("WaitNew(0) = %d, %v; want 0, nil", n, err)
	}
	if trace.commands("NOOP") != 1 || trace.commands("IDLE") != 0 {
		t.Errorf("WaitNew(0) should check once with NOOP:\n%s", trace)
	}
}

func TestIMAPWaitNewClosed(t *testing.T) {
	s := startIMAPTestServer(t, imapServerConfig{caps: imapCapsIdle})
	c := s.mustDial(t, imapDial{})
	time.AfterFunc(150*time.Millisecond, func() { c.Close() })
	_, err := c.WaitNew(context.Background(), time.Minute)
	imapWantCode(t, "WaitNew after Close", err, ErrCanceled)
	_, err = c.WaitNew(context.Background(), time.Second)
	imapWantCode(t, "WaitNew on a closed session", err, ErrNoConnection)
	var nilClient *IMAPClient
	_, err = nilClient.WaitNew(context.Background(), time.Second)
	imapWantCode(t, "WaitNew on nil", err, ErrNoConnection)
}

// The handlers count EXPUNGE so that a deletion during the wait does not
// hide an arrival.
func TestIMAPWaitStateArrived(t *testing.T) {
	s := startIMAPTestServer(t, imapServerConfig{caps: imapCapsIdle})
	s.Add(t, "INBOX", nil, imapTestMessage(1, "a"), imapTestMessage(2, "b"))
	c := s.mustDial(t, imapDial{})
	if _, err := c.Select("INBOX"); err != nil {
		t.Fatal(err)
	}
	st := imapWaitState{c: c, base: c.numMessages(), expunged: c.watch.expunged.Load()}
	if st.base != 2 || st.arrived() != 0 {
		t.Fatalf("base %d arrived %d, want 2 and 0", st.base, st.arrived())
	}
	c.watch.expunged.Add(1) // one message expunged, the count unchanged: one arrived
	if got := st.arrived(); got != 1 {
		t.Errorf("arrived = %d, want 1", got)
	}
}

func TestIMAPWaitNewCancelledBefore(t *testing.T) {
	s := startIMAPTestServer(t, imapServerConfig{caps: imapCapsIdle})
	trace := &imapTestTrace{}
	c := s.mustDial(t, imapDial{trace: trace})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.WaitNew(ctx, time.Minute)
	imapWantCode(t, "WaitNew with a cancelled context", err, ErrCanceled)
	if trace.commands("IDLE") != 0 {
		t.Errorf("IDLE sent although the context was cancelled:\n%s", trace)
	}
	if _, err := c.Count(); err != nil {
		t.Errorf("Count: %v", err)
	}
}
