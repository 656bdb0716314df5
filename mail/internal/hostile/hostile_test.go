package hostile

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func dial(t *testing.T, s *Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestFloodAndTrickle: Flood sends exactly total bytes; Trickle sends its
// text slowly, one byte at a time, in order.
func TestFloodAndTrickle(t *testing.T) {
	s := Start(t, func(c *Conn) { c.Flood([]byte("ab"), 100_001) })
	n, err := io.Copy(io.Discard, dial(t, s))
	if err != nil || n != 100_001 {
		t.Errorf("flood: %d bytes, %v; want 100001", n, err)
	}

	s = Start(t, func(c *Conn) { c.Trickle("xyz", 5*time.Millisecond) })
	c := dial(t, s)
	start := time.Now()
	buf := make([]byte, 6)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	if string(buf) != "xyzxyz" {
		t.Errorf("trickle sent %q", buf)
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Errorf("trickle sent 6 bytes in %v", time.Since(start))
	}
}

// TestIMAPScript: the default script greets, logs in and hands other
// commands to the hook; Seen records the client lines.
func TestIMAPScript(t *testing.T) {
	seen := make(chan []string, 1)
	s := Start(t, IMAP("", func(c *Conn, tag, verb, line string) bool {
		c.Send(tag + " OK " + verb + "\r\n")
		seen <- c.Seen()
		return false
	}))
	c := dial(t, s)
	r := bufio.NewReader(c)
	greet, _ := r.ReadString('\n')
	if !strings.HasPrefix(greet, "* OK [CAPABILITY IMAP4rev1]") {
		t.Fatalf("greeting %q", greet)
	}
	io.WriteString(c, "A1 LOGIN u p\r\nA2 FOO bar\r\n")
	for _, want := range []string{"A1 OK", "A2 OK FOO"} {
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, want) {
			t.Fatalf("got %q (%v), want %q", line, err, want)
		}
	}
	if got := <-seen; len(got) != 2 || got[1] != "A2 FOO bar" {
		t.Errorf("Seen() = %q", got)
	}
}
