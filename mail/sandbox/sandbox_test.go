package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"maps"
	"mime"
	"net"
	netmail "net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/advmail/advmail/mail"
)

const testTimeout = 10 * time.Second

func startSandbox(t *testing.T) *Sandbox {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// dialEngine opens a connection the way the engine does: through the
// sandbox Transport, with the implicit TLS handshake verified against the
// sandbox CA.
func dialEngine(t *testing.T, s *Sandbox, proto mail.Protocol, sec mail.Security, host string) net.Conn {
	t.Helper()
	tr := s.Transport(mail.DefaultConfig())
	conn, err := tr.DialConn(testCtx(t), proto, mail.Endpoint{Host: host, Security: sec}, testTimeout)
	if err != nil {
		t.Fatalf("DialConn %s %s %s: %v", proto, sec, host, err)
	}
	conn.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { conn.Close() })
	return conn
}

// clientTLS is a verifying client configuration trusting only the sandbox
// CA. The state of the last verified handshake is stored in *state.
func clientTLS(s *Sandbox, host string, state **tls.ConnectionState) *tls.Config {
	return &tls.Config{
		ServerName: host,
		RootCAs:    s.RootCAs(),
		MinVersion: tls.VersionTLS12,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if state != nil {
				*state = &cs
			}
			return nil
		},
	}
}

// checkPeer asserts that a TLS handshake took place and that the peer's
// chain is valid for host under the sandbox CA.
func checkPeer(t *testing.T, s *Sandbox, cs *tls.ConnectionState, host string) {
	t.Helper()
	if cs == nil || len(cs.PeerCertificates) == 0 {
		t.Fatalf("connection is not TLS")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: host, Roots: s.RootCAs(), Intermediates: inter}); err != nil {
		t.Fatalf("peer certificate not valid for %s: %v", host, err)
	}
}

// allSeq is the sequence set 1:*.
func allSeq() imap.SeqSet {
	var s imap.SeqSet
	s.AddRange(1, 0)
	return s
}

// tlsState returns the state of conn when it is a TLS connection.
func tlsState(conn net.Conn) *tls.ConnectionState {
	if tc, ok := conn.(*tls.Conn); ok {
		cs := tc.ConnectionState()
		return &cs
	}
	return nil
}

// smtpClient connects to the sandbox SMTP server in mode sec for host. It
// returns the TLS state of the session (nil for Plain).
func smtpClient(t *testing.T, s *Sandbox, sec mail.Security, host string) (*smtp.Client, *tls.ConnectionState) {
	t.Helper()
	conn := dialEngine(t, s, mail.SMTP, sec, host)
	state := tlsState(conn)
	var c *smtp.Client
	if sec == mail.StartTLS {
		var err error
		if c, err = smtp.NewClientStartTLS(conn, clientTLS(s, host, &state)); err != nil {
			t.Fatalf("SMTP STARTTLS: %v", err)
		}
		if err := c.Hello("client.test"); err != nil { // runs the handshake
			t.Fatalf("SMTP EHLO after STARTTLS: %v", err)
		}
	} else {
		c = smtp.NewClient(conn)
		if err := c.Hello("client.test"); err != nil {
			t.Fatalf("SMTP EHLO: %v", err)
		}
	}
	t.Cleanup(func() { c.Close() })
	return c, state
}

// imapClient connects to the sandbox IMAP server in mode sec for host. It
// returns the TLS state of the session (nil for Plain).
func imapClient(t *testing.T, s *Sandbox, sec mail.Security, host string) (*imapclient.Client, *tls.ConnectionState) {
	t.Helper()
	conn := dialEngine(t, s, mail.IMAP, sec, host)
	state := tlsState(conn)
	var c *imapclient.Client
	if sec == mail.StartTLS {
		var err error
		if c, err = imapclient.NewStartTLS(conn, &imapclient.Options{TLSConfig: clientTLS(s, host, &state)}); err != nil {
			t.Fatalf("IMAP STARTTLS: %v", err)
		}
	} else {
		c = imapclient.New(conn, nil)
		if err := c.WaitGreeting(); err != nil {
			t.Fatalf("IMAP greeting: %v", err)
		}
	}
	t.Cleanup(func() { c.Close() })
	return c, state
}

// imapLogin connects over plain IMAP and logs in.
func imapLogin(t *testing.T, s *Sandbox, user string) *imapclient.Client {
	t.Helper()
	c, _ := imapClient(t, s, mail.Plain, "imap.example.com")
	if err := c.Login(user, "any password").Wait(); err != nil {
		t.Fatalf("IMAP LOGIN %s: %v", user, err)
	}
	return c
}

// popClient is a minimal POP3 client for the tests (RFC 1939 on textproto).
type popClient struct {
	t    *testing.T
	conn net.Conn
	tp   *textproto.Conn
}

func newPOPClient(t *testing.T, conn net.Conn) *popClient {
	t.Helper()
	p := &popClient{t: t, conn: conn, tp: textproto.NewConn(conn)}
	if _, err := p.readStatus(); err != nil {
		t.Fatalf("POP3 greeting: %v", err)
	}
	return p
}

func (p *popClient) readStatus() (string, error) {
	line, err := p.tp.ReadLine()
	if err != nil {
		return "", err
	}
	if rest, ok := strings.CutPrefix(line, "+OK"); ok {
		return strings.TrimSpace(rest), nil
	}
	return "", errors.New(line)
}

// cmd sends a command and returns the text after +OK.
func (p *popClient) cmd(format string, args ...any) (string, error) {
	if err := p.tp.PrintfLine(format, args...); err != nil {
		return "", err
	}
	return p.readStatus()
}

// must is cmd failing the test on error.
func (p *popClient) must(format string, args ...any) string {
	p.t.Helper()
	s, err := p.cmd(format, args...)
	if err != nil {
		p.t.Fatalf("POP3 %s: %v", strings.Fields(format)[0], err)
	}
	return s
}

// multi sends a command with a multi-line answer.
func (p *popClient) multi(format string, args ...any) []byte {
	p.t.Helper()
	p.must(format, args...)
	b, err := p.tp.ReadDotBytes()
	if err != nil {
		p.t.Fatalf("POP3 %s: %v", format, err)
	}
	return b
}

func (p *popClient) stls(cfg *tls.Config) {
	p.t.Helper()
	p.must("STLS")
	tc := tls.Client(p.conn, cfg)
	if err := tc.Handshake(); err != nil {
		p.t.Fatalf("POP3 STLS handshake: %v", err)
	}
	p.conn = tc
	p.tp = textproto.NewConn(tc)
}

func (p *popClient) login(user string) {
	p.t.Helper()
	p.must("USER %s", user)
	p.must("PASS whatever")
}

func (p *popClient) stat() int {
	p.t.Helper()
	f := strings.Fields(p.must("STAT"))
	n, err := strconv.Atoi(f[0])
	if err != nil {
		p.t.Fatalf("STAT: %v", err)
	}
	return n
}

// popLogin connects over plain POP3 and logs in.
func popLogin(t *testing.T, s *Sandbox, user string) *popClient {
	t.Helper()
	p := newPOPClient(t, dialEngine(t, s, mail.POP3, mail.Plain, "pop.example.com"))
	p.login(user)
	return p
}

// inboxSubjects lists the decoded subjects of a user's INBOX over IMAP.
func inboxSubjects(t *testing.T, s *Sandbox, user string) []string {
	t.Helper()
	c := imapLogin(t, s, user)
	defer func() { c.Logout().Wait() }()
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("SELECT INBOX: %v", err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	msgs, err := c.Fetch(allSeq(), &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil {
		t.Fatalf("FETCH ENVELOPE: %v", err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Envelope.Subject)
	}
	return out
}

// sendSMTP sends data over plain SMTP with STARTTLS and AUTH PLAIN.
func sendSMTP(t *testing.T, s *Sandbox, from string, to []string, data string) {
	t.Helper()
	c, _ := smtpClient(t, s, mail.StartTLS, "smtp.example.com")
	if err := c.Auth(sasl.NewPlainClient("", "script@empresa.com.br", "secret")); err != nil {
		t.Fatalf("AUTH: %v", err)
	}
	if err := c.SendMail(from, to, strings.NewReader(data)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("QUIT: %v", err)
	}
}

var sampleSubjects = []string{
	"Bem-vindo ao sandbox do advmail",
	"Relatório de Vendas - Março",
	"NF-e 1234 - Empresa Exemplo Ltda",
	"Promoção de inverno ❄",
}

// orderMessage is a message with an encoded subject and a PDF attachment;
// the Bcc recipient is only in the envelope.
const orderMessage = "From: Compras <compras@empresa.com.br>\r\n" +
	"To: Fulano de Tal <Fulano@Empresa.com.br>\r\n" +
	"Subject: =?UTF-8?Q?Pedido_n=C2=BA_42_aprovado?=\r\n" +
	"Date: Mon, 15 Jan 2024 10:00:00 -0300\r\n" +
	"Message-ID: <pedido42@empresa.com.br>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=XYZ\r\n" +
	"\r\n" +
	"--XYZ\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"\r\n" +
	"Segue o pedido.\r\n" +
	"--XYZ\r\n" +
	"Content-Type: application/pdf; name=\"pedido-42.pdf\"\r\n" +
	"Content-Disposition: attachment; filename=\"pedido-42.pdf\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"JVBERi0xLjQKJSVFT0YK\r\n" +
	"--XYZ--\r\n"

const orderSubject = "Pedido nº 42 aprovado"

func TestRoutes(t *testing.T) {
	s := startSandbox(t)
	secs := []mail.Security{mail.Plain, mail.StartTLS, mail.ImplicitTLS}
	hosts := map[mail.Protocol]string{
		mail.SMTP: "smtp.example.com",
		mail.IMAP: "imap.mail.example.com.br",
		mail.POP3: "pop3.provedor.example.net",
	}
	type tc struct {
		proto mail.Protocol
		sec   mail.Security
		host  string
	}
	var cases []tc
	for _, proto := range []mail.Protocol{mail.SMTP, mail.IMAP, mail.POP3} {
		for _, sec := range secs {
			cases = append(cases, tc{proto, sec, hosts[proto]}, tc{proto, sec, "192.0.2.25"})
		}
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/%s", c.proto, c.sec, c.host), func(t *testing.T) {
			user := fmt.Sprintf("User%d@Route.Example", i)
			switch c.proto {
			case mail.SMTP:
				cl, cs := smtpClient(t, s, c.sec, c.host)
				if c.sec == mail.Plain {
					if _, ok := cl.TLSConnectionState(); ok {
						t.Fatal("plain SMTP session is TLS")
					}
					if has, _ := cl.Extension("STARTTLS"); !has {
						t.Fatal("plain SMTP listener does not offer STARTTLS")
					}
				} else {
					checkPeer(t, s, cs, c.host)
					if has, _ := cl.Extension("STARTTLS"); has {
						t.Fatal("STARTTLS offered on a TLS session")
					}
				}
				if err := cl.Auth(sasl.NewPlainClient("", user, "random-"+strconv.Itoa(i))); err != nil {
					t.Fatalf("AUTH PLAIN: %v", err)
				}
				if err := cl.Noop(); err != nil {
					t.Fatalf("NOOP: %v", err)
				}
			case mail.IMAP:
				cl, cs := imapClient(t, s, c.sec, c.host)
				if c.sec != mail.Plain {
					checkPeer(t, s, cs, c.host)
				} else if !cl.Caps().Has(imap.CapStartTLS) {
					t.Fatal("plain IMAP listener does not offer STARTTLS")
				}
				if err := cl.Login(user, "random-"+strconv.Itoa(i)).Wait(); err != nil {
					t.Fatalf("LOGIN: %v", err)
				}
				sel, err := cl.Select("INBOX", nil).Wait()
				if err != nil {
					t.Fatalf("SELECT: %v", err)
				}
				if sel.NumMessages != uint32(len(sampleSubjects)) {
					t.Fatalf("new INBOX has %d messages, want %d", sel.NumMessages, len(sampleSubjects))
				}
				cl.Logout().Wait()
			case mail.POP3:
				conn := dialEngine(t, s, mail.POP3, c.sec, c.host)
				p := newPOPClient(t, conn)
				capa := string(p.multi("CAPA"))
				if !strings.Contains(capa, "PIPELINING") {
					t.Fatalf("CAPA lacks PIPELINING:\n%s", capa)
				}
				switch c.sec {
				case mail.Plain:
					if !strings.Contains(capa, "STLS") {
						t.Fatalf("plain POP3 listener does not offer STLS:\n%s", capa)
					}
				case mail.StartTLS:
					var cs *tls.ConnectionState
					p.stls(clientTLS(s, c.host, &cs))
					checkPeer(t, s, cs, c.host)
				case mail.ImplicitTLS:
					checkPeer(t, s, tlsState(conn), c.host)
				}
				p.login(user)
				if n := p.stat(); n != len(sampleSubjects) {
					t.Fatalf("STAT = %d messages, want %d", n, len(sampleSubjects))
				}
				p.must("QUIT")
			}
		})
	}
}

// TestVerificationIsOn proves the client really verifies: without the
// sandbox CA the handshake fails as an untrusted certificate.
func TestVerificationIsOn(t *testing.T) {
	s := startSandbox(t)
	tr := &mail.Transport{Config: mail.DefaultConfig(), Dial: s.Dial}
	for _, proto := range []mail.Protocol{mail.SMTP, mail.IMAP, mail.POP3} {
		_, err := tr.DialConn(testCtx(t), proto, mail.Endpoint{Host: "mail.example.com", Security: mail.ImplicitTLS}, testTimeout)
		if code := mail.CodeOf(err); code != mail.ErrCertUntrusted {
			t.Errorf("%s without the sandbox CA: code %d (%v), want %d", proto, code, err, mail.ErrCertUntrusted)
		}
	}
	// STARTTLS too: a client trusting only the system roots refuses.
	conn := dialEngine(t, s, mail.SMTP, mail.StartTLS, "smtp.example.com")
	c, err := smtp.NewClientStartTLS(conn, &tls.Config{ServerName: "smtp.example.com"})
	if err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err == nil { // the handshake happens here
		t.Fatal("STARTTLS verified without the sandbox CA")
	}
}

func TestDialErrors(t *testing.T) {
	s := startSandbox(t)
	_, err := s.Dial(context.Background(), mail.Protocol("nntp"), mail.Endpoint{Host: "x"})
	if code := mail.CodeOf(err); code != mail.ErrUnsupported {
		t.Errorf("unknown protocol: code %d (%v), want %d", code, err, mail.ErrUnsupported)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Dial(ctx, mail.SMTP, mail.Endpoint{Host: "x"}); err == nil {
		t.Error("Dial with a cancelled context succeeded")
	}
}

func TestDeliveryToEveryView(t *testing.T) {
	s := startSandbox(t)
	rcpts := []string{"Fulano@Empresa.com.br", "Auditoria@Outra.Example"}
	sendSMTP(t, s, "compras@empresa.com.br", rcpts, orderMessage)

	got := s.Captured()
	if len(got) != 1 {
		t.Fatalf("Captured() has %d messages, want 1", len(got))
	}
	c := got[0]
	if c.From != "compras@empresa.com.br" {
		t.Errorf("From = %q", c.From)
	}
	if !slices.Equal(c.To, rcpts) {
		t.Errorf("To = %q, want %q (Bcc included)", c.To, rcpts)
	}
	if c.Subject != orderSubject {
		t.Errorf("Subject = %q, want %q", c.Subject, orderSubject)
	}
	if !slices.Equal(c.Attachments, []string{"pedido-42.pdf"}) {
		t.Errorf("Attachments = %q", c.Attachments)
	}
	if !bytes.Equal(c.Data, []byte(orderMessage)) {
		t.Errorf("Data differs from what was sent:\n%s", c.Data)
	}
	if bytes.Contains(bytes.ToLower(c.Data), []byte("auditoria")) {
		t.Error("the Bcc recipient appears in the message data")
	}

	want := append(slices.Clone(sampleSubjects), orderSubject)
	for _, user := range []string{"fulano", "FULANO@elsewhere.example", "auditoria@"} {
		if got := inboxSubjects(t, s, user); !slices.Equal(got, want) {
			t.Errorf("IMAP INBOX of %s = %q, want %q", user, got, want)
		}
	}

	for _, user := range []string{"Fulano", "auditoria"} {
		p := popLogin(t, s, user)
		if n := p.stat(); n != len(want) {
			t.Fatalf("POP3 %s: STAT = %d, want %d", user, n, len(want))
		}
		msg := p.multi("RETR %d", len(want))
		m, err := netmail.ReadMessage(bytes.NewReader(msg))
		if err != nil {
			t.Fatalf("POP3 %s: RETR is not a message: %v", user, err)
		}
		if m.Header.Get("Message-Id") != "<pedido42@empresa.com.br>" {
			t.Errorf("POP3 %s: RETR %d has Message-ID %q", user, len(want), m.Header.Get("Message-Id"))
		}
		uidl := string(p.multi("UIDL"))
		if strings.Count(uidl, "\n") != len(want) {
			t.Errorf("POP3 %s: UIDL has not %d lines:\n%s", user, len(want), uidl)
		}
		p.must("QUIT")
	}
	// Nobody else got it.
	if got := inboxSubjects(t, s, "compras"); !slices.Equal(got, sampleSubjects) {
		t.Errorf("sender's INBOX = %q", got)
	}
}

func TestPOPDeleteIsShared(t *testing.T) {
	s := startSandbox(t)
	sendSMTP(t, s, "a@b.example", []string{"beltrano@empresa.com.br"}, orderMessage)
	want := append(slices.Clone(sampleSubjects), orderSubject)
	n := len(want)

	// A session that drops the connection after DELE deletes nothing.
	p := popLogin(t, s, "beltrano")
	p.must("DELE %d", n)
	p.must("DELE 1")
	p.conn.Close()
	if got := inboxSubjects(t, s, "beltrano"); !slices.Equal(got, want) {
		t.Fatalf("after a dropped POP3 session INBOX = %q, want %q", got, want)
	}

	// RSET unmarks.
	p = popLogin(t, s, "beltrano")
	p.must("DELE 1")
	p.must("RSET")
	p.must("QUIT")
	if got := inboxSubjects(t, s, "beltrano"); !slices.Equal(got, want) {
		t.Fatalf("after DELE+RSET+QUIT INBOX = %q, want %q", got, want)
	}

	// An IMAP session open during the POP3 session sees the expunge.
	watcher := imapLogin(t, s, "beltrano")
	if _, err := watcher.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("SELECT: %v", err)
	}

	// DELE + QUIT removes exactly that message from the IMAP view.
	p = popLogin(t, s, "beltrano")
	p.must("DELE %d", n)
	p.must("QUIT")
	if got := inboxSubjects(t, s, "beltrano"); !slices.Equal(got, sampleSubjects) {
		t.Fatalf("after DELE %d + QUIT INBOX = %q, want %q", n, got, sampleSubjects)
	}
	if err := watcher.Noop().Wait(); err != nil {
		t.Fatalf("NOOP: %v", err)
	}
	if got := watcher.Mailbox().NumMessages; got != uint32(len(sampleSubjects)) {
		t.Errorf("open IMAP session sees %d messages, want %d", got, len(sampleSubjects))
	}
	p = popLogin(t, s, "beltrano")
	if got := p.stat(); got != len(sampleSubjects) {
		t.Errorf("POP3 STAT after delete = %d, want %d", got, len(sampleSubjects))
	}
	p.must("QUIT")
}

func TestNewMailboxSamples(t *testing.T) {
	s := startSandbox(t)
	c := imapLogin(t, s, "Ciclano@Qualquer.Example")

	// Folders: INBOX and the special-use ones, all subscribed.
	list, err := c.List("", "*", &imap.ListOptions{ReturnStatus: &imap.StatusOptions{NumMessages: true}}).Collect()
	if err != nil {
		t.Fatalf("LIST: %v", err)
	}
	wantAttr := map[string]imap.MailboxAttr{"INBOX": "", "Sent": imap.MailboxAttrSent, "Drafts": imap.MailboxAttrDrafts, "Trash": imap.MailboxAttrTrash}
	if len(list) != len(wantAttr) {
		t.Fatalf("LIST returned %d folders, want %d", len(list), len(wantAttr))
	}
	for _, l := range list {
		attr, ok := wantAttr[l.Mailbox]
		if !ok {
			t.Errorf("unexpected folder %q", l.Mailbox)
			continue
		}
		if !slices.Contains(l.Attrs, imap.MailboxAttrSubscribed) {
			t.Errorf("%s is not subscribed: %v", l.Mailbox, l.Attrs)
		}
		if attr != "" && !slices.Contains(l.Attrs, attr) {
			t.Errorf("%s lacks %s: %v", l.Mailbox, attr, l.Attrs)
		}
		wantN := uint32(0)
		if l.Mailbox == "INBOX" {
			wantN = uint32(len(sampleSubjects))
		}
		if l.Status == nil || l.Status.NumMessages == nil || *l.Status.NumMessages != wantN {
			t.Errorf("%s: LIST-STATUS = %+v, want %d messages", l.Mailbox, l.Status, wantN)
		}
	}

	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("SELECT: %v", err)
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(allSeq(), &imap.FetchOptions{
		Envelope: true, Flags: true, BodySection: []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		t.Fatalf("FETCH: %v", err)
	}
	if len(msgs) != len(sampleSubjects) {
		t.Fatalf("%d messages, want %d", len(msgs), len(sampleSubjects))
	}
	var raws [][]byte
	for i, m := range msgs {
		if m.Envelope.Subject != sampleSubjects[i] {
			t.Errorf("message %d subject %q, want %q", i+1, m.Envelope.Subject, sampleSubjects[i])
		}
		if slices.Contains(m.Flags, imap.FlagSeen) {
			t.Errorf("message %d is already \\Seen", i+1)
		}
		raw := m.FindBodySection(section)
		if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
			t.Errorf("message %d has bare LF line ends", i+1)
		}
		raws = append(raws, raw)
	}

	// 1: welcome, plain text.
	if parts := readParts(t, raws[0]); len(parts) != 1 || parts[0].ctype != "text/plain" || !strings.Contains(parts[0].text, "ciclano") {
		t.Errorf("welcome message parts: %+v", parts)
	}
	// 2: ISO-8859-1 body decodes.
	if !bytes.Contains(raws[1], []byte("charset=ISO-8859-1")) || !bytes.Contains(raws[1], []byte("=E7o")) {
		t.Errorf("report is not ISO-8859-1 quoted-printable:\n%s", raws[1])
	}
	if parts := readParts(t, raws[1]); len(parts) != 1 || !strings.Contains(parts[0].text, "relatório de vendas de março") || !strings.Contains(parts[0].text, "Goiás") {
		t.Errorf("report body not decoded: %+v", parts)
	}
	// 3: NF-e with a PDF and an XML attachment.
	parts := readParts(t, raws[2])
	names := map[string]part{}
	for _, p := range parts {
		if p.name != "" {
			names[p.name] = p
		}
	}
	pdf, okPDF := names[samplePDFName]
	xmlPart, okXML := names[sampleXMLName]
	if !okPDF || !okXML || len(names) != 2 {
		t.Fatalf("NF-e attachments = %v", parts)
	}
	if pdf.ctype != "application/pdf" || !strings.HasPrefix(pdf.text, "%PDF-1.4") || !strings.HasSuffix(pdf.text, "%%EOF\n") {
		t.Errorf("PDF attachment: %s %q", pdf.ctype, pdf.text)
	}
	var nfe struct {
		XMLName xml.Name `xml:"nfeProc"`
		ChNFe   string   `xml:"protNFe>infProt>chNFe"`
	}
	if err := xml.Unmarshal([]byte(xmlPart.text), &nfe); err != nil || nfe.ChNFe != "35240112345678000190550010000012341000012345" {
		t.Errorf("NF-e XML: %v, chNFe %q", err, nfe.ChNFe)
	}
	// 4: HTML with an inline image referenced by cid.
	parts = readParts(t, raws[3])
	var html, img *part
	for i := range parts {
		switch parts[i].ctype {
		case "text/html":
			html = &parts[i]
		case "image/png":
			img = &parts[i]
		}
	}
	if html == nil || img == nil {
		t.Fatalf("HTML message parts: %+v", parts)
	}
	if img.cid == "" || !strings.Contains(html.text, "cid:"+img.cid) || img.disp != "inline" {
		t.Errorf("inline image cid %q disposition %q not referenced by HTML:\n%s", img.cid, img.disp, html.text)
	}
	if _, err := png.Decode(strings.NewReader(img.text)); err != nil {
		t.Errorf("inline image is not a PNG: %v", err)
	}
	c.Logout().Wait()

	// The same mailbox under another spelling: no second set of samples.
	if got := inboxSubjects(t, s, "CICLANO"); !slices.Equal(got, sampleSubjects) {
		t.Errorf("second login sees %q", got)
	}
}

type part struct {
	ctype, name, cid, disp, text string
}

// readParts decodes every leaf part of a message with go-message.
func readParts(t *testing.T, raw []byte) []part {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	var out []part
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		var h gomessage.Header
		switch ph := p.Header.(type) {
		case *gomail.InlineHeader:
			h = ph.Header
		case *gomail.AttachmentHeader:
			h = ph.Header
		}
		ct, _, _ := h.ContentType()
		disp, params, _ := h.ContentDisposition()
		out = append(out, part{
			ctype: ct,
			name:  params["filename"],
			cid:   strings.Trim(h.Get("Content-Id"), "<>"),
			disp:  disp,
			text:  string(b),
		})
	}
	return out
}

func TestIMAPFolders(t *testing.T) {
	s := startSandbox(t)
	c := imapLogin(t, s, "folders")
	if err := c.Create("Arquivo", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrArchive}}).Wait(); err != nil {
		t.Fatalf("CREATE: %v", err)
	}
	if err := c.Create("Projetos", nil).Wait(); err != nil {
		t.Fatalf("CREATE: %v", err)
	}
	if err := c.Create("Projetos/2024", nil).Wait(); err != nil {
		t.Fatalf("CREATE: %v", err)
	}
	if err := c.Rename("Projetos/2024", "Projetos/2025", nil).Wait(); err != nil {
		t.Fatalf("RENAME: %v", err)
	}
	if err := c.Unsubscribe("Sent").Wait(); err != nil {
		t.Fatalf("UNSUBSCRIBE: %v", err)
	}
	if err := c.Subscribe("Arquivo").Wait(); err != nil {
		t.Fatalf("SUBSCRIBE: %v", err)
	}
	if err := c.Delete("Drafts").Wait(); err != nil {
		t.Fatalf("DELETE: %v", err)
	}
	if err := c.Delete("INBOX").Wait(); err == nil {
		t.Error("DELETE INBOX succeeded")
	}

	folders := func(opts *imap.ListOptions) map[string][]imap.MailboxAttr {
		t.Helper()
		l, err := c.List("", "*", opts).Collect()
		if err != nil {
			t.Fatalf("LIST: %v", err)
		}
		m := map[string][]imap.MailboxAttr{}
		for _, d := range l {
			m[d.Mailbox] = d.Attrs
		}
		return m
	}
	all := folders(nil)
	want := []string{"Arquivo", "INBOX", "Projetos", "Projetos/2025", "Sent", "Trash"}
	if got := slices.Sorted(maps.Keys(all)); !slices.Equal(got, want) {
		t.Errorf("LIST * = %q, want %q", got, want)
	}
	if !slices.Contains(all["Projetos"], imap.MailboxAttrHasChildren) || !slices.Contains(all["INBOX"], imap.MailboxAttrHasNoChildren) {
		t.Errorf("CHILDREN attributes: Projetos %v, INBOX %v", all["Projetos"], all["INBOX"])
	}
	if !slices.Contains(all["Arquivo"], imap.MailboxAttrArchive) {
		t.Errorf("Arquivo attributes %v lack \\Archive", all["Arquivo"])
	}
	subscribed := folders(&imap.ListOptions{SelectSubscribed: true})
	wantSub := []string{"Arquivo", "INBOX", "Trash"}
	if got := slices.Sorted(maps.Keys(subscribed)); !slices.Equal(got, wantSub) {
		t.Errorf("LIST (SUBSCRIBED) = %q, want %q", got, wantSub)
	}
	special := folders(&imap.ListOptions{SelectSpecialUse: true})
	wantSpecial := []string{"Arquivo", "Sent", "Trash"}
	if got := slices.Sorted(maps.Keys(special)); !slices.Equal(got, wantSpecial) {
		t.Errorf("LIST (SPECIAL-USE) = %q, want %q", got, wantSpecial)
	}

	// Renaming INBOX moves its messages and leaves an empty INBOX.
	if err := c.Rename("INBOX", "Antiga", nil).Wait(); err != nil {
		t.Fatalf("RENAME INBOX: %v", err)
	}
	for name, n := range map[string]uint32{"INBOX": 0, "Antiga": uint32(len(sampleSubjects))} {
		st, err := c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil || st.NumMessages == nil || *st.NumMessages != n {
			t.Errorf("STATUS %s = %+v, %v; want %d messages", name, st, err, n)
		}
	}
	// Delivery still works.
	sendSMTP(t, s, "x@y.example", []string{"folders@z.example"}, orderMessage)
	if got := inboxSubjects(t, s, "folders"); !slices.Equal(got, []string{orderSubject}) {
		t.Errorf("INBOX after delivery = %q", got)
	}
}

// Test SASL clients for mechanisms go-sasl has no client for.
type cramClient struct{ user, pass string }

func (c cramClient) Start() (string, []byte, error) { return "CRAM-MD5", nil, nil }
func (c cramClient) Next(challenge []byte) ([]byte, error) {
	h := hmac.New(md5.New, []byte(c.pass))
	h.Write(challenge)
	return []byte(c.user + " " + hex.EncodeToString(h.Sum(nil))), nil
}

type xoauth2Client struct{ user, token string }

func (c xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}
func (c xoauth2Client) Next([]byte) ([]byte, error) { return nil, errors.New("unexpected challenge") }

func TestSASLMechanisms(t *testing.T) {
	s := startSandbox(t)
	clients := map[string]func(user string) sasl.Client{
		"PLAIN":    func(u string) sasl.Client { return sasl.NewPlainClient("", u, "p") },
		"LOGIN":    func(u string) sasl.Client { return sasl.NewLoginClient(u, "p") },
		"CRAM-MD5": func(u string) sasl.Client { return cramClient{u, "p"} },
		"XOAUTH2":  func(u string) sasl.Client { return xoauth2Client{u, "ya29.token"} },
	}
	for _, mech := range saslMechanisms {
		t.Run(mech, func(t *testing.T) {
			user := "sasl-" + strings.ToLower(mech) + "@example.com"
			sc, _ := smtpClient(t, s, mail.ImplicitTLS, "smtp.example.com")
			if !sc.SupportsAuth(mech) {
				t.Fatalf("SMTP does not offer %s", mech)
			}
			if err := sc.Auth(clients[mech](user)); err != nil {
				t.Fatalf("SMTP AUTH %s: %v", mech, err)
			}

			ic, _ := imapClient(t, s, mail.ImplicitTLS, "imap.example.com")
			if !ic.Caps().Has(imap.Cap("AUTH=" + mech)) {
				t.Fatalf("IMAP does not offer AUTH=%s", mech)
			}
			if err := ic.Authenticate(clients[mech](user)); err != nil {
				t.Fatalf("IMAP AUTHENTICATE %s: %v", mech, err)
			}
			sel, err := ic.Select("INBOX", nil).Wait()
			if err != nil || sel.NumMessages != uint32(len(sampleSubjects)) {
				t.Fatalf("SELECT after %s: %v, %+v", mech, err, sel)
			}
		})
	}
	t.Run("POP3 APOP", func(t *testing.T) {
		conn := dialEngine(t, s, mail.POP3, mail.Plain, "pop.example.com")
		tp := textproto.NewConn(conn)
		greeting, err := tp.ReadLine()
		if err != nil {
			t.Fatal(err)
		}
		i, j := strings.IndexByte(greeting, '<'), strings.LastIndexByte(greeting, '>')
		if i < 0 || j < i {
			t.Fatalf("greeting has no APOP timestamp: %q", greeting)
		}
		p := &popClient{t: t, conn: conn, tp: tp}
		p.must("APOP apopuser %x", md5.Sum([]byte(greeting[i:j+1]+"anything")))
		if n := p.stat(); n != len(sampleSubjects) {
			t.Errorf("STAT = %d", n)
		}
	})
	t.Run("bad user", func(t *testing.T) {
		sc, _ := smtpClient(t, s, mail.Plain, "smtp.example.com")
		if err := sc.Auth(sasl.NewPlainClient("", "@example.com", "p")); err == nil {
			t.Error("SMTP AUTH with an empty local part succeeded")
		}
		ic, _ := imapClient(t, s, mail.Plain, "imap.example.com")
		if err := ic.Login("", "p").Wait(); err == nil {
			t.Error("IMAP LOGIN with an empty user succeeded")
		}
	})
}

func TestWriteEMLAndSummary(t *testing.T) {
	s := startSandbox(t)
	var empty bytes.Buffer
	s.Summary(&empty)
	if empty.String() != "sandbox: 0 message(s) captured\n" {
		t.Errorf("empty summary: %q", empty.String())
	}

	sendSMTP(t, s, "compras@empresa.com.br", []string{"Fulano@Empresa.com.br", "bcc@oculto.example"}, orderMessage)
	second := "From: a@b.example\r\nTo: c@d.example\r\nSubject: =?ISO-8859-1?Q?Relat=F3rio?=\r\n\r\nok\r\n"
	sendSMTP(t, s, "a@b.example", []string{"c@d.example"}, second)

	dir := filepath.Join(t.TempDir(), "out", "eml")
	if err := s.WriteEML(dir); err != nil {
		t.Fatalf("WriteEML: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"001.eml", "002.eml"}) {
		t.Fatalf("files = %q", names)
	}
	dec := new(mime.WordDecoder)
	for i, want := range []string{orderSubject, "Relatório"} {
		b, err := os.ReadFile(filepath.Join(dir, names[i]))
		if err != nil {
			t.Fatal(err)
		}
		m, err := netmail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s does not parse: %v", names[i], err)
		}
		if got, err := dec.DecodeHeader(m.Header.Get("Subject")); err != nil || got != want {
			t.Errorf("%s subject %q (%v), want %q", names[i], got, err, want)
		}
	}

	var sum bytes.Buffer
	s.Summary(&sum)
	out := sum.String()
	for _, want := range []string{"sandbox: 2 message(s) captured\n", "compras@empresa.com.br",
		"  To:          Fulano@Empresa.com.br\n  Bcc:         bcc@oculto.example\n",
		orderSubject, "pedido-42.pdf", "Relatório", "  To:          c@d.example\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "From:") != 2 {
		t.Errorf("summary has not two blocks:\n%s", out)
	}

	// A file in the way is a clear error.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if err := s.WriteEML(file); err == nil {
		t.Error("WriteEML into a file succeeded")
	}
}

func TestClose(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	// Open sessions of every kind, left open.
	sc, _ := smtpClient(t, s, mail.StartTLS, "smtp.example.com")
	ic := imapLogin(t, s, "closer")
	p := popLogin(t, s, "closer")
	p.must("DELE 1")
	addrs := []string{s.Addr(mail.SMTP, mail.Plain), s.Addr(mail.IMAP, mail.ImplicitTLS), s.Addr(mail.POP3, mail.StartTLS)}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Dial(context.Background(), mail.SMTP, mail.Endpoint{Host: "x"}); mail.CodeOf(err) != mail.ErrConnRefused {
		t.Errorf("Dial after Close: %v", err)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections", a)
		}
	}
	if err := sc.Noop(); err == nil {
		t.Error("SMTP session survived Close")
	}
	if err := ic.Noop().Wait(); err == nil {
		t.Error("IMAP session survived Close")
	}
	if _, err := p.cmd("NOOP"); err == nil {
		t.Error("POP3 session survived Close")
	}
	sc.Close()
	ic.Close()
	p.conn.Close()

	// Every goroutine the sandbox started ends (polled, bounded).
	deadline := time.Now().Add(testTimeout)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestAuthorityLeaves(t *testing.T) {
	a, err := newAuthority()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sni    string
		verify []string // names the leaf must be valid for
	}{
		{"smtp.example.com", []string{"smtp.example.com"}},
		{"SMTP.Example.COM.", []string{"smtp.example.com"}},
		{"", []string{"localhost", "127.0.0.1", "::1"}},
		{"10.1.2.3", []string{"10.1.2.3"}},
		{"[2001:db8::1]", []string{"2001:db8::1"}},
	}
	for _, tt := range tests {
		leaf, err := a.leaf(tt.sni)
		if err != nil {
			t.Fatalf("leaf(%q): %v", tt.sni, err)
		}
		for _, name := range tt.verify {
			if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: a.pool, DNSName: name}); err != nil {
				t.Errorf("leaf(%q) not valid for %q: %v", tt.sni, name, err)
			}
		}
		if leaf.Leaf.NotAfter.Sub(time.Now()) > certValidity {
			t.Errorf("leaf(%q) valid until %v: too long", tt.sni, leaf.Leaf.NotAfter)
		}
	}
	l1, _ := a.leaf("smtp.example.com")
	l2, _ := a.leaf("SMTP.EXAMPLE.COM")
	if l1 != l2 {
		t.Error("leaf is not cached per name")
	}
	if !a.cert.IsCA || a.cert.PublicKeyAlgorithm.String() != "ECDSA" {
		t.Errorf("CA: IsCA %v, key %v", a.cert.IsCA, a.cert.PublicKeyAlgorithm)
	}
}

func TestMailboxName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Fulano@Empresa.com.br", "fulano"},
		{"fulano", "fulano"},
		{"fulano@", "fulano"},
		{"<FULANO@x.example>", "fulano"},
		{`"Fulano.Tal"@x`, "fulano.tal"},
		{" João@Empresa.com.br ", "joão"},
		{"@example.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := mailboxName(tt.in); got != tt.want {
			t.Errorf("mailboxName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestToCRLF(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\rb", "a\r\nb"},
		{"a\r\n\nb", "a\r\n\r\nb"},
		{"", ""},
		{"no line end", "no line end"},
	}
	for _, tt := range tests {
		if got := string(toCRLF([]byte(tt.in))); got != tt.want {
			t.Errorf("toCRLF(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		subject string
		atts    []string
	}{
		{"order", orderMessage, orderSubject, []string{"pedido-42.pdf"}},
		{"latin1", "Subject: =?ISO-8859-1?Q?Relat=F3rio?=\r\n\r\nx\r\n", "Relatório", nil},
		{"no header", "just text", "", nil},
		{"garbage", "\x00\x01\x02", "", nil},
	}
	for _, tt := range tests {
		subject, atts := describe([]byte(tt.data))
		if subject != tt.subject || !slices.Equal(atts, tt.atts) {
			t.Errorf("%s: describe = %q %q, want %q %q", tt.name, subject, atts, tt.subject, tt.atts)
		}
	}
	// The sample messages describe themselves too.
	for i, sm := range sampleMessages("x", time.Now()) {
		subject, _ := describe(sm.data)
		if subject != sampleSubjects[i] {
			t.Errorf("sample %d subject %q", i+1, subject)
		}
	}
	_, atts := describe(sampleMessages("x", time.Now())[2].data)
	if !slices.Equal(atts, []string{samplePDFName, sampleXMLName}) {
		t.Errorf("NF-e sample attachments %q", atts)
	}
}

// TestEngineClients drives the sandbox with the engine's own clients in
// every TLS mode, verification on, through the sandbox Transport.
func TestEngineClients(t *testing.T) {
	s := startSandbox(t)
	tr := s.Transport(mail.DefaultConfig())
	for _, sec := range []mail.Security{mail.Plain, mail.StartTLS, mail.ImplicitTLS} {
		t.Run(sec.String(), func(t *testing.T) {
			ctx := testCtx(t)
			subject := "Relatório " + sec.String()
			sc, err := mail.DialSMTP(ctx, tr, mail.SMTPOptions{
				Endpoint: mail.Endpoint{Host: "smtp.empresa.com.br", Port: 2525, Security: sec},
				Timeout:  testTimeout,
			})
			if err != nil {
				t.Fatalf("DialSMTP: %v", err)
			}
			defer sc.Close()
			if err := sc.Auth(ctx, "script@empresa.com.br", "qualquer"); err != nil {
				t.Fatalf("SMTP Auth: %v", err)
			}
			m := &mail.Message{
				From:        "Script <script@empresa.com.br>",
				To:          "Fulano de Tal <Fulano@Empresa.com.br>",
				Bcc:         "Auditoria@Empresa.com.br",
				Subject:     subject,
				Body:        "<p>Olá</p>",
				Attachments: []*mail.Attachment{{Name: "dados.txt", ContentType: "text/plain", Data: []byte("1;2;3\n")}},
			}
			if err := sc.Send(ctx, m); err != nil {
				t.Fatalf("SMTP Send: %v", err)
			}
			if err := sc.Quit(); err != nil {
				t.Fatalf("SMTP Quit: %v", err)
			}
			caps := s.Captured()
			c := caps[len(caps)-1]
			if c.Subject != subject || !slices.Equal(c.Attachments, []string{"dados.txt"}) {
				t.Errorf("captured subject %q attachments %q", c.Subject, c.Attachments)
			}
			if !slices.ContainsFunc(c.To, func(a string) bool { return strings.EqualFold(a, "Auditoria@Empresa.com.br") }) {
				t.Errorf("captured To %q lacks the Bcc", c.To)
			}
			if bytes.Contains(bytes.ToLower(c.Data), []byte("auditoria")) {
				t.Error("Bcc recipient in message data")
			}

			ic, err := mail.DialIMAP(ctx, tr, mail.IMAPOptions{
				Endpoint: mail.Endpoint{Host: "imap.empresa.com.br", Security: sec},
				Timeout:  testTimeout,
			}, "fulano", "outra senha")
			if err != nil {
				t.Fatalf("DialIMAP: %v", err)
			}
			defer ic.Close()
			n, err := ic.Select("INBOX")
			if err != nil {
				t.Fatalf("IMAP Select: %v", err)
			}
			raw, err := ic.Fetch(uint32(n), false)
			if err != nil {
				t.Fatalf("IMAP Fetch %d: %v", n, err)
			}
			if pm, err := mail.Parse(bytes.NewReader(raw)); err != nil || pm.Subject != subject {
				t.Fatalf("IMAP message %d: %v, subject %q, want %q", n, err, pm.Subject, subject)
			}

			pc, err := mail.DialPOP3(ctx, tr, mail.POP3Options{
				Endpoint: mail.Endpoint{Host: "pop.empresa.com.br", Security: sec},
				Timeout:  testTimeout,
			})
			if err != nil {
				t.Fatalf("DialPOP3: %v", err)
			}
			defer pc.Close()
			if err := pc.Login("FULANO@empresa.com.br", "x"); err != nil {
				t.Fatalf("POP3 Login: %v", err)
			}
			count, _, err := pc.Stat()
			if err != nil || count != n {
				t.Fatalf("POP3 Stat = %d, %v; IMAP has %d", count, err, n)
			}
			raw, err = pc.Retr(count)
			if err != nil {
				t.Fatalf("POP3 Retr: %v", err)
			}
			if pm, err := mail.Parse(bytes.NewReader(raw)); err != nil || pm.Subject != subject {
				t.Fatalf("POP3 message %d: %v, subject %q", count, err, pm.Subject)
			}
			if err := pc.Dele(count); err != nil {
				t.Fatalf("POP3 Dele: %v", err)
			}
			if err := pc.Quit(); err != nil {
				t.Fatalf("POP3 Quit: %v", err)
			}

			// The IMAP session sees the POP3 deletion.
			if got, err := ic.Count(); err != nil || got != n-1 {
				t.Errorf("IMAP Count after POP3 delete = %d, %v; want %d", got, err, n-1)
			}
			if err := ic.Logout(); err != nil {
				t.Errorf("IMAP Logout: %v", err)
			}
		})
	}
}

func TestDescribeFallback(t *testing.T) {
	tests := []struct {
		data    string
		subject string
		atts    []string
	}{
		{orderMessage, orderSubject, []string{"pedido-42.pdf"}},
		{"Subject: =?ISO-8859-1?Q?Relat=F3rio?=\r\n\r\nx\r\n", "Relatório", nil},
		{string(sampleMessages("x", time.Now())[2].data), sampleSubjects[2], []string{samplePDFName, sampleXMLName}},
		{string(sampleMessages("x", time.Now())[3].data), sampleSubjects[3], []string{sampleImageName}},
		{"Subject: raw\r\nContent-Type: multipart/mixed; boundary=\"\r\n\r\n", "raw", nil},
	}
	for i, tt := range tests {
		subject, atts := describeFallback([]byte(tt.data))
		if subject != tt.subject || !slices.Equal(atts, tt.atts) {
			t.Errorf("%d: describeFallback = %q %q, want %q %q", i, subject, atts, tt.subject, tt.atts)
		}
	}
}
