package advpl

import (
	"strings"
	"testing"
)

func TestCompileLines(t *testing.T) {
	tests := []struct {
		src        string
		incomplete bool
		want       string
	}{
		{"oMail := TMailManager():New()", false, "M.omail = ((F.tmailmanager()):new());"},
		{"? Len(aX)", false, "F.qout((F.len(M.ax)));"},
		{"Local n := 5", false, "M.n = 5;"},
		{"If x > 1", true, ""},
		{"If x > 1\n? x\nEndIf", false, "if R.gt(M.x, 1) then"},
		{"For i := 1 To 3", true, ""},
		{"User Function Foo()\n? 1", true, ""},
		{"User Function Foo()\n? 1\nReturn", false, `R.defun("U_FOO"`},
		{"Class X\nData a", true, ""},
		{"Begin Sequence\n? 1", true, ""},
		{"User Function A()\n? 1\nUser Function B()\nReturn", false, `R.defun("U_B"`},
	}
	for _, tt := range tests {
		r, inc, err := CompileLines("repl", tt.src, Options{})
		if err != nil {
			t.Fatalf("%q: %v", tt.src, err)
		}
		if inc != tt.incomplete {
			t.Errorf("%q: incomplete = %v, want %v (%v)", tt.src, inc, tt.incomplete, r.Diagnostics)
		}
		if tt.want != "" && !strings.Contains(r.Lua, tt.want) {
			t.Errorf("%q: Lua = %s, want substring %s", tt.src, r.Lua, tt.want)
		}
		if !inc {
			luaCompiles(t, tt.src, r.Lua)
		}
	}
}

func TestCompileExpr(t *testing.T) {
	tests := []struct{ src, want string }{
		{"cVar", "return M.cvar"},
		{"x := 1", "return (function() local __t1 = 1; M.x = __t1; return __t1 end)()"},
		{"a, b + 1", "return (function() do local _ = M.a end; return R.add(M.b, 1) end)()"},
		{"Upper('x') == 'X'", `return R.exact((F.upper("x")), "X")`},
	}
	for _, tt := range tests {
		got, err := CompileExpr(tt.src)
		if err != nil {
			t.Fatalf("%q: %v", tt.src, err)
		}
		if !strings.HasPrefix(got, "local R = _ADVPL; local F, M = R.F, R.M; ") || !strings.HasSuffix(got, tt.want) {
			t.Errorf("%q: got %s, want suffix %s", tt.src, got, tt.want)
		}
		luaCompiles(t, tt.src, got)
	}
	for _, bad := range []string{"", "1 +", "x :="} {
		if _, err := CompileExpr(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestDecode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\xef\xbb\xbfa\r\nb", "a\nb"},
		{"fun\xe7\xe3o\rx", "função\nx"},
		{"já", "já"},
	}
	for _, tt := range tests {
		if got := Decode([]byte(tt.in)); got != tt.want {
			t.Errorf("Decode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzCompile(f *testing.F) {
	f.Add([]byte("User Function A(x)\nLocal a := {1,,2}\nIf x\n? a[1]\nEndIf\nReturn .T.\n"))
	f.Add([]byte("Class X From Y\nData a Init 1\nEndClass\nMethod New() Class X\n::a := {|b| b}\nReturn Self\n"))
	f.Add([]byte("Function B()\nBegin Sequence\nFor i := 1 To 3\nLoop\nNext\nRecover Using e\nEnd\nReturn &x.y"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 20000 {
			return
		}
		r, err := Compile("f.prw", src, Options{ReadFile: func(string) ([]byte, error) { return nil, errNotFound }})
		if err != nil || r == nil {
			return
		}
		luaCompiles(t, "fuzz", r.Lua)
	})
}
