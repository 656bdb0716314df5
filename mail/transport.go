package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Protocol names a mail protocol; it selects default ports and lets a
// custom dialer (the sandbox) route connections.
type Protocol string

// The protocols the engine speaks.
const (
	SMTP Protocol = "smtp"
	POP3 Protocol = "pop3"
	IMAP Protocol = "imap"
)

// Security is the TLS mode of a connection.
type Security int

// TLS modes.
const (
	Plain       Security = iota // no TLS
	StartTLS                    // upgrade with STARTTLS/STLS; refuse to continue without it
	ImplicitTLS                 // TLS from the first byte (SMTPS, POP3S, IMAPS)
)

// String returns the mode's name: "plain", "STARTTLS" or "implicit TLS".
func (s Security) String() string {
	switch s {
	case StartTLS:
		return "STARTTLS"
	case ImplicitTLS:
		return "implicit TLS"
	}
	return "plain"
}

// SecurityFor maps the AdvPL SetUseSSL/SetUseTLS flags to a mode:
// SSL (with or without TLS) is implicit TLS, TLS alone is STARTTLS.
func SecurityFor(useSSL, useTLS bool) Security {
	switch {
	case useSSL:
		return ImplicitTLS
	case useTLS:
		return StartTLS
	}
	return Plain
}

// DefaultPort returns the standard port of proto in mode sec:
// SMTP 25/587/465, POP3 110/995, IMAP 143/993.
func DefaultPort(proto Protocol, sec Security) int {
	switch proto {
	case SMTP:
		switch sec {
		case ImplicitTLS:
			return 465
		case StartTLS:
			return 587
		}
		return 25
	case POP3:
		if sec == ImplicitTLS {
			return 995
		}
		return 110
	case IMAP:
		if sec == ImplicitTLS {
			return 993
		}
		return 143
	}
	return 0
}

// Endpoint is where to connect and how.
type Endpoint struct {
	// Host is the server's name or address.
	Host string
	Port int // 0 means DefaultPort
	// Security is the TLS mode of the connection.
	Security Security
}

// Addr returns host:port with the default port filled in.
func (e Endpoint) Addr(proto Protocol) string {
	port := e.Port
	if port == 0 {
		port = DefaultPort(proto, e.Security)
	}
	return net.JoinHostPort(e.Host, strconv.Itoa(port))
}

// SplitHostPort accepts "host", "host:port" or "[v6]:port". The port is 0
// when absent. A non-numeric port is an ErrInvalidArgument error.
func SplitHostPort(s string) (host string, port int, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", 0, nil
	}
	h, p, splitErr := net.SplitHostPort(s)
	if splitErr != nil {
		// No port, or a bare IPv6 address.
		return strings.Trim(s, "[]"), 0, nil
	}
	n, convErr := strconv.Atoi(p)
	if convErr != nil || n < 0 || n > 65535 {
		return "", 0, NewError(ErrInvalidArgument, "parse server address", "", fmt.Errorf("bad port %q in %q", p, s))
	}
	return h, n, nil
}

// DialFunc opens the raw (pre-TLS) connection to ep for proto. Hosts and the
// sandbox override it to route connections; the default dials TCP.
type DialFunc func(ctx context.Context, proto Protocol, ep Endpoint) (net.Conn, error)

// TokenFunc returns a fresh OAuth2 access token for user (XOAUTH2).
type TokenFunc func(ctx context.Context, user string) (string, error)

// Transport holds what every connection needs: configuration, how to dial,
// which CAs to trust, where the trace goes and where OAuth2 tokens come from.
// A Transport is safe for concurrent use once built.
type Transport struct {
	// Config is the [Mail] configuration; nil means DefaultConfig.
	Config *Config
	// Dial replaces the TCP dialer when set.
	Dial DialFunc
	// RootCAs, when set, are trusted in addition to the system pool and CAFile.
	RootCAs *x509.CertPool
	// Trace receives the protocol trace when not nil (already redacted by the clients).
	Trace io.Writer
	// Token supplies OAuth2 access tokens for XOAUTH2 when a script passes an
	// empty "oauth2:" password.
	Token TokenFunc
}

// NewTransport returns a Transport for cfg (DefaultConfig when nil). When
// cfg.Trace is set the trace goes to cfg.TraceFile or stderr.
func NewTransport(cfg *Config) (*Transport, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	t := &Transport{Config: cfg}
	if cfg.Trace {
		if cfg.TraceFile != "" {
			f, err := os.OpenFile(cfg.TraceFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				return nil, fmt.Errorf("open MailTraceFile: %w", err)
			}
			t.Trace = f
		} else {
			t.Trace = os.Stderr
		}
	}
	return t, nil
}

func (t *Transport) config() *Config {
	if t == nil || t.Config == nil {
		return DefaultConfig()
	}
	return t.Config
}

// TLSConfig returns the client TLS configuration for host: system roots plus
// CAFile plus RootCAs, verification on unless host is listed in
// TLSInsecureHosts, minimum version from the config.
func (t *Transport) TLSConfig(host string) (*tls.Config, error) {
	cfg := t.config()
	tc := &tls.Config{ServerName: host, MinVersion: cfg.MinTLSVersion}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	if cfg.CAFile != "" || (t != nil && t.RootCAs != nil) {
		var pools []*x509.CertPool // tried in turn, then the system roots
		if t != nil && t.RootCAs != nil {
			pools = append(pools, t.RootCAs)
		}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, NewError(ErrFile, "read [Mail] CAFile", "", err)
			}
			file := x509.NewCertPool()
			if !file.AppendCertsFromPEM(pem) {
				return nil, NewError(ErrFile, "read [Mail] CAFile", "", fmt.Errorf("%s holds no PEM certificate", cfg.CAFile))
			}
			pools = append(pools, file)
		}
		// x509.CertPool has no merge, and loading the system roots costs
		// tens of milliseconds: verify by hand against each pool, and load
		// the system roots only when none of them verifies the server.
		tc.InsecureSkipVerify = true // verification is done below
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			return verifyAny(cs, host, pools)
		}
	}
	if cfg.Insecure(host) {
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = nil
	}
	return tc, nil
}

// systemRoots loads the system roots once per process, on first need.
var systemRoots = sync.OnceValue(func() *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil {
		return nil
	}
	return pool
})

// verifyAny verifies the server's chain against each pool in turn, then
// against the system roots. The error reported is the most telling one: a
// pool that knows the issuer but finds the name or dates wrong says more
// than "unknown authority" from the others.
func verifyAny(cs tls.ConnectionState, host string, pools []*x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("tls: server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{DNSName: host, Intermediates: inter}
	pools = append(pools[:len(pools):len(pools)], nil) // nil: the system roots, loaded last
	var first, telling error
	for _, p := range pools {
		if p == nil {
			if p = systemRoots(); p == nil {
				continue
			}
		}
		opts.Roots = p
		_, err := cs.PeerCertificates[0].Verify(opts)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
		var unknown x509.UnknownAuthorityError
		if telling == nil && !errors.As(err, &unknown) {
			telling = err
		}
	}
	if telling != nil {
		return telling
	}
	return first
}

// DialConn opens a connection to ep for proto within timeout, performing the
// TLS handshake for ImplicitTLS. STARTTLS is left to the protocol client.
// Errors are *Error values with the right code.
func (t *Transport) DialConn(ctx context.Context, proto Protocol, ep Endpoint, timeout time.Duration) (net.Conn, error) {
	if ep.Host == "" {
		return nil, NewError(ErrNotInitialized, fmt.Sprintf("%s connect", proto), "", fmt.Errorf("no server name"))
	}
	addr := ep.Addr(proto)
	op := fmt.Sprintf("%s connect %s (%s)", proto, addr, ep.Security)
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var conn net.Conn
	var err error
	if t != nil && t.Dial != nil {
		conn, err = t.Dial(ctx, proto, ep)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, Classify(op, err)
	}
	if proto == SMTP {
		conn = &replyLimitConn{Conn: conn, max: smtpMaxReply}
	}
	if ep.Security != ImplicitTLS {
		return conn, nil
	}
	tc, err := t.TLSConfig(ep.Host)
	if err != nil {
		conn.Close()
		return nil, err
	}
	tlsConn := tls.Client(conn, tc)
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, TLSError(op, err)
	}
	return tlsConn, nil
}

// TLSError classifies a handshake error: certificate problems become
// ErrCertUntrusted with an explanation; a non-TLS peer (plain port)
// becomes ErrTLSHandshake with a hint.
func TLSError(op string, err error) *Error {
	e := Classify(op, err)
	switch e.Code {
	case ErrCertUntrusted:
		e.Reply = certificateProblem(err)
	case ErrConnectionLost, ErrTLSHandshake:
		e.Code = ErrTLSHandshake
		e.Reply = "the server did not answer TLS; is the port plain (use SetUseTLS/STARTTLS, or the TLS port)?"
	}
	return e
}

// Tracef writes one line to the trace, if any.
func (t *Transport) Tracef(format string, args ...any) {
	if t == nil || t.Trace == nil {
		return
	}
	fmt.Fprintf(t.Trace, format+"\n", args...)
}

// fallbackSecurity returns the TLS mode to retry with after err in mode
// sec, when err shows that the port speaks the other one: implicit TLS
// answered in clear text (the server greeted first) is retried with
// STARTTLS; a clear session answered by TLS records, silence or a close
// before the greeting is retried with implicit TLS.
func fallbackSecurity(sec Security, err error) (Security, bool) {
	code := CodeOf(err)
	switch {
	case sec == ImplicitTLS && code == ErrTLSHandshake:
		return StartTLS, true
	case sec != ImplicitTLS && (code == ErrTLSHandshake || code == ErrConnectionLost ||
		code == ErrTimeout || code == ErrProtocol):
		return ImplicitTLS, true
	}
	return sec, false
}

// withFallback runs dial in mode ep.Security and, when [Mail] TryProtocols
// is set and fallback reads the error as a TLS-mode mismatch, once more in
// the other mode on the same port. When the other mode fails too with a
// connection-level error, the first error is returned, as it says more.
// Without TryProtocols a mismatch gets a hint in its Reply when it has none.
func withFallback[C any](ctx context.Context, t *Transport, proto Protocol, ep Endpoint,
	fallback func(Security, error) (Security, bool), dial func(Endpoint) (C, error)) (C, error) {
	if ep.Port == 0 {
		ep.Port = DefaultPort(proto, ep.Security) // a fallback keeps the same port
	}
	c, err := dial(ep)
	if err == nil || ctx.Err() != nil {
		return c, err
	}
	alt, ok := fallback(ep.Security, err)
	if !ok {
		return c, err
	}
	if !t.config().TryProtocols {
		var e *Error
		if errors.As(err, &e) && e.Reply == "" {
			e.Reply = fmt.Sprintf("no %s greeting; if the port expects %s use SetUseSSL/SetUseTLS accordingly, or set TryProtocols=1 in [Mail]", proto, alt)
		}
		return c, err
	}
	t.Tracef("%s: %s to %s failed (%v); TryProtocols=1: retrying with %s", proto, ep.Security, ep.Addr(proto), err, alt)
	ep.Security = alt
	c2, err2 := dial(ep)
	if err2 == nil {
		return c2, nil
	}
	switch CodeOf(err2) {
	case ErrTLSHandshake, ErrTimeout, ErrConnectionLost, ErrProtocol:
		return c, err // the other mode did not work either
	}
	return c2, err2 // the port speaks the other mode but failed for another reason (e.g. its certificate)
}

// CheckLine rejects values that would break or inject into a protocol
// command line or a header: CR, LF and NUL, with an ErrInvalidArgument
// *Error naming what. It is exported for package bindings, which checks
// the header values scripts set (TMailMessage:AddCustomHeader) with the
// same rule before a message is built; hosts need not call it.
func CheckLine(what, v string) error {
	if strings.ContainsAny(v, "\r\n\x00") {
		return NewError(ErrInvalidArgument, what, "", fmt.Errorf("%s contains a line break", what))
	}
	return nil
}

// minTransferRate is the slowest transfer rate, in bytes per second, that
// extends a command's overall deadline: a command may take its timeout plus
// one second per minTransferRate bytes moved (read or written). A server
// that trickles bytes gets the timeout and little more. A variable for the
// tests.
var minTransferRate int64 = 8 << 10

// commandBudget is the overall deadline of one command: the configured
// timeout from the command's start, extended by the bytes actually moving
// at minTransferRate. The zero value has not started.
type commandBudget struct {
	start time.Time
	moved int64
}

// begin starts the budget of a new command at now.
func (b *commandBudget) begin(now time.Time) {
	b.start, b.moved = now, 0
}

// add counts n bytes moved.
func (b *commandBudget) add(n int) {
	if n > 0 {
		b.moved += int64(n)
	}
}

// deadline returns when the command must end for timeout.
func (b *commandBudget) deadline(timeout time.Duration) time.Time {
	rate := max(minTransferRate, 1)
	extra := time.Duration(b.moved/rate)*time.Second + time.Duration(b.moved%rate)*time.Second/time.Duration(rate)
	return b.start.Add(timeout + extra)
}

// next returns the deadline of the next wait: timeout from now, but never
// past the command's overall deadline.
func (b *commandBudget) next(now time.Time, timeout time.Duration) time.Time {
	d := now.Add(timeout)
	if b.start.IsZero() {
		return d
	}
	if end := b.deadline(timeout); end.Before(d) {
		return end
	}
	return d
}

// smtpMaxReply bounds what an SMTP server may send between two writes of
// the client: no reply, however many lines, legitimately comes near it.
var smtpMaxReply int64 = 1 << 20

// replyLimitConn fails the reads of a connection once the peer sent more
// than max bytes since the client last wrote: a server sending an endless
// line or multi-line reply is cut off (ErrProtocol) instead of filling
// memory until the timeout.
type replyLimitConn struct {
	net.Conn
	max int64

	mu   sync.Mutex
	read int64
	err  error
}

func (c *replyLimitConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read += int64(n)
	if c.read > c.max {
		c.err = NewError(ErrProtocol, "read server reply", "",
			fmt.Errorf("hostile or broken server: more than %d KiB without waiting for a command", c.max>>10))
		c.Conn.Close()
		return 0, c.err
	}
	return n, err
}

func (c *replyLimitConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.read = 0
	c.mu.Unlock()
	return c.Conn.Write(p)
}
