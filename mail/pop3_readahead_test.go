package mail_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/pop3server"
)

// TestPOP3ReadAheadLargeMessages reads 600 KiB messages in order without
// LIST: the growing read-ahead batches are sized from the messages already
// read, so none is dropped for the memory budget and asked for again.
func TestPOP3ReadAheadLargeMessages(t *testing.T) {
	const count = 120
	msgs := make([][]byte, count)
	for i := range msgs {
		msgs[i] = fmt.Appendf(nil, "Subject: big %d\r\n\r\n%s", i+1, bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.\r\n"), 600<<10/66))
	}
	b := newPOP3Backend(msgs...)
	ep := pop3Start(t, &pop3server.Server{Backend: b, Pipelining: true}, nil)
	c := pop3Dial(t, pop3Transport(nil, nil, nil), mail.POP3Options{Endpoint: ep})
	if err := c.Login("alice", "s3cret pass"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= count; i++ {
		got, err := c.Retr(i)
		if err != nil || !bytes.Equal(got, msgs[i-1]) {
			t.Fatalf("Retr(%d): %d bytes, %v", i, len(got), err)
		}
		if err := c.Dele(i); err != nil {
			t.Fatalf("Dele(%d): %v", i, err)
		}
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	if got := b.opens.Load(); got != count {
		t.Errorf("the server served %d messages for %d Retr calls", got, count)
	}
}
