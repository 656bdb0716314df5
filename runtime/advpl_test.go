package runtime

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// advplPrologue is the first line of a generated chunk (docs/advpl-codegen.md).
const advplPrologue = `local R = _ADVPL; local F, M, S, ST = R.F, R.M, {}, {}; R.file("t.prw", S) `

// evalAdvPL runs contract-shaped Lua named t.prw and returns its results.
func evalAdvPL(t *testing.T, r *Runtime, code string) ([]lua.LValue, error) {
	t.Helper()
	return r.Eval(context.Background(), "t.prw", advplPrologue+code)
}

func TestAdvPLOperators(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	tests := []struct{ code, want string }{
		{`return R.eq("abc", "ab")`, "true"},
		{`return R.eq("ab", "abc")`, "false"},
		{`return R.eq("abc", "")`, "true"},
		{`return R.exact("abc", "ab")`, "false"},
		{`return R.exact("abc", "abc")`, "true"},
		{`return not R.eq(1, 2)`, "true"},
		{`return R.eq(nil, nil)`, "true"},
		{`return R.inside("b", "abc")`, "true"},
		{`return R.inside("x", {"a", "x"})`, "true"},
		{`return R.add(1, 2)`, "3"},
		{`return R.add("a", "b")`, "ab"},
		{`return R.sub("ab  ", "cd")`, "abcd  "},
		{`return R.sub(5, 7)`, "-2"},
		{`return R.mod(7, 3)`, "1"},
		{`return R.lt("a", "b"), R.ge(2, 2), R.gt(false, true)`, "true true false"},
		{`return DtoS(R.add(StoD("20261231"), 1))`, "20270101"},
		{`return R.sub(StoD("20270101"), StoD("20261231"))`, "1"},
		{`return DtoS(R.sub(StoD("20270101"), 1))`, "20261231"},
		{`return R.len(R.arr(3, 1, nil, nil)), R.len("abcd"), R.len({1, 2})`, "3 4 2"},
		{`return R.forcond(1, 2, nil), R.forcond(3, 2, 1), R.forcond(3, 2, -1)`, "true false true"},
	}
	for _, tt := range tests {
		out, err := evalAdvPL(t, r, tt.code)
		if err != nil {
			t.Errorf("%s: %v", tt.code, err)
			continue
		}
		var parts []string
		for _, v := range out {
			parts = append(parts, v.String())
		}
		if got := strings.Join(parts, " "); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.code, got, tt.want)
		}
	}
	_, err := evalAdvPL(t, r, "\nreturn R.add(1, \"a\")")
	if err == nil || !strings.Contains(err.Error(), "t.prw:2:") || !strings.Contains(err.Error(), "type mismatch on +") {
		t.Errorf("1 + \"a\": err = %v", err)
	}
}

func TestAdvPLMemvars(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	code := `R.defun("INNER", function() return M.x, nil end, "function")
R.defun("OUTER", function() local __pm = R.pmark(); R.private("x", 5); local v = (F.inner()); R.prelease(__pm); return v end, "function")
R.public("pub")
local v = (F.outer())
return v, Type("x"), M.pub`
	out, err := evalAdvPL(t, r, code)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].String() != "5" || out[1].String() != "U" || out[2] != lua.LFalse {
		t.Errorf("got %v", out)
	}
	if _, ok := r.memvar("X"); ok {
		t.Error("private x survived its function")
	}
	r.setMemvar("cEmpAnt", lua.LString("01"))
	if v, ok := r.memvar("CEMPANT"); !ok || v.String() != "01" {
		t.Errorf("memvar cEmpAnt = %v %v", v, ok)
	}
	_, err = evalAdvPL(t, r, "\n\nreturn M.nothere")
	if err == nil || !strings.Contains(err.Error(), "t.prw:3: variable does not exist: NOTHERE") {
		t.Errorf("missing memvar: %v", err)
	}
}

func TestAdvPLUndefinedFunction(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	_, err := evalAdvPL(t, r, "\nF.nosuch(1)")
	if err == nil || !strings.Contains(err.Error(), "t.prw:2: function NOSUCH is not defined (not an advmail built-in") {
		t.Errorf("err = %v", err)
	}
	if err := r.DoString(context.Background(), "function MyLuaFn() return 7 end"); err != nil {
		t.Fatal(err)
	}
	out, err := evalAdvPL(t, r, "return (F.myluafn())")
	if err != nil || out[0].String() != "7" {
		t.Errorf("Lua global: %v %v", out, err)
	}

	var stderr bytes.Buffer
	rl, _ := newTestRuntime(t, Options{Lenient: true, Stderr: &stderr})
	out, err = evalAdvPL(t, rl, "F.nosuch(1); F.nosuch(2); return (F.nosuch())")
	if err != nil || out[0] != lua.LNil {
		t.Errorf("lenient: %v %v", out, err)
	}
	if n := strings.Count(stderr.String(), "NOSUCH"); n != 1 {
		t.Errorf("lenient warnings = %d, want 1: %q", n, stderr.String())
	}
}

func TestAdvPLByRef(t *testing.T) {
	r, _ := newTestRuntime(t, Options{Sandbox: true})
	code := `R.defun("INC", function(l_n, l_m) l_n = R.add(l_n, 1); l_m = "x"; return true, l_n, l_m end, "function")
local l_a, l_b = 1, "y"
local ok
ok, l_a, l_b = R.refcall(F.inc, {1, 2}, l_a, l_b)
local l_c = 99
local _, l_c2 = R.refcall(F.popmsgcount, {1}, l_c)
return ok, l_a, l_b, type(l_c2)`
	out, err := evalAdvPL(t, r, code)
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != lua.LTrue || out[1].String() != "2" || out[2].String() != "x" || out[3].String() != "number" {
		t.Errorf("got %v", out)
	}
}

func TestAdvPLMethodByRef(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	code := `R.class("TC", nil, {"n"})
R.method("TC", "GET", function(self, l_x) l_x = 42; return 0, l_x end)
local o = F.tc()
local l_x = 0
local _, v = R.mrefcall(o, "get", {1}, l_x)
return v`
	out, err := evalAdvPL(t, r, code)
	if err != nil || out[0].String() != "42" {
		t.Errorf("got %v %v", out, err)
	}
}

func TestAdvPLClasses(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	code := `R.class("TBASE", nil, {"cname"})
R.method("TBASE", "NEW", function(self, l_c) self.cname = l_c; return self, l_c end)
R.method("TBASE", "HELLO", function(self) return "base " .. self.cname end)
R.class("TCHILD", "TBASE", {"nport"})
R.method("TCHILD", "NEW", function(self, l_c) R.super(self, "TCHILD", "new")(self, l_c); self.nport = 25; return self, l_c end)
local o = (F.tchild():new("srv"))
return o:hello(), o.nport, o:classname(), ValType(o), o.cname, F.tbase().cname`
	out, err := evalAdvPL(t, r, code)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"base srv", "25", "TCHILD", "O", "srv", "nil"}
	for i, w := range want {
		if out[i].String() != w {
			t.Errorf("result %d = %v, want %s", i, out[i], w)
		}
	}
}

func TestAdvPLSequence(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	tests := []struct{ name, code, want string }{
		{"break", `local k, v = R.seq(function() Break("boom") end) return tostring(k) .. " " .. v`, "false boom"},
		{"normal", `local k, v = R.seq(function() return 1, "r" end) return k .. v`, "1r"},
		{"errorblock", `local old = ErrorBlock(function(e) Break(e) end)
local k, o = R.seq(function() local x = R.add(1, {}) end)
ErrorBlock(old)
return tostring(k) .. "|" .. o.description .. "|" .. ValType(o)`, "false|argument error: type mismatch on + (N and A)|O"},
		{"private unwound", `R.seq(function() R.private("p", 1); Break() end) return Type("p")`, "U"},
	}
	for _, tt := range tests {
		out, err := evalAdvPL(t, r, tt.code)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if out[0].String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, out[0].String(), tt.want)
		}
	}
	_, err := evalAdvPL(t, r, "\nR.seq(function() local x = R.add(1, {}) end)")
	if err == nil || !strings.Contains(err.Error(), "t.prw:2:") {
		t.Errorf("default ErrorBlock must not catch: %v", err)
	}
}

func TestAdvPLProcNameMacro(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	code := `R.defun("U_TST", function() return (S.inner()) end, "user")
S.inner = R.static("INNER", function()
return ProcName(0) .. "/" .. ProcName(1) .. "/" .. ProcLine(0) end)
M.cvar = "hello"
M.cname = "cVar"
return (F.u_tst()), R.macro(M.cname), R.macro("U_TST()"), Type("cVar"), Type("1 +")`
	out, err := evalAdvPL(t, r, code)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"INNER/U_TST/3", "hello", "INNER/U_TST/3", "C", "UE"}
	for i, w := range want {
		if out[i].String() != w {
			t.Errorf("result %d = %v, want %s", i, out[i], w)
		}
	}
}

func TestRunAdvPL(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "main.prw")
	other := filepath.Join(dir, "other.prw")
	os.WriteFile(main, []byte("User Function Hello(cName)\nConOut(\"hi \" + cName)\nReturn .T.\n"), 0o600)
	os.WriteFile(other, []byte("User Function Other()\nReturn \"o\"\n\nStatic Function Hid()\nReturn 3\n"), 0o600)
	tests := []struct{ call, want, out string }{
		{"", "true", "hi bob\n"},
		{"other", "o", ""},
		{"U_OTHER", "o", ""},
		{"hid", "3", ""},
	}
	for _, tt := range tests {
		r, out := newTestRuntime(t, Options{})
		v, err := r.RunAdvPL(context.Background(), []string{main, other}, tt.call, "bob")
		if err != nil {
			t.Errorf("call %q: %v", tt.call, err)
			continue
		}
		if v.String() != tt.want || out.String() != tt.out {
			t.Errorf("call %q = %v (out %q), want %s (%q)", tt.call, v, out.String(), tt.want, tt.out)
		}
	}
	r, _ := newTestRuntime(t, Options{})
	if _, err := r.RunAdvPL(context.Background(), []string{main}, "nosuch"); err == nil {
		t.Error("calling an undefined function succeeded")
	}
	bad := filepath.Join(dir, "bad.prw")
	os.WriteFile(bad, []byte("User Function B()\nx := NoFn()\nReturn\n"), 0o600)
	_, err := r.RunAdvPL(context.Background(), []string{bad}, "")
	if err == nil || !strings.Contains(err.Error(), "bad.prw:2: function NOFN is not defined") {
		t.Errorf("runtime error: %v", err)
	}
}

func TestCompileAdvPLScript(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.PRW")
	os.WriteFile(p, []byte("User Function S(cX)\nConOut(\"got \" + cX)\nReturn\n"), 0o600)
	s, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		r, out := newTestRuntime(t, Options{})
		if err := r.Run(context.Background(), s, "a"); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if out.String() != "got a\n" {
			t.Errorf("run %d: output %q", i, out.String())
		}
	}
}

func TestReloadInto(t *testing.T) {
	p := filepath.Join(t.TempDir(), "job.prw")
	os.WriteFile(p, []byte("User Function Job()\nReturn 7\n"), 0o600)
	r, _ := newTestRuntime(t, Options{})
	if _, err := r.RunAdvPL(context.Background(), []string{p}, ""); err != nil {
		t.Fatal(err)
	}
	child, _ := newTestRuntime(t, Options{})
	if err := r.reloadInto(child); err != nil {
		t.Fatal(err)
	}
	out, err := child.Eval(context.Background(), "x", "return (U_JOB())")
	if err != nil || out[0].String() != "7" {
		t.Errorf("child U_JOB() = %v, %v", out, err)
	}
}

// advplSemantics exercises the helpers through the compiler.
const advplSemantics = `#include "protheus.ch"
User Function T1()
Local nRet := 0, oErr, nNum := 0
Private cPriv := "p"
ConOut(F2())
Begin Sequence
  Break "x"
Recover Using oErr
  ConOut("rec " + oErr)
End Sequence
ErrorBlock({|e| Break(e)})
Begin Sequence
  nRet := 1 + "a"
Recover Using oErr
  ConOut("err " + oErr:Description)
End Sequence
ConOut(cValToChar(F3()))
ConOut(Type("cPriv") + Type("nope"))
Inc(@nNum)
ConOut(cValToChar(nNum))
oX := TKid():New("k")
ConOut(oX:Hi())
Return .T.

Static Function F2()
Return ProcName(0) + "<" + ProcName(1) + " " + cPriv

Static Function F3()
Begin Sequence
  Return 42
End Sequence
Return 0

Static Function Inc(n)
n++
Return

Class TBase
  Data cN
  Method New(c) Constructor
  Method Hi()
EndClass
Method New(c) Class TBase
::cN := c
Return Self
Method Hi() Class TBase
Return "hi " + ::cN
Class TKid From TBase
  Method New(c) Constructor
EndClass
Method New(c) Class TKid
_Super:New(c + "!")
Return Self
`

func TestRunAdvPLSemantics(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sem.prw")
	os.WriteFile(p, []byte(advplSemantics), 0o600)
	r, out := newTestRuntime(t, Options{})
	v, err := r.RunAdvPL(context.Background(), []string{p}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := "F2<U_T1 p\nrec x\nerr argument error: type mismatch on + (N and C)\n42\nCU\n1\nhi k!\n"
	if v != lua.LTrue || out.String() != want {
		t.Errorf("got %v, output:\n%s\nwant:\n%s", v, out.String(), want)
	}
	if _, ok := r.memvar("cPriv"); ok {
		t.Error("Private cPriv survived the run")
	}
	brk := filepath.Join(t.TempDir(), "brk.prw")
	os.WriteFile(brk, []byte("User Function B()\nBreak(1)\nReturn\n"), 0o600)
	if _, err := r.RunAdvPL(context.Background(), []string{brk}, ""); err == nil || !strings.Contains(err.Error(), "brk.prw:2: Break outside Begin Sequence") {
		t.Errorf("Break outside: %v", err)
	}
}

func TestAdvPLIniAndEnvInclude(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc")
	os.Mkdir(inc, 0o700)
	os.WriteFile(filepath.Join(inc, "a.ch"), []byte("#define WHO \"env\"\n"), 0o600)
	p := filepath.Join(dir, "x.prw")
	os.WriteFile(p, []byte("#include \"a.ch\"\nUser Function X()\nConOut(WHO)\nNoFn()\nReturn\n"), 0o600)
	t.Setenv("ADVMAIL_INCLUDE", inc)
	var stderr bytes.Buffer
	r, out := newTestRuntime(t, Options{INI: []byte("[advmail]\nLenient=1\n"), Stderr: &stderr})
	if _, err := r.RunAdvPL(context.Background(), []string{p}, ""); err != nil {
		t.Fatal(err)
	}
	if out.String() != "env\n" || !strings.Contains(stderr.String(), "NOFN") {
		t.Errorf("stdout %q, stderr %q", out.String(), stderr.String())
	}
}
