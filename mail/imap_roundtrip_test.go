package mail

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapserver"
)

// TestIMAPRoundTrips counts the round trips of the batch operations on the
// selected folder: MoveMsgs of half a folder is one MOVE with a compact
// set; by UID one UID FETCH first finds the UIDs that exist.
func TestIMAPRoundTrips(t *testing.T) {
	const total = 400
	s := startIMAPTestServer(t, imapServerConfig{})
	if err := s.User.Create("Arquivo", nil); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= total; i++ {
		s.Add(t, "INBOX", nil, imapTestMessage(i, fmt.Sprintf("Assunto %d", i)))
	}
	var tc turnCounter
	trace := &imapTestTrace{}
	c := s.mustDial(t, imapDial{turns: &tc, trace: trace})
	if n, err := c.Select("INBOX"); err != nil || n != total {
		t.Fatalf("Select = %d, %v", n, err)
	}
	step := func(what string, want int, fn func() error) {
		t.Helper()
		before := tc.get()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := tc.get() - before; got != want {
			t.Errorf("%s: %d round trips, want %d", what, got, want)
		}
	}
	ids := make([]uint32, total/2)
	for i := range ids {
		ids[i] = uint32(i + 1)
	}
	step("Move 1:200", 1, func() error { return c.Move(ids, false, "Arquivo") })
	if !strings.Contains(trace.String(), " MOVE 1:200 ") {
		t.Errorf("no compact MOVE 1:200 in the trace:\n%s", lastLines(trace.String(), 5))
	}
	// imapmemserver repeats the EXPUNGE replies of a MOVE: count again.
	step("Count", 1, func() error { _, err := c.Count(); return err })
	rows := 0
	step("FetchAllHeaders of the selected folder", 1, func() error {
		return c.FetchAllHeaders("", []string{"Subject"}, func(HeaderRow) { rows++ })
	})
	if rows != total/2 {
		t.Errorf("%d rows after the move, want %d", rows, total/2)
	}
	odd := []uint32{}
	for uid := uint32(total/2 + 1); uid <= total; uid += 2 {
		odd = append(odd, uid)
	}
	step("Move by UID", 2, func() error { return c.Move(odd, true, "Arquivo") })
	if n, err := c.Count(); err != nil || n != total/4 {
		t.Errorf("Count after the moves = %d, %v; want %d", n, err, total/4)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestIMAPFetchAllHeadersAsync runs the background fetch of another folder
// while the server is slow to select it: Folder keeps the selected folder,
// a later call waits for the fetch, and the selection is restored.
func TestIMAPFetchAllHeadersAsync(t *testing.T) {
	release := make(chan struct{})
	s := startIMAPTestServer(t, imapServerConfig{wrap: func(s imapserver.SessionIMAP4rev2) imapserver.Session {
		return &imapSlowSession{s, release}
	}})
	if err := s.User.Create("Lenta", nil); err != nil {
		t.Fatal(err)
	}
	s.Add(t, "Lenta", nil, imapTestMessage(1, "lenta um"), imapTestMessage(2, "lenta dois"))
	s.Add(t, "INBOX", nil, imapTestMessage(1, "caixa"))
	c := s.mustDial(t, imapDial{})
	if _, err := c.Select("INBOX"); err != nil {
		t.Fatal(err)
	}
	var rows []HeaderRow
	done := make(chan error, 1)
	c.FetchAllHeadersAsync("Lenta", []string{"Subject"}, func(r HeaderRow) { rows = append(rows, r) }, func(err error) { done <- err })
	counted := make(chan int, 1)
	go func() { // queued behind the fetch
		n, _ := c.Count()
		counted <- n
	}()
	time.Sleep(50 * time.Millisecond)
	if f := c.Folder(); f != "INBOX" {
		t.Errorf("Folder during the fetch = %q, want INBOX", f)
	}
	select {
	case <-done:
		t.Fatal("the fetch ended before the server answered SELECT")
	case <-counted:
		t.Fatal("Count ran before the fetch queued ahead of it")
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if len(rows) != 2 || rows[1].Headers[0].Value != "lenta dois" {
		t.Fatalf("rows = %+v", rows)
	}
	if n := <-counted; n != 1 {
		t.Errorf("Count after the fetch = %d, want INBOX's 1", n)
	}
	if f := c.Folder(); f != "INBOX" {
		t.Errorf("Folder after the fetch = %q, want INBOX", f)
	}

	// Closing the session ends a fetch in progress with ErrCanceled.
	release2 := make(chan struct{})
	defer close(release2)
	s2 := startIMAPTestServer(t, imapServerConfig{wrap: func(s imapserver.SessionIMAP4rev2) imapserver.Session {
		return &imapSlowSession{s, release2}
	}})
	if err := s2.User.Create("Lenta", nil); err != nil {
		t.Fatal(err)
	}
	c2 := s2.mustDial(t, imapDial{})
	done2 := make(chan error, 1)
	c2.FetchAllHeadersAsync("Lenta", []string{"Subject"}, func(HeaderRow) {}, func(err error) { done2 <- err })
	time.Sleep(20 * time.Millisecond)
	c2.Close()
	select {
	case err := <-done2:
		imapWantCode(t, "fetch after Close", err, ErrCanceled)
	case <-time.After(5 * time.Second):
		t.Fatal("the fetch did not end after Close")
	}
	closed := make(chan error, 1)
	c2.FetchAllHeadersAsync("", []string{"Subject"}, func(HeaderRow) {}, func(err error) { closed <- err })
	if err := <-closed; CodeOf(err) != ErrNoConnection {
		t.Errorf("fetch on a closed session: %v, want ErrNoConnection", err)
	}
}
