package mail

// The POP3 client is written by hand: no maintained Go POP3 client library
// exists. It is built on net/textproto (dot-unstuffing of multi-line
// responses with its DotReader) and speaks RFC 1939 (POP3), RFC 2449 (CAPA,
// PIPELINING, RESP-CODES), RFC 2595 (STLS) and RFC 5034 (SASL: PLAIN, LOGIN,
// and XOAUTH2 for "oauth2:" passwords).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// POP3Options configures a POP3 session.
type POP3Options struct {
	Endpoint
	// Timeout bounds the dial and each command. 0 means 60s.
	Timeout time.Duration
	// ReadAhead is how many following messages Retr may pipeline when the
	// server advertises PIPELINING (0 = the default: 4, doubling up to 64
	// while messages are read in order; <0 = off).
	ReadAhead int
}

// POP3MessageInfo is one line of LIST/UIDL.
type POP3MessageInfo struct {
	// Num is the message number in the session (1-based).
	Num int
	// Size is the size in octets the server reports (LIST).
	Size int64
	// UID is the UIDL unique id, "" when the server has none.
	UID string
}

// pop3MaxMessage bounds one RETR/TOP response (after unstuffing); a
// variable for the tests.
var pop3MaxMessage int64 = 256 << 20

// Limits of the client. They keep a broken or hostile server from making
// the client hang or exhaust memory.
const (
	pop3DefaultTimeout = 60 * time.Second
	// pop3MaxLine bounds a status line (and a line of LIST/UIDL/CAPA);
	// a longer line is an ErrProtocol error.
	pop3MaxLine = 64 << 10
	// pop3MaxListing bounds a LIST/UIDL/CAPA response.
	pop3MaxListing = 64 << 20
	// pop3DefaultReadAhead is ReadAhead's default.
	pop3DefaultReadAhead = 4
	// pop3MaxReadAhead caps ReadAhead so that one batch of RETR commands
	// stays far below any server's command buffer.
	pop3MaxReadAhead = 64
	// pop3PrefetchBudget bounds the memory held by prefetched messages.
	pop3PrefetchBudget = 32 << 20
	// pop3MaxPipelined bounds the responses left unread (DELE and RETR):
	// past it Dele reads them first, so neither side's buffers fill up.
	pop3MaxPipelined = 256
	// pop3MaxAuthLine is RFC 5034's limit for an AUTH command carrying an
	// initial response; longer ones are sent after an empty challenge.
	pop3MaxAuthLine = 255
)

// POP3Client is a POP3 client (RFC 1939, 2449, 2595, 5034), written by hand
// on net/textproto because no maintained Go POP3 client exists.
//
// Methods may be called from one goroutine at a time, except Close, which
// may be called at any moment to abort a command in progress.
//
// Read-ahead: when the server advertises PIPELINING, Retr(n) sends RETR
// for n and the next ReadAhead messages (by default a batch that grows
// while messages are read in order) in one write and keeps the
// responses it reads in memory (at most about 32 MiB), so that Retr(n+1)...
// are served without a round trip. Dele is pipelined too (see Dele). Any
// other command first reads the responses still pending.
type POP3Client struct {
	t *Transport

	mu        sync.Mutex
	op        string // "pop3 host:port", the prefix of error operations
	sec       Security
	readAhead int

	raw   net.Conn      // the TCP (or sandbox) connection; closing it aborts everything
	dc    *deadlineConn // raw with per-read/write deadlines (or implicit TLS over raw)
	conn  net.Conn      // dc, or TLS over dc after STLS
	br    *bufio.Reader
	tr    *textproto.Reader
	bw    *bufio.Writer
	trace *TraceWriter
	chunk []byte // read buffer of readBody

	// RetrSpool: spoolNext asks Retr to read the message it returns into
	// a Spool, left in spooled.
	spoolNext bool
	spooled   *Spool

	greeting  string
	stamp     string // APOP timestamp from the greeting, angle brackets included
	caps      map[string][]string
	capsKnown bool
	isTLS     bool
	authed    bool

	maxNum  int // highest message number; -1 while unknown
	sizes   map[int]int64
	deleted map[int]bool

	pending    []pop3Pending // commands sent (or queued in bw), response not read yet, in order
	ready      map[int]pop3Result
	readyBytes int64
	window     int    // RETR read-ahead of the next batch (grows while reading in order)
	nextSeq    int    // the message after the last batch, for that growth
	seenBytes  int64  // bytes of the RETR responses read, and how many:
	seenMsgs   int64  // their average sizes batches when LIST was not used
	deleErr    *Error // first pipelined DELE the server refused: Quit then does not QUIT

	broken error // the failure that made the connection unusable
	closed atomic.Bool
}

// pop3Pending is a pipelined command whose response is still to be read.
type pop3Pending struct {
	n    int
	dele bool // DELE n; otherwise RETR n
}

// pop3Result is a RETR response read ahead of its Retr call.
type pop3Result struct {
	data   []byte
	status string // the -ERR line when the server refused
}

// deadlineConn sets a fresh deadline before every read and write: the
// timeout bounds each wait for the server, and the command's overall
// deadline (commandBudget: the timeout, extended by the bytes moving) bounds
// the whole command, so that a server trickling bytes cannot hold it. A
// write starts a new command.
type deadlineConn struct {
	net.Conn
	timeout atomic.Int64 // nanoseconds

	mu     sync.Mutex
	budget commandBudget
}

func (d *deadlineConn) Read(p []byte) (int, error) {
	timeout := time.Duration(d.timeout.Load())
	d.mu.Lock()
	now := time.Now()
	if d.budget.start.IsZero() {
		d.budget.begin(now)
	}
	dl := d.budget.next(now, timeout)
	d.mu.Unlock()
	d.Conn.SetReadDeadline(dl)
	n, err := d.Conn.Read(p)
	d.mu.Lock()
	d.budget.add(n)
	d.mu.Unlock()
	return n, err
}

func (d *deadlineConn) Write(p []byte) (int, error) {
	timeout := time.Duration(d.timeout.Load())
	d.mu.Lock()
	now := time.Now()
	d.budget.begin(now)
	d.budget.add(len(p))
	d.mu.Unlock()
	d.Conn.SetWriteDeadline(now.Add(timeout))
	return d.Conn.Write(p)
}

// apopStamp finds the APOP timestamp (an RFC 822 msg-id) in a greeting.
var apopStamp = lazyRE(`<[^<>\s]+@[^<>\s]+>`)

// DialPOP3 connects, reads the greeting, reads CAPA and performs STLS when
// o.Security is StartTLS. With [Mail] TryProtocols it retries once in the
// other TLS mode on a clear mismatch (see Security for the mode in use).
func DialPOP3(ctx context.Context, t *Transport, o POP3Options) (*POP3Client, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	return withFallback(ctx, t, POP3, o.Endpoint, fallbackSecurity, func(ep Endpoint) (*POP3Client, error) {
		o.Endpoint = ep
		return dialPOP3(ctx, t, o)
	})
}

// dialPOP3 makes one connection attempt in mode o.Security.
func dialPOP3(ctx context.Context, t *Transport, o POP3Options) (*POP3Client, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = pop3DefaultTimeout
	}
	raw, err := t.DialConn(ctx, POP3, o.Endpoint, timeout)
	if err != nil {
		return nil, err
	}
	c := &POP3Client{
		t:         t,
		op:        "pop3 " + o.Endpoint.Addr(POP3),
		sec:       o.Security,
		readAhead: o.ReadAhead,
		raw:       raw,
		maxNum:    -1,
		sizes:     make(map[int]int64),
		deleted:   make(map[int]bool),
		ready:     make(map[int]pop3Result),
	}
	// ReadAhead 0: start small and grow while messages are read in order;
	// a ReadAhead set is used as is.
	c.window = c.readAhead
	if c.readAhead == 0 {
		c.readAhead, c.window = pop3MaxReadAhead, pop3DefaultReadAhead
	}
	c.readAhead = min(c.readAhead, pop3MaxReadAhead)
	c.window = min(c.window, c.readAhead)
	if w, ok := t.TraceTo(POP3).(*TraceWriter); ok {
		c.trace = w
	}
	c.dc = &deadlineConn{Conn: raw}
	c.dc.timeout.Store(int64(timeout))
	if tc, ok := raw.(*tls.Conn); ok {
		// Implicit TLS. Close the TCP connection underneath directly: a
		// TLS close_notify could block on a peer that does not read.
		c.isTLS = true
		c.raw = tc.NetConn()
	}
	c.setConn(c.dc)

	// Cancelling ctx aborts the greeting, CAPA and STLS.
	stop := context.AfterFunc(ctx, func() { c.raw.Close() })
	err = c.start(o)
	if !stop() && ctx.Err() != nil {
		err = Classify(c.op+" connect", ctx.Err())
	}
	if err != nil {
		c.raw.Close()
		return nil, err
	}
	return c, nil
}

// start reads the greeting, CAPA, and upgrades with STLS when asked.
func (c *POP3Client) start(o POP3Options) error {
	op := c.op + " greeting"
	line, ok, err := c.readStatus(op)
	if err != nil {
		return err
	}
	if !ok {
		return NewError(ErrCommandFailed, op, line, nil)
	}
	c.greeting = line
	c.stamp = apopStamp.FindString(line)
	if err := c.capa(); err != nil {
		return err
	}
	if o.Security != StartTLS {
		return nil
	}
	op = c.op + " STLS"
	if c.capsKnown && !c.hasCap("STLS") {
		return NewError(ErrStartTLSNotOffered, op, "", fmt.Errorf("the server's CAPA does not list STLS"))
	}
	line, ok, err = c.cmd(op, "STLS")
	if err != nil {
		return err
	}
	if !ok {
		if !c.capsKnown {
			return NewError(ErrStartTLSNotOffered, op, line, nil)
		}
		return NewError(ErrTLSHandshake, op, line, nil)
	}
	if c.br.Buffered() > 0 {
		// Anything sent before the handshake could be a plain-text
		// injection (CVE-2011-0411 style); refuse it.
		return c.fail(NewError(ErrProtocol, op, "", fmt.Errorf("server sent data after accepting STLS, before TLS")))
	}
	tc, err := c.t.TLSConfig(o.Host)
	if err != nil {
		return err
	}
	tlsConn := tls.Client(c.dc, tc)
	if err := tlsConn.Handshake(); err != nil {
		return TLSError(op, err)
	}
	c.isTLS = true
	c.setConn(tlsConn)
	// Capabilities learnt before TLS are not to be trusted (RFC 2595 §4).
	return c.capa()
}

func (c *POP3Client) setConn(conn net.Conn) {
	c.conn = conn
	c.br = bufio.NewReaderSize(conn, pop3MaxLine)
	c.tr = textproto.NewReader(c.br)
	c.bw = bufio.NewWriter(conn)
}

// capa reads the capability list; a server without CAPA (-ERR) is fine.
func (c *POP3Client) capa() error {
	op := c.op + " CAPA"
	c.caps = make(map[string][]string)
	c.capsKnown = false
	_, ok, err := c.cmd(op, "CAPA")
	if err != nil || !ok {
		return err
	}
	lines, err := c.readLines(op, true)
	if err != nil {
		return err
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		args := f[1:]
		for i := range args {
			args[i] = strings.ToUpper(args[i])
		}
		c.caps[strings.ToUpper(f[0])] = args
	}
	c.capsKnown = true
	return nil
}

func (c *POP3Client) hasCap(name string) bool {
	_, ok := c.caps[name]
	return ok
}

func (c *POP3Client) hasSASL(mech string) bool {
	return slices.Contains(c.caps["SASL"], mech)
}

// Greeting returns the server's greeting line.
func (c *POP3Client) Greeting() string { return c.greeting }

// Capabilities returns a copy of the server's CAPA list: capability name
// (upper case) to its arguments (upper case). It is empty when the server
// does not support CAPA.
func (c *POP3Client) Capabilities() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string][]string, len(c.caps))
	for k, v := range c.caps {
		out[k] = slices.Clone(v)
	}
	return out
}

// IsTLS reports whether the session is encrypted (implicit TLS or STLS).
func (c *POP3Client) IsTLS() bool { return c.isTLS }

// Security returns the TLS mode of the session (after any TryProtocols fallback).
func (c *POP3Client) Security() Security { return c.sec }

// SetTimeout changes the per-command timeout of an open session
// (0 means 60s).
func (c *POP3Client) SetTimeout(d time.Duration) {
	if d <= 0 {
		d = pop3DefaultTimeout
	}
	c.dc.timeout.Store(int64(d))
}

// Login authenticates: AUTH CRAM-MD5, PLAIN or LOGIN when offered (SASL) and
// allowed by [Mail], APOP when the greeting has a timestamp and USER is not
// offered, else USER/PASS. A password "oauth2:<token>" authenticates with
// SASL OAUTHBEARER or XOAUTH2 instead ("oauth2:" alone asks Transport.Token
// for a token); see pop3_auth.go.
// The server's refusal is an ErrAuthFailed error whose Reply is its line.
func (c *POP3Client) Login(user, pass string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	op := c.op + " login"
	if err := c.prepare(op); err != nil {
		return err
	}
	if err := CheckLine("pop3 user name", user); err != nil {
		return err
	}
	if err := CheckLine("pop3 password", pass); err != nil {
		return err
	}
	if user == "" {
		return NewError(ErrInvalidArgument, op, "", fmt.Errorf("empty user name"))
	}
	if c.authed {
		return NewError(ErrCommandFailed, op, "", fmt.Errorf("already logged in"))
	}
	cfg := c.t.config()
	var err error
	switch {
	case strings.HasPrefix(pass, "oauth2:"):
		err = c.authOAuth(op, cfg, user, strings.TrimPrefix(pass, "oauth2:")) // pop3_auth.go
	case c.hasSASL(MechCRAMMD5) && cfg.AuthCramMD5:
		err = c.authCRAMMD5(user, pass)
	case c.hasSASL("PLAIN") && cfg.AuthPlain:
		err = c.authPlain(user, pass)
	case c.hasSASL("LOGIN") && cfg.AuthLogin:
		err = c.authLogin(user, pass)
	case c.capsKnown && !c.hasCap("USER") && c.stamp != "":
		err = c.apop(user, pass)
	case c.capsKnown && !c.hasCap("USER"):
		return NewError(ErrNoAuthMechanism, op, "", fmt.Errorf("the server offers neither USER nor APOP nor an allowed SASL mechanism (SASL: %s)", strings.Join(c.caps["SASL"], " ")))
	default:
		err = c.userPass(user, pass)
		var e *Error
		if !c.capsKnown && c.stamp != "" && errors.As(err, &e) && e.Code == ErrAuthFailed && e.Op == c.op+" USER" {
			// An old server without CAPA that refuses USER: try APOP.
			err = c.apop(user, pass)
		}
	}
	if err == nil {
		c.authed = true
	}
	return redactAuthError(err, strings.TrimPrefix(pass, "oauth2:"))
}

func (c *POP3Client) userPass(user, pass string) error {
	if _, err := c.cmdOK(c.op+" USER", "USER "+user, ErrAuthFailed); err != nil {
		return err
	}
	_, err := c.cmdOK(c.op+" PASS", "PASS "+pass, ErrAuthFailed)
	return err
}

func (c *POP3Client) apop(user, pass string) error {
	op := c.op + " APOP"
	sum := md5.Sum([]byte(c.stamp + pass))
	_, err := c.cmdOK(op, "APOP "+user+" "+hex.EncodeToString(sum[:]), ErrAuthFailed)
	return err
}

func (c *POP3Client) authPlain(user, pass string) error {
	ir := []byte("\x00" + user + "\x00" + pass)
	return c.sasl("PLAIN", ir, func(int, []byte) ([]byte, error) {
		return nil, fmt.Errorf("unexpected PLAIN challenge")
	})
}

func (c *POP3Client) authLogin(user, pass string) error {
	// The challenges ("Username:", "Password:") are not standard text:
	// answer by position, as every LOGIN client does.
	return c.sasl("LOGIN", nil, func(step int, _ []byte) ([]byte, error) {
		switch step {
		case 0:
			return []byte(user), nil
		case 1:
			return []byte(pass), nil
		}
		return nil, fmt.Errorf("unexpected third LOGIN challenge")
	})
}

func (c *POP3Client) authXOAuth2(user, token string) error {
	if token == "" {
		if c.t == nil || c.t.Token == nil {
			return NewError(ErrAuthFailed, c.op+" AUTH XOAUTH2", "", fmt.Errorf(`password "oauth2:" without a token and no token source configured`))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(c.dc.timeout.Load()))
		tok, err := c.t.Token(ctx, user)
		cancel()
		if err != nil {
			return NewError(ErrAuthFailed, c.op+" AUTH XOAUTH2", "", fmt.Errorf("get OAuth2 token: %w", err))
		}
		if err := CheckLine("OAuth2 token", tok); err != nil {
			return err
		}
		token = tok
	}
	ir := []byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")
	return c.sasl("XOAUTH2", ir, func(int, []byte) ([]byte, error) {
		// The server sent an error description (JSON) and waits for an
		// empty response before its -ERR.
		return []byte{}, nil
	})
}

// sasl runs an AUTH exchange (RFC 5034). ir is the initial response (nil:
// none); next answers the step-th challenge.
func (c *POP3Client) sasl(mech string, ir []byte, next func(step int, challenge []byte) ([]byte, error)) error {
	op := c.op + " AUTH " + mech
	line := "AUTH " + mech
	if ir != nil {
		enc := "="
		if len(ir) > 0 {
			enc = base64.StdEncoding.EncodeToString(ir)
		}
		if len(line)+1+len(enc)+2 <= pop3MaxAuthLine {
			line += " " + enc
			ir = nil // sent
		}
	}
	if err := c.send(op, line); err != nil {
		return err
	}
	var failure error
	for step := 0; ; {
		reply, err := c.readLine(op)
		if err != nil {
			return err
		}
		switch {
		case hasPrefixFold(reply, "+OK"):
			return nil
		case hasPrefixFold(reply, "-ERR"):
			return NewError(ErrAuthFailed, op, reply, failure)
		case reply == "+" || strings.HasPrefix(reply, "+ "):
		default:
			return c.fail(NewError(ErrProtocol, op, clip(reply), fmt.Errorf("unexpected reply in the AUTH exchange")))
		}
		if step >= 10 {
			return c.fail(NewError(ErrProtocol, op, "", fmt.Errorf("too many AUTH challenges")))
		}
		var resp []byte
		if ir != nil {
			// The initial response did not fit on the AUTH line: the
			// server's first (empty) challenge asks for it.
			resp, ir = ir, nil
		} else {
			challenge, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(reply, "+")))
			if err == nil {
				resp, err = next(step, challenge)
				step++
				if mech == "XOAUTH2" && len(challenge) > 0 {
					failure = fmt.Errorf("server said: %s", clip(string(challenge)))
				}
			}
			if err != nil {
				// Cancel the exchange; the server answers -ERR.
				failure = err
				if err := c.send(op, "*"); err != nil {
					return err
				}
				continue
			}
		}
		// Responses carry credentials: the trace gets a placeholder.
		if err := c.sendSecret(op, base64.StdEncoding.EncodeToString(resp)); err != nil {
			return err
		}
	}
}

// Stat returns the message count and total size (STAT).
func (c *POP3Client) Stat() (count int, size int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stat(c.op + " STAT")
}

func (c *POP3Client) stat(op string) (int, int64, error) {
	if err := c.prepare(op); err != nil {
		return 0, 0, err
	}
	line, err := c.cmdOK(op, "STAT", ErrCommandFailed)
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(line)
	if len(f) < 3 {
		return 0, 0, NewError(ErrProtocol, op, clip(line), fmt.Errorf("malformed STAT reply"))
	}
	count, err1 := strconv.Atoi(f[1])
	size, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || count < 0 || size < 0 {
		return 0, 0, NewError(ErrProtocol, op, clip(line), fmt.Errorf("malformed STAT reply"))
	}
	// STAT does not count messages marked for deletion, which keep their numbers.
	c.maxNum = count + len(c.deleted)
	return count, size, nil
}

// List returns the size of every message (LIST).
func (c *POP3Client) List() ([]POP3MessageInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, err := c.listing(c.op+" LIST", "LIST")
	if err != nil {
		return nil, err
	}
	for _, m := range out {
		c.sizes[m.Num] = m.Size
	}
	c.maxNum = max(c.maxNum, len(out)+len(c.deleted))
	return out, nil
}

// UIDL returns the unique id of every message (UIDL).
func (c *POP3Client) UIDL() ([]POP3MessageInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.listing(c.op+" UIDL", "UIDL")
}

// listing runs LIST or UIDL and parses "num value" lines.
func (c *POP3Client) listing(op, cmd string) ([]POP3MessageInfo, error) {
	if err := c.prepare(op); err != nil {
		return nil, err
	}
	if _, err := c.cmdOK(op, cmd, ErrCommandFailed); err != nil {
		return nil, err
	}
	lines, err := c.readLines(op, false)
	if err != nil {
		return nil, err
	}
	out := make([]POP3MessageInfo, 0, len(lines))
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 2 {
			return nil, NewError(ErrProtocol, op, clip(l), fmt.Errorf("malformed %s line", cmd))
		}
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 1 {
			return nil, NewError(ErrProtocol, op, clip(l), fmt.Errorf("malformed %s line", cmd))
		}
		m := POP3MessageInfo{Num: n}
		if cmd == "UIDL" {
			m.UID = f[1]
		} else if m.Size, err = strconv.ParseInt(f[1], 10, 64); err != nil || m.Size < 0 {
			return nil, NewError(ErrProtocol, op, clip(l), fmt.Errorf("malformed %s line", cmd))
		}
		out = append(out, m)
	}
	return out, nil
}

// Retr returns message n (1-based), dot-unstuffed.
// Line endings are CRLF, as on the wire.
func (c *POP3Client) Retr(n int) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	op := fmt.Sprintf("%s RETR %d", c.op, n)
	if err := c.usable(op); err != nil {
		return nil, err
	}
	if err := c.checkNum(op, n); err != nil {
		return nil, err
	}
	if r, ok := c.ready[n]; ok {
		c.take(n)
		return c.retrResult(op, n, r)
	}
	if !c.retrPending(n) {
		// DELE commands queued after the last RETR go out with this batch.
		if err := c.drainRetr(op); err != nil {
			return nil, err
		}
		batch, err := c.prefetchBatch(op, n)
		if err != nil {
			return nil, err
		}
		for _, m := range batch {
			fmt.Fprintf(c.bw, "RETR %d\r\n", m)
			c.traceLine("C: ", fmt.Sprintf("RETR %d", m))
		}
		if err := c.bw.Flush(); err != nil {
			return nil, c.fail(Classify(op, err))
		}
		for _, m := range batch {
			c.pending = append(c.pending, pop3Pending{n: m})
		}
	}
	// Read the responses in order up to n's; earlier ones are kept.
	var res pop3Result
	for {
		p := c.pending[0]
		if p.dele {
			if err := c.readDele(p.n); err != nil {
				return nil, err
			}
			c.pending = c.pending[1:]
			continue
		}
		keep := pop3MaxMessage
		if p.n != n {
			keep = pop3PrefetchBudget - c.readyBytes
		}
		r, kept, err := c.readRetr(fmt.Sprintf("%s RETR %d", c.op, p.n), keep)
		if err != nil {
			return nil, err
		}
		c.pending = c.pending[1:]
		if p.n == n {
			res = r
			break
		}
		c.store(p.n, r, kept)
	}
	// Read ahead: pull the responses already requested into memory while
	// the budget allows. A failure here is reported by the next command.
	for len(c.pending) > 0 && !c.pending[0].dele && c.readyBytes < pop3PrefetchBudget {
		m := c.pending[0].n
		r, kept, err := c.readRetr(fmt.Sprintf("%s RETR %d", c.op, m), pop3PrefetchBudget-c.readyBytes)
		if err != nil {
			break
		}
		c.pending = c.pending[1:]
		c.store(m, r, kept)
		if !kept {
			break // the budget is full: leave the rest on the wire for later Retr calls
		}
	}
	return c.retrResult(op, n, res)
}

// unsolicited reports whether the server sent something while no reply
// was due (only unsent DELE commands pending): a server shutting the
// session down ("-ERR [SYS/TEMP] Server shutting down.") or a closed
// connection. Dele then runs unpipelined, so that it reports the failure
// at once.
func (c *POP3Client) unsolicited() bool {
	if c.retrPendingAny() {
		return false // RETR replies are due: data is expected
	}
	if c.br.Buffered() > 0 {
		return true
	}
	has, _ := connHasInput(c.raw)
	return has
}

// retrPending reports whether RETR n was sent and its response not read.
func (c *POP3Client) retrPending(n int) bool {
	return slices.ContainsFunc(c.pending, func(p pop3Pending) bool { return !p.dele && p.n == n })
}

// prefetchBatch returns n followed by the messages to read ahead with it.
func (c *POP3Client) prefetchBatch(op string, n int) ([]int, error) {
	batch := []int{n}
	if c.readAhead <= 0 || !c.hasCap("PIPELINING") {
		return batch, nil
	}
	if c.maxNum < 0 {
		if _, _, err := c.stat(op); err != nil {
			var e *Error
			if errors.As(err, &e) && e.Code == ErrCommandFailed {
				return batch, nil // no STAT, no read-ahead
			}
			return nil, err
		}
	}
	if n == c.nextSeq {
		c.window = min(c.window*2, c.readAhead) // reading in order: longer batches
	}
	// Sizes unknown (no LIST) are estimated from the messages read so far,
	// so that a batch of large messages stays within the budget.
	var avg int64
	if c.seenMsgs > 0 {
		avg = c.seenBytes / c.seenMsgs
	}
	size := func(m int) int64 {
		if s, ok := c.sizes[m]; ok {
			return s
		}
		return avg
	}
	est := c.readyBytes + size(n)
	m := n + 1
	for ; m <= c.maxNum && len(batch) <= c.window; m++ {
		if c.deleted[m] {
			continue
		}
		if _, ok := c.ready[m]; ok {
			continue
		}
		est += size(m)
		if est > pop3PrefetchBudget {
			break
		}
		batch = append(batch, m)
	}
	c.nextSeq = m
	return batch, nil
}

// store keeps a response read ahead, unless it did not fit the budget.
func (c *POP3Client) store(m int, r pop3Result, kept bool) {
	if !kept || c.deleted[m] {
		return // dropped: a later Retr(m) asks again
	}
	c.ready[m] = r
	c.readyBytes += int64(len(r.data))
}

func (c *POP3Client) take(m int) {
	if r, ok := c.ready[m]; ok {
		c.readyBytes -= int64(len(r.data))
		delete(c.ready, m)
	}
}

// retrResult turns a response into Retr's result.
func (c *POP3Client) retrResult(op string, n int, r pop3Result) ([]byte, error) {
	if r.status != "" {
		return nil, c.numError(op, n, r.status)
	}
	return r.data, nil
}

// readRetr reads one RETR response, keeping the message when it is at
// most keep bytes (kept reports it). The message Retr returns (keep is
// pop3MaxMessage) goes into a Spool when RetrSpool asked for one.
func (c *POP3Client) readRetr(op string, keep int64) (pop3Result, bool, error) {
	line, ok, err := c.readStatus(op)
	if err != nil {
		return pop3Result{}, false, err
	}
	if !ok {
		return pop3Result{status: line}, true, nil
	}
	var sink *Spool
	if c.spoolNext && keep == pop3MaxMessage {
		sink = NewSpool(octetsHint(line))
	}
	data, kept, err := c.readBody(op, keep, octetsHint(line), sink)
	if err != nil {
		if sink != nil {
			sink.Discard()
		}
		return pop3Result{}, false, err
	}
	if sink != nil {
		c.spooled = sink
	}
	c.seenBytes += max(int64(len(data)), octetsHint(line)) // sizes the read-ahead batches
	c.seenMsgs++
	return pop3Result{data: data}, kept, nil
}

// RetrSpool is Retr into a Spool: a message larger than SpillThreshold is
// written to a temporary file as it arrives instead of memory.
func (c *POP3Client) RetrSpool(n int) (*Spool, error) {
	c.mu.Lock()
	c.spoolNext = true
	c.mu.Unlock()
	data, err := c.Retr(n)
	c.mu.Lock()
	sp := c.spooled
	c.spooled, c.spoolNext = nil, false
	c.mu.Unlock()
	if err != nil {
		if sp != nil {
			sp.Discard()
		}
		return nil, err
	}
	if sp != nil {
		return sp, nil
	}
	s := NewSpool(int64(len(data)))
	if _, err := s.Write(data); err != nil {
		return nil, err
	}
	return s, nil
}

// octetsHint returns n from "+OK n octets", 0 when absent.
func octetsHint(line string) int64 {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// readBody reads a dot-encoded body, converting the DotReader's LF line
// endings back to CRLF. It keeps the data when it is at most keep bytes;
// beyond that it reads and discards, up to pop3MaxMessage. With sink set
// the data goes there instead (and nil is returned).
func (c *POP3Client) readBody(op string, keep, hint int64, sink *Spool) ([]byte, bool, error) {
	dr := newPOP3DotReader(c.br) // textproto's DotReader output, a line at a time (pop3_dot.go)
	var buf []byte
	limit := pop3MaxMessage
	if sink != nil {
		hint = 0
		limit = max(limit, MaxSpooledMessage) // memory stays bounded: the disk takes it
		keep = limit
	}
	if hint > 0 {
		buf = make([]byte, 0, min(hint, keep, 8<<20)+64)
	}
	if c.chunk == nil {
		c.chunk = make([]byte, 32<<10)
	}
	chunk := c.chunk
	var total int64
	kept := true
	for {
		n, err := dr.Read(chunk)
		if n > 0 {
			p := chunk[:n]
			total += int64(n + bytes.Count(p, []byte{'\n'}))
			if total > limit {
				return nil, false, c.fail(NewError(ErrMessageTooLarge, op, "", fmt.Errorf("message larger than %d MiB", limit>>20)))
			}
			if kept && total > keep {
				kept, buf = false, nil
			}
			if kept {
				for {
					i := bytes.IndexByte(p, '\n')
					if i < 0 {
						buf = append(buf, p...)
						break
					}
					buf = append(buf, p[:i]...)
					buf = append(buf, '\r', '\n')
					p = p[i+1:]
				}
				if sink != nil && len(buf) >= 32<<10 {
					if _, err := sink.Write(buf); err != nil {
						return nil, false, c.fail(Classify(op, err))
					}
					buf = buf[:0]
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, c.fail(Classify(op, err))
		}
	}
	c.traceLine("S: ", fmt.Sprintf("[%d octets]", total))
	if sink != nil {
		if _, err := sink.Write(buf); err != nil {
			return nil, false, c.fail(Classify(op, err))
		}
		return nil, kept, nil
	}
	if kept && buf == nil {
		buf = []byte{}
	}
	return buf, kept, nil
}

// Top returns the headers of message n and its first lines lines of body.
func (c *POP3Client) Top(n, lines int) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	op := fmt.Sprintf("%s TOP %d %d", c.op, n, lines)
	if err := c.prepare(op); err != nil {
		return nil, err
	}
	if lines < 0 {
		return nil, NewError(ErrInvalidArgument, op, "", fmt.Errorf("negative line count"))
	}
	if err := c.checkNum(op, n); err != nil {
		return nil, err
	}
	line, ok, err := c.cmd(op, fmt.Sprintf("TOP %d %d", n, lines))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, c.numError(op, n, line)
	}
	data, _, err := c.readBody(op, pop3MaxMessage, 0, nil)
	return data, err
}

// Dele marks message n for deletion; it is deleted only by a clean Quit.
//
// When the server offers PIPELINING and n is known to exist, DELE is
// pipelined: it goes out with the next command and its reply is read
// before any later command's. A refusal read that way is reported by Quit,
// which then closes the session without QUIT, so that nothing is deleted.
func (c *POP3Client) Dele(n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	op := fmt.Sprintf("%s DELE %d", c.op, n)
	if err := c.usable(op); err != nil {
		return err
	}
	if err := c.checkNum(op, n); err != nil {
		return err
	}
	if c.hasCap("PIPELINING") && c.maxNum >= 0 && !c.deleted[n] && len(c.pending) < pop3MaxPipelined && !c.unsolicited() {
		line := fmt.Sprintf("DELE %d", n)
		c.traceLine("C: ", line)
		c.bw.WriteString(line + "\r\n") // flushed with the next command
		c.pending = append(c.pending, pop3Pending{n: n, dele: true})
		c.deleted[n] = true
		c.take(n)
		return nil
	}
	if err := c.drain(op); err != nil {
		return err
	}
	line, ok, err := c.cmd(op, fmt.Sprintf("DELE %d", n))
	if err != nil {
		return err
	}
	if !ok {
		return c.numError(op, n, line)
	}
	c.deleted[n] = true
	c.take(n)
	return nil
}

// Rset unmarks every message marked for deletion.
func (c *POP3Client) Rset() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	op := c.op + " RSET"
	if err := c.simple(op, "RSET"); err != nil {
		return err
	}
	clear(c.deleted)
	c.deleErr = nil // nothing is marked any more: a refused DELE no longer matters
	return nil
}

// Noop keeps the session alive.
func (c *POP3Client) Noop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.simple(c.op+" NOOP", "NOOP")
}

func (c *POP3Client) simple(op, cmd string) error {
	if err := c.prepare(op); err != nil {
		return err
	}
	_, err := c.cmdOK(op, cmd, ErrCommandFailed)
	return err
}

// Quit commits deletions and closes the session.
func (c *POP3Client) Quit() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	op := c.op + " QUIT"
	defer c.Close()
	if err := c.usable(op); err != nil {
		return err
	}
	// Responses read ahead are of no use any more.
	c.clearReady()
	if err := c.drainAll(op, 0); err != nil {
		return err
	}
	if c.deleErr != nil {
		// A deletion the script asked for was refused: committing the
		// others would not be what it meant. Close without QUIT.
		return c.deleErr
	}
	_, err := c.cmdOK(op, "QUIT", ErrCommandFailed)
	return err
}

// Close drops the connection without QUIT: nothing marked is deleted.
// It may be called at any time, also to abort a command in progress.
func (c *POP3Client) Close() error {
	if c == nil || c.closed.Swap(true) {
		return nil
	}
	c.raw.Close()
	return nil
}

func (c *POP3Client) clearReady() {
	clear(c.ready)
	c.readyBytes = 0
}

// usable reports why the session cannot run a command, if it cannot.
func (c *POP3Client) usable(op string) error {
	if c == nil {
		return NewError(ErrNoConnection, op, "", fmt.Errorf("not connected"))
	}
	if c.closed.Load() {
		return NewError(ErrNoConnection, op, "", fmt.Errorf("the session is closed"))
	}
	if c.broken != nil {
		return NewError(ErrConnectionLost, op, "", fmt.Errorf("connection unusable after an earlier error: %w", c.broken))
	}
	return nil
}

// prepare checks the session and reads any responses still pending, so that
// a new command's reply is the next one on the wire.
func (c *POP3Client) prepare(op string) error {
	if err := c.usable(op); err != nil {
		return err
	}
	return c.drain(op)
}

// drain reads every pending response (sending the DELE commands still
// queued first), keeping the read-ahead messages that fit the budget.
func (c *POP3Client) drain(op string) error {
	return c.drainAll(op, pop3PrefetchBudget)
}

// drainAll is drain with a budget for the messages kept.
func (c *POP3Client) drainAll(op string, budget int64) error {
	if c.bw.Buffered() > 0 {
		if err := c.bw.Flush(); err != nil {
			return c.fail(Classify(op, err))
		}
	}
	for len(c.pending) > 0 {
		if err := c.readPending(budget); err != nil {
			return err
		}
	}
	return nil
}

// drainRetr reads the pending responses up to the last RETR: the DELE
// commands after it may still be queued, unsent.
func (c *POP3Client) drainRetr(op string) error {
	for c.retrPendingAny() {
		if err := c.readPending(pop3PrefetchBudget); err != nil {
			return err
		}
	}
	return nil
}

func (c *POP3Client) retrPendingAny() bool {
	return slices.ContainsFunc(c.pending, func(p pop3Pending) bool { return !p.dele })
}

// readPending reads the first pending response.
func (c *POP3Client) readPending(budget int64) error {
	p := c.pending[0]
	if p.dele {
		if err := c.readDele(p.n); err != nil {
			return err
		}
	} else {
		r, kept, err := c.readRetr(fmt.Sprintf("%s RETR %d", c.op, p.n), budget-c.readyBytes)
		if err != nil {
			return err
		}
		c.store(p.n, r, kept)
	}
	c.pending = c.pending[1:]
	return nil
}

// readDele reads the reply of a pipelined DELE n. A refusal unmarks n and
// is kept for Quit.
func (c *POP3Client) readDele(n int) error {
	op := fmt.Sprintf("%s DELE %d", c.op, n)
	line, ok, err := c.readStatus(op)
	if err != nil {
		return err
	}
	if !ok {
		delete(c.deleted, n)
		if c.deleErr == nil {
			c.deleErr = NewError(ErrCommandFailed, op, line,
				errors.New("the server refused a deletion; the session was closed without QUIT, so no message was deleted"))
		}
	}
	return nil
}

// checkNum rejects message numbers known to be out of range.
func (c *POP3Client) checkNum(op string, n int) error {
	if n < 1 || (c.maxNum >= 0 && n > c.maxNum) {
		rng := "unknown count"
		if c.maxNum >= 0 {
			rng = fmt.Sprintf("1..%d", c.maxNum)
		}
		return NewError(ErrNoSuchMessage, op, "", fmt.Errorf("message %d out of range (%s)", n, rng))
	}
	return nil
}

// numError maps the -ERR reply to a command on message n: ErrNoSuchMessage
// when n is deleted or out of range, else ErrCommandFailed.
func (c *POP3Client) numError(op string, n int, line string) error {
	if c.maxNum < 0 && len(c.pending) == 0 && c.broken == nil {
		c.stat(op) // learn the range; failure leaves it unknown
	}
	if c.deleted[n] || n < 1 || (c.maxNum >= 0 && n > c.maxNum) {
		return NewError(ErrNoSuchMessage, op, line, nil)
	}
	return NewError(ErrCommandFailed, op, line, nil)
}

// cmd sends a command line and reads the status line. ok is false for -ERR.
func (c *POP3Client) cmd(op, line string) (string, bool, error) {
	if err := c.send(op, line); err != nil {
		return "", false, err
	}
	return c.readStatus(op)
}

// cmdOK is cmd for a command that must succeed: a -ERR is an error of code
// with the server's reply.
func (c *POP3Client) cmdOK(op, line string, code Code) (string, error) {
	reply, ok, err := c.cmd(op, line)
	if err == nil && !ok {
		err = NewError(code, op, reply, nil)
	}
	return reply, err
}

func (c *POP3Client) send(op, line string) error {
	c.traceLine("C: ", line)
	return c.write(op, line)
}

func (c *POP3Client) sendSecret(op, line string) error {
	c.traceLine("C: ", "[redacted]")
	return c.write(op, line)
}

func (c *POP3Client) write(op, line string) error {
	c.bw.WriteString(line)
	c.bw.WriteString("\r\n")
	if err := c.bw.Flush(); err != nil {
		return c.fail(Classify(op, err))
	}
	return nil
}

// readStatus reads a "+OK"/"-ERR" status line; ok is false for -ERR.
// Anything else is an ErrProtocol error.
func (c *POP3Client) readStatus(op string) (string, bool, error) {
	line, err := c.readLine(op)
	if err != nil {
		return "", false, err
	}
	switch {
	case hasPrefixFold(line, "+OK"):
		return line, true, nil
	case len(line) > 10 && strings.EqualFold(line[:10], "-ERR [SYS/"):
		// RFC 3206 SYS/TEMP, SYS/PERM: a server-side failure, not a refused
		// command. Servers also send it unsolicited when they shut a
		// session down (Dovecot: "-ERR [SYS/TEMP] Server shutting down."),
		// so the session is treated as lost; nothing marked is deleted.
		return "", false, c.fail(NewError(ErrConnectionLost, op, line, errors.New("server-side failure")))
	case hasPrefixFold(line, "-ERR"):
		return line, false, nil
	}
	return "", false, c.fail(NewError(ErrProtocol, op, clip(line), fmt.Errorf("expected +OK or -ERR")))
}

// readLine reads one line of at most pop3MaxLine bytes, without CRLF.
func (c *POP3Client) readLine(op string) (string, error) {
	b, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", c.fail(NewError(ErrProtocol, op, "", fmt.Errorf("reply line longer than %d KiB", pop3MaxLine>>10)))
	}
	if err != nil {
		return "", c.fail(Classify(op, err))
	}
	line := strings.TrimRight(string(b), "\r\n")
	c.traceLine("S: ", line)
	return line, nil
}

// readLines reads the lines of a multi-line response up to ".", unstuffed.
func (c *POP3Client) readLines(op string, trace bool) ([]string, error) {
	var out []string
	total := 0
	for {
		b, err := c.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, c.fail(NewError(ErrProtocol, op, "", fmt.Errorf("response line longer than %d KiB", pop3MaxLine>>10)))
		}
		if err != nil {
			return nil, c.fail(Classify(op, err))
		}
		total += len(b)
		if total > pop3MaxListing {
			return nil, c.fail(NewError(ErrProtocol, op, "", fmt.Errorf("response larger than %d MiB", pop3MaxListing>>20)))
		}
		line := strings.TrimRight(string(b), "\r\n")
		if line == "." {
			if trace {
				c.traceLine("S: ", ".")
			}
			return out, nil
		}
		if trace {
			c.traceLine("S: ", line)
		}
		out = append(out, strings.TrimPrefix(line, "."))
	}
}

// fail marks the connection unusable after err (I/O failure, timeout or a
// desynchronised protocol stream) and closes it.
func (c *POP3Client) fail(err *Error) *Error {
	if c.closed.Load() {
		err.Code = ErrNoConnection
		if err.Err == nil {
			err.Err = fmt.Errorf("the session was closed")
		}
	}
	if c.broken == nil {
		c.broken = err
	}
	c.raw.Close()
	return err
}

func (c *POP3Client) traceLine(dir, line string) {
	if c.trace != nil {
		c.trace.Line(dir, line)
	}
}

func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return false
	}
	return len(s) == len(prefix) || s[len(prefix)] == ' '
}

// clip shortens a server line for an error message.
func clip(s string) string {
	const n = 512
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
