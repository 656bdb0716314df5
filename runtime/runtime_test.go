package runtime

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
)

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDoFileArgs(t *testing.T) {
	dir := t.TempDir()
	script := writeFile(t, dir, "args.lua", []byte(`
local a, b = ...
conout(arg[0], arg[1], arg[2], #arg, select("#", ...), a, b)
`))
	r, out := newTestRuntime(t, Options{})
	if err := r.DoFile(context.Background(), script, "one", "two words"); err != nil {
		t.Fatal(err)
	}
	want := script + " one two words 2 2 one two words\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}

func TestErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, src, want string
	}{
		{"runtime.lua", "local x = 1\nerror('boom')\n", "runtime.lua:2: boom"},
		{"prelude.lua", "\n\nlocal s = AllTrim(nil)\n", "prelude.lua:3: bad argument #1 to AllTrim (string expected, got nil)"},
		{"nilcall.lua", "local t = {}\n\nt.x.y = 1\n", "nilcall.lua:3:"},
		{"syntax.lua", "local x = 1\nif x then\n  x = = 2\nend\n", "syntax.lua:3:"},
		{"eof.lua", "if true then\n", "eof.lua: at end of file"},
	}
	r, _ := newTestRuntime(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, tc.name, []byte(tc.src))
			err := r.DoFile(context.Background(), path)
			var se *ScriptError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T), want *ScriptError", err, err)
			}
			if !strings.HasPrefix(se.Message, filepath.Join(dir, tc.want)) {
				t.Errorf("message %q, want prefix %q", se.Message, filepath.Join(dir, tc.want))
			}
		})
	}
	// A runtime error carries a traceback naming the script's frames.
	path := writeFile(t, dir, "tb.lua", []byte("local function f()\n  error('deep')\nend\nf()\n"))
	err := r.DoFile(context.Background(), path)
	var se *ScriptError
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want *ScriptError", err)
	}
	for _, want := range []string{path + ":2:", path + ":4: in main chunk"} {
		if !strings.Contains(se.Traceback, want) {
			t.Errorf("traceback %q lacks %q", se.Traceback, want)
		}
	}
	if err := r.DoFile(context.Background(), filepath.Join(dir, "missing.lua")); err == nil || !strings.Contains(err.Error(), "missing.lua") {
		t.Errorf("missing script: %v", err)
	}
}

func TestWindows1252Script(t *testing.T) {
	dir := t.TempDir()
	// "conout('ação €')" in Windows-1252: ç=E7 ã=E3 €=80.
	src := []byte("conout('a\xE7\xE3o \x80')\nconout(Len('\xE7'))\n")
	path := writeFile(t, dir, "cp1252.prw.lua", src)
	r, out := newTestRuntime(t, Options{})
	if err := r.DoFile(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if want := "ação €\n1\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}

	// A UTF-8 script (with a BOM and a shebang) is left as it is.
	out.Reset()
	utf := writeFile(t, dir, "utf8.lua", []byte("\xEF\xBB\xBF#!/usr/bin/env advmail\nconout('ação')\nerror('x')\n"))
	err := r.DoFile(context.Background(), utf)
	if want := "ação\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	if err == nil || !strings.HasPrefix(err.Error(), utf+":3:") {
		t.Errorf("error %v, want line 3 (shebang kept in the count)", err)
	}
}

func TestDecodeWindows1252(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{[]byte("abc"), "abc"},
		{[]byte{0xE7}, "ç"},
		{[]byte{0xC7, 0xC3, 0xD5}, "ÇÃÕ"},
		{[]byte{0x80}, "€"},
		{[]byte{0x93, 0x94}, "\u201C\u201D"},
		{[]byte{0x9F}, "Ÿ"},
		{[]byte{0x81, 0x8D, 0x8F, 0x90, 0x9D}, "\u0081\u008D\u008F\u0090\u009D"},
		{[]byte{0xA0, 0xFF}, "\u00A0ÿ"},
	}
	for _, tc := range tests {
		if got := string(DecodeWindows1252(tc.in)); got != tc.want {
			t.Errorf("DecodeWindows1252(% x) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCancelSleep(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.DoString(ctx, `conout("start") ; Sleep(60000) ; conout("not reached")`) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
		if err == nil || !strings.HasPrefix(err.Error(), "<string>:1:") {
			t.Errorf("error %v, want it to name the line", err)
		}
	case <-time.After(200 * time.Millisecond):
		t.Fatal("Sleep(60000) was not cancelled within 200ms")
	}

	// A busy loop stops too, and the runtime stays usable afterwards.
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	go func() { done <- r.DoString(ctx, `while true do end`) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(time.Second):
		t.Fatal("busy loop was not cancelled")
	}
	if err := r.DoString(context.Background(), `Sleep(1)`); err != nil {
		t.Errorf("runtime unusable after cancel: %v", err)
	}
}

// silentServer accepts TCP connections and never answers; it reports each
// accepted connection on the returned channel.
func silentServer(t *testing.T) (addr string, accepted <-chan net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn, 4)
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			ch <- c
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for {
			select {
			case c := <-ch:
				c.Close()
			default:
				return
			}
		}
	})
	return l.Addr().String(), ch
}

// TestCancelClosesConnections: a Go function blocked reading a tracked
// connection without looking at the context is released by cancellation,
// because the runtime closes every tracked connection.
func TestCancelClosesConnections(t *testing.T) {
	addr, _ := silentServer(t)
	r, _ := newTestRuntime(t, Options{})
	tracked := make(chan struct{}, 1)
	if err := r.Register("BlockingRead", func(L *lua.LState) int {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			L.RaiseError("%v", err)
		}
		untrack := r.Engine().Track(conn)
		defer untrack()
		tracked <- struct{}{}
		_, err = conn.Read(make([]byte, 1))
		L.Push(lua.LString(fmt.Sprint(err)))
		return 1
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.DoString(ctx, `local e = blockingread() ; Sleep(60000)`) }()
	select {
	case <-tracked:
	case <-time.After(5 * time.Second):
		t.Fatal("no connection")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	case <-time.After(200 * time.Millisecond):
		t.Fatal("blocked read was not released within 200ms")
	}
}

// TestCancelMailOperation: a script blocked in SMTPConnect (the server
// never sends its greeting) returns promptly when cancelled.
func TestCancelMailOperation(t *testing.T) {
	addr, accepted := silentServer(t)
	host, port, _ := net.SplitHostPort(addr)
	r, out := newTestRuntime(t, Options{})
	code := fmt.Sprintf(`
local o = TMailManager():New()
o:Init("", %q, "user", "secret", 0, %s)
o:SetSMTPTimeout(60)
local n = o:SMTPConnect()
conout("SMTPConnect", n)
Sleep(60000)
`, host, port)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.DoString(ctx, code) }()
	select {
	case <-accepted:
	case err := <-done:
		t.Fatalf("script ended before connecting: %v\n%s", err, out)
	case <-time.After(5 * time.Second):
		t.Fatal("no connection")
	}
	time.Sleep(20 * time.Millisecond) // let SMTPConnect block on the greeting
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	case <-time.After(200 * time.Millisecond):
		t.Fatal("SMTPConnect was not cancelled within 200ms")
	}
	if strings.Contains(out.String(), "SMTPConnect") {
		t.Errorf("SMTPConnect returned before the cancellation: %q", out)
	}
}

func TestLargeTableConcat(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	vals, err := r.Eval(context.Background(), "test", `
local t = {}
for i = 1, 200000 do t[i] = "ab" end
t[3] = 7
local s = table.concat(t, ",")
local part = table.concat(t, "-", 2, 4)
return #s, part, table.concat({}), table.concat({1, 2}, ", ")`)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{vals[0].String(), vals[1].String(), vals[2].String(), vals[3].String()}
	want := []string{fmt.Sprint(200000*2 - 1 + 199999 - 1), "ab-7-ab", "", "1, 2"}
	// 200000 elements of 2 chars, but element 3 is "7" (1 char), plus 199999 commas.
	want[0] = fmt.Sprint(200000*2 - 1 + 199999)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("result %d = %q, want %q", i, got[i], want[i])
		}
	}
	if _, err := r.Eval(context.Background(), "test", `return table.concat({1, {}, 3})`); err == nil ||
		!strings.Contains(err.Error(), "invalid value (table) at index 2") {
		t.Errorf("concat of a table element: %v", err)
	}
	// unpack of a large table needs the growable data stack.
	vals, err = r.Eval(context.Background(), "test", `
local t = {}
for i = 1, 100000 do t[i] = i end
return select("#", unpack(t))`)
	if err != nil {
		t.Fatal(err)
	}
	if vals[0].String() != "100000" {
		t.Errorf("unpack returned %s values", vals[0])
	}
}

func TestRegisterAndCaseInsensitiveGlobals(t *testing.T) {
	r, out := newTestRuntime(t, Options{})
	if err := r.Register("MyHelper", func(L *lua.LState) int {
		L.Push(lua.LString("helped " + L.CheckString(1)))
		return 1
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.DoString(context.Background(), `conout(MyHelper("a"), myhelper("b"), MYHELPER("c"))`); err != nil {
		t.Fatal(err)
	}
	if want := "helped a helped b helped c\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}

func TestLibsRestricted(t *testing.T) {
	dir := t.TempDir()
	other := t.TempDir()
	writeFile(t, dir, "helper.lua", []byte("return 'helper \xE7'\n"))
	writeFile(t, dir, "mod.lua", []byte("return {name = 'mod'}\n"))
	outside := writeFile(t, other, "outside.lua", []byte("return 'outside'\n"))
	main := writeFile(t, dir, "main.lua", []byte(fmt.Sprintf(`
local dir = %q
package.path = dir .. "/?.lua"
conout(type(os.execute), type(io.popen), type(os.exit))
conout(dofile(dir .. "/helper.lua"))
conout(require("mod").name)
local f, err = loadfile(%q)
conout(f == nil, err)
local ok, err2 = pcall(dofile, %q)
conout(ok, err2)
`, dir, outside, outside)))

	r, out := newTestRuntime(t, Options{})
	if err := r.DoFile(context.Background(), main); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		"nil nil nil",
		"helper ç",
		"mod",
		".T. " + outside + ": loading files outside the allowed directories is not permitted",
		".F. " + main + ":9: " + outside + ": loading files outside the allowed directories is not permitted",
	}
	if len(lines) != len(want) {
		t.Fatalf("output:\n%s", out)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], want[i])
		}
	}

	// LoadDirs opens other directories; Omit drops libraries.
	r2, out2 := newTestRuntime(t, Options{Libs: Libs{LoadDirs: []string{other}, Omit: []string{"io", "debug"}}})
	if err := r2.DoString(context.Background(), fmt.Sprintf(`conout(dofile(%q), type(io), type(debug), type(os))`, outside)); err != nil {
		t.Fatal(err)
	}
	if want := "outside nil nil table\n"; out2.String() != want {
		t.Errorf("output %q, want %q", out2.String(), want)
	}
}

func TestLibsUnrestrictedExit(t *testing.T) {
	dir := t.TempDir()
	outside := writeFile(t, t.TempDir(), "x.lua", []byte("return 5"))
	r, out := newTestRuntime(t, Options{Libs: Libs{Unrestricted: true}})
	path := writeFile(t, dir, "exit.lua", []byte(fmt.Sprintf(`
conout(type(os.execute), type(io.popen), dofile(%q))
pcall(os.exit, 3) -- cannot be caught: the script ends at the next instruction
conout("not reached")
`, outside)))
	err := r.DoFile(context.Background(), path)
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != 3 {
		t.Fatalf("error %v, want *ExitError 3", err)
	}
	if want := "function function 5\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	for code, want := range map[string]int{"os.exit()": 0, "os.exit(true)": 0, "os.exit(false)": 1, "os.exit(7)": 7} {
		err := r.DoString(context.Background(), code)
		if !errors.As(err, &exit) || exit.Code != want {
			t.Errorf("%s: %v, want exit %d", code, err, want)
		}
	}
	if err := r.DoString(context.Background(), `conout("still usable")`); err != nil {
		t.Errorf("after os.exit: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.ini")
	if _, err := New(Options{ConfigPath: missing}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing config: %v", err)
	}
	bad := writeFile(t, dir, "bad.ini", []byte("[Mail]\nProtocol=IMAP\nthis line is wrong\n"))
	if _, err := New(Options{ConfigPath: bad}); err == nil || !strings.Contains(err.Error(), bad+":3:") {
		t.Errorf("malformed config: %v", err)
	}
	badValue := writeFile(t, dir, "badvalue.ini", []byte("[Mail]\nTLSVersion=9\n"))
	if _, err := New(Options{ConfigPath: badValue}); err == nil || !strings.Contains(err.Error(), "TLSVersion") {
		t.Errorf("bad value: %v", err)
	}
	if _, err := New(Options{INI: []byte("[Mail\n")}); err == nil || !strings.Contains(err.Error(), "appserver.ini:1:") {
		t.Errorf("malformed in-memory ini: %v", err)
	}
}

func TestConfigSources(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "appserver.ini", []byte("[mail]\nprotocol=imap\nAuthNTLM=0\n"))

	t.Run("file", func(t *testing.T) {
		r, _ := newTestRuntime(t, Options{ConfigPath: file})
		cfg := r.Engine().CurrentConfig()
		if cfg.Protocol != "IMAP" || cfg.AuthNTLM || cfg.Path != file {
			t.Errorf("config %+v", cfg)
		}
		if r.ServerINI() != file {
			t.Errorf("ServerINI %q", r.ServerINI())
		}
	})
	t.Run("env", func(t *testing.T) {
		t.Setenv("ADVMAIL_CONFIG", file)
		r, err := New(Options{Stdout: &bytes.Buffer{}})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.ServerINI() != file || r.Config().Protocol != "IMAP" {
			t.Errorf("ServerINI %q protocol %q", r.ServerINI(), r.Config().Protocol)
		}
	})
	t.Run("none", func(t *testing.T) {
		t.Chdir(t.TempDir())
		t.Setenv("ADVMAIL_CONFIG", "")
		r, err := New(Options{Stdout: &bytes.Buffer{}})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.ServerINI() != "appserver.ini" || r.Config().Protocol != "POP3" {
			t.Errorf("ServerINI %q protocol %q", r.ServerINI(), r.Config().Protocol)
		}
	})
	t.Run("struct", func(t *testing.T) {
		cfg := mail.DefaultConfig()
		cfg.Protocol = "IMAP"
		cfg.AuthPlain = false
		cfg.MinTLSVersion = tls.VersionTLS13
		cfg.TryProtocols = true
		cfg.CAFile = "/etc/ca.pem"
		cfg.InsecureHosts = []string{"a.test", "b.test"}
		cfg.HeloName = "me.test"
		r, _ := newTestRuntime(t, Options{Config: cfg})
		got := r.Config()
		if got.Protocol != "IMAP" || got.AuthPlain || !got.AuthLogin || got.MinTLSVersion != tls.VersionTLS13 ||
			!got.TryProtocols || got.CAFile != "/etc/ca.pem" || strings.Join(got.InsecureHosts, ",") != "a.test,b.test" ||
			got.HeloName != "me.test" {
			t.Errorf("config %+v", got)
		}
		v, err := evalShow(t, r, `return GetPvProfString("MAIL", "protocol", "", GetSrvIniName())`)
		if err != nil || v != `"IMAP"` {
			t.Errorf("GetPvProfString = %s, %v", v, err)
		}
	})
}

// TestServerINIProtocolSwitch is the TDN receive example: a script writes
// [Mail] Protocol in the server ini, the engine sees it at once, and the
// script restores it afterwards.
func TestServerINIProtocolSwitch(t *testing.T) {
	dir := t.TempDir()
	original := "; server configuration\r\n[General]\r\nName=prod\r\n\r\n[MAIL]\r\nprotocol=POP3\r\n"
	file := writeFile(t, dir, "appserver.ini", []byte(original))
	r, out := newTestRuntime(t, Options{ConfigPath: file})
	// SeeProtocol records what the engine would connect with.
	var seen []string
	if err := r.Register("SeeProtocol", func(L *lua.LState) int {
		seen = append(seen, r.Engine().CurrentConfig().Protocol)
		return 0
	}); err != nil {
		t.Fatal(err)
	}
	err := r.DoString(context.Background(), `
local cIni = GetSrvIniName()
local cOld = GetPvProfString("Mail", "Protocol", "", cIni)
conout("before", cOld)
SeeProtocol()
conout("write", WritePProString("Mail", "Protocol", "IMAP", cIni))
conout("during", GetPvProfString("mail", "PROTOCOL", "", cIni))
SeeProtocol()
conout("delete", DeleteKeyINI("MAIL", "protocol", cIni))
conout("deleted", GetPvProfString("MAIL", "Protocol", "none", cIni))
SeeProtocol()
WritePProString("Mail", "Protocol", cOld, cIni)
SeeProtocol()
`)
	if err != nil {
		t.Fatal(err)
	}
	wantOut := "before POP3\nwrite .T.\nduring IMAP\ndelete .T.\ndeleted none\n"
	if out.String() != wantOut {
		t.Errorf("output %q, want %q", out.String(), wantOut)
	}
	if got := strings.Join(seen, " "); got != "POP3 IMAP POP3 POP3" {
		t.Errorf("engine saw %q, want %q", got, "POP3 IMAP POP3 POP3")
	}
	// The file was written through, keeping its comments, letter case and
	// CRLF line endings.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := "; server configuration\r\n[General]\r\nName=prod\r\n\r\n[MAIL]\r\nProtocol=POP3\r\n"; string(data) != want {
		t.Errorf("file now %q, want %q", data, want)
	}
}

func TestServerINIInMemory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	r, _ := newTestRuntime(t, Options{INI: []byte("[Mail]\nProtocol=POP3\n")})
	got, err := evalShow(t, r, `
local cIni = GetSrvIniName()
local ok = WritePProString("MAIL", "protocol", "IMAP", cIni)
return cIni, ok, GetPvProfString("Mail", "Protocol", "", "appserver.ini"), GetPvProfString("Mail", "Protocol", "", "")`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"appserver.ini", true, "IMAP", "IMAP"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if r.Engine().CurrentConfig().Protocol != "IMAP" {
		t.Errorf("engine protocol %q", r.Engine().CurrentConfig().Protocol)
	}
	if _, err := os.Stat(filepath.Join(dir, "appserver.ini")); !os.IsNotExist(err) {
		t.Errorf("an in-memory server ini was written to disk: %v", err)
	}
	// An invalid value is stored but does not replace the configuration.
	got, err = evalShow(t, r, `return WritePProString("Mail", "TLSVersion", "9"), GetPvProfString("Mail", "TLSVersion", "")`)
	if err != nil || got != `true, "9"` {
		t.Errorf("got %s, %v", got, err)
	}
	if r.Config().Protocol != "IMAP" {
		t.Errorf("config lost after an invalid write: %+v", r.Config())
	}
}

func TestINIFunctions(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "custom.ini", []byte("# comment\n[Paths]\nRoot = /srv/data\nName=x\n\n[Other]\nName=y\n"))
	newFile := filepath.Join(dir, "new.ini")
	r, _ := newTestRuntime(t, Options{})
	tests := []struct {
		code, want string
	}{
		{`GetPvProfString("paths", "ROOT", "def", F)`, `"/srv/data"`},
		{`GetPvProfString("PATHS", "name", "def", F)`, `"x"`},
		{`GetPvProfString("other", "Name", "def", F)`, `"y"`},
		{`GetPvProfString("paths", "missing", "def", F)`, `"def"`},
		{`GetPvProfString("nosection", "name", "def", F)`, `"def"`},
		{`GetPvProfString("paths", "root", "def", F .. ".missing")`, `"def"`},
		{`WritePProString("PATHS", "root", "/new", F)`, `true`},
		{`GetPvProfString("Paths", "Root", "", F)`, `"/new"`},
		{`WritePProString("Paths", "Added", 42, F)`, `true`},
		{`GetPvProfString("paths", "added", "", F)`, `"42"`},
		{`WritePProString("Brand", "New", "1", F)`, `true`},
		{`GetPvProfString("brand", "new", "", F)`, `"1"`},
		{`DeleteKeyINI("paths", "NAME", F)`, `true`},
		{`GetPvProfString("Paths", "Name", "gone", F)`, `"gone"`},
		{`GetPvProfString("Other", "Name", "", F)`, `"y"`},
		{`DeleteKeyINI("paths", "never", F)`, `true`},
		{`WritePProString("S", "K", "line\nbreak", F)`, `false`},
		{`WritePProString("S", "a=b", "v", F)`, `false`},
		{`WritePProString("S", ";k", "v", F)`, `false`},
		{`WritePProString("S]", "k", "v", F)`, `false`},
		{`WritePProString("", "k", "v", F)`, `false`},
		{`WritePProString("S", "K", "v", N)`, `true`},
		{`GetPvProfString("s", "k", "", N)`, `"v"`},
	}
	for _, tc := range tests {
		code := fmt.Sprintf("local F, N = %q, %q\nreturn %s", file, newFile, tc.code)
		got, err := evalShow(t, r, code)
		if err != nil {
			t.Errorf("%s: %v", tc.code, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s = %s, want %s", tc.code, got, tc.want)
		}
	}
	data, _ := os.ReadFile(file)
	want := "# comment\n[Paths]\nRoot = /new\nAdded=42\n\n[Other]\nName=y\n\n[Brand]\nNew=1\n"
	if string(data) != want {
		t.Errorf("file now\n%q\nwant\n%q", data, want)
	}
}

func TestINIEditor(t *testing.T) {
	tests := []struct {
		name, in, section, key, value, want string
	}{
		{"replace", "[A]\nk=1\n", "a", "K", "2", "[A]\nk=2\n"},
		{"keep spacing", "[A]\nk = 1\n", "A", "k", "2", "[A]\nk = 2\n"},
		{"add to section", "[A]\nx=1\n\n[B]\ny=2\n", "A", "z", "3", "[A]\nx=1\nz=3\n\n[B]\ny=2\n"},
		{"empty section", "[A]\n[B]\n", "a", "k", "v", "[A]\nk=v\n[B]\n"},
		{"new section", "[A]\nx=1", "B", "k", "v", "[A]\nx=1\n\n[B]\nk=v\n"},
		{"empty file", "", "Mail", "Protocol", "IMAP", "[Mail]\nProtocol=IMAP\n"},
		{"crlf", "[A]\r\nx=1\r\n", "A", "y", "2", "[A]\r\nx=1\r\ny=2\r\n"},
		{"comment ignored", "[A]\n;k=1\n", "A", "k", "2", "[A]\nk=2\n;k=1\n"},
		{"duplicate keys", "[A]\nk=1\nk=2\n", "A", "k", "3", "[A]\nk=3\nk=3\n"},
		{"spaced header", "[ Mail ]\nProtocol=POP3\n", "MAIL", "protocol", "IMAP", "[ Mail ]\nProtocol=IMAP\n"},
	}
	for _, tc := range tests {
		if got := string(iniSet([]byte(tc.in), tc.section, tc.key, tc.value)); got != tc.want {
			t.Errorf("%s: iniSet = %q, want %q", tc.name, got, tc.want)
		}
	}
	out, found := iniDelete([]byte("[A]\nk=1\nx=2\n[B]\nk=3\n"), "a", "K")
	if !found || string(out) != "[A]\nx=2\n[B]\nk=3\n" {
		t.Errorf("iniDelete = %q, %v", out, found)
	}
	if _, found := iniDelete([]byte("[A]\nx=1\n"), "A", "k"); found {
		t.Error("iniDelete found a missing key")
	}
}

func TestSandboxMode(t *testing.T) {
	r, _ := newTestRuntime(t, Options{Sandbox: true})
	if r.Sandbox() == nil {
		t.Fatal("no sandbox")
	}
	var report bytes.Buffer
	if err := r.SandboxReport(&report, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(report.String(), "sandbox: 0 message(s) captured\n") {
		t.Errorf("report %q", report.String())
	}
	plain, _ := newTestRuntime(t, Options{})
	if plain.Sandbox() != nil {
		t.Error("sandbox without Options.Sandbox")
	}
	if err := plain.SandboxReport(&report, ""); err != nil {
		t.Error(err)
	}
}

func TestTraceOption(t *testing.T) {
	var stderr bytes.Buffer
	r, _ := newTestRuntime(t, Options{Trace: true, Stderr: &stderr, INI: []byte("[Mail]\nMailTrace=0\n")})
	if !r.Config().Trace || r.Engine().Transport.Trace != &stderr {
		t.Errorf("trace not forced: config %v, writer %v", r.Config().Trace, r.Engine().Transport.Trace)
	}
	// Still forced after the script rewrites the server ini.
	if err := r.DoString(context.Background(), `WritePProString("Mail", "MailTrace", "0")`); err != nil {
		t.Fatal(err)
	}
	if !r.Config().Trace {
		t.Error("trace lost after an ini write")
	}
}

func TestCloseTwiceAndUseAfterClose(t *testing.T) {
	r, err := New(Options{INI: []byte{}, Stdout: &bytes.Buffer{}, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := r.DoString(context.Background(), "x = 1"); err == nil {
		t.Error("DoString after Close succeeded")
	}
}

func TestEvalAndCall(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	vals, err := r.Eval(context.Background(), "repl", `function Twice(x) return x * 2 end ; return 1, "a"`)
	if err != nil || len(vals) != 2 || vals[0].String() != "1" || vals[1].String() != "a" {
		t.Fatalf("Eval = %v, %v", vals, err)
	}
	vals, err = r.Call(context.Background(), r.State().GetGlobal("Twice"), lua.LNumber(21))
	if err != nil || len(vals) != 1 || vals[0].String() != "42" {
		t.Errorf("Call = %v, %v", vals, err)
	}
	if _, err := r.Eval(context.Background(), "repl", `return nosuch.field`); err == nil || !strings.HasPrefix(err.Error(), "repl:1:") {
		t.Errorf("Eval error %v", err)
	}
	if top := r.State().GetTop(); top != 0 {
		t.Errorf("stack not balanced: top %d", top)
	}
}

// TestDialAndTokenOptions: Options.Dial routes connections (here to a
// sandbox started by the test, which the runtime does not know about) and
// Options.Token supplies the XOAUTH2 token for an "oauth2:" password.
func TestDialAndTokenOptions(t *testing.T) {
	sb, err := sandbox.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	var tokenFor []string
	r, out := newTestRuntime(t, Options{
		INI:  []byte("[Mail]\nTLSInsecureHosts=*\n"),
		Dial: sb.Dial,
		Token: func(ctx context.Context, user string) (string, error) {
			tokenFor = append(tokenFor, user)
			return "access-token", nil
		},
	})
	err = r.DoString(context.Background(), `
local o = TMailManager():New()
o:SetUseSSL(true)
o:Init("", "smtp.example.test", "fulano@example.test", "oauth2:", 0, 465)
local n = o:SMTPConnect()
if n ~= 0 then error("SMTPConnect: " .. o:GetErrorString(n)) end
n = o:SMTPAuth("fulano@example.test", "oauth2:")
if n ~= 0 then error("SMTPAuth: " .. o:GetErrorString(n)) end
local m = TMailMessage():New()
m.cFrom = "fulano@example.test" ; m.cTo = "beltrano@example.test" ; m.cSubject = "via Dial" ; m.cBody = "x"
n = m:Send(o)
if n ~= 0 then error("Send: " .. o:GetErrorString(n)) end
o:SMTPDisconnect()
conout("done")
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := sb.Captured()
	if len(got) != 1 || got[0].Subject != "via Dial" {
		t.Fatalf("captured %+v", got)
	}
	if strings.Join(tokenFor, ",") != "fulano@example.test" {
		t.Errorf("Token called for %q", tokenFor)
	}
}
