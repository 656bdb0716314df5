package advpl

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// mockRuntime is a minimal stand-in for runtime's R table, enough to run
// control-flow tests of the generated code.
const mockRuntime = `
local out = {}
local R = {F = {}, M = {}}
_ADVPL = R
R.out = out
function R.file() end
function R.defun(name, fn) R.F[string.lower(name)] = fn end
function R.static(name, fn) return fn end
function R.add(a, b) if type(a) == "string" then return a .. b end return a + b end
function R.sub(a, b) return a - b end
function R.mod(a, b) return a % b end
function R.eq(a, b) return a == b end
function R.exact(a, b) return a == b end
function R.lt(a, b) return a < b end
function R.le(a, b) return a <= b end
function R.gt(a, b) return a > b end
function R.ge(a, b) return a >= b end
function R.forcond(i, lim, s) if s >= 0 then return i <= lim end return i >= lim end
function R.len(a) return #a end
function R.arr(n, ...) local t = {...} return t end
function R.pmark() return 0 end
function R.prelease() end
function R.private(n, v) R.M[n] = v end
function R.refcall(fn, pos, ...) local res = {fn(...)} local ret = {res[1]} for k, p in ipairs(pos) do ret[k+1] = res[p+1] end return unpack(ret, 1, #pos + 1) end
function R.F.eval(b, ...) return b(...) end
local BRK = {}
function R.F.qout(...) local t = {} for i = 1, select("#", ...) do t[#t+1] = tostring((select(i, ...))) end out[#out+1] = table.concat(t, " ") end
R.F["break"] = function(v) error({BRK, v}, 0) end
function R.seq(fn) local ok, a, b = pcall(fn) if ok then return a, b end if type(a) == "table" and a[1] == BRK then return false, a[2] end error(a, 0) end
`

func run(t *testing.T, src, fn string) string {
	t.Helper()
	r := mustCompile(t, src)
	if len(r.Diagnostics) > 0 {
		t.Fatalf("diagnostics: %v", r.Diagnostics)
	}
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString(mockRuntime); err != nil {
		t.Fatal(err)
	}
	if err := L.DoString(r.Lua); err != nil {
		t.Fatalf("load: %v\n%s", err, numbered(r.Lua))
	}
	if err := L.DoString(`_ADVPL.F["` + fn + `"]()`); err != nil {
		t.Fatalf("run: %v\n%s", err, numbered(r.Lua))
	}
	outT := L.GetField(L.GetGlobal("_ADVPL"), "out").(*lua.LTable)
	var lines []string
	outT.ForEach(func(_, v lua.LValue) { lines = append(lines, v.String()) })
	return strings.Join(lines, "|")
}

func TestExec(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"nested loop exit", `Function T()
Local i, j
For i := 1 To 3
  For j := 1 To 3
    If j == 2
      Loop
    EndIf
    If j == 3
      Exit
    EndIf
    ? i, j
  Next j
  If i == 2
    Loop
  EndIf
  ? "after", i
Next
Return`, "1 1|after 1|2 1|3 1|after 3"},
		{"while loop", `Function T()
Local n := 0
While .T.
  n++
  If n % 2 == 0
    Loop
  EndIf
  If n > 5
    Exit
  EndIf
  ? n
EndDo
Return`, "1|3|5"},
		{"limit re-evaluated", `Function T()
Local i, n := 3
For i := 1 To n
  n := 2
  ? i
Next
Return`, "1|2"},
		{"sequence", `Function T()
Local x
Begin Sequence
  ? "in"
  Break "boom"
  ? "not here"
Recover Using x
  ? "recovered", x
End Sequence
? G()
Return
Function G()
Local i
For i := 1 To 5
  Begin Sequence
    If i == 2
      Loop
    EndIf
    If i == 4
      Return i * 10
    EndIf
    ? "g", i
  End Sequence
Next
Return 0`, "in|recovered boom|g 1|g 3|40"},
		{"byref static", `Function T()
Local a := 1, b := 2
Swap(@a, @b)
? a, b
Return
Static Function Swap(x, y)
Local t := x
x := y
y := t
Return`, "2 1"},
		{"for each and blocks", `Function T()
Local x, b := {|a| a * 2}
For Each x In {1, 2, 3}
  ? Eval(b, x)
Next
Return`, "2|4|6"},
		{"case", `Function T()
Local n
For n := 1 To 3
  Do Case
  Case n == 1
    ? "one"
  Case n == 2
    ? "two"
  Otherwise
    ? "other"
  EndCase
Next
Return`, "one|two|other"},
		{"inline assign iif", `Function T()
Local n
If (n := 5) > 3
  ? IIf(n > 4, "big", Fail()), n++, n, ++n
EndIf
Return`, "big 5 6 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(t, tt.src, "t"); got != tt.want {
				t.Errorf("output = %q, want %q", got, tt.want)
			}
		})
	}
}
