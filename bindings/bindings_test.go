package bindings

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
)

// newState returns a Lua state with the bindings installed on e.
func newState(t *testing.T, e *Engine) *lua.LState {
	t.Helper()
	if e == nil {
		e = &Engine{}
	}
	L := lua.NewState()
	t.Cleanup(L.Close)
	Open(L, e)
	return L
}

// run executes code, which must succeed, and returns the values it returns.
func run(t *testing.T, L *lua.LState, code string) []lua.LValue {
	t.Helper()
	top := L.GetTop()
	fn, err := L.LoadString(code)
	if err != nil {
		t.Fatalf("compile %q: %v", code, err)
	}
	L.Push(fn)
	if err := L.PCall(0, lua.MultRet, nil); err != nil {
		if len(code) > 80 {
			code = code[:80] + "..."
		}
		t.Fatalf("run %q: %v", code, err)
	}
	var out []lua.LValue
	for i := top + 1; i <= L.GetTop(); i++ {
		out = append(out, L.Get(i))
	}
	L.SetTop(top)
	return out
}

// runErr executes code, which must raise a Lua error, and returns its text.
func runErr(t *testing.T, L *lua.LState, code string) string {
	t.Helper()
	err := L.DoString(code)
	if err == nil {
		t.Fatalf("run %q: expected an error", code)
	}
	return err.Error()
}

func TestCaseInsensitiveLookup(t *testing.T) {
	L := newState(t, nil)
	cases := []struct{ name, code, want string }{
		{"class call + New", `return tostring(TMailManager():New())`, "TMailManager{"},
		{"lower class + new", `return tostring(tmailmanager():new())`, "TMailManager{"},
		{"mixed class", `return tostring(tMailManager():New())`, "TMailManager{"},
		{"colon New on class", `return tostring(TMailManager:New())`, "TMailManager{"},
		{"dot New on class", `return tostring(TMailManager.New())`, "TMailManager{"},
		{"upper dot new", `return tostring(TMAILMANAGER.NEW())`, "TMailManager{"},
		{"message", `return tostring(tmailmessage():new())`, "TMailMessage{"},
		{"method any case", `local o = TMailManager():New(); return o:smtpConnect()`, "1"},
		{"method upper", `local o = TMailManager():New(); return o:SMTPCONNECT()`, "1"},
		{"property any case", `local m = TMailMessage():New(); m.csubject = "x"; return m.CSUBJECT .. m.cSubject`, "xx"},
		{"legacy function", `return type(mailgeterr) .. type(MAILSMTPON) .. type(MailSmtpOn)`, "functionfunctionfunction"},
		{"class equality", `return tostring(rawequal(tmailmanager, TMailManager))`, "true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, L, tc.code)
			if len(got) != 1 || !strings.Contains(got[0].String(), tc.want) {
				t.Fatalf("got %v, want something containing %q", got, tc.want)
			}
		})
	}
}

func TestNewReturnsSelfOrNew(t *testing.T) {
	L := newState(t, nil)
	got := run(t, L, `
		local o = TMailManager()
		local a = o:New()
		local b = TMailManager:New()
		local c = TMailManager.New()
		return rawequal(o, a), rawequal(a, b), rawequal(b, c)`)
	if got[0] != lua.LTrue || got[1] != lua.LFalse || got[2] != lua.LFalse {
		t.Fatalf("got %v: obj:New() must return obj, the class forms new objects", got)
	}
}

func TestAddGlobalFoldsCase(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	// A pre-existing __index on _G stays the fallback.
	if err := L.DoString(`setmetatable(_G, {__index = function(t, k) if k == "legacyName" then return 42 end end})`); err != nil {
		t.Fatal(err)
	}
	AddGlobal(L, "ConOut", lua.LString("prelude"))
	Open(L, &Engine{})
	got := run(t, L, `return conout, CONOUT, legacyName, nosuchglobal, type(mailsend)`)
	want := []string{"prelude", "prelude", "42", "nil", "function"}
	for i, w := range want {
		if got[i].String() != w {
			t.Fatalf("value %d = %v, want %s", i+1, got[i], w)
		}
	}
}

func TestUnknownMember(t *testing.T) {
	L := newState(t, nil)
	cases := []struct{ code, want string }{
		{`TMailManager():New():Foo()`, "TMailManager has no member 'Foo'"},
		{`local x = TMailMessage():New().cNothing`, "TMailMessage has no member 'cNothing'"},
		{`TMailMessage():New().cNothing = 1`, "TMailMessage has no member 'cNothing'"},
		{`TMailMessage():New().Send = 1`, "TMailMessage:Send is a method and cannot be assigned"},
		{`TMailManager.SMTPConnect()`, "class TMailManager has no member 'SMTPConnect'"},
	}
	for _, tc := range cases {
		if got := runErr(t, L, tc.code); !strings.Contains(got, tc.want) {
			t.Errorf("%s: error %q, want it to contain %q", tc.code, got, tc.want)
		}
	}
}

func TestArgumentErrors(t *testing.T) {
	L := newState(t, nil)
	cases := []struct{ code, want string }{
		{`TMailManager():New():SetSMTPTimeout({})`, "TMailManager:SetSMTPTimeout: argument #1 must be numeric, got table"},
		{`TMailManager():New():SetSMTPTimeout(1.5)`, "TMailManager:SetSMTPTimeout: argument #1 must be a whole number"},
		{`TMailManager():New():Init(1, "")`, "TMailManager:Init: argument #1 must be character, got number"},
		{`TMailManager():New():Init("", "h", "u", "p", {}, 25)`, "TMailManager:Init: argument #5 must be a port number"},
		{`TMailManager():New():Init("", "h", "u", "p", 0, "abc")`, "TMailManager:Init: argument #6 must be a port number, got \"abc\""},
		{`TMailManager():New():Init("", "h", "u", "p", 0, 70000)`, "argument #6 must be a port number 0..65535"},
		{`TMailManager():New():SetUseSSL("yes")`, "TMailManager:SetUseSSL: argument #1 must be logical, got string"},
		{`TMailManager():New():SMTPAuth("u")`, "TMailManager:SMTPAuth: argument #2 must be character, got nil"},
		{`local o = TMailManager():New(); o.SMTPConnect()`, "TMailManager:SMTPConnect: must be called on a TMailManager object"},
		{`TMailMessage():New():Send(TMailMessage():New())`, "TMailMessage:Send: argument #1 must be a TMailManager or TMailMng object, got TMailMessage object"},
		{`TMailMessage():New():Send()`, "TMailMessage:Send: argument #1 must be an object, got nil"},
		{`TMailManager():New():IMAPStore("INBOX", TMailManager():New())`, "TMailManager:IMAPStore: argument #2 must be a TMailMessage object, got TMailManager object"},
		{`TMailMessage():New().cSubject = 5`, "TMailMessage.cSubject must be character, got number"},
		{`TMailMessage():New().nXPriority = "1"`, "TMailMessage.nXPriority must be numeric, got string"},
		{`TMailMessage():New().nXPriority = 9`, "TMailMessage.nXPriority: must be 1..5, got 9"},
		{`TMailMessage():New():MsgBodyType("image/png")`, "TMailMessage:MsgBodyType: argument #1: unsupported body type"},
		{`TMailMessage():New():AddCustomHeader("X-A", "a\r\nBcc: x")`, "TMailMessage:AddCustomHeader: argument #2: header value contains a line break"},
		{`TMailManager():New():MoveMsgs({1, "x"}, "F")`, "TMailManager:MoveMsgs: argument #1: element 2 must be a message number"},
		{`MailSend("a@b", {1})`, "MailSend: argument #2: element 1 must be character, got number"},
		{`MailSmtpOn({})`, "MailSmtpOn: argument #1 must be character, got table"},
		{`MailReceive(1, {})`, "MailReceive: argument #2 must be character, got table"},
	}
	for _, tc := range cases {
		if got := runErr(t, L, tc.code); !strings.Contains(got, tc.want) {
			t.Errorf("%s:\n error %q\n want it to contain %q", tc.code, got, tc.want)
		}
	}
	// pcall sees an ordinary Lua error, and the state stays usable.
	got := run(t, L, `local ok, err = pcall(function() TMailManager():New():SetSMTPTimeout({}) end)
		return ok, err, TMailManager():New():GetSMTPTimeout()`)
	if got[0] != lua.LFalse || !strings.Contains(got[1].String(), "argument #1") || got[2].String() != "60" {
		t.Fatalf("pcall: %v", got)
	}
}

func TestGuardTurnsPanicIntoLuaError(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	L.SetGlobal("boom", L.NewFunction(guard("TMailManager:Boom", func(L *lua.LState) int {
		var m map[string]int
		m["x"] = 1 // nil map write: a Go panic
		return 0
	})))
	L.SetGlobal("raise", L.NewFunction(guard("X", func(L *lua.LState) int {
		L.RaiseError("on purpose")
		return 0
	})))
	got := run(t, L, `local ok1, e1 = pcall(boom); local ok2, e2 = pcall(raise); return ok1, e1, ok2, e2`)
	if got[0] != lua.LFalse || !strings.Contains(got[1].String(), "TMailManager:Boom: internal error") {
		t.Fatalf("panic: %v", got)
	}
	if got[2] != lua.LFalse || !strings.Contains(got[3].String(), "on purpose") || strings.Contains(got[3].String(), "internal") {
		t.Fatalf("raise: %v", got)
	}
}

func TestInitPortsAndDescription(t *testing.T) {
	L := newState(t, nil)
	cases := []struct {
		code     string
		wantSMTP mail.Endpoint
		wantMail mail.Endpoint
	}{
		{`o:Init("", "smtp.x.com", "u", "p")`, mail.Endpoint{Host: "smtp.x.com", Port: 25}, mail.Endpoint{}},
		{`o:Init("", "smtp.x.com", "u", "p", 0, 587)`, mail.Endpoint{Host: "smtp.x.com", Port: 587}, mail.Endpoint{}},
		{`o:Init("", "smtp.x.com", "u", "p", nil, "2525")`, mail.Endpoint{Host: "smtp.x.com", Port: 2525}, mail.Endpoint{}},
		{`o:Init("", "smtp.x.com:2526", "u", "p")`, mail.Endpoint{Host: "smtp.x.com", Port: 2526}, mail.Endpoint{}},
		{`o:Init("", "smtp.x.com:2526", "u", "p", 0, 587)`, mail.Endpoint{Host: "smtp.x.com", Port: 587}, mail.Endpoint{}},
		{`o:SetUseSSL(true); o:Init("", "smtp.x.com", "u", "p", 0, "")`, mail.Endpoint{Host: "smtp.x.com", Port: 465, Security: mail.ImplicitTLS}, mail.Endpoint{}},
		{`o:SetUseTLS(true); o:Init("", "smtp.x.com", "u", "p")`, mail.Endpoint{Host: "smtp.x.com", Port: 587, Security: mail.StartTLS}, mail.Endpoint{}},
		{`o:SetUseTLS(true); o:SetUseSSL(true); o:Init("pop.x.com", "", "u", "p")`, mail.Endpoint{}, mail.Endpoint{Host: "pop.x.com", Port: 995, Security: mail.ImplicitTLS}},
		{`o:Init("pop.x.com:1110", "", "u", "p")`, mail.Endpoint{}, mail.Endpoint{Host: "pop.x.com", Port: 1110}},
		{`o:Init("pop.x.com:1110", "", "u", "p", "1111")`, mail.Endpoint{}, mail.Endpoint{Host: "pop.x.com", Port: 1111}},
	}
	for _, tc := range cases {
		pre, call, _ := strings.Cut(tc.code, "o:Init")
		got := run(t, L, `local o = TMailManager():New(); `+pre+` local r = o:Init`+call+`; return o, r`)
		if got[1].String() != "0" {
			t.Errorf("%s: Init returned %v", tc.code, got[1])
		}
		m := got[0].(*lua.LUserData).Value.(*manager)
		if tc.wantSMTP.Host != "" {
			ep, err := m.smtpEndpoint()
			if err != nil || ep != tc.wantSMTP {
				t.Errorf("%s: smtp endpoint %+v %v, want %+v", tc.code, ep, err, tc.wantSMTP)
			}
		} else if _, err := m.smtpEndpoint(); mail.CodeOf(err) != mail.ErrNotInitialized {
			t.Errorf("%s: smtp endpoint error %v, want ErrNotInitialized", tc.code, err)
		}
		if tc.wantMail.Host != "" {
			ep, err := m.recvEndpoint(mail.POP3)
			if err != nil || ep != tc.wantMail {
				t.Errorf("%s: mail endpoint %+v %v, want %+v", tc.code, ep, err, tc.wantMail)
			}
		}
	}
	// __tostring never shows the password.
	got := run(t, L, `local o = TMailManager():New(); o:Init("", "smtp.x.com:587", "fulano", "s3cr3t!"); return tostring(o)`)
	if s := got[0].String(); !strings.Contains(s, "smtp=smtp.x.com:587") || !strings.Contains(s, "fulano") || strings.Contains(s, "s3cr3t") {
		t.Fatalf("tostring = %q", s)
	}
}

func TestInitMAPI(t *testing.T) {
	cfg := mail.DefaultConfig()
	cfg.Protocol = "MAPI"
	L := newState(t, &Engine{Config: func() *mail.Config { return cfg }})
	got := run(t, L, `local o = TMailManager():New(); local n = o:Init("exchange", "", "u", "p"); return n, o:GetErrorString(n)`)
	if runtime.GOOS == "windows" {
		if got[0].String() != "0" {
			t.Fatalf("Init on Windows = %v", got[0])
		}
		return
	}
	if got[0].String() != "-1" || !strings.Contains(got[1].String(), "Windows") {
		t.Fatalf("Init with MAPI = %v, %q; want -1 and a text saying MAPI is Windows-only", got[0], got[1])
	}
	cfg.Protocol = "POP3"
	got = run(t, L, `return TMailManager():New():Init("pop", "", "u", "p")`)
	if got[0].String() != "0" {
		t.Fatalf("Init with POP3 = %v", got[0])
	}
}

func TestNoConnectionCodes(t *testing.T) {
	L := newState(t, nil)
	got := run(t, L, `
		local o = TMailManager():New()
		local n1 = o:SMTPConnect()          -- no Init
		local s1 = o:GetErrorString(n1)
		o:Init("", "smtp.x.com", "u", "p")
		local n2 = o:SMTPAuth("u", "p")     -- not connected
		local e, cnt = o:GetNumMsgs(99)
		local lf = o:ChangeFolder("INBOX")
		local sErr = o:GetErrorString()
		local hdr = o:GetMsgHeader(1)
		local fl = o:GetFolderList()
		local m = TMailMessage():New()
		local n3 = m:Send(o)
		local n4 = m:Receive(o, 1)
		return n1, s1, n2, e, cnt, lf, sErr, hdr, #fl, n3, n4, o:SMTPDisconnect(), o:POPDisconnect()`)
	want := []string{"1", "not initialised", "6", "6", "0", "false", "no connection", "nil", "0", "6", "6", "0", "0"}
	for i, w := range want {
		if !strings.Contains(got[i].String(), w) {
			t.Errorf("value %d = %q, want %q", i+1, got[i], w)
		}
	}
}

func TestMessageProperties(t *testing.T) {
	L := newState(t, nil)
	got := run(t, L, `
		local m = TMailMessage():New()
		local p0 = m.nXPriority
		m.cFrom = "a@x"; m.cTo = "b@x"; m.cCc = "c@x"; m.cBcc = "d@x"; m.cSubject = "s"
		m.cBody = "<b>x</b>"; m.cReplyTo = "r@x"; m.cMessageID = "id@x"; m.cDate = "Mon, 1 Jan 2024 00:00:00 +0000"
		m.cXMailer = "advmail"; m.nXPriority = 1; m.cNewsgroups = "g"; m.cReferences = "<r@x>"; m.cXRef = "x"
		m.cXNewsReader = "nr"; m.cNotification = "n@x"; m.lSigned = true
		local all = table.concat({m.cFrom, m.cTo, m.cCc, m.cBcc, m.cSubject, m.cBody, m.cReplyTo, m.cMessageID, m.cDate,
			m.cXMailer, tostring(m.nXPriority), m.cNewsgroups, m.cReferences, m.cXRef, m.cXNewsReader, m.cNotification, tostring(m.lSigned)}, "|")
		m.cSubject = nil
		local cleared = m.cSubject
		m:Clear()
		return p0, all, cleared, m.cFrom, m.nXPriority, m.lSigned, m:GetAttachCount()`)
	want := []string{"3", "a@x|b@x|c@x|d@x|s|<b>x</b>|r@x|id@x|Mon, 1 Jan 2024 00:00:00 +0000|advmail|1|g|<r@x>|x|nr|n@x|true", "", "", "3", "false", "0"}
	for i, w := range want {
		if got[i].String() != w {
			t.Errorf("value %d = %q, want %q", i+1, got[i], w)
		}
	}
}

func TestAttachmentIndexes(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"a.txt": "alpha", "b.pdf": "%PDF-1.4 beta"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	L := newState(t, nil)
	L.SetGlobal("dir", lua.LString(dir))
	got := run(t, L, `
		local m = TMailMessage():New()
		local h0 = m:AddAttHTag("Content-ID: <x>")   -- no attachment yet
		local i0 = m:AttachFile(dir .. "/a.txt")
		local i1 = m:AttachFullPath(dir .. "/b.pdf", nil, nil)
		local bad = m:AttachFile(dir .. "/missing.txt")
		local h1 = m:AddAttHTag("Content-ID: <logo>")
		local h2 = m:AddAttHTag("X-Extra: 1")
		local hBad = m:AddAttHTag("no colon here")
		local i2 = m:Attach("in memory", "c.csv", 0)
		local info = m:GetAttachInfo(2)
		local saved = m:SaveAttach(1, dir .. "/copy.txt")
		local savedDir = m:SaveAttach(3, dir)
		return h0, i0, i1, bad, h1, h2, hBad, i2, m:GetAttachCount(),
			info[1], info[2], info[3], info[7], #info,
			m:GetAttachInfo(0) == nil, m:GetAttachInfo(4) == nil, m:GetAttach(1), m:GetAttach(4) == nil,
			saved, savedDir, m:SaveAttach(9, dir .. "/x")`)
	want := []string{"-1", "0", "1", "-1", "0", "1", "-1", "2", "3",
		"b.pdf", "application/pdf", "attachment", "13", "7",
		"true", "true", "alpha", "true", "true", "true", "false"}
	for i, w := range want {
		if got[i].String() != w {
			t.Errorf("value %d = %q, want %q", i+1, got[i], w)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "copy.txt")); err != nil || string(b) != "alpha" {
		t.Errorf("SaveAttach(1) wrote %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "c.csv")); err != nil || string(b) != "in memory" {
		t.Errorf("SaveAttach(3, dir) wrote %q, %v", b, err)
	}
}

func TestCustomHeadersAndBodyType(t *testing.T) {
	L := newState(t, nil)
	got := run(t, L, `
		local m = TMailMessage():New()
		m:AddCustomHeader("X-WF-ID", "123")
		m:AddCustomHeader("X-Other:", "abc")
		local t0 = m
		m:MsgBodyType("text")
		local plain = m
		return m:GetCustomHeader("x-wf-id"), m:GetCustomHeader("X-WF-ID:"), m:GetCustomHeader("X-Other"), m:GetCustomHeader("X-None"), m`)
	want := []string{"123", "123", "abc", ""}
	for i, w := range want {
		if got[i].String() != w {
			t.Errorf("value %d = %q, want %q", i+1, got[i], w)
		}
	}
	msg := got[4].(*lua.LUserData).Value.(*message).msg
	if msg.BodyType != "text/plain" {
		t.Errorf("BodyType = %q after MsgBodyType(\"text\")", msg.BodyType)
	}
	run(t, L, `local m = TMailMessage():New(); m:MsgBodyType("TEXT/HTML; charset=utf-8"); m:MsgBodyEncode(1); m:SetConfirmRead(true); _G.mm = m`)
	msg = L.GetGlobal("mm").(*lua.LUserData).Value.(*message).msg
	if msg.BodyType != "text/html" || !msg.ConfirmRead {
		t.Errorf("BodyType %q ConfirmRead %v", msg.BodyType, msg.ConfirmRead)
	}
}

func TestSpecsCoverImplementation(t *testing.T) {
	specs := Classes()
	names := map[string]ClassSpec{}
	for _, s := range specs {
		names[s.Name] = s
	}
	for _, want := range []string{"TMailManager", "TMailMessage"} {
		if _, ok := names[want]; !ok {
			t.Fatalf("Classes() lacks %s", want)
		}
	}
	// Every method of the TOTVS stub is declared.
	stubManager := strings.Fields(`New POPConnect POPDisconnect GetNumMsgs DeleteMsg Init SMTPConnect SMTPDisconnect GetErrorString
		SetPOPTimeout SetSMTPTimeout GetSMTPTimeout SendMail IMAPConnect IMAPDisconnect GetFolderList ChangeFolder DeleteFolder
		CreateFolder RenameFolder GetMsgHeader GetMsgBody MoveMsg CopyMsg GetFolder SetMsgFlag SetFolderSubscribe Purge SMTPAuth
		IMAPStore GetUser StartGetAllMsgHeader EndGetAllMsgHeader SetUseRealID SetUseTLS SetUseSSL`)
	for _, n := range stubManager {
		if m, ok := names["TMailManager"].Member(n); !ok || m.Kind != KindMethod {
			t.Errorf("TMailManager lacks method %s", n)
		}
	}
	stubMessage := strings.Fields(`New Clear Send Send2 Receive Receive2 AttachFile AttachFullPath Attach AddAttHTag AddCustomHeader
		GetCustomHeader GetAttachCount GetAttachInfo GetAttach SaveAttach Save Load ToStr FromStr MsgBodyType MsgBodyEncode SetConfirmRead`)
	for _, n := range stubMessage {
		if m, ok := names["TMailMessage"].Member(n); !ok || m.Kind != KindMethod {
			t.Errorf("TMailMessage lacks method %s", n)
		}
	}
	for _, n := range strings.Fields(`cFrom cTo cCc cBcc cSubject cBody cReplyTo cMessageID cDate cNewsgroups cReferences cXRef cXNewsReader cXMailer nXPriority cNotification lSigned`) {
		if m, ok := names["TMailMessage"].Member(n); !ok || m.Kind != KindProperty || m.Type != string(n[0]-'a'+'A') {
			t.Errorf("TMailMessage property %s: %+v %v", n, m, ok)
		}
	}
	// Every declared member is reachable from Lua, and every member has a doc.
	L := newState(t, nil)
	for _, s := range specs {
		for _, m := range s.Members {
			if m.Doc == "" {
				t.Errorf("%s.%s has no doc", s.Name, m.Name)
			}
			for _, p := range append(append([]Param(nil), m.Params...), m.Returns...) {
				for _, typ := range strings.Split(p.Type, "|") {
					if _, ok := typeWords[typ]; !ok && typ != TypeAny {
						t.Errorf("%s.%s: param %s has type %q", s.Name, m.Name, p.Name, p.Type)
					}
				}
			}
			got := run(t, L, `local o = `+s.Name+`():New(); return o.`+strings.ToLower(m.Name))
			if m.Kind == KindMethod && got[0].Type() != lua.LTFunction {
				t.Errorf("%s:%s is not a function from Lua", s.Name, m.Name)
			}
		}
	}
	fnames := map[string]bool{}
	for _, f := range Functions() {
		fnames[f.Name] = true
		if f.Doc == "" {
			t.Errorf("%s has no doc", f.Name)
		}
		if got := run(t, L, `return type(`+f.Name+`)`); got[0].String() != "function" {
			t.Errorf("%s is not installed", f.Name)
		}
	}
	for _, n := range strings.Fields("MailSmtpOn MailAuth MailSend MailGetErr MailSmtpOff MailPopOn PopMsgCount MailReceive MailPopOff") {
		if !fnames[n] {
			t.Errorf("Functions() lacks %s", n)
		}
	}
}

func TestLegacyWithoutConnection(t *testing.T) {
	L := newState(t, nil)
	got := run(t, L, `
		local ok1 = MailAuth("u", "p")
		local e1 = MailGetErr()
		local ok2 = MailSend("a@x", "b@x", nil, nil, "s", "b", nil)
		local ok3, n = PopMsgCount(n)
		local files = {"old"}
		local ok4, from = MailReceive(1, nil, nil, nil, nil, nil, nil, files, "", false)
		local ok5 = MailSmtpOff()
		local e5 = MailGetErr()
		return ok1, e1, ok2, ok3, n, ok4, from, #files, ok5, e5`)
	want := []string{"false", "no connection", "false", "false", "0", "false", "", "0", "true", ""}
	for i, w := range want {
		if !strings.Contains(got[i].String(), w) || (w == "" && got[i].String() != "") {
			t.Errorf("value %d = %q, want %q", i+1, got[i], w)
		}
	}
}

// TestDocsMentionEveryMember keeps docs/api.md in step with the tables.
func TestDocsMentionEveryMember(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, s := range Classes() {
		if s.Name == "TMailMng" {
			continue // documented with its own class
		}
		for _, m := range s.Members {
			if !strings.Contains(text, "`"+m.Name) && !strings.Contains(text, " "+m.Name) {
				t.Errorf("docs/api.md does not mention %s.%s", s.Name, m.Name)
			}
		}
	}
	for _, f := range Functions() {
		if !strings.Contains(text, "`"+f.Name+"(") {
			t.Errorf("docs/api.md does not mention %s", f.Name)
		}
	}
}
