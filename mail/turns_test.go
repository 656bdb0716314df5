package mail

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"syscall"
)

// turnCounter counts the client's turns on the connections of a Transport
// whose Dial it wraps: a write that follows a read (or opens the
// conversation) starts a round trip, however many writes and reads it
// takes. Round trips, unlike timings, may be asserted.
type turnCounter struct {
	mu    sync.Mutex
	turns int
}

// dial is a DialFunc over TCP that counts turns.
func (tc *turnCounter) dial(ctx context.Context, proto Protocol, ep Endpoint) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ep.Host, strconv.Itoa(ep.Port)))
	if err != nil {
		return nil, err
	}
	return &turnConn{Conn: c, tc: tc, read: true}, nil
}

func (tc *turnCounter) get() int {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.turns
}

type turnConn struct {
	net.Conn
	tc   *turnCounter
	mu   sync.Mutex
	read bool // the last I/O was a read
}

func (c *turnConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.read = true
		c.mu.Unlock()
	}
	return n, err
}

func (c *turnConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.read {
		c.read = false
		c.tc.mu.Lock()
		c.tc.turns++
		c.tc.mu.Unlock()
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// SyscallConn exposes the TCP connection's descriptor (connHasInput).
func (c *turnConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("no descriptor")
	}
	return sc.SyscallConn()
}
