package runtime

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Everyday functions of the Protheus environment: the environment and
// identity, messages and progress on a server without a screen, and the
// string functions real routines use around the mail calls.
//
// Users: the [Users] section of the server ini maps a user code to
// "login;full name;e-mail", e.g. "000000=admin;Administrator;adm@x.com";
// [advmail] User names the current user code (default 000000, or the
// user given to RpcSetEnv, matched by code or login).
//
// Yes/no questions answer [advmail] MsgYesNo (default .T.); Aviso
// returns [advmail] Aviso (default 1, the first button).

// envPrelude returns the environment functions.
func envPrelude() []preludeFunc {
	msg := func(name string) preludeFunc {
		return preludeFunc{spec(name, "Writes \"[TITLE] text\" as one line to the console (no screen on a server); returns NIL.", nil,
			p("cText", "C", "message"), o("cTitle", "C", "title")), fnMessage}
	}
	ask := func(name string) preludeFunc {
		return preludeFunc{spec(name, "Writes the question to the console and returns the configured answer ([advmail] MsgYesNo, default .T.).",
			r1("lYes", "L", ""), p("cText", "C", "question"), o("cTitle", "C", "title")), fnMsgYesNo}
	}
	block := func(name string, arg int) preludeFunc {
		return preludeFunc{spec(name, "Runs the code block it wraps (progress is not shown on a server); returns the block's result.",
			r1("xResult", "U", ""), p("bAction", "B", "code block"), o("cTitle", "C", "title"), o("cMsg", "C", "text")), blockRunner(arg)}
	}
	nop := func(name string) preludeFunc {
		return preludeFunc{spec(name, "Progress bar step: does nothing on a server.", nil, o("xArg", "U", "ignored")),
			func(fcall) int { return 0 }}
	}
	out := []preludeFunc{
		{spec("GetEnvServer", "Returns the name of the active environment (\"\" when the ini defines none).", r1("cEnv", "C", "")), fnGetEnvServer},
		{spec("GetSrvProfString", "Reads a key of the active environment's section of the server ini (RootPath is the resolved root).",
			r1("cValue", "C", ""), p("cKey", "C", "key"), p("cDefault", "C", "value when absent")), fnGetSrvProfString},
		{spec("GetTempPath", "Returns this machine's temporary folder, ending with a separator.", r1("cPath", "C", "")), fnGetTempPath},
		{spec("IsBlind", "Reports that there is no screen: always .T.", r1("lBlind", "L", "")), func(c fcall) int { return c.push(lua.LTrue) }},
		{spec("GetRemoteType", "Returns the remote (SmartClient) type: -1, a server job without a remote.", r1("nType", "N", "")),
			func(c fcall) int { return c.push(lua.LNumber(-1)) }},
		{spec("FunName", "Returns the name of the routine set by SetFunName or RpcSetEnv (\"\" by default).", r1("cName", "C", "")),
			func(c fcall) int { return c.pushStr(c.r.env.funName) }},
		{spec("SetFunName", "Sets what FunName returns.", nil, p("cName", "C", "routine name")),
			func(c fcall) int { c.r.env.funName = c.str(1); return 0 }},
		{spec("GetNewPar", "Returns system parameter cParam as SuperGetMV does, or xDefault.", r1("xValue", "U", ""),
			p("cParam", "C", "parameter"), o("xDefault", "U", "value when absent"), o("cFilial", "C", "ignored")), fnGetNewPar},
		{spec("RetCodUsr", "Returns the current user code ([advmail] User, default 000000).", r1("cCode", "C", "")),
			func(c fcall) int { return c.pushStr(c.r.userCode()) }},
		{spec("UsrRetName", "Returns the login of a user code from [Users].", r1("cLogin", "C", ""), o("cCode", "C", "user code")), userField(0)},
		{spec("UsrFullName", "Returns the full name of a user code from [Users].", r1("cName", "C", ""), o("cCode", "C", "user code")), userField(1)},
		{spec("UsrRetMail", "Returns the e-mail of a user code from [Users].", r1("cMail", "C", ""), o("cCode", "C", "user code")), userField(2)},
		{spec("RpcSetEnv", "Opens a company and branch: sets cEmpAnt, cFilAnt, cUserName, dDataBase and FunName; returns .T.",
			r1("lOk", "L", ""), o("cEmp", "C", "company"), o("cFil", "C", "branch"), o("cUser", "C", "user"), o("cPass", "C", "ignored"),
			o("cModulo", "C", "ignored"), o("cFunName", "C", "routine name"), o("aTables", "A", "ignored")), fnRpcSetEnv},
		{spec("RpcClearEnv", "Closes the environment opened by RpcSetEnv; returns .T.", r1("lOk", "L", "")),
			func(c fcall) int { return c.push(lua.LTrue) }},
		{spec("RpcSetType", "Sets the license type of the RPC connection: accepted and ignored.", nil, o("nType", "N", "ignored")),
			func(fcall) int { return 0 }},
		{spec("KillApp", "Reports whether the job was asked to end (.T. once the run is cancelled); KillApp(.T.) ends the script.", r1("lKill", "L", ""), o("lKill", "L", "")),
			func(c fcall) int {
				if lua.LVAsBool(c.L.Get(1)) {
					c.L.RaiseError("KillApp: the job was asked to end")
				}
				ctx := c.L.Context()
				c.L.Push(lua.LBool(ctx != nil && ctx.Err() != nil))
				return 1
			}},
		{spec("MsDate", "Returns the server's date.", r1("dDate", "D", "")), fnDate},
		{spec("Chr", "Returns the character of a code (Windows-1252 above 127).", r1("cChar", "C", ""), p("nCode", "N", "0..255")), fnChr},
		{spec("Asc", "Returns the code of the first character (0 when empty).", r1("nCode", "N", ""), p("cText", "C", "text")), fnAsc},
		{spec("Subs", "SubStr abbreviation.", r1("cPart", "C", ""), p("cText", "C", ""), p("nStart", "N", ""), o("nCount", "N", "")), fnSubStr},
		{spec("Subst", "SubStr abbreviation.", r1("cPart", "C", ""), p("cText", "C", ""), p("nStart", "N", ""), o("nCount", "N", "")), fnSubStr},
		{spec("SubString", "SubStr abbreviation.", r1("cPart", "C", ""), p("cText", "C", ""), p("nStart", "N", ""), o("nCount", "N", "")), fnSubStr},
		{spec("Capital", "Upper-cases the first letter of every word, lower-cases the rest.", r1("cText", "C", ""), p("cText", "C", "")), fnCapital},
		{spec("Encode64", "Encodes text as base64.", r1("cB64", "C", ""), p("cText", "C", "")), fnEncode64},
		{spec("Decode64", "Decodes base64 (\"\" when invalid).", r1("cText", "C", ""), p("cB64", "C", "")), fnDecode64},
		{spec("Transform", "Formats a value with a picture (@E, @R, @!, @Z, @( and templates such as 999,999.99 or 99.999-999).",
			r1("cText", "C", ""), p("xValue", "U", "value"), p("cPicture", "C", "picture")), fnTransform},
		{spec("OemToAnsi", "Converts OEM text to ANSI: text is kept as it is.", r1("cText", "C", ""), p("cText", "C", "")), identity},
		{spec("AnsiToOem", "Converts ANSI text to OEM: text is kept as it is.", r1("cText", "C", ""), p("cText", "C", "")), identity},
	}
	for _, n := range []string{"MsgInfo", "MsgAlert", "MsgStop", "Alert", "ApMsgInfo", "ApMsgStop", "ApMsgAlert", "MsgBox"} {
		out = append(out, msg(n))
	}
	out = append(out,
		preludeFunc{spec("Help", "Writes the help text (problem and solution) as one line to the console; returns NIL.", nil,
			o("cRoutine", "C", ""), o("nLine", "N", ""), o("cHelp", "C", "help name"), o("cTitle", "C", ""), o("cProblem", "C", "problem")), fnHelp},
		preludeFunc{spec("Aviso", "Writes the message to the console and returns the configured button ([advmail] Aviso, default 1).",
			r1("nButton", "N", ""), p("cTitle", "C", ""), p("cText", "C", ""), o("aButtons", "A", "button captions")), fnAviso},
		ask("MsgYesNo"), ask("MsgNoYes"), ask("ApMsgYesNo"), ask("ApMsgNoYes"),
		block("Processa", 1), block("MsAguarde", 1), block("RptStatus", 1),
		preludeFunc{spec("MsgRun", "Runs the code block (third argument); returns its result.", r1("xResult", "U", ""),
			p("cText", "C", ""), o("cTitle", "C", ""), p("bAction", "B", "code block")), blockRunner(3)},
		preludeFunc{spec("FwMsgRun", "Runs the code block (second argument) with a stand-in object; returns its result.", r1("xResult", "U", ""),
			o("oOwner", "O", ""), p("bAction", "B", "code block"), o("cTitle", "C", ""), o("cText", "C", "")), blockRunner(2)},
		nop("IncProc"), nop("ProcRegua"), nop("SetRegua"), nop("IncRegua"),
	)
	return out
}

func identity(c fcall) int { return c.push(lua.LString(c.str(1))) }

func fnGetEnvServer(c fcall) int { return c.pushStr(c.r.environment().name) }

func fnGetSrvProfString(c fcall) int {
	key, def := c.str(1), c.optStr(2, "")
	e := c.r.environment()
	if strings.EqualFold(strings.TrimSpace(key), "RootPath") {
		return c.pushStr(e.root)
	}
	if e.name != "" {
		if v, ok := c.r.srv.get(e.name, strings.TrimSpace(key)); ok {
			return c.pushStr(v)
		}
	}
	return c.pushStr(def)
}

func fnGetTempPath(c fcall) int {
	t := os.TempDir()
	if !strings.HasSuffix(t, string(os.PathSeparator)) {
		t += string(os.PathSeparator)
	}
	return c.pushStr(t)
}

// consoleLine writes one message line.
func (c fcall) consoleLine(title, text string) {
	text = strings.Join(strings.Fields(strings.ReplaceAll(text, "<br>", " ")), " ")
	if title != "" {
		fmt.Fprintf(c.r.stdout, "[%s] %s\n", title, text)
		return
	}
	fmt.Fprintf(c.r.stdout, "[%s] %s\n", c.name, text)
}

func fnMessage(c fcall) int {
	c.consoleLine(textOf(c.L.Get(2)), textOf(c.L.Get(1)))
	return 0
}

func fnHelp(c fcall) int {
	parts := []string{}
	for i := 3; i <= c.L.GetTop(); i++ {
		if s, ok := c.L.Get(i).(lua.LString); ok && strings.TrimSpace(string(s)) != "" {
			parts = append(parts, strings.TrimSpace(string(s)))
		}
	}
	c.consoleLine("Help", strings.Join(parts, " - "))
	return 0
}

// iniFlag reads [advmail] key as a logical.
func (r *Runtime) iniFlag(key string, def bool) bool {
	v, ok := r.srv.get("advmail", key)
	if !ok {
		return def
	}
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "0", ".F.", "F", "FALSE", "NO", "N":
		return false
	}
	return true
}

func fnMsgYesNo(c fcall) int {
	ans := c.r.iniFlag("MsgYesNo", true)
	c.consoleLine(textOf(c.L.Get(2)), fmt.Sprintf("%s (answer: %s)", textOf(c.L.Get(1)), textOf(lua.LBool(ans))))
	return c.push(lua.LBool(ans))
}

func fnAviso(c fcall) int {
	n := 1
	if v, ok := c.r.srv.get("advmail", "Aviso"); ok && val(v) >= 1 {
		n = int(val(v))
	}
	c.consoleLine(textOf(c.L.Get(1)), textOf(c.L.Get(2)))
	return c.push(lua.LNumber(n))
}

// blockRunner runs the function at argument arg with no arguments (a
// stand-in object for FwMsgRun) and returns its first result.
func blockRunner(arg int) func(c fcall) int {
	return func(c fcall) int {
		fn, ok := c.L.Get(arg).(*lua.LFunction)
		if !ok {
			return c.push(lua.LNil)
		}
		c.L.Push(fn)
		c.L.Push(c.r.uiObject(c.L, "FwMsgRun"))
		c.L.Call(1, 1)
		return 1
	}
}

func fnGetNewPar(c fcall) int {
	name := strings.TrimSpace(c.str(1))
	def := c.L.Get(2)
	raw, ok := c.r.srv.get(parametersSection, name)
	if !ok {
		return c.push(def)
	}
	return c.push(c.r.typedParam(name, raw, def))
}

// parameterTypesSection declares the SX6 type of parameters: a key
// MV_RELTIME=N makes GetMV("MV_RELTIME") a number. Types: C, N, L, D
// (dates as YYYYMMDD or DD/MM/YYYY).
const parameterTypesSection = "ParameterTypes"

// typedParam converts the text of parameter name: by its declared type in
// [ParameterTypes], else by the type of def.
func (r *Runtime) typedParam(name, raw string, def lua.LValue) lua.LValue {
	t, _ := r.srv.get(parameterTypesSection, name)
	body := strings.TrimSpace(raw)
	switch strings.ToUpper(strings.TrimSpace(t)) {
	case "N":
		return lua.LNumber(val(body))
	case "L":
		return mvValue(body, lua.LFalse)
	case "D":
		if strings.Contains(body, "/") {
			return r.DateValue(CtoD(body))
		}
		return r.DateValue(StoD(body))
	case "C":
		return lua.LString(raw)
	}
	return mvValue(raw, def)
}

// userCode returns the current user's code.
func (r *Runtime) userCode() string {
	if v, ok := r.srv.get("advmail", "User"); ok && strings.TrimSpace(v) != "" {
		return r.userLookup(strings.TrimSpace(v))
	}
	return "000000"
}

// userLookup maps a login to its code ([Users]); a code stays as it is.
func (r *Runtime) userLookup(user string) string {
	if _, ok := r.srv.get("Users", user); ok {
		return user
	}
	r.srv.mu.Lock()
	lines, _ := splitLines(r.srv.data)
	r.srv.mu.Unlock()
	section := ""
	for _, l := range lines {
		pl := parseINILine(l)
		if pl.header {
			section = pl.section
			continue
		}
		if pl.key != "" && strings.EqualFold(section, "Users") {
			fields := strings.Split(strings.TrimPrefix(l, pl.prefix), ";")
			if strings.EqualFold(strings.TrimSpace(fields[0]), user) {
				return pl.key
			}
		}
	}
	return user
}

// userField returns field k (0 login, 1 name, 2 mail) of a [Users] entry.
func userField(k int) func(c fcall) int {
	return func(c fcall) int {
		code := strings.TrimSpace(c.optStr(1, ""))
		if code == "" {
			code = c.r.userCode()
		}
		v, ok := c.r.srv.get("Users", code)
		if !ok {
			if k == 0 && code == "000000" {
				return c.pushStr("Administrador")
			}
			return c.pushStr("")
		}
		fields := strings.Split(v, ";")
		if k < len(fields) {
			return c.pushStr(strings.TrimSpace(fields[k]))
		}
		return c.pushStr("")
	}
}

func fnRpcSetEnv(c fcall) int {
	emp, fil := c.optStr(1, "99"), c.optStr(2, "01")
	user := c.optStr(3, "")
	if fn := c.optStr(6, ""); fn != "" {
		c.r.env.funName = fn
	}
	name := "Administrador"
	if user != "" {
		name = user
	}
	vals := map[string]lua.LValue{
		"cEmpAnt":   lua.LString(emp),
		"cFilAnt":   lua.LString(fil),
		"cUserName": lua.LString(name),
		"dDataBase": c.r.DateValue(DateOf(c.r.now())),
		"cNumEmp":   lua.LString(emp + fil),
	}
	for k, v := range vals {
		c.r.setMemvar(k, v)
		c.L.SetGlobal(k, v)
	}
	return c.push(lua.LTrue)
}

func fnChr(c fcall) int {
	n := c.integer(1)
	if n < 0 || n > 255 {
		n &= 0xff
	}
	if n < 128 {
		return c.pushStr(string(rune(n)))
	}
	return c.pushStr(string(cp1252Rune(byte(n))))
}

func fnAsc(c fcall) int {
	s := c.str(1)
	if s == "" {
		return c.push(lua.LNumber(0))
	}
	r := []rune(firstChar(s))[0]
	if r < 128 {
		return c.push(lua.LNumber(r))
	}
	if b, ok := cp1252Byte(r); ok {
		return c.push(lua.LNumber(b))
	}
	return c.push(lua.LNumber(r))
}

func fnCapital(c fcall) int {
	s := []rune(lower(c.str(1)))
	start := true
	for i, r := range s {
		if start && r != ' ' {
			s[i] = []rune(upper(string(r)))[0]
		}
		start = r == ' ' || r == '\t' || r == '-' || r == '/'
	}
	return c.pushStr(string(s))
}

func fnEncode64(c fcall) int { return c.pushStr(base64.StdEncoding.EncodeToString([]byte(c.str(1)))) }

func fnDecode64(c fcall) int {
	s := strings.Join(strings.Fields(c.str(1)), "")
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
			return c.pushStr("")
		}
	}
	return c.pushStr(string(b))
}

// cp1252Rune returns the Unicode character of a Windows-1252 byte.
func cp1252Rune(b byte) rune {
	if b >= 0x80 && b < 0xA0 {
		return cp1252High[b-0x80]
	}
	return rune(b)
}

// cp1252Byte returns the Windows-1252 byte of a character.
func cp1252Byte(r rune) (byte, bool) {
	if r >= 0xA0 && r <= 0xFF {
		return byte(r), true
	}
	for i, h := range cp1252High {
		if h == r {
			return byte(0x80 + i), true
		}
	}
	return 0, false
}
