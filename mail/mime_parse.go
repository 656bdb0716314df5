package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset" // registers every charset with go-message
)

// Limits that keep Parse linear on hostile input.
const (
	maxMultipartDepth = 50    // nested multiparts deeper than this are dropped
	maxParts          = 10000 // parts beyond this are dropped
	maxContinuations  = 1000  // RFC 2231 continuations per parameter
)

// Parse reads an RFC 5322 message, best effort: it never panics, decodes every
// charset go-message knows, and returns ErrMalformedMessage only when nothing
// usable could be read.
//
// Header values are decoded (RFC 2047 in any charset, raw 8-bit bytes that
// are not UTF-8 read as Windows-1252). The first text/plain and text/html
// parts that are not attachments become TextBody and HTMLBody (Body is the
// HTML one when present); every other leaf part becomes an Attachment, its
// transfer encoding decoded (what a broken base64 still yields is kept).
// Text without a charset is UTF-8 when valid, Windows-1252 otherwise.
// Attached messages (message/rfc822) are kept whole, not descended into.
func Parse(r io.Reader) (*Message, error) {
	return ParseContext(context.Background(), r)
}

// ParseContext is Parse, cancellable: parsing stops with ErrCanceled once
// ctx is done. Parsing is linear in the size of the message.
//
// Beyond maxParts parts or maxMultipartDepth nesting levels the rest of the
// message is not read; Message.Truncated then says so (the message is still
// returned, without error).
func ParseContext(ctx context.Context, r io.Reader) (*Message, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if r == nil {
		return nil, NewError(ErrInvalidArgument, "parse message", "", errors.New("nil reader"))
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, Classify("read message", err)
	}
	return parseBytesContext(ctx, bytes.TrimPrefix(data, utf8BOM)) // a BOM from a Windows editor
}

// utf8BOM is the byte order mark a Windows editor may put first.
var utf8BOM = []byte("\ufeff")

// ParseSpool parses the message collected in s, as ParseContext does, and
// releases s. A message kept in memory is parsed in memory. A message s
// left in a temporary file is parsed from it: its attachments larger than
// 256 KiB stay in the file (Attachment.Open and Content read them), the
// Message owns the file and Close removes it.
func ParseSpool(ctx context.Context, s *Spool) (*Message, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if s == nil {
		return nil, NewError(ErrInvalidArgument, "parse message", "", errors.New("nil spool"))
	}
	f, buf, n, err := s.finish()
	if err != nil {
		return nil, err
	}
	if f == nil {
		return parseBytesContext(ctx, bytes.TrimPrefix(buf, utf8BOM))
	}
	reg := region{f: f, n: n}
	var head [3]byte
	if k, _ := f.f.ReadAt(head[:], 0); k == 3 && bytes.Equal(head[:], utf8BOM) {
		reg = reg.sub(3, n)
	}
	h := &spillHandle{f: f}
	m, err := parseRegion(ctx, reg, h)
	if err != nil || !m.hasSpill() {
		f.remove()
		return m, err
	}
	m.spill = h
	runtime.AddCleanup(h, func(f *spillFile) { f.remove() }, f)
	return m, nil
}

// rawField is a header field as read: name as written, value unfolded but
// not decoded.
type rawField struct {
	name  string
	value string
}

type rawHeader []rawField

// get returns the raw value of the first field named name (any case).
func (h rawHeader) get(name string) (string, bool) {
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			return f.value, true
		}
	}
	return "", false
}

func parseBytes(data []byte) (*Message, error) {
	return parseBytesContext(context.Background(), data)
}

func parseBytesContext(ctx context.Context, data []byte) (*Message, error) {
	hdr, body := splitEntity(data)
	if len(hdr) == 0 {
		return nil, NewError(ErrMalformedMessage, "parse message", "", errors.New("no header fields found"))
	}
	m := messageHeader(hdr)
	p := &parser{m: m, ctx: ctx}
	p.walk(hdr, body, 0, "")
	return p.finish()
}

// parseRegion parses a message kept in a spill file (see ParseSpool).
func parseRegion(ctx context.Context, reg region, h *spillHandle) (*Message, error) {
	hdr, body, err := splitEntityRegion(reg)
	if err != nil {
		return nil, err
	}
	if len(hdr) == 0 {
		return nil, NewError(ErrMalformedMessage, "parse message", "", errors.New("no header fields found"))
	}
	m := messageHeader(hdr)
	p := &parser{m: m, ctx: ctx, spill: h}
	p.walkRegion(hdr, body, 0, "")
	if p.err != nil {
		return nil, p.err
	}
	return p.finish()
}

// messageHeader returns a Message with the fields of its header.
func messageHeader(hdr rawHeader) *Message {
	m := &Message{}
	for _, f := range hdr {
		m.Headers = append(m.Headers, Header{Name: f.name, Value: decodeHeaderValue(f.value)})
	}
	text := func(name string) string {
		v, _ := hdr.get(name)
		return strings.TrimSpace(decodeHeaderValue(v))
	}
	list := func(name string) string {
		v, _ := hdr.get(name)
		return displayList(v)
	}
	m.From, m.To, m.Cc, m.Bcc, m.ReplyTo = list("From"), list("To"), list("Cc"), list("Bcc"), list("Reply-To")
	m.Subject = text("Subject")
	m.Date = text("Date")
	m.MessageID = bareMessageID(text("Message-ID"))
	if m.XMailer = text("X-Mailer"); m.XMailer == "" {
		m.XMailer = text("User-Agent")
	}
	m.Priority = parsePriority(text("X-Priority"), text("Importance"))
	_, m.ConfirmRead = hdr.get("Disposition-Notification-To")
	return m
}

// finish completes the message once its tree was walked.
func (p *parser) finish() (*Message, error) {
	m := p.m
	if err := p.ctx.Err(); err != nil {
		return nil, Classify("parse message", err)
	}
	m.TextBody, m.HTMLBody = p.text.String(), p.html.String()
	m.Truncated = p.truncated
	if m.HTMLBody != "" {
		m.Body, m.BodyType = m.HTMLBody, "text/html"
	} else {
		m.Body, m.BodyType = m.TextBody, "text/plain"
	}
	return m, nil
}

// splitEntity splits an entity into its header fields and its body. Folded
// lines are unfolded, lines that are not fields (an mbox "From " line,
// garbage) are skipped. An entity whose first line is not a field has no
// header: all of it is body.
func splitEntity(b []byte) (rawHeader, []byte) {
	var (
		h     rawHeader
		folds [][]string // continuation lines of each field, joined at the end
	)
	done := func(body []byte) (rawHeader, []byte) {
		for i, f := range folds {
			if len(f) > 0 {
				if h[i].value != "" {
					f = append([]string{h[i].value}, f...)
				}
				h[i].value = strings.Join(f, " ")
			}
		}
		return h, body
	}
	pos := 0
	for first := true; pos < len(b); first = false {
		end, next := lineAt(b, pos)
		line := bytes.TrimSuffix(b[pos:end], []byte("\r"))
		if len(line) == 0 {
			return done(b[next:])
		}
		switch {
		case line[0] == ' ' || line[0] == '\t':
			if len(h) > 0 {
				if t := strings.TrimSpace(string(line)); t != "" {
					folds[len(h)-1] = append(folds[len(h)-1], t)
				}
			} else if first {
				return nil, b
			}
		default:
			name, value, ok := splitField(line)
			if ok {
				h = append(h, rawField{name, value})
				folds = append(folds, nil)
			} else if first && !bytes.HasPrefix(line, []byte("From ")) {
				return nil, b
			}
		}
		pos = next
	}
	return done(nil)
}

// splitField splits "Name: value" (blanks before the colon tolerated).
func splitField(line []byte) (string, string, bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return "", "", false
	}
	name := strings.TrimRight(string(line[:i]), " \t")
	if !validFieldName(name) {
		return "", "", false
	}
	return name, strings.TrimSpace(string(line[i+1:])), true
}

// decodeHeaderValue decodes a raw header value to UTF-8, on one line: line
// breaks and NULs (stray, or from encoded words) become spaces.
func decodeHeaderValue(v string) string {
	v = decodeWords(toUTF8(v))
	if strings.ContainsAny(v, "\r\n\x00") {
		v = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == 0 {
				return ' '
			}
			return r
		}, v)
	}
	return v
}

// displayList formats a raw address header for display: "Name <addr>"
// entries joined with ", ", names decoded and quoted when they hold list
// separators. Entries that are not addresses are kept as decoded text;
// group syntax ("undisclosed-recipients:;") is dropped.
func displayList(raw string) string {
	var out []string
	for _, entry := range splitAddressList(toUTF8(raw)) {
		a, err := parseAddress(entry)
		if err != nil {
			// "Group: a@x" -> "a@x"; a lone "Group:" is dropped.
			if i := strings.IndexByte(entry, ':'); i >= 0 && !strings.ContainsAny(entry[:i], `"<@`) {
				entry = strings.TrimSpace(entry[i+1:])
				if entry == "" {
					continue
				}
				a, err = parseAddress(entry)
			}
		}
		if err != nil {
			out = append(out, decodeWords(entry))
			continue
		}
		out = append(out, displayAddress(a.Name, a.Address))
	}
	return strings.Join(out, ", ")
}

// displayAddress formats "Name <addr>", quoting the name when it holds
// characters that would split or confuse the list.
func displayAddress(name, addr string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return addr
	}
	if strings.ContainsAny(name, `,;<>"@:()[]\`) {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + addr + ">"
}

// bareMessageID strips the angle brackets of a Message-ID.
func bareMessageID(v string) string {
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	return strings.Trim(strings.TrimSpace(v), "<>")
}

// parsePriority reads X-Priority ("1 (Highest)".."5 (Lowest)"), else
// Importance (high → 1, low → 5). 0 means unset.
func parsePriority(xPriority, importance string) int {
	if xPriority != "" && xPriority[0] >= '1' && xPriority[0] <= '5' {
		return int(xPriority[0] - '0')
	}
	switch strings.ToLower(importance) {
	case "high":
		return 1
	case "low":
		return 5
	}
	return 0
}

// parser walks the MIME tree of one message.
type parser struct {
	m                  *Message
	ctx                context.Context
	parts              int
	haveText, haveHTML bool
	text, html         strings.Builder // the bodies, joined in linear time
	truncated          string          // why parts were dropped, "" when none
	spill              *spillHandle    // the file of a message parsed from one
	err                error           // a read error of that file
}

// truncate records the first reason parts were dropped.
func (p *parser) truncate(why string) {
	if p.truncated == "" {
		p.truncated = why
	}
}

// walk handles one entity: a multipart is split and descended into, a leaf
// becomes a body or an attachment. parent is the media type of the
// enclosing multipart ("" for the message itself).
func (p *parser) walk(hdr rawHeader, body []byte, depth int, parent string) {
	if p.ctx.Err() != nil {
		return
	}
	mediaType, params, ok := p.enter(hdr, depth, parent)
	if !ok {
		return
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		parts, ok := splitMultipart(body, params["boundary"])
		if !ok {
			// No boundary found: show the content as text.
			p.leaf(hdr, body, "text/plain", map[string]string{"charset": params["charset"]}, parent)
			return
		}
		for _, part := range parts {
			h, b := splitEntity(part)
			p.walk(h, b, depth+1, mediaType)
		}
		return
	}
	p.leaf(hdr, body, mediaType, params, parent)
}

// enter counts a part and returns its media type; ok is false when the
// part is beyond the limits (the message is then marked truncated).
func (p *parser) enter(hdr rawHeader, depth int, parent string) (mediaType string, params map[string]string, ok bool) {
	p.parts++
	if p.parts > maxParts {
		p.truncate(fmt.Sprintf("more than %d MIME parts: the rest of the message was not read", maxParts))
		return "", nil, false
	}
	ct, _ := hdr.get("Content-Type")
	mediaType, params = parseParamHeader(toUTF8(ct))
	if !strings.Contains(mediaType, "/") {
		mediaType = "text/plain"
		if parent == "multipart/digest" {
			mediaType = "message/rfc822"
		}
	}
	if strings.HasPrefix(mediaType, "multipart/") && depth >= maxMultipartDepth {
		p.truncate(fmt.Sprintf("multiparts nested deeper than %d levels: the deeper parts were not read", maxMultipartDepth))
		return "", nil, false
	}
	return mediaType, params, true
}

// walkRegion is walk for an entity kept in a spill file.
func (p *parser) walkRegion(hdr rawHeader, body region, depth int, parent string) {
	if p.ctx.Err() != nil || p.err != nil {
		return
	}
	mediaType, params, ok := p.enter(hdr, depth, parent)
	if !ok {
		return
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		parts, ok, err := splitMultipartRegion(body, params["boundary"])
		if err != nil {
			p.err = err
			return
		}
		if !ok {
			p.leafRegion(hdr, body, "text/plain", map[string]string{"charset": params["charset"]}, parent)
			return
		}
		for _, part := range parts {
			h, b, err := splitEntityRegion(part)
			if err != nil {
				p.err = err
				return
			}
			p.walkRegion(h, b, depth+1, mediaType)
		}
		return
	}
	p.leafRegion(hdr, body, mediaType, params, parent)
}

// leafRegion is leaf for an entity kept in a spill file: a big attachment
// stays in the file, anything else is read and handled by leaf.
func (p *parser) leafRegion(hdr rawHeader, body region, mediaType string, params map[string]string, parent string) {
	disp, filename, name, isBody := leafKind(hdr, mediaType, params)
	if body.n <= spillLeaf || isBody {
		data, err := body.load()
		if err != nil {
			p.err = err
			return
		}
		p.leaf(hdr, data, mediaType, params, parent)
		return
	}
	cte, _ := hdr.get("Content-Transfer-Encoding")
	size, err := decodeTransferTo(io.Discard, cte, body)
	if err != nil {
		p.err = NewError(ErrFile, "read spooled message", "", err)
		return
	}
	ref := &spillRef{r: body, cte: cte, size: size, h: p.spill}
	var prefix []byte
	if mediaType == "message/rfc822" {
		prefix, _ = readPrefix(ref, 1<<20)
	}
	p.attachment(hdr, nil, ref, prefix, disp, filename, name, mediaType, parent)
}

// readPrefix returns the first max decoded bytes of ref.
func readPrefix(ref *spillRef, max int64) ([]byte, error) {
	rc := ref.open()
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, max))
}

// leafKind reads the disposition and names of a leaf; isBody reports
// whether it is a text or HTML body rather than an attachment.
func leafKind(hdr rawHeader, mediaType string, params map[string]string) (disp, filename, name string, isBody bool) {
	cdRaw, _ := hdr.get("Content-Disposition")
	disp, dparams := parseParamHeader(toUTF8(cdRaw))
	filename = dparams["filename"]
	name = filename
	if name == "" {
		name = params["name"]
	}
	isText, isHTML := mediaType == "text/plain", mediaType == "text/html"
	return disp, filename, name, (isText || isHTML) && disp != "attachment" && name == ""
}

// leaf handles a non-multipart entity.
func (p *parser) leaf(hdr rawHeader, body []byte, mediaType string, params map[string]string, parent string) {
	cte, _ := hdr.get("Content-Transfer-Encoding")
	data := decodeTransfer(cte, body)

	disp, filename, name, isBody := leafKind(hdr, mediaType, params)
	isText := mediaType == "text/plain"
	if isBody {
		isHTML := !isText
		text := decodeText(data, params["charset"])
		switch {
		case isText && !p.haveText:
			p.text.WriteString(text)
			p.haveText = true
			return
		case isHTML && !p.haveHTML:
			p.html.WriteString(text)
			p.haveHTML = true
			return
		case parent == "multipart/alternative":
			return // another rendering of the same body
		case isText:
			joinBody(&p.text, text)
			return
		default:
			joinBody(&p.html, text)
			return
		}
	}

	p.attachment(hdr, data, nil, data, disp, filename, name, mediaType, parent)
}

// attachment adds a leaf as an attachment: its content is data, or ref
// when it stayed in a spill file (prefix then holds its first bytes).
func (p *parser) attachment(hdr rawHeader, data []byte, ref *spillRef, prefix []byte, disp, filename, name, mediaType, parent string) {
	cidRaw, _ := hdr.get("Content-ID")
	cid := bareMessageID(decodeHeaderValue(cidRaw))
	loc, _ := hdr.get("Content-Location")
	a := &Attachment{
		Name:            name,
		ContentType:     mediaType,
		Disposition:     disp,
		DispositionName: filename,
		ContentID:       cid,
		Location:        strings.TrimSpace(decodeHeaderValue(loc)),
		Data:            data,
		spill:           ref,
	}
	if a.Disposition == "" {
		a.Disposition = "attachment"
		if cid != "" || parent == "multipart/related" {
			a.Disposition = "inline"
		}
	}
	if a.Name == "" && mediaType == "message/rfc822" {
		a.Name = messageFileName(prefix)
	}
	p.m.Attachments = append(p.m.Attachments, a)
}

// joinBody appends another inline text part to a body (mail clients split a
// body around inline images this way).
func joinBody(body *strings.Builder, more string) {
	if s := body.String(); s != "" && !strings.HasSuffix(s, "\n") {
		body.WriteString("\r\n")
	}
	body.WriteString(more)
}

// messageFileName names an attached message after its subject.
func messageFileName(data []byte) string {
	h, _ := splitEntity(data)
	v, _ := h.get("Subject")
	s := strings.Map(func(r rune) rune {
		if r < ' ' || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(decodeHeaderValue(v)))
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	s = strings.Trim(s, " .")
	if s == "" {
		s = "message"
	}
	return s + ".eml"
}

// splitMultipart returns the parts of a multipart body. It tolerates a
// missing closing delimiter (the last part runs to the end) and, when the
// boundary parameter is missing, takes the first "--" line as delimiter.
// ok is false when no delimiter was found.
func splitMultipart(b []byte, boundary string) (parts [][]byte, ok bool) {
	if boundary == "" {
		boundary = guessBoundary(b)
		if boundary == "" {
			return nil, false
		}
	}
	delim := []byte("--" + boundary)
	start := -1
	for pos := 0; pos < len(b); {
		end, next := lineAt(b, pos)
		line := b[pos:end]
		if bytes.HasPrefix(line, delim) {
			rest := bytes.TrimRight(line[len(delim):], " \t\r")
			closing := bytes.Equal(rest, []byte("--"))
			if len(rest) == 0 || closing {
				ok = true
				if start >= 0 {
					e := pos
					// The line break before a delimiter belongs to it.
					if e > start && b[e-1] == '\n' {
						e--
						if e > start && b[e-1] == '\r' {
							e--
						}
					}
					parts = append(parts, b[start:e])
				}
				if closing {
					return parts, true
				}
				start = next
			}
		}
		pos = next
	}
	if start >= 0 && start < len(b) {
		parts = append(parts, b[start:])
	}
	return parts, ok
}

// lineAt returns the end of the line of b starting at pos (the index of its
// '\n', or len(b) for a last line without one) and the start of the next.
func lineAt(b []byte, pos int) (end, next int) {
	i := bytes.IndexByte(b[pos:], '\n')
	if i < 0 {
		return len(b), len(b)
	}
	return pos + i, pos + i + 1
}

// guessBoundary returns the boundary of the first delimiter-looking line.
func guessBoundary(b []byte) string {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimRight(line, " \t\r")
		if len(line) > 2 && bytes.HasPrefix(line, []byte("--")) && !bytes.ContainsAny(line, " \t") {
			return string(bytes.TrimSuffix(line[2:], []byte("--")))
		}
	}
	return ""
}

// decodeTransfer undoes a Content-Transfer-Encoding, leniently: base64
// skips what is not base64 and keeps what decodes, quoted-printable passes
// malformed escapes through. Other encodings are returned as they are.
func decodeTransfer(cte string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return decodeBase64(body)
	case "quoted-printable":
		return decodeQP(body)
	}
	return body
}

var base64Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	t['-'], t['_'] = 62, 63 // the URL alphabet, seen in the wild
	return t
}()

// decodeBase64 decodes base64 leniently: characters outside the alphabet
// are skipped, padding ends a quantum (so concatenated encodings decode),
// a trailing partial quantum yields the bytes it holds.
func decodeBase64(b []byte) []byte {
	out := make([]byte, 0, len(b)*3/4)
	var q [4]byte
	n := 0
	flush := func() {
		switch n {
		case 2:
			out = append(out, q[0]<<2|q[1]>>4)
		case 3:
			out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2)
		case 4:
			out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
		}
		n = 0
	}
	for _, c := range b {
		if c == '=' {
			flush()
			continue
		}
		v := base64Value[c]
		if v < 0 {
			continue
		}
		q[n] = byte(v)
		n++
		if n == 4 {
			flush()
		}
	}
	flush()
	return out
}

// decodeQP decodes quoted-printable leniently (RFC 2045 6.7): soft line
// breaks removed, trailing blanks of encoded lines dropped, "=XX" decoded,
// any other '=' kept as is.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		line, eol := b, []byte(nil)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
			eol = []byte("\r\n")
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			} else {
				eol = []byte("\n")
			}
		} else {
			b = nil
		}
		line = bytes.TrimRight(line, " \t")
		if len(line) > 0 && line[len(line)-1] == '=' {
			line, eol = line[:len(line)-1], nil // soft line break
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' && i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
				out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
				i += 2
				continue
			}
			out = append(out, c)
		}
		out = append(out, eol...)
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// decodeText converts text in the named charset to UTF-8. A missing,
// unknown or wrong charset falls back to UTF-8 when the bytes are valid
// UTF-8 and to Windows-1252 otherwise. A leading byte order mark is removed.
func decodeText(b []byte, cs string) string {
	s := decodeCharset(b, cs)
	return strings.TrimPrefix(s, "\ufeff")
}

// decodeCharset converts b from charset cs to valid UTF-8, never failing.
// ISO-8859-1 is read as Windows-1252, its superset, as browsers do.
func decodeCharset(b []byte, cs string) string {
	cs = strings.ToLower(strings.Trim(strings.TrimSpace(cs), `"'`))
	switch cs {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252", "x-cp1252":
		return decodeWindows1252(b)
	case "utf-8", "utf8":
		// Mostly UTF-8 with stray 8-bit bytes: keep the UTF-8, fix the rest.
		return fixUTF8(string(b))
	case "", "us-ascii", "ascii", "x-unknown", "unknown", "unknown-8bit", "default":
		return toUTF8(string(b))
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err == nil {
		if out, err := io.ReadAll(r); err == nil {
			return fixUTF8(string(out))
		}
	}
	return toUTF8(string(b))
}

// lenientCharsetReader is the CharsetReader of wordDecoder: like
// go-message's, but an unknown charset is read as UTF-8 or Windows-1252
// instead of failing the whole header.
func lenientCharsetReader(cs string, input io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(input)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(decodeCharset(b, cs)), nil
}

// windows1252 maps the bytes 0x80..0x9F of Windows-1252 (0xA0..0xFF are
// the same code points in Unicode; the five undefined bytes map to the C1
// controls, as WHATWG does).
var windows1252 = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8d, 'Ž', 0x8f,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9d, 'ž', 'Ÿ',
}

func cp1252Rune(c byte) rune {
	if c >= 0x80 && c < 0xa0 {
		return windows1252[c-0x80]
	}
	return rune(c)
}

// decodeWindows1252 converts Windows-1252 bytes to UTF-8.
func decodeWindows1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for _, c := range b {
		if c < utf8.RuneSelf {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(cp1252Rune(c))
		}
	}
	return sb.String()
}

// fixUTF8 returns s with every byte that is not part of valid UTF-8 read
// as Windows-1252 (for strings mixing decoded text and stray 8-bit bytes).
func fixUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			sb.WriteRune(cp1252Rune(s[i]))
		} else {
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	return sb.String()
}

// parseParamHeader parses a header value with parameters (Content-Type,
// Content-Disposition) leniently: the value lower-cased, parameter names
// lower-cased, quoted or bare values (bare ones may hold blanks), RFC 2231
// extended values and continuations in any charset, RFC 2047 encoded words
// in values (as Outlook writes names). The first of duplicated parameters
// wins. It never fails; what cannot be read is left out.
func parseParamHeader(v string) (string, map[string]string) {
	params := map[string]string{}
	value, rest, _ := strings.Cut(v, ";")
	value = strings.TrimSpace(value)
	if i := strings.IndexAny(value, " \t"); i >= 0 {
		// A missing semicolon: "text/plain charset=utf-8".
		value, rest = value[:i], value[i:]+";"+rest
	}
	value = strings.ToLower(value)

	type segment struct {
		n        int
		extended bool
		v        string
	}
	simple := map[string]string{}
	extended := map[string]string{}
	continued := map[string][]segment{}

	for rest != "" {
		rest = strings.TrimLeft(rest, " \t;")
		if rest == "" {
			break
		}
		eq := strings.IndexAny(rest, "=;")
		if eq < 0 {
			break // a bare word at the end
		}
		if rest[eq] == ';' {
			rest = rest[eq+1:]
			continue // a parameter without a value
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var sb strings.Builder
			i := 1
			for ; i < len(rest); i++ {
				c := rest[i]
				// A backslash escapes only a quote or a backslash, so that
				// unescaped Windows paths survive.
				if c == '\\' && i+1 < len(rest) && (rest[i+1] == '"' || rest[i+1] == '\\') {
					i++
					sb.WriteByte(rest[i])
					continue
				}
				if c == '"' {
					break
				}
				sb.WriteByte(c)
			}
			val = sb.String()
			rest = rest[min(i+1, len(rest)):]
			if semi := strings.IndexByte(rest, ';'); semi >= 0 {
				rest = rest[semi+1:]
			} else {
				rest = ""
			}
		} else {
			semi := strings.IndexByte(rest, ';')
			if semi < 0 {
				val, rest = rest, ""
			} else {
				val, rest = rest[:semi], rest[semi+1:]
			}
			val = strings.TrimSpace(val)
		}
		if key == "" {
			continue
		}

		name, section, hasStar := strings.Cut(key, "*")
		switch {
		case !hasStar:
			if _, dup := simple[key]; !dup {
				simple[key] = val
			}
		case section == "":
			if _, dup := extended[name]; !dup {
				extended[name] = val
			}
		default:
			ext := strings.HasSuffix(section, "*")
			n, err := strconv.Atoi(strings.TrimSuffix(section, "*"))
			if err != nil || n < 0 || n > maxContinuations || len(continued[name]) >= maxContinuations {
				continue
			}
			continued[name] = append(continued[name], segment{n, ext, val})
		}
	}

	for k, v := range simple {
		params[k] = decodeWords(v)
	}
	for k, segs := range continued {
		sort.SliceStable(segs, func(i, j int) bool { return segs[i].n < segs[j].n })
		var raw []byte
		cs := ""
		seen := map[int]bool{}
		for i, s := range segs {
			if seen[s.n] {
				continue
			}
			seen[s.n] = true
			v := s.v
			if s.extended {
				if i == 0 {
					cs, v = splitExtended(v)
				}
				raw = append(raw, percentDecode(v)...)
			} else {
				raw = append(raw, v...)
			}
		}
		params[k] = decodeCharset(raw, cs)
	}
	for k, v := range extended {
		cs, v := splitExtended(v)
		params[k] = decodeCharset(percentDecode(v), cs)
	}
	return value, params
}

// splitExtended splits an RFC 2231 extended value "charset'lang'text".
func splitExtended(v string) (cs, text string) {
	parts := strings.SplitN(v, "'", 3)
	if len(parts) != 3 {
		return "", v
	}
	return parts[0], parts[2]
}

// percentDecode decodes %XX escapes, keeping malformed ones as they are.
func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}
