package mail

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
)

// IMAPOptions configures an IMAP session.
type IMAPOptions struct {
	Endpoint
	// Timeout bounds the dial and each command. 0 means 60s.
	Timeout time.Duration
}

// FolderInfo is one row of a folder list.
type FolderInfo struct {
	Name       string   // decoded UTF-8 name (modified UTF-7 on the wire)
	Attributes []string // e.g. \Noselect, \HasChildren, \Sent
	// Subscribed reports whether the folder is subscribed (see GetFolderList).
	Subscribed bool
	Total      int // messages
	Seen       int // read messages
	Unseen     int // unread messages
}

// HeaderRow is the requested header fields of one message (StartGetAllMsgHeader).
type HeaderRow struct {
	// SeqNum is the message sequence number.
	SeqNum uint32
	// UID is the message's IMAP UID.
	UID     uint32
	Headers []Header // in the order requested; missing fields have empty values
}

// BodyPart describes one MIME part of a message (GetMsgBody).
type BodyPart struct {
	Section     string // IMAP part number, "1", "1.2", ...
	ContentType string // "text/plain"
	// Charset is the charset parameter, "" when absent.
	Charset  string
	Encoding string // transfer encoding
	// Disposition is "inline", "attachment" or "".
	Disposition string
	// FileName is the part's file name (Content-Disposition or Content-Type name), decoded.
	FileName string
	// ContentID is the Content-ID without angle brackets.
	ContentID string
	// Size is the encoded size in bytes, as the server reports it.
	Size int64
}

// imapDefaultTimeout is the per-command timeout when none is configured.
const imapDefaultTimeout = 60 * time.Second

var (
	errIMAPTimeout  = errors.New("the server did not answer within the timeout")
	errIMAPCanceled = errors.New("the operation was cancelled")
	errIMAPClosed   = errors.New("the session is closed")
)

// IMAPClient is an IMAP session (go-imap v2 imapclient underneath).
// Message ids are UIDs when uid is true, sequence numbers otherwise.
//
// The methods are safe for concurrent use but run one at a time; Close may
// be called at any moment from another goroutine to abort the running
// command (it then fails with ErrCanceled). go-imap's client has no context
// support, so timeouts and cancellation close the connection: after either,
// the session is unusable and every later call fails with ErrConnectionLost.
//
// Operations on messages (Count, Fetch*, Copy, Move, DeleteMsgs, SetFlags)
// select INBOX first when no folder is selected.
type IMAPClient struct {
	t      *Transport
	sec    Security
	conn   *imapConn
	client *imapclient.Client
	trace  *imapTrace // nil when tracing is off
	caps   imap.CapSet
	tls    bool

	mu     sync.Mutex // serialises operations
	closed atomic.Bool

	stateMu sync.Mutex
	folder  string // selected on the server
	later   string // chosen with SelectLater, not selected yet (folder is "")
	stray   string // with later: the folder left selected on the server meanwhile
	shown   string // what Folder reports while pinned
	pinned  bool   // a background fetch has another folder selected for a while

	watch imapWatch // folder size changes announced by the server (imap_idle.go)
}

// DialIMAP connects (STARTTLS when asked; an error if not offered) and logs
// in. With [Mail] TryProtocols it retries once in the other TLS mode on a
// clear mismatch (see Security for the mode in use).
//
// ctx bounds the connection and the login only, like net.Dialer.DialContext;
// use Close to abort a later operation.
//
// Authentication follows the shared preference (sasl.go): a password
// "oauth2:<token>" uses AUTHENTICATE OAUTHBEARER or XOAUTH2 (an empty token
// is asked from t.Token); otherwise CRAM-MD5, NTLM, PLAIN, then the LOGIN command, among
// those the server offers and [Mail] allows (AuthLogin covers LOGIN).
func DialIMAP(ctx context.Context, t *Transport, o IMAPOptions, user, pass string) (*IMAPClient, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	return withFallback(ctx, t, IMAP, o.Endpoint, fallbackSecurity, func(ep Endpoint) (*IMAPClient, error) {
		o.Endpoint = ep
		return dialIMAP(ctx, t, o, user, pass)
	})
}

// dialIMAP makes one connection attempt in mode o.Security.
func dialIMAP(ctx context.Context, t *Transport, o IMAPOptions, user, pass string) (*IMAPClient, error) {
	op := fmt.Sprintf("imap connect %s (%s)", o.Addr(IMAP), o.Security)
	if err := CheckLine("user name", user); err != nil {
		return nil, err
	}
	if err := CheckLine("password", pass); err != nil {
		return nil, err
	}
	if user == "" {
		return nil, NewError(ErrInvalidArgument, op, "", errors.New("empty user name"))
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = imapDefaultTimeout
	}
	raw, err := t.DialConn(ctx, IMAP, o.Endpoint, timeout)
	if err != nil {
		return nil, err
	}
	c := &IMAPClient{t: t, tls: o.Security != Plain, sec: o.Security}
	if w := t.TraceTo(IMAP); w != nil {
		c.trace = &imapTrace{w: w}
	}

	conn, greeting := raw, []byte(nil)
	if o.Security == StartTLS {
		tconn, greet, err := imapStartTLS(ctx, t, raw, o.Host, timeout, c.trace)
		if err != nil {
			raw.Close()
			return nil, err
		}
		conn, greeting = tconn, greet
	}
	c.conn = newIMAPConn(conn, rawConn(raw), greeting, timeout)
	stop := context.AfterFunc(ctx, func() { c.conn.abort(errIMAPCanceled) })
	defer stop()

	opts := &imapclient.Options{
		WordDecoder:           &mime.WordDecoder{CharsetReader: charset.Reader},
		UnilateralDataHandler: c.unilateralHandler(),
	}
	if c.trace != nil {
		opts.DebugWriter = c.trace
	}
	c.client = imapclient.New(c.conn, opts)

	c.conn.arm()
	err = c.setup(ctx, user, pass)
	c.conn.disarm()
	if err != nil {
		err = c.finish(op, err)
		c.closed.Store(true)
		c.conn.abort(errIMAPClosed)
		return nil, err
	}
	return c, nil
}

// rawConn returns the network connection under a TLS connection, which can
// be closed at once (tls.Conn.Close may block sending close_notify).
func rawConn(c net.Conn) net.Conn {
	if tc, ok := c.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return c
}

// setup waits for the greeting, authenticates and reads the capabilities.
func (c *IMAPClient) setup(ctx context.Context, user, pass string) error {
	if err := c.client.WaitGreeting(); err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) {
			return NewError(ErrCommandFailed, "imap greeting", imapReply(ie), nil)
		}
		return err
	}
	if c.client.State() != imap.ConnStateAuthenticated { // not PREAUTH
		if err := c.login(ctx, user, pass); err != nil {
			return err // redacted by login
		}
	}
	caps := c.client.Caps()
	if caps == nil {
		return c.lostOr(errors.New("the server did not send its capabilities"))
	}
	c.caps = caps
	return nil
}

// lostOr returns err, or the connection's error when it is gone.
func (c *IMAPClient) lostOr(err error) error {
	select {
	case <-c.client.Closed():
		return io.ErrUnexpectedEOF
	default:
		return err
	}
}

// login authenticates with the strongest mechanism both offered and allowed
// (sasl.go): the IMAP LOGIN command stands for the LOGIN mechanism unless the
// server announces LOGINDISABLED. A refusal is ErrAuthFailed with the reply.
func (c *IMAPClient) login(ctx context.Context, user, pass string) error {
	op := "imap login " + user
	caps := c.client.Caps()
	if caps == nil {
		return c.lostOr(errors.New("the server did not send its capabilities"))
	}
	offered := caps.AuthMechanisms()
	sort.Strings(offered)
	loginCmd := !caps.Has(imap.CapLoginDisabled)
	if loginCmd && !imapHasCap(offered, MechLogin) {
		offered = append(offered, MechLogin)
	}
	token, oauth := saslOAuth2(pass)
	mechs, allowed := saslMechanisms(c.t.config(), offered, oauth)
	if len(mechs) == 0 {
		if !oauth && !loginCmd && !c.tls {
			return NewError(ErrCleartextRefused, op, "the server announces LOGINDISABLED",
				errors.New("the server refuses passwords without TLS; use STARTTLS (SetUseTLS) or IMAPS (SetUseSSL)"))
		}
		return saslNoMechanism(op, offered, allowed, oauth)
	}
	secret := pass
	if oauth {
		var err error
		if secret, err = saslToken(ctx, c.t, op, user, token); err != nil {
			return err
		}
	}
	c.trace.hide(secret)
	defer c.trace.hide("")
	return redactAuthError(c.authenticate(op, mechs[0], loginCmd, user, secret), secret)
}

// authenticate runs LOGIN or AUTHENTICATE mech.
func (c *IMAPClient) authenticate(op, mech string, loginCmd bool, user, secret string) error {
	if mech == MechLogin && loginCmd {
		return imapStatusErr(op, c.client.Login(user, secret).Wait(), ErrAuthFailed)
	}
	sc, err := newSASLClient(mech, user, secret)
	if err != nil {
		return NewError(ErrUnsupported, op, "", err)
	}
	err = c.client.Authenticate(sc)
	var ie *imap.Error
	var se *saslError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		var detail error
		if d := saslDetail(sc); d != "" {
			detail = errors.New(d)
		}
		return NewError(ErrAuthFailed, op+" "+mech, imapReply(ie), detail)
	case errors.As(err, &se):
		return NewError(ErrProtocol, op+" "+mech, "the server's authentication challenge could not be answered", err)
	}
	return err
}

// imapStartTLS reads the greeting, checks that STARTTLS is offered, runs it
// and performs the TLS handshake, by hand on raw so that the connection given
// to imapclient is already encrypted. It returns the TLS connection and the
// greeting to replay to imapclient (without its pre-TLS capabilities).
func imapStartTLS(ctx context.Context, t *Transport, raw net.Conn, host string, timeout time.Duration, tw *imapTrace) (net.Conn, []byte, error) {
	op := "imap STARTTLS " + host
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	fail := func(err error) error {
		if ctx.Err() != nil {
			return NewError(ErrCanceled, op, "", ctx.Err())
		}
		return Classify(op, err)
	}
	br := bufio.NewReaderSize(raw, 16<<10)
	var budget commandBudget // the whole clear-text phase, as one command
	budget.begin(time.Now())
	readLine := func() (string, error) {
		raw.SetReadDeadline(budget.next(time.Now(), timeout))
		b, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return "", NewError(ErrProtocol, op, "", errors.New("server line too long"))
			}
			return "", fail(err)
		}
		budget.add(len(b))
		tw.Write(b)
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	writeLine := func(s string) error {
		raw.SetWriteDeadline(time.Now().Add(timeout))
		tw.Write([]byte(s + "\r\n"))
		if _, err := io.WriteString(raw, s+"\r\n"); err != nil {
			return fail(err)
		}
		return nil
	}
	// command sends cmd with tag and returns the untagged lines and the tagged one.
	command := func(tag, cmd string) ([]string, string, error) {
		if err := writeLine(tag + " " + cmd); err != nil {
			return nil, "", err
		}
		var untagged []string
		for {
			line, err := readLine()
			if err != nil {
				return nil, "", err
			}
			if strings.HasPrefix(line, tag+" ") {
				return untagged, strings.TrimPrefix(line, tag+" "), nil
			}
			if len(untagged) >= 1000 {
				return nil, "", NewError(ErrProtocol, op, "", errors.New("hostile or broken server: more than 1000 untagged lines before STARTTLS"))
			}
			untagged = append(untagged, line)
		}
	}

	greeting, err := readLine()
	if err != nil {
		return nil, nil, err
	}
	status, text, _ := strings.Cut(strings.TrimPrefix(greeting, "* "), " ")
	switch strings.ToUpper(status) {
	case "OK":
	case "PREAUTH":
		return nil, nil, NewError(ErrStartTLSNotOffered, op, greeting,
			errors.New("the server pre-authenticated the connection, STARTTLS is no longer possible"))
	default:
		return nil, nil, NewError(ErrCommandFailed, op, greeting, errors.New("the server refused the connection"))
	}
	caps, rest := imapCapsFromCode(text)
	if caps == nil {
		untagged, tagged, err := command("A0", "CAPABILITY")
		if err != nil {
			return nil, nil, err
		}
		if !imapTaggedOK(tagged) {
			return nil, nil, NewError(ErrProtocol, op, tagged, errors.New("CAPABILITY failed"))
		}
		for _, line := range untagged {
			if f := strings.Fields(line); len(f) > 1 && strings.EqualFold(f[1], "CAPABILITY") {
				caps = f[2:]
			}
		}
	}
	if !imapHasCap(caps, "STARTTLS") {
		return nil, nil, NewError(ErrStartTLSNotOffered, op, "server capabilities: "+strings.Join(caps, " "), nil)
	}
	_, tagged, err := command("A1", "STARTTLS")
	if err != nil {
		return nil, nil, err
	}
	if !imapTaggedOK(tagged) {
		return nil, nil, NewError(ErrStartTLSNotOffered, op, tagged, errors.New("the server refused STARTTLS"))
	}
	if br.Buffered() > 0 {
		return nil, nil, NewError(ErrProtocol, op, "", errors.New("the server sent data before the TLS handshake"))
	}
	raw.SetDeadline(time.Time{})
	tc, err := t.TLSConfig(host)
	if err != nil {
		return nil, nil, err
	}
	tlsConn := tls.Client(raw, tc)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tlsConn.HandshakeContext(hctx); err != nil {
		if ctx.Err() != nil {
			return nil, nil, NewError(ErrCanceled, op, "", ctx.Err())
		}
		return nil, nil, TLSError(op, err)
	}
	if rest == "" {
		rest = "ready"
	}
	return tlsConn, []byte("* OK " + rest + "\r\n"), nil
}

// imapCapsFromCode splits "[CAPABILITY a b] text" into capabilities and the
// text; caps is nil when there is no CAPABILITY code. Other codes are dropped.
func imapCapsFromCode(text string) (caps []string, rest string) {
	if !strings.HasPrefix(text, "[") {
		return nil, text
	}
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return nil, text
	}
	code := strings.Fields(text[1:end])
	rest = strings.TrimSpace(text[end+1:])
	if len(code) > 0 && strings.EqualFold(code[0], "CAPABILITY") {
		return code[1:], rest
	}
	return nil, rest
}

func imapHasCap(caps []string, name string) bool {
	for _, c := range caps {
		if strings.EqualFold(c, name) {
			return true
		}
	}
	return false
}

func imapTaggedOK(s string) bool {
	return len(s) >= 2 && strings.EqualFold(s[:2], "OK")
}

// SetTimeout changes the per-command timeout (0 or less: 60s).
func (c *IMAPClient) SetTimeout(d time.Duration) {
	if c == nil || c.conn == nil {
		return
	}
	if d <= 0 {
		d = imapDefaultTimeout
	}
	c.conn.setTimeout(d)
}

// do runs one operation with the per-command watchdog armed and maps its error.
func (c *IMAPClient) do(op string, fn func() error) error {
	if c == nil || c.client == nil {
		return NewError(ErrNoConnection, op, "", errors.New("not connected"))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.doLocked(op, fn)
}

// doLocked is do for a caller that holds c.mu.
func (c *IMAPClient) doLocked(op string, fn func() error) error {
	if err := c.usable(op); err != nil {
		return err
	}
	c.conn.arm()
	defer c.conn.disarm()
	if err := fn(); err != nil {
		return c.finish(op, err)
	}
	if c.conn.abortCause() != nil {
		// The session was closed underneath (timeout, cancellation,
		// guard) after the last response: what was read may be partial.
		return c.finish(op, errIMAPClosed)
	}
	return nil
}

// usable reports why the session cannot run a command, if it cannot.
func (c *IMAPClient) usable(op string) error {
	if c.closed.Load() {
		return NewError(ErrNoConnection, op, "", errIMAPClosed)
	}
	select {
	case <-c.client.Closed():
		why := "closed by the server"
		var le *imapLimitError
		switch cause := c.conn.abortCause(); {
		case errors.As(cause, &le):
			why = "closed by the response guard (" + le.what + ")"
		case cause == errIMAPTimeout:
			why = "closed after a timeout"
		case cause == errIMAPCanceled:
			why = "closed after a cancellation"
		}
		return NewError(ErrConnectionLost, op, "", errors.New("the connection was "+why))
	default:
		return nil
	}
}

// finish maps an operation error: a timeout or cancellation that closed the
// connection wins; *Error values pass; server NO/BAD become ErrCommandFailed;
// anything else is a broken connection.
func (c *IMAPClient) finish(op string, err error) error {
	cause := c.conn.abortCause()
	switch cause {
	case errIMAPTimeout:
		return NewError(ErrTimeout, op, "", fmt.Errorf("%w (%v)", errIMAPTimeout, c.conn.getTimeout()))
	case errIMAPCanceled:
		return NewError(ErrCanceled, op, "", errIMAPCanceled)
	}
	var le *imapLimitError
	if errors.As(cause, &le) {
		c.trace.note(le.Error())
		return NewError(ErrProtocol, op, "", le)
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		return imapStatusErr(op, err, ErrCommandFailed)
	}
	return Classify(op, err)
}

// imapStatusErr turns a server NO/BAD/BYE into an *Error: NONEXISTENT and
// TRYCREATE mean ErrNoSuchFolder, BAD means ErrCommandFailed (except during
// login), NO means no. Other errors are returned unchanged.
func imapStatusErr(op string, err error, no Code) error {
	var ie *imap.Error
	if !errors.As(err, &ie) {
		return err
	}
	code := no
	switch {
	case ie.Code == imap.ResponseCodeNonExistent || ie.Code == imap.ResponseCodeTryCreate:
		code = ErrNoSuchFolder
	case ie.Type == imap.StatusResponseTypeBye:
		code = ErrConnectionLost
	case ie.Type == imap.StatusResponseTypeBad && no != ErrAuthFailed:
		code = ErrCommandFailed
	}
	return NewError(code, op, imapReply(ie), nil)
}

// imapReply formats a server status response as "NO [CODE] text".
func imapReply(ie *imap.Error) string {
	s := string(ie.Type)
	if ie.Code != "" {
		s += " [" + string(ie.Code) + "]"
	}
	if ie.Text != "" {
		s += " " + ie.Text
	}
	return s
}

func (c *IMAPClient) setFolder(f string) {
	c.stateMu.Lock()
	c.folder, c.later, c.stray = f, "", ""
	c.stateMu.Unlock()
}

// leaveStray selects the SelectLater folder when folder is the one left
// selected on the server meanwhile (before it is deleted or renamed).
func (c *IMAPClient) leaveStray(folder string) error {
	c.stateMu.Lock()
	stray := c.folder == "" && c.stray != "" && imapSameFolder(c.stray, folder)
	c.stateMu.Unlock()
	if !stray {
		return nil
	}
	return c.ensureSelected()
}

// SelectLater makes folder the selected folder without a command: Folder
// reports it at once and its SELECT is sent before the first operation that
// needs a selected folder (Count, fetches, searches, flags, copies, moves,
// waits), so that a Select of another folder made first costs no round trip
// for this one. An error of that SELECT is the error of that operation.
// SelectLater does nothing when a folder is selected already.
func (c *IMAPClient) SelectLater(folder string) error {
	op := fmt.Sprintf("imap select %q", folder)
	if err := imapCheckFolder(op, folder); err != nil {
		return err
	}
	if c == nil || c.client == nil {
		return NewError(ErrNoConnection, op, "", errors.New("not connected"))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usable(op); err != nil {
		return err
	}
	c.stateMu.Lock()
	if c.folder == "" {
		c.later = folder
	}
	c.stateMu.Unlock()
	return nil
}

// Security returns the TLS mode of the session (after any TryProtocols fallback).
func (c *IMAPClient) Security() Security { return c.sec }

// Folder returns the selected folder ("" when none).
func (c *IMAPClient) Folder() string {
	if c == nil {
		return ""
	}
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	if c.pinned {
		return c.shown
	}
	if c.folder == "" {
		return c.later
	}
	return c.folder
}

// selected returns the folder selected on the server, whatever Folder shows.
func (c *IMAPClient) selected() string {
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	return c.folder
}

// pin makes Folder report name until unpin, while another folder is
// selected for a moment (FetchAllHeadersAsync).
func (c *IMAPClient) pin(name string) {
	c.stateMu.Lock()
	c.shown, c.pinned = name, true
	c.stateMu.Unlock()
}

func (c *IMAPClient) unpin() {
	c.stateMu.Lock()
	c.shown, c.pinned = "", false
	c.stateMu.Unlock()
}

func imapCheckFolder(op, folder string) error {
	if folder == "" {
		return NewError(ErrInvalidArgument, op, "", errors.New("empty folder name"))
	}
	return CheckLine("folder name", folder)
}

// imapSameFolder compares folder names; INBOX is case-insensitive.
func imapSameFolder(a, b string) bool {
	if strings.EqualFold(a, "INBOX") {
		return strings.EqualFold(b, "INBOX")
	}
	return a == b
}

// Select opens folder read-write and returns its message count.
func (c *IMAPClient) Select(folder string) (int, error) {
	op := fmt.Sprintf("imap select %q", folder)
	if err := imapCheckFolder(op, folder); err != nil {
		return 0, err
	}
	var n int
	err := c.do(op, func() error {
		var err error
		n, err = c.selectFolder(folder)
		return err
	})
	return n, err
}

// selectFolder runs SELECT; a NO means the folder does not exist.
func (c *IMAPClient) selectFolder(folder string) (int, error) {
	before := c.client.Mailbox()
	data, err := c.client.Select(folder, nil).Wait()
	if err != nil {
		c.setFolder("")
		return 0, imapStatusErr(fmt.Sprintf("imap select %q", folder), err, ErrNoSuchFolder)
	}
	c.awaitMailbox(before)
	c.setFolder(folder)
	return int(data.NumMessages), nil
}

// awaitMailbox waits (up to a second) until the client's mailbox state is
// no longer before: imapclient (v2.0.0-beta.8) signals a SELECT done before
// it records the new mailbox state, and numMessages must not be stale.
func (c *IMAPClient) awaitMailbox(before *imapclient.SelectedMailbox) {
	for i := 0; i < 1000 && c.client.Mailbox() == before; i++ {
		time.Sleep(time.Millisecond)
	}
}

// ensureSelected selects the folder chosen with SelectLater, or INBOX,
// when no folder is selected on the server.
func (c *IMAPClient) ensureSelected() error {
	c.stateMu.Lock()
	folder, later := c.folder, c.later
	c.stateMu.Unlock()
	if folder != "" {
		return nil
	}
	if later == "" {
		later = "INBOX"
	}
	_, err := c.selectFolder(later)
	return err
}

// selectedState returns the folder selected on the server and the one
// chosen with SelectLater.
func (c *IMAPClient) selectedState() (folder, later string) {
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	return c.folder, c.later
}

// numMessages is the message count of the selected folder as last announced.
func (c *IMAPClient) numMessages() uint32 {
	if mb := c.client.Mailbox(); mb != nil {
		return mb.NumMessages
	}
	return 0
}

// Unselect leaves the selected folder without expunging: UNSELECT, or where
// the server lacks it, an EXAMINE of a folder that does not exist (a failed
// SELECT/EXAMINE deselects without the implicit EXPUNGE of CLOSE).
func (c *IMAPClient) Unselect() error {
	return c.do("imap unselect", c.unselect)
}

func (c *IMAPClient) unselect() error {
	if c.selected() == "" {
		c.setFolder("") // forgets a SelectLater folder
		return nil
	}
	if c.caps.Has(imap.CapUnselect) {
		if err := c.client.Unselect().Wait(); err != nil {
			return err
		}
		c.setFolder("")
		return nil
	}
	name := fmt.Sprintf("advmail-unselect-%d", time.Now().UnixNano())
	_, err := c.client.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
	var ie *imap.Error
	if err != nil && !errors.As(err, &ie) {
		return err
	}
	c.setFolder("")
	return nil
}

// Create creates folder.
func (c *IMAPClient) Create(folder string) error {
	op := fmt.Sprintf("imap create %q", folder)
	if err := imapCheckFolder(op, folder); err != nil {
		return err
	}
	return c.do(op, func() error { return c.client.Create(folder, nil).Wait() })
}

// Delete deletes folder (leaving it first if it is selected).
func (c *IMAPClient) Delete(folder string) error {
	op := fmt.Sprintf("imap delete %q", folder)
	if err := imapCheckFolder(op, folder); err != nil {
		return err
	}
	return c.do(op, func() error {
		if imapSameFolder(c.Folder(), folder) {
			if err := c.unselect(); err != nil {
				return err
			}
		} else if err := c.leaveStray(folder); err != nil {
			return err
		}
		return c.client.Delete(folder).Wait()
	})
}

// Rename renames a folder. When it is the selected folder, it is left
// before the rename and the new name is selected after it.
func (c *IMAPClient) Rename(from, to string) error {
	op := fmt.Sprintf("imap rename %q to %q", from, to)
	if err := imapCheckFolder(op, from); err != nil {
		return err
	}
	if err := imapCheckFolder(op, to); err != nil {
		return err
	}
	return c.do(op, func() error {
		reselect := imapSameFolder(c.Folder(), from)
		if reselect {
			if err := c.unselect(); err != nil {
				return err
			}
		} else if err := c.leaveStray(from); err != nil {
			return err
		}
		if err := c.client.Rename(from, to, nil).Wait(); err != nil {
			return err
		}
		if reselect {
			_, err := c.selectFolder(to)
			return err
		}
		return nil
	})
}

// Subscribe subscribes (on=true) or unsubscribes folder.
func (c *IMAPClient) Subscribe(folder string, on bool) error {
	op := fmt.Sprintf("imap subscribe %q", folder)
	if !on {
		op = fmt.Sprintf("imap unsubscribe %q", folder)
	}
	if err := imapCheckFolder(op, folder); err != nil {
		return err
	}
	return c.do(op, func() error {
		if on {
			return c.client.Subscribe(folder).Wait()
		}
		return c.client.Unsubscribe(folder).Wait()
	})
}

// Folders lists folders with their counts, in one LIST-STATUS round trip
// when the server offers it. subscribedOnly restricts to subscribed folders.
//
// Without LIST-STATUS, the STATUS commands of all folders are sent at once
// and then awaited. Without LIST-EXTENDED, subscribed folders come from LSUB.
// A folder whose STATUS fails keeps zero counts. Subscribed is reliable when
// the server has LIST-EXTENDED, and in subscribed-only lists.
func (c *IMAPClient) Folders(subscribedOnly bool) ([]FolderInfo, error) {
	var out []FolderInfo
	err := c.do("imap list folders", func() error {
		var err error
		out, err = c.folders(subscribedOnly)
		return err
	})
	return out, err
}

func (c *IMAPClient) folders(subscribedOnly bool) ([]FolderInfo, error) {
	ext := c.caps.Has(imap.CapListExtended)
	lsub := subscribedOnly && !ext
	listStatus := c.caps.Has(imap.CapListStatus) && !lsub
	statusOpts := &imap.StatusOptions{NumMessages: true, NumUnseen: true}

	var opts *imap.ListOptions
	if ext || listStatus {
		opts = &imap.ListOptions{ReturnSubscribed: ext, SelectSubscribed: subscribedOnly}
		if listStatus {
			opts.ReturnStatus = statusOpts
		}
	}
	if lsub {
		// imapclient has neither an LSUB command nor an LSUB response parser:
		// send its LIST as LSUB and read the LSUB replies as LIST ones (the
		// syntax is the same).
		c.trace.note("the LIST below is sent as LSUB (the server lacks LIST-EXTENDED) and its LSUB replies are read as LIST")
		c.conn.lsubOut.Store(true)
		c.conn.lsubIn.Store(true)
	}
	list, err := c.client.List("", "*", opts).Collect()
	c.conn.lsubOut.Store(false)
	c.conn.lsubIn.Store(false)
	if err != nil {
		return nil, err
	}

	out := make([]FolderInfo, len(list))
	type pending struct {
		i   int
		cmd *imapclient.StatusCommand
	}
	var statuses []pending
	for i, d := range list {
		f := FolderInfo{Name: d.Mailbox, Subscribed: lsub}
		selectable := true
		for _, a := range d.Attrs {
			f.Attributes = append(f.Attributes, string(a))
			switch {
			case strings.EqualFold(string(a), string(imap.MailboxAttrSubscribed)):
				f.Subscribed = true
			case strings.EqualFold(string(a), string(imap.MailboxAttrNoSelect)),
				strings.EqualFold(string(a), string(imap.MailboxAttrNonExistent)):
				selectable = false
			}
		}
		if d.Status != nil {
			imapSetCounts(&f, d.Status)
		} else if !listStatus && selectable {
			statuses = append(statuses, pending{i, c.client.Status(d.Mailbox, statusOpts)})
		}
		out[i] = f
	}
	var firstErr error
	for _, p := range statuses {
		sd, err := p.cmd.Wait()
		var ie *imap.Error
		switch {
		case err == nil:
			imapSetCounts(&out[p.i], sd)
		case errors.As(err, &ie): // this folder only
		case firstErr == nil:
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

func imapSetCounts(f *FolderInfo, sd *imap.StatusData) {
	if sd.NumMessages != nil {
		f.Total = int(*sd.NumMessages)
	}
	if sd.NumUnseen != nil {
		f.Unseen = int(*sd.NumUnseen)
	}
	f.Seen = max(f.Total-f.Unseen, 0)
}

// Count returns the number of messages in the selected folder (INBOX when
// none), from a new SELECT of it: the count tracked from EXISTS/EXPUNGE
// replies can drift on servers that repeat EXPUNGE notifications
// (imapmemserver's MOVE does), and SELECT never expunges.
func (c *IMAPClient) Count() (int, error) {
	var n int
	err := c.do("imap count", func() error {
		folder := c.Folder()
		if folder == "" {
			folder = "INBOX"
		}
		var err error
		n, err = c.selectFolder(folder)
		return err
	})
	return n, err
}

// imapIDs validates ids and, for sequence numbers, checks them against the
// message count: a number beyond it is ErrNoSuchMessage.
func (c *IMAPClient) imapIDs(op string, ids []uint32, uid bool) (imap.NumSet, error) {
	if len(ids) == 0 {
		return nil, NewError(ErrInvalidArgument, op, "", errors.New("no message given"))
	}
	if uid {
		var s imap.UIDSet
		for _, id := range ids {
			if id == 0 {
				return nil, NewError(ErrInvalidArgument, op, "", errors.New("message id 0"))
			}
			s.AddNum(imap.UID(id))
		}
		return s, nil
	}
	n := c.numMessages()
	if slices.Max(ids) > n && c.Folder() != "" {
		// The tracked count may lag or drift: ask the server before refusing.
		if _, err := c.selectFolder(c.Folder()); err != nil {
			return nil, err
		}
		n = c.numMessages()
	}
	var s imap.SeqSet
	for _, id := range ids {
		if id == 0 {
			return nil, NewError(ErrInvalidArgument, op, "", errors.New("message number 0"))
		}
		if id > n {
			return nil, NewError(ErrNoSuchMessage, op, "", fmt.Errorf("message %d does not exist, the folder has %d", id, n))
		}
		s.AddNum(id)
	}
	return s, nil
}

func imapIDOp(verb string, id uint32, uid bool) string {
	if uid {
		return fmt.Sprintf("imap %s uid %d", verb, id)
	}
	return fmt.Sprintf("imap %s message %d", verb, id)
}

// fetchOne fetches items of one message and hands each item to fn.
// It fails with ErrNoSuchMessage when the server returns nothing.
func (c *IMAPClient) fetchOne(op string, id uint32, uid bool, opts *imap.FetchOptions, fn func(imapclient.FetchItemData) error) error {
	if err := c.ensureSelected(); err != nil {
		return err
	}
	set, err := c.imapIDs(op, []uint32{id}, uid)
	if err != nil {
		return err
	}
	cmd := c.client.Fetch(set, opts)
	defer cmd.Close()
	found := false
	var itemErr error
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		found = true
		for item := msg.Next(); item != nil; item = msg.Next() {
			if err := fn(item); err != nil && itemErr == nil {
				itemErr = err
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	if itemErr != nil {
		return itemErr
	}
	if !found {
		return NewError(ErrNoSuchMessage, op, "", errors.New("the server returned no such message"))
	}
	return nil
}

// Bounds on what one literal may hold, so that a broken or hostile server
// cannot make the client buffer without limit (variables for the tests).
// A message fetched into a Spool (FetchSpool) goes to a temporary file past
// SpillThreshold, so its bound is the larger imapMaxSpooled.
var (
	imapMaxMessage int64 = 256 << 20
	imapMaxHeader  int64 = 16 << 20
)

// imapMaxSpooled bounds a message fetched with FetchSpool: MaxSpooledMessage
// (2 GiB by default), never less than the in-memory bound.
func imapMaxSpooled() int64 {
	return max(imapMaxMessage, MaxSpooledMessage)
}

// imapTooLarge is the ErrMessageTooLarge error of a literal over max bytes.
func imapTooLarge(op string, max int64) error {
	return NewError(ErrMessageTooLarge, op, "", fmt.Errorf("literal larger than %d MiB", max>>20))
}

// imapReadLiteral reads a literal of at most max bytes; a larger one is an
// ErrMessageTooLarge error.
func imapReadLiteral(op string, r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, imapTooLarge(op, max)
	}
	return b, nil
}

// Fetch returns the full raw message (BODY.PEEK[]); it does not set \Seen.
func (c *IMAPClient) Fetch(id uint32, uid bool) ([]byte, error) {
	op := imapIDOp("fetch", id, uid)
	var data []byte
	err := c.fetchBody(op, id, uid, func(r io.Reader) error {
		var err error
		data, err = imapReadLiteral(op, r, imapMaxMessage)
		return err
	})
	return data, err
}

// FetchSpool is Fetch into a Spool: a message larger than SpillThreshold
// is written to a temporary file as it arrives instead of memory, so it may
// be as large as MaxSpooledMessage (Fetch's in-memory bound is lower).
func (c *IMAPClient) FetchSpool(id uint32, uid bool) (*Spool, error) {
	op := imapIDOp("fetch", id, uid)
	limit := imapMaxSpooled()
	var sp *Spool
	c.conn.spooling.Store(true) // the guard lets the larger literal in
	defer c.conn.spooling.Store(false)
	err := c.fetchBody(op, id, uid, func(r io.Reader) error {
		if sp != nil {
			sp.Discard()
		}
		sp = NewSpool(0)
		n, err := io.Copy(sp, io.LimitReader(r, limit+1))
		if err != nil {
			return err
		}
		if n > limit {
			return imapTooLarge(op, limit)
		}
		return nil
	})
	if err != nil {
		if sp != nil {
			sp.Discard()
		}
		return nil, err
	}
	if sp == nil {
		sp = NewSpool(0)
	}
	return sp, nil
}

// fetchBody fetches BODY.PEEK[] of one message and hands its literal to read.
func (c *IMAPClient) fetchBody(op string, id uint32, uid bool, read func(io.Reader) error) error {
	return c.do(op, func() error {
		opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}
		return c.fetchOne(op, id, uid, opts, func(item imapclient.FetchItemData) error {
			if b, ok := item.(imapclient.FetchItemDataBodySection); ok && b.Literal != nil {
				return read(b.Literal)
			}
			return nil
		})
	})
}

// FetchHeader returns all header fields of a message, decoded, in order.
func (c *IMAPClient) FetchHeader(id uint32, uid bool) ([]Header, error) {
	op := imapIDOp("fetch header of", id, uid)
	var hdr []Header
	err := c.do(op, func() error {
		opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader, Peek: true}}}
		return c.fetchOne(op, id, uid, opts, func(item imapclient.FetchItemData) error {
			if b, ok := item.(imapclient.FetchItemDataBodySection); ok && b.Literal != nil {
				raw, err := imapReadLiteral(op, b.Literal, imapMaxHeader)
				hdr = imapParseHeader(raw)
				return err
			}
			return nil
		})
	})
	return hdr, err
}

// FetchStructure returns the leaf MIME parts of a message (BODYSTRUCTURE),
// with their IMAP section numbers. A message/rfc822 part is one leaf.
func (c *IMAPClient) FetchStructure(id uint32, uid bool) ([]BodyPart, error) {
	op := imapIDOp("fetch structure of", id, uid)
	var parts []BodyPart
	err := c.do(op, func() error {
		opts := &imap.FetchOptions{UID: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true}}
		return c.fetchOne(op, id, uid, opts, func(item imapclient.FetchItemData) error {
			if bs, ok := item.(imapclient.FetchItemDataBodyStructure); ok && bs.BodyStructure != nil {
				parts = imapBodyParts(bs.BodyStructure)
			}
			return nil
		})
	})
	return parts, err
}

func imapBodyParts(bs imap.BodyStructure) []BodyPart {
	var parts []BodyPart
	bs.Walk(func(path []int, part imap.BodyStructure) bool {
		sp, ok := part.(*imap.BodyStructureSinglePart)
		if !ok {
			return true
		}
		sec := make([]string, len(path))
		for i, n := range path {
			sec[i] = strconv.Itoa(n)
		}
		p := BodyPart{
			Section:     strings.Join(sec, "."),
			ContentType: sp.MediaType(),
			Charset:     imapParam(sp.Params, "charset"),
			Encoding:    strings.ToLower(sp.Encoding),
			ContentID:   strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(sp.ID), "<"), ">"),
			Size:        int64(sp.Size),
		}
		if d := sp.Disposition(); d != nil {
			p.Disposition = strings.ToLower(d.Value)
			p.FileName = imapParam(d.Params, "filename")
		}
		if p.FileName == "" {
			p.FileName = imapParam(sp.Params, "name")
		}
		parts = append(parts, p)
		return true
	})
	return parts
}

// imapParam returns parameter key, decoding the RFC 2231 forms (key*,
// key*0*, ...) that servers pass through undecoded.
func imapParam(params map[string]string, key string) string {
	if v, ok := params[key]; ok {
		return v
	}
	var keys []string
	for k := range params {
		if strings.HasPrefix(k, key+"*") {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("x/x")
	for _, k := range keys {
		v := params[k]
		if !strings.HasSuffix(k, "*") {
			v = strconv.Quote(v)
		}
		b.WriteString("; " + k + "=" + v)
	}
	if _, ps, err := mime.ParseMediaType(b.String()); err == nil {
		return ps[key]
	}
	return ""
}

// FetchAllHeaders fetches the named header fields of every message of folder
// in one FETCH, streaming rows to fn as they arrive. folder "" means the
// selected folder (INBOX when none); no names means every field. fn runs
// while the session is busy and must not call c.
func (c *IMAPClient) FetchAllHeaders(folder string, names []string, fn func(HeaderRow)) error {
	op := fmt.Sprintf("imap fetch all headers of %q", folder)
	if err := imapCheckFetchAll(op, folder, names, fn); err != nil {
		return err
	}
	return c.do(op, func() error {
		if folder != "" && !imapSameFolder(folder, c.Folder()) {
			if _, err := c.selectFolder(folder); err != nil {
				return err
			}
		} else if err := c.ensureSelected(); err != nil {
			return err
		}
		if c.numMessages() == 0 {
			return nil // "FETCH 1:*" is an error on an empty folder
		}
		_, err := c.fetchHeaders(op, names, fn)
		return err
	})
}

// FetchAllHeadersAsync runs FetchAllHeaders in the background on the
// session's own connection and calls done with its result. The operation
// is queued at once, before FetchAllHeadersAsync returns: calls made after
// it wait until it ends, as commands pipelined behind its FETCH.
//
// Unlike FetchAllHeaders it leaves the session as it found it: a folder
// other than the selected one is selected for the FETCH and the previous
// selection is restored after it (Folder reports the previous one all
// along), and an empty count is checked again with a SELECT, as a new
// session would see the folder. folder "" means the selected folder
// (INBOX when none). fn and done run on another goroutine and must not
// call c.
func (c *IMAPClient) FetchAllHeadersAsync(folder string, names []string, fn func(HeaderRow), done func(error)) {
	op := fmt.Sprintf("imap fetch all headers of %q", folder)
	if done == nil {
		return
	}
	if err := imapCheckFetchAll(op, folder, names, fn); err != nil {
		done(err)
		return
	}
	if c == nil || c.client == nil {
		done(NewError(ErrNoConnection, op, "", errors.New("not connected")))
		return
	}
	c.mu.Lock() // now: the caller's next operation queues behind this one
	go func() {
		err := c.doLocked(op, func() error { return c.fetchAllKeep(op, folder, names, fn) })
		c.mu.Unlock()
		done(err)
	}()
}

// fetchAllKeep is FetchAllHeadersAsync's operation.
func (c *IMAPClient) fetchAllKeep(op, folder string, names []string, fn func(HeaderRow)) error {
	prev, later := c.selectedState()
	if folder == "" || imapSameFolder(folder, prev) || (prev == "" && imapSameFolder(folder, later)) {
		if err := c.ensureSelected(); err != nil {
			return err
		}
		return c.fetchHeadersFresh(op, names, fn, false)
	}
	shown := prev
	if shown == "" {
		shown = later
	}
	c.pin(shown)
	defer c.unpin()
	err := c.selectAndFetch(op, folder, names, fn)
	var rerr error
	switch {
	case prev != "":
		_, rerr = c.selectFolder(prev)
	case later != "":
		// Chosen with SelectLater and never selected: it stays so (the
		// next operation that needs it selects it), no SELECT back.
		c.stateMu.Lock()
		c.folder, c.later, c.stray = "", later, folder
		c.stateMu.Unlock()
	default:
		rerr = c.unselect()
	}
	if err == nil && rerr != nil && !errors.As(rerr, new(*Error)) {
		err = rerr // the connection failed: the fetch may be incomplete
	}
	return err
}

// fetchHeadersFresh runs fetchHeaders on the selected folder, asking the
// server again (SELECT) when the count known is 0 or when the FETCH is
// refused before any row came: the count tracked may be stale unless the
// folder was just selected (fresh).
func (c *IMAPClient) fetchHeadersFresh(op string, names []string, fn func(HeaderRow), fresh bool) error {
	if c.numMessages() == 0 && !fresh {
		if _, err := c.selectFolder(c.selected()); err != nil {
			return err
		}
		if c.numMessages() == 0 {
			return nil
		}
	}
	rows, err := c.fetchHeaders(op, names, fn)
	var ie *imap.Error
	if err != nil && rows == 0 && errors.As(err, &ie) {
		if _, serr := c.selectFolder(c.selected()); serr == nil && c.numMessages() == 0 {
			return nil // the folder was emptied meanwhile
		}
	}
	return err
}

// selectAndFetch selects folder and fetches the headers of all its messages
// in one round trip: the FETCH follows the SELECT without waiting for it.
// Rows are read only after the SELECT succeeded; when it fails no folder is
// selected (RFC 3501 6.3.1), the FETCH fails too and whatever it returns is
// discarded. A refused FETCH 1:* of a folder found empty is no error.
func (c *IMAPClient) selectAndFetch(op, folder string, names []string, fn func(HeaderRow)) error {
	if !imapPlainName(folder) {
		// The name may be sent as a literal, which waits for the server.
		n, err := c.selectFolder(folder)
		if err != nil || n == 0 {
			return err
		}
		return c.fetchHeadersFresh(op, names, fn, true)
	}
	before := c.client.Mailbox()
	c.conn.cork()
	sel := c.client.Select(folder, nil)
	cmd := c.startHeaders(names)
	c.conn.uncork()
	data, err := sel.Wait()
	if err != nil {
		c.setFolder("")
		cmd.Close() // reads and drops the FETCH's reply
		return imapStatusErr(fmt.Sprintf("imap select %q", folder), err, ErrNoSuchFolder)
	}
	c.awaitMailbox(before)
	c.setFolder(folder)
	rows, err := c.readHeaders(op, names, fn, cmd)
	var ie *imap.Error
	if err != nil && rows == 0 && errors.As(err, &ie) {
		if data.NumMessages == 0 {
			return nil
		}
		if _, serr := c.selectFolder(folder); serr == nil && c.numMessages() == 0 {
			return nil // the folder was emptied meanwhile
		}
	}
	return err
}

// imapPlainName reports whether a folder name is printable ASCII, which
// imapclient always sends as an atom or a quoted string, never a literal.
func imapPlainName(s string) bool {
	if len(s) > 1024 { // imapwire sends long strings as literals
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// imapCheckFetchAll validates the arguments of FetchAllHeaders.
func imapCheckFetchAll(op, folder string, names []string, fn func(HeaderRow)) error {
	if folder != "" {
		if err := imapCheckFolder(op, folder); err != nil {
			return err
		}
	}
	for _, n := range names {
		if !imapFieldName(n) {
			return NewError(ErrInvalidArgument, op, "", fmt.Errorf("bad header field name %q", n))
		}
	}
	if fn == nil {
		return NewError(ErrInvalidArgument, op, "", errors.New("no callback"))
	}
	return nil
}

// fetchHeaders sends one FETCH 1:* of the named header fields of the
// selected folder and streams the rows to fn; it returns how many it passed.
func (c *IMAPClient) fetchHeaders(op string, names []string, fn func(HeaderRow)) (rows int, err error) {
	return c.readHeaders(op, names, fn, c.startHeaders(names))
}

// startHeaders sends the FETCH 1:* of fetchHeaders.
func (c *IMAPClient) startHeaders(names []string) *imapclient.FetchCommand {
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true, HeaderFields: names}
	var all imap.SeqSet
	all.AddRange(1, 0) // 1:*
	return c.client.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
}

// readHeaders reads the reply of startHeaders, streaming rows to fn.
func (c *IMAPClient) readHeaders(op string, names []string, fn func(HeaderRow), cmd *imapclient.FetchCommand) (rows int, err error) {
	defer func() { // also when fn panics: leave the client in order
		c.conn.arm()
		cmd.Close()
	}()
	var readErr error
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		row := HeaderRow{SeqNum: msg.SeqNum}
		var raw []byte
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				row.UID = uint32(it.UID)
			case imapclient.FetchItemDataBodySection:
				if it.Literal != nil {
					b, err := imapReadLiteral(op, it.Literal, imapMaxHeader)
					if err != nil && readErr == nil {
						readErr = err
					}
					raw = b
				}
			}
		}
		if readErr != nil {
			continue // drain; the command error follows
		}
		c.conn.disarm() // parsing and a slow callback are not a slow server
		row.Headers = imapPickHeaders(imapParseHeader(raw), names)
		fn(row)
		rows++
		c.conn.arm()
	}
	if err := cmd.Close(); err != nil {
		return rows, err
	}
	return rows, readErr
}

// imapPickHeaders returns the first field of each name, in the order of
// names (all fields when names is empty).
func imapPickHeaders(hdr []Header, names []string) []Header {
	if len(names) == 0 {
		return hdr
	}
	out := make([]Header, len(names))
	for i, n := range names {
		out[i].Name = n
		for _, h := range hdr {
			if strings.EqualFold(h.Name, n) {
				// A copy: the value may be a slice of the whole header block.
				out[i].Value = strings.Clone(h.Value)
				break
			}
		}
	}
	return out
}

// imapFieldName reports whether s is a valid header field name (RFC 5322 ftext).
func imapFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 || s[i] == ':' {
			return false
		}
	}
	return true
}

// imapParseHeader splits a header block into fields, unfolded and decoded
// (RFC 2047 words in any charset go-message knows; raw 8-bit text that is
// not UTF-8 is read as Windows-1252). Lines that are not fields are skipped.
//
// It is linear in the size of raw: folded lines are collected per field and
// joined once.
func imapParseHeader(raw []byte) []Header {
	var (
		out   []Header
		folds [][]string // the lines of each field
	)
	for rest := string(raw); rest != ""; {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = ""
		}
		trimmed := strings.TrimRight(line, "\r\n")
		if trimmed == "" {
			if line == "\r\n" || line == "\n" {
				break // end of the header block
			}
			continue
		}
		if (trimmed[0] == ' ' || trimmed[0] == '\t') && len(out) > 0 {
			folds[len(out)-1] = append(folds[len(out)-1], trimmed)
			continue
		}
		name, value, ok := strings.Cut(trimmed, ":")
		if !ok || !imapFieldName(strings.TrimSpace(name)) {
			continue
		}
		out = append(out, Header{Name: strings.TrimSpace(name)})
		folds = append(folds, []string{value})
	}
	for i := range out {
		out[i].Value = imapDecodeHeader(strings.TrimSpace(strings.Join(folds[i], "")))
	}
	return out
}

var imapWordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

func imapDecodeHeader(v string) string {
	if !utf8.ValidString(v) {
		if r, err := charset.Reader("windows-1252", strings.NewReader(v)); err == nil {
			if b, err := io.ReadAll(r); err == nil {
				v = string(b)
			}
		}
	}
	if s, err := imapWordDecoder.DecodeHeader(v); err == nil {
		v = s
	}
	if !utf8.ValidString(v) { // an encoded word that decodes to invalid UTF-8
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	return v
}

// messageOp runs a command on messages of the selected folder (INBOX when
// none): it checks need (a capability), then the ids. Sequence numbers
// beyond the count and sets of UIDs none of which exists are
// ErrNoSuchMessage; unknown UIDs among existing ones are left out (one
// UID FETCH finds them: some servers answer commands on unknown UIDs with
// replies imapclient cannot parse).
func (c *IMAPClient) messageOp(op string, ids []uint32, uid bool, need func() error, fn func(set imap.NumSet) error) error {
	if len(ids) == 0 {
		return NewError(ErrInvalidArgument, op, "", errors.New("no message given"))
	}
	return c.do(op, func() error {
		if err := c.ensureSelected(); err != nil {
			return err
		}
		if need != nil {
			if err := need(); err != nil {
				return err
			}
		}
		set, err := c.imapIDs(op, ids, uid)
		if err != nil {
			return err
		}
		if uid {
			if set, err = c.uidsOf(set); err != nil {
				return err
			}
			if len(set.(imap.UIDSet)) == 0 {
				return NewError(ErrNoSuchMessage, op, "", errors.New("no message with these UIDs in the folder"))
			}
		}
		return fn(set)
	})
}

// Copy copies messages to dest in one command.
func (c *IMAPClient) Copy(ids []uint32, uid bool, dest string) error {
	op := fmt.Sprintf("imap copy to %q", dest)
	if err := imapCheckFolder(op, dest); err != nil {
		return err
	}
	return c.messageOp(op, ids, uid, nil, func(set imap.NumSet) error {
		_, err := c.client.Copy(set, dest).Wait()
		return err
	})
}

// Move moves messages to dest: MOVE when offered, else COPY + STORE \Deleted
// + UID EXPUNGE of exactly those UIDs (never a folder-wide EXPUNGE; without
// UIDPLUS it refuses rather than expunging other messages).
func (c *IMAPClient) Move(ids []uint32, uid bool, dest string) error {
	op := fmt.Sprintf("imap move to %q", dest)
	if err := imapCheckFolder(op, dest); err != nil {
		return err
	}
	need := func() error {
		if !c.caps.Has(imap.CapMove) && !c.caps.Has(imap.CapUIDPlus) {
			return NewError(ErrUnsupported, op, "server offers neither MOVE nor UIDPLUS",
				errors.New(`moving would need a folder-wide EXPUNGE that could remove other messages flagged \Deleted; use Copy, SetFlags(\Deleted) and Expunge if that is acceptable`))
		}
		return nil
	}
	return c.messageOp(op, ids, uid, need, func(set imap.NumSet) error {
		if c.caps.Has(imap.CapMove) {
			_, err := c.client.Move(set, dest).Wait()
			return err
		}
		uids, err := c.toUIDs(set)
		if err != nil {
			return err
		}
		if _, err := c.client.Copy(uids, dest).Wait(); err != nil {
			return err
		}
		return c.expungeUIDs(uids)
	})
}

// DeleteMsgs flags messages \Deleted and expunges exactly those UIDs.
// It needs UIDPLUS (UID EXPUNGE); without it, it changes nothing and fails
// with ErrUnsupported rather than expunge the whole folder.
func (c *IMAPClient) DeleteMsgs(ids []uint32, uid bool) error {
	op := "imap delete messages"
	need := func() error {
		if !c.caps.Has(imap.CapUIDPlus) {
			return NewError(ErrUnsupported, op, "server lacks UIDPLUS",
				errors.New(`deleting would need a folder-wide EXPUNGE that could remove other messages flagged \Deleted; use SetFlags(\Deleted) and Expunge if that is acceptable`))
		}
		return nil
	}
	return c.messageOp(op, ids, uid, need, func(set imap.NumSet) error {
		uids, err := c.toUIDs(set)
		if err != nil {
			return err
		}
		return c.expungeUIDs(uids)
	})
}

// toUIDs returns set as UIDs: messageOp has already resolved UID sets.
func (c *IMAPClient) toUIDs(set imap.NumSet) (imap.UIDSet, error) {
	if uids, ok := set.(imap.UIDSet); ok {
		return uids, nil
	}
	return c.uidsOf(set)
}

// uidsOf returns the UIDs of the existing messages of set (sequence numbers
// or UIDs), with one FETCH (UID).
func (c *IMAPClient) uidsOf(set imap.NumSet) (imap.UIDSet, error) {
	msgs, err := c.client.Fetch(set, &imap.FetchOptions{UID: true}).Collect()
	if err != nil {
		return nil, err
	}
	var uids imap.UIDSet
	for _, m := range msgs {
		if m.UID != 0 {
			uids.AddNum(m.UID)
		}
	}
	return uids, nil
}

// expungeUIDs sends UID STORE +FLAGS.SILENT (\Deleted) and UID EXPUNGE of
// the same UIDs together, then waits for both.
func (c *IMAPClient) expungeUIDs(uids imap.UIDSet) error {
	store := c.client.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil)
	expunge := c.client.UIDExpunge(uids)
	errStore := store.Close()
	errExpunge := expunge.Close()
	if errStore != nil {
		return errStore
	}
	return errExpunge
}

// SetFlags adds IMAP flags (e.g. \Seen) to messages.
//
// Flags are the system flags \Seen, \Answered, \Flagged, \Deleted, \Draft
// (any letter case) or keywords (atoms such as $Forwarded). \Recent is set
// by the server only: asking for it fails with ErrCommandFailed.
func (c *IMAPClient) SetFlags(ids []uint32, uid bool, flags []string) error {
	op := "imap set flags"
	fl, err := imapFlags(op, flags)
	if err != nil {
		return err
	}
	if len(fl) == 0 {
		return NewError(ErrInvalidArgument, op, "", errors.New("no flag given"))
	}
	return c.messageOp(op, ids, uid, nil, func(set imap.NumSet) error {
		return c.client.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: fl}, nil).Close()
	})
}

var imapSystemFlags = map[string]imap.Flag{
	`\seen`:     imap.FlagSeen,
	`\answered`: imap.FlagAnswered,
	`\flagged`:  imap.FlagFlagged,
	`\deleted`:  imap.FlagDeleted,
	`\draft`:    imap.FlagDraft,
}

func imapFlags(op string, flags []string) ([]imap.Flag, error) {
	var out []imap.Flag
	for _, f := range flags {
		f = strings.TrimSpace(f)
		lower := strings.ToLower(f)
		switch {
		case lower == `\recent`:
			return nil, NewError(ErrCommandFailed, op, "", errors.New(`\Recent is set by the server only and cannot be stored`))
		case imapSystemFlags[lower] != "":
			out = append(out, imapSystemFlags[lower])
		case strings.HasPrefix(f, `\`):
			return nil, NewError(ErrInvalidArgument, op, "", fmt.Errorf(`unknown system flag %q (use \Seen, \Answered, \Flagged, \Deleted or \Draft)`, f))
		case !imapAtom(f):
			return nil, NewError(ErrInvalidArgument, op, "", fmt.Errorf("flag %q is not a valid IMAP keyword", f))
		default:
			out = append(out, imap.Flag(f))
		}
	}
	return out, nil
}

// imapAtom reports whether s is an IMAP atom (RFC 3501 ATOM-CHAR).
func imapAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch <= ' ' || ch >= 0x7f || strings.IndexByte(`(){%*"\]`, ch) >= 0 {
			return false
		}
	}
	return true
}

// Expunge permanently removes \Deleted messages of folder (Purge), selecting
// it if needed; folder "" means the selected folder (there must be one).
func (c *IMAPClient) Expunge(folder string) error {
	op := fmt.Sprintf("imap expunge %q", folder)
	if folder != "" {
		if err := imapCheckFolder(op, folder); err != nil {
			return err
		}
	}
	return c.do(op, func() error {
		switch {
		case folder == "" && c.Folder() == "":
			return NewError(ErrInvalidArgument, op, "", errors.New("no folder given and none selected"))
		case folder == "":
			if err := c.ensureSelected(); err != nil { // a SelectLater folder
				return err
			}
		case !imapSameFolder(folder, c.selected()):
			if _, err := c.selectFolder(folder); err != nil {
				return err
			}
		}
		return c.client.Expunge().Close()
	})
}

// Append stores a raw message in folder. Bare LF line ends are sent as CRLF.
func (c *IMAPClient) Append(folder string, data []byte, flags []string) error {
	op := fmt.Sprintf("imap append to %q", folder)
	if err := imapCheckFolder(op, folder); err != nil {
		return err
	}
	if len(data) == 0 {
		return NewError(ErrInvalidArgument, op, "", errors.New("empty message"))
	}
	fl, err := imapFlags(op, flags)
	if err != nil {
		return err
	}
	data = imapCRLF(data)
	return c.do(op, func() error {
		cmd := c.client.Append(folder, int64(len(data)), &imap.AppendOptions{Flags: fl})
		_, werr := cmd.Write(data)
		cerr := cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			return err
		}
		if werr != nil {
			return werr
		}
		return cerr
	})
}

// imapCRLF turns bare LF into CRLF.
func imapCRLF(b []byte) []byte {
	if bytes.Count(b, []byte("\n")) == bytes.Count(b, []byte("\r\n")) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/32)
	for i, ch := range b {
		if ch == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, ch)
	}
	return out
}

// Logout logs out and closes. A connection that is already gone is not an error.
func (c *IMAPClient) Logout() error {
	if c == nil || c.client == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return nil
	}
	var err error
	if c.usable("imap logout") == nil {
		c.conn.arm()
		err = c.client.Logout().Wait()
		c.conn.disarm()
		if err != nil {
			err = c.finish("imap logout", err)
		}
	}
	c.closed.Store(true)
	c.setFolder("")
	c.conn.Close()
	select {
	case <-c.client.Closed():
	case <-time.After(c.conn.getTimeout()):
	}
	if CodeOf(err) == ErrConnectionLost {
		return nil
	}
	return err
}

// Close closes the connection at once (used on cancellation). A command
// running in another goroutine fails with ErrCanceled.
func (c *IMAPClient) Close() error {
	if c == nil || c.conn == nil {
		return nil
	}
	c.closed.Store(true)
	c.setFolder("")
	c.unpin()
	c.conn.abort(errIMAPCanceled)
	return nil
}

// imapConn is the connection given to imapclient. It ignores imapclient's
// fixed deadlines (30 s per response, which also kill an idle session) and
// implements the configured timeout instead: a watchdog, armed while a
// command runs and restarted by every byte read or written, that closes the
// connection when it expires. It also replays the greeting after a manual
// STARTTLS and hosts the LSUB shim (see IMAPClient.folders).
type imapConn struct {
	net.Conn
	raw net.Conn // closed by abort; under TLS, the TCP connection
	pre []byte   // read before the connection

	mu      sync.Mutex
	timeout time.Duration
	timer   *time.Timer
	armed   bool
	cause   error

	budget commandBudget // overall deadline of the running command

	guard      imapGuard   // bounds every response (imap_guard.go); used by Read only
	guardReset atomic.Bool // a new command started: reset the guard's byte count
	spooling   atomic.Bool // FetchSpool runs: FETCH literals may reach imapMaxSpooled

	corkMu sync.Mutex
	corked bool   // writes are held in cbuf until uncork
	cbuf   []byte // the writes held

	lsubOut atomic.Bool // rewrite the next LIST command to LSUB
	lsubIn  atomic.Bool // rewrite "* LSUB " responses to "* LIST "
	lsub    imapLSUBFilter
	out     []byte // filtered bytes not yet read
	obuf    []byte // backing store of out
	rerr    error  // read error to return after out
}

func newIMAPConn(c, raw net.Conn, pre []byte, timeout time.Duration) *imapConn {
	ic := &imapConn{Conn: c, raw: raw, pre: pre, timeout: timeout}
	ic.guard.spooling = &ic.spooling
	return ic
}

func (c *imapConn) SetDeadline(time.Time) error      { return nil }
func (c *imapConn) SetReadDeadline(time.Time) error  { return nil }
func (c *imapConn) SetWriteDeadline(time.Time) error { return nil }

func (c *imapConn) setTimeout(d time.Duration) {
	c.mu.Lock()
	c.timeout = d
	c.mu.Unlock()
}

func (c *imapConn) getTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.timeout
}

func (c *imapConn) arm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = true
	c.budget.begin(time.Now())
	c.guardReset.Store(true)
	if c.timer == nil {
		c.timer = time.AfterFunc(c.timeout, c.expire)
	} else {
		c.timer.Reset(c.timeout)
	}
}

func (c *imapConn) disarm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = false
	if c.timer != nil {
		c.timer.Stop()
	}
}

// kick restarts the watchdog after n bytes of progress: the next expiry is
// the timeout from now, but never past the command's overall deadline (see
// commandBudget), so a trickling server cannot hold a command forever.
func (c *imapConn) kick(n int) {
	c.mu.Lock()
	expired := false
	if c.armed {
		c.budget.add(n)
		now := time.Now()
		wait := c.budget.next(now, c.timeout).Sub(now)
		if wait <= 0 {
			expired = true
		} else {
			c.timer.Reset(wait)
		}
	}
	c.mu.Unlock()
	if expired {
		c.abort(errIMAPTimeout)
	}
}

func (c *imapConn) expire() {
	c.mu.Lock()
	armed := c.armed
	c.mu.Unlock()
	if armed {
		c.abort(errIMAPTimeout)
	}
}

// abort closes the connection at once, remembering the first reason.
func (c *imapConn) abort(cause error) {
	c.mu.Lock()
	if c.cause == nil {
		c.cause = cause
	}
	c.mu.Unlock()
	c.raw.Close()
}

func (c *imapConn) abortCause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

var imapListCmd = lazyRE(`^[A-Za-z0-9]+ (LIST) `)

func (c *imapConn) Write(p []byte) (int, error) {
	if c.lsubOut.Load() {
		if m := imapListCmd.FindSubmatchIndex(p); m != nil {
			q := bytes.Clone(p)
			copy(q[m[2]:m[3]], "LSUB")
			c.lsubOut.Store(false)
			p = q
		}
	}
	c.corkMu.Lock()
	if c.corked {
		c.cbuf = append(c.cbuf, p...)
		c.corkMu.Unlock()
		return len(p), nil
	}
	c.corkMu.Unlock()
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.kick(n)
	}
	return n, err
}

// cork holds the writes that follow until uncork sends them as one, so
// that commands sent without waiting for each other leave together (one
// round trip). Only commands that never wait for a continuation request
// (no synchronising literal) may be sent while corked.
func (c *imapConn) cork() {
	c.corkMu.Lock()
	c.corked = true
	c.corkMu.Unlock()
}

// uncork sends the writes held since cork; a failed write closes the
// session (the commands' replies would never come).
func (c *imapConn) uncork() {
	c.corkMu.Lock()
	buf := c.cbuf
	c.corked, c.cbuf = false, nil
	c.corkMu.Unlock()
	if len(buf) == 0 {
		return
	}
	n, err := c.Conn.Write(buf)
	if n > 0 {
		c.kick(n)
	}
	if err != nil {
		c.abort(err)
	}
}

// Read passes every byte through the guard (imap_guard.go) before
// imapclient sees it: past a bound the session is closed and Read fails.
func (c *imapConn) Read(p []byte) (int, error) {
	n, err := c.readFiltered(p)
	if c.guardReset.CompareAndSwap(true, false) {
		c.guard.newCommand()
	}
	if gerr := c.guard.scan(p[:n]); gerr != nil {
		c.abort(gerr)
		return 0, gerr
	}
	return n, err
}

// readFiltered is only ever called by one goroutine at a time (imapclient's
// reader, or a consumer reading a literal while the reader waits). Whether
// to filter is decided after the read returns: the reader is usually
// already blocked in Read when the LSUB shim is switched on.
func (c *imapConn) readFiltered(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	for {
		if len(c.out) > 0 {
			n := copy(p, c.out)
			c.out = c.out[n:]
			return n, nil
		}
		if c.rerr != nil {
			err := c.rerr
			c.rerr = nil
			return 0, err
		}
		n, err := c.Conn.Read(p)
		if n > 0 {
			c.kick(n)
		}
		filtering := c.lsubIn.Load()
		if !filtering && len(c.lsub.hold) == 0 {
			if n > 0 {
				c.lsub.mid = p[n-1] != '\n'
			}
			return n, err
		}
		if filtering {
			c.out = c.lsub.feed(c.obuf[:0], p[:n])
		} else { // the shim just ended: release what it held back
			c.out = append(append(c.obuf[:0], c.lsub.hold...), p[:n]...)
			c.lsub.hold = c.lsub.hold[:0]
			if len(c.out) > 0 {
				c.lsub.mid = c.out[len(c.out)-1] != '\n'
			}
		}
		c.obuf = c.out[:0]
		c.rerr = err
	}
}

// imapLSUBFilter rewrites "* LSUB " at the start of a line into "* LIST ",
// holding back a line start that may still become one.
type imapLSUBFilter struct {
	hold []byte
	mid  bool // inside a line, past its start
}

var imapLSUB = []byte("* LSUB ")

func (f *imapLSUBFilter) feed(out, in []byte) []byte {
	for _, ch := range in {
		if f.mid {
			out = append(out, ch)
			f.mid = ch != '\n'
			continue
		}
		f.hold = append(f.hold, ch)
		switch {
		case !bytes.HasPrefix(imapLSUB, f.hold):
			out = append(out, f.hold...)
			f.hold = f.hold[:0]
			f.mid = ch != '\n'
		case len(f.hold) == len(imapLSUB):
			out = append(out, "* LIST "...)
			f.hold = f.hold[:0]
			f.mid = true
		}
	}
	return out
}

// imapTrace sits between imapclient's debug output and the redacting
// TraceWriter. While a login runs it also hides every line that is not a
// server response or the command line itself (a LOGIN password sent as a
// literal travels on a line of its own) and any occurrence of the secret.
type imapTrace struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	secret string
	hiding bool
}

// imapTraceShown are the lines shown during a login.
var imapTraceShown = lazyRE(`^(?:\* |\+(?: |$)|[A-Za-z0-9]+ (?:OK|NO|BAD)(?: |$)|[A-Za-z0-9]+ (?:LOGIN|AUTHENTICATE) )`)

// hide starts (secret != "") or ends the hiding of a login.
func (t *imapTrace) hide(secret string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.secret, t.hiding = secret, secret != ""
	t.mu.Unlock()
}

// note writes a comment line to the trace.
func (t *imapTrace) note(s string) {
	if t != nil {
		t.Write([]byte("advmail: " + s + "\r\n"))
	}
}

func (t *imapTrace) Write(p []byte) (int, error) {
	if t == nil {
		return len(p), nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			break
		}
		line := string(t.buf[:i+1])
		t.buf = t.buf[i+1:]
		if t.hiding {
			body := strings.TrimRight(line, "\r\n")
			if !imapTraceShown.MatchString(body) {
				line = "[redacted]\r\n"
			} else if t.secret != "" {
				line = strings.ReplaceAll(line, t.secret, "[redacted]")
			}
		}
		io.WriteString(t.w, line)
	}
	if len(t.buf) > 64<<10 { // a long literal: let it through unless hiding
		if !t.hiding {
			t.w.Write(t.buf)
		}
		t.buf = t.buf[:0]
	}
	return len(p), nil
}
