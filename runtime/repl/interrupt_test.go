package repl

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	advrt "github.com/advmail/advmail/runtime"
)

// silentServer accepts connections and never says anything, as a hung SMTP
// server does. It returns the port.
func silentServer(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// TestInterruptHangingConnect: cancelling a statement blocked in
// SMTPConnect on a server that never answers always reports
// "interrupted" — whether the method had returned its error code by then
// or not — and the object stays usable.
func TestInterruptHangingConnect(t *testing.T) {
	port := silentServer(t)
	var out bytes.Buffer
	rt, err := advrt.New(advrt.Options{INI: []byte("[Mail]\nProtocol=POP3\n"), Stdout: &out, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	r := New(rt)
	r.HistoryFile = ""
	ctx := context.Background()
	setup := fmt.Sprintf("o = TMailManager():New()\no:Init(\"\", \"127.0.0.1\", \"u\", \"p\", 0, %d)\no:SetSMTPTimeout(60)\n", port)
	if err := r.Run(ctx, strings.NewReader(setup), &out); err != nil || out.String() != "0\n0\n" {
		t.Fatalf("setup: %v, %q", err, out.String())
	}
	// The statement forms of the report: the call as the value printed,
	// its code kept, and more code after it.
	for _, stmt := range []string{"o:SMTPConnect()", "n = o:SMTPConnect()", "n = o:SMTPConnect() conout('after', n)"} {
		for range 3 {
			out.Reset()
			cctx, cancel := context.WithCancel(ctx)
			timer := time.AfterFunc(150*time.Millisecond, cancel)
			start := time.Now()
			_, failed, err := r.feed(cctx, stmt, &out)
			timer.Stop()
			cancel()
			if err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
			if !failed || out.String() != "interrupted\n" {
				t.Errorf("%s: failed=%v, output %q, want \"interrupted\"", stmt, failed, out.String())
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("%s: took %v to stop", stmt, d)
			}
		}
	}
	// The object is usable: a new connection, with a short timeout, fails
	// with an error code and no exception.
	out.Reset()
	in := "o:SetSMTPTimeout(1)\nn = o:SMTPConnect()\nn ~= 0, o:GetErrorString(n) ~= ''\n"
	if err := r.Run(ctx, strings.NewReader(in), &out); err != nil || out.String() != "0\ntrue\ttrue\n" {
		t.Errorf("after the interrupt: %v, %q", err, out.String())
	}
}
