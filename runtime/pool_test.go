package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
)

// sendScript sends one message from the account in arg 1 to arg 2 with
// subject arg 3, over SMTP with STARTTLS and AUTH.
const sendScript = `
local cUser, cTo, cSubject = ...
local oServer = TMailManager():New()
oServer:SetUseTLS(true)
oServer:Init("", "smtp.empresa.com.br", cUser, "secret", 0, 587)
oServer:SetSMTPTimeout(30)
local nErr = oServer:SMTPConnect()
if nErr ~= 0 then error("SMTPConnect: " .. oServer:GetErrorString(nErr)) end
nErr = oServer:SMTPAuth(cUser, "secret")
if nErr ~= 0 then error("SMTPAuth: " .. oServer:GetErrorString(nErr)) end
local oMsg = TMailMessage():New()
oMsg:Clear()
oMsg.cFrom = cUser
oMsg.cTo = cTo
oMsg.cSubject = cSubject
oMsg.cBody = "report for " .. cUser
nErr = oMsg:Send(oServer)
if nErr ~= 0 then error("Send: " .. oServer:GetErrorString(nErr)) end
oServer:SMTPDisconnect()
`

func startSandbox(t testing.TB) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

func newTestPool(t *testing.T, opts Options, size int) *Pool {
	t.Helper()
	if opts.ConfigPath == "" && opts.Config == nil && opts.INI == nil {
		opts.INI = []byte{}
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	p, err := NewPool(opts, size)
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestPoolManyAccounts runs one compiled script for many accounts at once
// on a pool smaller than the number of accounts, all on one sandbox.
func TestPoolManyAccounts(t *testing.T) {
	sb := startSandbox(t)
	p := newTestPool(t, Options{SandboxServer: sb}, 3)
	if p.Sandbox() != sb || p.Size() != 3 {
		t.Fatalf("Sandbox %p, Size %d", p.Sandbox(), p.Size())
	}
	script, err := CompileString("send.lua", sendScript)
	if err != nil {
		t.Fatal(err)
	}
	const accounts = 12
	errs := make([]error, accounts)
	var wg sync.WaitGroup
	for i := range accounts {
		wg.Go(func() {
			user := fmt.Sprintf("conta%02d@empresa.com.br", i)
			errs[i] = p.Run(context.Background(), script, user, "central@empresa.com.br", "daily "+user)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("account %d: %v", i, err)
		}
	}
	var got []string
	for _, c := range sb.Captured() {
		got = append(got, c.From+" → "+strings.Join(c.To, ",")+": "+c.Subject)
	}
	slices.Sort(got)
	var want []string
	for i := range accounts {
		user := fmt.Sprintf("conta%02d@empresa.com.br", i)
		want = append(want, user+" → central@empresa.com.br: daily "+user)
	}
	if !slices.Equal(got, want) {
		t.Errorf("captured:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPoolFreshEnvironment: every run starts with fresh globals and arg,
// sees the prelude, the classes and host functions in any letter case,
// and finds its own functions through _G; the state is reset afterwards.
func TestPoolFreshEnvironment(t *testing.T) {
	var out bytes.Buffer
	p := newTestPool(t, Options{Stdout: &out, INI: []byte("[Mail]\nProtocol=POP3\n[Custom]\nKey=initial\n")}, 1)
	if err := p.Register("HostValue", func(L *lua.LState) int {
		L.Push(lua.LString("host"))
		return 1
	}); err != nil {
		t.Fatal(err)
	}
	script, err := CompileString("env.lua", `
local n = ...
if Leaked ~= nil then error("global from an earlier run: " .. tostring(Leaked)) end
Leaked = n
function U_Helper() return "helper " .. n end
conout(arg[0], arg[1], #arg, select("#", ...))
conout(CONOUT ~= nil, tmailmanager ~= nil, TMAILMESSAGE ~= nil, hostvalue(), _G["U_Helper"](), _G.alltrim("  x  "))
conout(GetPvProfString("Custom", "Key", "none"), GetPvProfString("Mail", "Protocol", "none"))
WritePProString("Custom", "Key", "changed by " .. n)
WritePProString("Mail", "Protocol", "IMAP")
local a = {1, 2, 3}
aDel(a, 1)
Kept = a
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"first", "second"} {
		if err := p.Run(context.Background(), script, n, "extra"); err != nil {
			t.Fatalf("run %s: %v\n%s", n, err, out.String())
		}
	}
	line := "env.lua %[1]s 2 2\n.T. .T. .T. host helper %[1]s x\ninitial POP3\n"
	if want := fmt.Sprintf(line, "first") + fmt.Sprintf(line, "second"); out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}

	// Nothing of the runs is left in the state itself.
	ps := <-p.idle
	defer func() { p.idle <- ps }()
	g := ps.r.ls.G.Global
	for _, name := range []string{"Leaked", "U_Helper", "Kept", "arg"} {
		if v := g.RawGetString(name); v != lua.LNil {
			t.Errorf("global %s = %v left in the state", name, v)
		}
	}
	if len(ps.r.deleted) != 0 {
		t.Errorf("aDel bookkeeping kept %d tables", len(ps.r.deleted))
	}
	if ps.r.Config().Protocol != "POP3" {
		t.Errorf("Protocol %q after the runs, want POP3", ps.r.Config().Protocol)
	}
}

// TestPoolClosesLeftOpenConnections: a connection the script does not
// close is closed when Run returns, so the next account does not inherit
// it.
func TestPoolClosesLeftOpenConnections(t *testing.T) {
	sb := startSandbox(t)
	var opened, closed atomic.Int32
	dial := func(ctx context.Context, proto mail.Protocol, ep mail.Endpoint) (net.Conn, error) {
		c, err := sb.Dial(ctx, proto, ep)
		if err != nil {
			return nil, err
		}
		opened.Add(1)
		return &closeCounter{Conn: c, n: &closed}, nil
	}
	p := newTestPool(t, Options{Dial: dial}, 1)
	script, err := CompileString("leave-open.lua", `
local o = TMailManager():New()
o:Init("", "smtp.empresa.com.br", "fulano", "secret", 0, 25)
local n = o:SMTPConnect()
if n ~= 0 then error("SMTPConnect: " .. o:GetErrorString(n)) end
`)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), script); err != nil {
		t.Fatal(err)
	}
	if opened.Load() != 1 || closed.Load() < 1 {
		t.Errorf("opened %d, closed %d connections after Run, want 1 and 1", opened.Load(), closed.Load())
	}
}

type closeCounter struct {
	net.Conn
	once sync.Once
	n    *atomic.Int32
}

func (c *closeCounter) Close() error {
	c.once.Do(func() { c.n.Add(1) })
	return c.Conn.Close()
}

// TestPoolClose: Close stops a running script with ErrPoolClosed, later
// runs fail with ErrPoolClosed, and the sandbox NewPool started is closed.
func TestPoolClose(t *testing.T) {
	p, err := NewPool(Options{INI: []byte{}, Stdout: io.Discard, Sandbox: true}, 2)
	if err != nil {
		t.Fatal(err)
	}
	sb := p.Sandbox()
	if sb == nil {
		t.Fatal("no sandbox")
	}
	busy, _ := CompileString("busy.lua", `Sleep(60000)`)
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background(), busy) }()
	for len(p.idle) != 1 {
		time.Sleep(time.Millisecond)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrPoolClosed) {
			t.Errorf("running script: %v, want ErrPoolClosed", err)
		}
	default:
		t.Error("Close returned before the running script")
	}
	if err := p.Run(context.Background(), busy); !errors.Is(err, ErrPoolClosed) {
		t.Errorf("Run after Close: %v, want ErrPoolClosed", err)
	}
	if err := p.Register("x", func(*lua.LState) int { return 0 }); !errors.Is(err, ErrPoolClosed) {
		t.Errorf("Register after Close: %v, want ErrPoolClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := sb.Dial(context.Background(), mail.SMTP, mail.Endpoint{Host: "x"}); mail.CodeOf(err) != mail.ErrConnRefused {
		t.Errorf("dial after Close: %v, want the sandbox closed", err)
	}
}

func TestNewPoolErrors(t *testing.T) {
	if _, err := NewPool(Options{INI: []byte{}}, 0); err == nil {
		t.Error("size 0 accepted")
	}
	_, err := NewPool(Options{ConfigPath: filepath.Join(t.TempDir(), "missing.ini")}, 2)
	if err == nil || !strings.Contains(err.Error(), "missing.ini") {
		t.Errorf("missing config: %v", err)
	}
}

func TestCompile(t *testing.T) {
	dir := t.TempDir()
	// "conout('ação', ...)" in Windows-1252, with a syntax error on line 3 of another file.
	good := writeFile(t, dir, "good.prw.lua", []byte("local a = ...\nconout('a\xE7\xE3o', a, arg[0])\nDefined = true\n"))
	bad := writeFile(t, dir, "bad.lua", []byte("local x = 1\n\nx = = 2\n"))

	s, err := Compile(good)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != good {
		t.Errorf("Name %q, want %q", s.Name(), good)
	}
	var se *ScriptError
	if _, err := Compile(bad); !errors.As(err, &se) || !strings.HasPrefix(se.Message, bad+":3:") {
		t.Errorf("syntax error %v, want *ScriptError at %s:3", err, bad)
	}
	if _, err := Compile(filepath.Join(dir, "missing.lua")); err == nil || !strings.Contains(err.Error(), "missing.lua") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := CompileString("inline", "if then"); !errors.As(err, &se) || !strings.HasPrefix(se.Message, "inline:1:") {
		t.Errorf("CompileString syntax error %v", err)
	}

	// Runtime.Run behaves as DoFile: arg, varargs, globals kept.
	r, out := newTestRuntime(t, Options{})
	for _, arg := range []string{"one", "two"} {
		if err := r.Run(context.Background(), s, arg); err != nil {
			t.Fatal(err)
		}
	}
	if want := fmt.Sprintf("ação one %[1]s\nação two %[1]s\n", good); out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	if r.ls.GetGlobal("Defined") != lua.LTrue {
		t.Error("global set by Run not kept")
	}
	// The script's directory is allowed for dofile, as with DoFile.
	writeFile(t, dir, "lib.lua", []byte("return 42\n"))
	inc, err := CompileString("inc", fmt.Sprintf("assert(dofile(%q) == 42)", filepath.Join(dir, "lib.lua")))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background(), inc); err != nil {
		t.Errorf("dofile next to a Run script: %v", err)
	}
	if err := r.Run(context.Background(), nil); err == nil {
		t.Error("nil script accepted")
	}
	r.Close()
	if err := r.Run(context.Background(), s); err == nil {
		t.Error("Run after Close succeeded")
	}
}
