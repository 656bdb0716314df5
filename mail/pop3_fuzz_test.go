package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/advmail/advmail/mail"
)

// pop3ScriptConn is a connection whose server sent script and then closed
// its sending side; what the client writes is discarded. It makes a fuzz
// run deterministic: the client sees every byte of script, then EOF.
type pop3ScriptConn struct{ in *bytes.Reader }

func (c *pop3ScriptConn) Read(p []byte) (int, error)         { return c.in.Read(p) }
func (c *pop3ScriptConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c *pop3ScriptConn) Close() error                       { return nil }
func (c *pop3ScriptConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *pop3ScriptConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *pop3ScriptConn) SetDeadline(t time.Time) error      { return nil }
func (c *pop3ScriptConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *pop3ScriptConn) SetWriteDeadline(t time.Time) error { return nil }

// pop3FuzzSession runs a whole client session against conn. Every error
// must be a *mail.Error.
func pop3FuzzSession(t *testing.T, conn net.Conn) {
	tr := &mail.Transport{
		Config: mail.DefaultConfig(),
		Dial: func(context.Context, mail.Protocol, mail.Endpoint) (net.Conn, error) {
			return conn, nil
		},
	}
	check := func(what string, err error) {
		var e *mail.Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("%s: error %v (%T) is not a *mail.Error", what, err, err)
		}
	}
	c, err := mail.DialPOP3(context.Background(), tr, mail.POP3Options{
		Endpoint: mail.Endpoint{Host: "fuzz.invalid"},
		Timeout:  5 * time.Second,
	})
	check("DialPOP3", err)
	if err != nil {
		return
	}
	defer c.Close()
	check("Login", c.Login("alice", "pw"))
	_, _, err = c.Stat()
	check("Stat", err)
	_, err = c.List()
	check("List", err)
	_, err = c.UIDL()
	check("UIDL", err)
	for _, n := range []int{1, 2, 4, 3} {
		_, err = c.Retr(n)
		check("Retr", err)
	}
	_, err = c.Top(1, 0)
	check("Top", err)
	check("Dele", c.Dele(2))
	_, err = c.Retr(2)
	check("Retr deleted", err)
	check("Rset", c.Rset())
	check("Noop", c.Noop())
	check("Quit", c.Quit())
}

// FuzzPOP3Reply feeds arbitrary server output to the client, once as a
// deterministic byte stream and once from a peer over net.Pipe that writes
// the bytes and hangs up. The client must neither panic nor hang, and must
// report every failure as a *mail.Error.
func FuzzPOP3Reply(f *testing.F) {
	const (
		greet = "+OK POP3 ready <1.2@host>\r\n"
		capa  = "+OK\r\nTOP\r\nUIDL\r\nUSER\r\nPIPELINING\r\nSASL PLAIN LOGIN\r\n.\r\n"
		auth  = "+OK logged in\r\n"
		stat  = "+OK 4 120\r\n"
		list  = "+OK 4 messages\r\n1 30\r\n2 30\r\n3 30\r\n4 30\r\n.\r\n"
		uidl  = "+OK\r\n1 a\r\n2 b\r\n3 c\r\n4 d\r\n.\r\n"
		msg   = "+OK 30 octets\r\nSubject: x\r\n\r\n..dot\r\nbody\r\n.\r\n"
	)
	seeds := []string{
		greet + capa + auth + stat + list + uidl + msg + msg + msg + msg + msg + "+OK\r\n" + "-ERR deleted\r\n" + "+OK\r\n+OK\r\n+OK bye\r\n",
		greet + "-ERR no CAPA\r\n" + "+OK\r\n+OK\r\n" + stat + list,
		greet + capa + "+ \r\n+OK\r\n" + stat + "+OK\r\n1 10\r\n..\r\n.\r\n",
		greet + capa + "+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n-ERR [AUTH] no\r\n",
		greet + capa + auth + "+OK 4 120\r\n" + msg + "-ERR no such message\r\n" + msg,
		greet + capa + auth + "+OK 99999999999999999999 1\r\n+OK -1 x\r\n1 -5\r\n",
		greet + capa + auth + stat + msg + "+OK\r\nSubject: y\r\n\r\nno terminator",
		"+OK\n+OK\n.\n+OK\n+OK 1 1\n+OK\n1 1\n.\n",
		"-ERR busy\r\n",
		"* OK IMAP4rev1\r\n",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			pop3FuzzSession(t, &pop3ScriptConn{in: bytes.NewReader(data)})

			client, server := net.Pipe()
			go io.Copy(io.Discard, server)
			go func() {
				server.Write(data)
				server.Close()
			}()
			pop3FuzzSession(t, client)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("the client hung on %q", data)
		}
	})
}
