package proxy

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// echoServer greets, then answers every batch of lines: it reads the
// number of lines the client announces in the first one ("3 a" means three
// lines in this batch) and replies to all of them with one write, so that
// the turns on the wire are deterministic.
func echoServer(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.WriteString(c, "hello\r\n")
				r := bufio.NewReader(c)
				for {
					first, err := r.ReadString('\n')
					if err != nil {
						return
					}
					n := int(first[0] - '0')
					reply := "echo " + first
					for i := 1; i < n; i++ {
						l, err := r.ReadString('\n')
						if err != nil {
							return
						}
						reply += "echo " + l
					}
					io.WriteString(c, reply)
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln
}

func TestProxyCountsTurns(t *testing.T) {
	srv := echoServer(t)
	tests := []struct {
		name    string
		batches []int // lines per client write
		want    int   // round trips
	}{
		{"greeting only", nil, 0},
		{"one command", []int{1}, 1},
		{"three in turn", []int{1, 1, 1}, 3},
		{"pipelined five", []int{5}, 1},
		{"mixed", []int{1, 4, 1}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Listen("127.0.0.1:0", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			c, err := net.Dial("tcp", p.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(c)
			if l, err := r.ReadString('\n'); err != nil || l != "hello\r\n" {
				t.Fatalf("greeting %q, %v", l, err)
			}
			var up, down int64 = 0, 7
			for _, n := range tt.batches {
				var b strings.Builder
				for i := 0; i < n; i++ {
					b.WriteString(string(rune('0'+n)) + " line\r\n")
				}
				if _, err := io.WriteString(c, b.String()); err != nil {
					t.Fatal(err)
				}
				up += int64(b.Len())
				for i := 0; i < n; i++ {
					l, err := r.ReadString('\n')
					if err != nil {
						t.Fatal(err)
					}
					down += int64(len(l))
				}
			}
			c.Close()
			// Wait for the relay to see the close, then read the totals.
			deadline := time.Now().Add(5 * time.Second)
			for p.Stats().BytesDown < down && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			st := p.Stats()
			if st.RoundTrips != tt.want || st.Conns != 1 || st.BytesUp != up || st.BytesDown != down {
				t.Errorf("stats %+v, want %d round trips, 1 conn, %d up, %d down", st, tt.want, up, down)
			}
		})
	}
}

func TestProxyTwoConnections(t *testing.T) {
	srv := echoServer(t)
	p, err := Listen("127.0.0.1:0", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", p.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		r.ReadString('\n')
		io.WriteString(c, "1 x\r\n")
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	if st := p.Stats(); st.Conns != 2 || st.RoundTrips != 2 {
		t.Errorf("stats %+v, want 2 connections and 2 round trips", st)
	}
}

func TestProxyUnreachableTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	p, err := Listen("127.0.0.1:0", dead)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("read from a proxy whose target is down succeeded, want EOF")
	}
	if st := p.Stats(); st.Conns != 0 {
		t.Errorf("stats %+v, want no relayed connection", st)
	}
}
