package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// DefaultXMailer is the X-Mailer of built messages when Message.XMailer is empty.
const DefaultXMailer = "advmail"

// dateLayout is the RFC 5322 date-time form written in the Date header.
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// field is one header field of a part being built; value is already encoded
// for the wire (US-ASCII, no line breaks).
type field struct{ name, value string }

// mimePart is a node of the MIME tree being built: a leaf with an encoded
// body, or a multipart with children.
type mimePart struct {
	fields    []field // Content-* fields (for a multipart, all but Content-Type)
	multipart string  // "multipart/..." for a multipart node, "" for a leaf
	params    map[string]string
	body      []byte      // encoded body of a leaf, without a trailing line break
	src       *Attachment // or, for a base64 leaf, the attachment to encode as it is written
	parts     []*mimePart
}

// build writes m to w in RFC 5322 form. The layout, with empty levels left out:
//
//	multipart/mixed
//	├── multipart/related            (HTML body with inline parts)
//	│   ├── multipart/alternative
//	│   │   ├── text/plain            (generated from the HTML)
//	│   │   └── text/html
//	│   └── inline parts (Content-ID)
//	└── attachments
//
// A text/plain body is a single text/plain part; its inline parts, if any,
// go to the multipart/mixed level. An unparseable Date is ignored and the
// current time is used, as for an empty one (scripts put things like
// "25/11/2026" there).
func (m *Message) build(w io.Writer, withBcc bool) error {
	b, err := m.prepare(withBcc)
	if err != nil {
		return err
	}
	return b.write(w)
}

// built is a message ready to be written: everything checked, the
// attachments still where they are (memory, file, spill file).
type built struct {
	h        textproto.Header
	root     *mimePart
	boundary string
}

// prepare checks m and lays out its MIME tree (see build).
func (m *Message) prepare(withBcc bool) (*built, error) {
	top, err := m.headerFields(time.Now(), withBcc)
	if err != nil {
		return nil, err
	}
	root, err := m.bodyTree()
	if err != nil {
		return nil, err
	}
	h, boundary, err := root.header(top)
	if err != nil {
		return nil, err
	}
	return &built{h: h, root: root, boundary: boundary}, nil
}

// write writes the message to w, encoding attachments as it goes.
func (b *built) write(w io.Writer) error {
	if err := textproto.WriteHeader(w, b.h); err != nil {
		return NewError(ErrMalformedMessage, "build message header", "", err)
	}
	if err := b.root.writeBody(w, b.boundary, nil); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		return NewError(ErrMalformedMessage, "build message body", "", err)
	}
	return nil
}

// size returns the number of bytes write writes, without reading the
// attachments (their sizes give the encoded lengths).
func (b *built) size() (int64, error) {
	cw := &countWriter{w: io.Discard}
	var streamed int64
	if err := textproto.WriteHeader(cw, b.h); err != nil {
		return 0, NewError(ErrMalformedMessage, "build message header", "", err)
	}
	if err := b.root.writeBody(cw, b.boundary, &streamed); err != nil {
		return 0, NewError(ErrMalformedMessage, "build message body", "", err)
	}
	return cw.n + streamed, nil
}

// reservedHeaders are generated from the message fields and structure; custom
// headers with these names are ignored (a script adding "Content-Type:
// text/html" next to MsgBodyType, or the headers of a parsed message).
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true,
	"subject": true, "date": true, "message-id": true, "mime-version": true,
}

// addressHeaders hold address lists: their values are parsed and formatted
// as addresses instead of being encoded as plain text.
var addressHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true, "sender": true,
	"disposition-notification-to": true, "return-receipt-to": true, "errors-to": true,
	"resent-from": true, "resent-to": true, "resent-cc": true, "resent-sender": true,
}

// headerFields returns the top-level header fields of m, in order, except
// the Content-* fields of the body.
func (m *Message) headerFields(now time.Time, withBcc bool) ([]field, error) {
	var fs []field
	add := func(name, value string) {
		if value != "" {
			fs = append(fs, field{name, value})
		}
	}
	addrs := func(name, list string) (string, error) {
		v, err := formatAddressList(list)
		if err != nil {
			return "", fieldError(name, err)
		}
		return v, nil
	}

	add("Date", messageDate(m.Date, now))
	from, err := addrs("From", m.From)
	if err != nil {
		return nil, err
	}
	add("From", from)
	replyTo, err := addrs("ReplyTo", m.ReplyTo)
	if err != nil {
		return nil, err
	}
	add("Reply-To", replyTo)
	for _, f := range []struct{ name, list string }{{"To", m.To}, {"Cc", m.Cc}} {
		v, err := addrs(f.name, f.list)
		if err != nil {
			return nil, err
		}
		add(f.name, v)
	}
	// Bcc is checked (the envelope needs it) but written only in a stored
	// message (StoredBytes), never in one that is sent.
	bcc, err := addrs("Bcc", m.Bcc)
	if err != nil {
		return nil, err
	}
	if withBcc {
		add("Bcc", bcc)
	}
	add("Subject", encodeText(oneLine(toUTF8(m.Subject))))
	id, err := messageID(m.MessageID)
	if err != nil {
		return nil, err
	}
	add("Message-ID", "<"+id+">")
	add("MIME-Version", "1.0")

	// Generated headers that custom headers may replace.
	gen := []field{}
	xm := oneLine(toUTF8(m.XMailer))
	if xm == "" {
		xm = DefaultXMailer
	}
	gen = append(gen, field{"X-Mailer", encodeText(xm)})
	if p := m.Priority; p > 0 {
		if p > 5 {
			p = 5
		}
		gen = append(gen, field{"X-Priority", priorityText[p]})
		switch {
		case p < 3:
			gen = append(gen, field{"Importance", "high"})
		case p > 3:
			gen = append(gen, field{"Importance", "low"})
		}
	}
	if m.ConfirmRead {
		to := replyTo
		if to == "" {
			to = from
		}
		if to != "" {
			gen = append(gen, field{"Disposition-Notification-To", to})
		}
	}

	var custom []field
	for _, h := range m.Headers {
		name := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(h.Name), ":"))
		if !validFieldName(name) {
			return nil, NewError(ErrInvalidArgument, "message header", "", fmt.Errorf("invalid header name %q", h.Name))
		}
		lower := strings.ToLower(name)
		if reservedHeaders[lower] || strings.HasPrefix(lower, "content-") {
			continue
		}
		value := toUTF8(h.Value)
		if err := CheckLine("header "+name, value); err != nil {
			return nil, err
		}
		if addressHeaders[lower] {
			if v, err := formatAddressList(value); err == nil {
				value = v
			} else {
				value = encodeText(value)
			}
		} else {
			value = encodeText(value)
		}
		custom = append(custom, field{name, value})
		// A custom header replaces the generated one of the same name.
		for i := 0; i < len(gen); i++ {
			if strings.EqualFold(gen[i].name, name) {
				gen = append(gen[:i], gen[i+1:]...)
				i--
			}
		}
	}
	fs = append(fs, gen...)
	fs = append(fs, custom...)
	return fs, nil
}

var priorityText = [...]string{1: "1 (Highest)", 2: "2 (High)", 3: "3 (Normal)", 4: "4 (Low)", 5: "5 (Lowest)"}

// formatAddressList parses a script address list and formats it for a
// header: RFC 2047 display names, ", " separators. Empty gives "".
func formatAddressList(list string) (string, error) {
	addrs, err := ParseAddressList(list)
	if err != nil {
		return "", err
	}
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
		if a.Name == "" {
			// "a@b" rather than "<a@b>", as mail clients write it.
			s[i] = strings.TrimSuffix(strings.TrimPrefix(s[i], "<"), ">")
		}
	}
	return strings.Join(s, ", "), nil
}

// messageDate returns the Date header value: s when it is an RFC 5322 date
// (normalised), now otherwise.
func messageDate(s string, now time.Time) string {
	if t, err := netmail.ParseDate(strings.TrimSpace(s)); err == nil {
		return t.Format(dateLayout)
	}
	return now.Format(dateLayout)
}

// messageID returns id without angle brackets, or a new "random@host" one.
func messageID(id string) (string, error) {
	id = strings.TrimSpace(id)
	id = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">"))
	if id != "" {
		if err := CheckLine("Message-ID", id); err != nil {
			return "", err
		}
		if strings.ContainsAny(id, " \t<>") || !isASCII(id) {
			return "", NewError(ErrInvalidArgument, "message", "", fmt.Errorf("invalid Message-ID %q", id))
		}
		return id, nil
	}
	host, err := os.Hostname()
	if err != nil || host == "" || !isASCII(host) || strings.ContainsAny(host, " \t<>@\"()[]\\,;:") {
		host = "localhost"
	}
	var h gomail.Header
	if err := h.GenerateMessageIDWithHostname(host); err != nil {
		return "", NewError(ErrMalformedMessage, "generate Message-ID", "", err)
	}
	return h.MessageID()
}

// oneLine replaces line breaks (and the blanks around them) by one space.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.TrimSpace(strings.Join(lines, " "))
}

// encodeText encodes an unstructured header value: RFC 2047 (UTF-8, Q) when
// it holds non-ASCII or control characters, unchanged otherwise.
func encodeText(s string) string {
	return mime.QEncoding.Encode("utf-8", s)
}

// bodyKind maps a BodyType to "text/html" or "text/plain".
func bodyKind(t string) (string, error) {
	mt := strings.ToLower(strings.TrimSpace(t))
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = strings.TrimSpace(mt[:i])
	}
	switch mt {
	case "", "text/html", "html":
		return "text/html", nil
	case "text/plain", "text", "plain":
		return "text/plain", nil
	}
	return "", NewError(ErrInvalidArgument, "message body type", "",
		fmt.Errorf("unsupported body type %q (want text/html or text/plain)", t))
}

// bodyTree builds the MIME tree of the body and the attachments.
func (m *Message) bodyTree() (*mimePart, error) {
	kind, err := bodyKind(m.BodyType)
	if err != nil {
		return nil, err
	}
	body := toUTF8(m.Body)
	var root *mimePart
	if kind == "text/html" {
		root = &mimePart{multipart: "multipart/alternative", parts: []*mimePart{
			textPart("text/plain", htmlToText(body)),
			textPart("text/html", body),
		}}
	} else {
		root = textPart("text/plain", body)
	}

	var related, attached []*mimePart
	for i, a := range m.Attachments {
		if a == nil {
			continue
		}
		p, inline, err := a.part()
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				return nil, NewError(e.Code, fmt.Sprintf("attachment %d (%s)", i+1, a.Name), "", e.Err)
			}
			return nil, NewError(ErrInvalidArgument, fmt.Sprintf("attachment %d (%s)", i+1, a.Name), "", err)
		}
		if inline && kind == "text/html" {
			related = append(related, p)
		} else {
			attached = append(attached, p)
		}
	}
	if len(related) > 0 {
		root = &mimePart{
			multipart: "multipart/related",
			params:    map[string]string{"type": root.mediaType()},
			parts:     append([]*mimePart{root}, related...),
		}
	}
	if len(attached) > 0 {
		root = &mimePart{multipart: "multipart/mixed", parts: append([]*mimePart{root}, attached...)}
	}
	return root, nil
}

// mediaType returns the media type of p.
func (p *mimePart) mediaType() string {
	if p.multipart != "" {
		return p.multipart
	}
	for _, f := range p.fields {
		if strings.EqualFold(f.name, "Content-Type") {
			t, _, _ := strings.Cut(f.value, ";")
			return strings.TrimSpace(t)
		}
	}
	return "text/plain"
}

// textPart builds a UTF-8 text leaf, quoted-printable, or base64 when most of
// the text is not ASCII (base64 is then shorter).
func textPart(mediaType, text string) *mimePart {
	nonASCII := 0
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			nonASCII++
		}
	}
	var body []byte
	enc := "quoted-printable"
	if nonASCII*3 > len(text) {
		enc = "base64"
		body = base64Lines([]byte(crlf(text)))
	} else {
		var buf bytes.Buffer
		qw := quotedprintable.NewWriter(&buf)
		qw.Write([]byte(text)) // writes to a bytes.Buffer cannot fail
		qw.Close()
		body = buf.Bytes()
	}
	return &mimePart{
		fields: []field{
			{"Content-Type", mime.FormatMediaType(mediaType, map[string]string{"charset": "utf-8"})},
			{"Content-Transfer-Encoding", enc},
		},
		body: body,
	}
}

// crlf normalises line breaks to CRLF.
func crlf(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// base64LineIn is the number of input bytes of one 76-character line.
const base64LineIn = 57

// base64Len returns the length of base64Lines of n bytes.
func base64Len(n int64) int64 {
	if n <= 0 {
		return 0
	}
	enc := (n + 2) / 3 * 4
	return enc + (enc-1)/76*2
}

// writeBase64Lines writes what base64Lines(all of r) returns, streaming.
func writeBase64Lines(w io.Writer, r io.Reader) error {
	in := make([]byte, base64LineIn*512)
	out := make([]byte, 0, 78*512)
	first := true
	for {
		n, err := io.ReadFull(r, in)
		if n > 0 {
			out = out[:0]
			for p := in[:n]; len(p) > 0; {
				k := min(len(p), base64LineIn)
				if !first {
					out = append(out, '\r', '\n')
				}
				first = false
				out = base64.StdEncoding.AppendEncode(out, p[:k])
				p = p[k:]
			}
			if _, werr := w.Write(out); werr != nil {
				return werr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return NewError(ErrFile, "read attachment", "", err)
		}
	}
}

// base64Lines encodes b in base64 lines of 76 characters joined by CRLF.
func base64Lines(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	out := make([]byte, 0, len(enc)+len(enc)/76*2)
	for len(enc) > 76 {
		out = append(out, enc[:76]...)
		out = append(out, '\r', '\n')
		enc = enc[76:]
	}
	return append(out, enc...)
}

// knownTypes fixes the types of the common extensions, so that the result
// does not depend on the mime.types files of the machine.
var knownTypes = map[string]string{
	".pdf":  "application/pdf",
	".xml":  "application/xml",
	".zip":  "application/zip",
	".txt":  "text/plain",
	".csv":  "text/csv",
	".htm":  "text/html",
	".html": "text/html",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".bmp":  "image/bmp",
	".svg":  "image/svg+xml",
	".webp": "image/webp",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
	".eml":  "message/rfc822",
	".json": "application/json",
	".rtf":  "application/rtf",
	".doc":  "application/msword",
	".xls":  "application/vnd.ms-excel",
	".ppt":  "application/vnd.ms-powerpoint",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".odt":  "application/vnd.oasis.opendocument.text",
	".ods":  "application/vnd.oasis.opendocument.spreadsheet",
	".7z":   "application/x-7z-compressed",
	".rar":  "application/vnd.rar",
	".gz":   "application/gzip",
	".ics":  "text/calendar",
	".p7s":  "application/pkcs7-signature",
}

// typeByName returns the MIME type for a file name from its extension:
// a fixed table of common types, then mime.TypeByExtension (parameters
// dropped), then application/octet-stream.
func typeByName(name string) string {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(name, `\`, "/")))
	if t, ok := knownTypes[ext]; ok {
		return t
	}
	if ext != "" {
		if t := mime.TypeByExtension(ext); t != "" {
			if mt, _, err := mime.ParseMediaType(t); err == nil {
				return mt
			}
		}
	}
	return "application/octet-stream"
}

// part builds the MIME leaf of a; inline reports whether it belongs to the
// multipart/related of the HTML body.
//
// The fields give the defaults and a.Headers (AddAttHTag) override them: a
// Content-Type header replaces the type (its name parameter renames the
// part), a Content-Disposition header sets the disposition (its filename
// renames the part), a Content-ID header makes the part inline unless a
// Content-Disposition header says otherwise. A ContentID field makes the part
// inline unless the Disposition field says "attachment".
func (a *Attachment) part() (*mimePart, bool, error) {
	name := toUTF8(a.Name)
	dispName := toUTF8(a.DispositionName)
	ctype := strings.TrimSpace(toUTF8(a.ContentType))
	disp := strings.ToLower(strings.TrimSpace(a.Disposition))
	cid := strings.TrimSpace(a.ContentID)
	loc := strings.TrimSpace(toUTF8(a.Location))
	var (
		ctName, cdName string // names set by headers
		cdHeader       bool   // a Content-Disposition header was given
		cidHeader      bool   // a Content-ID header was given
		extra          []field
	)
	for _, h := range a.Headers {
		hname := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(h.Name), ":"))
		if !validFieldName(hname) {
			return nil, false, NewError(ErrInvalidArgument, "attachment header", "", fmt.Errorf("invalid header name %q", h.Name))
		}
		value := strings.TrimSpace(toUTF8(h.Value))
		if err := CheckLine("attachment header "+hname, value); err != nil {
			return nil, false, err
		}
		switch strings.ToLower(hname) {
		case "content-type":
			ctype = value
			_, params := parseParamHeader(value)
			ctName = params["name"]
		case "content-disposition":
			d, params := parseParamHeader(value)
			if d != "" {
				disp, cdHeader = d, true
			}
			cdName = params["filename"]
		case "content-id":
			cid, cidHeader = value, true
		case "content-location":
			loc = value
		case "content-transfer-encoding", "mime-version":
			// The encoding is chosen here.
		default:
			extra = append(extra, field{hname, encodeText(value)})
		}
	}
	cid = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(cid, "<"), ">"))
	if strings.ContainsAny(cid, "<> \t") || !isASCII(cid) {
		return nil, false, NewError(ErrInvalidArgument, "attachment", "", fmt.Errorf("invalid Content-ID %q", cid))
	}

	mediaType, params := "", map[string]string{}
	if ctype != "" {
		mediaType, params = parseParamHeader(ctype)
		if name == "" {
			name = params["name"]
		}
		delete(params, "name")
	}
	switch {
	case ctName != "" && cdName != "":
		name, dispName = ctName, cdName
	case ctName != "":
		name, dispName = ctName, ctName
	case cdName != "":
		name, dispName = cdName, cdName
	}
	if name == "" {
		name = dispName
	}
	if dispName == "" {
		dispName = name
	}
	// A type left generic (or guessed from the old name) follows a rename
	// made by a Content-Disposition header.
	renamed := cdName != "" && ctName == "" && !a.hasHeader("content-type")
	if mediaType == "" || renamed && mediaType == "application/octet-stream" {
		mediaType = typeByName(name)
	}

	if cid != "" && !cdHeader && (cidHeader || disp == "") {
		disp = "inline"
	}
	if disp == "" {
		disp = "attachment"
	}
	inline := disp == "inline" && cid != ""

	if name != "" {
		if isASCII(name) {
			params["name"] = name
		} else {
			params["name"] = mime.QEncoding.Encode("utf-8", name)
		}
	}
	ct := mime.FormatMediaType(mediaType, params)
	if ct == "" || !strings.Contains(mediaType, "/") {
		return nil, false, NewError(ErrInvalidArgument, "attachment", "", fmt.Errorf("invalid content type %q", ctype))
	}
	cd, err := formatDisposition(disp, dispName)
	if err != nil {
		return nil, false, err
	}

	enc, body, src := "base64", []byte(nil), (*Attachment)(nil)
	switch {
	case mediaType == "message/rfc822":
		data, err := a.Content()
		if err != nil {
			return nil, false, err
		}
		enc, body = messageEncoding(data)
	case a.spill != nil || a.Data == nil && a.Path != "":
		// Streamed when written; a file that cannot be read fails now.
		rc, err := a.Open()
		if err != nil {
			return nil, false, err
		}
		rc.Close()
		src = a
	case len(a.Data) > base64LineIn*512:
		src = a // big enough for streaming to save a copy
	default:
		body = base64Lines(a.Data)
	}
	fs := []field{{"Content-Type", ct}, {"Content-Transfer-Encoding", enc}, {"Content-Disposition", cd}}
	if cid != "" {
		fs = append(fs, field{"Content-ID", "<" + cid + ">"})
	}
	if loc != "" {
		fs = append(fs, field{"Content-Location", encodeText(loc)})
	}
	fs = append(fs, extra...)
	return &mimePart{fields: fs, body: body, src: src}, inline, nil
}

// hasHeader reports whether a has a header named name (any case).
func (a *Attachment) hasHeader(name string) bool {
	for _, h := range a.Headers {
		if strings.EqualFold(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(h.Name), ":")), name) {
			return true
		}
	}
	return false
}

// formatDisposition formats Content-Disposition with a filename parameter:
// quoted ASCII, or RFC 2231 UTF-8 (split in continuations when long).
func formatDisposition(disp, filename string) (string, error) {
	var cd string
	if filename == "" {
		cd = mime.FormatMediaType(disp, nil)
	} else {
		cd = mime.FormatMediaType(disp, map[string]string{"filename": filename})
		if !isASCII(filename) && len(cd) > 70 {
			cd = mime.FormatMediaType(disp, nil) + "; " + rfc2231Continuations("filename", filename)
		}
	}
	if cd == "" {
		return "", NewError(ErrInvalidArgument, "attachment", "", fmt.Errorf("invalid disposition %q", disp))
	}
	return cd, nil
}

// rfc2231Continuations formats a long UTF-8 parameter as RFC 2231
// continuations (name*0* with the UTF-8 charset prefix, then name*1*, ...),
// never splitting a character between segments.
func rfc2231Continuations(name, value string) string {
	const maxSeg = 60
	var segs []string
	var cur strings.Builder
	cur.WriteString("utf-8''")
	for _, r := range value {
		var enc strings.Builder
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		for _, c := range buf[:n] {
			if c < 0x80 && isAttrChar(c) {
				enc.WriteByte(c)
			} else {
				fmt.Fprintf(&enc, "%%%02X", c)
			}
		}
		if cur.Len()+enc.Len() > maxSeg && cur.Len() > 0 {
			segs = append(segs, cur.String())
			cur.Reset()
		}
		cur.WriteString(enc.String())
	}
	segs = append(segs, cur.String())
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = fmt.Sprintf("%s*%d*=%s", name, i, s)
	}
	return strings.Join(parts, "; ")
}

// isAttrChar reports whether c may appear unencoded in an RFC 2231 value.
func isAttrChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune(`*'%()<>@,;:\"/[]?=`, rune(c))
}

// messageEncoding chooses the transfer encoding of an attached message:
// 7bit or 8bit when its lines fit (RFC 2046 forbids base64 there), base64
// for binary content, which mail clients still read.
func messageEncoding(data []byte) (string, []byte) {
	norm := []byte(crlf(string(data)))
	ascii := true
	for _, line := range bytes.Split(norm, []byte("\r\n")) {
		if len(line) > 998 || bytes.IndexByte(line, 0) >= 0 {
			return "base64", base64Lines(data)
		}
		if ascii && !isASCII(string(line)) {
			ascii = false
		}
	}
	norm = bytes.TrimSuffix(norm, []byte("\r\n"))
	if ascii {
		return "7bit", norm
	}
	return "8bit", norm
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// header returns the MIME header of p, preceded by extra (the message
// fields for the root), and the boundary when p is a multipart.
func (p *mimePart) header(extra []field) (textproto.Header, string, error) {
	fs := append(append([]field{}, extra...), p.fields...)
	boundary := ""
	if p.multipart != "" {
		boundary = newBoundary()
		params := map[string]string{"boundary": boundary}
		for k, v := range p.params {
			params[k] = v
		}
		fs = append(fs, field{"Content-Type", mime.FormatMediaType(p.multipart, params)})
	}
	h, err := makeHeader(fs)
	return h, boundary, err
}

// newBoundary returns a random multipart boundary (a variable for tests).
var newBoundary = func() string { return textproto.NewMultipartWriter(io.Discard).Boundary() }

// writeBody writes the body of p: the encoded content of a leaf, or the
// parts of a multipart separated by boundary. With sized set, streamed
// leaves are not read: their encoded lengths are added to *sized instead.
func (p *mimePart) writeBody(w io.Writer, boundary string, sized *int64) error {
	if p.multipart == "" {
		if p.src == nil {
			_, err := w.Write(p.body)
			return err
		}
		if sized != nil {
			*sized += base64Len(p.src.Size())
			return nil
		}
		rc, err := p.src.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		return writeBase64Lines(w, rc)
	}
	mw := textproto.NewMultipartWriter(w)
	if err := mw.SetBoundary(boundary); err != nil {
		return err
	}
	for _, c := range p.parts {
		h, b, err := c.header(nil)
		if err != nil {
			return err
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		if err := c.writeBody(pw, b, sized); err != nil {
			return err
		}
	}
	return mw.Close()
}

// makeHeader builds a go-message header with the fields in order, keeping
// the names as written (go-message would canonicalise "Message-ID" into
// "Message-Id").
func makeHeader(fs []field) (textproto.Header, error) {
	var h textproto.Header
	// AddRaw inserts at the top: add in reverse order.
	for i := len(fs) - 1; i >= 0; i-- {
		f := fs[i]
		if !validFieldName(f.name) {
			return h, NewError(ErrInvalidArgument, "build header", "", fmt.Errorf("invalid header name %q", f.name))
		}
		if strings.ContainsAny(f.value, "\r\n") {
			return h, NewError(ErrInvalidArgument, "build header "+f.name, "", errors.New("value contains a line break"))
		}
		h.AddRaw(foldField(f.name, f.value))
	}
	return h, nil
}

// foldField formats "Name: value" CRLF-terminated, folding before blanks so
// that lines stay within 76 columns where the value allows it, and never
// exceed 998. A word longer than that (no RFC 2047 word is) is split.
// It runs in linear time, unlike go-message's formatter on huge values.
func foldField(name, value string) []byte {
	var b bytes.Buffer
	b.Grow(len(name) + len(value) + len(value)/70*3 + 4)
	b.WriteString(name)
	b.WriteString(": ")
	col := len(name) + 2
	for value != "" {
		i := 0
		for i < len(value) && (value[i] == ' ' || value[i] == '\t') {
			i++
		}
		j := i
		for j < len(value) && value[j] != ' ' && value[j] != '\t' {
			j++
		}
		tok := value[:j]
		value = value[j:]
		if i > 0 && col+len(tok) > 76 {
			b.WriteString("\r\n") // the token starts with a blank
			col = 0
		}
		for col+len(tok) > 998 {
			n := 998 - col
			b.WriteString(tok[:n])
			b.WriteString("\r\n ")
			tok = tok[n:]
			col = 1
		}
		b.WriteString(tok)
		col += len(tok)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// htmlToText renders an HTML body as plain text for the text/plain
// alternative: scripts, styles and comments dropped, block elements and <br>
// as line breaks, list items as "- ", links as "text <url>", entities
// decoded, blanks collapsed.
func htmlToText(s string) string {
	var (
		out      strings.Builder
		href     string
		linkText strings.Builder
		inLink   bool
		pre      int
	)
	emit := func(t string) {
		out.WriteString(t)
		if inLink {
			linkText.WriteString(t)
		}
	}
	// breakLine ends the current line, or leaves a blank line when blank is
	// set, without piling up line breaks.
	breakLine := func(blank bool) {
		str := out.String()
		if str == "" {
			return
		}
		// Only the end matters; looking at a bounded tail keeps this linear.
		str = strings.TrimRight(str[max(0, len(str)-64):], " \t")
		n := len(str) - len(strings.TrimRight(str, "\n"))
		want := 1
		if blank {
			want = 2
		}
		for ; n < want; n++ {
			out.WriteString("\n")
		}
	}
	text := func(t string) {
		t = html.UnescapeString(t)
		t = strings.ReplaceAll(t, "\u00a0", " ")
		if pre == 0 {
			t = collapseSpace(t)
		}
		emit(t)
	}
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			text(s)
			break
		}
		if i > 0 {
			text(s[:i])
			s = s[i:]
		}
		// s starts with '<'.
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s[4:], "-->")
			if end < 0 {
				break
			}
			s = s[4+end+3:]
			continue
		}
		if len(s) < 2 || !(isLetter(s[1]) || s[1] == '/' || s[1] == '!' || s[1] == '?') {
			text("<")
			s = s[1:]
			continue
		}
		end := tagEnd(s)
		if end < 0 {
			break
		}
		tag := s[1:end]
		s = s[end+1:]
		closing := strings.HasPrefix(tag, "/")
		name := strings.ToLower(tagName(strings.TrimPrefix(tag, "/")))
		switch name {
		case "script", "style", "head", "title", "noscript", "template":
			if !closing && !strings.HasSuffix(tag, "/") {
				s = skipElement(s, name)
			}
		case "br":
			emit("\n")
		case "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "dl":
			breakLine(true)
		case "div", "tr", "hr", "section", "article", "header", "footer", "dt", "dd", "center", "caption":
			breakLine(false)
		case "pre":
			breakLine(true)
			if closing {
				if pre > 0 {
					pre--
				}
			} else {
				pre++
			}
		case "li":
			breakLine(false)
			if !closing {
				emit("- ")
			}
		case "td", "th":
			if !closing {
				emit("\t")
			}
		case "img":
			if alt := attrValue(tag, "alt"); alt != "" {
				text(alt)
			}
		case "a":
			if closing {
				if inLink {
					inLink = false
					lt := strings.TrimSpace(linkText.String())
					if href != "" && lt != href && !strings.HasPrefix(href, "#") &&
						!strings.HasPrefix(strings.ToLower(href), "javascript:") &&
						!strings.EqualFold("mailto:"+lt, href) && !strings.HasPrefix(href, "cid:") {
						emit(" <" + href + ">")
					}
				}
			} else {
				href = html.UnescapeString(attrValue(tag, "href"))
				inLink = true
				linkText.Reset()
			}
		}
	}
	// Tidy: trim each line, at most one blank line in a row.
	lines := strings.Split(out.String(), "\n")
	var b strings.Builder
	blank := 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			blank++
			if blank > 1 || b.Len() == 0 {
				continue
			}
		} else {
			blank = 0
		}
		b.WriteString(l)
		b.WriteString("\n")
	}
	return strings.TrimSpace(b.String())
}

// tagEnd returns the index of the '>' that closes the tag at the start of s,
// skipping quoted attribute values, or -1.
func tagEnd(s string) int {
	var quote byte
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		}
	}
	return -1
}

// tagName returns the element name at the start of a tag body.
func tagName(t string) string {
	for i := 0; i < len(t); i++ {
		if c := t[i]; !(isLetter(c) || c >= '0' && c <= '9' || c == '-' || c == ':') {
			return t[:i]
		}
	}
	return t
}

// skipElement skips the content of a raw element up to its end tag.
func skipElement(s, name string) string {
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "</")
		if j < 0 {
			return ""
		}
		i += j + 2
		if len(s)-i >= len(name) && strings.EqualFold(s[i:i+len(name)], name) {
			if end := strings.IndexByte(s[i:], '>'); end >= 0 {
				return s[i+end+1:]
			}
			return ""
		}
	}
	return ""
}

// attrValue returns the value of attribute attr in a tag body.
func attrValue(tag, attr string) string {
	lower := strings.ToLower(tag)
	for from := 0; from < len(lower); {
		i := strings.Index(lower[from:], attr)
		if i < 0 {
			return ""
		}
		i += from
		from = i + len(attr)
		if i > 0 && !isSpaceByte(lower[i-1]) {
			continue
		}
		rest := strings.TrimLeft(tag[from:], " \t\r\n")
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
		if rest == "" {
			return ""
		}
		if q := rest[0]; q == '"' || q == '\'' {
			if end := strings.IndexByte(rest[1:], q); end >= 0 {
				return rest[1 : 1+end]
			}
			return rest[1:]
		}
		end := strings.IndexAny(rest, " \t\r\n>")
		if end < 0 {
			return rest
		}
		return rest[:end]
	}
	return ""
}

// collapseSpace turns every run of HTML white space into one space.
func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); i++ {
		if isSpaceByte(s[i]) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(s[i])
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
