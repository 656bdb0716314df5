// Package pop3server is a small POP3 server (RFC 1939, CAPA, STLS, UIDL, TOP,
// PIPELINING, AUTH PLAIN/LOGIN) over a pluggable mailbox Backend. advmail's
// sandbox serves its in-memory store with it, and tests use it as a real
// protocol peer for the POP3 client.
//
// A session follows the states of RFC 1939: AUTHORIZATION (USER/PASS, APOP,
// AUTH, STLS), TRANSACTION (STAT, LIST, UIDL, TOP, RETR, DELE, RSET, NOOP)
// and UPDATE, entered only by QUIT, where the messages marked by DELE are
// deleted. A session that ends any other way deletes nothing.
//
// Commands are read in order from a buffered reader and replies are flushed
// only when no further command is already waiting, so pipelined commands
// (RFC 2449 PIPELINING) work naturally.
//
// For implicit TLS (POP3S), serve a listener wrapped with tls.NewListener:
// sessions on a *tls.Conn do not offer STLS.
package pop3server

import (
	"bufio"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Message describes one message of a maildrop as the session sees it.
type Message struct {
	// UID is the message's unique id for UIDL.
	UID string
	// Size is the message's size in octets, for LIST and STAT.
	Size int64
}

// Mailbox is a user's maildrop for one session. The server calls Delete only
// on a clean QUIT (the UPDATE state), with the indexes marked by DELE.
type Mailbox interface {
	// Messages lists the maildrop at the start of the session.
	Messages() ([]Message, error)
	// Open returns the raw RFC 5322 content of message i (0-based).
	Open(i int) (io.ReadCloser, error)
	// Delete removes the messages with the given 0-based indexes.
	Delete(indexes []int) error
	// Close ends the session (after Delete, or without it when the client
	// did not QUIT cleanly).
	Close() error
}

// Backend authenticates users and opens their maildrop.
type Backend interface {
	// Login checks the user's password (or, with XOAuth2, bearer token) and
	// opens the maildrop.
	Login(user, pass string) (Mailbox, error)
}

// APOPBackend is a Backend that can also check APOP digests (RFC 1939 §7).
// When the server's Backend implements it, the greeting carries a timestamp
// and the APOP command is accepted.
type APOPBackend interface {
	Backend
	// LoginAPOP checks digest, the lower-case hex MD5 of timestamp followed
	// by the user's shared secret (see APOPDigest), and opens the maildrop.
	LoginAPOP(user, timestamp, digest string) (Mailbox, error)
}

// APOPDigest returns the APOP digest of secret for the greeting timestamp
// (angle brackets included), as RFC 1939 §7 defines it.
func APOPDigest(timestamp, secret string) string {
	sum := md5.Sum([]byte(timestamp + secret))
	return hex.EncodeToString(sum[:])
}

const (
	// maxLine bounds a command line or SASL response, CRLF included.
	// RFC 2449 allows 255 octets for commands; SASL responses (XOAUTH2
	// tokens) need more.
	maxLine = 16 << 10
	// defaultIdleTimeout is RFC 1939's minimum autologout timer.
	defaultIdleTimeout = 10 * time.Minute
	// maxAuthFailures is how many failed logins end the session.
	maxAuthFailures = 3
)

// Server is a POP3 server.
type Server struct {
	// Backend authenticates users and opens their maildrops.
	Backend Backend
	// TLSConfig enables STLS (and is used by ServeTLS listeners).
	TLSConfig *tls.Config
	// Pipelining advertises PIPELINING in CAPA.
	Pipelining bool
	// DisableUser withdraws USER/PASS: CAPA does not list USER and the
	// commands fail, so clients must use SASL or APOP.
	DisableUser bool
	// XOAuth2 offers SASL XOAUTH2. The bearer token is passed to
	// Backend.Login as the password.
	XOAuth2 bool
	// Hostname is used in the greeting's APOP timestamp; "" means "localhost".
	Hostname string
	// IdleTimeout ends a session whose client sends nothing (or reads
	// nothing) for that long; 0 means 10 minutes.
	IdleTimeout time.Duration

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	closed    bool
	sessions  sync.WaitGroup
}

var stampSeq atomic.Uint64

// Serve accepts connections on l until it is closed and runs a session for
// each. It returns nil when the server was closed with Close, else the
// accept error.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return nil
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()

	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Transient (e.g. too many open files surfaces this way on
				// some systems): back off and retry, as net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		go s.ServeConn(c)
	}
}

// ServeConn runs one session on c and closes c when it ends.
func (s *Server) ServeConn(c net.Conn) {
	if !s.track(c) {
		c.Close()
		return
	}
	defer s.untrack(c)
	ss := &session{srv: s, conn: c}
	if _, ok := c.(*tls.Conn); ok {
		ss.isTLS = true
	}
	ss.run()
}

// Close stops the server: it closes the listeners and every open session
// (as a dropped connection: nothing is deleted), and waits for the
// sessions to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	var err error
	for l := range s.listeners {
		if e := l.Close(); e != nil && err == nil && !errors.Is(e, net.ErrClosed) {
			err = e
		}
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.sessions.Wait()
	return err
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[net.Conn]struct{})
	}
	s.conns[c] = struct{}{}
	s.sessions.Add(1)
	return true
}

func (s *Server) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.sessions.Done()
}

func (s *Server) idleTimeout() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return defaultIdleTimeout
}

func (s *Server) hostname() string {
	if s.Hostname != "" {
		return s.Hostname
	}
	return "localhost"
}

// Session states (RFC 1939 §3). UPDATE is transient: QUIT performs it and
// ends the session.
const (
	stateAuthorization = iota
	stateTransaction
)

var errLineTooLong = errors.New("pop3server: line too long")

// session is one client connection.
type session struct {
	srv   *Server
	conn  net.Conn // raw, or TLS after STLS
	r     *bufio.Reader
	w     *bufio.Writer
	isTLS bool
	state int
	stamp string // APOP timestamp, "" when APOP is not offered

	user  string // from USER, waiting for PASS
	fails int    // failed logins

	mbox  Mailbox
	msgs  []Message
	dele  []bool
	ndele int
}

func (ss *session) run() {
	defer func() {
		// A session that did not reach UPDATE closes its maildrop
		// without deleting anything.
		if ss.mbox != nil {
			ss.mbox.Close()
			ss.mbox = nil
		}
	}()
	ss.reset(ss.conn)
	greeting := "+OK POP3 server ready"
	if _, ok := ss.srv.Backend.(APOPBackend); ok {
		ss.stamp = fmt.Sprintf("<%d.%d.%d@%s>", os.Getpid(), stampSeq.Add(1), time.Now().UnixNano(), ss.srv.hostname())
		greeting += " " + ss.stamp
	}
	ss.deadline()
	ss.reply(greeting)
	if ss.w.Flush() != nil {
		return
	}
	for {
		ss.deadline()
		line, err := ss.readLine()
		if errors.Is(err, errLineTooLong) {
			ss.reply("-ERR line too long")
			ss.w.Flush()
			return
		}
		if err != nil {
			return
		}
		done := ss.handle(line)
		if done || ss.r.Buffered() == 0 {
			if ss.w.Flush() != nil {
				return
			}
		}
		if done {
			return
		}
	}
}

// reset installs buffered I/O on c (at start and after STLS: anything a
// client pipelined behind STLS in clear text is discarded).
func (ss *session) reset(c net.Conn) {
	ss.conn = c
	ss.r = bufio.NewReaderSize(c, maxLine)
	ss.w = bufio.NewWriterSize(c, 32<<10)
}

func (ss *session) deadline() {
	ss.conn.SetDeadline(time.Now().Add(ss.srv.idleTimeout()))
}

// readLine reads one line without its line ending. A line longer than
// maxLine is errLineTooLong.
func (ss *session) readLine() (string, error) {
	b, err := ss.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errLineTooLong
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func (ss *session) reply(line string) {
	ss.w.WriteString(line)
	ss.w.WriteString("\r\n")
}

func (ss *session) replyf(format string, args ...any) {
	fmt.Fprintf(ss.w, format, args...)
	ss.w.WriteString("\r\n")
}

// handle runs one command line and reports whether the session is over.
func (ss *session) handle(line string) bool {
	cmd, arg, _ := strings.Cut(line, " ")
	cmd = strings.ToUpper(cmd)
	if cmd == "CAPA" {
		ss.capa()
		return false
	}
	if cmd == "QUIT" {
		return ss.quit()
	}
	if ss.state == stateAuthorization {
		switch cmd {
		case "USER":
			ss.userCmd(arg)
		case "PASS":
			return ss.passCmd(arg)
		case "APOP":
			return ss.apop(arg)
		case "AUTH":
			return ss.auth(arg)
		case "STLS":
			return ss.stls()
		case "STAT", "LIST", "UIDL", "TOP", "RETR", "DELE", "RSET", "NOOP":
			ss.reply("-ERR not logged in")
		default:
			ss.reply("-ERR unknown command")
		}
		return false
	}
	switch cmd {
	case "STAT":
		count, size := ss.stat()
		ss.replyf("+OK %d %d", count, size)
	case "LIST":
		ss.list(arg, false)
	case "UIDL":
		ss.list(arg, true)
	case "TOP":
		return ss.top(arg)
	case "RETR":
		return ss.retr(arg)
	case "DELE":
		if i, ok := ss.msgArg(arg); ok {
			ss.dele[i] = true
			ss.ndele++
			ss.replyf("+OK message %d deleted", i+1)
		}
	case "RSET":
		clear(ss.dele)
		ss.ndele = 0
		count, size := ss.stat()
		ss.replyf("+OK maildrop has %d messages (%d octets)", count, size)
	case "NOOP":
		ss.reply("+OK")
	case "USER", "PASS", "APOP", "AUTH", "STLS":
		ss.reply("-ERR already logged in")
	default:
		ss.reply("-ERR unknown command")
	}
	return false
}

func (ss *session) capa() {
	ss.reply("+OK Capability list follows")
	ss.reply("TOP")
	ss.reply("UIDL")
	ss.reply("RESP-CODES")
	ss.reply("AUTH-RESP-CODE")
	if ss.srv.Pipelining {
		ss.reply("PIPELINING")
	}
	if ss.state == stateAuthorization {
		if !ss.srv.DisableUser {
			ss.reply("USER")
		}
		ss.reply("SASL " + strings.Join(ss.mechanisms(), " "))
		if ss.srv.TLSConfig != nil && !ss.isTLS {
			ss.reply("STLS")
		}
	}
	ss.reply("IMPLEMENTATION advmail")
	ss.reply(".")
}

func (ss *session) mechanisms() []string {
	m := []string{"PLAIN", "LOGIN"}
	if ss.srv.XOAuth2 {
		m = append(m, "XOAUTH2")
	}
	return m
}

func (ss *session) quit() bool {
	if ss.state == stateAuthorization {
		ss.reply("+OK bye")
		return true
	}
	// UPDATE state.
	var marked []int
	for i, d := range ss.dele {
		if d {
			marked = append(marked, i)
		}
	}
	var err error
	if len(marked) > 0 {
		err = ss.mbox.Delete(marked)
	}
	ss.mbox.Close()
	ss.mbox = nil
	if err != nil {
		ss.reply("-ERR [SYS/TEMP] some deleted messages not removed")
	} else {
		ss.reply("+OK bye")
	}
	return true
}

func (ss *session) stls() bool {
	if ss.srv.TLSConfig == nil || ss.isTLS {
		ss.reply("-ERR STLS not available")
		return false
	}
	ss.reply("+OK Begin TLS negotiation now")
	if ss.w.Flush() != nil {
		return true
	}
	tc := tls.Server(ss.conn, ss.srv.TLSConfig)
	ss.deadline()
	if err := tc.Handshake(); err != nil {
		return true
	}
	ss.reset(tc)
	ss.isTLS = true
	ss.user = ""
	return false
}

func (ss *session) userCmd(arg string) {
	if ss.srv.DisableUser {
		ss.reply("-ERR [AUTH] USER/PASS not available; use AUTH")
		return
	}
	if arg == "" {
		ss.reply("-ERR missing user name")
		return
	}
	ss.user = arg
	ss.reply("+OK")
}

func (ss *session) passCmd(arg string) bool {
	if ss.srv.DisableUser {
		ss.reply("-ERR [AUTH] USER/PASS not available; use AUTH")
		return false
	}
	if ss.user == "" {
		ss.reply("-ERR USER first")
		return false
	}
	user := ss.user
	ss.user = ""
	return ss.login(user, arg)
}

func (ss *session) apop(arg string) bool {
	ab, ok := ss.srv.Backend.(APOPBackend)
	if !ok || ss.stamp == "" {
		ss.reply("-ERR APOP not available")
		return false
	}
	f := strings.Fields(arg)
	if len(f) != 2 {
		ss.reply("-ERR usage: APOP name digest")
		return false
	}
	mb, err := ab.LoginAPOP(f[0], ss.stamp, strings.ToLower(f[1]))
	return ss.loggedIn(mb, err)
}

// login checks credentials with the Backend and enters TRANSACTION.
func (ss *session) login(user, pass string) bool {
	if ss.srv.Backend == nil {
		return ss.loggedIn(nil, errors.New("no backend"))
	}
	mb, err := ss.srv.Backend.Login(user, pass)
	return ss.loggedIn(mb, err)
}

func (ss *session) loggedIn(mb Mailbox, err error) bool {
	if err == nil && mb == nil {
		err = errors.New("no mailbox")
	}
	if err != nil {
		ss.fails++
		ss.reply("-ERR [AUTH] Authentication failed.")
		return ss.fails >= maxAuthFailures
	}
	msgs, err := mb.Messages()
	if err != nil {
		mb.Close()
		ss.reply("-ERR [SYS/TEMP] cannot open maildrop")
		return false
	}
	ss.mbox, ss.msgs = mb, msgs
	ss.dele = make([]bool, len(msgs))
	ss.ndele = 0
	ss.state = stateTransaction
	count, size := ss.stat()
	ss.replyf("+OK maildrop has %d messages (%d octets)", count, size)
	return false
}

// auth runs a SASL exchange (RFC 5034).
func (ss *session) auth(arg string) bool {
	f := strings.Fields(arg)
	if len(f) == 0 {
		ss.reply("+OK")
		for _, m := range ss.mechanisms() {
			ss.reply(m)
		}
		ss.reply(".")
		return false
	}
	if len(f) > 2 {
		ss.reply("-ERR usage: AUTH mechanism [initial-response]")
		return false
	}
	mech := strings.ToUpper(f[0])
	var ir []byte
	hasIR := len(f) == 2
	if hasIR && f[1] != "=" {
		var err error
		if ir, err = base64.StdEncoding.DecodeString(f[1]); err != nil {
			ss.reply("-ERR invalid base64 in initial response")
			return false
		}
	}
	switch mech {
	case "PLAIN":
		resp := ir
		if !hasIR {
			var ok, fatal bool
			if resp, ok, fatal = ss.challenge(""); !ok {
				return fatal
			}
		}
		parts := strings.Split(string(resp), "\x00")
		if len(parts) != 3 || (parts[0] != "" && parts[0] != parts[1]) {
			return ss.loggedIn(nil, errors.New("bad PLAIN response"))
		}
		return ss.login(parts[1], parts[2])
	case "LOGIN":
		user := ir
		if !hasIR {
			var ok, fatal bool
			if user, ok, fatal = ss.challenge("Username:"); !ok {
				return fatal
			}
		}
		pass, ok, fatal := ss.challenge("Password:")
		if !ok {
			return fatal
		}
		return ss.login(string(user), string(pass))
	case "XOAUTH2":
		if !ss.srv.XOAuth2 {
			break
		}
		resp := ir
		if !hasIR {
			var ok, fatal bool
			if resp, ok, fatal = ss.challenge(""); !ok {
				return fatal
			}
		}
		user, token, ok := parseXOAuth2(string(resp))
		if !ok {
			return ss.loggedIn(nil, errors.New("bad XOAUTH2 response"))
		}
		return ss.login(user, token)
	}
	ss.reply("-ERR [AUTH] unsupported authentication mechanism")
	return false
}

// challenge sends a SASL challenge and reads the client's response. ok is
// false when the exchange ended (cancelled, malformed, or the connection
// failed: then fatal is true).
func (ss *session) challenge(text string) (resp []byte, ok, fatal bool) {
	ss.reply("+ " + base64.StdEncoding.EncodeToString([]byte(text)))
	if ss.w.Flush() != nil {
		return nil, false, true
	}
	ss.deadline()
	line, err := ss.readLine()
	if errors.Is(err, errLineTooLong) {
		ss.reply("-ERR line too long")
		return nil, false, true
	}
	if err != nil {
		return nil, false, true
	}
	if line == "*" {
		ss.reply("-ERR authentication cancelled")
		return nil, false, false
	}
	resp, err = base64.StdEncoding.DecodeString(line)
	if err != nil {
		ss.reply("-ERR invalid base64 in response")
		return nil, false, false
	}
	return resp, true, false
}

// parseXOAuth2 parses "user=U\x01auth=Bearer T\x01\x01".
func parseXOAuth2(s string) (user, token string, ok bool) {
	for _, kv := range strings.Split(s, "\x01") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "user":
			user = v
		case "auth":
			scheme, t, found := strings.Cut(v, " ")
			if found && strings.EqualFold(scheme, "Bearer") {
				token = t
			}
		}
	}
	return user, token, user != "" && token != ""
}

// stat counts and sizes the messages not marked for deletion.
func (ss *session) stat() (int, int64) {
	var n int
	var size int64
	for i, m := range ss.msgs {
		if !ss.dele[i] {
			n++
			size += m.Size
		}
	}
	return n, size
}

// msgArg parses a message number argument; on failure it replies -ERR.
func (ss *session) msgArg(arg string) (int, bool) {
	f := strings.Fields(arg)
	if len(f) != 1 {
		ss.reply("-ERR usage: a message number")
		return 0, false
	}
	return ss.msgNum(f[0])
}

func (ss *session) msgNum(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > len(ss.msgs) {
		ss.reply("-ERR no such message")
		return 0, false
	}
	if ss.dele[n-1] {
		ss.replyf("-ERR message %d already deleted", n)
		return 0, false
	}
	return n - 1, true
}

// list answers LIST and UIDL, with or without a message number.
func (ss *session) list(arg string, uidl bool) {
	item := func(i int) string {
		if uidl {
			return fmt.Sprintf("%d %s", i+1, ss.msgs[i].UID)
		}
		return fmt.Sprintf("%d %d", i+1, ss.msgs[i].Size)
	}
	if strings.TrimSpace(arg) != "" {
		if i, ok := ss.msgArg(arg); ok {
			ss.reply("+OK " + item(i))
		}
		return
	}
	if uidl {
		ss.reply("+OK unique-id listing follows")
	} else {
		count, size := ss.stat()
		ss.replyf("+OK %d messages (%d octets)", count, size)
	}
	for i := range ss.msgs {
		if !ss.dele[i] {
			ss.reply(item(i))
		}
	}
	ss.reply(".")
}

func (ss *session) retr(arg string) bool {
	i, ok := ss.msgArg(arg)
	if !ok {
		return false
	}
	return ss.sendMessage(i, fmt.Sprintf("+OK %d octets", ss.msgs[i].Size), func(w io.Writer, r io.Reader) error {
		_, err := io.Copy(w, r)
		return err
	})
}

func (ss *session) top(arg string) bool {
	f := strings.Fields(arg)
	if len(f) != 2 {
		ss.reply("-ERR usage: TOP msg n")
		return false
	}
	i, ok := ss.msgNum(f[0])
	if !ok {
		return false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 {
		ss.reply("-ERR invalid line count")
		return false
	}
	return ss.sendMessage(i, "+OK top of message follows", func(w io.Writer, r io.Reader) error {
		return copyTop(w, r, n)
	})
}

// sendMessage opens message i, replies ok and sends what body copies of the
// message as a dot-stuffed multi-line response. It reports whether the
// session must end.
func (ss *session) sendMessage(i int, ok string, body func(w io.Writer, r io.Reader) error) bool {
	rc, err := ss.mbox.Open(i)
	if err != nil {
		ss.reply("-ERR [SYS/TEMP] cannot read message")
		return false
	}
	defer rc.Close()
	ss.reply(ok)
	dw := textproto.NewWriter(ss.w).DotWriter()
	if err := body(dw, rc); err != nil {
		// The reply cannot be taken back: end the session rather than
		// terminate a truncated message as if it were complete.
		return true
	}
	return dw.Close() != nil
}

// copyTop copies the header of a message, the blank line after it and the
// first n lines of its body.
func copyTop(w io.Writer, r io.Reader, n int) error {
	br := bufio.NewReader(r)
	inBody := false
	lines := 0
	for !inBody || lines < n {
		blank := false
		for first := true; ; first = false {
			piece, err := br.ReadSlice('\n')
			if first {
				blank = string(piece) == "\n" || string(piece) == "\r\n"
			}
			if _, werr := w.Write(piece); werr != nil {
				return werr
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			break
		}
		if inBody {
			lines++
		} else if blank {
			inBody = true
		}
	}
	return nil
}
