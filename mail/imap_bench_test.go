package mail

import (
	"fmt"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// BenchmarkIMAPFolders compares the folder list with counts in one
// LIST-STATUS command against LIST followed by one (pipelined) STATUS per
// folder.
func BenchmarkIMAPFolders(b *testing.B) {
	const folders, perFolder = 30, 5
	for _, bc := range []struct {
		name string
		caps imap.CapSet
	}{
		{"LIST-STATUS", imapCapsFull},
		{"LIST+STATUS per folder", imapCapsNoMove},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := startIMAPTestServer(b, imapServerConfig{caps: bc.caps})
			for i := 0; i < folders; i++ {
				name := fmt.Sprintf("Pasta %02d", i)
				if err := s.User.Create(name, nil); err != nil {
					b.Fatal(err)
				}
				for j := 0; j < perFolder; j++ {
					s.Add(b, name, nil, imapTestMessage(j, "x"))
				}
			}
			c := s.mustDial(b, imapDial{})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fs, err := c.Folders(false)
				if err != nil || len(fs) != folders+1 {
					b.Fatalf("Folders: %d, %v", len(fs), err)
				}
			}
		})
	}
}

// BenchmarkIMAPFetchAllHeaders compares From+Subject of 2000 messages in one
// FETCH 1:* against one FETCH per message.
func BenchmarkIMAPFetchAllHeaders(b *testing.B) {
	const n = 2000
	names := []string{"From", "Subject"}
	s := startIMAPTestServer(b, imapServerConfig{})
	for i := 1; i <= n; i++ {
		s.Add(b, "INBOX", nil, imapTestMessage(i, fmt.Sprintf("Assunto %d", i)))
	}
	c := s.mustDial(b, imapDial{})
	if _, err := c.Select("INBOX"); err != nil {
		b.Fatal(err)
	}

	b.Run("one FETCH", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows := 0
			if err := c.FetchAllHeaders("INBOX", names, func(HeaderRow) { rows++ }); err != nil || rows != n {
				b.Fatalf("FetchAllHeaders: %d rows, %v", rows, err)
			}
		}
	})
	b.Run("FETCH per message", func(b *testing.B) {
		section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true, HeaderFields: names}
		opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}
		for i := 0; i < b.N; i++ {
			rows := 0
			err := c.do("bench", func() error {
				for seq := uint32(1); seq <= n; seq++ {
					msgs, err := c.client.Fetch(imap.SeqSetNum(seq), opts).Collect()
					if err != nil {
						return err
					}
					for _, m := range msgs {
						_ = imapPickHeaders(imapParseHeader(m.BodySection[0].Bytes), names)
						rows++
					}
				}
				return nil
			})
			if err != nil || rows != n {
				b.Fatalf("per message: %d rows, %v", rows, err)
			}
		}
	})
}

// BenchmarkIMAPMove moves a batch of 100 messages: one MOVE, the UIDPLUS
// fallback (FETCH UID, UID COPY, UID STORE + UID EXPUNGE), and, for
// comparison, one MOVE per message.
func BenchmarkIMAPMove(b *testing.B) {
	const batch = 100
	ids := make([]uint32, batch)
	for i := range ids {
		ids[i] = uint32(i + 1)
	}
	for _, bc := range []struct {
		name     string
		caps     imap.CapSet
		oneByOne bool
	}{
		{"MOVE batch", imapCapsFull, false},
		{"UIDPLUS fallback batch", imapCapsNoMove, false},
		{"MOVE one by one", imapCapsFull, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := startIMAPTestServer(b, imapServerConfig{caps: bc.caps})
			if err := s.User.Create("Arquivo", nil); err != nil {
				b.Fatal(err)
			}
			c := s.mustDial(b, imapDial{})
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for j := 0; j < batch; j++ {
					s.Add(b, "INBOX", nil, imapTestMessage(j, "mover"))
				}
				if n, err := c.Select("INBOX"); err != nil || n != batch {
					b.Fatalf("Select: %d, %v", n, err)
				}
				b.StartTimer()
				if bc.oneByOne {
					for range ids {
						if err := c.Move([]uint32{1}, false, "Arquivo"); err != nil {
							b.Fatal(err)
						}
					}
				} else if err := c.Move(ids, false, "Arquivo"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
