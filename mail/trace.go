package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"sync"
)

// TraceWriter is an io.Writer for protocol debug output (go-smtp's and
// go-imap's DebugWriter, the POP3 client's trace) that removes secrets before
// they reach the underlying writer: the arguments of AUTH, AUTHENTICATE,
// LOGIN, PASS and APOP commands, and every line of a SASL exchange (server
// challenges and client responses) until the server's final answer.
//
// Output is line based: each complete line is prefixed with the protocol name.
type TraceWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
	inAuth bool
	sent   []string // payloads the client sent in the running auth exchange
	done   string   // tag of the last tagged IMAP response seen
}

// NewTraceWriter returns a redacting writer to w that prefixes lines with proto.
func NewTraceWriter(w io.Writer, proto Protocol) *TraceWriter {
	return &TraceWriter{w: w, prefix: string(proto) + ": "}
}

// TraceTo returns a redacting writer for t's trace, or nil when tracing is off.
func (t *Transport) TraceTo(proto Protocol) io.Writer {
	if t == nil || t.Trace == nil {
		return nil
	}
	return NewTraceWriter(t.Trace, proto)
}

var (
	// SMTP/POP3 "AUTH mech [initial]", IMAP "tag AUTHENTICATE mech [initial]".
	authCmd = lazyRE(`(?i)^((?:\S+ )?(?:AUTH|AUTHENTICATE)) +(\S+)(?: +\S.*)?$`)
	// IMAP "tag LOGIN user pass", POP3 "USER x"/"PASS x", "APOP user digest".
	loginCmd = lazyRE(`(?i)^(\S+ LOGIN) .*$`)
	passCmd  = lazyRE(`(?i)^(PASS|APOP) .*$`)
	// A server line that ends an auth exchange: SMTP non-334 code, POP3 +OK/-ERR,
	// IMAP tagged or untagged response.
	authEnd = lazyRE(`^(?:[0-9]{3}[ -]|\+OK|-ERR|\* |[A-Za-z0-9.]+ (?:OK|NO|BAD)\b)`)
	// Continuations that are part of the exchange: SMTP 334, IMAP/POP3 "+ ".
	authCont = lazyRE(`^(?:334[ -]|\+ |\+$)`)
)

// Write implements io.Writer. It never fails because of redaction and
// always reports len(p) written.
func (tw *TraceWriter) Write(p []byte) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.buf = append(tw.buf, p...)
	for {
		i := bytes.IndexByte(tw.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(tw.buf[:i]), "\r")
		tw.buf = tw.buf[i+1:]
		io.WriteString(tw.w, tw.prefix+tw.redact(line)+"\n")
	}
	if len(tw.buf) > 64*1024 { // a huge literal without newline: flush, redacted if in auth
		line := string(tw.buf)
		tw.buf = tw.buf[:0]
		io.WriteString(tw.w, tw.prefix+tw.redact(line)+"\n")
	}
	return len(p), nil
}

// Line writes one complete line (the POP3 client's own tracing).
func (tw *TraceWriter) Line(dir, line string) {
	if tw == nil {
		return
	}
	tw.Write([]byte(dir + line + "\n"))
}

func (tw *TraceWriter) redact(line string) string {
	body := line
	dir := ""
	if strings.HasPrefix(line, "C: ") || strings.HasPrefix(line, "S: ") {
		dir, body = line[:3], line[3:]
	}
	if m := authCmd.FindStringSubmatch(body); m != nil {
		// imapclient may trace its command after the server's answer to
		// it: an exchange already answered is not waited for.
		tag, _, _ := strings.Cut(body, " ")
		tw.inAuth = tw.done == "" || tag != tw.done
		tw.done = ""
		tw.sent = tw.sent[:0]
		if f := strings.Fields(body); len(f) > 0 && f[len(f)-1] != m[2] {
			tw.remember(f[len(f)-1]) // the initial response
		}
		return dir + m[1] + " " + m[2] + " [redacted]"
	}
	if m := loginCmd.FindStringSubmatch(body); m != nil {
		return dir + m[1] + " [redacted]"
	}
	if m := passCmd.FindStringSubmatch(body); m != nil {
		return dir + m[1] + " [redacted]"
	}
	if tw.inAuth {
		if authCont.MatchString(body) {
			return dir + body[:min(len(body), 4)] + "[redacted]"
		}
		if authEnd.MatchString(body) {
			tw.inAuth = false
			tw.done = ""
			line = redactEcho(line, tw.sent)
			tw.sent = tw.sent[:0]
			return line
		}
		tw.remember(body)
		return dir + "[redacted]"
	}
	if m := taggedEnd.FindStringSubmatch(body); m != nil {
		tw.done = m[1]
	}
	return line
}

// taggedEnd is an IMAP tagged response.
var taggedEnd = lazyRE(`^([A-Za-z0-9.]+) (?:OK|NO|BAD)\b`)

// remember keeps a client payload of the auth exchange, to hide it should
// the server echo it (a few, bounded).
func (tw *TraceWriter) remember(payload string) {
	if len(payload) >= 4 && len(tw.sent) < 16 {
		tw.sent = append(tw.sent, payload)
	}
}

// authEcho finds "AUTH <mech> <payload>" (or AUTHENTICATE) inside a reply.
var authEcho = lazyRE(`(?i)\b((?:AUTH|AUTHENTICATE)\s+[A-Z0-9_-]+)\s+[A-Za-z0-9+/=]{2,}`)

// redactEcho hides, in a server line, an echoed "AUTH mech payload" and
// every occurrence of payloads.
func redactEcho(line string, payloads []string) string {
	line = authEcho.ReplaceAllString(line, "$1 [redacted]")
	for _, p := range payloads {
		if len(p) >= 4 {
			line = strings.ReplaceAll(line, p, "[redacted]")
		}
	}
	return line
}

// base64Token finds words that may be base64 payloads.
var base64Token = lazyRE(`[A-Za-z0-9+/]{8,}={0,2}`)

// RedactReply hides authentication payloads that a server echoed in reply
// (shown by GetErrorString, MailGetErr and the trace): what follows "AUTH
// <mech>", each secret (the password, a token) of 4 bytes or more, and every
// base64 word whose decoding contains a secret (PLAIN, LOGIN, XOAUTH2
// payloads).
func RedactReply(reply string, secrets ...string) string {
	reply = redactEcho(reply, secrets)
	return base64Token.ReplaceAllStringFunc(reply, func(w string) string {
		dec, err := base64.StdEncoding.DecodeString(w)
		if err != nil {
			if dec, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(w, "=")); err != nil {
				return w
			}
		}
		for _, s := range secrets {
			if s != "" && bytes.Contains(dec, []byte(s)) {
				return "[redacted]"
			}
		}
		return w
	})
}

// redactAuthError applies RedactReply to the reply and cause of the
// *Error in err, if any, and returns err.
func redactAuthError(err error, secrets ...string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	e.Reply = RedactReply(e.Reply, secrets...)
	if e.Err != nil {
		if msg := e.Err.Error(); RedactReply(msg, secrets...) != msg {
			e.Err = errors.New(RedactReply(msg, secrets...))
		}
	}
	return err
}
