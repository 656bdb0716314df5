package pop3server_test

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/advmail/advmail/mail/pop3server"
)

// scriptConn is a connection whose peer sent script and then closed its
// sending side; what the server writes is kept in out. It makes a session
// deterministic: the server handles every command of script, then sees EOF.
type scriptConn struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (c *scriptConn) Read(p []byte) (int, error)         { return c.in.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error)        { return c.out.Write(p) }
func (c *scriptConn) Close() error                       { return nil }
func (c *scriptConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *scriptConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *scriptConn) SetDeadline(t time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(t time.Time) error { return nil }

// FuzzServerSession feeds arbitrary client input to a session: the server
// must neither panic nor hang, must greet, and must delete only on QUIT.
func FuzzServerSession(f *testing.F) {
	seeds := []string{
		"USER alice\r\nPASS secret word\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 2\r\nTOP 2 1\r\nDELE 1\r\nRSET\r\nDELE 3\r\nQUIT\r\n",
		"CAPA\r\nAUTH\r\nAUTH PLAIN AGFsaWNlAHNlY3JldCB3b3Jk\r\nLIST 1\r\nUIDL 9\r\nNOOP\r\nQUIT\r\n",
		"AUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0IHdvcmQ=\r\nRETR 1\r\nDELE 1\r\n",
		"AUTH PLAIN\r\n*\r\nAUTH PLAIN =\r\nAUTH LOGIN =\r\n=\r\nSTLS\r\nAPOP a b\r\n",
		"USER alice\nPASS secret word\nTOP 1 0\nTOP 1 x\nRETR -1\nDELE 0\nquit\n",
		"\r\n\r\n \r\nUSER\r\nPASS\r\nXOAUTH2\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		b := newMemBackend(msg1, msg2, msg3)
		srv := &pop3server.Server{Backend: b, Pipelining: true, XOAuth2: true}
		conn := &scriptConn{in: bytes.NewReader(script)}
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.ServeConn(conn)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("session did not end on input %q", script)
		}
		if !bytes.Contains(bytes.ToUpper(script), []byte("QUIT")) && len(b.deletes()) > 0 {
			t.Fatalf("messages deleted without QUIT: %v", b.deletes())
		}
		if !bytes.HasPrefix(conn.out.Bytes(), []byte("+OK POP3 server ready")) {
			t.Fatalf("no greeting: %q", conn.out.Bytes())
		}
	})
}
