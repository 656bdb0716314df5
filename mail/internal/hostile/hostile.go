// Package hostile runs misbehaving mail servers on loopback for the
// adversarial tests of the mail engine: servers that stall, trickle, flood,
// nest without end, announce huge literals, close mid-transfer or echo
// credentials. Each server runs one handler per connection; the handler
// scripts the server's side with the helpers of Conn.
package hostile

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Handler scripts the server side of one connection.
type Handler func(c *Conn)

// Server is a loopback TCP server running a Handler per connection. It is
// closed, and its handlers' connections with it, when the test ends.
type Server struct {
	Host string
	Port int

	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
	done  chan struct{}
}

// Start runs h on a new loopback server.
func Start(tb testing.TB, h Handler) *Server {
	return start(tb, h, nil)
}

// StartTLS runs h on a loopback server speaking implicit TLS with cfg
// (for instance a certificate the client does not trust).
func StartTLS(tb testing.TB, cfg *tls.Config, h Handler) *Server {
	return start(tb, h, cfg)
}

func start(tb testing.TB, h Handler, cfg *tls.Config) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("hostile: listen: %v", err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	s := &Server{Host: "127.0.0.1", Port: addr.Port, ln: ln, done: make(chan struct{})}
	s.wg.Add(1)
	go s.serve(h, cfg)
	tb.Cleanup(s.Close)
	return s
}

func (s *Server) serve(h Handler, cfg *tls.Config) {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		if cfg != nil {
			nc = tls.Server(nc, cfg)
		}
		s.mu.Lock()
		s.conns = append(s.conns, nc)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer nc.Close()
			h(&Conn{Conn: nc, R: bufio.NewReaderSize(nc, 64<<10), done: s.done})
		}()
	}
}

// Close stops the server and closes every connection it accepted.
func (s *Server) Close() {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Conn is the server side of one connection.
type Conn struct {
	net.Conn
	R    *bufio.Reader
	done chan struct{}

	mu    sync.Mutex
	lines []string
}

// errLineTooLong reports a client line over 64 KiB.
var errLineTooLong = errors.New("hostile: client line too long")

// Line reads one line from the client, without CRLF.
func (c *Conn) Line() (string, error) {
	b, err := c.R.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errLineTooLong
	}
	if err != nil {
		return "", err
	}
	line := strings.TrimRight(string(b), "\r\n")
	c.mu.Lock()
	c.lines = append(c.lines, line)
	c.mu.Unlock()
	return line, nil
}

// Seen returns the client lines read so far.
func (c *Conn) Seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

// Send writes s as is.
func (c *Conn) Send(s string) error {
	_, err := c.Write([]byte(s))
	return err
}

// Flood writes unit again and again until total bytes were written or the
// client hangs up; it returns the bytes written.
func (c *Conn) Flood(unit []byte, total int64) int64 {
	if len(unit) == 0 {
		return 0
	}
	chunk := unit
	for len(chunk) < 32<<10 {
		chunk = append(chunk, unit...)
	}
	var n int64
	for n < total {
		k, err := c.Write(chunk[:min(int64(len(chunk)), total-n)])
		n += int64(k)
		if err != nil {
			break
		}
	}
	return n
}

// Trickle writes s one byte every interval, then repeats it, until the
// client hangs up or the server closes.
func (c *Conn) Trickle(s string, every time.Duration) {
	for {
		for i := 0; i < len(s); i++ {
			if _, err := c.Write([]byte{s[i]}); err != nil {
				return
			}
			select {
			case <-c.done:
				return
			case <-time.After(every):
			}
		}
	}
}

// Stall waits until the client hangs up or the server closes, sending
// nothing.
func (c *Conn) Stall() {
	c.Conn.SetReadDeadline(time.Time{})
	buf := make([]byte, 4096)
	for {
		if _, err := c.Conn.Read(buf); err != nil {
			return
		}
	}
}

// IMAPHook answers one IMAP command the default script does not handle;
// it returns false to end the session.
type IMAPHook func(c *Conn, tag, verb, line string) bool

// IMAP is a minimal IMAP4rev1 server: greeting, CAPABILITY, LOGIN, SELECT
// (one message), NOOP, LOGOUT; every other command goes to hook (when hook
// is nil, or returns false, the session ends). caps replaces the default
// capabilities when not empty.
func IMAP(caps string, hook IMAPHook) Handler {
	if caps == "" {
		caps = "IMAP4rev1"
	}
	return func(c *Conn) {
		if c.Send("* OK [CAPABILITY "+caps+"] hostile ready\r\n") != nil {
			return
		}
		for {
			line, err := c.Line()
			if err != nil {
				return
			}
			tag, rest, _ := strings.Cut(line, " ")
			verb, _, _ := strings.Cut(rest, " ")
			verb = strings.ToUpper(verb)
			if verb == "UID" {
				_, r2, _ := strings.Cut(rest, " ")
				v2, _, _ := strings.Cut(r2, " ")
				verb = "UID " + strings.ToUpper(v2)
			}
			var reply string
			switch verb {
			case "CAPABILITY":
				reply = "* CAPABILITY " + caps + "\r\n" + tag + " OK done\r\n"
			case "LOGIN":
				reply = tag + " OK [CAPABILITY " + caps + "] logged in\r\n"
			case "SELECT", "EXAMINE":
				reply = "* 1 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] x\r\n* OK [UIDNEXT 2] x\r\n* FLAGS (\\Seen)\r\n" +
					tag + " OK [READ-WRITE] selected\r\n"
			case "NOOP", "CHECK", "UNSELECT", "CLOSE":
				reply = tag + " OK done\r\n"
			case "LOGOUT":
				c.Send("* BYE bye\r\n" + tag + " OK done\r\n")
				return
			default:
				if hook == nil || !hook(c, tag, verb, line) {
					return
				}
				continue
			}
			if c.Send(reply) != nil {
				return
			}
		}
	}
}

// SMTPHook answers one SMTP command the default script does not handle;
// it returns false to end the session.
type SMTPHook func(c *Conn, verb, line string) bool

// SMTP is a minimal SMTP server: greeting, EHLO (with exts), MAIL, RCPT,
// DATA (the message is read to the dot), RSET, NOOP, QUIT; other commands,
// and any command hook wants first (hook returns true), go to hook.
func SMTP(exts []string, hook SMTPHook) Handler {
	return func(c *Conn) {
		serveCommands(c, "220 hostile ESMTP\r\n", func(verb, line string) bool {
			if hook != nil && hook(c, verb, line) {
				return true
			}
			var reply string
			switch verb {
			case "EHLO", "HELO":
				var b strings.Builder
				b.WriteString("250-hostile\r\n")
				for _, e := range exts {
					b.WriteString("250-" + e + "\r\n")
				}
				b.WriteString("250 8BITMIME\r\n")
				reply = b.String()
			case "MAIL", "RCPT", "RSET", "NOOP":
				reply = "250 ok\r\n"
			case "DATA":
				if c.Send("354 go on\r\n") != nil {
					return false
				}
				for {
					l, err := c.Line()
					if err != nil {
						return false
					}
					if l == "." {
						break
					}
				}
				reply = "250 queued\r\n"
			case "QUIT":
				c.Send("221 bye\r\n")
				return false
			default:
				reply = "502 no\r\n"
			}
			return c.Send(reply) == nil
		})
	}
}

// POP3Hook answers one POP3 command the default script does not handle;
// it returns false to end the session.
type POP3Hook func(c *Conn, verb, line string) bool

// POP3 is a minimal POP3 server: greeting, CAPA (USER), USER, PASS, STAT
// (one message), NOOP, QUIT; other commands go to hook.
func POP3(hook POP3Hook) Handler {
	return func(c *Conn) {
		serveCommands(c, "+OK hostile\r\n", func(verb, line string) bool {
			var reply string
			switch verb {
			case "CAPA":
				reply = "+OK\r\nUSER\r\nUIDL\r\n.\r\n"
			case "USER", "PASS", "NOOP", "RSET":
				reply = "+OK\r\n"
			case "STAT":
				reply = "+OK 1 " + strconv.Itoa(100) + "\r\n"
			case "QUIT":
				c.Send("+OK bye\r\n")
				return false
			default:
				return hook != nil && hook(c, verb, line)
			}
			return c.Send(reply) == nil
		})
	}
}

// serveCommands sends greeting, then hands each command line, with its
// verb in upper case, to answer until answer returns false or the
// connection breaks.
func serveCommands(c *Conn, greeting string, answer func(verb, line string) bool) {
	if c.Send(greeting) != nil {
		return
	}
	for {
		line, err := c.Line()
		if err != nil {
			return
		}
		verb, _, _ := strings.Cut(line, " ")
		if !answer(strings.ToUpper(verb), line) {
			return
		}
	}
}
