package mail

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/advmail/advmail/mail/internal/hostile"
)

// pop3DeleServer is a PIPELINING POP3 server of count small messages that
// refuses DELE of the messages in refuse. It records every client line and
// the reads it took to get them (a batch of pipelined commands is usually
// one read).
type pop3DeleServer struct {
	count  int
	refuse map[int]bool

	mu      sync.Mutex
	lines   []string
	quit    bool
	deleted map[int]bool
	conn    *hostile.Conn
}

// kick ends the session as Dovecot's "doveadm kick" does: an unsolicited
// -ERR [SYS/TEMP] line, then a close.
func (s *pop3DeleServer) kick() {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	c.Send("-ERR [SYS/TEMP] Server shutting down.\r\n")
	c.Close()
}

func (s *pop3DeleServer) handle(c *hostile.Conn) {
	s.mu.Lock()
	s.conn = c
	s.mu.Unlock()
	if c.Send("+OK ready\r\n") != nil {
		return
	}
	for {
		line, err := c.Line()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.lines = append(s.lines, line)
		s.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		var n int
		fmt.Sscan(arg, &n)
		var reply string
		switch strings.ToUpper(verb) {
		case "CAPA":
			reply = "+OK\r\nUSER\r\nPIPELINING\r\n.\r\n"
		case "USER", "PASS", "NOOP":
			reply = "+OK\r\n"
		case "RSET":
			s.deleted = nil
			reply = "+OK\r\n"
		case "STAT":
			reply = fmt.Sprintf("+OK %d %d\r\n", s.count, s.count*20)
		case "RETR":
			reply = fmt.Sprintf("+OK\r\nSubject: %d\r\n\r\nbody\r\n.\r\n", n)
			if s.deleted[n] {
				reply = "-ERR deleted\r\n"
			}
		case "DELE":
			switch {
			case s.refuse[n]:
				reply = "-ERR cannot delete now\r\n"
			case s.deleted[n]:
				reply = "-ERR already deleted\r\n"
			default:
				if s.deleted == nil {
					s.deleted = make(map[int]bool)
				}
				s.deleted[n] = true
				reply = "+OK marked\r\n"
			}
		case "QUIT":
			s.mu.Lock()
			s.quit = true
			s.mu.Unlock()
			c.Send("+OK bye\r\n")
			return
		default:
			reply = "-ERR unknown\r\n"
		}
		if c.Send(reply) != nil {
			return
		}
	}
}

func (s *pop3DeleServer) seen() (lines []string, quit bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lines), s.quit
}

func pop3DeleDial(t *testing.T, s *pop3DeleServer, tc *turnCounter) *POP3Client {
	t.Helper()
	srv := hostile.Start(t, s.handle)
	o := POP3Options{Endpoint: Endpoint{Host: srv.Host, Port: srv.Port}, Timeout: 5 * time.Second}
	tr := hostileTransport(t)
	tr.Dial = tc.dial
	c, err := DialPOP3(context.Background(), tr, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("user", "secret-pass"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Stat(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPOP3PipelinedDele downloads and deletes every message, as a script
// does: the DELE commands travel with the next RETR batch and QUIT, and a
// refused one is reported at Quit, which then does not send QUIT.
func TestPOP3PipelinedDele(t *testing.T) {
	// Round trips after STAT: RETR batches of 5, 9 and 6 messages
	// (read-ahead grows while reading in order), the last DELE commands,
	// then QUIT once their replies are in.
	tests := []struct {
		name      string
		refuse    map[int]bool
		wantErr   bool
		wantTurns int
	}{
		{"all accepted", nil, false, 5},
		{"one refused", map[int]bool{7: true}, true, 4},
		{"last refused", map[int]bool{20: true}, true, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const count = 20
			s := &pop3DeleServer{count: count, refuse: tt.refuse}
			var tc turnCounter
			c := pop3DeleDial(t, s, &tc)
			turns0 := tc.get()
			for i := 1; i <= count; i++ {
				got, err := c.Retr(i)
				if err != nil || !strings.Contains(string(got), fmt.Sprintf("Subject: %d\r\n", i)) {
					t.Fatalf("Retr(%d) = %q, %v", i, got, err)
				}
				if err := c.Dele(i); err != nil {
					t.Fatalf("Dele(%d): %v (a pipelined DELE is checked later)", i, err)
				}
			}
			err := c.Quit()
			if got := tc.get() - turns0; got != tt.wantTurns {
				t.Errorf("%d round trips, want %d", got, tt.wantTurns)
			}
			lines, quit := s.seen()
			if got := pop3Count(lines, "DELE "); got != count {
				t.Errorf("%d DELE commands sent, want %d", got, count)
			}
			if tt.wantErr {
				if CodeOf(err) != ErrCommandFailed || !strings.Contains(err.Error(), "cannot delete now") {
					t.Fatalf("Quit = %v, want the refused DELE", err)
				}
				if quit {
					t.Fatal("QUIT was sent after a refused DELE: the other deletions were committed")
				}
			} else {
				if err != nil {
					t.Fatalf("Quit: %v", err)
				}
				if !quit {
					t.Fatal("QUIT was not sent")
				}
			}
		})
	}
}

// TestPOP3PipelinedDeleStat checks that the replies of pipelined DELE
// commands are read before a command that depends on them (STAT), and that
// RSET forgets a refused deletion.
func TestPOP3PipelinedDeleStat(t *testing.T) {
	s := &pop3DeleServer{count: 5, refuse: map[int]bool{2: true}}
	var tc turnCounter
	c := pop3DeleDial(t, s, &tc)
	for _, n := range []int{1, 2} {
		if err := c.Dele(n); err != nil {
			t.Fatalf("Dele(%d): %v", n, err)
		}
	}
	if n, _, err := c.Stat(); err != nil || n != 5 {
		t.Fatalf("Stat = %d, %v", n, err)
	}
	if _, err := c.Retr(2); err != nil {
		t.Errorf("Retr(2), whose DELE was refused: %v", err)
	}
	if _, err := c.Retr(1); CodeOf(err) != ErrNoSuchMessage {
		t.Errorf("Retr(1) after its DELE: %v, want ErrNoSuchMessage", err)
	}
	if err := c.Rset(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("Quit after RSET: %v", err)
	}
	if _, quit := s.seen(); !quit {
		t.Fatal("QUIT was not sent after RSET")
	}
}

func pop3Count(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// TestPOP3PipelinedDeleKicked checks that a DELE after the server shut the
// session down reports the lost connection at once, as an unpipelined one
// does, and that nothing is committed.
func TestPOP3PipelinedDeleKicked(t *testing.T) {
	s := &pop3DeleServer{count: 4}
	var tc turnCounter
	c := pop3DeleDial(t, s, &tc)
	if _, err := c.Retr(1); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 3} {
		if err := c.Dele(n); err != nil {
			t.Fatalf("Dele(%d): %v", n, err)
		}
	}
	s.kick()
	time.Sleep(50 * time.Millisecond) // let the line and the close arrive
	if err := c.Dele(4); CodeOf(err) != ErrConnectionLost {
		t.Fatalf("Dele(4) after the kick: %v, want ErrConnectionLost", err)
	}
	if err := c.Quit(); err == nil {
		t.Fatal("Quit after the kick succeeded")
	}
	if _, quit := s.seen(); quit {
		t.Fatal("QUIT was sent")
	}
}
