package bindings

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
)

// legacy is the per-state session of the ap5mail.ch functions (CONNECT SMTP
// SERVER → MailSmtpOn, SEND MAIL → MailSend, …): one SMTP and one POP3
// connection, and the text of the last error for MailGetErr.
type legacy struct {
	e *Engine

	smtp        *mail.SMTPClient
	smtpUntrack func()
	// What MailSmtpOn and MailAuth were given, so that MailSend can reopen
	// the session in the TLS mode its own lTLS/lSSL ask for.
	smtpServer         string
	smtpSec            mail.Security
	smtpTimeout        int
	smtpUser, smtpPass string
	smtpAuthed         bool
	pop                *mail.POP3Client
	popUntrack         func()
	lastErr            string
}

// result records err (nil clears the last error) and returns lOk.
func (s *legacy) result(err error) lua.LValue {
	if err == nil {
		s.lastErr = ""
		return lua.LTrue
	}
	s.lastErr = mail.Classify("", err).Error()
	return lua.LFalse
}

func legacyEndpoint(proto mail.Protocol, server string, tls, ssl bool) (mail.Endpoint, error) {
	host, port, err := mail.SplitHostPort(server)
	if err != nil {
		return mail.Endpoint{}, err
	}
	if host == "" {
		return mail.Endpoint{}, mail.NewError(mail.ErrNotInitialized, string(proto)+" connect", "", errors.New("no server name"))
	}
	sec := mail.SecurityFor(ssl, tls)
	if port == 0 {
		port = mail.DefaultPort(proto, sec)
	}
	return mail.Endpoint{Host: host, Port: port, Security: sec}, nil
}

func (s *legacy) closeSMTP() error {
	if s.smtp == nil {
		return nil
	}
	err := s.smtp.Quit()
	s.smtpUntrack()
	s.smtp, s.smtpUntrack = nil, nil
	return err
}

func (s *legacy) closePOP() error {
	if s.pop == nil {
		return nil
	}
	err := s.pop.Quit()
	s.popUntrack()
	s.pop, s.popUntrack = nil, nil
	return err
}

func noSession(op, hint string) error {
	return mail.NewError(mail.ErrNoConnection, op, "", errors.New(hint))
}

// connArgs reads (cServer, cUser, cPass, [nTimeout], [lTLS], [lSSL]).
func connArgs(c *Call, proto mail.Protocol) (ep mail.Endpoint, user, pass string, timeout int, err error) {
	server, user, pass := c.Str(1), c.OptStr(2), c.OptStr(3)
	timeout = c.OptInt(4, 0)
	if timeout < 0 {
		c.Errorf("argument #4 must be a number of seconds >= 0, got %d", timeout)
	}
	ep, err = legacyEndpoint(proto, server, c.OptBool(5, false), c.OptBool(6, false))
	return ep, user, pass, timeout, err
}

func mailSmtpOn(c *Call) int {
	s := c.b.legacy
	ep, _, _, timeout, err := connArgs(c, mail.SMTP)
	if err != nil {
		return c.Push(s.result(err))
	}
	s.closeSMTP()
	s.smtpServer, s.smtpSec, s.smtpTimeout = c.Str(1), ep.Security, timeout
	s.smtpUser, s.smtpPass, s.smtpAuthed = "", "", false
	return c.Push(s.result(s.dialSMTP(c, ep)))
}

// dialSMTP opens the legacy SMTP session at ep.
func (s *legacy) dialSMTP(c *Call, ep mail.Endpoint) error {
	cl, err := mail.DialSMTP(c.Ctx(), s.e.transport(), mail.SMTPOptions{Endpoint: ep, Timeout: seconds(s.smtpTimeout)})
	if err != nil {
		return err
	}
	s.smtp, s.smtpUntrack = cl, s.e.Track(cl)
	return nil
}

// secureSMTP honours MailSend's lTLS/lSSL: when they ask for a TLS mode the
// session was not opened with, the session is reopened in that mode (on the
// default port of the mode unless MailSmtpOn named a port) and
// authenticated again with what MailAuth was given.
func (s *legacy) secureSMTP(c *Call, tls, ssl bool) error {
	want := mail.SecurityFor(ssl, tls)
	if s.smtp == nil || (!tls && !ssl) || want == s.smtpSec {
		return nil
	}
	ep, err := legacyEndpoint(mail.SMTP, s.smtpServer, tls, ssl)
	if err != nil {
		return err
	}
	s.closeSMTP()
	if err := s.dialSMTP(c, ep); err != nil {
		return err
	}
	s.smtpSec = want
	if s.smtpAuthed {
		return s.smtp.Auth(c.Ctx(), s.smtpUser, s.smtpPass)
	}
	return nil
}

func mailAuth(c *Call) int {
	s := c.b.legacy
	user, pass := c.Str(1), c.Str(2)
	if s.smtp == nil {
		return c.Push(s.result(noSession("smtp auth", "call MailSmtpOn (CONNECT SMTP SERVER) first")))
	}
	err := s.smtp.Auth(c.Ctx(), user, pass)
	if err == nil {
		s.smtpUser, s.smtpPass, s.smtpAuthed = user, pass, true
	}
	return c.Push(s.result(err))
}

// splitList splits every element of list at ";" and ",", as production
// code joins attachment and recipient lists, dropping blank items.
func splitList(list []string) []string {
	var out []string
	for _, s := range list {
		for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

func mailSend(c *Call) int {
	s := c.b.legacy
	msg := &mail.Message{
		From:     c.Str(1),
		To:       strings.Join(splitList(c.Strings(2)), "; "),
		Cc:       strings.Join(splitList(c.Strings(3)), "; "),
		Bcc:      strings.Join(splitList(c.Strings(4)), "; "),
		Subject:  c.OptStr(5),
		Body:     c.OptStr(6),
		BodyType: "text/html",
	}
	files := splitList(c.Strings(7))
	if c.OptBool(8, false) {
		msg.BodyType = "text/plain"
	}
	tls, ssl := c.OptBool(9, false), c.OptBool(10, false)
	for _, f := range files {
		a, err := fileAttachment(c.Engine, f)
		if err != nil {
			return c.Push(s.result(err))
		}
		msg.Attachments = append(msg.Attachments, a)
	}
	if s.smtp == nil {
		return c.Push(s.result(noSession("smtp send", "call MailSmtpOn (CONNECT SMTP SERVER) first")))
	}
	if err := s.secureSMTP(c, tls, ssl); err != nil {
		return c.Push(s.result(err))
	}
	return c.Push(s.result(s.smtp.Send(c.Ctx(), msg)))
}

func mailGetErr(c *Call) int {
	return c.Push(lua.LString(c.b.legacy.lastErr))
}

func mailSmtpOff(c *Call) int {
	s := c.b.legacy
	return c.Push(s.result(s.closeSMTP()))
}

func mailPopOn(c *Call) int {
	s := c.b.legacy
	ep, user, pass, timeout, err := connArgs(c, mail.POP3)
	if err != nil {
		return c.Push(s.result(err))
	}
	s.closePOP()
	cl, err := mail.DialPOP3(c.Ctx(), s.e.transport(), mail.POP3Options{Endpoint: ep, Timeout: seconds(timeout)})
	if err != nil {
		return c.Push(s.result(err))
	}
	if err := cl.Login(user, pass); err != nil {
		cl.Close()
		return c.Push(s.result(err))
	}
	s.pop, s.popUntrack = cl, s.e.Track(cl)
	return c.Push(s.result(nil))
}

func popMsgCount(c *Call) int {
	s := c.b.legacy
	if s.pop == nil {
		return c.Push(s.result(noSession("pop3 stat", "call MailPopOn (CONNECT POP SERVER) first")), lua.LNumber(0))
	}
	n, _, err := s.pop.Stat()
	return c.Push(s.result(err), lua.LNumber(n))
}

// saveAttachments writes the attachments of p into dir (a script path,
// resolved by e) with safe names that never replace an existing file, and
// returns their paths (only the names when dir is "").
func saveAttachments(e *Engine, p *mail.Message, dir string) ([]string, error) {
	var out []string
	if dir != "" && len(p.Attachments) > 0 {
		resolved, err := e.ResolveWritePath(dir)
		if err != nil {
			return nil, mail.NewError(mail.ErrFile, "save attachments", "", err)
		}
		dir = resolved
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, mail.NewError(mail.ErrFile, "save attachments", "", err)
		}
	}
	used := map[string]bool{}
	for i, a := range p.Attachments {
		name := attachmentName(a, i+1)
		if dir == "" {
			base, ext := strings.TrimSuffix(name, filepath.Ext(name)), filepath.Ext(name)
			for k := 2; used[strings.ToLower(name)]; k++ {
				name = fmt.Sprintf("%s-%d%s", base, k, ext)
			}
			used[strings.ToLower(name)] = true
			out = append(out, name)
			continue
		}
		path, err := CreateUniqueFrom(dir, name, func(w io.Writer) error {
			_, err := a.WriteContentTo(w)
			return err
		})
		if err != nil {
			return out, mail.NewError(mail.ErrFile, "save attachment", "", err)
		}
		out = append(out, path)
	}
	return out, nil
}

func mailReceive(c *Call) int {
	s := c.b.legacy
	n := c.Int(1)
	for i := 2; i <= 7; i++ { // by-reference cFrom..cBody: values ignored
		if v := c.Arg(i); v != lua.LNil && v.Type() != lua.LTString {
			c.argTypeError(i, "character")
		}
	}
	files := c.OptTable(8)
	dir := c.OptStr(9)
	del := c.OptBool(10, false)
	c.OptBool(11, false) // lTLS, lSSL: the security of MailPopOn's connection applies
	c.OptBool(12, false)
	fail := func(err error) int {
		fill(c.L, files, nil)
		return c.Push(s.result(err), lua.LString(""), lua.LString(""), lua.LString(""), lua.LString(""), lua.LString(""), lua.LString(""))
	}
	if s.pop == nil {
		return fail(noSession("pop3 retr", "call MailPopOn (CONNECT POP SERVER) first"))
	}
	if n < 1 {
		return fail(mail.NewError(mail.ErrNoSuchMessage, "pop3 retr", "", fmt.Errorf("message number %d", n)))
	}
	raw, err := s.pop.RetrSpool(n)
	if err != nil {
		return fail(err)
	}
	p, err := mail.ParseSpool(c.Ctx(), raw)
	if err != nil {
		return fail(err)
	}
	defer p.Close() // the temporary file of a big message
	paths, err := saveAttachments(c.Engine, p, dir)
	if err != nil {
		return fail(err)
	}
	vs := make([]lua.LValue, len(paths))
	for i, p := range paths {
		vs[i] = lua.LString(p)
	}
	fill(c.L, files, vs)
	if del {
		if err := s.pop.Dele(n); err != nil {
			return fail(err)
		}
	}
	ok := s.result(nil)
	if p.Truncated != "" {
		// Received (lOk .T.), but not whole: MailGetErr says what was left out.
		s.lastErr = fmt.Sprintf("message %d not read whole: %s", n, p.Truncated)
		c.Engine.transport().Tracef("advmail: MailReceive: %s", s.lastErr)
	}
	return c.Push(ok, lua.LString(p.From), lua.LString(p.To), lua.LString(p.Cc), lua.LString(p.Bcc),
		lua.LString(p.Subject), lua.LString(p.Body))
}

func mailPopOff(c *Call) int {
	s := c.b.legacy
	return c.Push(s.result(s.closePOP()))
}

func init() { registerBuild(buildLegacy) }

// buildLegacy declares the legacy functions (MailSmtpOn, MailSend, …).
func buildLegacy() {
	lOk := ret("lOk", TypeBool, ".T. on success; MailGetErr() explains a failure")
	conn := func(what string) []Param {
		return params(
			req("cServer", TypeChar, what+` server, "host" or "host:port"`),
			opt("cUser", TypeChar, "account"),
			opt("cPass", TypeChar, "password"),
			opt("nTimeout", TypeNum, "seconds; nil/0 = 60"),
			opt("lTLS", TypeBool, ".T. = STARTTLS"),
			opt("lSSL", TypeBool, ".T. = implicit TLS (wins over lTLS)"))
	}
	list := func(name, doc string) Param {
		return opt(name, TypeArray+"|"+TypeChar, doc+": an array or a single string")
	}
	str := func(name, doc string) Param { return ret(name, TypeChar, doc) }
	registerFunc(
		&Function{FuncSpec{Name: "MailSmtpOn", Params: conn("SMTP"), Returns: rets(lOk),
			Doc: "CONNECT SMTP SERVER: opens the SMTP session of the legacy commands (no authentication: call MailAuth). Default port 25, 587 with lTLS, 465 with lSSL."}, mailSmtpOn},
		&Function{FuncSpec{Name: "MailAuth", Params: params(req("cUser", TypeChar, "user"), req("cPass", TypeChar, "password")), Returns: rets(lOk),
			Doc: "Authenticates the session opened by MailSmtpOn."}, mailAuth},
		&Function{FuncSpec{Name: "MailSend", Params: params(
			req("cFrom", TypeChar, "sender"),
			list("aTo", "recipients"),
			list("aCc", "carbon copies"),
			list("aBcc", "blind copies"),
			opt("cSubject", TypeChar, "subject"),
			opt("cBody", TypeChar, "body"),
			list("aFiles", "files to attach"),
			opt("lText", TypeBool, ".T. = plain-text body (FORMAT TEXT), else HTML"),
			opt("lTLS", TypeBool, ".T. = send over STARTTLS: a session opened without it is reopened so (and authenticated again)"),
			opt("lSSL", TypeBool, ".T. = send over implicit TLS: a session opened without it is reopened so (and authenticated again)")),
			Returns: rets(lOk), Doc: "SEND MAIL: sends over the MailSmtpOn session."}, mailSend},
		&Function{FuncSpec{Name: "MailGetErr", Returns: rets(str("cErr", "text of the last legacy error, \"\" after a success")),
			Doc: "GET MAIL ERROR: text of the last error of the legacy functions, with the server's reply."}, mailGetErr},
		&Function{FuncSpec{Name: "MailSmtpOff", Returns: rets(lOk), Doc: "DISCONNECT SMTP SERVER."}, mailSmtpOff},
		&Function{FuncSpec{Name: "MailPopOn", Params: conn("POP3"), Returns: rets(lOk),
			Doc: "CONNECT POP SERVER: opens and logs in the POP3 session of the legacy commands. Default port 110, 995 with lSSL."}, mailPopOn},
		&Function{FuncSpec{Name: "PopMsgCount", Params: params(ref("nCount", TypeNum, "by reference: receives the count")),
			Returns: rets(lOk, ret("nCount", TypeNum, "messages in the maildrop")),
			Doc:     "POP MESSAGE COUNT: lOk, nCount = PopMsgCount(nCount)."}, popMsgCount},
		&Function{FuncSpec{Name: "MailReceive", Params: params(
			req("nMsg", TypeNum, "message number 1..PopMsgCount"),
			ref("cFrom", TypeChar, "by reference"),
			ref("cTo", TypeChar, "by reference"),
			ref("cCc", TypeChar, "by reference"),
			ref("cBcc", TypeChar, "by reference"),
			ref("cSubject", TypeChar, "by reference"),
			ref("cBody", TypeChar, "by reference"),
			opt("aFiles", TypeArray, "filled in place with the paths of the saved attachments (names only when cPath is empty)"),
			opt("cPath", TypeChar, "directory to save attachments in (created when missing); \"\" = do not save"),
			opt("lDelete", TypeBool, ".T. = delete the message (committed by MailPopOff)"),
			opt("lTLS", TypeBool, "accepted; the security of MailPopOn applies"),
			opt("lSSL", TypeBool, "accepted; the security of MailPopOn applies")),
			Returns: rets(lOk, str("cFrom", "From"), str("cTo", "To"), str("cCc", "Cc"), str("cBcc", "Bcc"),
				str("cSubject", "subject, decoded"), str("cBody", "HTML body when present, else text")),
			Doc: "RECEIVE MAIL MESSAGE: lOk, cFrom, cTo, cCc, cBcc, cSubject, cBody = MailReceive(n, cFrom, cTo, cCc, cBcc, cSubject, cBody, aFiles, cPath, lDelete)."}, mailReceive},
		&Function{FuncSpec{Name: "MailPopOff", Returns: rets(lOk), Doc: "DISCONNECT POP SERVER: QUIT (commits deletions)."}, mailPopOff},
	)
}
