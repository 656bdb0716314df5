package mail

import (
	"strings"
	"testing"
)

// TestIMAPFetchSpoolBound: a message fetched into a Spool may exceed the
// in-memory bound (it goes to a temporary file) up to MaxSpooledMessage,
// while Fetch keeps its bound; a literal beyond MaxSpooledMessage is
// refused, and the session goes on after each refusal. The bounds are
// shrunk to a few KiB so that no real gigabyte message is needed.
func TestIMAPFetchSpoolBound(t *testing.T) {
	oldMem, oldSpool := imapMaxMessage, MaxSpooledMessage
	oldT, oldDir := SpillThreshold, SpillDir
	imapMaxMessage, MaxSpooledMessage = 1<<10, 16<<10
	SpillThreshold, SpillDir = 512, t.TempDir()
	t.Cleanup(func() {
		imapMaxMessage, MaxSpooledMessage = oldMem, oldSpool
		SpillThreshold, SpillDir = oldT, oldDir
	})
	// The guard lets a FETCH literal of the spooled bound through only
	// while FetchSpool runs: a slack smaller than the gap between the
	// bounds tells the two apart.
	oldOther := imapMaxOtherLiteral
	imapMaxOtherLiteral = 1 << 10
	t.Cleanup(func() { imapMaxOtherLiteral = oldOther })

	s := startIMAPTestServer(t, imapServerConfig{})
	body := func(n int) string { return "Subject: big\r\n\r\n" + strings.Repeat("x", n) + "\r\n" }
	// over and huge exceed a bound by less than the guard's slack: they
	// are refused and the session goes on; mid is far over the in-memory
	// bound and within the spooled one.
	over, mid, huge, small := body(1<<10+256), body(8<<10), body(16<<10+256), imapTestMessage(4, "small")
	s.Add(t, "INBOX", nil, over, mid, huge, small)
	c := s.mustDial(t, imapDial{})

	tests := []struct {
		name    string
		id      uint32
		spool   bool
		want    string // the message, when no error is wanted
		wantErr Code
	}{
		{"in memory, over the in-memory bound", 1, false, "", ErrMessageTooLarge},
		{"spooled, over the in-memory bound", 1, true, over, 0},
		{"spooled, far over the in-memory bound", 2, true, mid, 0},
		{"spooled, over the spooled bound", 3, true, "", ErrMessageTooLarge},
		{"in memory, small, after the refusals", 4, false, small, 0},
		{"spooled, small", 4, true, small, 0},
		// Last: the guard closes the session.
		{"in memory, far over the in-memory bound", 2, false, "", ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []byte
			var err error
			if tt.spool {
				var sp *Spool
				sp, err = c.FetchSpool(tt.id, false)
				if err == nil {
					if len(tt.want) > 512 && !sp.Spilled() {
						t.Errorf("a %d-byte message stayed in memory (threshold 512)", len(tt.want))
					}
					got, err = sp.Bytes()
					sp.Discard()
				}
			} else {
				got, err = c.Fetch(tt.id, false)
			}
			if tt.wantErr != 0 {
				imapWantCode(t, tt.name, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got %d bytes, want %d", len(got), len(tt.want))
			}
		})
	}
}
