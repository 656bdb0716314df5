package bindings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"os"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
)

// message is the Go value of a TMailMessage object.
type message struct {
	msg *mail.Message
	// Properties kept as plain values (filled by Receive from the headers of
	// the same names, not written when sending).
	newsgroups, references, xref, xNewsReader, notification string
	signed                                                  bool
}

func newMessage() *message {
	return &message{msg: &mail.Message{BodyType: "text/html"}}
}

// build returns the mail.Message to send or serialise.
func (m *message) build() *mail.Message {
	return m.msg
}

func (m *message) describe() string {
	return fmt.Sprintf("TMailMessage{from=%q to=%q subject=%q attachments=%d}",
		m.msg.From, m.msg.To, m.msg.Subject, len(m.msg.Attachments))
}

// setParsed replaces the content with a parsed message (the temporary
// file of the previous one, if any, is removed).
func (m *message) setParsed(p *mail.Message) {
	if m.msg != p {
		m.msg.Close()
	}
	*m = message{msg: p}
	if m.msg.BodyType == "" {
		m.msg.BodyType = "text/html"
		if m.msg.HTMLBody == "" && m.msg.TextBody != "" {
			m.msg.BodyType = "text/plain"
		}
	}
	m.newsgroups = headerValue(p, "Newsgroups")
	m.references = headerValue(p, "References")
	m.xref = headerValue(p, "Xref")
	m.xNewsReader = headerValue(p, "X-Newsreader")
	m.notification = headerValue(p, "Disposition-Notification-To")
}

// headerValue returns the first header named name (any case, trailing
// colon tolerated): through Message.Header, else from Headers directly.
func headerValue(m *mail.Message, name string) string {
	name = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(name), ":"))
	if v, ok := m.Header(name); ok {
		return v
	}
	for _, h := range m.Headers {
		if strings.EqualFold(strings.TrimSuffix(h.Name, ":"), name) {
			return h.Value
		}
	}
	return ""
}

// contentTypeFor guesses the MIME type of a file name.
func contentTypeFor(name string) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	return "application/octet-stream"
}

// fileAttachment makes an attachment of a file (a script path, resolved
// by e): the file must be readable now; its content is streamed when the
// message is built.
func fileAttachment(e *Engine, path string) (*mail.Attachment, error) {
	if strings.TrimSpace(path) == "" {
		return nil, mail.NewError(mail.ErrAttachmentNotFound, "attach", "", errors.New("empty file name"))
	}
	path, err := e.ResolvePath(path)
	if err != nil {
		return nil, mail.NewError(mail.ErrAttachmentNotFound, "attach", "", err)
	}
	f, err := os.Open(path)
	if err == nil {
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil && fi.IsDir() {
			err = errors.New("is a directory")
		}
		f.Close()
	}
	if err != nil {
		return nil, mail.NewError(mail.ErrAttachmentNotFound, "attach "+path, "", err)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // the script may change directory before sending
	}
	name := filepath.Base(path)
	return &mail.Attachment{Name: name, ContentType: contentTypeFor(name), Disposition: "attachment", Path: path}, nil
}

// attachmentName is the name used to save attachment a (1-based index i).
func attachmentName(a *mail.Attachment, i int) string {
	name := a.Name
	if name == "" {
		name = a.DispositionName
	}
	return SafeName(name, i, a.ContentType)
}

// ---- methods ----

func (m *message) luaClear(c *Call) int {
	m.msg.Close() // removes the temporary file of a big received message
	*m = *newMessage()
	return 0
}

func serverArg(c *Call, n int) mailServer {
	srv, ok := c.Object(n, "").(mailServer)
	if !ok {
		c.Errorf("argument #%d must be a TMailManager or TMailMng object, got %s", n, c.typeName(c.Arg(n)))
	}
	return srv
}

func (m *message) luaSend(c *Call) int {
	srv := serverArg(c, 1)
	return c.Push(lua.LNumber(srv.record(srv.sendMessage(c.Ctx(), m.build()))))
}

func (m *message) luaReceive(c *Call) int {
	srv := serverArg(c, 1)
	n := c.Int(2)
	raw, err := srv.retrieve(c.Ctx(), n)
	if err != nil {
		return c.Push(lua.LNumber(srv.record(err)))
	}
	p, err := mail.ParseSpool(c.Ctx(), raw)
	if err != nil {
		return c.Push(lua.LNumber(srv.record(err)))
	}
	if p.Truncated != "" {
		traceTruncated(srv, n, p.Truncated)
	}
	m.setParsed(p)
	return c.Push(lua.LNumber(0))
}

func (m *message) luaMsgBodyType(c *Call) int {
	v := strings.TrimSpace(c.Str(1))
	mt := strings.ToLower(v)
	if t, _, err := mime.ParseMediaType(v); err == nil {
		mt = t
	}
	switch mt {
	case "text", "plain", "text/plain":
		m.msg.BodyType = "text/plain"
	case "", "html", "text/html":
		m.msg.BodyType = "text/html"
	default:
		c.Errorf("argument #1: unsupported body type %q (want \"text/html\" or \"text/plain\")", v)
	}
	return 0
}

func (m *message) luaMsgBodyEncode(c *Call) int {
	if c.Arg(1) != lua.LNil {
		c.Num(1)
	}
	return 0
}

func (m *message) attachPath(c *Call) int {
	a, err := fileAttachment(c.Engine, c.Str(1))
	if err != nil {
		return c.Push(lua.LNumber(-1))
	}
	m.msg.Attachments = append(m.msg.Attachments, a)
	return c.Push(lua.LNumber(len(m.msg.Attachments) - 1))
}

func (m *message) luaAttach(c *Call) int {
	content := c.Str(1)
	name := c.OptStr(2)
	a := &mail.Attachment{Name: name, ContentType: contentTypeFor(name), Disposition: "attachment", Data: []byte(content)}
	m.msg.Attachments = append(m.msg.Attachments, a)
	return c.Push(lua.LNumber(len(m.msg.Attachments) - 1))
}

func (m *message) luaAddAttHTag(c *Call) int {
	line := c.Str(1)
	if len(m.msg.Attachments) == 0 {
		return c.Push(lua.LNumber(-1))
	}
	a := m.msg.Attachments[len(m.msg.Attachments)-1]
	if err := a.AddHeader(line); err != nil {
		return c.Push(lua.LNumber(-1))
	}
	return c.Push(lua.LNumber(len(a.Headers) - 1))
}

func (m *message) luaAddCustomHeader(c *Call) int {
	name := strings.TrimSuffix(strings.TrimSpace(c.Str(1)), ":")
	value := c.Str(2)
	if name == "" || strings.ContainsAny(name, " \t:") {
		c.Errorf("argument #1: %q is not a header name", name)
	}
	if err := mail.CheckLine("header value", value); err != nil {
		c.Errorf("argument #2: header value contains a line break")
	}
	m.msg.Headers = append(m.msg.Headers, mail.Header{Name: name, Value: value})
	return 0
}

func (m *message) luaGetCustomHeader(c *Call) int {
	return c.Push(lua.LString(headerValue(m.msg, c.Str(1))))
}

func (m *message) luaSetConfirmRead(c *Call) int {
	m.msg.ConfirmRead = c.OptBool(1, false)
	return 0
}

func (m *message) luaSave(c *Call) int {
	path, err := c.Engine.ResolveWritePath(c.Str(1))
	if err != nil {
		return c.Push(lua.LNumber(mail.ErrFile))
	}
	data, err := m.build().StoredBytes() // keeps Bcc for the later Load + Send
	if err != nil {
		return c.Push(lua.LNumber(mail.CodeOf(err)))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return c.Push(lua.LNumber(mail.ErrFile))
	}
	return c.Push(lua.LNumber(0))
}

// load parses data (what Load and FromStr read) into m; a message not
// read whole is noted in the trace as Receive notes it.
func (m *message) load(c *Call, what string, data []byte) int {
	p, err := mail.ParseContext(c.Ctx(), bytes.NewReader(data))
	if err != nil {
		return int(mail.CodeOf(err))
	}
	if p.Truncated != "" && c.Engine != nil {
		c.Engine.transport().Tracef("advmail: %s not read whole: %s (GetTruncated)", what, p.Truncated)
	}
	m.setParsed(p)
	return 0
}

func (m *message) luaLoad(c *Call) int {
	path, err := c.Engine.ResolvePath(c.Str(1))
	if err != nil {
		return c.Push(lua.LNumber(mail.ErrFile))
	}
	f, err := os.Open(path)
	if err != nil {
		return c.Push(lua.LNumber(mail.ErrFile))
	}
	defer f.Close()
	// Through a Spool, so that a big .eml is parsed from a temporary file.
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	sp := mail.NewSpool(size)
	if _, err := io.Copy(sp, f); err != nil {
		sp.Discard()
		return c.Push(lua.LNumber(mail.ErrFile))
	}
	p, err := mail.ParseSpool(c.Ctx(), sp)
	if err != nil {
		return c.Push(lua.LNumber(mail.CodeOf(err)))
	}
	if p.Truncated != "" && c.Engine != nil {
		c.Engine.transport().Tracef("advmail: %s not read whole: %s (GetTruncated)", "TMailMessage:Load("+path+")", p.Truncated)
	}
	m.setParsed(p)
	return c.Push(lua.LNumber(0))
}

func (m *message) luaToStr(c *Call) int {
	data, err := m.build().StoredBytes() // keeps Bcc for FromStr + Send
	if err != nil {
		return c.Push(lua.LString(""))
	}
	return c.Push(lua.LString(data))
}

func (m *message) luaFromStr(c *Call) int {
	return c.Push(lua.LNumber(m.load(c, "TMailMessage:FromStr", []byte(c.Str(1)))))
}

// traceTruncated notes in the trace that message n was not read whole.
func traceTruncated(srv mailServer, n int, why string) {
	var m *manager
	switch s := srv.(type) {
	case *manager:
		m = s
	case *mng:
		m = s.manager
	}
	if m != nil && m.e != nil {
		m.e.transport().Tracef("advmail: message %d not read whole: %s (GetTruncated)", n, why)
	}
}

func (m *message) luaGetTruncated(c *Call) int {
	return c.Push(lua.LString(m.msg.Truncated))
}

func (m *message) luaGetAttachCount(c *Call) int {
	return c.Push(lua.LNumber(len(m.msg.Attachments)))
}

// attachment returns attachment n (1-based) or nil.
func (m *message) attachment(c *Call) (*mail.Attachment, int) {
	n := c.Int(1)
	if n < 1 || n > len(m.msg.Attachments) {
		return nil, n
	}
	return m.msg.Attachments[n-1], n
}

func (m *message) luaGetAttachInfo(c *Call) int {
	a, _ := m.attachment(c)
	if a == nil {
		return c.Push(lua.LNil)
	}
	return c.Push(array(c.L, lua.LString(a.Name), lua.LString(a.ContentType), lua.LString(a.Disposition),
		lua.LString(a.DispositionName), lua.LString(a.ContentID), lua.LString(a.Location), lua.LNumber(max(a.Size(), 0))))
}

func (m *message) luaGetAttach(c *Call) int {
	a, _ := m.attachment(c)
	if a == nil {
		return c.Push(lua.LNil)
	}
	data, err := a.Content() // the only place a big attachment is loaded
	if err != nil {
		return c.Push(lua.LNil)
	}
	return c.Push(lua.LString(data))
}

func (m *message) luaSaveAttach(c *Call) int {
	a, n := m.attachment(c)
	path := c.Str(2)
	if a == nil || strings.TrimSpace(path) == "" {
		return c.Push(lua.LFalse)
	}
	isDir := strings.HasSuffix(path, "/") || strings.HasSuffix(path, `\`)
	path, err := c.Engine.ResolveWritePath(path)
	if err != nil {
		return c.Push(lua.LFalse)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		isDir = true
	}
	if isDir {
		// The sender chose the name: safe, and never overwriting.
		if err := os.MkdirAll(path, 0o755); err != nil {
			return c.Push(lua.LFalse)
		}
		saved, err := CreateUniqueFrom(path, attachmentName(a, n), func(w io.Writer) error {
			_, err := a.WriteContentTo(w)
			return err
		})
		if err != nil {
			return c.Push(lua.LFalse)
		}
		return c.Push(lua.LTrue, lua.LString(saved))
	}
	// The script chose the file: it is replaced, as TOTVS does.
	if writeAttachment(path, a) != nil {
		return c.Push(lua.LFalse)
	}
	return c.Push(lua.LTrue, lua.LString(path))
}

// writeAttachment writes the content of a to the file path, replacing it,
// streamed from where the content is.
func writeAttachment(path string, a *mail.Attachment) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, werr := a.WriteContentTo(f)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

// ---- properties ----

func strProp(name, doc string, field func(m *message) *string) Property {
	return Property{
		Member: Member{Name: name, Type: TypeChar, Doc: doc},
		Get:    func(o any) lua.LValue { return lua.LString(*field(o.(*message))) },
		Set: func(o any, v lua.LValue) error {
			s := ""
			if v != lua.LNil {
				s = string(v.(lua.LString))
			}
			*field(o.(*message)) = s
			return nil
		},
	}
}

func bindMessage(f func(*message, *Call) int) func(*Call) int {
	return func(c *Call) int { return f(c.Self.(*message), c) }
}

var messageClass = &Class{
	Name:     "TMailMessage",
	Doc:      "An e-mail: headers as properties, body, attachments. Sent with Send(oServer), filled with Receive(oServer, nMsg).",
	Make:     func(e *Engine) any { return newMessage() },
	Describe: func(v any) string { return v.(*message).describe() },
}

func init() { registerBuild(buildMessageClass) }

// buildMessageClass declares the members of TMailMessage.
func buildMessageClass() {
	b := bindMessage
	nErr := ret("nErr", TypeNum, "0 = success, else an error code (text via oServer:GetErrorString)")
	nIdx := ret("nIndex", TypeNum, "0-based index of the new attachment, -1 on error")
	compat := []Param{opt("nParam2", TypeAny, "compatibility parameter, ignored"), opt("cParam3", TypeAny, "compatibility parameter, ignored")}
	nAtt := req("nIndex", TypeNum, "1-based attachment index")
	messageClass.Methods = []Method{
		{Member{Name: "New", Returns: rets(ret("oMsg", TypeObject, "the object")),
			Doc: "Creates a TMailMessage (TMailMessage():New(), TMailMessage:New() and TMailMessage.New() all work)."}, nil},
		{Member{Name: "Clear", Doc: "Empties the message so that the object can be reused."}, b((*message).luaClear)},
		{Member{Name: "Send", Params: params(req("oServer", TypeObject, "TMailManager with an open SMTP session")),
			Returns: rets(nErr), Doc: "Sends the message over the server's SMTP session (error 6 when none is open)."}, b((*message).luaSend)},
		{Member{Name: "Send2", Params: params(req("oServer", TypeObject, "TMailMng with an open SMTP session")),
			Returns: rets(nErr), Doc: "TMailMng variant of Send."}, b((*message).luaSend)},
		{Member{Name: "Receive", Params: params(req("oServer", TypeObject, "TMailManager with an open POP3/IMAP session"),
			req("nMsg", TypeNum, "message number 1..GetNumMsgs (a UID after SetUseRealID(.T.) on IMAP)")),
			Returns: rets(nErr),
			Doc:     "Replaces the content with message nMsg of the server, decoded: cBody is the HTML body when there is one, else the text body."}, b((*message).luaReceive)},
		{Member{Name: "Receive2", Params: params(req("oServer", TypeObject, "TMailMng with an open receive session"), req("nMsg", TypeNum, "message number")),
			Returns: rets(nErr), Doc: "TMailMng variant of Receive."}, b((*message).luaReceive)},
		{Member{Name: "MsgBodyType", Params: params(req("cType", TypeChar, `"text/html" (default) or "text"/"text/plain"`)),
			Doc: "Sets the body type."}, b((*message).luaMsgBodyType)},
		{Member{Name: "MsgBodyEncode", Params: params(opt("nValue", TypeNum, "0 = UUEncode, 1 = MIME")),
			Doc: "Accepted for compatibility; the body is always MIME encoded."}, b((*message).luaMsgBodyEncode)},
		{Member{Name: "AttachFile", Params: append(params(req("cFile", TypeChar, "file path (relative to the working directory)")), compat...),
			Returns: rets(nIdx), Doc: "Attaches a file (checked now, read when the message is sent, streamed); -1 when it cannot be read."}, b((*message).attachPath)},
		{Member{Name: "AttachFullPath", Params: append(params(req("cFile", TypeChar, "full file path")), compat...),
			Returns: rets(nIdx), Doc: "As AttachFile."}, b((*message).attachPath)},
		{Member{Name: "Attach", Params: params(req("cContent", TypeChar, "content"), opt("cName", TypeChar, "file name shown to the recipient"), opt("nParam3", TypeAny, "compatibility parameter, ignored")),
			Returns: rets(nIdx), Doc: "Attaches in-memory content."}, b((*message).luaAttach)},
		{Member{Name: "AddAttHTag", Params: params(req("cTag", TypeChar, `a header line, e.g. "Content-ID: <logo>"`)),
			Returns: rets(ret("nIndex", TypeNum, "0-based index of the header on the last attachment, -1 when there is no attachment or the line is not a header")),
			Doc:     "Adds a MIME header to the last attachment (Content-ID for cid: images, Content-Disposition, Content-Type)."}, b((*message).luaAddAttHTag)},
		{Member{Name: "AddCustomHeader", Params: params(req("cName", TypeChar, "header name"), req("cValue", TypeChar, "value")),
			Doc: "Adds a header to the message."}, b((*message).luaAddCustomHeader)},
		{Member{Name: "GetCustomHeader", Params: params(req("cName", TypeChar, "header name, trailing colon tolerated")),
			Returns: rets(ret("cValue", TypeChar, "decoded value, \"\" when absent")),
			Doc:     "Value of a header (of a received message: any header; of a built one: the custom headers)."}, b((*message).luaGetCustomHeader)},
		{Member{Name: "SetConfirmRead", Params: params(req("lRead", TypeBool, ".T. = ask for a read receipt")),
			Doc: "Requests a read receipt (Disposition-Notification-To: cReplyTo, else cFrom)."}, b((*message).luaSetConfirmRead)},
		{Member{Name: "Save", Params: params(req("cFile", TypeChar, "file path, usually .eml")),
			Returns: rets(nErr), Doc: "Writes the message as an RFC 5322 (.eml) file."}, b((*message).luaSave)},
		{Member{Name: "Load", Params: params(req("cFile", TypeChar, "file path")),
			Returns: rets(nErr), Doc: "Replaces the content with a message read from an .eml file (as written by Save)."}, b((*message).luaLoad)},
		{Member{Name: "ToStr", Returns: rets(ret("cMsg", TypeChar, "the message in RFC 5322 form, Bcc included; \"\" when it cannot be built")),
			Doc: "Serialises the message (FromStr reads it back)."}, b((*message).luaToStr)},
		{Member{Name: "FromStr", Params: params(req("cMsg", TypeChar, "a message as returned by ToStr")),
			Returns: rets(nErr), Doc: "Replaces the content with a parsed message."}, b((*message).luaFromStr)},
		{Member{Name: "GetTruncated", Returns: rets(ret("cWhy", TypeChar, "why parts were not read; \"\" when the message was read whole")),
			Doc: "After Receive, Load or FromStr: not empty when the message went beyond 9,999 parts or 50 nesting levels and the rest was not read."}, b((*message).luaGetTruncated)},
		{Member{Name: "GetAttachCount", Returns: rets(ret("nCount", TypeNum, "number of attachments")),
			Doc: "Number of attachments."}, b((*message).luaGetAttachCount)},
		{Member{Name: "GetAttachInfo", Params: params(nAtt),
			Returns: rets(ret("aInfo", TypeArray, "{cName, cMimeType, cDisposition, cDispositionName, cContentID, cLocation, nSize}; nil when out of range")),
			Doc:     "Describes an attachment: [1] name (may be empty), [2] MIME type, [3] disposition, [4] file name from Content-Disposition, [5] Content-ID, [6] Content-Location, [7] size in bytes."}, b((*message).luaGetAttachInfo)},
		{Member{Name: "GetAttach", Params: params(nAtt),
			Returns: rets(ret("cContent", TypeChar, "decoded content; nil when out of range")),
			Doc:     "Content of an attachment."}, b((*message).luaGetAttach)},
		{Member{Name: "SaveAttach", Params: params(nAtt, req("cFile", TypeChar, "file path (server paths allowed); a folder (ending with a separator or existing) gets the attachment's safe name, never overwriting")),
			Returns: rets(ret("lOk", TypeBool, ".T. when written"), ret("cPath", TypeChar, "the path written")),
			Doc:     "Writes an attachment to disk; a script-chosen file path is replaced, a sender-chosen name never replaces a file (a numbered variant is used)."}, b((*message).luaSaveAttach)},
	}
	messageClass.Properties = []Property{
		strProp("cFrom", "sender", func(m *message) *string { return &m.msg.From }),
		strProp("cTo", "recipients, separated by ; or ,", func(m *message) *string { return &m.msg.To }),
		strProp("cCc", "carbon copies", func(m *message) *string { return &m.msg.Cc }),
		strProp("cBcc", "blind copies (envelope only)", func(m *message) *string { return &m.msg.Bcc }),
		strProp("cSubject", "subject", func(m *message) *string { return &m.msg.Subject }),
		strProp("cBody", "body (HTML unless MsgBodyType(\"text\"))", func(m *message) *string { return &m.msg.Body }),
		strProp("cReplyTo", "Reply-To", func(m *message) *string { return &m.msg.ReplyTo }),
		strProp("cMessageID", "Message-ID without <>; generated when empty", func(m *message) *string { return &m.msg.MessageID }),
		strProp("cDate", "Date header; now when empty", func(m *message) *string { return &m.msg.Date }),
		strProp("cXMailer", "X-Mailer", func(m *message) *string { return &m.msg.XMailer }),
		{
			Member: Member{Name: "nXPriority", Type: TypeNum, Doc: "X-Priority: 1 (highest) .. 5 (lowest), default 3"},
			Get: func(o any) lua.LValue {
				if p := o.(*message).msg.Priority; p != 0 {
					return lua.LNumber(p)
				}
				return lua.LNumber(3)
			},
			Set: func(o any, v lua.LValue) error {
				if v == lua.LNil {
					o.(*message).msg.Priority = 0
					return nil
				}
				f := float64(v.(lua.LNumber))
				if f != math.Trunc(f) || f < 1 || f > 5 {
					return fmt.Errorf("must be 1..5, got %v", f)
				}
				o.(*message).msg.Priority = int(f)
				return nil
			},
		},
		strProp("cNewsgroups", "Newsgroups (stored only)", func(m *message) *string { return &m.newsgroups }),
		strProp("cReferences", "References (stored only)", func(m *message) *string { return &m.references }),
		strProp("cXRef", "Xref (stored only)", func(m *message) *string { return &m.xref }),
		strProp("cXNewsReader", "X-Newsreader (stored only)", func(m *message) *string { return &m.xNewsReader }),
		strProp("cNotification", "Disposition-Notification-To of a received message (stored only; use SetConfirmRead to ask for a receipt)", func(m *message) *string { return &m.notification }),
		{
			Member: Member{Name: "lSigned", Type: TypeBool, Doc: "signed message flag (stored only)"},
			Get:    func(o any) lua.LValue { return lua.LBool(o.(*message).signed) },
			Set: func(o any, v lua.LValue) error {
				o.(*message).signed = v == lua.LTrue
				return nil
			},
		},
	}
	registerClass(messageClass)
}
