package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode the charsets advmail decodes
)

// popConn is a minimal pipelining POP3 client (no POP3 library is a
// dependency of the project).
type popConn struct {
	conn net.Conn
	r    *textproto.Reader
	w    *bufio.Writer
}

func dialPOP(e *env, secure bool) (*popConn, error) {
	port := "pop3"
	if secure {
		port = "pop3s"
	}
	addr, err := e.addr(port)
	if err != nil {
		return nil, err
	}
	var conn net.Conn
	d := &net.Dialer{Timeout: 30 * time.Second}
	if secure {
		conn, err = tls.DialWithDialer(d, "tcp", addr, e.tls)
	} else {
		conn, err = d.Dial("tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	p := &popConn{conn: conn, r: textproto.NewReader(bufio.NewReaderSize(conn, 64<<10)), w: bufio.NewWriterSize(conn, 16<<10)}
	if _, err := p.status(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	return p, nil
}

// status reads one status line.
func (p *popConn) status() (string, error) {
	line, err := p.r.ReadLine()
	if err != nil {
		return "", err
	}
	if rest, ok := strings.CutPrefix(line, "+OK"); ok {
		return strings.TrimSpace(rest), nil
	}
	return "", fmt.Errorf("server: %s", line)
}

// cmd sends one command and reads its status line.
func (p *popConn) cmd(format string, a ...any) (string, error) {
	fmt.Fprintf(p.w, format+"\r\n", a...)
	if err := p.w.Flush(); err != nil {
		return "", err
	}
	return p.status()
}

// login sends USER and PASS pipelined, then STAT; it returns the count.
func (p *popConn) login(e *env) (int, error) {
	fmt.Fprintf(p.w, "USER %s\r\nPASS %s\r\nSTAT\r\n", e.user.Login, e.user.Password)
	if err := p.w.Flush(); err != nil {
		return 0, err
	}
	for _, what := range []string{"USER", "PASS"} {
		if _, err := p.status(); err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
	}
	st, err := p.status()
	if err != nil {
		return 0, fmt.Errorf("STAT: %w", err)
	}
	n, err := strconv.Atoi(strings.Fields(st + " x")[0])
	if err != nil {
		return 0, fmt.Errorf("STAT %q: %w", st, err)
	}
	return n, nil
}

// retrDeleAll pipelines RETR and DELE of messages 1..n (commands are written
// by a goroutine so that neither side blocks) and passes every message to fn.
func (p *popConn) retrDeleAll(n int, fn func(i int, r io.Reader) error) error {
	werr := make(chan error, 1)
	go func() {
		for i := 1; i <= n; i++ {
			fmt.Fprintf(p.w, "RETR %d\r\nDELE %d\r\n", i, i)
		}
		werr <- p.w.Flush()
	}()
	for i := 1; i <= n; i++ {
		if _, err := p.status(); err != nil {
			return fmt.Errorf("RETR %d: %w", i, err)
		}
		dr := p.r.DotReader()
		if err := fn(i, dr); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		if _, err := io.Copy(io.Discard, dr); err != nil {
			return fmt.Errorf("RETR %d: %w", i, err)
		}
		if _, err := p.status(); err != nil {
			return fmt.Errorf("DELE %d: %w", i, err)
		}
	}
	return <-werr
}

func (p *popConn) quit() error {
	_, err := p.cmd("QUIT")
	p.conn.Close()
	return err
}

// readMessage parses a message as advmail's Receive does: headers, every
// part decoded; onPart receives each leaf part's decoded body.
func readMessage(r io.Reader, onPart func(h message.Header, body io.Reader) error) error {
	m, err := message.Read(r)
	if err != nil && !message.IsUnknownCharset(err) {
		return err
	}
	return m.Walk(func(_ []int, ent *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) {
			return err
		}
		if ent.MultipartReader() != nil {
			return nil
		}
		if onPart == nil {
			_, err := io.Copy(io.Discard, ent.Body)
			return err
		}
		return onPart(ent.Header, ent.Body)
	})
}

// cmdPOP downloads, parses and deletes every message of the INBOX.
func cmdPOP(args []string) error {
	fs := flag.NewFlagSet("pop", flag.ContinueOnError)
	mkEnv := commonFlags(fs)
	secure := fs.Bool("tls", true, "POP3S (implicit TLS); false: plain POP3")
	want := fs.Int("want", -1, "expected number of messages (-1: any)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := mkEnv()
	if err != nil {
		return err
	}
	p, err := dialPOP(e, *secure)
	if err != nil {
		return err
	}
	defer p.conn.Close()
	n, err := p.login(e)
	if err != nil {
		return err
	}
	if *want >= 0 && n != *want {
		return fmt.Errorf("STAT says %d messages, want %d", n, *want)
	}
	if err := p.retrDeleAll(n, func(_ int, r io.Reader) error { return readMessage(r, nil) }); err != nil {
		return err
	}
	if err := p.quit(); err != nil {
		return fmt.Errorf("QUIT: %w", err)
	}
	fmt.Println(n, "messages")
	return nil
}

var errNoMessage = errors.New("no message arrived")
