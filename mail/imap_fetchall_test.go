package mail

import (
	"testing"
)

// TestIMAPFetchAllHeadersAsyncPipelined: the background fetch of another
// folder sends its FETCH behind the SELECT (one round trip for both when
// the name is plain ASCII), discards nothing it should keep and keeps
// nothing it should discard: a missing folder is ErrNoSuchFolder with no
// rows, an empty one gives no rows and no error, and the folder shown
// before (selected or chosen with SelectLater) is the one after.
func TestIMAPFetchAllHeadersAsyncPipelined(t *testing.T) {
	s := startIMAPTestServer(t, imapServerConfig{})
	for _, f := range []string{"Outra", "Relatórios", "Vazia", "Vázia"} {
		if err := s.User.Create(f, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.Add(t, "INBOX", nil, imapTestMessage(1, "caixa"))
	s.Add(t, "Outra", nil, imapTestMessage(1, "outra um"), imapTestMessage(2, "outra dois"))
	s.Add(t, "Relatórios", nil, imapTestMessage(1, "relatório"))

	tests := []struct {
		name    string
		later   bool // INBOX chosen with SelectLater instead of selected
		folder  string
		rows    []string // the subjects
		wantErr Code
		turns   int // of the fetch and the restoring of the selection
	}{
		{"plain name, INBOX selected", false, "Outra", []string{"outra um", "outra dois"}, 0, 2},
		{"plain name, INBOX chosen later", true, "Outra", []string{"outra um", "outra dois"}, 0, 1},
		{"non-ASCII name: SELECT, then FETCH", false, "Relatórios", []string{"relatório"}, 0, 3},
		{"empty folder", true, "Vazia", nil, 0, 1},
		{"empty folder, non-ASCII name: no FETCH", false, "Vázia", nil, 0, 2},
		{"missing folder", false, "Nenhuma", nil, ErrNoSuchFolder, 2},
		{"missing folder, INBOX chosen later", true, "Nenhuma", nil, ErrNoSuchFolder, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tc turnCounter
			c := s.mustDial(t, imapDial{turns: &tc})
			defer c.Logout()
			if tt.later {
				if err := c.SelectLater("INBOX"); err != nil {
					t.Fatal(err)
				}
			} else if _, err := c.Select("INBOX"); err != nil {
				t.Fatal(err)
			}
			before := tc.get()
			var got []string
			done := make(chan error, 1)
			c.FetchAllHeadersAsync(tt.folder, []string{"Subject"}, func(r HeaderRow) {
				got = append(got, r.Headers[0].Value)
			}, func(err error) { done <- err })
			err := <-done
			turns := tc.get() - before
			if tt.wantErr != 0 {
				imapWantCode(t, "fetch", err, tt.wantErr)
			} else if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if len(got) != len(tt.rows) {
				t.Fatalf("rows %q, want %q", got, tt.rows)
			}
			for i := range got {
				if got[i] != tt.rows[i] {
					t.Errorf("row %d = %q, want %q", i+1, got[i], tt.rows[i])
				}
			}
			if turns != tt.turns {
				t.Errorf("%d round trips, want %d", turns, tt.turns)
			}
			if f := c.Folder(); f != "INBOX" {
				t.Errorf("Folder after the fetch = %q, want INBOX", f)
			}
			if n, err := c.Count(); err != nil || n != 1 {
				t.Errorf("Count after the fetch = %d, %v; want INBOX's 1", n, err)
			}
		})
	}
}
