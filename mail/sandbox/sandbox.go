// Package sandbox is advmail's embedded local mail system: in-process SMTP,
// IMAP and POP3 servers sharing one in-memory store, reachable through a
// mail.DialFunc that routes every connection to them whatever host and port
// a script names, in every TLS mode, with certificates from a CA generated
// at start that only sandbox mode trusts. No packet leaves the machine.
//
// Every server accepts any credentials. A mailbox is named by the
// lower-cased local part of an address or login, and is created on first use
// with a few sample messages in INBOX and the folders Sent, Drafts and Trash.
// POP3 shows the same INBOX as IMAP: a message deleted over POP3 is gone
// from IMAP too.
package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-smtp"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/pop3server"
)

// Captured is one message accepted by the sandbox SMTP server.
type Captured struct {
	// From is the envelope sender (MAIL FROM).
	From        string
	To          []string // envelope recipients, Bcc included
	Subject     string   // decoded
	Attachments []string // attachment file names
	Data        []byte   // raw message

	// The envelope recipients split as the message shows them: named in
	// its To header, named in its Cc header, and envelope-only (Bcc).
	HeaderTo, Cc, Bcc []string
}

// route is a listener key: a protocol and whether it is implicit TLS.
type route struct {
	proto mail.Protocol
	tls   bool
}

// Sandbox is a running sandbox.
type Sandbox struct {
	ca       *authority
	store    *store
	smtp     *smtp.Server
	imap     *imapserver.Server
	pop3     *pop3server.Server
	imapPipe *pipeListener

	listeners map[route]*trackListener
	wg        sync.WaitGroup // Serve goroutines

	mu       sync.Mutex
	closed   bool
	captured []Captured
}

// Start starts the servers on loopback listeners (127.0.0.1, random ports).
func Start() (*Sandbox, error) {
	ca, err := newAuthority()
	if err != nil {
		return nil, err
	}
	s := &Sandbox{
		ca:        ca,
		store:     newStore(),
		imapPipe:  newPipeListener(),
		listeners: make(map[route]*trackListener),
	}
	quiet := log.New(io.Discard, "", 0)

	s.smtp = smtp.NewServer(smtpBackend{s})
	s.smtp.Domain = "localhost"
	s.smtp.TLSConfig = ca.serverTLS()
	s.smtp.AllowInsecureAuth = true
	s.smtp.MaxMessageBytes = maxMessageBytes
	s.smtp.EnableSMTPUTF8 = true
	s.smtp.ErrorLog = quiet

	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{store: s.store}, nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1:        {},
			imap.CapIMAP4rev2:        {},
			imap.CapNamespace:        {},
			imap.CapUIDPlus:          {},
			imap.CapESearch:          {},
			imap.CapListExtended:     {},
			imap.CapListStatus:       {},
			imap.CapMove:             {},
			imap.CapStatusSize:       {},
			imap.CapSpecialUse:       {},
			imap.CapCreateSpecialUse: {},
			imap.CapLiteralPlus:      {},
		},
		Logger:       quiet,
		TLSConfig:    ca.serverTLS(),
		InsecureAuth: true,
	})

	s.pop3 = &pop3server.Server{
		Backend:    popBackend{s},
		TLSConfig:  ca.serverTLS(),
		Pipelining: true,
		XOAuth2:    true,
		Hostname:   "localhost",
	}

	serve := map[mail.Protocol]func(net.Listener) error{
		mail.SMTP: s.smtp.Serve,
		mail.IMAP: s.imap.Serve,
		mail.POP3: s.pop3.Serve,
	}
	for _, proto := range []mail.Protocol{mail.SMTP, mail.IMAP, mail.POP3} {
		for _, implicit := range []bool{false, true} {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("sandbox: listen for %s: %w", proto, err)
			}
			tl := &trackListener{Listener: l, ca: ca, conns: make(map[*trackedConn]struct{})}
			s.listeners[route{proto, implicit}] = tl
			var ln net.Listener = tl
			if implicit {
				ln = tls.NewListener(tl, ca.serverTLS())
			}
			s.goServe(serve[proto], ln)
		}
	}
	s.goServe(s.imap.Serve, s.imapPipe)
	return s, nil
}

func (s *Sandbox) goServe(serve func(net.Listener) error, l net.Listener) {
	s.wg.Add(1)
	started := &startedListener{Listener: l, ch: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer s.wg.Done()
		defer close(done)
		serve(started) // returns once the listener is closed
	}()
	// Wait until serve has set itself up and calls Accept: go-imap's Serve
	// registers the listener for Close only then, and a Close before that
	// would race with it.
	select {
	case <-started.ch:
	case <-done:
	}
}

// startedListener reports the first call of Accept.
type startedListener struct {
	net.Listener
	once sync.Once
	ch   chan struct{}
}

func (l *startedListener) Accept() (net.Conn, error) {
	l.once.Do(func() { close(l.ch) })
	return l.Listener.Accept()
}

// Dial routes a connection for proto in ep.Security to the matching server:
// Plain and StartTLS go to the plain listener (which offers STARTTLS/STLS),
// ImplicitTLS to the TLS listener. ep.Host and ep.Port are ignored, except
// that ep.Host is the name the server certifies when the client sends no
// SNI (an IP address).
func (s *Sandbox) Dial(ctx context.Context, proto mail.Protocol, ep mail.Endpoint) (net.Conn, error) {
	op := fmt.Sprintf("sandbox %s dial", proto)
	s.mu.Lock()
	closed := s.closed
	tl, ok := s.listeners[route{proto, ep.Security == mail.ImplicitTLS}]
	s.mu.Unlock()
	if !ok {
		return nil, mail.NewError(mail.ErrUnsupported, op, "", fmt.Errorf("unknown protocol %q", proto))
	}
	if closed {
		return nil, mail.NewError(mail.ErrConnRefused, op, "", errors.New("the sandbox is closed"))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", tl.Addr().String())
	if err != nil {
		return nil, mail.Classify(op, err)
	}
	s.ca.remember(conn.LocalAddr().String(), ep.Host)
	return conn, nil
}

// Addr returns the loopback address of the listener for proto in mode sec
// (Plain and StartTLS share one), for tools that want to connect directly.
func (s *Sandbox) Addr(proto mail.Protocol, sec mail.Security) string {
	if tl, ok := s.listeners[route{proto, sec == mail.ImplicitTLS}]; ok {
		return tl.Addr().String()
	}
	return ""
}

// RootCAs returns the pool holding the sandbox CA.
func (s *Sandbox) RootCAs() *x509.CertPool { return s.ca.pool }

// Certificate returns the sandbox CA certificate.
func (s *Sandbox) Certificate() *x509.Certificate { return s.ca.cert }

// Transport returns a Transport for cfg whose connections go to the sandbox.
func (s *Sandbox) Transport(cfg *mail.Config) *mail.Transport {
	return &mail.Transport{Config: cfg, Dial: s.Dial, RootCAs: s.RootCAs()}
}

// accept records a message received over SMTP and delivers it to the INBOX
// of every distinct recipient mailbox.
func (s *Sandbox) accept(from string, to []string, data []byte, now time.Time) error {
	subject, atts := describe(data)
	hto, cc, bcc := splitRecipients(data, to)
	s.mu.Lock()
	s.captured = append(s.captured, Captured{
		From:        from,
		To:          append([]string(nil), to...),
		HeaderTo:    hto,
		Cc:          cc,
		Bcc:         bcc,
		Subject:     subject,
		Attachments: atts,
		Data:        data,
	})
	s.mu.Unlock()

	stored := toCRLF(data)
	seen := make(map[string]bool)
	for _, rcpt := range to {
		acct, err := s.store.account(rcpt)
		if err != nil {
			return err
		}
		if seen[acct.name] {
			continue
		}
		seen[acct.name] = true
		if err := acct.deliver(stored, now); err != nil {
			return fmt.Errorf("deliver to %s: %w", acct.name, err)
		}
	}
	return nil
}

// Captured returns the messages sent through the sandbox so far.
func (s *Sandbox) Captured() []Captured {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Captured, len(s.captured))
	for i, c := range s.captured {
		c.To = append([]string(nil), c.To...)
		c.HeaderTo = append([]string(nil), c.HeaderTo...)
		c.Cc = append([]string(nil), c.Cc...)
		c.Bcc = append([]string(nil), c.Bcc...)
		c.Attachments = append([]string(nil), c.Attachments...)
		c.Data = append([]byte(nil), c.Data...)
		out[i] = c
	}
	return out
}

// WriteEML writes every captured message to dir (created if needed) as
// 001.eml, 002.eml, ... in the order they were accepted.
func (s *Sandbox) WriteEML(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sandbox: create %s: %w", dir, err)
	}
	for i, c := range s.Captured() {
		name := filepath.Join(dir, fmt.Sprintf("%03d.eml", i+1))
		if err := os.WriteFile(name, c.Data, 0o644); err != nil {
			return fmt.Errorf("sandbox: write %s: %w", name, err)
		}
	}
	return nil
}

// Summary writes a count line ("sandbox: N message(s) captured") and one
// block per captured message (from, To, Cc and envelope-only Bcc
// recipients, subject, attachments), for the exit summary of the CLI.
func (s *Sandbox) Summary(w io.Writer) {
	msgs := s.Captured()
	fmt.Fprintf(w, "sandbox: %d message(s) captured\n", len(msgs))
	for i, c := range msgs {
		fmt.Fprintf(w, "\n#%d\n", i+1)
		fmt.Fprintf(w, "  From:        %s\n", c.From)
		for _, f := range []struct {
			label string
			addrs []string
		}{{"To:", c.HeaderTo}, {"Cc:", c.Cc}, {"Bcc:", c.Bcc}} {
			if len(f.addrs) > 0 {
				fmt.Fprintf(w, "  %-13s%s\n", f.label, strings.Join(f.addrs, ", "))
			}
		}
		fmt.Fprintf(w, "  Subject:     %s\n", oneLine(c.Subject))
		if len(c.Attachments) > 0 {
			fmt.Fprintf(w, "  Attachments: %s\n", strings.Join(c.Attachments, ", "))
		}
		fmt.Fprintf(w, "  Size:        %d bytes\n", len(c.Data))
	}
}

// oneLine keeps a header value on one line of the summary.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Close stops every server, closes every listener and connection, and waits
// for the accept loops to end. It is safe to call more than once.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	s.smtp.Close()
	s.imap.Close()
	s.pop3.Close()
	s.imapPipe.Close()
	for _, tl := range s.listeners {
		tl.Close()
		tl.closeConns()
	}
	s.wg.Wait()
	return nil
}

// trackListener records its open connections so that Close can end them
// whatever the server does, and tells the CA when one ends.
type trackListener struct {
	net.Listener
	ca *authority

	mu    sync.Mutex
	conns map[*trackedConn]struct{}
	done  bool
}

func (l *trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	if l.done {
		l.mu.Unlock()
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
}

// closeConns closes every connection still open.
func (l *trackListener) closeConns() {
	l.mu.Lock()
	l.done = true
	conns := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

type trackedConn struct {
	net.Conn
	l    *trackListener
	once sync.Once
}

func (c *trackedConn) Close() error {
	var err error
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		c.l.ca.forget(c.RemoteAddr().String())
		err = c.Conn.Close()
	})
	return err
}
