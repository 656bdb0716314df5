//go:build unix

package repl

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	advrt "github.com/advmail/advmail/runtime"
)

// TestHistoryFileMode: the history may hold addresses and server names, so
// it is readable by its owner only. Only Unix has these permission bits;
// on Windows the file inherits the ACL of the user's profile folder.
func TestHistoryFileMode(t *testing.T) {
	r, _ := newREPL(t)
	r.HistoryFile = filepath.Join(t.TempDir(), "cfg", "advmail", "repl_history")
	r.hist.add("1 + 1", false)
	r.saveHistory()
	fi, err := os.Stat(r.HistoryFile)
	if err != nil {
		t.Fatalf("history not saved: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v, want 0600", fi.Mode().Perm())
	}
	dir, err := os.Stat(filepath.Dir(r.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	if dir.Mode().Perm() != 0o700 {
		t.Errorf("history folder mode %v, want 0700", dir.Mode().Perm())
	}
}

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
	if out.String() != "interrupted\n" {
		t.Errorf("output %q", out.String())
	}
	// The session still evaluates.
	out.Reset()
	if _, err := r.feedInterruptible(context.Background(), "1 + 1", &out); err != nil || out.String() != "2\n" {
		t.Errorf("after interrupt: %v, %q", err, out.String())
	}
}
