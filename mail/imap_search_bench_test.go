package mail

import (
	"fmt"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// BenchmarkIMAPSearch is the search workload: the UIDs of the unread
// messages from one sender among 20,000, through Search (parse + one UID
// SEARCH RETURN (ALL)) and through a bare go-imap client sending the same
// command. The two should be within a few percent.
func BenchmarkIMAPSearch(b *testing.B) {
	const n, want = 20000, 1000 // every 10th is from the supplier, half of those unread
	caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapESearch: {}, imap.CapLiteralPlus: {}}
	s := startIMAPTestServer(b, imapServerConfig{caps: caps})
	for i := 1; i <= n; i++ {
		from := fmt.Sprintf("outro%d@example.com", i)
		if i%10 == 0 {
			from = "nfe@fornecedor.com.br"
		}
		var flags []imap.Flag
		if i%20 == 0 || i%10 != 0 && i%2 == 1 {
			flags = []imap.Flag{imap.FlagSeen}
		}
		msg := fmt.Sprintf("From: %s\r\nTo: compras@empresa.com.br\r\nSubject: NF-e %d\r\n\r\nCorpo\r\n", from, i)
		s.Add(b, "INBOX", flags, msg)
	}
	const criteria = "UNSEEN FROM nfe@fornecedor.com.br"

	b.Run("advmail Search", func(b *testing.B) {
		c := s.mustDial(b, imapDial{})
		if _, err := c.Select("INBOX"); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			crit, err := ParseSearchCriteria(criteria)
			if err != nil {
				b.Fatal(err)
			}
			uids, err := c.Search(crit, true)
			if err != nil || len(uids) != want {
				b.Fatalf("Search: %d UIDs, %v", len(uids), err)
			}
		}
	})
	b.Run("bare go-imap", func(b *testing.B) {
		c, err := imapclient.DialInsecure(fmt.Sprintf("%s:%d", s.Host, s.Port), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if err := c.Login(imapTestUser, imapTestPass).Wait(); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			b.Fatal(err)
		}
		crit := &imap.SearchCriteria{
			NotFlag: []imap.Flag{imap.FlagSeen},
			Header:  []imap.SearchCriteriaHeaderField{{Key: "From", Value: "nfe@fornecedor.com.br"}},
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			data, err := c.UIDSearch(crit, &imap.SearchOptions{ReturnAll: true}).Wait()
			if err != nil || len(data.AllUIDs()) != want {
				b.Fatalf("UIDSearch: %v", err)
			}
		}
	})
}
