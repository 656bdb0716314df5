package bindings

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
)

// mng is the Go value of a TMailMng object. TMailMng is TMailManager
// configured through properties: mng owns a *manager (its sessions, error
// memory, IMAP operations and the mailServer methods used by
// TMailMessage:Send2/Receive2) and keeps the TMailMng-only properties
// beside it. Properties that mean the same thing on both classes (user,
// password, timeouts, UID mode) live in the manager's fields; the TLS
// modes, servers and ports are turned into endpoints at each connect, and
// the manager's receive endpoint is synced from the open session before its
// IMAP code runs.
type mng struct {
	*manager

	protocol          int    // 0 = POP3, 1 = IMAP
	srvAddr, smtpAddr string // as assigned; "host:port" accepted
	srvPort, smtpPort int    // 0 = the port in the address, else the default
	srvSSL, smtpSSL   int    // 0..6, see mngSecurity

	srvRetry, smtpRetry                        bool // retry in the other TLS mode (TryProtocols)
	authLogin, authNTLM, authPlain, extendSMTP bool // per-object [Mail] keys
	localHost                                  string
	keepMsg, verbose, tryEncode                bool

	recvEP mail.Endpoint // endpoint of the open receive session (after any retry)
	note   string        // detail of the current operation for lVerbose
}

// TMailMng protocol numbers (nProtocol).
const (
	mngPOP3 = 0
	mngIMAP = 1
)

// mngSecurity maps a TMailMng SSL number (nSrvSSL, nSMTPSSL) to a TLS mode:
// 0 none; 1, 2, 3 (SSLv2, SSLv3, "SSL" — TOTVS maps its SSL setting to 3)
// implicit TLS; 4, 5, 6 (TLS 1.0, 1.1, "TLS" — TOTVS maps TLS to 6)
// STARTTLS/STLS. The protocol versions themselves are not honoured: Go
// speaks TLS 1.2+ (or [Mail] TLSVersion) and never SSL.
func mngSecurity(n int) mail.Security {
	switch {
	case n >= 1 && n <= 3:
		return mail.ImplicitTLS
	case n >= 4:
		return mail.StartTLS
	}
	return mail.Plain
}

func mngCheckSSL(n int) error {
	if n < 0 || n > 6 {
		return fmt.Errorf("must be 0 (no TLS), 1..3 (implicit TLS) or 4..6 (STARTTLS), got %d", n)
	}
	return nil
}

func mngCheckProtocol(n int) error {
	if n != mngPOP3 && n != mngIMAP {
		return fmt.Errorf("must be 0 (POP3) or 1 (IMAP), got %d", n)
	}
	return nil
}

func newMng(e *Engine) *mng {
	cfg := e.CurrentConfig()
	return &mng{
		manager:    &manager{e: e, initialized: true},
		authLogin:  cfg.AuthLogin,
		authNTLM:   cfg.AuthNTLM,
		authPlain:  cfg.AuthPlain,
		extendSMTP: cfg.ExtendSMTP,
		localHost:  cfg.HeloName,
		srvRetry:   cfg.TryProtocols,
		smtpRetry:  cfg.TryProtocols,
	}
}

// construct applies New(nProtocol, [nServerSSL], [nSMTPSSL], [lOldTLS]).
// Arguments left nil keep the object's values, so that TMailMng() followed
// by :New(1, 3, 6) works.
func (g *mng) construct(c *Call) {
	proto, srv, smtp := g.protocol, g.srvSSL, g.smtpSSL
	if c.Arg(1) != lua.LNil {
		proto = c.Int(1)
		if err := mngCheckProtocol(proto); err != nil {
			c.Errorf("argument #1 (nProtocol) %v", err)
		}
	}
	for i, dst := range []*int{&srv, &smtp} {
		if c.Arg(i+2) != lua.LNil {
			*dst = c.Int(i + 2)
			if err := mngCheckSSL(*dst); err != nil {
				c.Errorf("argument #%d %v", i+2, err)
			}
		}
	}
	c.OptBool(4, false) // lOldTLS: SSLv3 does not exist in Go; accepted and ignored
	g.protocol, g.srvSSL, g.smtpSSL = proto, srv, smtp
}

// transport returns a Transport for one connection of this object: the
// engine's, with a copy of the current [Mail] configuration carrying the
// object's AuthLogin/AuthPlain/AuthNTLM/ExtendSMTP, EHLO name and retry flag.
func (g *mng) transport(retry bool) *mail.Transport {
	t := *g.e.transport()
	cfg := g.e.CurrentConfig().Clone()
	cfg.AuthLogin, cfg.AuthPlain, cfg.AuthNTLM = g.authLogin, g.authPlain, g.authNTLM
	cfg.ExtendSMTP = g.extendSMTP
	cfg.TryProtocols = retry
	if g.localHost != "" {
		cfg.HeloName = g.localHost
	}
	t.Config = cfg
	return &t
}

// mngEndpoint resolves a server property, its port and SSL number.
func mngEndpoint(proto mail.Protocol, prop, addr string, port, ssl int) (mail.Endpoint, error) {
	op := string(proto) + " connect"
	host, p, err := mail.SplitHostPort(addr)
	if err != nil {
		return mail.Endpoint{}, err
	}
	if host == "" {
		return mail.Endpoint{}, mail.NewError(mail.ErrNotInitialized, op, "", fmt.Errorf("no server: set oMng:%s", prop))
	}
	sec := mngSecurity(ssl)
	if port == 0 {
		port = p
	}
	if port == 0 {
		port = mail.DefaultPort(proto, sec)
	}
	return mail.Endpoint{Host: host, Port: port, Security: sec}, nil
}

func (g *mng) recvProto() mail.Protocol {
	if g.protocol == mngIMAP {
		return mail.IMAP
	}
	return mail.POP3
}

// syncRecv points the manager's receive settings at the open session, for
// the manager code that dials again (StartGetAllMsgHeader).
func (g *mng) syncRecv() {
	g.mailHost, g.mailPort = g.recvEP.Host, g.recvEP.Port
	g.useSSL = g.recvEP.Security == mail.ImplicitTLS
	g.useTLS = g.recvEP.Security == mail.StartTLS
}

// dialRecv opens and stores the receive session at ep, logged in.
func (g *mng) dialRecv(ctx context.Context, t *mail.Transport, proto mail.Protocol, ep mail.Endpoint) error {
	timeout := seconds(g.popTimeout)
	if proto == mail.IMAP {
		cl, err := mail.DialIMAP(ctx, t, mail.IMAPOptions{Endpoint: ep, Timeout: timeout}, g.user, g.pass)
		if err != nil {
			return err
		}
		if cl.Folder() == "" {
			if err := cl.SelectLater("INBOX"); err != nil {
				cl.Logout()
				return err
			}
		}
		g.imap, g.recvUntrack = cl, g.e.Track(cl)
		g.recvEP = ep
		g.recvEP.Security = cl.Security()
		return nil
	}
	cl, err := mail.DialPOP3(ctx, t, mail.POP3Options{Endpoint: ep, Timeout: timeout})
	if err != nil {
		return err
	}
	if err := cl.Login(g.user, g.pass); err != nil {
		cl.Close()
		return err
	}
	g.pop, g.recvUntrack = cl, g.e.Track(cl)
	g.recvEP = ep
	g.recvEP.Security = cl.Security()
	return nil
}

// connect opens the receive session in nProtocol, whatever [Mail] Protocol says.
func (g *mng) connect(ctx context.Context) error {
	g.closeRecv(true)
	proto := g.recvProto()
	ep, err := mngEndpoint(proto, "cSrvAddr", g.srvAddr, g.srvPort, g.srvSSL)
	if err != nil {
		return err
	}
	g.note = fmt.Sprintf("%s %s (%s) user %q", proto, ep.Addr(proto), ep.Security, g.user)
	if err := g.dialRecv(ctx, g.transport(g.srvRetry), proto, ep); err != nil {
		return err
	}
	if g.recvEP.Security != ep.Security {
		g.note += fmt.Sprintf(", retried with %s", g.recvEP.Security)
	}
	g.syncRecv()
	return nil
}

func (g *mng) smtpConnect(ctx context.Context) error {
	g.closeSMTP(true)
	ep, err := mngEndpoint(mail.SMTP, "cSMTPAddr", g.smtpAddr, g.smtpPort, g.smtpSSL)
	if err != nil {
		return err
	}
	g.note = fmt.Sprintf("smtp %s (%s)", ep.Addr(mail.SMTP), ep.Security)
	cl, err := mail.DialSMTP(ctx, g.transport(g.smtpRetry), mail.SMTPOptions{Endpoint: ep, Timeout: seconds(g.smtpTimeout)})
	if err != nil {
		return err
	}
	if cl.Security() != ep.Security {
		g.note += fmt.Sprintf(", retried with %s", cl.Security())
	}
	g.smtp, g.smtpUntrack = cl, g.e.Track(cl)
	return nil
}

// popBeforeSMTP logs in to a POP3 server and quits (SMTPAuth's cPopAddress).
func (g *mng) popBeforeSMTP(ctx context.Context, user, pass, addr string, port int) error {
	ep, err := mngEndpoint(mail.POP3, "cPopAddress", addr, port, g.srvSSL)
	if err != nil {
		return err
	}
	g.note = fmt.Sprintf("POP before SMTP: pop3 %s (%s)", ep.Addr(mail.POP3), ep.Security)
	cl, err := mail.DialPOP3(ctx, g.transport(g.srvRetry), mail.POP3Options{Endpoint: ep, Timeout: seconds(g.popTimeout)})
	if err != nil {
		return err
	}
	untrack := g.e.Track(cl)
	defer untrack()
	if err := cl.Login(user, pass); err != nil {
		cl.Close()
		return err
	}
	return cl.Quit()
}

// noRecv records why a receive operation cannot run: no session, or (for
// IMAP operations) a POP3 one.
func (g *mng) noRecv(op string, imapOnly bool) int {
	if imapOnly && g.pop != nil {
		return g.fail(mail.ErrWrongProtocol, op, "", errors.New("connected over POP3; this needs IMAP: New(1) or nProtocol := 1, then Connect"))
	}
	if imapOnly {
		return g.fail(mail.ErrNoConnection, op, "", errors.New("no IMAP session: call Connect first (nProtocol = 1)"))
	}
	return g.fail(mail.ErrNoConnection, op, "", errors.New("no POP3/IMAP session: call Connect first"))
}

func (g *mng) haveRecv() bool { return g.pop != nil || g.imap != nil }

// sendMessage implements mailServer (TMailMessage:Send2).
func (g *mng) sendMessage(ctx context.Context, msg *mail.Message) error {
	err := g.manager.sendMessage(ctx, msg)
	g.logf("TMailMessage:Send2 (subject %q)", err, msg.Subject)
	return err
}

// retrieve implements mailServer (TMailMessage:Receive2).
func (g *mng) retrieve(ctx context.Context, n int) (*mail.Spool, error) {
	if !g.haveRecv() {
		err := mail.NewError(mail.ErrNoConnection, "receive", "", errors.New("no POP3/IMAP session: call Connect first"))
		g.logf("TMailMessage:Receive2(%d)", err, n)
		return nil, err
	}
	g.syncRecv()
	raw, err := g.manager.retrieve(ctx, n)
	g.logf("TMailMessage:Receive2(%d)", err, n)
	return raw, err
}

// ---- lVerbose ----

// logf writes one lVerbose line for an operation done outside a TMailMng
// method call (Send2/Receive2), with err's code and text.
func (g *mng) logf(format string, err error, args ...any) {
	if !g.verbose || g.e.Stdout == nil {
		return
	}
	line := fmt.Sprintf(format, args...) + " via TMailMng -> "
	if err == nil {
		line += "0"
	} else {
		e := mail.Classify("", err)
		line += fmt.Sprintf("%d (%s)", e.Code, e.Error())
	}
	g.writeLog(line)
}

// writeLog writes line to the engine's Stdout with every known secret removed.
func (g *mng) writeLog(line string, secrets ...string) {
	for _, s := range append(secrets, g.pass) {
		if s != "" {
			line = strings.ReplaceAll(line, s, "********")
		}
	}
	fmt.Fprintln(g.e.Stdout, line)
}

// mngLogValue renders a Lua value for lVerbose.
func mngLogValue(c *Call, v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		s := string(v)
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		return fmt.Sprintf("%q", s)
	case lua.LBool:
		if v {
			return ".T."
		}
		return ".F."
	case *lua.LTable:
		return fmt.Sprintf("{%d}", v.Len())
	case *lua.LUserData:
		return c.typeName(v)
	}
	return v.String()
}

// mngSecret tells parameters whose values never reach the log.
func mngSecret(p Param) bool { return strings.EqualFold(p.Name, "cPass") }

// mngTraced wraps a method: its arguments are checked against the member's
// declaration first (so that type errors win over "no connection"
// results), and with lVerbose the call and its results are logged.
func mngTraced(m Member, fn func(g *mng, c *Call) int) func(*Call) int {
	return func(c *Call) int {
		g := c.Self.(*mng)
		mngCheckArgs(c, m)
		g.note = ""
		nargs := c.NArgs() // before fn pushes its results
		n := fn(g, c)
		if !g.verbose || g.e.Stdout == nil {
			return n
		}
		var args, secrets []string
		for i := 1; i <= nargs && i <= len(m.Params); i++ {
			p := m.Params[i-1]
			switch {
			case p.ByRef:
				args = append(args, "@"+p.Name)
			case mngSecret(p):
				if s, ok := c.Arg(i).(lua.LString); ok {
					secrets = append(secrets, string(s))
				}
				args = append(args, "********")
			default:
				args = append(args, mngLogValue(c, c.Arg(i)))
			}
		}
		var res []string
		top := c.L.GetTop()
		for i := top - n + 1; i <= top; i++ {
			res = append(res, mngLogValue(c, c.L.Get(i)))
		}
		line := fmt.Sprintf("TMailMng:%s(%s)", m.Name, strings.Join(args, ", "))
		if g.note != "" {
			line += " [" + g.note + "]"
		}
		line += " -> " + strings.Join(res, ", ")
		if n > 0 {
			first := c.L.Get(top - n + 1)
			failed := first == lua.LFalse || first == lua.LNil
			if num, ok := first.(lua.LNumber); ok && num != 0 {
				failed = true
			}
			if failed && g.lastErr != nil {
				line += " (" + g.lastErr.Error() + ")"
			}
		}
		g.writeLog(line, secrets...)
		return n
	}
}

// mngCheckArgs raises the Lua error of the first argument that does not match
// m's declaration (required and absent, of another type, a fraction
// where a whole number is expected, a bad port or message number).
func mngCheckArgs(c *Call, m Member) {
	for i, p := range m.Params {
		if p.ByRef || p.Type == TypeAny {
			continue
		}
		v := c.Arg(i + 1)
		if v == lua.LNil && p.Optional {
			continue
		}
		if v == lua.LNil || !typeMatches(p.Type, v) {
			var words []string
			for _, t := range strings.Split(p.Type, "|") {
				words = append(words, typeWords[t])
			}
			c.argTypeError(i+1, strings.Join(words, " or "))
		}
		// Value checks the implementations make too, done here so that
		// they also come before any state check.
		switch {
		case p.Type == TypeNum:
			c.Int(i + 1)
		case p.Type == TypeChar+"|"+TypeNum:
			c.Port(i + 1)
		case p.Name == "aMsgs":
			msgIDs(c, i+1)
		}
	}
}

// ---- methods ----

func mngPush(c *Call, code int) int { return c.Push(lua.LNumber(code)) }

func (g *mng) luaConnect(c *Call) int { return mngPush(c, g.record(g.connect(c.Ctx()))) }

func (g *mng) luaDisconnect(c *Call) int { return mngPush(c, g.record(g.closeRecv(true))) }

func (g *mng) luaSMTPConnect(c *Call) int { return mngPush(c, g.record(g.smtpConnect(c.Ctx()))) }

func (g *mng) luaSMTPDisconnect(c *Call) int { return mngPush(c, g.record(g.closeSMTP(true))) }

func (g *mng) luaSMTPAuth(c *Call) int {
	user, pass := c.Str(1), c.Str(2)
	popAddr, popPort := c.OptStr(3), c.Port(4)
	if g.smtp == nil {
		return mngPush(c, g.fail(mail.ErrNoConnection, "smtp auth", "", errors.New("no SMTP session: call SMTPConnect first")))
	}
	ctx := c.Ctx()
	if strings.TrimSpace(popAddr) != "" {
		if err := g.popBeforeSMTP(ctx, user, pass, popAddr, popPort); err != nil {
			return mngPush(c, g.record(err))
		}
	}
	return mngPush(c, g.record(g.smtp.Auth(ctx, user, pass)))
}

func (g *mng) luaGetNumMsgs(c *Call) int {
	if !g.haveRecv() {
		return c.Push(lua.LNumber(g.noRecv("count messages", false)), lua.LNumber(0))
	}
	return g.manager.luaGetNumMsgs(c)
}

// mngDelete runs a TMailManager delete method unless lKeepMsg is set: then
// nothing is deleted and the answer is 0.
func mngDelete(op string, fn func(*manager, *Call) int) func(*mng, *Call) int {
	return func(g *mng, c *Call) int {
		if !g.haveRecv() {
			return mngPush(c, g.noRecv(op, false))
		}
		if g.keepMsg {
			g.note = "lKeepMsg: kept"
			return mngPush(c, 0)
		}
		g.syncRecv()
		return fn(g.manager, c)
	}
}

// mngIMAPNum runs a TMailManager IMAP method that answers a logical and
// answers its code instead: 0, or the error it recorded.
func mngIMAPNum(op string, fn func(*manager, *Call) int) func(*mng, *Call) int {
	return func(g *mng, c *Call) int {
		if g.imap == nil {
			return mngPush(c, g.noRecv(op, true))
		}
		g.syncRecv()
		n := fn(g.manager, c)
		top := c.L.GetTop()
		ok := n > 0 && c.L.Get(top-n+1) == lua.LTrue
		c.L.Pop(n)
		if ok {
			return mngPush(c, 0)
		}
		code := mail.ErrCommandFailed
		if g.lastErr != nil && g.lastErr.Code != 0 {
			code = g.lastErr.Code
		}
		return mngPush(c, int(code))
	}
}

// mngIMAPArray runs a TMailManager IMAP method that answers an array or nil,
// with TMailMng's wording when there is no IMAP session.
func mngIMAPArray(op string, fn func(*manager, *Call) int) func(*mng, *Call) int {
	return func(g *mng, c *Call) int {
		if g.imap == nil {
			g.noRecv(op, true)
			return c.Push(lua.LNil)
		}
		g.syncRecv()
		return fn(g.manager, c)
	}
}

func (g *mng) folderList(c *Call, subscribedOnly bool) int {
	t := c.L.NewTable()
	if g.imap == nil {
		g.noRecv("imap list", true)
		return c.Push(t)
	}
	list, err := g.imap.Folders(subscribedOnly)
	if g.record(err) != 0 {
		return c.Push(t)
	}
	for _, f := range list {
		t.Append(array(c.L, lua.LString(f.Name), lua.LString(folderStatus(f)),
			lua.LNumber(f.Total), lua.LNumber(f.Seen), lua.LNumber(f.Unseen)))
	}
	return c.Push(t)
}

func (g *mng) luaGetFolderList(c *Call) int    { return g.folderList(c, true) }
func (g *mng) luaGetAllFolderList(c *Call) int { return g.folderList(c, false) }

func (g *mng) luaIMAPStore(c *Call) int {
	msg := c.Object(1, "TMailMessage").(*message)
	folder := c.Str(2)
	if g.imap == nil {
		return mngPush(c, g.noRecv("imap append", true))
	}
	data, err := msg.build().Bytes()
	if err != nil {
		return mngPush(c, g.record(err))
	}
	return mngPush(c, g.record(g.imap.Append(folder, data, nil)))
}

func (g *mng) luaStartGetAllMsgHeader(c *Call) int {
	return mngIMAPNum("imap fetch headers", (*manager).luaStartGetAllMsgHeader)(g, c)
}

func (g *mng) describe() string {
	var b strings.Builder
	b.WriteString("TMailMng{")
	if g.protocol == mngIMAP {
		b.WriteString("protocol=IMAP")
	} else {
		b.WriteString("protocol=POP3")
	}
	if g.user != "" {
		fmt.Fprintf(&b, " user=%q", g.user)
	}
	if ep, err := mngEndpoint(g.recvProto(), "cSrvAddr", g.srvAddr, g.srvPort, g.srvSSL); err == nil {
		fmt.Fprintf(&b, " srv=%s (%s)", ep.Addr(g.recvProto()), ep.Security)
	}
	if ep, err := mngEndpoint(mail.SMTP, "cSMTPAddr", g.smtpAddr, g.smtpPort, g.smtpSSL); err == nil {
		fmt.Fprintf(&b, " smtp=%s (%s)", ep.Addr(mail.SMTP), ep.Security)
	}
	var open []string
	if g.pop != nil {
		open = append(open, "pop3")
	}
	if g.imap != nil {
		open = append(open, "imap")
	}
	if g.smtp != nil {
		open = append(open, "smtp")
	}
	if len(open) > 0 {
		fmt.Fprintf(&b, " connected=%s", strings.Join(open, ","))
	}
	b.WriteString("}")
	return b.String()
}

// ---- properties ----

func asMng(obj any) *mng { return obj.(*mng) }

func mngStrProp(name, doc string, field func(*mng) *string) Property {
	return Property{
		Member: Member{Name: name, Type: TypeChar, Doc: doc},
		Get:    func(obj any) lua.LValue { return lua.LString(*field(asMng(obj))) },
		Set: func(obj any, v lua.LValue) error {
			s := ""
			if v != lua.LNil {
				s = string(v.(lua.LString))
			}
			*field(asMng(obj)) = s
			return nil
		},
	}
}

// mngNumProp is a whole-number property; check validates a new value and
// after applies it to open sessions.
func mngNumProp(name, doc string, field func(*mng) *int, check func(int) error, after func(*mng)) Property {
	return Property{
		Member: Member{Name: name, Type: TypeNum, Doc: doc},
		Get:    func(obj any) lua.LValue { return lua.LNumber(*field(asMng(obj))) },
		Set: func(obj any, v lua.LValue) error {
			n := 0
			if v != lua.LNil {
				f := float64(v.(lua.LNumber))
				if f != math.Trunc(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt32 {
					return fmt.Errorf("must be a whole number, got %v", f)
				}
				n = int(f)
			}
			if check != nil {
				if err := check(n); err != nil {
					return err
				}
			}
			g := asMng(obj)
			*field(g) = n
			if after != nil {
				after(g)
			}
			return nil
		},
	}
}

// mngBoolProp is a logical property; nil resets it to def.
func mngBoolProp(name, doc string, field func(*mng) *bool, def func(*mng) bool) Property {
	return Property{
		Member: Member{Name: name, Type: TypeBool, Doc: doc},
		Get:    func(obj any) lua.LValue { return lua.LBool(*field(asMng(obj))) },
		Set: func(obj any, v lua.LValue) error {
			g := asMng(obj)
			if v == lua.LNil {
				*field(g) = def != nil && def(g)
				return nil
			}
			*field(g) = bool(v.(lua.LBool))
			return nil
		},
	}
}

// mngStateProp is a property that reflects the connection state.
func mngStateProp(name, typ, doc, use string, get func(*mng) lua.LValue) Property {
	return Property{
		Member: Member{Name: name, Type: typ, Doc: doc + " Read-only."},
		Get:    func(obj any) lua.LValue { return get(asMng(obj)) },
		Set: func(any, lua.LValue) error {
			return fmt.Errorf("is read-only (it reflects the connection state; use %s)", use)
		},
	}
}

func mngCheckPort(n int) error {
	if n < 0 || n > 65535 {
		return fmt.Errorf("must be a port number 0..65535, got %d", n)
	}
	return nil
}

func mngCheckTimeout(n int) error {
	if n < 0 {
		return fmt.Errorf("must be a number of seconds >= 0, got %d", n)
	}
	return nil
}

var mngClass = &Class{
	Name: "TMailMng",
	Doc: "TMailManager's successor, configured through properties: TMailMng():New(nProtocol, [nServerSSL], [nSMTPSSL], [lOldTLS]) " +
		"with nProtocol 0 = POP3, 1 = IMAP (independent of [Mail] Protocol). SSL numbers (nServerSSL/nSrvSSL, nSMTPSSL): " +
		"0 = no TLS; 1, 2, 3 (SSLv2, SSLv3, SSL) = implicit TLS (POP3S 995, IMAPS 993, SMTPS 465); " +
		"4, 5, 6 (TLS 1.0, 1.1, TLS) = STARTTLS/STLS required (110, 143, 587). The version itself is not honoured " +
		"(TLS 1.2+ or [Mail] TLSVersion); lOldTLS is accepted and ignored. Methods return a number, 0 = success " +
		"(folder operations too, unlike TMailManager); GetErrorString(n) explains a code. Messages go through " +
		"TMailMessage:Send2(oMng) and Receive2(oMng, nMsg).",
	Make:     func(e *Engine) any { return newMng(e) },
	Describe: func(v any) string { return v.(*mng).describe() },
}

func init() { registerBuild(buildMngClass) }

// buildMngClass declares the members of TMailMng.
func buildMngClass() {
	const imapDoc = " IMAP only: error 28 over POP3, 6 without a session."
	const recvDoc = " Needs an open receive session (error 6 otherwise)."
	nMsg := req("nMsg", TypeNum, "message number: sequence number, or UID with lUseRealID = .T. (IMAP)")
	nErr := ret("nErr", TypeNum, "0 = success, else an error code for GetErrorString")
	folder := req("cFolder", TypeChar, "folder")
	rows := ret("aFolders", TypeArray, "rows {cName, cStatus, nTotal, nRead, nUnread}")
	type def struct {
		m  Member
		fn func(g *mng, c *Call) int
	}
	defs := []def{
		{Member{Name: "Connect", Returns: rets(nErr),
			Doc: "Connects to cSrvAddr:nSrvPort over nProtocol (0 POP3, 1 IMAP; [Mail] Protocol is not read) in the nSrvSSL mode, " +
				"and logs in with cUser/cPass. IMAP selects INBOX (cCurrentFolder = \"INBOX\"). With lSrvRetrySSL a TLS-mode " +
				"mismatch is retried once in the other mode. An open receive session is closed first."}, (*mng).luaConnect},
		{Member{Name: "Disconnect", Returns: rets(nErr),
			Doc: "Ends the receive session: POP3 QUIT commits DeleteMsg; IMAP LOGOUT. 0 when none was open."}, (*mng).luaDisconnect},
		{Member{Name: "SMTPConnect", Returns: rets(nErr),
			Doc: "Connects to cSMTPAddr:nSMTPPort in the nSMTPSSL mode, announcing cSMTPLocalHost in EHLO; with lSMTPRetrySSL a " +
				"TLS-mode mismatch is retried in the other mode. Sets lSMTPConnected."}, (*mng).luaSMTPConnect},
		{Member{Name: "SMTPAuth", Params: params(
			req("cUser", TypeChar, "user"),
			req("cPass", TypeChar, `password; "oauth2:<token>" authenticates with OAUTHBEARER or XOAUTH2`),
			opt("cPopAddress", TypeChar, "POP-before-SMTP: POP3 server to log in to first (nSrvSSL mode)"),
			opt("cPopPort", TypeChar+"|"+TypeNum, "port of cPopAddress; nil/\"\"/0 = default (110/995)")),
			Returns: rets(nErr),
			Doc: "Authenticates the open SMTP session with the strongest mechanism offered and allowed by lAuthLogin/lAuthPlain/" +
				"lAuthNTLM and [Mail]. With cPopAddress it first logs in to that POP3 server with the same account and quits " +
				"(POP before SMTP). Does not change cUser."}, (*mng).luaSMTPAuth},
		{Member{Name: "SMTPDisconnect", Returns: rets(nErr),
			Doc: "Says QUIT and closes the SMTP session; 0 when none was open."}, (*mng).luaSMTPDisconnect},
		{Member{Name: "GetNumMsgs", Params: params(ref("nNumMsg", TypeNum, "by reference: receives the count")),
			Returns: rets(nErr, ret("nNumMsg", TypeNum, "messages in the mailbox / current folder")),
			Doc:     "Counts messages: nErr, nNumMsg = oMng:GetNumMsgs(nNumMsg)." + recvDoc}, (*mng).luaGetNumMsgs},
		{Member{Name: "DeleteMsg", Params: params(nMsg), Returns: rets(nErr),
			Doc: "Deletes a message (POP3: DELE, committed by Disconnect; IMAP: \\Deleted plus UID EXPUNGE of that message). " +
				"With lKeepMsg = .T. nothing is deleted and 0 is returned." + recvDoc}, mngDelete("delete message", (*manager).luaDeleteMsg)},
		{Member{Name: "DeleteMsgs", Params: params(req("aMsgs", TypeArray, "message numbers")), Returns: rets(nErr),
			Doc: "advmail extension: deletes several messages (as DeleteMsg, lKeepMsg included)." + recvDoc}, mngDelete("delete messages", (*manager).luaDeleteMsgs)},
		{mngWaitNewMsgsMember, (*mng).luaWaitNewMsgs}, // wait.go
		{Member{Name: "GetErrorString", Params: params(opt("nError", TypeNum, "error code; nil = the last error of this object")),
			Returns: rets(ret("cError", TypeChar, "text")),
			Doc:     "Text of an error code; for this object's last error it includes the server's reply."}, func(g *mng, c *Call) int { return g.manager.luaGetErrorString(c) }},
		{Member{Name: "CreateFolder", Params: params(folder), Returns: rets(nErr),
			Doc: "Creates a folder (not subscribed) and selects it." + imapDoc}, mngIMAPNum("imap create", (*manager).luaCreateFolder)},
		{Member{Name: "ChangeFolder", Params: params(folder), Returns: rets(nErr),
			Doc: "Selects a folder and updates cCurrentFolder; error 20 when it does not exist." + imapDoc}, mngIMAPNum("imap select", (*manager).luaChangeFolder)},
		{Member{Name: "DeleteFolder", Params: params(folder), Returns: rets(nErr),
			Doc: "Deletes a folder (leaving it first when it is the current one)." + imapDoc}, mngIMAPNum("imap delete", (*manager).luaDeleteFolder)},
		{Member{Name: "RenameFolder", Params: params(req("cCurFolder", TypeChar, "current name"), req("cNewFolder", TypeChar, "new name")),
			Returns: rets(nErr), Doc: "Renames a folder." + imapDoc}, mngIMAPNum("imap rename", (*manager).luaRenameFolder)},
		{Member{Name: "SetFolderSubscribe", Params: params(folder, req("lSign", TypeBool, ".T. subscribe, .F. unsubscribe")),
			Returns: rets(nErr), Doc: "Subscribes or unsubscribes a folder." + imapDoc}, mngIMAPNum("imap subscribe", (*manager).luaSetFolderSubscribe)},
		{Member{Name: "GetFolderList", Returns: rets(rows),
			Doc: "Subscribed folders, rows as TMailManager:GetFolderList: [1] name, [2] status (LIST attributes and \\Subscribed), " +
				"[3] messages, [4] read, [5] unread. Empty array on error." + imapDoc}, (*mng).luaGetFolderList},
		{Member{Name: "GetAllFolderList", Returns: rets(rows),
			Doc: "Every folder, subscribed or not, same rows as GetFolderList. Empty array on error." + imapDoc}, (*mng).luaGetAllFolderList},
		{Member{Name: "GetMsgHeader", Params: params(nMsg),
			Returns: rets(ret("aHeader", TypeArray, "rows {cName, cValue}; nil on error")),
			Doc:     "Every header field of a message, in order, values decoded to UTF-8 (as TMailManager)." + imapDoc}, mngIMAPArray("imap fetch header", (*manager).luaGetMsgHeader)},
		{Member{Name: "GetMsgBody", Params: params(nMsg),
			Returns: rets(ret("aParts", TypeArray, "rows {cSection, cContentType, cCharset, cEncoding, cDisposition, cFileName, cContentID, nSize}; nil on error")),
			Doc:     "MIME structure of a message, one row per part (as TMailManager)." + imapDoc}, mngIMAPArray("imap fetch structure", (*manager).luaGetMsgBody)},
		{Member{Name: "StartGetAllMsgHeader", Params: params(folder, req("aHeader", TypeArray, `header names, e.g. {"from","subject","to"}`)),
			Returns: rets(nErr),
			Doc:     "Starts fetching the named headers of every message of a folder in the background, on the open IMAP session (as TMailManager, but answering 0 or an error code)." + imapDoc}, (*mng).luaStartGetAllMsgHeader},
		{Member{Name: "EndGetAllMsgHeader", Params: params(ref("aHeader", TypeArray, "by reference: receives the rows (a table passed is filled in place)")),
			Returns: rets(ret("lDone", TypeBool, ".T. when finished (also after an error, see GetErrorString)"),
				ret("aHeader", TypeArray, "rows {nMsgId, {cName, cValue}, ...}; nMsgId is the UID with lUseRealID = .T., else the sequence number")),
			Doc: "Polls the fetch started by StartGetAllMsgHeader: lDone, aHeader = oMng:EndGetAllMsgHeader(aHeader)."}, func(g *mng, c *Call) int { return g.manager.luaEndGetAllMsgHeader(c) }},
		{Member{Name: "CopyMsg", Params: params(nMsg, req("cFolder", TypeChar, "target folder")), Returns: rets(nErr),
			Doc: "Copies a message of the current folder to a folder." + imapDoc}, mngIMAPNum("imap copy", (*manager).luaCopyMsg)},
		{Member{Name: "MoveMsg", Params: params(nMsg, req("cFolder", TypeChar, "target folder")), Returns: rets(nErr),
			Doc: "Moves a message of the current folder to another folder." + imapDoc}, mngIMAPNum("imap move", (*manager).luaMoveMsg)},
		{Member{Name: "CopyMsgs", Params: params(req("aMsgs", TypeArray, "message numbers"), req("cFolder", TypeChar, "target folder")), Returns: rets(nErr),
			Doc: "advmail extension: copies several messages in one command." + imapDoc}, mngIMAPNum("imap copy", (*manager).luaCopyMsgs)},
		{Member{Name: "MoveMsgs", Params: params(req("aMsgs", TypeArray, "message numbers"), req("cFolder", TypeChar, "target folder")), Returns: rets(nErr),
			Doc: "advmail extension: moves several messages in one command." + imapDoc}, mngIMAPNum("imap move", (*manager).luaMoveMsgs)},
		{Member{Name: "SetMsgFlags", Params: params(nMsg, req("cFlag", TypeChar, "letters: A=\\Answered F=\\Flagged D=\\Deleted S=\\Seen R=\\Draft C=\\Recent P=$Special")),
			Returns: rets(nErr),
			Doc:     "Adds IMAP flags to a message (letters as TMailManager:SetMsgFlag); error 21 for an unknown letter." + imapDoc}, mngIMAPNum("imap store", (*manager).luaSetMsgFlag)},
		{Member{Name: "Purge", Params: params(folder), Returns: rets(nErr),
			Doc: "Permanently removes the messages flagged \\Deleted in a folder (EXPUNGE)." + imapDoc}, mngIMAPNum("imap expunge", (*manager).luaPurge)},
		{Member{Name: "IMAPStore", Params: params(req("oMsg", TypeObject, "TMailMessage"), folder),
			Returns: rets(nErr), Doc: "Appends a message to a folder. Note the order: message first here, folder first on TMailManager." + imapDoc}, (*mng).luaIMAPStore},
		{mngSearchMember, (*mng).luaSearchMsgs},
	}
	mngClass.Methods = []Method{{Member{Name: "New", Params: params(
		opt("nProtocol", TypeNum, "receive protocol: 0 = POP3 (default), 1 = IMAP"),
		opt("nServerSSL", TypeNum, "receive TLS: 0 none, 1-3 implicit TLS, 4-6 STARTTLS"),
		opt("nSMTPSSL", TypeNum, "SMTP TLS: 0 none, 1-3 implicit TLS (465), 4-6 STARTTLS (587)"),
		opt("lOldTLS", TypeBool, "SSLv3 for SMTP in TOTVS; accepted and ignored")),
		Returns: rets(ret("oMng", TypeObject, "the object")),
		Doc: "Creates a TMailMng (TMailMng():New(...), TMailMng:New(...) and TMailMng.New(...) all work; obj:New(...) " +
			"reconfigures and returns obj). Arguments left nil keep their values (0)."}, nil}}
	for _, d := range defs {
		mngClass.Methods = append(mngClass.Methods, Method{d.m, mngTraced(d.m, d.fn)})
	}
	mngClass.Construct = func(c *Call, obj any) { obj.(*mng).construct(c) }

	cfgDefault := func(pick func(*mail.Config) bool) func(*mng) bool {
		return func(g *mng) bool { return pick(g.e.CurrentConfig()) }
	}
	recvTimeout := func(g *mng) {
		if g.pop != nil {
			g.pop.SetTimeout(seconds(g.popTimeout))
		}
		if g.imap != nil {
			g.imap.SetTimeout(seconds(g.popTimeout))
		}
	}
	smtpTimeout := func(g *mng) {
		if g.smtp != nil {
			g.smtp.SetTimeout(seconds(g.smtpTimeout))
		}
	}
	const next = " Applies at the next Connect."
	const nextSMTP = " Applies at the next SMTPConnect."
	mngClass.Properties = []Property{
		mngStrProp("cUser", "Account for Connect (and the usual SMTPAuth argument).", func(g *mng) *string { return &g.user }),
		mngStrProp("cPass", `Password for Connect; "oauth2:<token>" uses OAUTHBEARER or XOAUTH2. Never logged.`, func(g *mng) *string { return &g.pass }),
		mngStrProp("cSrvAddr", `POP3/IMAP server; "host:port" accepted (nSrvPort, when not 0, wins).`+next, func(g *mng) *string { return &g.srvAddr }),
		mngNumProp("nSrvPort", "Receive port; 0 = the port in cSrvAddr, else the default (110/995 POP3, 143/993 IMAP)."+next,
			func(g *mng) *int { return &g.srvPort }, mngCheckPort, nil),
		mngNumProp("nSrvTimeout", "Receive timeout in seconds (dial and each command); 0 = 60. Applies to the open session too.",
			func(g *mng) *int { return &g.popTimeout }, mngCheckTimeout, recvTimeout),
		mngStrProp("cSMTPAddr", `SMTP server; "host:port" accepted (nSMTPPort, when not 0, wins).`+nextSMTP, func(g *mng) *string { return &g.smtpAddr }),
		mngNumProp("nSMTPPort", "SMTP port; 0 = the port in cSMTPAddr, else the default (25, 465 implicit TLS, 587 STARTTLS)."+nextSMTP,
			func(g *mng) *int { return &g.smtpPort }, mngCheckPort, nil),
		mngNumProp("nSMTPTimeout", "SMTP timeout in seconds (dial, each command, DATA); 0 = 60. Applies to the open session too.",
			func(g *mng) *int { return &g.smtpTimeout }, mngCheckTimeout, smtpTimeout),
		mngStrProp("cSMTPLocalHost", `Name announced in EHLO/HELO by this object ("" = [Mail] EhloName, else "localhost"; in STARTTLS mode it is the EHLO after TLS).`+nextSMTP,
			func(g *mng) *string { return &g.localHost }),
		mngBoolProp("lAuthLogin", "Allow AUTH LOGIN (and the IMAP/POP3 plain-text login) for this object; default [Mail] AuthLogin.",
			func(g *mng) *bool { return &g.authLogin }, cfgDefault(func(c *mail.Config) bool { return c.AuthLogin })),
		mngBoolProp("lAuthNTLM", "Allow NTLM for this object; default [Mail] AuthNTLM.",
			func(g *mng) *bool { return &g.authNTLM }, cfgDefault(func(c *mail.Config) bool { return c.AuthNTLM })),
		mngBoolProp("lAuthPlain", "Allow PLAIN for this object; default [Mail] AuthPlain.",
			func(g *mng) *bool { return &g.authPlain }, cfgDefault(func(c *mail.Config) bool { return c.AuthPlain })),
		mngBoolProp("lExtendSMTP", "Mirror of [Mail] ExtendSMTP for this object (informational: EHLO is always tried first, HELO when refused).",
			func(g *mng) *bool { return &g.extendSMTP }, cfgDefault(func(c *mail.Config) bool { return c.ExtendSMTP })),
		mngBoolProp("lUseRealID", "IMAP: message numbers are UIDs (.T.) or sequence numbers (.F., default); also read by Receive2. Ignored by POP3.",
			func(g *mng) *bool { return &g.useRealID }, nil),
		mngStateProp("lConnected", TypeBool, "The receive session is open.", "Connect/Disconnect",
			func(g *mng) lua.LValue { return lua.LBool(g.haveRecv()) }),
		mngStateProp("lSMTPConnected", TypeBool, "The SMTP session is open.", "SMTPConnect/SMTPDisconnect",
			func(g *mng) lua.LValue { return lua.LBool(g.smtp != nil) }),
		mngStateProp("cCurrentFolder", TypeChar, `Selected IMAP folder: "INBOX" after Connect, updated by ChangeFolder/CreateFolder; "" over POP3 or without a session.`,
			"ChangeFolder", func(g *mng) lua.LValue { return lua.LString(g.imap.Folder()) }),
		mngBoolProp("lKeepMsg", "Keep messages on the server: DeleteMsg/DeleteMsgs delete nothing and return 0.",
			func(g *mng) *bool { return &g.keepMsg }, nil),
		mngBoolProp("lVerbose", "Log each operation and its result on the console (the password never appears).",
			func(g *mng) *bool { return &g.verbose }, nil),
		mngNumProp("nProtocol", "Receive protocol: 0 = POP3, 1 = IMAP."+next, func(g *mng) *int { return &g.protocol }, mngCheckProtocol, nil),
		mngNumProp("nSrvSSL", "Receive TLS: 0 none, 1-3 implicit TLS, 4-6 STARTTLS."+next, func(g *mng) *int { return &g.srvSSL }, mngCheckSSL, nil),
		mngNumProp("nSMTPSSL", "SMTP TLS: 0 none, 1-3 implicit TLS, 4-6 STARTTLS."+nextSMTP, func(g *mng) *int { return &g.smtpSSL }, mngCheckSSL, nil),
		mngBoolProp("lSrvRetrySSL", "On a TLS-mode mismatch, retry Connect once in the other mode (implicit TLS <-> STARTTLS); default [Mail] TryProtocols.",
			func(g *mng) *bool { return &g.srvRetry }, cfgDefault(func(c *mail.Config) bool { return c.TryProtocols })),
		mngBoolProp("lSMTPRetrySSL", "On a TLS-mode mismatch, retry SMTPConnect in the other mode ([Mail] TryProtocols for this object); default [Mail] TryProtocols.",
			func(g *mng) *bool { return &g.smtpRetry }, cfgDefault(func(c *mail.Config) bool { return c.TryProtocols })),
		mngBoolProp("lTryEncode", "Accepted for compatibility; headers and bodies are always encoded as needed (RFC 2047, MIME).",
			func(g *mng) *bool { return &g.tryEncode }, nil),
	}
	registerClass(mngClass)
}
