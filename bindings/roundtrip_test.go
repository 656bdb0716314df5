package bindings

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
)

// sandboxEngine starts a sandbox and returns an engine routed to it whose
// [Mail] Protocol is read from *protocol at each connect.
func sandboxEngine(t *testing.T) (*Engine, *sandbox.Sandbox, *mail.Config) {
	t.Helper()
	sb, err := sandbox.Start()
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	cfg := mail.DefaultConfig()
	var mu sync.Mutex
	e := &Engine{
		Transport: sb.Transport(cfg),
		Config: func() *mail.Config {
			mu.Lock()
			defer mu.Unlock()
			return cfg
		},
	}
	return e, sb, cfg
}

// luaHelpers are loaded before each round-trip script.
const luaHelpers = `
function eq(got, want, what)
	if got ~= want then error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)), 2) end
end
function has(s, sub, what)
	if type(s) ~= "string" or not string.find(s, sub, 1, true) then
		error(string.format("%s: %s does not contain %q", what, tostring(s), sub), 2)
	end
end
function ok(n, srv, what)
	if n ~= 0 then error(string.format("%s: %s: %s", what, tostring(n), srv:GetErrorString(n)), 2) end
end
`

func runScript(t *testing.T, L *lua.LState, code string) []lua.LValue {
	t.Helper()
	return run(t, L, luaHelpers+code)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSendReceivePOP3(t *testing.T) {
	e, sb, _ := sandboxEngine(t)
	dir := t.TempDir()
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 1, 2, 0xff, '\r', '\n'}, 500)...)
	writeFile(t, filepath.Join(dir, "relatorio.pdf"), pdf)
	writeFile(t, filepath.Join(dir, "logo.png"), []byte("\x89PNG\r\n\x1a\nfake"))
	L := newState(t, e)
	L.SetGlobal("dir", lua.LString(dir))
	runScript(t, L, `
		local srv = TMailManager():New()
		srv:SetUseTLS(true)
		eq(srv:Init("", "smtp.empresa.com.br", "remetente@empresa.com.br", "pw", 0, "587"), 0, "Init")
		eq(srv:SetSMTPTimeout(20), 0, "SetSMTPTimeout")
		ok(srv:SMTPConnect(), srv, "SMTPConnect")
		ok(srv:SmtpAuth("remetente@empresa.com.br", "pw"), srv, "SMTPAuth")
		eq(srv:GetUser(), "remetente@empresa.com.br", "GetUser")
		has(tostring(srv), "connected=smtp", "tostring")

		local m = TMailMessage():New()
		m:Clear()
		m.cFrom = "Remetente <remetente@empresa.com.br>"
		m.cTo = "Destino <destino@empresa.com.br>; outro@empresa.com.br"
		m.cCc = "copia@empresa.com.br"
		m.cBcc = "oculto@empresa.com.br"
		m.cSubject = "Relatório de vendas – março"
		m.cBody = "<html><body><p>Olá, segue o relatório.</p><img src='cid:logo'></body></html>"
		m.nXPriority = 1
		m:AddCustomHeader("X-WF-ID", "WF-42")
		eq(m:AttachFile(dir .. "/relatorio.pdf"), 0, "AttachFile")
		eq(m:AttachFile(dir .. "/logo.png"), 1, "AttachFile 2")
		eq(m:AddAttHTag("Content-ID: <logo>"), 0, "AddAttHTag")
		eq(m:Attach("a;b\r\n1;2\r\n", "dados.csv"), 2, "Attach")
		ok(m:Send(srv), srv, "Send")
		eq(srv:SMTPDisconnect(), 0, "SMTPDisconnect")

		local pop = TMailManager():New()
		pop:SetUseSSL(true)
		eq(pop:Init("pop.empresa.com.br", "", "destino@empresa.com.br", "pw", nil, 0), 0, "Init pop")
		eq(pop:SetPOPTimeout(20), 0, "SetPOPTimeout")
		ok(pop:PopConnect(), pop, "POPConnect")
		local count
		local nErr, count = pop:GetNumMsgs(count)
		eq(nErr, 0, "GetNumMsgs")
		eq(count, 5, "count (4 samples + 1)")

		local got = TMailMessage():New()
		ok(got:Receive(pop, count), pop, "Receive")
		eq(got.cSubject, "Relatório de vendas – março", "subject")
		has(got.cFrom, "remetente@empresa.com.br", "from")
		has(got.cTo, "outro@empresa.com.br", "to")
		has(got.cCc, "copia@empresa.com.br", "cc")
		eq(got.cBcc, "", "bcc")
		has(got.cBody, "Olá, segue o relatório.", "body")
		eq(got:GetCustomHeader("x-wf-id:"), "WF-42", "custom header")
		eq(got.nXPriority, 1, "priority")
		eq(got:GetAttachCount(), 3, "attachments")
		local idx = {}
		for i = 1, got:GetAttachCount() do idx[got:GetAttachInfo(i)[1]] = i end
		local a1 = got:GetAttachInfo(idx["relatorio.pdf"])
		eq(a1[2], "application/pdf", "type")
		eq(a1[3], "attachment", "disposition")
		eq(a1[7], 3009, "size")
		local a2 = got:GetAttachInfo(idx["logo.png"])
		eq(a2[5], "logo", "content-id")
		eq(got:GetAttach(idx["dados.csv"]), "a;b\r\n1;2\r\n", "content of dados.csv")
		eq(got:SaveAttach(idx["relatorio.pdf"], dir .. "/saved.pdf"), true, "SaveAttach")
		eq(got:GetAttachInfo(4), nil, "GetAttachInfo out of range")

		-- Earlier sample messages are readable with the same object.
		got:Clear()
		ok(got:Receive(pop, 3), pop, "Receive sample")
		eq(got.cSubject, "NF-e 1234 - Empresa Exemplo Ltda", "sample subject")

		ok(pop:DeleteMsg(count), pop, "DeleteMsg")
		ok(pop:POPDisconnect(), pop, "POPDisconnect")
		ok(pop:POPConnect(), pop, "POPConnect 2")
		local _, after = pop:GetNumMsgs()
		eq(after, count - 1, "count after delete + QUIT")
		eq(got:Receive(pop, count), 19, "Receive deleted")
		has(pop:GetErrorString(19), "no such message", "GetErrorString 19")
		-- IMAP operations over POP3: .F. and wrong protocol.
		eq(pop:ChangeFolder("INBOX"), false, "ChangeFolder over POP3")
		has(pop:GetErrorString(), "operation not available on the connected protocol", "wrong protocol")
		eq(pop:GetMsgHeader(1), nil, "GetMsgHeader over POP3")
		ok(pop:POPDisconnect(), pop, "POPDisconnect 2")
	`)
	if b, err := os.ReadFile(filepath.Join(dir, "saved.pdf")); err != nil || !bytes.Equal(b, pdf) {
		t.Errorf("SaveAttach wrote %d bytes (%v), want the %d bytes of the PDF", len(b), err, len(pdf))
	}
	caps := sb.Captured()
	if len(caps) != 1 {
		t.Fatalf("captured %d messages, want 1", len(caps))
	}
	rcpts := strings.Join(caps[0].To, ",")
	for _, want := range []string{"destino@empresa.com.br", "outro@empresa.com.br", "copia@empresa.com.br", "oculto@empresa.com.br"} {
		if !strings.Contains(rcpts, want) {
			t.Errorf("envelope recipients %q lack %s", rcpts, want)
		}
	}
	if bytes.Contains(caps[0].Data, []byte("oculto")) {
		t.Errorf("Bcc leaked into the message")
	}
}

func TestSendMailAndSaveLoad(t *testing.T) {
	e, sb, _ := sandboxEngine(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "nota.xml"), []byte("<nfe>1</nfe>"))
	L := newState(t, e)
	L.SetGlobal("dir", lua.LString(dir))
	runScript(t, L, `
		local srv = TMailManager():New()
		srv:SetUseSSL(true)
		srv:Init("", "smtp.empresa.com.br:465", "robo@empresa.com.br", "pw")
		-- No session open: SendMail connects, authenticates and quits.
		ok(srv:SendMail("robo@empresa.com.br", "fiscal@empresa.com.br", "Lote 7", "<p>ok</p>", "", "", {dir .. "/nota.xml"}, 1, 2), srv, "SendMail")
		eq(srv:SendMail("robo@empresa.com.br", "fiscal@empresa.com.br", "x", "y", nil, nil, {dir .. "/missing.xml"}), 16, "SendMail missing file")
		has(srv:GetErrorString(16), "attachment file not found", "missing file text")

		-- Save / Load / ToStr / FromStr, then send the loaded message (Workflow queue pattern).
		local m = TMailMessage():New()
		m.cFrom = "robo@empresa.com.br"; m.cTo = "fila@empresa.com.br"; m.cSubject = "Fila ção"; m.cBody = "texto"
		m.cBcc = "oculto@empresa.com.br"
		m:MsgBodyType("text")
		m:AddCustomHeader("X-Queue", "7")
		eq(m:Save(dir .. "/q.eml"), 0, "Save")
		local s, extra = m:ToStr()
		eq(extra, nil, "ToStr returns one value")
		has(s, "X-Queue: 7", "ToStr text")
		local l = TMailMessage():New()
		eq(l:Load(dir .. "/q.eml"), 0, "Load")
		eq(l.cSubject, "Fila ção", "loaded subject")
		eq(l.cBcc, "oculto@empresa.com.br", "loaded Bcc")
		eq(l:GetCustomHeader("X-Queue"), "7", "loaded header")
		local f = TMailMessage():New()
		eq(f:FromStr(s), 0, "FromStr")
		eq(f.cTo, "fila@empresa.com.br", "FromStr to")
		eq(f.cBcc, "oculto@empresa.com.br", "FromStr Bcc")
		eq(l:Load(dir .. "/nothing.eml") ~= 0, true, "Load missing")
		ok(srv:SMTPConnect(), srv, "SMTPConnect")
		ok(l:Send(srv), srv, "Send loaded")
		ok(srv:SMTPDisconnect(), srv, "SMTPDisconnect")
	`)
	caps := sb.Captured()
	if len(caps) != 2 {
		t.Fatalf("captured %d messages, want 2", len(caps))
	}
	if caps[0].Subject != "Lote 7" || len(caps[0].Attachments) != 1 || caps[0].Attachments[0] != "nota.xml" {
		t.Errorf("SendMail captured %+v", caps[0])
	}
	if !bytes.Contains(caps[0].Data, []byte("X-Priority: 2")) {
		t.Errorf("SendMail priority missing:\n%s", caps[0].Data)
	}
	if caps[1].Subject != "Fila ção" || !bytes.Contains(caps[1].Data, []byte("X-Queue: 7")) || bytes.Count(caps[1].Data, []byte("\nSubject:")) != 1 {
		t.Errorf("loaded message sent as:\n%s", caps[1].Data)
	}
	// The Bcc kept by Save reaches the envelope, never the sent headers.
	if !slices.Contains(caps[1].To, "oculto@empresa.com.br") || bytes.Contains(caps[1].Data, []byte("oculto@")) {
		t.Errorf("loaded message: envelope %v, data:\n%s", caps[1].To, caps[1].Data)
	}
}

func TestCloseAllDoesNotCommitDeletes(t *testing.T) {
	e, _, _ := sandboxEngine(t)
	L := newState(t, e)
	runScript(t, L, `
		pop = TMailManager():New()
		pop:Init("pop.x.com", "", "caixa", "pw")
		ok(pop:POPConnect(), pop, "POPConnect")
		local _, n = pop:GetNumMsgs()
		eq(n, 4, "samples")
		ok(pop:DeleteMsg(1), pop, "DeleteMsg")
	`)
	e.mu.Lock()
	open := len(e.open)
	e.mu.Unlock()
	if open != 1 {
		t.Fatalf("%d tracked connections, want 1", open)
	}
	e.CloseAll() // cancellation: no QUIT, nothing deleted
	runScript(t, L, `
		local p2 = TMailManager():New()
		p2:Init("pop.x.com", "", "caixa", "pw")
		ok(p2:POPConnect(), p2, "POPConnect 2")
		local _, n = p2:GetNumMsgs()
		eq(n, 4, "count after CloseAll")
		ok(p2:POPDisconnect(), p2, "POPDisconnect")
	`)
	e.mu.Lock()
	open = len(e.open)
	e.mu.Unlock()
	if open != 0 {
		t.Fatalf("%d tracked connections after disconnect, want 0", open)
	}
}

func TestLegacyRoundTrip(t *testing.T) {
	e, sb, _ := sandboxEngine(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), []byte("primeiro"))
	writeFile(t, filepath.Join(dir, "b.txt"), []byte("segundo"))
	out := filepath.Join(dir, "recebidos")
	L := newState(t, e)
	L.SetGlobal("dir", lua.LString(dir))
	L.SetGlobal("out", lua.LString(out))
	got := runScript(t, L, `
		eq(MailSmtpOn("smtp.empresa.com.br:587", "robo@empresa.com.br", "pw", 20, true, false), true, "MailSmtpOn")
		eq(MailAuth("robo@empresa.com.br", "pw"), true, "MailAuth")
		eq(MailSend("robo@empresa.com.br", {"legado@empresa.com.br", "outro@empresa.com.br"}, "copia@empresa.com.br", {},
			"Assunto legado", "Corpo em texto", {dir .. "/a.txt", dir .. "/b.txt"}, true), true, "MailSend")
		eq(MailGetErr(), "", "MailGetErr after success")
		eq(MailSend("robo@empresa.com.br", "legado@empresa.com.br", nil, nil, "x", "y", dir .. "/none.txt"), false, "MailSend missing")
		has(MailGetErr(), "attachment file not found", "MailGetErr")
		eq(mailsmtpoff(), true, "MailSmtpOff")

		eq(MailPopOn("pop.empresa.com.br", "legado", "pw", 20, false, true), true, "MailPopOn")
		local n
		local lOk, n = PopMsgCount(n)
		eq(lOk, true, "PopMsgCount")
		eq(n, 5, "count")
		local files = {"stale"}
		local cFrom, cTo, cCc, cBcc, cSubject, cBody
		lOk, cFrom, cTo, cCc, cBcc, cSubject, cBody = MailReceive(n, cFrom, cTo, cCc, cBcc, cSubject, cBody, files, out, true)
		eq(lOk, true, "MailReceive " .. MailGetErr())
		has(cFrom, "robo@empresa.com.br", "from")
		has(cTo, "outro@empresa.com.br", "to")
		has(cCc, "copia@empresa.com.br", "cc")
		eq(cSubject, "Assunto legado", "subject")
		has(cBody, "Corpo em texto", "body")
		eq(#files, 2, "files")
		eq(MailPopOff(), true, "MailPopOff")
		eq(MailPopOn("pop.empresa.com.br", "legado", "pw"), true, "MailPopOn 2")
		lOk, n = PopMsgCount()
		eq(n, 4, "count after delete")
		local f2 = {}
		lOk = MailReceive(99, nil, nil, nil, nil, nil, nil, f2, out, false)
		eq(lOk, false, "MailReceive out of range")
		has(MailGetErr(), "no such message", "MailGetErr")
		eq(MailPopOff(), true, "MailPopOff 2")
		return files[1], files[2]
	`)
	for i, want := range []string{"primeiro", "segundo"} {
		path := got[i].String()
		if filepath.Dir(path) != out {
			t.Errorf("file %d saved at %q, want in %q", i+1, path, out)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != want {
			t.Errorf("file %d = %q, %v; want %q", i+1, b, err, want)
		}
	}
	if caps := sb.Captured(); len(caps) != 1 || !strings.Contains(string(caps[0].Data), "text/plain") {
		t.Errorf("captured %d messages; want one plain-text message", len(caps))
	}
}

// rejectingBackend is a go-smtp backend that refuses AUTH with 535 and the
// recipient "nobody@" with 550.
type rejectingBackend struct{}

func (rejectingBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &rejectingSession{}, nil }

type rejectingSession struct{}

func (*rejectingSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (*rejectingSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, _, _ string) error {
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
	}), nil
}
func (*rejectingSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*rejectingSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "nobody@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
	}
	return nil
}
func (*rejectingSession) Data(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }
func (*rejectingSession) Reset()                 {}
func (*rejectingSession) Logout() error          { return nil }

func TestErrorStringHasServerReply(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(rejectingBackend{})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	// A port where nothing listens.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()

	e := &Engine{Transport: &mail.Transport{Config: mail.DefaultConfig()}}
	L := newState(t, e)
	L.SetGlobal("addr", lua.LString(l.Addr().String()))
	L.SetGlobal("dead", lua.LString(deadAddr))
	runScript(t, L, `
		local o = TMailManager():New()
		o:Init("", addr, "u", "p")
		o:SetSMTPTimeout(10)
		ok(o:SMTPConnect(), o, "SMTPConnect")
		local n = o:SMTPAuth("u", "wrong")
		eq(n, 9, "SMTPAuth code")
		has(o:GetErrorString(n), "authentication failed: 535 5.7.8 bad credentials", "GetErrorString")
		has(o:getErrorString(), "535", "GetErrorString without argument")
		eq(o:GetErrorString(4), "timeout", "another code: plain text")

		local m = TMailMessage():New()
		m.cFrom = "a@x.com"; m.cTo = "nobody@x.com"; m.cSubject = "s"; m.cBody = "b"
		n = m:Send(o)
		eq(n, 12, "Send rejected recipient")
		has(o:GetErrorString(n), "550", "recipient reply")
		has(o:GetErrorString(n), "no such user here", "recipient reply text")
		m.cTo = "someone@x.com"
		ok(m:Send(o), o, "session still usable after a refusal")
		ok(o:SMTPDisconnect(), o, "SMTPDisconnect")

		eq(MailSmtpOn(addr, "u", "p", 10), true, "MailSmtpOn")
		eq(MailAuth("u", "wrong"), false, "MailAuth")
		has(MailGetErr(), "535 5.7.8 bad credentials", "MailGetErr")
		eq(MailSmtpOff(), true, "MailSmtpOff")

		local d = TMailManager():New()
		d:Init("", dead, "u", "p")
		n = d:SMTPConnect()
		eq(n, 3, "connection refused")
		has(d:GetErrorString(n), "connection refused", "refused text")
	`)
}

// TestSMTPTimeoutBound checks that SMTPConnect returns within the
// configured timeout against a server that never answers.
func TestSMTPTimeoutBound(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // accept, never greet
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	e := &Engine{Transport: &mail.Transport{Config: mail.DefaultConfig()}}
	L := newState(t, e)
	L.SetGlobal("addr", lua.LString(l.Addr().String()))
	start := time.Now()
	got := runScript(t, L, `
		local o = TMailManager():New()
		o:SMTPConnect()                 -- before Init: error 1
		o:SetSMTPTimeout(1)
		o:Init("", addr, "u", "p")
		local n = o:SMTPConnect()
		return n, o:GetErrorString(n), o:GetSMTPTimeout()`)
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("SMTPConnect took %v with a 1 s timeout", d)
	}
	if got[0].String() != "4" || !strings.Contains(got[1].String(), "timeout") || got[2].String() != "1" {
		t.Fatalf("got %v", got)
	}
}
