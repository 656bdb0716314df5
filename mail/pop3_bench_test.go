package mail_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"testing"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/internal/testca"
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

// BenchmarkPOP3RetrDele is the download-and-delete job of a script: one
// session per iteration (connect, login, STAT, RETR and DELE of every
// message, QUIT), over plain TCP and implicit TLS.
func BenchmarkPOP3RetrDele(b *testing.B) {
	const count = 300
	msgs := make([][]byte, count)
	for i := range msgs {
		msgs[i] = fmt.Appendf(nil, "Subject: message %d\r\n\r\n%s\r\n", i+1, bytes.Repeat([]byte("0123456789 abcdefghij\r\n"), 80))
	}
	ca := testca.New(b)
	for _, bc := range []struct {
		name string
		tls  *tls.Config
	}{{"plain", nil}, {"tls", ca.Server}} {
		b.Run(bc.name, func(b *testing.B) {
			be := newPOP3Backend(msgs...)
			ep := pop3Start(b, &pop3server.Server{Backend: be, Pipelining: true}, bc.tls)
			tr := pop3Transport(nil, ca.Pool, nil)
			b.ReportAllocs()
			for b.Loop() {
				c := pop3Dial(b, tr, mail.POP3Options{Endpoint: ep})
				if err := c.Login("alice", "s3cret pass"); err != nil {
					b.Fatal(err)
				}
				n, _, err := c.Stat()
				if err != nil || n != count {
					b.Fatalf("Stat = %d, %v", n, err)
				}
				for i := 1; i <= n; i++ {
					if _, err := c.Retr(i); err != nil {
						b.Fatal(err)
					}
					if err := c.Dele(i); err != nil {
						b.Fatal(err)
					}
				}
				if err := c.Quit(); err != nil {
					b.Fatal(err)
				}
				<-be.closed
			}
		})
	}
}
