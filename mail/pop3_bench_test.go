package mail_test

import (
	"bytes"
	"testing"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/pop3server"
)

// BenchmarkPOP3Retr retrieves 200 small messages over loopback, with
// read-ahead (PIPELINING) and one at a time.
func BenchmarkPOP3Retr(b *testing.B) {
	const count = 200
	msgs := pop3Many(count)
	for _, bc := range []struct {
		name      string
		readAhead int
	}{{"readahead", 0}, {"none", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			be := newPOP3Backend(msgs...)
			ep := pop3Start(b, &pop3server.Server{Backend: be, Pipelining: true}, nil)
			c := pop3Dial(b, pop3Transport(nil, nil, nil), mail.POP3Options{Endpoint: ep, ReadAhead: bc.readAhead})
			if err := c.Login("alice", "s3cret pass"); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for i := 1; i <= count; i++ {
					got, err := c.Retr(i)
					if err != nil {
						b.Fatal(err)
					}
					if !bytes.Equal(got, msgs[i-1]) {
						b.Fatalf("Retr(%d) returned other bytes", i)
					}
				}
			}
			b.ReportMetric(float64(b.N*count)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
