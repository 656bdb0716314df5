package mail

import (
	"bytes"
	"io"
	"regexp"
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
	authCmd = regexp.MustCompile(`(?i)^((?:\S+ )?(?:AUTH|AUTHENTICATE)) +(\S+)(?: +\S.*)?$`)
	// IMAP "tag LOGIN user pass", POP3 "USER x"/"PASS x", "APOP user digest".
	loginCmd = regexp.MustCompile(`(?i)^(\S+ LOGIN) .*$`)
	passCmd  = regexp.MustCompile(`(?i)^(PASS|APOP) .*$`)
	// A server line that ends an auth exchange: SMTP non-334 code, POP3 +OK/-ERR,
	// IMAP tagged or untagged response.
	authEnd = regexp.MustCompile(`^(?:[0-9]{3}[ -]|\+OK|-ERR|\* |[A-Za-z0-9.]+ (?:OK|NO|BAD)\b)`)
	// Continuations that are part of the exchange: SMTP 334, IMAP/POP3 "+ ".
	authCont = regexp.MustCompile(`^(?:334[ -]|\+ |\+$)`)
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
		tw.inAuth = true
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
			return line
		}
		return dir + "[redacted]"
	}
	return line
}
