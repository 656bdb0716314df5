package mail

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpDefaultTimeout applies when SMTPOptions.Timeout or SetTimeout is 0.
const smtpDefaultTimeout = 60 * time.Second

// SMTPOptions configures an SMTP session.
type SMTPOptions struct {
	Endpoint
	// Timeout bounds the dial, each command and the DATA phase. 0 means 60s.
	Timeout time.Duration
}

// SMTPClient is one SMTP session (go-smtp underneath). It is meant to be
// used by one goroutine at a time; Close may be called from any goroutine
// to abort it.
type SMTPClient struct {
	t       *Transport
	host    string
	addr    string
	sec     Security     // the mode in use (after any TryProtocols fallback)
	c       *smtp.Client // nil until the greeting phase succeeded
	raw     net.Conn     // the network connection under any TLS layer
	timeout time.Duration
	closed  atomic.Bool
	mu      sync.Mutex // guards raw: Close may run on another goroutine while resume swaps it
}

// smtpDataChunk is how much of the message body is written per renewal of
// the write deadline.
const smtpDataChunk = 64 << 10

// errSMTPNoGreeting marks a plain or STARTTLS connection on which no SMTP
// greeting arrived (silence, an immediate close, or TLS records): the port
// probably expects implicit TLS. TryProtocols retries those with TLS.
var errSMTPNoGreeting = errors.New("no SMTP greeting")

// DialSMTP connects, reads the greeting, says EHLO with Config.HeloName
// ("localhost" when empty) and performs STARTTLS when o.Security is
// StartTLS (an ErrStartTLSNotOffered error naming the server's extensions
// when it does not offer it; credentials are then never sent). With
// TryProtocols set it retries in the other TLS mode on a clear mismatch:
// implicit TLS answered by a clear "220" greeting is retried with STARTTLS,
// plain/STARTTLS answered by TLS records, silence or a close before any
// greeting is retried with implicit TLS, on the same port. Without
// TryProtocols such a mismatch is reported with a hint (ErrTLSHandshake, or
// ErrTimeout / ErrConnectionLost when the port merely stayed silent).
//
// Limitations of go-smtp v0.25.1, which has no way to choose the greeting
// command or to issue STARTTLS after a custom EHLO:
//   - EHLO is always sent, even with ExtendSMTP=0 (go-smtp falls back to
//     HELO by itself when the server refuses EHLO with 500/502);
//   - in STARTTLS mode the EHLO before STARTTLS announces "localhost"; the
//     configured HeloName is announced in the EHLO after the TLS handshake,
//     which is the one the server keeps for the session;
//   - in STARTTLS mode the greeting, first EHLO and STARTTLS must complete
//     within one timeout together.
//
// With TryProtocols a port that stays silent in plain/STARTTLS mode is
// retried with implicit TLS after the timeout, so that case costs up to two
// timeouts.
func DialSMTP(ctx context.Context, t *Transport, o SMTPOptions) (*SMTPClient, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg := t.config()
	name := cfg.HeloName
	if name == "" {
		name = "localhost"
	}
	if err := CheckLine("EHLO name", name); err != nil {
		return nil, err
	}
	if strings.ContainsAny(name, " \t") {
		return nil, NewError(ErrInvalidArgument, "EHLO name", "", fmt.Errorf("EHLO name %q contains a space", name))
	}
	if o.Timeout <= 0 {
		o.Timeout = smtpDefaultTimeout
	}
	if !cfg.ExtendSMTP {
		t.Tracef("smtp: ExtendSMTP=0: go-smtp always says EHLO first (HELO only if the server refuses EHLO)")
	}
	return withFallback(ctx, t, SMTP, o.Endpoint, smtpFallback, func(ep Endpoint) (*SMTPClient, error) {
		o.Endpoint = ep
		return dialSMTP(ctx, t, o, name)
	})
}

// smtpFallback returns the mode to retry with after err in mode sec, when
// err shows clearly that the port speaks the other one.
func smtpFallback(sec Security, err error) (Security, bool) {
	var rec tls.RecordHeaderError
	switch {
	case sec == ImplicitTLS && errors.As(err, &rec):
		return StartTLS, true // the server spoke first, in clear: "220 ..."
	case sec != ImplicitTLS && errors.Is(err, errSMTPNoGreeting):
		return ImplicitTLS, true
	}
	return sec, false
}

// dialSMTP makes one connection attempt in mode o.Security.
func dialSMTP(ctx context.Context, t *Transport, o SMTPOptions, name string) (*SMTPClient, error) {
	conn, err := t.DialConn(ctx, SMTP, o.Endpoint, o.Timeout)
	if err != nil {
		return nil, err
	}
	c := &SMTPClient{
		t:       t,
		host:    o.Host,
		addr:    o.Addr(SMTP),
		sec:     o.Security,
		raw:     conn,
		timeout: o.Timeout,
	}
	if tc, ok := conn.(*tls.Conn); ok {
		c.raw = tc.NetConn()
	}
	op := fmt.Sprintf("smtp connect %s (%s)", c.addr, c.sec)
	trace := t.TraceTo(SMTP)
	if c.sec == StartTLS {
		err = c.startTLS(ctx, conn, trace, name, op)
	} else {
		err = c.hello(ctx, conn, trace, name, op)
	}
	if err != nil {
		c.raw.Close()
		c.closed.Store(true)
		return nil, err
	}
	return c, nil
}

// hello runs the greeting and EHLO for plain and implicit TLS sessions.
func (c *SMTPClient) hello(ctx context.Context, conn net.Conn, trace io.Writer, name, op string) error {
	var w *smtpWatchConn
	if c.sec == Plain {
		w = &smtpWatchConn{Conn: conn, on: true}
		conn = w
	}
	c.c = smtp.NewClient(conn)
	c.c.DebugWriter = trace
	c.SetTimeout(c.timeout)
	stop := context.AfterFunc(ctx, c.abort)
	err := c.c.Hello(name)
	if !stop() {
		return smtpCtxError(op, ctx)
	}
	if w != nil {
		w.stop()
	}
	if err != nil {
		return c.greetingError(op, err, w)
	}
	return nil
}

// startTLS runs greeting, EHLO and STARTTLS in clear, then the TLS
// handshake and the EHLO that names HeloName.
func (c *SMTPClient) startTLS(ctx context.Context, conn net.Conn, trace io.Writer, name, op string) error {
	tc, err := c.t.TLSConfig(c.host)
	if err != nil {
		return err
	}
	// smtp.NewClientStartTLS talks before we can set its timeouts and
	// DebugWriter: bound it with a watchdog and trace it through w.
	w := &smtpWatchConn{Conn: conn, on: true, trace: trace}
	phase, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	stop := context.AfterFunc(phase, c.abort)
	sc, err := smtp.NewClientStartTLS(w, tc)
	fired := !stop()
	w.stop() // from here on the bytes are TLS records
	if err != nil {
		if fired {
			if ctx.Err() != nil {
				return smtpCtxError(op, ctx)
			}
			err = fmt.Errorf("no reply within %s: %w", c.timeout, context.DeadlineExceeded)
		}
		return c.startTLSError(op, err, w)
	}
	if fired {
		sc.Close()
		return smtpCtxError(op, phase)
	}
	c.c = sc
	c.c.DebugWriter = trace
	c.SetTimeout(c.timeout)
	stop = context.AfterFunc(ctx, c.abort)
	err = c.c.Hello(name) // TLS handshake, then EHLO
	if !stop() {
		return smtpCtxError(op, ctx)
	}
	if err == nil {
		return nil
	}
	if st, _ := c.c.TLSConnectionState(); !st.HandshakeComplete {
		e := Classify(op, err)
		switch e.Code {
		case ErrCertUntrusted:
			e.Reply = certificateProblem(err)
		case ErrTimeout, ErrCanceled:
			e.Reply = "no answer to the TLS handshake after STARTTLS"
		default:
			e.Code = ErrTLSHandshake
			e.Reply = "the TLS handshake after STARTTLS failed"
		}
		return e
	}
	return c.greetingError(op, err, nil)
}

// startTLSError explains a failure of the clear-text phase of STARTTLS mode.
func (c *SMTPClient) startTLSError(op string, err error, w *smtpWatchConn) error {
	if e := w.noGreeting(op, err, c.timeout); e != nil {
		return e
	}
	exts, ehlo := smtpEHLOExtensions(w.headBytes())
	if ehlo && !smtpHasExtension(exts, "STARTTLS") {
		reply := "the server's EHLO reply offers no STARTTLS (it lists: " + strings.Join(exts, ", ") + ")"
		if len(exts) == 0 {
			reply = "the server offers no STARTTLS (it answered HELO only, without extensions)"
		}
		return NewError(ErrStartTLSNotOffered, op, reply, err)
	}
	var se *smtp.SMTPError
	if ehlo && errors.As(err, &se) {
		return NewError(ErrTLSHandshake, op, "STARTTLS refused: "+smtpReplyText(se), err)
	}
	return c.greetingError(op, err, nil)
}

// greetingError maps a failure of the greeting or EHLO.
func (c *SMTPClient) greetingError(op string, err error, w *smtpWatchConn) error {
	if w != nil {
		if e := w.noGreeting(op, err, c.timeout); e != nil {
			return e
		}
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return NewError(ErrCommandFailed, op, smtpReplyText(se), err)
	}
	var pe textproto.ProtocolError
	if errors.As(err, &pe) {
		return NewError(ErrProtocol, op, "not an SMTP reply: "+string(pe), err)
	}
	if errors.Is(err, smtp.ErrTooLongLine) {
		return NewError(ErrProtocol, op, "", fmt.Errorf("hostile or broken server: %w", err))
	}
	return Classify(op, err)
}

// SetTimeout changes the per-command and DATA timeout of an open session.
func (c *SMTPClient) SetTimeout(d time.Duration) {
	if c == nil {
		return
	}
	if d <= 0 {
		d = smtpDefaultTimeout
	}
	c.timeout = d
	if c.c != nil {
		c.c.CommandTimeout = d
		c.c.SubmissionTimeout = d
	}
}

// Security returns the TLS mode of the session: the requested one, or the
// other one when TryProtocols had to switch.
func (c *SMTPClient) Security() Security { return c.sec }

// Auth authenticates with the strongest mechanism both offered by the server
// and allowed by the config: OAUTHBEARER then XOAUTH2 (password
// "oauth2:<token>", or "oauth2:" with Transport.Token set), else CRAM-MD5,
// NTLM, PLAIN, LOGIN.
// Credentials are never sent unencrypted when the session asked for TLS.
//
// A refusal by the server is final (no weaker mechanism is tried, so as not
// to multiply failed logins); a mechanism that cannot answer the server's
// challenge gives way to the next one.
func (c *SMTPClient) Auth(ctx context.Context, user, pass string) error {
	const op = "smtp auth"
	if err := c.ready(op); err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if user == "" {
		return NewError(ErrInvalidArgument, op, "", errors.New("empty user name"))
	}
	if err := CheckLine("user name", user); err != nil {
		return err
	}
	if _, encrypted := c.c.TLSConnectionState(); c.sec != Plain && !encrypted {
		return NewError(ErrCleartextRefused, op, "", nil)
	}
	if err := ctx.Err(); err != nil {
		return Classify(op, err)
	}
	ok, params := c.c.Extension("AUTH")
	offered := strings.Fields(strings.ToUpper(params))
	if !ok {
		// Old servers advertise "AUTH=LOGIN [more]" (go-smtp keys it as "AUTH=LOGIN").
		for _, m := range []string{MechLogin, MechPlain} {
			if has, more := c.c.Extension("AUTH=" + m); has {
				ok = true
				offered = append(append(offered, m), strings.Fields(strings.ToUpper(more))...)
			}
		}
	}
	if !ok || len(offered) == 0 {
		reply := "the server offers no AUTH"
		if st, _ := c.c.Extension("STARTTLS"); st && c.sec == Plain {
			reply += " on a clear connection; it offers STARTTLS (use SetUseTLS)"
		}
		return NewError(ErrNoAuthMechanism, op, reply, nil)
	}
	token, oauth := saslOAuth2(pass)
	mechs, allowed := saslMechanisms(c.t.config(), offered, oauth)
	if len(mechs) == 0 {
		return saslNoMechanism(op, offered, allowed, oauth)
	}
	secret := pass
	if oauth {
		tok, err := saslToken(ctx, c.t, op, user, token)
		if err != nil {
			return err
		}
		secret = tok
	}

	stop := context.AfterFunc(ctx, c.abort)
	err := redactAuthError(c.auth(op, mechs, user, secret), secret)
	if !stop() {
		return smtpCtxError(op, ctx)
	}
	if CodeOf(err) == ErrAuthFailed {
		c.resume(ctx)
	}
	return err
}

// resume keeps the session usable after a refused AUTH. go-smtp v0.25.1
// answers the server's final refusal with a "*" line (emersion/go-smtp#316),
// which Postfix and other strict servers treat as a protocol violation and
// hang up on. When NOOP shows the server did, the session is opened again
// (greeting, EHLO, STARTTLS as before) so the script can retry AUTH or send
// without it; when that fails too, later calls report ErrNoConnection.
func (c *SMTPClient) resume(ctx context.Context) {
	if c.c.Noop() == nil {
		return
	}
	c.t.Tracef("smtp: the server closed the session after the refused AUTH; reconnecting to %s", c.addr)
	host, port, err := SplitHostPort(c.addr)
	name := c.t.config().HeloName
	if name == "" {
		name = "localhost"
	}
	var nc *SMTPClient
	if err == nil {
		nc, err = dialSMTP(ctx, c.t, SMTPOptions{Endpoint: Endpoint{Host: host, Port: port, Security: c.sec}, Timeout: c.timeout}, name)
	}
	if err != nil {
		c.broken()
		return
	}
	c.mu.Lock()
	old := c.raw
	if c.closed.Load() { // closed meanwhile: drop the new session
		c.mu.Unlock()
		nc.conn().Close()
		return
	}
	c.c, c.raw = nc.c, nc.raw
	c.mu.Unlock()
	old.Close()
}

func (c *SMTPClient) auth(op string, mechs []string, user, secret string) error {
	var last error
	for _, mech := range mechs {
		a, err := newSASLClient(mech, user, secret)
		if err != nil {
			return NewError(ErrUnsupported, op, "", err)
		}
		err = c.c.Auth(a)
		if err == nil {
			return nil
		}
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			if d := saslDetail(a); d != "" {
				err = fmt.Errorf("%w (%s)", err, d)
			}
			return NewError(ErrAuthFailed, op+" "+mech, smtpReplyText(se), err)
		}
		var sErr *saslError
		var b64Err base64.CorruptInputError
		if !errors.As(err, &sErr) && !errors.As(err, &b64Err) {
			c.broken()
			return Classify(op+" "+mech, err)
		}
		last = fmt.Errorf("%s: %w", mech, err) // try the next mechanism
	}
	return NewError(ErrProtocol, op, "the server's authentication challenge could not be answered", last)
}

// Send builds m and sends it to all its recipients (Bcc included in the
// envelope only). After any refusal the transaction is reset (RSET) so the
// session stays usable.
func (c *SMTPClient) Send(ctx context.Context, m *Message) error {
	const op = "smtp send"
	if err := c.ready(op); err != nil {
		return err
	}
	if m == nil {
		return NewError(ErrInvalidArgument, op, "", errors.New("no message"))
	}
	from, err := m.Sender()
	if err != nil {
		return smtpMessageError(op, err)
	}
	to, err := m.Recipients()
	if err != nil {
		return smtpMessageError(op, err)
	}
	if len(to) == 0 {
		return NewError(ErrNoRecipients, op, "", nil)
	}
	b, err := m.prepare(false)
	if err != nil {
		return smtpMessageError(op, err)
	}
	size, err := b.size()
	if err != nil {
		return smtpMessageError(op, err)
	}
	return c.sendData(ctx, from, to, size, b.write)
}

// smtpMessageError keeps the code of a message model error, else calls it malformed.
func smtpMessageError(op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return NewError(ErrMalformedMessage, op, "", err)
}

// SendRaw sends already-built message data.
func (c *SMTPClient) SendRaw(ctx context.Context, from string, to []string, data []byte) error {
	return c.sendData(ctx, from, to, int64(len(data)), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// sendData sends a message of size bytes that write produces.
func (c *SMTPClient) sendData(ctx context.Context, from string, to []string, size int64, write func(io.Writer) error) error {
	const op = "smtp send"
	if err := c.ready(op); err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if len(to) == 0 {
		return NewError(ErrNoRecipients, op, "", nil)
	}
	if err := smtpCheckAddress("sender address", from, true); err != nil {
		return err
	}
	utf8 := !smtpIsASCII(from)
	for _, rcpt := range to {
		if err := smtpCheckAddress("recipient address", rcpt, false); err != nil {
			return err
		}
		utf8 = utf8 || !smtpIsASCII(rcpt)
	}
	if err := ctx.Err(); err != nil {
		return Classify(op, err)
	}
	stop := context.AfterFunc(ctx, c.abort)
	err := c.send(op, from, to, size, write, utf8)
	if !stop() {
		return smtpCtxError(op, ctx)
	}
	return err
}

func (c *SMTPClient) send(op, from string, to []string, size int64, write func(io.Writer) error, utf8 bool) error {
	if max, ok := c.c.MaxMessageSize(); ok && max > 0 && size > int64(max) {
		return NewError(ErrMessageTooLarge, op,
			fmt.Sprintf("the message has %d bytes and the server accepts at most %d (SIZE)", size, max), nil)
	}
	opts := &smtp.MailOptions{Size: size}
	if utf8 {
		if ok, _ := c.c.Extension("SMTPUTF8"); !ok {
			return NewError(ErrInvalidArgument, op,
				"an envelope address has non-ASCII characters and the server does not offer SMTPUTF8", nil)
		}
		opts.UTF8 = true
	}
	if err := c.c.Mail(from, opts); err != nil {
		return c.refused(op, ErrSenderRejected, "<"+from+">", err)
	}
	var refused []string
	var firstErr error
	for _, rcpt := range to {
		err := c.c.Rcpt(rcpt, nil)
		if err == nil {
			continue
		}
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code == 421 {
			return c.refused(op, ErrRecipientRejected, "<"+rcpt+">", err)
		}
		refused = append(refused, "<"+rcpt+">: "+smtpReplyText(se))
		if firstErr == nil {
			firstErr = err
		}
	}
	if len(refused) > 0 {
		c.reset()
		return NewError(ErrRecipientRejected, op, strings.Join(refused, "; "), firstErr)
	}
	w, err := c.c.Data()
	if err != nil {
		return c.refused(op, ErrMessageRejected, "", err)
	}
	// go-smtp bounds the DATA command and the final reply, not the writing
	// of the body: a server that stops reading must not block us. The
	// deadline is renewed for each chunk, so a large attachment on a slow
	// link that keeps moving is not cut off. The message is encoded as it
	// is written (attachments streamed from their files).
	dw := &smtpDataWriter{c: c, w: w}
	bw := bufio.NewWriterSize(dw, smtpDataChunk)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if dw.err != nil {
		err = dw.err // the connection failed, not the message
	} else if err != nil {
		// The message could not be produced (an attachment file vanished):
		// never end DATA with a partial message, drop the session.
		c.raw.SetWriteDeadline(time.Time{})
		c.broken()
		return smtpMessageError(op, err)
	}
	if err == nil {
		c.raw.SetWriteDeadline(time.Now().Add(c.timeout))
		err = w.Close() // final dot, then the reply within SubmissionTimeout
	}
	c.raw.SetWriteDeadline(time.Time{})
	if err != nil {
		return c.refused(op, ErrMessageRejected, "", err)
	}
	return nil
}

// smtpDataWriter writes the DATA body in chunks of at most smtpDataChunk,
// renewing the write deadline for each; it records the first error.
type smtpDataWriter struct {
	c   *SMTPClient
	w   io.Writer
	err error
}

func (d *smtpDataWriter) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	done := 0
	for len(p) > 0 {
		n := min(len(p), smtpDataChunk)
		d.c.raw.SetWriteDeadline(time.Now().Add(d.c.timeout))
		k, err := d.w.Write(p[:n])
		done += k
		if err != nil {
			d.err = err
			return done, err
		}
		p = p[n:]
	}
	return done, nil
}

// refused maps a failed command: a server refusal gets code (552 means too
// large for MAIL and DATA) with the reply, prefixed by subject, and the
// transaction is reset; any other failure breaks the session.
func (c *SMTPClient) refused(op string, code Code, subject string, err error) error {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		c.broken()
		return Classify(op, err)
	}
	if se.Code == 552 && code != ErrRecipientRejected {
		code = ErrMessageTooLarge
	}
	reply := smtpReplyText(se)
	if subject != "" {
		reply = subject + ": " + reply
	}
	if se.Code == 421 { // the server is closing the connection
		c.broken()
	} else {
		c.reset()
	}
	return NewError(code, op, reply, err)
}

// reset aborts the transaction (RSET) so the next Send starts clean; a
// session that cannot even do that is closed.
func (c *SMTPClient) reset() {
	if err := c.c.Reset(); err != nil {
		c.broken()
	}
}

// Quit says QUIT and closes the connection.
func (c *SMTPClient) Quit() error {
	const op = "smtp quit"
	if err := c.ready(op); err != nil {
		return err
	}
	err := c.c.Quit()
	c.Close()
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return NewError(ErrCommandFailed, op, smtpReplyText(se), err)
		}
		return Classify(op, err)
	}
	return nil
}

// Close closes the connection without QUIT (used on cancellation). It is
// safe to call more than once and from another goroutine.
func (c *SMTPClient) Close() error {
	if c == nil || c.conn() == nil {
		return nil
	}
	if c.closed.Swap(true) {
		return nil
	}
	c.conn().Close()
	return nil
}

// conn returns the network connection under any TLS layer.
func (c *SMTPClient) conn() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.raw
}

// abort closes the connection under go-smtp so that a blocked read or
// write returns at once (context cancellation, watchdog).
func (c *SMTPClient) abort() {
	c.closed.Store(true)
	c.conn().Close()
}

// broken closes a session whose protocol state is unknown after an I/O
// failure; later calls report ErrNoConnection.
func (c *SMTPClient) broken() { c.Close() }

// ready reports ErrNoConnection when the session is not open.
func (c *SMTPClient) ready(op string) error {
	if c == nil || c.c == nil || c.closed.Load() {
		return NewError(ErrNoConnection, op, "", nil)
	}
	return nil
}

// smtpCtxError is the error of an operation ended by ctx.
func smtpCtxError(op string, ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		err = context.Canceled
	}
	return Classify(op, err)
}

// smtpReplyText formats a server refusal as it was sent: "535 5.7.8 text".
func smtpReplyText(se *smtp.SMTPError) string {
	msg := strings.ReplaceAll(se.Message, "\n", " ")
	ec := se.EnhancedCode
	if ec != smtp.EnhancedCodeNotSet && ec != smtp.NoEnhancedCode {
		return fmt.Sprintf("%d %d.%d.%d %s", se.Code, ec[0], ec[1], ec[2], msg)
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", se.Code, msg))
}

// smtpCheckAddress validates an envelope address: no line breaks (command
// injection) and no angle brackets (it must be a bare addr-spec).
func smtpCheckAddress(what, addr string, emptyOK bool) error {
	if err := CheckLine(what, addr); err != nil {
		return err
	}
	if addr == "" && !emptyOK {
		return NewError(ErrInvalidArgument, what, "", fmt.Errorf("empty %s", what))
	}
	if strings.ContainsAny(addr, "<>") {
		return NewError(ErrInvalidArgument, what, "", fmt.Errorf("%s %q is not a bare address (user@domain)", what, addr))
	}
	if addr != "" && !smtpMailbox(addr) {
		return NewError(ErrInvalidArgument, what, "",
			fmt.Errorf("%s %q is not an RFC 5321 mailbox (a local part that is not a dot-atom must be quoted)", what, addr))
	}
	return nil
}

// smtpMailbox reports whether addr is local@domain with the local part a
// dot-atom or a quoted string, and a domain without blanks or quotes.
func smtpMailbox(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return false
	}
	local, domain := addr[:at], addr[at+1:]
	if strings.ContainsAny(domain, " \t\"\\@()<>,;") {
		return false
	}
	if isDotAtom(local) {
		return true
	}
	if len(local) < 2 || local[0] != '"' || local[len(local)-1] != '"' {
		return false
	}
	for i := 1; i < len(local)-1; i++ {
		switch c := local[i]; {
		case c < ' ' || c == 0x7f:
			return false
		case c == '\\':
			i++
			if i >= len(local)-1 {
				return false
			}
		case c == '"':
			return false
		}
	}
	return true
}

func smtpIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// smtpWatchMax bounds what smtpWatchConn keeps of the clear-text phase.
const smtpWatchMax = 16 << 10

// smtpWatchConn observes, without altering it, the clear-text start of a
// session: it keeps the bytes the server sent (to recognise a TLS port
// answering a plain client, and to name the EHLO extensions when STARTTLS is
// missing) and, in STARTTLS mode, copies the exchange to the trace, because
// smtp.NewClientStartTLS runs greeting, EHLO and STARTTLS before its
// DebugWriter can be set. Observation stops before any TLS record passes.
type smtpWatchConn struct {
	net.Conn
	mu    sync.Mutex
	on    bool
	head  []byte
	nread int
	trace io.Writer
}

func (w *smtpWatchConn) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	if n > 0 {
		w.mu.Lock()
		if w.on {
			w.nread += n
			if room := smtpWatchMax - len(w.head); room > 0 {
				w.head = append(w.head, p[:min(n, room)]...)
			}
			if w.trace != nil {
				w.trace.Write(p[:n])
			}
		}
		w.mu.Unlock()
	}
	return n, err
}

func (w *smtpWatchConn) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	if n > 0 {
		w.mu.Lock()
		if w.on && w.trace != nil {
			w.trace.Write(p[:n])
		}
		w.mu.Unlock()
	}
	return n, err
}

func (w *smtpWatchConn) stop() {
	w.mu.Lock()
	w.on = false
	w.mu.Unlock()
}

func (w *smtpWatchConn) headBytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]byte(nil), w.head...)
}

// noGreeting returns the error for a connection that produced no SMTP
// greeting (nothing before a timeout or close, or TLS records), or nil.
func (w *smtpWatchConn) noGreeting(op string, err error, timeout time.Duration) *Error {
	w.mu.Lock()
	head := w.head
	n := w.nread
	w.mu.Unlock()
	const hint = "; if the port expects implicit TLS (SMTPS, usually 465) use SetUseSSL, or set TryProtocols=1 in [Mail]"
	cause := fmt.Errorf("%w: %w", errSMTPNoGreeting, err)
	code := Classify(op, err).Code
	switch {
	case len(head) >= 2 && (head[0] == 0x15 || head[0] == 0x16) && head[1] == 0x03:
		return NewError(ErrTLSHandshake, op, "the server answered with TLS data instead of an SMTP greeting"+hint, cause)
	case n == 0 && code == ErrTimeout:
		return NewError(ErrTimeout, op, fmt.Sprintf("no SMTP greeting within %s", timeout)+hint, cause)
	case n == 0 && code == ErrConnectionLost:
		return NewError(ErrConnectionLost, op, "the server closed the connection without an SMTP greeting"+hint, cause)
	}
	return nil
}

// smtpEHLOExtensions finds the first 250 reply in the server's clear-text
// output (the EHLO reply, or HELO's after a refused EHLO) and returns its
// extension lines. ok is false when there is no such reply.
func smtpEHLOExtensions(out []byte) (exts []string, ok bool) {
	for _, line := range bytes.Split(out, []byte("\n")) {
		l := strings.TrimRight(string(line), "\r")
		if len(l) < 4 || !strings.HasPrefix(l, "250") || (l[3] != '-' && l[3] != ' ') {
			if ok {
				break
			}
			continue
		}
		if ok {
			exts = append(exts, l[4:])
		}
		ok = true
		if l[3] == ' ' {
			break
		}
	}
	return exts, ok
}

// smtpHasExtension reports whether exts lists the keyword name.
func smtpHasExtension(exts []string, name string) bool {
	for _, e := range exts {
		kw, _, _ := strings.Cut(e, " ")
		if strings.EqualFold(kw, name) {
			return true
		}
	}
	return false
}
