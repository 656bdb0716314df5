package integration

// Helpers shared by the engine and script tests: lab transports and
// sessions, polling for LMTP delivery, reading a message back over every
// receive mode, and seeding mailboxes.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/advmail/advmail/mail"
)

// deliveryWait bounds the wait for Postfix → LMTP → Dovecot delivery.
const deliveryWait = 10 * time.Second

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a trace.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// labConfig returns a [Mail] config that trusts the lab CA through CAFile
// (verification stays on), with mutate applied.
func labConfig(l *Lab, mutate func(*mail.Config)) *mail.Config {
	cfg := mail.DefaultConfig()
	cfg.CAFile = l.CAFile
	cfg.HeloName = "client.lab.test"
	if mutate != nil {
		mutate(cfg)
	}
	return cfg
}

// labTransport returns a transport for cfg whose trace goes to the returned
// buffer (passwords are redacted by the engine; tests check that too).
func labTransport(cfg *mail.Config) (*mail.Transport, *syncBuffer) {
	trace := new(syncBuffer)
	return &mail.Transport{Config: cfg, Trace: trace}, trace
}

// endpoint is a lab endpoint by its TLS server name ("localhost"), so that
// certificate verification checks the name the lab certificate carries.
func endpoint(l *Lab, port int, sec mail.Security) mail.Endpoint {
	return mail.Endpoint{Host: l.TLSServerName, Port: port, Security: sec}
}

// mode is one way of reaching a lab service.
type mode struct {
	name string
	port int
	sec  mail.Security
}

func popModes(l *Lab) []mode {
	return []mode{
		{"pop3+STLS", l.Ports.POP3, mail.StartTLS},
		{"pop3s", l.Ports.POP3S, mail.ImplicitTLS},
	}
}

func imapModes(l *Lab) []mode {
	return []mode{
		{"imap+STARTTLS", l.Ports.IMAP, mail.StartTLS},
		{"imaps", l.Ports.IMAPS, mail.ImplicitTLS},
	}
}

// dialSMTP opens an SMTP session (closed at cleanup).
func dialSMTP(t *testing.T, tr *mail.Transport, ep mail.Endpoint) *mail.SMTPClient {
	t.Helper()
	c, err := mail.DialSMTP(context.Background(), tr, mail.SMTPOptions{Endpoint: ep, Timeout: ioTimeout})
	if err != nil {
		t.Fatalf("DialSMTP %s:%d (%s): %v", ep.Host, ep.Port, ep.Security, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialPOP3 opens and logs in a POP3 session (closed at cleanup, without QUIT).
func dialPOP3(t *testing.T, tr *mail.Transport, ep mail.Endpoint, u LabUser) *mail.POP3Client {
	t.Helper()
	c, err := mail.DialPOP3(context.Background(), tr, mail.POP3Options{Endpoint: ep, Timeout: ioTimeout})
	if err != nil {
		t.Fatalf("DialPOP3 %s:%d (%s): %v", ep.Host, ep.Port, ep.Security, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(u.Login, u.Password); err != nil {
		t.Fatalf("POP3 login %s: %v", u.Login, err)
	}
	return c
}

// dialIMAP opens and logs in an IMAP session (logged out at cleanup).
func dialIMAP(t *testing.T, tr *mail.Transport, ep mail.Endpoint, u LabUser) *mail.IMAPClient {
	t.Helper()
	c, err := mail.DialIMAP(context.Background(), tr, mail.IMAPOptions{Endpoint: ep, Timeout: ioTimeout}, u.Login, u.Password)
	if err != nil {
		t.Fatalf("DialIMAP %s:%d (%s) as %s: %v", ep.Host, ep.Port, ep.Security, u.Login, err)
	}
	t.Cleanup(func() { c.Logout() })
	return c
}

// doveadmLines runs doveadm and returns its non-empty output lines.
func doveadmLines(t *testing.T, l *Lab, args ...string) []string {
	t.Helper()
	var out []string
	for _, s := range strings.Split(l.Doveadm(t, args...), "\n") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// searchHeader returns the doveadm search rows (mailbox-guid uid) of the
// messages of user's mailbox whose header field contains value.
func searchHeader(t *testing.T, l *Lab, u LabUser, mailbox, field, value string) []string {
	t.Helper()
	return doveadmLines(t, l, "search", "-u", u.Address, "mailbox", mailbox, "header", field, value)
}

// waitDelivered polls (bounded by deliveryWait) until user's INBOX holds a
// message whose Message-ID contains id, and fails otherwise.
func waitDelivered(t *testing.T, l *Lab, u LabUser, id string) {
	t.Helper()
	waitHeader(t, l, u, "INBOX", "Message-ID", id)
}

// waitHeader polls until mailbox holds a message whose field contains value.
func waitHeader(t *testing.T, l *Lab, u LabUser, mailbox, field, value string) {
	t.Helper()
	deadline := time.Now().Add(deliveryWait)
	for len(searchHeader(t, l, u, mailbox, field, value)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no message with %s %q in %s's %s after %v (see %s)", field, value, u.Address, mailbox, deliveryWait, l.Logs["postfix"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var messagesField = regexp.MustCompile(`(?m)\bmessages=([0-9]+)\s*$`)

// messageCount returns the number of messages in user's mailbox (doveadm).
func messageCount(t *testing.T, l *Lab, u LabUser, mailbox string) int {
	t.Helper()
	out := l.Doveadm(t, "mailbox", "status", "-u", u.Address, "messages", mailbox)
	m := messagesField.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("doveadm mailbox status %s %s: %q", u.Address, mailbox, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// mailboxes lists user's mailboxes (doveadm).
func mailboxes(t *testing.T, l *Lab, u LabUser) []string {
	t.Helper()
	return doveadmLines(t, l, "mailbox", "list", "-u", u.Address)
}

// fetched is a message read back from the lab: its raw bytes and parse.
type fetched struct {
	raw []byte
	msg *mail.Message
}

// header returns the raw header section of the message.
func (f fetched) header() string {
	raw := string(f.raw)
	if i := strings.Index(raw, "\r\n\r\n"); i >= 0 {
		return raw[:i+2]
	}
	return raw
}

func parse(t *testing.T, raw []byte) fetched {
	t.Helper()
	m, err := mail.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse fetched message: %v", err)
	}
	return fetched{raw: raw, msg: m}
}

// popFetch reads user's maildrop over POP3 and returns the message whose
// Message-ID is id (nothing is deleted).
func popFetch(t *testing.T, l *Lab, tr *mail.Transport, md mode, u LabUser, id string) fetched {
	t.Helper()
	c := dialPOP3(t, tr, endpoint(l, md.port, md.sec), u)
	if !c.IsTLS() {
		t.Fatalf("%s: POP3 session is not encrypted", md.name)
	}
	list, err := c.List()
	if err != nil {
		t.Fatalf("%s LIST: %v", md.name, err)
	}
	for _, info := range list {
		raw, err := c.Retr(info.Num)
		if err != nil {
			t.Fatalf("%s RETR %d: %v", md.name, info.Num, err)
		}
		if int64(len(raw)) != info.Size {
			t.Errorf("%s RETR %d: %d bytes, LIST said %d", md.name, info.Num, len(raw), info.Size)
		}
		if f := parse(t, raw); f.msg.MessageID == id {
			if err := c.Quit(); err != nil {
				t.Errorf("%s QUIT: %v", md.name, err)
			}
			return f
		}
	}
	t.Fatalf("%s: %s has no message %s among %d", md.name, u.Address, id, len(list))
	return fetched{}
}

// imapFind returns the sequence number of the message of folder whose
// Message-ID is id, 0 when there is none.
func imapFind(t *testing.T, c *mail.IMAPClient, folder, id string) uint32 {
	t.Helper()
	var seq uint32
	err := c.FetchAllHeaders(folder, []string{"Message-ID"}, func(r mail.HeaderRow) {
		if len(r.Headers) == 1 && strings.Trim(strings.TrimSpace(r.Headers[0].Value), "<>") == id {
			seq = r.SeqNum
		}
	})
	if err != nil {
		t.Fatalf("IMAP fetch headers of %s: %v", folder, err)
	}
	return seq
}

// imapFetch reads the message whose Message-ID is id from user's INBOX over IMAP.
func imapFetch(t *testing.T, l *Lab, tr *mail.Transport, md mode, u LabUser, id string) fetched {
	t.Helper()
	c := dialIMAP(t, tr, endpoint(l, md.port, md.sec), u)
	seq := imapFind(t, c, "INBOX", id)
	if seq == 0 {
		t.Fatalf("%s: %s has no message %s", md.name, u.Address, id)
	}
	raw, err := c.Fetch(seq, false)
	if err != nil {
		t.Fatalf("%s FETCH %d: %v", md.name, seq, err)
	}
	if err := c.Logout(); err != nil {
		t.Errorf("%s LOGOUT: %v", md.name, err)
	}
	return parse(t, raw)
}

// folderSubjects returns the decoded subjects of folder's messages, read
// over a separate IMAPS session.
func folderSubjects(t *testing.T, l *Lab, u LabUser, folder string) []string {
	t.Helper()
	tr, _ := labTransport(labConfig(l, nil))
	c := dialIMAP(t, tr, endpoint(l, l.Ports.IMAPS, mail.ImplicitTLS), u)
	var subjects []string
	err := c.FetchAllHeaders(folder, []string{"Subject"}, func(r mail.HeaderRow) {
		subjects = append(subjects, r.Headers[0].Value)
	})
	if err != nil {
		t.Fatalf("subjects of %s's %s: %v", u.Address, folder, err)
	}
	c.Logout()
	return subjects
}

// seed appends messages to user's INBOX over IMAPS, in order, and checks
// with doveadm that they are there.
func seed(t *testing.T, l *Lab, u LabUser, msgs ...*mail.Message) {
	t.Helper()
	tr, _ := labTransport(labConfig(l, nil))
	c := dialIMAP(t, tr, endpoint(l, l.Ports.IMAPS, mail.ImplicitTLS), u)
	before := messageCount(t, l, u, "INBOX")
	for _, m := range msgs {
		data, err := m.Bytes()
		if err != nil {
			t.Fatalf("build %q: %v", m.Subject, err)
		}
		if err := c.Append("INBOX", data, nil); err != nil {
			t.Fatalf("append %q: %v", m.Subject, err)
		}
	}
	if err := c.Logout(); err != nil {
		t.Fatalf("logout after seeding: %v", err)
	}
	if got := messageCount(t, l, u, "INBOX"); got != before+len(msgs) {
		t.Fatalf("seeded %d messages into %s's INBOX, it now holds %d (was %d)", len(msgs), u.Address, got, before)
	}
}

// uniqueID returns a Message-ID (without brackets) unique to this run.
func uniqueID(tag string) string {
	return fmt.Sprintf("advmail-%s-%d@client.lab.test", tag, time.Now().UnixNano())
}

// asMailError returns err as a *mail.Error, failing when it is not one.
func asMailError(t *testing.T, err error) *mail.Error {
	t.Helper()
	var me *mail.Error
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T) is not a *mail.Error", err, err)
	}
	return me
}

// assetBytes reads a file of scripts/assets.
func assetBytes(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "scripts", "assets", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// normalize turns CRLF into LF and trims trailing white space, for body comparisons.
func normalize(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), " \t\r\n")
}
