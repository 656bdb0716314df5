package mail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"os"
	"strings"
	"unicode/utf8"
)

// Header is one header field, name as written, value decoded to UTF-8.
type Header struct {
	// Name is the field name as written (Subject, X-Priority).
	Name string
	// Value is the field value, decoded when parsed.
	Value string
}

// Attachment is one attached part: a file, in-memory content, an inline image
// or, when parsed, an attached message (message/rfc822).
type Attachment struct {
	Name            string   // file name (decoded UTF-8); may be empty when parsed
	ContentType     string   // MIME type, e.g. "application/pdf"
	Disposition     string   // "attachment" or "inline"
	DispositionName string   // filename parameter of Content-Disposition
	ContentID       string   // without angle brackets
	Location        string   // Content-Location
	Data            []byte   // decoded content (see Content: it may be in a file instead)
	Headers         []Header // extra MIME headers added with AddAttHTag, applied when building

	// Path, when Data is nil, names the file holding the content: it is
	// read when the message is built, streamed, never held whole.
	Path string

	spill *spillRef // content left in the spill file of a big received message
}

// Size returns the size in bytes of the decoded content; for a Path
// attachment, the size of the file now (-1 when it cannot be read).
func (a *Attachment) Size() int64 {
	switch {
	case a.spill != nil:
		return a.spill.size
	case a.Data == nil && a.Path != "":
		fi, err := os.Stat(a.Path)
		if err != nil {
			return -1
		}
		return fi.Size()
	}
	return int64(len(a.Data))
}

// Open returns a reader of the decoded content: Data, the file Path, or the
// part of a big received message left in its spill file (decoded as it is
// read). The caller closes it.
func (a *Attachment) Open() (io.ReadCloser, error) {
	switch {
	case a.spill != nil:
		if a.spill.h == nil || a.spill.h.f.removed() {
			return nil, NewError(ErrFile, "read attachment", "", errors.New("the message was closed"))
		}
		return a.spill.open(), nil
	case a.Data == nil && a.Path != "":
		f, err := os.Open(a.Path)
		if err != nil {
			return nil, NewError(ErrAttachmentNotFound, "attach "+a.Path, "", err)
		}
		return f, nil
	}
	return io.NopCloser(bytes.NewReader(a.Data)), nil
}

// Content returns the decoded content, read into memory when it is in a
// file.
func (a *Attachment) Content() ([]byte, error) {
	if a.spill == nil && (a.Data != nil || a.Path == "") {
		return a.Data, nil
	}
	rc, err := a.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	if n := a.Size(); n > 0 {
		buf.Grow(int(n))
	}
	if _, err := io.Copy(&buf, rc); err != nil {
		return nil, NewError(ErrFile, "read attachment", "", err)
	}
	return buf.Bytes(), nil
}

// WriteContentTo writes the decoded content to w, streaming it.
func (a *Attachment) WriteContentTo(w io.Writer) (int64, error) {
	rc, err := a.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(w, rc)
}

// Message is an e-mail in the shape of TMailMessage. Address fields hold the
// lists as scripts write them ("João <j@x>; b@y"); Build encodes them.
//
// Text fields that are not valid UTF-8 (AdvPL sources are often written in
// Windows-1252) are read as Windows-1252 when the message is built.
type Message struct {
	// The addresses, as the script sets them: comma- or semicolon-separated
	// lists, display names allowed.
	From, To, Cc, Bcc, ReplyTo string
	// Subject is the subject, unencoded.
	Subject   string
	Body      string // the body as set by the script / the HTML (else text) body when parsed
	BodyType  string // "text/html" (default) or "text/plain"
	MessageID string // without angle brackets; generated when empty
	Date      string // RFC 5322 date; now when empty or unparseable (e.g. "25/11/2026")
	// XMailer is the X-Mailer header, "" for none.
	XMailer     string
	Priority    int      // X-Priority 1..5; 0 means unset (3)
	ConfirmRead bool     // Disposition-Notification-To: ReplyTo, else From
	Headers     []Header // custom headers (AddCustomHeader); when parsed, every header of the message
	// Attachments are the attached files, in order.
	Attachments []*Attachment

	// Set by Parse: the text and HTML alternatives, decoded to UTF-8.
	TextBody, HTMLBody string
	// Set by Parse when the message went beyond the part or nesting limits
	// and the rest was not read: why, in English; "" when it was read whole.
	Truncated string

	spill *spillHandle // the spill file of big attachments (see ParseSpool)
}

var errNotImplemented = errors.New("not implemented yet")

// ParseAddressList parses a recipient list separated by ';' or ',', with
// optional display names (quoted or not, RFC 2047 encoded or raw UTF-8).
// Empty entries (trailing or doubled separators, blanks) are skipped. An entry
// that is not an address gives an *Error with code ErrInvalidArgument naming
// the entry. An empty list gives no addresses and no error.
//
// A list holding CR, LF (other than a header fold: CRLF or LF before a
// blank, between entries) or another control character (tab aside), or an
// entry holding more than one angle address ("<a@b> <c@d>"), is refused
// with ErrInvalidArgument: it is ambiguous, never guessed at.
func ParseAddressList(s string) ([]*netmail.Address, error) {
	s = unfoldAddresses(s)
	if i := strings.IndexFunc(s, func(r rune) bool { return r != '\t' && (r < ' ' || r == 0x7f) }); i >= 0 {
		return nil, NewError(ErrInvalidArgument, "parse address list", "",
			fmt.Errorf("the address list contains a control character (%q)", s[i]))
	}
	s = strings.ReplaceAll(toUTF8(s), "\t", " ")
	var out []*netmail.Address
	for _, entry := range splitAddressList(s) {
		a, err := parseAddress(entry)
		if err != nil {
			return nil, NewError(ErrInvalidArgument, "parse address list", "",
				fmt.Errorf("invalid address %q: %w", entry, err))
		}
		out = append(out, a)
	}
	return out, nil
}

// parseAddress parses one entry of a list: "Name <a@b>", "\"Name\" <a@b>",
// "<a@b>", "a@b" or "a@b (Name)", the name possibly RFC 2047 encoded.
func parseAddress(entry string) (*netmail.Address, error) {
	if n := countAngles(entry); n > 1 {
		return nil, fmt.Errorf("%d angle addresses in one entry: separate addresses with ';'", n)
	}
	p := netmail.AddressParser{WordDecoder: wordDecoder}
	a, err := p.Parse(entry)
	if err != nil {
		// Unquoted display names with characters net/mail refuses
		// ("Fulano (TI) <f@x>", "Silva & Filhos <s@x>"): take the angle
		// address and keep the rest as the name.
		open := strings.LastIndexByte(entry, '<')
		if open < 0 || !strings.HasSuffix(entry, ">") {
			return nil, err
		}
		addr, aerr := p.Parse(entry[open:])
		if aerr != nil {
			return nil, err
		}
		addr.Name = strings.Trim(strings.TrimSpace(entry[:open]), `"`)
		a = addr
	}
	// net/mail leaves encoded words inside quoted strings alone (decode them
	// as mail clients do) and may decode words into invalid UTF-8.
	a.Name = decodeWords(a.Name)
	return a, nil
}

// unfoldAddresses replaces header folds (CRLF or LF followed by a blank)
// with a space; other line breaks are left for the caller to refuse.
func unfoldAddresses(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "\r\n ") || strings.HasPrefix(s[i:], "\r\n\t"):
			b.WriteByte(' ')
			i += 2
		case strings.HasPrefix(s[i:], "\n ") || strings.HasPrefix(s[i:], "\n\t"):
			b.WriteByte(' ')
			i++
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// countAngles counts the '<' outside quoted strings and comments.
func countAngles(s string) int {
	n, quoted, escaped, depth := 0, false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\' && (quoted || depth > 0):
			escaped = true
		case quoted:
			quoted = c != '"'
		case c == '"':
			quoted = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0 && c == '<':
			n++
		}
	}
	return n
}

// EnvelopeAddress returns addr (an addr-spec as net/mail gives it: the
// local part unquoted) in the form RFC 5321 requires in MAIL FROM and RCPT
// TO: a local part that is not a dot-atom ("a b", "x@y", "@r:v") is sent as
// a quoted string, so the server gets the same mailbox, never another one.
// A local part that cannot be quoted (control characters) is an
// ErrInvalidArgument error.
func EnvelopeAddress(addr string) (string, error) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", NewError(ErrInvalidArgument, "envelope address", "", fmt.Errorf("%q is not user@domain", addr))
	}
	local, domain := addr[:at], addr[at+1:]
	if isDotAtom(local) {
		return addr, nil
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range local {
		if r < ' ' || r == 0x7f {
			return "", NewError(ErrInvalidArgument, "envelope address", "", fmt.Errorf("%q has a control character", addr))
		}
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteString(`"@`)
	b.WriteString(domain)
	return b.String(), nil
}

// isDotAtom reports whether s is an RFC 5321 dot-string (UTF-8 allowed,
// for SMTPUTF8).
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 0x80, r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r):
		default:
			return false
		}
	}
	return true
}

// splitAddressList splits s at ',' and ';' outside quoted strings, comments
// and angle brackets, trimming entries and dropping empty ones.
func splitAddressList(s string) []string {
	var (
		out     []string
		start   int
		quoted  bool
		escaped bool
		depth   int // parentheses
		angle   bool
	)
	add := func(e string) {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\' && (quoted || depth > 0):
			escaped = true
		case quoted:
			if c == '"' {
				quoted = false
			}
		case c == '"':
			quoted = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case (c == ',' || c == ';') && !angle:
			add(s[start:i])
			start = i + 1
		}
	}
	add(s[start:])
	return out
}

// Recipients returns the envelope recipients: To, Cc and Bcc addr-specs,
// without duplicates (compared without regard to case), in order. It fails
// with ErrInvalidArgument when a list is malformed and with ErrNoRecipients
// when there is nobody to send to.
func (m *Message) Recipients() ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	for _, f := range []struct{ name, list string }{{"To", m.To}, {"Cc", m.Cc}, {"Bcc", m.Bcc}} {
		addrs, err := ParseAddressList(f.list)
		if err != nil {
			return nil, fieldError(f.name, err)
		}
		for _, a := range addrs {
			env, err := EnvelopeAddress(a.Address)
			if err != nil {
				return nil, fieldError(f.name, err)
			}
			key := strings.ToLower(env)
			if !seen[key] {
				seen[key] = true
				out = append(out, env)
			}
		}
	}
	if len(out) == 0 {
		return nil, NewError(ErrNoRecipients, "message recipients", "", errors.New("To, Cc and Bcc are empty"))
	}
	return out, nil
}

// Sender returns the envelope sender (the addr-spec of From; the first one
// when From lists several). It fails with ErrInvalidArgument when From is
// empty or invalid.
func (m *Message) Sender() (string, error) {
	addrs, err := ParseAddressList(m.From)
	if err != nil {
		return "", fieldError("From", err)
	}
	if len(addrs) == 0 {
		return "", NewError(ErrInvalidArgument, "message sender", "", errors.New("From is empty"))
	}
	env, err := EnvelopeAddress(addrs[0].Address)
	if err != nil {
		return "", fieldError("From", err)
	}
	return env, nil
}

// fieldError names the message field in an address-list error.
func fieldError(field string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return NewError(e.Code, "message "+field, "", e.Err)
	}
	return NewError(ErrInvalidArgument, "message "+field, "", err)
}

// WriteTo writes the message in RFC 5322 form (Bcc never included). The
// message is built completely before anything is written, so a build error
// (ErrInvalidArgument, ErrMalformedMessage) leaves w untouched; write errors
// are classified (ErrConnectionLost, ErrTimeout, ...).
//
// Attachments are encoded as they are written, never held whole: a file
// attachment (Path) or a big received one is read while it is written, so
// a read failure then (ErrAttachmentNotFound, ErrFile) may leave w with
// part of the message.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	b, err := m.prepare(false)
	if err != nil {
		return 0, buildError(err)
	}
	cw := &countWriter{w: w}
	if err := b.write(&writeErrWriter{w: cw}); err != nil {
		var we *writeError
		if errors.As(err, &we) {
			return cw.n, Classify("write message", we.err)
		}
		return cw.n, buildError(err)
	}
	return cw.n, nil
}

// writeError marks an error of the destination writer, as opposed to one
// of the message or its attachments.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

type writeErrWriter struct{ w io.Writer }

func (w *writeErrWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}

// buildError keeps an *Error, else calls err a malformed message.
func buildError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return NewError(ErrMalformedMessage, "build message", "", err)
}

// Bytes returns the message in RFC 5322 form: CRLF line endings, UTF-8 text
// encoded for 7-bit transport (RFC 2047 headers, quoted-printable or base64
// bodies, RFC 2231 file names). See build for the layout.
func (m *Message) Bytes() ([]byte, error) { return m.encode(false) }

// StoredBytes is Bytes with a Bcc header, for a message kept in a file or a
// string to be sent later (TMailMessage Save/ToStr): Parse reads the Bcc
// back, and sending strips it again.
func (m *Message) StoredBytes() ([]byte, error) { return m.encode(true) }

func (m *Message) encode(withBcc bool) ([]byte, error) {
	var buf bytes.Buffer
	if err := m.build(&buf, withBcc); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, NewError(ErrMalformedMessage, "build message", "", err)
	}
	return buf.Bytes(), nil
}

// Header returns the value of the first header named name (any case, a
// trailing colon tolerated), decoded.
func (m *Message) Header(name string) (string, bool) {
	name = strings.TrimSpace(name)
	name = strings.TrimSpace(strings.TrimSuffix(name, ":"))
	for _, h := range m.Headers {
		if strings.EqualFold(strings.TrimSpace(h.Name), name) {
			return h.Value, true
		}
	}
	return "", false
}

// AddHeader adds a raw MIME header line "Name: value" to the attachment, as
// TMailMessage:AddAttHTag does. A trailing line break is tolerated; a line
// without a colon, with an invalid name or with a line break inside gives an
// ErrInvalidArgument error. The header is applied when the message is built:
// Content-ID makes the part an inline part (multipart/related with the HTML
// body), Content-Disposition may rename it or force a disposition,
// Content-Type overrides the type, other headers are copied.
func (a *Attachment) AddHeader(line string) error {
	line = strings.TrimRight(line, "\r\n")
	if err := CheckLine("attachment header", line); err != nil {
		return err
	}
	i := strings.IndexByte(line, ':')
	if i < 0 {
		return NewError(ErrInvalidArgument, "attachment header", "",
			fmt.Errorf("header %q has no colon (want \"Name: value\")", line))
	}
	name, value := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
	if !validFieldName(name) {
		return NewError(ErrInvalidArgument, "attachment header", "",
			fmt.Errorf("invalid header name %q", name))
	}
	a.Headers = append(a.Headers, Header{Name: name, Value: value})
	return nil
}

// validFieldName reports whether s is a valid header field name: printable
// US-ASCII except the colon (RFC 5322 section 3.6.8).
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < '!' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

// wordDecoder decodes RFC 2047 encoded words in any charset known to
// go-message/charset; it never fails on an unknown charset (see
// lenientCharsetReader).
var wordDecoder = &mime.WordDecoder{CharsetReader: lenientCharsetReader}

// decodeWords decodes the RFC 2047 encoded words of s. The result is valid
// UTF-8: stray bytes that are not UTF-8 are read as Windows-1252.
func decodeWords(s string) string {
	if strings.Contains(s, "=?") {
		if d, err := wordDecoder.DecodeHeader(s); err == nil {
			s = d
		}
	}
	return fixUTF8(s)
}

// toUTF8 returns s unchanged when it is valid UTF-8 and otherwise reads it as
// Windows-1252, the usual encoding of 8-bit text from Windows programs.
func toUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return decodeWindows1252([]byte(s))
}
