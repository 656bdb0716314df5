//go:build unix

package repl

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	advrt "github.com/advmail/advmail/runtime"
)

// TestInterruptCancelsStatement sends the process a real SIGINT while a
// statement runs at the terminal prompt: the statement stops, the session
// (and the process) go on.
func TestInterruptCancelsStatement(t *testing.T) {
	started := make(chan struct{})
	rt, err := advrt.New(advrt.Options{Stdout: signalWriter{started}, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	r := New(rt)
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := r.feedInterruptible(context.Background(), "conout('started') while true do end", &out)
		done <- err
	}()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("statement did not start")
	}
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := self.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("feed: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("SIGINT did not stop the statement")
	}
	if !strings.Contains(out.String(), "(interrupted)") {
		t.Errorf("output %q", out.String())
	}
	// The session still evaluates.
	out.Reset()
	if _, err := r.feedInterruptible(context.Background(), "1 + 1", &out); err != nil || out.String() != "2\n" {
		t.Errorf("after interrupt: %v, %q", err, out.String())
	}
}
