// Package proxy is the lab benchmark's counting TCP proxy: it relays
// connections to a target address and counts the protocol round trips on
// the wire without decoding anything, so it works for TLS too.
//
// A round trip is a turn of the conversation: bytes from the server that
// follow bytes from the client. A server greeting that precedes any client
// byte is not counted; several writes in the same direction count once.
package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Stats are the totals of every connection a Proxy relayed.
type Stats struct {
	Conns      int   // connections accepted
	RoundTrips int   // client→server turns answered by the server
	BytesUp    int64 // client to server
	BytesDown  int64 // server to client
}

// Proxy relays the connections accepted on one listener to one target.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	stats Stats
	wg    sync.WaitGroup
	conns map[net.Conn]struct{}
}

// Listen starts a proxy on addr (e.g. "127.0.0.1:0") that forwards to
// target.
func Listen(addr, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("proxy listen %s: %w", addr, err)
	}
	p := &Proxy{ln: ln, target: target, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the address the proxy listens on.
func (p *Proxy) Addr() net.Addr { return p.ln.Addr() }

// Stats returns the totals so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close stops accepting, closes the open connections and waits for the
// relays to end.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.relay(c)
		}()
	}
}

// track registers c (add) or forgets it, so that Close can close it.
func (p *Proxy) track(c net.Conn, add bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

// direction of a chunk on the wire.
type direction int

const (
	none direction = iota
	up             // client to server
	down           // server to client
)

// turns counts the round trips of one connection.
type turns struct {
	p    *Proxy
	mu   sync.Mutex
	last direction
}

// saw records n bytes moving in direction d.
func (t *turns) saw(d direction, n int) {
	t.mu.Lock()
	rt := d == down && t.last == up
	t.last = d
	t.mu.Unlock()
	t.p.mu.Lock()
	if rt {
		t.p.stats.RoundTrips++
	}
	if d == up {
		t.p.stats.BytesUp += int64(n)
	} else {
		t.p.stats.BytesDown += int64(n)
	}
	t.p.mu.Unlock()
}

func (p *Proxy) relay(client net.Conn) {
	p.track(client, true)
	defer p.track(client, false)
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.track(server, true)
	defer p.track(server, false)
	defer server.Close()
	p.mu.Lock()
	p.stats.Conns++
	p.mu.Unlock()

	t := &turns{p: p}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pump(server, client, t, up)
	}()
	pump(client, server, t, down)
	<-done
}

// pump copies src to dst, recording every chunk read, until either side
// ends; then it half-closes dst (or closes it) so the other pump ends too.
func pump(dst, src net.Conn, t *turns, d direction) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			// Count before forwarding: the answer can only come after.
			t.saw(d, n)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				dst.Close()
				src.Close()
				return
			}
			break
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
		return
	}
	dst.Close()
}
