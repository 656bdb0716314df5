package bindings

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
)

// manager is the Go value of a TMailManager object.
type manager struct {
	e *Engine

	initialized        bool
	mailHost, smtpHost string
	mailPort, smtpPort int // 0 = protocol default
	user, pass         string

	useSSL, useTLS bool
	useRealID      bool
	smtpTimeout    int // seconds, 0 = default (60)
	popTimeout     int // seconds, 0 = default (60)

	smtp        *mail.SMTPClient
	smtpUntrack func()

	pop         *mail.POP3Client
	imap        *mail.IMAPClient
	recvUntrack func()

	lastErr *mail.Error // last failure of this object, for GetErrorString
	initErr string      // reason of Init's -1

	fetch *headerFetch // StartGetAllMsgHeader in progress or finished
}

// defaultTimeout is what a timeout of 0 means (conventions: 60 s).
const defaultTimeout = 60

// mailServer is implemented by the Go values of the server classes that
// TMailMessage:Send/Send2/Receive/Receive2 accept (TMailManager, TMailMng).
type mailServer interface {
	// sendMessage sends m over the server's open SMTP session.
	sendMessage(ctx context.Context, m *mail.Message) error
	// retrieve returns raw message n of the open receive session, in
	// memory or, when big, in a temporary file (see mail.Spool).
	retrieve(ctx context.Context, n int) (*mail.Spool, error)
	// record remembers err for GetErrorString and returns its code (0 for nil).
	record(err error) int
}

// transport returns the engine's Transport, or a default one.
func (e *Engine) transport() *mail.Transport {
	if e.Transport != nil {
		return e.Transport
	}
	return &mail.Transport{Config: e.CurrentConfig()}
}

func seconds(n int) time.Duration {
	if n <= 0 {
		n = defaultTimeout
	}
	return time.Duration(n) * time.Second
}

// record implements mailServer.
func (m *manager) record(err error) int {
	if err == nil {
		return 0
	}
	m.lastErr = mail.Classify("", err)
	return int(m.lastErr.Code)
}

func (m *manager) fail(code mail.Code, op, reply string, cause error) int {
	return m.record(mail.NewError(code, op, reply, cause))
}

// errorString is GetErrorString: the code's text, plus the server reply and
// details when n is the code of this object's last error.
func (m *manager) errorString(n int) string {
	switch {
	case n == -1 && m.initErr != "":
		return m.initErr
	case n == -1:
		return "operation failed (-1)"
	case m.lastErr != nil && int(m.lastErr.Code) == n:
		return m.lastErr.Error()
	}
	return mail.Code(n).String()
}

func (m *manager) smtpEndpoint() (mail.Endpoint, error) {
	if !m.initialized || m.smtpHost == "" {
		return mail.Endpoint{}, mail.NewError(mail.ErrNotInitialized, "smtp connect", "", errors.New("no SMTP server: call Init with cSmtpServer"))
	}
	sec := mail.SecurityFor(m.useSSL, m.useTLS)
	port := m.smtpPort
	if port == 0 {
		port = mail.DefaultPort(mail.SMTP, sec)
	}
	return mail.Endpoint{Host: m.smtpHost, Port: port, Security: sec}, nil
}

func (m *manager) recvEndpoint(proto mail.Protocol) (mail.Endpoint, error) {
	if !m.initialized || m.mailHost == "" {
		return mail.Endpoint{}, mail.NewError(mail.ErrNotInitialized, string(proto)+" connect", "", errors.New("no receive server: call Init with cMailServer"))
	}
	sec := mail.SecurityFor(m.useSSL, m.useTLS)
	port := m.mailPort
	if port == 0 {
		port = mail.DefaultPort(proto, sec)
	}
	return mail.Endpoint{Host: m.mailHost, Port: port, Security: sec}, nil
}

// dialSMTP opens a new SMTP session (not stored).
func (m *manager) dialSMTP(ctx context.Context) (*mail.SMTPClient, error) {
	ep, err := m.smtpEndpoint()
	if err != nil {
		return nil, err
	}
	return mail.DialSMTP(ctx, m.e.transport(), mail.SMTPOptions{Endpoint: ep, Timeout: seconds(m.smtpTimeout)})
}

func (m *manager) closeSMTP(quit bool) error {
	if m.smtp == nil {
		return nil
	}
	var err error
	if quit {
		err = m.smtp.Quit()
	} else {
		err = m.smtp.Close()
	}
	m.smtpUntrack()
	m.smtp, m.smtpUntrack = nil, nil
	return err
}

// closeRecv ends the receive session: QUIT/LOGOUT when quit (POP3 commits
// deletions), a plain close otherwise.
func (m *manager) closeRecv(quit bool) error {
	var err error
	switch {
	case m.pop != nil && quit:
		err = m.pop.Quit()
	case m.pop != nil:
		err = m.pop.Close()
	case m.imap != nil && quit:
		err = m.imap.Logout()
	case m.imap != nil:
		err = m.imap.Close()
	default:
		return nil
	}
	m.recvUntrack()
	m.pop, m.imap, m.recvUntrack = nil, nil, nil
	return err
}

// sendMessage implements mailServer: it needs an open SMTP session.
func (m *manager) sendMessage(ctx context.Context, msg *mail.Message) error {
	if m.smtp == nil {
		return mail.NewError(mail.ErrNoConnection, "send", "", errors.New("no SMTP session: call SMTPConnect first"))
	}
	cp := *msg // the engine may fill Message-ID/Date: keep the object's own values
	return m.smtp.Send(ctx, &cp)
}

// retrieve implements mailServer: POP3 RETR or IMAP FETCH of message n.
func (m *manager) retrieve(ctx context.Context, n int) (*mail.Spool, error) {
	switch {
	case m.pop != nil:
		if n < 1 {
			return nil, mail.NewError(mail.ErrNoSuchMessage, "pop3 retr", "", fmt.Errorf("message number %d", n))
		}
		return m.pop.RetrSpool(n)
	case m.imap != nil:
		id, err := msgID(n)
		if err != nil {
			return nil, err
		}
		return m.imap.FetchSpool(id, m.useRealID)
	}
	return nil, mail.NewError(mail.ErrNoConnection, "receive", "", errors.New("no POP3/IMAP session: call POPConnect or IMAPConnect first"))
}

func msgID(n int) (uint32, error) {
	if n < 1 || int64(n) > int64(^uint32(0)) {
		return 0, mail.NewError(mail.ErrNoSuchMessage, "imap", "", fmt.Errorf("message number %d", n))
	}
	return uint32(n), nil
}

// needIMAP returns the IMAP session, recording ErrWrongProtocol (POP3 open)
// or ErrNoConnection.
func (m *manager) needIMAP(op string) (*mail.IMAPClient, bool) {
	switch {
	case m.imap != nil:
		return m.imap, true
	case m.pop != nil:
		m.fail(mail.ErrWrongProtocol, op, "", errors.New("connected over POP3; this needs IMAP ([Mail] Protocol=IMAP or IMAPConnect)"))
	default:
		m.fail(mail.ErrNoConnection, op, "", errors.New("no IMAP session: call IMAPConnect first"))
	}
	return nil, false
}

// connectRecv opens the receive session in proto.
func (m *manager) connectRecv(c *Call, proto mail.Protocol) int {
	m.closeRecv(true)
	ep, err := m.recvEndpoint(proto)
	if err != nil {
		return m.record(err)
	}
	t := m.e.transport()
	ctx := c.Ctx()
	timeout := seconds(m.popTimeout)
	if proto == mail.IMAP {
		cl, err := mail.DialIMAP(ctx, t, mail.IMAPOptions{Endpoint: ep, Timeout: timeout}, m.user, m.pass)
		if err != nil {
			return m.record(err)
		}
		if cl.Folder() == "" {
			// INBOX is the selected folder; its SELECT waits for the
			// first operation that needs it (a ChangeFolder first saves it).
			if err := cl.SelectLater("INBOX"); err != nil {
				cl.Logout()
				return m.record(err)
			}
		}
		m.imap, m.recvUntrack = cl, m.e.Track(cl)
		return 0
	}
	cl, err := mail.DialPOP3(ctx, t, mail.POP3Options{Endpoint: ep, Timeout: timeout})
	if err != nil {
		return m.record(err)
	}
	if err := cl.Login(m.user, m.pass); err != nil {
		cl.Close()
		return m.record(err)
	}
	m.pop, m.recvUntrack = cl, m.e.Track(cl)
	return 0
}

func (m *manager) describe() string {
	var b strings.Builder
	b.WriteString("TMailManager{")
	if !m.initialized {
		b.WriteString("not initialised")
	} else {
		fmt.Fprintf(&b, "user=%q", m.user)
		if m.smtpHost != "" {
			fmt.Fprintf(&b, " smtp=%s", hostPort(m.smtpHost, m.smtpPort))
		}
		if m.mailHost != "" {
			fmt.Fprintf(&b, " mail=%s", hostPort(m.mailHost, m.mailPort))
		}
	}
	if m.useSSL {
		b.WriteString(" ssl")
	}
	if m.useTLS {
		b.WriteString(" tls")
	}
	var open []string
	if m.smtp != nil {
		open = append(open, "smtp")
	}
	if m.pop != nil {
		open = append(open, "pop3")
	}
	if m.imap != nil {
		open = append(open, "imap")
	}
	if len(open) > 0 {
		fmt.Fprintf(&b, " connected=%s", strings.Join(open, ","))
	}
	b.WriteString("}")
	return b.String()
}

func hostPort(h string, p int) string {
	if p == 0 {
		return h
	}
	return fmt.Sprintf("%s:%d", h, p)
}

// ---- methods ----

func (m *manager) luaInit(c *Call) int {
	mailSrv, smtpSrv := c.Str(1), c.Str(2)
	user, pass := c.OptStr(3), c.OptStr(4)
	mailPort, smtpPort := c.Port(5), c.Port(6)
	mh, mp, err := mail.SplitHostPort(mailSrv)
	if err != nil {
		return c.Push(lua.LNumber(m.record(err)))
	}
	sh, sp, err := mail.SplitHostPort(smtpSrv)
	if err != nil {
		return c.Push(lua.LNumber(m.record(err)))
	}
	if mailPort == 0 {
		mailPort = mp
	}
	if smtpPort == 0 {
		smtpPort = sp
	}
	m.initialized = true
	m.mailHost, m.mailPort, m.smtpHost, m.smtpPort = mh, mailPort, sh, smtpPort
	m.user, m.pass = user, pass
	m.initErr = ""
	if strings.EqualFold(m.e.CurrentConfig().Protocol, "MAPI") && runtime.GOOS != "windows" {
		m.initErr = "MAPI is available only on Windows servers; set [Mail] Protocol=POP3 or IMAP"
		return c.Push(lua.LNumber(-1))
	}
	return c.Push(lua.LNumber(0))
}

func (m *manager) luaSetUseSSL(c *Call) int { m.useSSL = c.OptBool(1, false); return 0 }
func (m *manager) luaSetUseTLS(c *Call) int { m.useTLS = c.OptBool(1, false); return 0 }

func (m *manager) luaSetUseRealID(c *Call) int { m.useRealID = c.OptBool(1, false); return 0 }

func timeoutArg(c *Call) int {
	n := c.Int(1)
	if n < 0 {
		c.Errorf("argument #1 must be a number of seconds >= 0, got %d", n)
	}
	return n
}

func (m *manager) luaSetSMTPTimeout(c *Call) int {
	m.smtpTimeout = timeoutArg(c)
	if m.smtp != nil {
		m.smtp.SetTimeout(seconds(m.smtpTimeout))
	}
	return c.Push(lua.LNumber(0))
}

func (m *manager) luaGetSMTPTimeout(c *Call) int {
	n := m.smtpTimeout
	if n == 0 {
		n = defaultTimeout
	}
	return c.Push(lua.LNumber(n))
}

func (m *manager) luaSetPOPTimeout(c *Call) int {
	m.popTimeout = timeoutArg(c)
	if m.pop != nil {
		m.pop.SetTimeout(seconds(m.popTimeout))
	}
	if m.imap != nil {
		m.imap.SetTimeout(seconds(m.popTimeout))
	}
	return c.Push(lua.LNumber(0))
}

func (m *manager) luaSMTPConnect(c *Call) int {
	m.closeSMTP(true)
	cl, err := m.dialSMTP(c.Ctx())
	if err != nil {
		return c.Push(lua.LNumber(m.record(err)))
	}
	m.smtp, m.smtpUntrack = cl, m.e.Track(cl)
	return c.Push(lua.LNumber(0))
}

func (m *manager) luaSMTPAuth(c *Call) int {
	user, pass := c.Str(1), c.Str(2)
	if m.smtp == nil {
		return c.Push(lua.LNumber(m.fail(mail.ErrNoConnection, "smtp auth", "", errors.New("call SMTPConnect first"))))
	}
	if err := m.smtp.Auth(c.Ctx(), user, pass); err != nil {
		return c.Push(lua.LNumber(m.record(err)))
	}
	m.user = user
	return c.Push(lua.LNumber(0))
}

func (m *manager) luaSMTPDisconnect(c *Call) int {
	return c.Push(lua.LNumber(m.record(m.closeSMTP(true))))
}

func (m *manager) luaGetErrorString(c *Call) int {
	n := 0
	if m.lastErr != nil {
		n = int(m.lastErr.Code)
	}
	n = c.OptInt(1, n)
	return c.Push(lua.LString(m.errorString(n)))
}

func (m *manager) luaGetUser(c *Call) int { return c.Push(lua.LString(m.user)) }

func (m *manager) luaSendMail(c *Call) int {
	msg := &mail.Message{
		From:     c.Str(1),
		To:       c.Str(2),
		Subject:  c.OptStr(3),
		Body:     c.OptStr(4),
		Cc:       c.OptStr(5),
		Bcc:      c.OptStr(6),
		BodyType: "text/html",
	}
	files := c.Strings(7)
	if n := c.OptInt(8, 0); n > 0 && n < len(files) {
		files = files[:n]
	}
	if p := c.OptInt(9, 0); p >= 1 && p <= 5 {
		msg.Priority = p
	}
	for _, f := range files {
		a, err := fileAttachment(c.Engine, f)
		if err != nil {
			return c.Push(lua.LNumber(m.record(err)))
		}
		msg.Attachments = append(msg.Attachments, a)
	}
	ctx := c.Ctx()
	if m.smtp != nil {
		return c.Push(lua.LNumber(m.record(m.sendMessage(ctx, msg))))
	}
	// No session: connect, authenticate with Init's account, send, quit.
	cl, err := m.dialSMTP(ctx)
	if err != nil {
		return c.Push(lua.LNumber(m.record(err)))
	}
	untrack := m.e.Track(cl)
	defer untrack()
	if m.user != "" {
		if err := cl.Auth(ctx, m.user, m.pass); err != nil {
			cl.Close()
			return c.Push(lua.LNumber(m.record(err)))
		}
	}
	if err := cl.Send(ctx, msg); err != nil {
		cl.Close()
		return c.Push(lua.LNumber(m.record(err)))
	}
	return c.Push(lua.LNumber(m.record(cl.Quit())))
}

func (m *manager) luaPOPConnect(c *Call) int {
	switch strings.ToUpper(strings.TrimSpace(m.e.CurrentConfig().Protocol)) {
	case "IMAP", "IMAPS":
		return c.Push(lua.LNumber(m.connectRecv(c, mail.IMAP)))
	case "MAPI":
		return c.Push(lua.LNumber(m.fail(mail.ErrUnsupported, "mapi connect", "", errors.New("MAPI is not supported; set [Mail] Protocol=POP3 or IMAP"))))
	}
	return c.Push(lua.LNumber(m.connectRecv(c, mail.POP3)))
}

func (m *manager) luaIMAPConnect(c *Call) int {
	return c.Push(lua.LNumber(m.connectRecv(c, mail.IMAP)))
}

func (m *manager) luaRecvDisconnect(c *Call) int {
	return c.Push(lua.LNumber(m.record(m.closeRecv(true))))
}

func (m *manager) luaGetNumMsgs(c *Call) int {
	var n int
	var err error
	switch {
	case m.pop != nil:
		n, _, err = m.pop.Stat()
	case m.imap != nil:
		n, err = m.imap.Count()
	default:
		err = mail.NewError(mail.ErrNoConnection, "count messages", "", errors.New("call POPConnect or IMAPConnect first"))
	}
	return c.Push(lua.LNumber(m.record(err)), lua.LNumber(n))
}

func (m *manager) luaDeleteMsg(c *Call) int {
	n := c.Int(1)
	var err error
	switch {
	case m.pop != nil:
		if n < 1 {
			err = mail.NewError(mail.ErrNoSuchMessage, "pop3 dele", "", fmt.Errorf("message number %d", n))
		} else {
			err = m.pop.Dele(n)
		}
	case m.imap != nil:
		var id uint32
		if id, err = msgID(n); err == nil {
			err = m.imap.DeleteMsgs([]uint32{id}, m.useRealID)
		}
	default:
		err = mail.NewError(mail.ErrNoConnection, "delete message", "", errors.New("call POPConnect or IMAPConnect first"))
	}
	return c.Push(lua.LNumber(m.record(err)))
}

// imapBool runs an IMAP operation returning a logical result.
func (m *manager) imapBool(c *Call, op string, fn func(cl *mail.IMAPClient) error) int {
	cl, ok := m.needIMAP(op)
	if !ok {
		return c.Push(lua.LFalse)
	}
	return c.Push(lua.LBool(m.record(fn(cl)) == 0))
}

func (m *manager) luaChangeFolder(c *Call) int {
	f := c.Str(1)
	return m.imapBool(c, "imap select", func(cl *mail.IMAPClient) error { _, err := cl.Select(f); return err })
}

func (m *manager) luaCreateFolder(c *Call) int {
	f := c.Str(1)
	return m.imapBool(c, "imap create", func(cl *mail.IMAPClient) error {
		if err := cl.Create(f); err != nil {
			return err
		}
		_, err := cl.Select(f)
		return err
	})
}

func (m *manager) luaDeleteFolder(c *Call) int {
	f := c.Str(1)
	return m.imapBool(c, "imap delete", func(cl *mail.IMAPClient) error { return cl.Delete(f) })
}

func (m *manager) luaRenameFolder(c *Call) int {
	from, to := c.Str(1), c.Str(2)
	return m.imapBool(c, "imap rename", func(cl *mail.IMAPClient) error { return cl.Rename(from, to) })
}

func (m *manager) luaSetFolderSubscribe(c *Call) int {
	f, on := c.Str(1), c.Bool(2)
	return m.imapBool(c, "imap subscribe", func(cl *mail.IMAPClient) error { return cl.Subscribe(f, on) })
}

func (m *manager) luaPurge(c *Call) int {
	f := c.Str(1)
	return m.imapBool(c, "imap expunge", func(cl *mail.IMAPClient) error { return cl.Expunge(f) })
}

func (m *manager) luaMoveMsg(c *Call) int {
	n, f := c.Int(1), c.Str(2)
	return m.imapBool(c, "imap move", func(cl *mail.IMAPClient) error {
		id, err := msgID(n)
		if err != nil {
			return err
		}
		return cl.Move([]uint32{id}, m.useRealID, f)
	})
}

func (m *manager) luaCopyMsg(c *Call) int {
	n, f := c.Int(1), c.Str(2)
	return m.imapBool(c, "imap copy", func(cl *mail.IMAPClient) error {
		id, err := msgID(n)
		if err != nil {
			return err
		}
		return cl.Copy([]uint32{id}, m.useRealID, f)
	})
}

// msgIDs converts an array of message numbers.
func msgIDs(c *Call, n int) []uint32 {
	t := c.Table(n)
	ids := make([]uint32, 0, t.Len())
	for i := 1; i <= t.Len(); i++ {
		v, ok := t.RawGetInt(i).(lua.LNumber)
		if !ok || float64(v) != float64(uint32(v)) || v < 1 {
			c.Errorf("argument #%d: element %d must be a message number, got %s", n, i, t.RawGetInt(i).String())
		}
		ids = append(ids, uint32(v))
	}
	return ids
}

func (m *manager) luaMoveMsgs(c *Call) int {
	ids, f := msgIDs(c, 1), c.Str(2)
	return m.imapBool(c, "imap move", func(cl *mail.IMAPClient) error { return cl.Move(ids, m.useRealID, f) })
}

func (m *manager) luaCopyMsgs(c *Call) int {
	ids, f := msgIDs(c, 1), c.Str(2)
	return m.imapBool(c, "imap copy", func(cl *mail.IMAPClient) error { return cl.Copy(ids, m.useRealID, f) })
}

func (m *manager) luaDeleteMsgs(c *Call) int {
	ids := msgIDs(c, 1)
	var err error
	switch {
	case m.pop != nil:
		for _, id := range ids {
			if err = m.pop.Dele(int(id)); err != nil {
				break
			}
		}
	case m.imap != nil:
		err = m.imap.DeleteMsgs(ids, m.useRealID)
	default:
		err = mail.NewError(mail.ErrNoConnection, "delete messages", "", errors.New("call POPConnect or IMAPConnect first"))
	}
	return c.Push(lua.LNumber(m.record(err)))
}

// imapFlags maps the SetMsgFlag letters to IMAP flags.
var imapFlags = map[rune]string{
	'A': `\Answered`,
	'F': `\Flagged`,
	'D': `\Deleted`,
	'S': `\Seen`,
	'R': `\Draft`,
	'C': `\Recent`, // servers refuse to set it (RFC 3501): the call then returns .F.
	'P': `$Special`,
}

func (m *manager) luaSetMsgFlag(c *Call) int {
	n, letters := c.Int(1), c.Str(2)
	var flags []string
	for _, r := range strings.ToUpper(strings.TrimSpace(letters)) {
		f, ok := imapFlags[r]
		if !ok {
			m.fail(mail.ErrInvalidArgument, "imap store", "", fmt.Errorf("unknown flag letter %q (want A F D S R C P)", r))
			return c.Push(lua.LFalse)
		}
		flags = append(flags, f)
	}
	if len(flags) == 0 {
		m.fail(mail.ErrInvalidArgument, "imap store", "", errors.New("no flag letter"))
		return c.Push(lua.LFalse)
	}
	return m.imapBool(c, "imap store", func(cl *mail.IMAPClient) error {
		id, err := msgID(n)
		if err != nil {
			return err
		}
		return cl.SetFlags([]uint32{id}, m.useRealID, flags)
	})
}

func (m *manager) luaGetFolder(c *Call) int {
	if cl, ok := m.needIMAP("imap folder"); ok {
		return c.Push(lua.LString(cl.Folder()))
	}
	return c.Push(lua.LString(""))
}

// folderStatus is column [2] of GetFolderList: the LIST attributes and
// \Subscribed, space-separated.
func folderStatus(f mail.FolderInfo) string {
	attrs := append([]string(nil), f.Attributes...)
	if f.Subscribed {
		has := false
		for _, a := range attrs {
			if strings.EqualFold(a, `\Subscribed`) {
				has = true
			}
		}
		if !has {
			attrs = append(attrs, `\Subscribed`)
		}
	}
	return strings.Join(attrs, " ")
}

func (m *manager) luaGetFolderList(c *Call) int {
	cl, ok := m.needIMAP("imap list")
	if !ok {
		return c.Push(c.L.NewTable())
	}
	list, err := cl.Folders(true)
	if m.record(err) != 0 {
		return c.Push(c.L.NewTable())
	}
	t := c.L.CreateTable(len(list), 0)
	for _, f := range list {
		t.Append(array(c.L, lua.LString(f.Name), lua.LString(folderStatus(f)),
			lua.LNumber(f.Total), lua.LNumber(f.Seen), lua.LNumber(f.Unseen)))
	}
	return c.Push(t)
}

func (m *manager) luaIMAPStore(c *Call) int {
	folder := c.Str(1)
	msg := c.Object(2, "TMailMessage").(*message)
	cl, ok := m.needIMAP("imap append")
	if !ok {
		return c.Push(lua.LNumber(m.lastErr.Code))
	}
	data, err := msg.build().Bytes()
	if err != nil {
		return c.Push(lua.LNumber(m.record(err)))
	}
	return c.Push(lua.LNumber(m.record(cl.Append(folder, data, nil))))
}

func (m *manager) luaGetMsgHeader(c *Call) int {
	n := c.Int(1)
	cl, ok := m.needIMAP("imap fetch header")
	if !ok {
		return c.Push(lua.LNil)
	}
	id, err := msgID(n)
	if err != nil {
		m.record(err)
		return c.Push(lua.LNil)
	}
	hs, err := cl.FetchHeader(id, m.useRealID)
	if m.record(err) != 0 {
		return c.Push(lua.LNil)
	}
	t := c.L.NewTable()
	for _, h := range hs {
		t.Append(array(c.L, lua.LString(h.Name), lua.LString(h.Value)))
	}
	return c.Push(t)
}

func (m *manager) luaGetMsgBody(c *Call) int {
	n := c.Int(1)
	cl, ok := m.needIMAP("imap fetch structure")
	if !ok {
		return c.Push(lua.LNil)
	}
	id, err := msgID(n)
	if err != nil {
		m.record(err)
		return c.Push(lua.LNil)
	}
	parts, err := cl.FetchStructure(id, m.useRealID)
	if m.record(err) != 0 {
		return c.Push(lua.LNil)
	}
	t := c.L.NewTable()
	for _, p := range parts {
		t.Append(array(c.L, lua.LString(p.Section), lua.LString(p.ContentType), lua.LString(p.Charset),
			lua.LString(p.Encoding), lua.LString(p.Disposition), lua.LString(p.FileName),
			lua.LString(p.ContentID), lua.LNumber(p.Size)))
	}
	return c.Push(t)
}

// headerFetch is a StartGetAllMsgHeader running in the background on the
// session's IMAP connection. The fetch goroutine queues rows in pending;
// each EndGetAllMsgHeader poll (on the script's goroutine, which alone may
// touch the Lua state) turns the queued rows into Lua rows, so that at most
// the rows of one poll interval wait as Go values.
type headerFetch struct {
	mu      sync.Mutex
	pending []mail.HeaderRow
	done    bool
	err     error

	// Owned by the script's goroutine.
	uid    bool                  // column [1] is the UID (SetUseRealID), else the sequence number
	names  []lua.LValue          // the requested names, boxed once for every row
	out    []lua.LValue          // the Lua rows built so far
	seqs   []uint32              // the sequence number of each row of out
	sorted bool                  // out is in ascending sequence order so far
	spare  []mail.HeaderRow      // an emptied pending slice, reused
	shared map[string]lua.LValue // recent values, see value
}

// take moves the rows queued so far into Lua rows; it reports whether the
// fetch has ended and with what error.
func (f *headerFetch) take(L *lua.LState) (done bool, err error) {
	f.mu.Lock()
	rows := f.pending
	f.pending = f.spare[:0]
	done, err = f.done, f.err
	f.mu.Unlock()
	for i := range rows {
		f.add(L, &rows[i])
		rows[i] = mail.HeaderRow{} // release the strings of the Go row
	}
	f.spare = rows[:0]
	return done, err
}

// add appends the Lua row of r: {id, {name, value}, ...}.
func (f *headerFetch) add(L *lua.LState, r *mail.HeaderRow) {
	id := r.SeqNum
	if f.uid {
		id = r.UID
	}
	row := L.CreateTable(1+len(r.Headers), 0)
	row.Append(lua.LNumber(id))
	for i, h := range r.Headers {
		var name lua.LValue
		if i < len(f.names) && string(f.names[i].(lua.LString)) == h.Name {
			name = f.names[i]
		} else {
			name = lua.LString(h.Name)
		}
		pair := L.CreateTable(2, 0)
		pair.Append(name)
		pair.Append(f.value(h.Value))
		row.Append(pair)
	}
	if n := len(f.seqs); n > 0 && f.seqs[n-1] > r.SeqNum {
		f.sorted = false
	}
	f.out = append(f.out, row)
	f.seqs = append(f.seqs, r.SeqNum)
}

// maxShared bounds headerFetch.shared: values seen again (a sender's From,
// an empty field) share one Lua string; most others (subjects) are unique.
const maxShared = 1024

// value returns the Lua string of v, shared with earlier rows when one of
// them had the same value.
func (f *headerFetch) value(v string) lua.LValue {
	if lv, ok := f.shared[v]; ok {
		return lv
	}
	lv := lua.LValue(lua.LString(v))
	if f.shared == nil || len(f.shared) >= maxShared {
		f.shared = make(map[string]lua.LValue, maxShared/4)
	}
	f.shared[v] = lv
	return lv
}

// bySeq sorts Lua rows by their sequence numbers.
type bySeq struct {
	rows []lua.LValue
	seqs []uint32
}

func (s bySeq) Len() int           { return len(s.rows) }
func (s bySeq) Less(i, j int) bool { return s.seqs[i] < s.seqs[j] }
func (s bySeq) Swap(i, j int) {
	s.rows[i], s.rows[j] = s.rows[j], s.rows[i]
	s.seqs[i], s.seqs[j] = s.seqs[j], s.seqs[i]
}

func (m *manager) luaStartGetAllMsgHeader(c *Call) int {
	folder := c.Str(1)
	names := c.Strings(2)
	if m.fetch != nil {
		m.fetch.mu.Lock()
		running := !m.fetch.done
		m.fetch.mu.Unlock()
		if running {
			m.fail(mail.ErrInvalidArgument, "imap fetch headers", "", errors.New("a header fetch is already running: call EndGetAllMsgHeader until it returns .T."))
			return c.Push(lua.LFalse)
		}
	}
	cl, ok := m.needIMAP("imap fetch headers")
	if !ok {
		return c.Push(lua.LFalse)
	}
	if len(names) == 0 {
		m.fail(mail.ErrInvalidArgument, "imap fetch headers", "", errors.New("no header names"))
		return c.Push(lua.LFalse)
	}
	if folder == "" {
		folder = "INBOX" // what a session of its own would read
	}
	f := &headerFetch{uid: m.useRealID, sorted: true, names: make([]lua.LValue, len(names))}
	for i, n := range names {
		f.names[i] = lua.LString(n)
	}
	m.fetch = f
	// On the script's own connection: its later IMAP calls queue behind
	// the FETCH; its selected folder is left as it is.
	cl.FetchAllHeadersAsync(folder, names, func(r mail.HeaderRow) {
		f.mu.Lock()
		f.pending = append(f.pending, r)
		f.mu.Unlock()
	}, func(err error) {
		f.mu.Lock()
		f.done, f.err = true, err
		f.mu.Unlock()
	})
	return c.Push(lua.LTrue)
}

func (m *manager) luaEndGetAllMsgHeader(c *Call) int {
	dst := c.OptTable(1)
	f := m.fetch
	if f == nil {
		// Nothing running: report done so that polling loops end.
		m.fail(mail.ErrInvalidArgument, "imap fetch headers", "", errors.New("StartGetAllMsgHeader was not called or did not start"))
		return c.Push(lua.LTrue, fill(c.L, dst, nil))
	}
	done, err := f.take(c.L)
	if !done {
		return c.Push(lua.LFalse, fill(c.L, dst, nil))
	}
	m.fetch = nil
	m.record(err)
	if !f.sorted {
		sort.Sort(bySeq{f.out, f.seqs})
	}
	return c.Push(lua.LTrue, fill(c.L, dst, f.out))
}

// array builds a Lua array.
func array(L *lua.LState, vs ...lua.LValue) *lua.LTable {
	t := L.CreateTable(len(vs), 0)
	for _, v := range vs {
		t.Append(v)
	}
	return t
}

// fill replaces the array part of dst (a new table when nil) with vs, so
// that arrays passed to be filled are filled in place.
func fill(L *lua.LState, dst *lua.LTable, vs []lua.LValue) *lua.LTable {
	if dst == nil {
		dst = L.CreateTable(len(vs), 0)
	}
	for i := dst.Len(); i >= 1; i-- {
		dst.RawSetInt(i, lua.LNil)
	}
	for i, v := range vs {
		dst.RawSetInt(i+1, v)
	}
	return dst
}

// bindManager adapts a method of *manager.
func bindManager(f func(*manager, *Call) int) func(*Call) int {
	return func(c *Call) int { return f(c.Self.(*manager), c) }
}

var managerClass = &Class{
	Name: "TMailManager",
	Doc: "Connection object: SMTP for sending; POP3 or IMAP (by [Mail] Protocol) for receiving. " +
		"Connection operations return a number, 0 = success; GetErrorString(n) explains a code.",
	Make:     func(e *Engine) any { return &manager{e: e} },
	Describe: func(v any) string { return v.(*manager).describe() },
}

func init() { registerBuild(buildManagerClass) }

// buildManagerClass declares the members of TMailManager.
func buildManagerClass() {
	const recvDoc = " Needs an open receive session."
	const imapDoc = " IMAP only: returns .F. (GetErrorString: no connection / wrong protocol) without an IMAP session."
	// The IMAP-only note of methods that do not return a logical.
	const imapEmptyDoc = " IMAP only: returns {} (GetErrorString: no connection / wrong protocol) without an IMAP session."
	const imapNilDoc = " IMAP only: returns nil (GetErrorString: no connection / wrong protocol) without an IMAP session."
	nMsg := req("nMsg", TypeNum, "message number: sequence number, or UID after SetUseRealID(.T.) on IMAP")
	nErr := ret("nErr", TypeNum, "0 = success, else an error code for GetErrorString")
	lOk := ret("lOk", TypeBool, ".T. on success")
	b := bindManager
	managerClass.Methods = []Method{
		{Member{Name: "New", Returns: rets(ret("oServer", TypeObject, "the object")),
			Doc: "Creates a TMailManager (TMailManager():New(), TMailManager:New() and TMailManager.New() all work)."}, nil},
		{Member{Name: "Init", Params: params(
			req("cMailServer", TypeChar, `POP3/IMAP server ("" when only sending); "host:port" accepted`),
			req("cSmtpServer", TypeChar, `SMTP server ("" when only receiving); "host:port" accepted`),
			opt("cAccount", TypeChar, "account (user name) for authentication"),
			opt("cPassword", TypeChar, `password; "oauth2:<token>" authenticates with OAUTHBEARER or XOAUTH2`),
			opt("nMailPort", TypeNum+"|"+TypeChar, "receive port; nil/0 = protocol default (110/995, 143/993)"),
			opt("nSmtpPort", TypeNum+"|"+TypeChar, "SMTP port; nil/0 = default (25, 587 with TLS, 465 with SSL)")),
			Returns: rets(ret("nErr", TypeNum, "0; -1 when [Mail] Protocol=MAPI on a non-Windows system")),
			Doc:     "Stores the servers and the account; connects nothing. A port argument wins over a port in \"host:port\"."}, b((*manager).luaInit)},
		{Member{Name: "SetUseSSL", Params: params(req("lSSL", TypeBool, ".T. = implicit TLS (SMTPS 465, POP3S 995, IMAPS 993)")),
			Doc: "Selects implicit TLS for the next connections; wins over SetUseTLS when both are .T."}, b((*manager).luaSetUseSSL)},
		{Member{Name: "SetUseTLS", Params: params(req("lTLS", TypeBool, ".T. = upgrade with STARTTLS/STLS")),
			Doc: "Selects STARTTLS for the next connections (an error when the server does not offer it)."}, b((*manager).luaSetUseTLS)},
		{Member{Name: "SetSMTPTimeout", Params: params(req("nTimeout", TypeNum, "seconds; 0 = 60")),
			Returns: rets(ret("nErr", TypeNum, "0")),
			Doc:     "Sets the SMTP timeout (dial, each command, DATA). Applies to the open session too."}, b((*manager).luaSetSMTPTimeout)},
		{Member{Name: "GetSMTPTimeout", Returns: rets(ret("nTimeout", TypeNum, "seconds")),
			Doc: "Returns the SMTP timeout in seconds (60 when not set)."}, b((*manager).luaGetSMTPTimeout)},
		{Member{Name: "SMTPConnect", Returns: rets(nErr),
			Doc: "Connects to Init's SMTP server (TLS per SetUseSSL/SetUseTLS). Error 1 when Init gave no SMTP server."}, b((*manager).luaSMTPConnect)},
		{Member{Name: "SMTPAuth", Params: params(req("cUser", TypeChar, "user"), req("cPass", TypeChar, "password")),
			Returns: rets(nErr),
			Doc:     "Authenticates the open SMTP session with the strongest mechanism offered and allowed by [Mail]."}, b((*manager).luaSMTPAuth)},
		{Member{Name: "SMTPDisconnect", Returns: rets(nErr),
			Doc: "Says QUIT and closes the SMTP session; 0 when none was open."}, b((*manager).luaSMTPDisconnect)},
		{Member{Name: "SendMail", Params: params(
			req("cFrom", TypeChar, "sender"),
			req("cTo", TypeChar, "recipients separated by ; or ,"),
			opt("cSubject", TypeChar, "subject"),
			opt("cBody", TypeChar, "HTML body"),
			opt("cCC", TypeChar, "carbon copies"),
			opt("cBCC", TypeChar, "blind copies"),
			opt("aAttach", TypeArray+"|"+TypeChar, "file paths to attach"),
			opt("nNumAttach", TypeNum, "how many elements of aAttach to use (nil/0 = all)"),
			opt("nPriority", TypeNum, "X-Priority 1 (highest) .. 5 (lowest), default 3")),
			Returns: rets(nErr),
			Doc:     "Sends a message without a TMailMessage: over the open SMTP session, or over a session opened (and authenticated with Init's account) for this call."}, b((*manager).luaSendMail)},
		{Member{Name: "GetErrorString", Params: params(opt("nError", TypeNum, "error code; nil = the last error of this object")),
			Returns: rets(ret("cError", TypeChar, "text")),
			Doc:     "Text of an error code; for this object's last error it includes the server's reply (\"authentication failed: 535 5.7.8 ...\")."}, b((*manager).luaGetErrorString)},
		{Member{Name: "GetUser", Returns: rets(ret("cUser", TypeChar, "account")),
			Doc: "Account given to Init, or the user of the last successful SMTPAuth."}, b((*manager).luaGetUser)},
		{Member{Name: "POPConnect", Returns: rets(nErr),
			Doc: "Connects to Init's mail server and logs in with its account, in the [Mail] Protocol read now (POP3 by default; IMAP opens an IMAP session with INBOX selected)."}, b((*manager).luaPOPConnect)},
		{Member{Name: "POPDisconnect", Returns: rets(nErr),
			Doc: "Ends the receive session: POP3 QUIT commits DeleteMsg (when the server refused one, its error is returned and the session is closed without QUIT, so nothing is deleted); IMAP LOGOUT. 0 when none was open."}, b((*manager).luaRecvDisconnect)},
		{Member{Name: "IMAPConnect", Returns: rets(nErr),
			Doc: "Connects to Init's mail server over IMAP whatever [Mail] Protocol says, logs in and selects INBOX."}, b((*manager).luaIMAPConnect)},
		{Member{Name: "IMAPDisconnect", Returns: rets(nErr),
			Doc: "Logs out and closes the receive session."}, b((*manager).luaRecvDisconnect)},
		{Member{Name: "SetPOPTimeout", Params: params(req("nTimeout", TypeNum, "seconds; 0 = 60")),
			Returns: rets(ret("nErr", TypeNum, "0")),
			Doc:     "Sets the receive timeout (POP3 and IMAP: dial and each command). Applies to the open session too."}, b((*manager).luaSetPOPTimeout)},
		{Member{Name: "GetNumMsgs", Params: params(ref("nNumMsgs", TypeNum, "by reference: receives the count")),
			Returns: rets(nErr, ret("nNumMsgs", TypeNum, "messages in the mailbox / selected folder")),
			Doc:     "Counts messages: nErr, nNumMsgs = oServer:GetNumMsgs(nNumMsgs)." + recvDoc}, b((*manager).luaGetNumMsgs)},
		{Member{Name: "DeleteMsg", Params: params(nMsg), Returns: rets(nErr),
			Doc: "Deletes a message. POP3: marked (DELE, pipelined when the server offers PIPELINING: a refusal is then reported by POPDisconnect), removed only by POPDisconnect. IMAP: \\Deleted plus UID EXPUNGE of that message only." + recvDoc}, b((*manager).luaDeleteMsg)},
		{Member{Name: "ChangeFolder", Params: params(req("cFolder", TypeChar, "folder")), Returns: rets(lOk),
			Doc: "Selects a folder; .F. when it does not exist." + imapDoc}, b((*manager).luaChangeFolder)},
		{Member{Name: "CreateFolder", Params: params(req("cFolder", TypeChar, "folder")), Returns: rets(lOk),
			Doc: "Creates a folder and selects it." + imapDoc}, b((*manager).luaCreateFolder)},
		{Member{Name: "DeleteFolder", Params: params(req("cFolder", TypeChar, "folder")), Returns: rets(lOk),
			Doc: "Deletes a folder (leaving it first when it is the selected one)." + imapDoc}, b((*manager).luaDeleteFolder)},
		{Member{Name: "RenameFolder", Params: params(req("cCurFolder", TypeChar, "current name"), req("cNewFolder", TypeChar, "new name")),
			Returns: rets(lOk), Doc: "Renames a folder." + imapDoc}, b((*manager).luaRenameFolder)},
		{Member{Name: "SetFolderSubscribe", Params: params(req("cFolder", TypeChar, "folder"), req("lSign", TypeBool, ".T. subscribe, .F. unsubscribe")),
			Returns: rets(lOk), Doc: "Subscribes or unsubscribes a folder." + imapDoc}, b((*manager).luaSetFolderSubscribe)},
		{Member{Name: "GetFolder", Returns: rets(ret("cFolder", TypeChar, "selected folder, \"\" when none")),
			Doc: "Name of the selected IMAP folder."}, b((*manager).luaGetFolder)},
		{Member{Name: "GetFolderList", Returns: rets(ret("aFolders", TypeArray, "rows {cName, cStatus, nTotal, nRead, nUnread}")),
			Doc: "Subscribed folders. Each row: [1] name, [2] status = LIST attributes and \\Subscribed separated by spaces " +
				"(e.g. \"\\HasNoChildren \\Subscribed\"), [3] messages, [4] read, [5] unread. Empty array on error." + imapEmptyDoc}, b((*manager).luaGetFolderList)},
		{Member{Name: "MoveMsg", Params: params(nMsg, req("cFolder", TypeChar, "target folder")), Returns: rets(lOk),
			Doc: "Moves a message of the selected folder to another folder." + imapDoc}, b((*manager).luaMoveMsg)},
		{Member{Name: "CopyMsg", Params: params(nMsg, req("cFolder", TypeChar, "target folder")), Returns: rets(lOk),
			Doc: "Copies a message to a folder." + imapDoc}, b((*manager).luaCopyMsg)},
		{Member{Name: "MoveMsgs", Params: params(req("aMsgs", TypeArray, "message numbers"), req("cFolder", TypeChar, "target folder")), Returns: rets(lOk),
			Doc: "advmail extension: moves several messages in one command." + imapDoc}, b((*manager).luaMoveMsgs)},
		{Member{Name: "CopyMsgs", Params: params(req("aMsgs", TypeArray, "message numbers"), req("cFolder", TypeChar, "target folder")), Returns: rets(lOk),
			Doc: "advmail extension: copies several messages in one command." + imapDoc}, b((*manager).luaCopyMsgs)},
		{Member{Name: "DeleteMsgs", Params: params(req("aMsgs", TypeArray, "message numbers")), Returns: rets(nErr),
			Doc: "advmail extension: deletes several messages (as DeleteMsg)." + recvDoc}, b((*manager).luaDeleteMsgs)},
		{waitNewMsgsMember, b((*manager).luaWaitNewMsgs)}, // wait.go
		{Member{Name: "SetMsgFlag", Params: params(nMsg, req("cFlag", TypeChar, "letters: A=\\Answered F=\\Flagged D=\\Deleted S=\\Seen R=\\Draft C=\\Recent P=$Special")),
			Returns: rets(lOk),
			Doc:     "Adds IMAP flags to a message (several letters add several flags). \\Recent cannot be set by clients: servers refuse it, giving .F." + imapDoc}, b((*manager).luaSetMsgFlag)},
		{Member{Name: "Purge", Params: params(req("cFolder", TypeChar, "folder")), Returns: rets(lOk),
			Doc: "Permanently removes the messages flagged \\Deleted in a folder (EXPUNGE)." + imapDoc}, b((*manager).luaPurge)},
		{Member{Name: "IMAPStore", Params: params(req("cFolder", TypeChar, "folder"), req("oMsg", TypeObject, "TMailMessage")),
			Returns: rets(nErr), Doc: "Appends a message to a folder (note: folder first here, message first on TMailMng)."}, b((*manager).luaIMAPStore)},
		{Member{Name: "SetUseRealID", Params: params(req("lOpt", TypeBool, ".T. = message numbers are UIDs, .F. = sequence numbers")),
			Doc: "How IMAP message-number arguments are read (also by TMailMessage:Receive)."}, b((*manager).luaSetUseRealID)},
		{Member{Name: "GetMsgHeader", Params: params(nMsg),
			Returns: rets(ret("aHeader", TypeArray, "rows {cName, cValue}; nil on error")),
			Doc:     "Every header field of a message, in order, values decoded to UTF-8." + imapNilDoc}, b((*manager).luaGetMsgHeader)},
		{Member{Name: "GetMsgBody", Params: params(nMsg),
			Returns: rets(ret("aParts", TypeArray, "rows {cSection, cContentType, cCharset, cEncoding, cDisposition, cFileName, cContentID, nSize}; nil on error")),
			Doc:     "MIME structure of a message, one row per part (section \"1\", \"1.2\", ...)." + imapNilDoc}, b((*manager).luaGetMsgBody)},
		{Member{Name: "StartGetAllMsgHeader", Params: params(req("cFolder", TypeChar, "folder"), req("aHeader", TypeArray, `header names, e.g. {"from","subject","to"}`)),
			Returns: rets(lOk),
			Doc:     "Starts fetching the named headers of every message of a folder in the background, on the open IMAP session (its later IMAP calls wait for the fetch; its selected folder is kept). Collect with EndGetAllMsgHeader." + imapDoc}, b((*manager).luaStartGetAllMsgHeader)},
		{Member{Name: "EndGetAllMsgHeader", Params: params(ref("aHeader", TypeArray, "by reference: receives the rows (a table passed is filled in place)")),
			Returns: rets(ret("lDone", TypeBool, ".T. when finished (also after an error, see GetErrorString)"),
				ret("aHeader", TypeArray, "rows {nMsgId, {cName, cValue}, ...}; nMsgId is the UID after SetUseRealID(.T.), else the sequence number")),
			Doc: "Polls the fetch started by StartGetAllMsgHeader: lDone, aHeader = oServer:EndGetAllMsgHeader(aHeader). Empty until done."}, b((*manager).luaEndGetAllMsgHeader)},
		{searchMember, b((*manager).luaSearchMsgs)},
	}
	registerClass(managerClass)
}
