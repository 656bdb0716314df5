package bindings

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
)

// dialLog records every connection the engine opens.
type dialLog struct {
	mu  sync.Mutex
	eps []dialed
}

type dialed struct {
	proto mail.Protocol
	ep    mail.Endpoint
}

func (d *dialLog) add(proto mail.Protocol, ep mail.Endpoint) {
	d.mu.Lock()
	d.eps = append(d.eps, dialed{proto, ep})
	d.mu.Unlock()
}

// take returns the connections recorded since the last call.
func (d *dialLog) take() []dialed {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.eps
	d.eps = nil
	return out
}

// mngEngine starts a sandbox and returns an engine routed to it through a
// dialer that records each endpoint. route, when set, may rewrite the
// endpoint the sandbox sees (to simulate a port that speaks another TLS mode).
func mngEngine(t *testing.T, cfg *mail.Config, route func(mail.Endpoint) mail.Endpoint) (*Engine, *sandbox.Sandbox, *dialLog) {
	t.Helper()
	sb, err := sandbox.Start()
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	if cfg == nil {
		cfg = mail.DefaultConfig()
	}
	log := &dialLog{}
	tr := sb.Transport(cfg)
	tr.Dial = func(ctx context.Context, proto mail.Protocol, ep mail.Endpoint) (net.Conn, error) {
		log.add(proto, ep)
		if route != nil {
			ep = route(ep)
		}
		return sb.Dial(ctx, proto, ep)
	}
	return &Engine{Transport: tr}, sb, log
}

// mngHelpers are luaHelpers (roundtrip_test.go) plus folder-list helpers.
const mngHelpers = luaHelpers + `
function names(rows)
	local s = {}
	for _, r in ipairs(rows) do
		eq(#r, 5, "folder row length")
		s[r[1]] = r
	end
	return s
end
`

func mngState(t *testing.T, e *Engine) *lua.LState {
	t.Helper()
	L := lua.NewState()
	t.Cleanup(L.Close)
	Open(L, e)
	return L
}

// mngRun runs code (with mngHelpers), which must succeed, and returns its results.
func mngRun(t *testing.T, L *lua.LState, code string) []lua.LValue {
	t.Helper()
	top := L.GetTop()
	if err := L.DoString(mngHelpers + code); err != nil {
		t.Fatalf("script failed: %v", err)
	}
	out := []lua.LValue{}
	for i := top + 1; i <= L.GetTop(); i++ {
		out = append(out, L.Get(i))
	}
	L.SetTop(top)
	return out
}

func openConns(e *Engine) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.open)
}

func TestMngNewForms(t *testing.T) {
	L := mngState(t, nil)
	cases := []struct {
		code            string
		proto, srv, smt int
	}{
		{`return TMailMng():New(1, 3, 6)`, 1, 3, 6},
		{`return TMailMng:New(0, 2, 6)`, 0, 2, 6},
		{`return TMailMng.New(1)`, 1, 0, 0},
		{`return tmailmng():new(1, nil, 3, true)`, 1, 0, 3},
		{`return TMAILMNG.NEW()`, 0, 0, 0},
		{`return TMailMng(1, 5)`, 1, 5, 0},
		{`local o = TMailMng():New(1, 3, 6); return o:New(nil, nil, 4)`, 1, 3, 4},
	}
	for _, tc := range cases {
		got := mngRun(t, L, `local o = (function() `+tc.code+` end)()
			return o.nProtocol, o.NSRVSSL, o.nsmtpssl, tostring(o)`)
		if got[0].String() != fmt.Sprint(tc.proto) || got[1].String() != fmt.Sprint(tc.srv) || got[2].String() != fmt.Sprint(tc.smt) {
			t.Errorf("%s: nProtocol, nSrvSSL, nSMTPSSL = %v %v %v, want %d %d %d", tc.code, got[0], got[1], got[2], tc.proto, tc.srv, tc.smt)
		}
		if !strings.HasPrefix(got[3].String(), "TMailMng{") {
			t.Errorf("%s: tostring = %q", tc.code, got[3])
		}
	}
	got := mngRun(t, L, `local o = TMailMng():New(1); local a = o:New(0)
		return rawequal(o, a), rawequal(TMailMng:New(), TMailMng:New()), a.nProtocol`)
	if got[0] != lua.LTrue || got[1] != lua.LFalse || got[2].String() != "0" {
		t.Errorf("obj:New returns obj and reconfigures, class New makes new objects: %v", got)
	}

	errs := []struct{ code, want string }{
		{`TMailMng():New(2)`, "TMailMng:New: argument #1 (nProtocol) must be 0 (POP3) or 1 (IMAP), got 2"},
		{`TMailMng():New("1")`, "TMailMng:New: argument #1 must be numeric, got string"},
		{`TMailMng():New(0, 7)`, "TMailMng:New: argument #2 must be 0 (no TLS), 1..3 (implicit TLS) or 4..6 (STARTTLS), got 7"},
		{`TMailMng():New(0, 0, -1)`, "TMailMng:New: argument #3 must be 0"},
		{`TMailMng():New(0, 0, 0, "x")`, "TMailMng:New: argument #4 must be logical, got string"},
		{`TMailMng():New(1.5)`, "TMailMng:New: argument #1 must be a whole number"},
	}
	for _, tc := range errs {
		err := L.DoString(tc.code)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.code, err, tc.want)
		}
	}
}

func TestMngProperties(t *testing.T) {
	cfg := mail.DefaultConfig()
	cfg.AuthLogin = false
	cfg.HeloName = "cfg.example"
	cfg.TryProtocols = true
	L := mngState(t, &Engine{Config: func() *mail.Config { return cfg }})

	// Defaults, some from [Mail].
	mngRun(t, L, `
		local o = TMailMng():New(1)
		eq(o.cUser, "", "cUser")
		eq(o.cPass, "", "cPass")
		eq(o.cSrvAddr, "", "cSrvAddr")
		eq(o.nSrvPort, 0, "nSrvPort")
		eq(o.nSrvTimeout, 0, "nSrvTimeout")
		eq(o.nSMTPPort, 0, "nSMTPPort")
		eq(o.lAuthLogin, false, "lAuthLogin from [Mail]")
		eq(o.lAuthPlain, true, "lAuthPlain from [Mail]")
		eq(o.lAuthNTLM, true, "lAuthNTLM from [Mail]")
		eq(o.lExtendSMTP, true, "lExtendSMTP from [Mail]")
		eq(o.cSMTPLocalHost, "cfg.example", "cSMTPLocalHost from [Mail] EhloName")
		eq(o.lSMTPRetrySSL, true, "lSMTPRetrySSL from [Mail] TryProtocols")
		eq(o.lSrvRetrySSL, true, "lSrvRetrySSL from [Mail] TryProtocols")
		eq(o.lUseRealID, false, "lUseRealID")
		eq(o.lKeepMsg, false, "lKeepMsg")
		eq(o.lVerbose, false, "lVerbose")
		eq(o.lTryEncode, false, "lTryEncode")
		eq(o.lConnected, false, "lConnected")
		eq(o.lSMTPConnected, false, "lSMTPConnected")
		eq(o.cCurrentFolder, "", "cCurrentFolder")
	`)

	// Every writable property keeps what is assigned, in any letter case.
	writable := []struct{ name, value string }{
		{"cUser", `"fulano@empresa.com.br"`}, {"cPass", `"segredo"`}, {"cSrvAddr", `"imap.empresa.com.br:993"`},
		{"nSrvPort", "995"}, {"nSrvTimeout", "30"}, {"cSMTPAddr", `"smtp.empresa.com.br"`}, {"nSMTPPort", "587"},
		{"nSMTPTimeout", "45"}, {"cSMTPLocalHost", `"erp.empresa.com.br"`}, {"lAuthLogin", "true"}, {"lAuthNTLM", "false"},
		{"lAuthPlain", "false"}, {"lExtendSMTP", "false"}, {"lUseRealID", "true"}, {"lKeepMsg", "true"},
		{"lVerbose", "true"}, {"nProtocol", "1"}, {"nSrvSSL", "3"}, {"nSMTPSSL", "6"}, {"lSrvRetrySSL", "false"},
		{"lSMTPRetrySSL", "false"}, {"lTryEncode", "true"},
	}
	for _, p := range writable {
		got := mngRun(t, L, fmt.Sprintf(`local o = TMailMng():New(0)
			o.%s = %s
			return o.%s == %s, o.%s == %s`, strings.ToUpper(p.name), p.value, strings.ToLower(p.name), p.value, p.name, p.value))
		if got[0] != lua.LTrue || got[1] != lua.LTrue {
			t.Errorf("%s = %s does not read back", p.name, p.value)
		}
	}

	// nil resets to the default.
	mngRun(t, L, `
		local o = TMailMng():New(1, 3, 6)
		o.cUser = "x"; o.cUser = nil; eq(o.cUser, "", "cUser reset")
		o.nSrvPort = 995; o.nSrvPort = nil; eq(o.nSrvPort, 0, "nSrvPort reset")
		o.lAuthPlain = false; o.lAuthPlain = nil; eq(o.lAuthPlain, true, "lAuthPlain reset to [Mail]")
		o.lKeepMsg = true; o.lKeepMsg = nil; eq(o.lKeepMsg, false, "lKeepMsg reset")
	`)

	errs := []struct{ code, want string }{
		{`o.cUser = 1`, "TMailMng.cUser must be character, got number"},
		{`o.cPass = {}`, "TMailMng.cPass must be character, got table"},
		{`o.nSrvPort = "995"`, "TMailMng.nSrvPort must be numeric, got string"},
		{`o.nSrvPort = 70000`, "TMailMng.nSrvPort: must be a port number 0..65535, got 70000"},
		{`o.nSMTPPort = 1.5`, "TMailMng.nSMTPPort: must be a whole number, got 1.5"},
		{`o.nSrvTimeout = -1`, "TMailMng.nSrvTimeout: must be a number of seconds >= 0"},
		{`o.nSMTPTimeout = true`, "TMailMng.nSMTPTimeout must be numeric, got boolean"},
		{`o.nProtocol = 2`, "TMailMng.nProtocol: must be 0 (POP3) or 1 (IMAP), got 2"},
		{`o.nSrvSSL = 7`, "TMailMng.nSrvSSL: must be 0 (no TLS)"},
		{`o.nSMTPSSL = -1`, "TMailMng.nSMTPSSL: must be 0 (no TLS)"},
		{`o.lVerbose = 1`, "TMailMng.lVerbose must be logical, got number"},
		{`o.lConnected = true`, "TMailMng.lConnected: is read-only"},
		{`o.lSMTPConnected = false`, "TMailMng.lSMTPConnected: is read-only"},
		{`o.cCurrentFolder = "INBOX"`, "TMailMng.cCurrentFolder: is read-only (it reflects the connection state; use ChangeFolder)"},
		{`o.cFoo = 1`, "TMailMng has no member 'cFoo'"},
		{`local x = o.cFoo`, "TMailMng has no member 'cFoo'"},
		{`o.Connect = 1`, "TMailMng:Connect is a method and cannot be assigned"},
	}
	for _, tc := range errs {
		err := L.DoString(`local o = TMailMng():New(0); ` + tc.code)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.code, err, tc.want)
		}
	}
}

func TestMngSSLMapping(t *testing.T) {
	e, _, log := mngEngine(t, nil, nil)
	L := mngState(t, e)
	type mode struct {
		sec                  mail.Security
		pop3, imap, smtpPort int
	}
	plain := mode{mail.Plain, 110, 143, 25}
	implicit := mode{mail.ImplicitTLS, 995, 993, 465}
	starttls := mode{mail.StartTLS, 110, 143, 587}
	for n, w := range []mode{plain, implicit, implicit, implicit, starttls, starttls, starttls} {
		for _, proto := range []int{0, 1} {
			t.Run(fmt.Sprintf("ssl%d/proto%d", n, proto), func(t *testing.T) {
				log.take()
				mngRun(t, L, fmt.Sprintf(`
					local o = TMailMng():New(%d, %d, %d, true)
					o.cUser = "ssl%d"
					o.cPass = "pw"
					o.cSrvAddr = "mail.empresa.com.br"
					o.cSMTPAddr = "smtp.empresa.com.br"
					ok(o:Connect(), o, "Connect")
					eq(o.lConnected, true, "lConnected")
					ok(o:SMTPConnect(), o, "SMTPConnect")
					ok(o:SMTPAuth(o.cUser, o.cPass), o, "SMTPAuth")
					ok(o:Disconnect(), o, "Disconnect")
					ok(o:SMTPDisconnect(), o, "SMTPDisconnect")
				`, proto, n, n, n))
				got := log.take()
				if len(got) != 2 {
					t.Fatalf("dialed %v, want a receive and an SMTP connection", got)
				}
				recvProto, recvPort := mail.POP3, w.pop3
				if proto == 1 {
					recvProto, recvPort = mail.IMAP, w.imap
				}
				wantEPs := []dialed{
					{recvProto, mail.Endpoint{Host: "mail.empresa.com.br", Port: recvPort, Security: w.sec}},
					{mail.SMTP, mail.Endpoint{Host: "smtp.empresa.com.br", Port: w.smtpPort, Security: w.sec}},
				}
				for i := range wantEPs {
					if got[i] != wantEPs[i] {
						t.Errorf("connection %d = %+v, want %+v", i+1, got[i], wantEPs[i])
					}
				}
			})
		}
	}

	// Explicit ports and "host:port" addresses; the receive and SMTP modes are independent.
	log.take()
	mngRun(t, L, `
		local o = TMailMng():New(1, 6, 3)
		o.cUser, o.cPass = "ports", "pw"
		o.cSrvAddr = "imap.empresa.com.br:1143"
		o.cSMTPAddr = "smtp.empresa.com.br:2465"
		o.nSMTPPort = 2525
		local d = tostring(o)
		has(d, 'TMailMng{protocol=IMAP user="ports" srv=imap.empresa.com.br:1143 (STARTTLS) smtp=smtp.empresa.com.br:2525 (implicit TLS)}', "tostring")
		eq(string.find(d, "pw", 1, true), nil, "password in tostring")
		ok(o:Connect(), o, "Connect")
		ok(o:SMTPConnect(), o, "SMTPConnect")
		ok(o:Disconnect(), o, "Disconnect")
		ok(o:SMTPDisconnect(), o, "SMTPDisconnect")
	`)
	got := log.take()
	want := []dialed{
		{mail.IMAP, mail.Endpoint{Host: "imap.empresa.com.br", Port: 1143, Security: mail.StartTLS}},
		{mail.SMTP, mail.Endpoint{Host: "smtp.empresa.com.br", Port: 2525, Security: mail.ImplicitTLS}},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("dialed %+v, want %+v", got, want)
	}
	if n := openConns(e); n != 0 {
		t.Errorf("%d connections still tracked", n)
	}
}

func TestMngRetrySSL(t *testing.T) {
	// Every connection reaches the plain listener: implicit TLS meets a clear greeting.
	e, _, log := mngEngine(t, nil, func(ep mail.Endpoint) mail.Endpoint {
		ep.Security = mail.Plain
		return ep
	})
	L := mngState(t, e)
	mngRun(t, L, `
		for _, proto in ipairs({0, 1}) do
			local o = TMailMng():New(proto, 3, 3)
			o.cUser, o.cPass = "retry", "pw"
			o.cSrvAddr, o.cSMTPAddr = "mail.empresa.com.br", "smtp.empresa.com.br"
			o.lSrvRetrySSL, o.lSMTPRetrySSL = false, false
			eq(o:Connect(), 5, "Connect in implicit TLS on a clear port")
			has(o:GetErrorString(5), "TLS", "error text")
			eq(o.lConnected, false, "lConnected after failure")
			eq(o:SMTPConnect(), 5, "SMTPConnect in implicit TLS on a clear port")
			o.lSrvRetrySSL, o.lSMTPRetrySSL = true, true
			ok(o:Connect(), o, "Connect with lSrvRetrySSL")
			eq(o:GetNumMsgs(), 0, "session usable")
			ok(o:SMTPConnect(), o, "SMTPConnect with lSMTPRetrySSL")
			ok(o:SMTPAuth("retry", "pw"), o, "SMTPAuth after retry")
			ok(o:Disconnect(), o, "Disconnect")
			ok(o:SMTPDisconnect(), o, "SMTPDisconnect")
		end
	`)
	var secs []string
	for _, d := range log.take() {
		secs = append(secs, fmt.Sprintf("%s:%s", d.proto, d.ep.Security))
	}
	got := strings.Join(secs, " ")
	want := "pop3:implicit TLS smtp:implicit TLS pop3:implicit TLS pop3:STARTTLS smtp:implicit TLS smtp:STARTTLS " +
		"imap:implicit TLS smtp:implicit TLS imap:implicit TLS imap:STARTTLS smtp:implicit TLS smtp:STARTTLS"
	if got != want {
		t.Errorf("dials:\n got %s\nwant %s", got, want)
	}
}

func TestMngReceive(t *testing.T) {
	cfg := mail.DefaultConfig()
	cfg.Protocol = "IMAP" // TMailMng's own nProtocol wins over [Mail] Protocol
	e, _, log := mngEngine(t, cfg, nil)
	L := mngState(t, e)
	for _, tc := range []struct {
		proto  int
		realID bool
	}{{0, false}, {0, true}, {1, false}, {1, true}} {
		t.Run(fmt.Sprintf("proto%d/realID=%v", tc.proto, tc.realID), func(t *testing.T) {
			log.take()
			L.SetGlobal("proto", lua.LNumber(tc.proto))
			L.SetGlobal("realID", lua.LBool(tc.realID))
			L.SetGlobal("user", lua.LString(fmt.Sprintf("recv%d%v@empresa.com.br", tc.proto, tc.realID)))
			mngRun(t, L, `
				local o = TMailMng():New(proto, 3)
				o.cUser, o.cPass = user, "pw"
				o.cSrvAddr = "mail.empresa.com.br"
				o.nSrvTimeout = 20
				o.lUseRealID = realID
				ok(o:Connect(), o, "Connect")
				eq(o.lConnected, true, "lConnected")
				eq(o.cCurrentFolder, proto == 1 and "INBOX" or "", "cCurrentFolder after Connect")
				has(tostring(o), proto == 1 and "connected=imap" or "connected=pop3", "tostring")
				local nErr, n = o:GetNumMsgs(n)
				eq(nErr, 0, "GetNumMsgs")
				eq(n, 4, "samples")

				local m = TMailMessage():New()
				ok(m:Receive2(o, 1), o, "Receive2 1")
				eq(m.cSubject, "Bem-vindo ao sandbox do advmail", "subject 1")
				ok(o:DeleteMsg(1), o, "DeleteMsg 1")
				if proto == 1 and not realID then
					-- IMAP sequence numbers shift at once.
					local _, left = o:GetNumMsgs()
					eq(left, 3, "IMAP count after DeleteMsg")
					ok(m:Receive2(o, 1), o, "Receive2 new 1")
				else
					-- POP3 numbers and IMAP UIDs stay.
					eq(m:Receive2(o, 1), 19, "Receive2 of the deleted message")
					ok(m:Receive2(o, 2), o, "Receive2 2")
				end
				eq(m.cSubject, "Relatório de Vendas - Março", "second sample")

				o.lKeepMsg = true
				eq(o:DeleteMsg(2), 0, "DeleteMsg with lKeepMsg")
				eq(o:DeleteMsgs({2, 3}), 0, "DeleteMsgs with lKeepMsg")
				o.lKeepMsg = false

				ok(o:Disconnect(), o, "Disconnect")
				eq(o.lConnected, false, "lConnected after Disconnect")
				eq(o.cCurrentFolder, "", "cCurrentFolder after Disconnect")
				eq(o:Disconnect(), 0, "second Disconnect")
				eq(m:Receive2(o, 1), 6, "Receive2 without a session")
				has(o:GetErrorString(), "call Connect first", "no-session hint")
				local e2, n2 = o:GetNumMsgs()
				eq(e2, 6, "GetNumMsgs without a session")
				eq(n2, 0, "count without a session")
				eq(o:DeleteMsg(1), 6, "DeleteMsg without a session")

				ok(o:Connect(), o, "Connect again")
				local _, after = o:GetNumMsgs()
				eq(after, 3, "one message deleted, lKeepMsg kept the others")
				ok(o:Disconnect(), o, "Disconnect again")
			`)
			want := mail.POP3
			if tc.proto == 1 {
				want = mail.IMAP
			}
			for _, d := range log.take() {
				if d.proto != want {
					t.Errorf("dialed %s, want only %s", d.proto, want)
				}
			}
			if n := openConns(e); n != 0 {
				t.Errorf("%d connections still tracked", n)
			}
		})
	}
}

func TestMngSMTP(t *testing.T) {
	cfg := mail.DefaultConfig()
	cfg.AuthCramMD5 = false
	e, sb, log := mngEngine(t, cfg, nil)
	var trace bytes.Buffer
	var traceMu sync.Mutex
	e.Transport.Trace = lockedWriter{&traceMu, &trace}
	L := mngState(t, e)
	mngRun(t, L, `
		local o = TMailMng():New(1, nil, 6)
		o.lSMTPRetrySSL = true
		o.cSMTPAddr = "smtp.empresa.com.br"
		o.cUser = "remetente@empresa.com.br"
		o.cPass = "pw"
		o.nSMTPPort = 587
		o.nSMTPTimeout = 20
		o.cSMTPLocalHost = "erp.empresa.com.br"
		o.lAuthPlain = false
		eq(o:SMTPAuth(o.cUser, o.cPass), 6, "SMTPAuth before SMTPConnect")
		eq(o.lSMTPConnected, false, "lSMTPConnected before")
		ok(o:SMTPConnect(), o, "SMTPConnect")
		eq(o.lSMTPConnected, true, "lSMTPConnected")
		has(tostring(o), "connected=smtp", "tostring")
		ok(o:SMTPAuth(o.cUser, o.cPass), o, "SMTPAuth")

		local m = TMailMessage():New()
		m.cFrom = "remetente@empresa.com.br"
		m.cTo = "destino@empresa.com.br"
		m.cSubject = "Enviado por TMailMng"
		m.cBody = "<p>Olá</p>"
		ok(m:Send2(o), o, "Send2")
		ok(o:SMTPDisconnect(), o, "SMTPDisconnect")
		eq(o.lSMTPConnected, false, "lSMTPConnected after")
		eq(m:Send2(o), 6, "Send2 without a session")

		-- The recipient reads it with another TMailMng.
		local r = TMailMng():New(1, 3)
		r.cUser, r.cPass, r.cSrvAddr = "destino", "pw", "imap.empresa.com.br"
		ok(r:Connect(), r, "Connect recipient")
		local _, n = r:GetNumMsgs()
		eq(n, 5, "samples + 1")
		local got = TMailMessage():New()
		ok(got:Receive2(r, n), r, "Receive2")
		eq(got.cSubject, "Enviado por TMailMng", "round trip subject")
		ok(r:Disconnect(), r, "Disconnect recipient")

		-- No mechanism left: CRAM-MD5 off in [Mail], PLAIN and LOGIN off here.
		o.lAuthLogin = false
		ok(o:SMTPConnect(), o, "SMTPConnect 2")
		eq(o:SMTPAuth(o.cUser, o.cPass), 10, "SMTPAuth without mechanisms")
		ok(o:SMTPDisconnect(), o, "SMTPDisconnect 2")
	`)
	traceMu.Lock()
	tr := trace.String()
	traceMu.Unlock()
	if !strings.Contains(tr, "EHLO erp.empresa.com.br") {
		t.Errorf("trace lacks the cSMTPLocalHost EHLO:\n%s", tr)
	}
	if !strings.Contains(tr, "smtp: AUTH LOGIN") || strings.Contains(tr, "smtp: AUTH PLAIN") {
		t.Errorf("lAuthPlain = .F. should leave AUTH LOGIN only:\n%s", tr)
	}
	if caps := sb.Captured(); len(caps) != 1 || caps[0].Subject != "Enviado por TMailMng" {
		t.Errorf("captured %+v", caps)
	}

	// POP before SMTP: SMTPAuth's cPopAddress/cPopPort.
	log.take()
	mngRun(t, L, `
		local o = TMailMng():New(0, 0, 0)
		o.cSMTPAddr = "smtp.empresa.com.br"
		ok(o:SMTPConnect(), o, "SMTPConnect")
		ok(o:SMTPAuth("popsmtp", "pw", "pop.empresa.com.br", "1110"), o, "SMTPAuth with POP before SMTP")
		ok(o:SMTPConnect(), o, "SMTPConnect again")
		ok(o:SMTPAuth("popsmtp", "pw", "pop.empresa.com.br"), o, "SMTPAuth with default POP port")
		eq(o.lConnected, false, "the POP session is not kept")
		ok(o:SMTPDisconnect(), o, "SMTPDisconnect")
	`)
	got := log.take()
	want := []dialed{
		{mail.SMTP, mail.Endpoint{Host: "smtp.empresa.com.br", Port: 25}},
		{mail.POP3, mail.Endpoint{Host: "pop.empresa.com.br", Port: 1110}},
		{mail.SMTP, mail.Endpoint{Host: "smtp.empresa.com.br", Port: 25}},
		{mail.POP3, mail.Endpoint{Host: "pop.empresa.com.br", Port: 110}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dialed %+v, want %+v", got, want)
	}
	if n := openConns(e); n != 0 {
		t.Errorf("%d connections still tracked", n)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestMngFolders(t *testing.T) {
	e, _, _ := mngEngine(t, nil, nil)
	L := mngState(t, e)
	installSleepMng(L)
	mngRun(t, L, `
		local o = TMailMng():New(1, 3)
		o.cUser, o.cPass, o.cSrvAddr = "pastas@empresa.com.br", "pw", "imap.empresa.com.br"

		-- Without a session every folder operation says 6.
		eq(o:ChangeFolder("INBOX"), 6, "ChangeFolder without a session")
		eq(#o:GetFolderList(), 0, "GetFolderList without a session")
		eq(o:GetMsgHeader(1), nil, "GetMsgHeader without a session")
		has(o:GetErrorString(), "call Connect first", "hint")

		ok(o:Connect(), o, "Connect")
		eq(o.cCurrentFolder, "INBOX", "INBOX after Connect")

		eq(o:CreateFolder("Processados"), 0, "CreateFolder")
		eq(o.cCurrentFolder, "Processados", "CreateFolder selects")
		eq(o:ChangeFolder("INBOX"), 0, "ChangeFolder INBOX")
		eq(o.cCurrentFolder, "INBOX", "cCurrentFolder after ChangeFolder")
		eq(o:ChangeFolder("NaoExiste"), 20, "ChangeFolder missing")
		has(o:GetErrorString(20), "NaoExiste", "error names the folder")
		eq(o:ChangeFolder("INBOX"), 0, "back to INBOX")

		-- A new folder is not subscribed: only GetAllFolderList shows it.
		local sub, all = names(o:GetFolderList()), names(o:GetAllFolderList())
		eq(sub.Processados, nil, "unsubscribed folder in GetFolderList")
		assert(all.Processados, "GetAllFolderList lacks Processados")
		assert(sub.INBOX and all.INBOX, "INBOX listed")
		eq(sub.INBOX[3], 4, "INBOX total")
		eq(sub.INBOX[4] + sub.INBOX[5], 4, "read + unread")
		has(sub.INBOX[2], "\\Subscribed", "status")
		eq(o:SetFolderSubscribe("Processados", true), 0, "SetFolderSubscribe")
		assert(names(o:GetFolderList()).Processados, "subscribed folder in GetFolderList")

		eq(o:RenameFolder("Processados", "Arquivo"), 0, "RenameFolder")
		eq(o:RenameFolder("NaoExiste", "X") ~= 0, true, "RenameFolder missing")
		eq(o:CopyMsg(1, "Arquivo"), 0, "CopyMsg")
		eq(o:CopyMsgs({2, 3}, "Arquivo"), 0, "CopyMsgs")
		eq(o:MoveMsg(4, "Arquivo"), 0, "MoveMsg")
		eq(o:ChangeFolder("INBOX"), 0, "re-select INBOX after MOVE")
		local _, n = o:GetNumMsgs()
		eq(n, 3, "INBOX after MoveMsg")
		eq(o:MoveMsgs({3}, "Arquivo"), 0, "MoveMsgs")
		eq(o:ChangeFolder("INBOX"), 0, "re-select INBOX after MOVE 2")
		eq(o:SetMsgFlags(1, "S"), 0, "SetMsgFlags S")
		eq(o:SetMsgFlags(1, "Z"), 21, "SetMsgFlags unknown letter")
		eq(o:SetMsgFlags(2, "D"), 0, "SetMsgFlags D")
		eq(o:Purge("INBOX"), 0, "Purge")
		eq(o:ChangeFolder("INBOX"), 0, "re-select INBOX after Purge")
		_, n = o:GetNumMsgs()
		eq(n, 1, "INBOX after Purge")

		local h = o:GetMsgHeader(1)
		assert(h and #h > 0, "GetMsgHeader")
		eq(#h[1], 2, "header row")
		local b = o:GetMsgBody(1)
		assert(b and #b > 0, "GetMsgBody")
		eq(#b[1], 8, "part row")
		eq(o:GetMsgHeader(99), nil, "GetMsgHeader missing")

		-- IMAPStore: message first.
		local m = TMailMessage():New()
		m.cFrom, m.cTo, m.cSubject, m.cBody = "a@empresa.com.br", "b@empresa.com.br", "Guardada", "x"
		eq(o:IMAPStore(m, "Arquivo"), 0, "IMAPStore")
		eq(o:ChangeFolder("Arquivo"), 0, "ChangeFolder Arquivo")
		_, n = o:GetNumMsgs()
		eq(n, 6, "Arquivo: 3 copies, 2 moved, 1 stored")
		local got = TMailMessage():New()
		ok(got:Receive2(o, 6), o, "Receive2 stored")
		eq(got.cSubject, "Guardada", "stored subject")

		eq(o:StartGetAllMsgHeader("Arquivo", {"subject"}), 0, "StartGetAllMsgHeader")
		local done, rows
		for i = 1, 2000 do
			done, rows = o:EndGetAllMsgHeader(rows)
			if done then break end
			sleep(5)
		end
		eq(done, true, "EndGetAllMsgHeader finished")
		eq(#rows, 6, "header rows")
		eq(rows[6][2][2], "Guardada", "fetched subject")

		eq(o:ChangeFolder("INBOX"), 0, "leave Arquivo")
		eq(o:DeleteFolder("Arquivo"), 0, "DeleteFolder")
		eq(names(o:GetAllFolderList()).Arquivo, nil, "deleted folder")
		eq(o:DeleteFolder("Arquivo"), 20, "DeleteFolder missing")
		ok(o:Disconnect(), o, "Disconnect")

		-- Over POP3 the IMAP operations answer 28.
		local p = TMailMng():New(0)
		p.cUser, p.cPass, p.cSrvAddr = "pastas", "pw", "pop.empresa.com.br"
		ok(p:Connect(), p, "Connect POP3")
		eq(p.cCurrentFolder, "", "cCurrentFolder over POP3")
		eq(p:CreateFolder("X"), 28, "CreateFolder over POP3")
		has(p:GetErrorString(), "needs IMAP", "wrong-protocol hint")
		eq(p:IMAPStore(TMailMessage():New(), "INBOX"), 28, "IMAPStore over POP3")
		eq(p:StartGetAllMsgHeader("INBOX", {"subject"}), 28, "StartGetAllMsgHeader over POP3")
		eq(#p:GetAllFolderList(), 0, "GetAllFolderList over POP3")
		ok(p:Disconnect(), p, "Disconnect POP3")
	`)
	if n := openConns(e); n != 0 {
		t.Errorf("%d connections still tracked", n)
	}
}

// installSleepMng gives scripts sleep(ms), like AdvPL's Sleep.
func installSleepMng(L *lua.LState) {
	L.SetGlobal("sleep", L.NewFunction(func(L *lua.LState) int {
		time.Sleep(time.Duration(L.CheckInt(1)) * time.Millisecond)
		return 0
	}))
}

func TestMngArgumentErrors(t *testing.T) {
	L := mngState(t, nil)
	cases := []struct{ code, want string }{
		{`o:DeleteMsg("1")`, "TMailMng:DeleteMsg: argument #1 must be numeric, got string"},
		{`o:DeleteMsg()`, "TMailMng:DeleteMsg: argument #1 must be numeric, got nil"},
		{`o:DeleteMsg(1.5)`, "TMailMng:DeleteMsg: argument #1 must be a whole number"},
		{`o:ChangeFolder(1)`, "TMailMng:ChangeFolder: argument #1 must be character, got number"},
		{`o:RenameFolder("a", 2)`, "TMailMng:RenameFolder: argument #2 must be character, got number"},
		{`o:SetFolderSubscribe("a", "yes")`, "TMailMng:SetFolderSubscribe: argument #2 must be logical, got string"},
		{`o:SMTPAuth("u")`, "TMailMng:SMTPAuth: argument #2 must be character, got nil"},
		{`o:SMTPAuth("u", "p", 1)`, "TMailMng:SMTPAuth: argument #3 must be character, got number"},
		{`o:SMTPAuth("u", "p", "pop", {})`, "TMailMng:SMTPAuth: argument #4 must be character or numeric, got table"},
		{`o:SMTPAuth("u", "p", "pop", "abc")`, "TMailMng:SMTPAuth: argument #4 must be a port number"},
		{`o:IMAPStore("INBOX", TMailMessage():New())`, "TMailMng:IMAPStore: argument #1 must be an object, got string"},
		{`o:IMAPStore(TMailMng():New(), "INBOX")`, "TMailMng:IMAPStore: argument #1 must be a TMailMessage object, got TMailMng object"},
		{`o:IMAPStore(TMailMessage():New(), 5)`, "TMailMng:IMAPStore: argument #2 must be character, got number"},
		{`o:GetErrorString("x")`, "TMailMng:GetErrorString: argument #1 must be numeric, got string"},
		{`o:MoveMsgs(1, "x")`, "TMailMng:MoveMsgs: argument #1 must be an array, got number"},
		{`o:CopyMsgs({1, "x"}, "F")`, "TMailMng:CopyMsgs: argument #1: element 2 must be a message number"},
		{`o:DeleteMsgs({0})`, "TMailMng:DeleteMsgs: argument #1: element 1 must be a message number"},
		{`o:CopyMsg(1)`, "TMailMng:CopyMsg: argument #2 must be character, got nil"},
		{`o:MoveMsg(1.5, "x")`, "TMailMng:MoveMsg: argument #1 must be a whole number"},
		{`o:SetMsgFlags(1, true)`, "TMailMng:SetMsgFlags: argument #2 must be character, got boolean"},
		{`o:Purge()`, "TMailMng:Purge: argument #1 must be character, got nil"},
		{`o:StartGetAllMsgHeader("INBOX", "subject")`, "TMailMng:StartGetAllMsgHeader: argument #2 must be an array, got string"},
		{`o:GetMsgHeader("1")`, "TMailMng:GetMsgHeader: argument #1 must be numeric, got string"},
		{`o:EndGetAllMsgHeader(5)`, "TMailMng:EndGetAllMsgHeader: argument #1 must be an array, got number"},
		{`o.Connect()`, "TMailMng:Connect: must be called on a TMailMng object"},
		{`TMailMessage():New():Send2(TMailMessage():New())`, "TMailMessage:Send2: argument #1 must be a TMailManager or TMailMng object"},
		{`o:SetMsgFlag(1, "S")`, "TMailMng has no member 'SetMsgFlag'"},
	}
	for _, tc := range cases {
		err := L.DoString(`local o = TMailMng():New(1); ` + tc.code)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n error %v\n want it to contain %q", tc.code, err, tc.want)
		}
	}
	// Argument errors win over "no connection": they are raised before any state check.
	got := mngRun(t, L, `local ok, err = pcall(function() TMailMng():New(1):ChangeFolder({}) end); return ok, err`)
	if got[0] != lua.LFalse || !strings.Contains(got[1].String(), "argument #1") {
		t.Errorf("pcall: %v", got)
	}
}

func TestMngVerbose(t *testing.T) {
	const secret = "S3gr3do-pw"
	e, _, _ := mngEngine(t, nil, nil)
	var out bytes.Buffer
	e.Stdout = &out
	L := mngState(t, e)
	L.SetGlobal("secret", lua.LString(secret))
	mngRun(t, L, `
		local o = TMailMng():New(1, 3, 6)
		o.cUser, o.cPass = "verbose@empresa.com.br", secret
		o.cSrvAddr, o.cSMTPAddr = "imap.empresa.com.br", "smtp.empresa.com.br"
		ok(o:Connect(), o, "quiet Connect")
		ok(o:Disconnect(), o, "quiet Disconnect")
	`)
	if out.Len() != 0 {
		t.Fatalf("lVerbose = .F. wrote %q", out.String())
	}
	mngRun(t, L, `
		local o = TMailMng():New(1, 3, 6)
		o.lVerbose = true
		o.cUser, o.cPass = "verbose@empresa.com.br", secret
		o.cSrvAddr, o.cSMTPAddr = "imap.empresa.com.br", "smtp.empresa.com.br"
		ok(o:Connect(), o, "Connect")
		local nErr, n = o:GetNumMsgs()
		local m = TMailMessage():New()
		ok(m:Receive2(o, 1), o, "Receive2")
		eq(o:ChangeFolder("NaoExiste"), 20, "ChangeFolder missing")
		ok(o:SMTPConnect(), o, "SMTPConnect")
		ok(o:SMTPAuth(o.cUser, secret), o, "SMTPAuth")
		ok(o:SMTPConnect(), o, "SMTPConnect again")
		ok(o:SMTPAuth(o.cUser, "outra-" .. secret, "pop.empresa.com.br", 995), o, "SMTPAuth POP before SMTP")
		m.cFrom, m.cTo, m.cSubject = o.cUser, "x@empresa.com.br", "verbose"
		ok(m:Send2(o), o, "Send2")
		ok(o:SMTPDisconnect(), o, "SMTPDisconnect")
		ok(o:Disconnect(), o, "Disconnect")
		o.cPass = "errado" .. secret
		o.cSrvAddr = ""
		eq(o:Connect(), 1, "Connect without a server")
	`)
	log := out.String()
	if strings.Contains(log, "S3gr3do") {
		t.Fatalf("the password reached the lVerbose output:\n%s", log)
	}
	for _, want := range []string{
		`TMailMng:Connect() [imap imap.empresa.com.br:993 (implicit TLS) user "verbose@empresa.com.br"] -> 0`,
		`TMailMng:GetNumMsgs() -> 0, 4`,
		`TMailMessage:Receive2(1) via TMailMng -> 0`,
		`TMailMng:ChangeFolder("NaoExiste") -> 20 (`,
		`TMailMng:SMTPConnect() [smtp smtp.empresa.com.br:587 (STARTTLS)] -> 0`,
		`TMailMng:SMTPAuth("verbose@empresa.com.br", ********) -> 0`,
		`[POP before SMTP: pop3 pop.empresa.com.br:995 (implicit TLS)]`,
		`TMailMessage:Send2 (subject "verbose") via TMailMng -> 0`,
		`TMailMng:Connect() -> 1 (`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("lVerbose output lacks %q:\n%s", want, log)
		}
	}
}

func TestMngSpec(t *testing.T) {
	var spec ClassSpec
	for _, s := range Classes() {
		if s.Name == "TMailMng" {
			spec = s
		}
	}
	if spec.Name == "" {
		t.Fatal("Classes() lacks TMailMng")
	}
	stub := strings.Fields(`New Connect Disconnect SMTPConnect SMTPDisconnect SMTPAuth GetNumMsgs DeleteMsg GetErrorString
		CreateFolder ChangeFolder DeleteFolder RenameFolder SetFolderSubscribe GetFolderList GetAllFolderList GetMsgBody
		GetMsgHeader StartGetAllMsgHeader EndGetAllMsgHeader CopyMsg MoveMsg SetMsgFlags Purge IMAPStore
		MoveMsgs CopyMsgs DeleteMsgs SearchMsgs WaitNewMsgs`)
	for _, n := range stub {
		if m, ok := spec.Member(n); !ok || m.Kind != KindMethod {
			t.Errorf("TMailMng lacks method %s", n)
		}
	}
	props := strings.Fields(`lVerbose nProtocol nSrvSSL nSMTPSSL cUser cPass lSrvRetrySSL cSrvAddr nSrvPort nSrvTimeout
		lSMTPRetrySSL cSMTPAddr nSMTPPort nSMTPTimeout cSMTPLocalHost lAuthLogin lAuthNTLM lAuthPlain lExtendSMTP
		lKeepMsg lConnected lSMTPConnected cCurrentFolder lUseRealID lTryEncode`)
	for _, n := range props {
		if m, ok := spec.Member(n); !ok || m.Kind != KindProperty || m.Type != strings.ToUpper(n[:1]) {
			t.Errorf("TMailMng property %s: %+v %v", n, m, ok)
		}
	}
	if len(spec.Members) != len(stub)+len(props) {
		t.Errorf("TMailMng has %d members, want %d", len(spec.Members), len(stub)+len(props))
	}

	// docs/api.md documents every member in its TMailMng section.
	doc, err := os.ReadFile(filepath.Join("..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i := strings.Index(text, "\n## TMailMng")
	if i < 0 {
		t.Fatal("docs/api.md has no TMailMng section")
	}
	section := text[i+1:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	for _, m := range spec.Members {
		if !strings.Contains(section, "`"+m.Name) {
			t.Errorf("the TMailMng section of docs/api.md does not mention %s", m.Name)
		}
	}
}
