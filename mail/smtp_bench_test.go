package mail

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/advmail/advmail/mail/internal/testca"
)

// smtpBenchBody is a 20 KB text body, as the lab benchmark sends.
var smtpBenchBody = strings.Repeat(strings.Repeat("relatorio de vendas ", 4)[:75]+"\r\n", 20<<10/77)

func smtpBenchMessage(i int) *Message {
	return &Message{From: "a@example.com", To: "b@example.com", Subject: fmt.Sprintf("Relatorio %d", i), Body: smtpBenchBody}
}

// TestSMTPRoundTrips checks that a message costs the four round trips
// go-smtp needs (MAIL, RCPT, DATA, the body), with nothing between two
// messages of one session (no RSET, no NOOP).
func TestSMTPRoundTrips(t *testing.T) {
	ca := testca.New(t)
	b := &testSMTPBackend{}
	port := startTestSMTP(t, srvStartTLS, ca, b, nil)
	var tc turnCounter
	tr := testSMTPTransport(ca, nil, nil)
	tr.Dial = tc.dial
	c := dialTestSMTP(t, tr, port, StartTLS, 0)
	const n = 5
	before := tc.get()
	for i := range n {
		if err := c.Send(context.Background(), smtpBenchMessage(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := tc.get() - before; got != 4*n {
		t.Errorf("%d round trips for %d messages, want %d", got, n, 4*n)
	}
	if mails, cmds, _ := b.snapshot(); len(mails) != n || cmds != n {
		t.Errorf("server got %d messages, %d MAIL commands; want %d", len(mails), cmds, n)
	}
}

// BenchmarkSMTPSend sends 50 messages of 20 KB over one STARTTLS session.
func BenchmarkSMTPSend(b *testing.B) {
	ca := testca.New(b)
	port := startTestSMTP(b, srvStartTLS, ca, &testSMTPBackend{}, nil)
	c := dialTestSMTP(b, testSMTPTransport(ca, nil, nil), port, StartTLS, 0)
	b.SetBytes(50 * int64(len(smtpBenchBody)))
	for b.Loop() {
		for i := range 50 {
			if err := c.Send(context.Background(), smtpBenchMessage(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
