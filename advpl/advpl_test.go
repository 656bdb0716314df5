package advpl

import (
	"fmt"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	luaparse "github.com/yuin/gopher-lua/parse"
)

// luaCompiles checks that code is valid Lua for gopher-lua.
func luaCompiles(t *testing.T, name, code string) {
	t.Helper()
	chunk, err := luaparse.Parse(strings.NewReader(code), name)
	if err != nil {
		t.Fatalf("%s: generated Lua does not parse: %v\n%s", name, err, numbered(code))
	}
	if _, err := lua.Compile(chunk, name); err != nil {
		t.Fatalf("%s: generated Lua does not compile: %v", name, err)
	}
}

func numbered(code string) string {
	var b strings.Builder
	for i, l := range strings.Split(code, "\n") {
		if i > 80 {
			break
		}
		fmt.Fprintf(&b, "%3d| %s\n", i+1, l)
	}
	return b.String()
}

func mustCompile(t *testing.T, src string) *Result {
	t.Helper()
	r, err := Compile("t.prw", []byte(src), Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return r
}

// body returns the generated Lua without the prologue.
func body(r *Result) string {
	s := r.Lua
	if i := strings.Index(s, `R.file("t.prw", S); `); i >= 0 {
		s = s[i+len(`R.file("t.prw", S); `):]
	}
	return strings.TrimSpace(s)
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"local", "Function F()\nLocal x := 1, y, Z := {}\nReturn x",
			`R.defun("F", function() local l_x, l_y, l_z;` + "\n" + `l_x = 1; l_y = nil; l_z = {};` + "\n" + `do return l_x end do return nil end end, "function");`},
		{"user params return", "User Function Ab(a, B)\nReturn a + b",
			`R.defun("U_AB", function(l_a, l_b)` + "\n" + `do return R.add(l_a, l_b), l_a, l_b end do return nil, l_a, l_b end end, "user");`},
		{"private", "Function F()\nPrivate x := 1\nReturn",
			`R.defun("F", function() local __pm = R.pmark();` + "\n" + `R.private("x", 1);` + "\n" + `do local __r = nil; R.prelease(__pm); return __r end R.prelease(__pm); do return nil end end, "function");`},
		{"static call", "Function F()\nG(1,,2)\nReturn\nStatic Function G(a,b,c)\nReturn",
			`R.defun("F", function()` + "\n" + `S.g(1, nil, 2);` + "\n" + `do return nil end do return nil end end, "function");` + "\n" +
				`S.g = R.static("G", function(l_a, l_b, l_c)` + "\n" + `do return nil, l_a, l_b, l_c end do return nil, l_a, l_b, l_c end end);`},
		{"operators", "Function F()\nx := a = b .And. c == d .Or. !e $ f\nReturn",
			"M.x = ((R.eq(M.a, M.b) and R.exact(M.c, M.d)) or (not R.inside(M.e, M.f)));"},
		{"neq", "Function F()\nx := a != b .and. a <> b .and. a # b\nReturn",
			"M.x = (((not R.eq(M.a, M.b)) and (not R.eq(M.a, M.b))) and (not R.eq(M.a, M.b)));"},
		{"arith", "Function F()\nx := -a * 2 ** 3 % 4 - 1\nReturn", "M.x = R.sub(R.mod(((-M.a) * (2 ^ 3)), 4), 1);"},
		{"statement assign =", "Function F()\nx = 1\nReturn", "M.x = 1;"},
		{"compound", "Function F()\nLocal n\nn += 2\nn++\n--n\nReturn",
			"l_n = R.add(l_n, 2);\nl_n = l_n + 1;\nl_n = l_n - 1;"},
		{"array nil", "Function F()\nx := {1,,3}\ny := {1,2,}\nz := {NIL, Nil}\nReturn", "M.x = {1, nil, 3};\nM.y = R.arr(3, 1, 2, nil);\nM.z = R.arr(2, nil, nil);"},
		{"block", "Function F()\nb := {|a, b| a + b, c}\nReturn", "M.b = function(l_a, l_b) do local _ = R.add(l_a, l_b) end; return M.c end;"},
		{"iif lazy", "Function F()\nx := IIf(c, f(), g())\nReturn", "M.x = (function() if M.c then return (F.f()) end return (F.g()) end)();"},
		{"macro", "Function F()\nx := &cVar + &(y)\n&cVar.abc := 1\nReturn", "M.x = R.add(R.macro(M.cvar), R.macro((M.y)));\nR.macroset(M.cvar .. \"abc\", 1);"},
		{"alias", "Function F()\nx := SA1->A1_COD + (cA)->B + M->z\nSA1->(DbSkip())\nReturn",
			"M.x = R.add(R.add(R.field(\"SA1\", \"A1_COD\"), R.field((M.ca), \"B\")), M.z);\ndo local _ = R.inalias(\"SA1\", function() return ((F.dbskip())) end) end;"},
		{"methods", "Function F()\no := TMail():New()\no:cServer := 'x'\no:Send(@n)\nReturn",
			"M.o = ((F.tmail()):new());\nM.o.cserver = \"x\";\ndo local __r1, __b2 = R.mrefcall(M.o, \"send\", {1}, M.n); M.n = __b2; end;"},
		{"strings", "Function F()\nx := [a\"b] + 'c' + a[1]\nReturn", `M.x = R.add(R.add("a\"b", "c"), M.a[1]);`},
		{"index", "Function F()\nx := a[1, 2][3]\nReturn", "M.x = M.a[1][2][3];"},
		{"print", "Function F()\n? 1, 2\n?? 3\nReturn", "F.qout(1, 2);\nF.qqout(3);"},
		{"default", "Function F(a)\nDefault a := 5\nReturn", "if l_a == nil then l_a = 5 end;"},
		{"local array", "Function F()\nLocal a[10], b[2,3]\nReturn", "l_a = R.arr(10); l_b = F.array(2, 3);"},
		{"while", "Function F()\nWhile x < 3\nx++\nEndDo\nReturn", "while R.lt(M.x, 3) do\nM.x = M.x + 1;\nend;"},
		{"do case", "Function F()\nDo Case\nCase x == 1\ny := 1\nOtherwise\ny := 2\nEndCase\nReturn",
			"\nif R.exact(M.x, 1) then\nM.y = 1;\nelse\nM.y = 2;\nend;"},
		{"for step", "Function F()\nLocal i\nFor i := 10 To 1 Step -1\nNext\nReturn", "l_i = 10; while R.ge(l_i, 1) do\nl_i = l_i + (-1); end;"},
		{"tlpp types", "User Function X(a as Character) as Logical\nLocal n as Numeric := 0\nReturn .T.", "l_n = 0;"},
		{"field memvar decl", "Function F()\nMemvar cX\nField A1_COD\nx := cX + a1_cod\nReturn", "M.x = R.add(M.cx, R.field(nil, \"A1_COD\"));"},
		{"self", "Method New(a) Class T\n::cA := a\n::Go()\nReturn Self",
			"R.method(\"T\", \"NEW\", function(self, l_a)\nself.ca = l_a;\nself:go();\ndo return self, l_a end do return nil, l_a end end);"},
		{"super", "Method New() Class T\n_Super:New()\nReturn Self", `R.super(self, "T", "new")(self);`},
		{"class", "Class TMy From TBase\nData cServer\nData nPort Init 25\nMethod New() Constructor\nEndClass",
			`R.class("TMY", "TBASE", {"cserver", "nport"}, {["nport"] = 25});`},
		{"if statement call", "Function F()\nIf(lOk, A(), B())\nIf (x)\nEndIf\nReturn", "do local _ = (function() if M.lok then return (F.a()) end return (F.b()) end)() end;\nif (M.x) then"},
		{"static public refcall seq", "Function F(a)\nStatic nCnt := 5\nPublic cPub\nx := G(@a) + 1\nnCnt++\nBegin Sequence\nBreak\nEnd\nReturn nCnt",
			`ST["f.ncnt"] = 5; R.defun("F", function(l_a) local __rv;` + "\n\n" + `R.public("cpub");` + "\n" +
				`M.x = R.add((function() local __r1, __b2 = R.refcall(F.g, {1}, l_a); l_a = __b2; return __r1 end)(), 1);` + "\n" +
				`ST["f.ncnt"] = ST["f.ncnt"] + 1;` + "\n" + `do local __k3, __v4 = R.seq(function()` + "\n" +
				`F["break"](nil); do return true end end); if __k3 then if __v4 == "r" then do return __rv, l_a end end; else` + "\n" +
				`end end;` + "\n" + `do return ST["f.ncnt"], l_a end`},
		{"for each", "Function F()\nLocal x\nFor Each x In aList\n? x\nNext\nReturn",
			"do local __a1, __i2 = M.alist, 1; while __i2 <= R.len(__a1) do l_x = __a1[__i2];\nF.qout(l_x);\n__i2 = __i2 + 1; end; end;"},
		{"local shadows param", "Function F(a)\nLocal a := 2\nReturn a", "R.defun(\"F\", function(l_a)\nl_a = 2;"},
		{"macro call", "Function F()\n&cFn.(1)\nReturn", `F[M.cfn](1);`},
		{"keyword method", "Function F()\noDlg:End()\nReturn", `do local _ = (function(__o1) return __o1["end"](__o1) end)(M.odlg) end;`},
		{"inline assign", "Function F()\nIf (n := G()) != 0\nEndIf\nReturn", `if (not R.eq(((function() local __t1 = (F.g()); M.n = __t1; return __t1 end)()), 0)) then`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustCompile(t, tt.src)
			if len(r.Diagnostics) > 0 {
				t.Fatalf("diagnostics: %v", r.Diagnostics)
			}
			if !strings.Contains(body(r), tt.want) {
				t.Errorf("got:\n%s\nwant (substring):\n%s", body(r), tt.want)
			}
			luaCompiles(t, tt.name, r.Lua)
		})
	}
}

var errNotFound = fmt.Errorf("not found")

func BenchmarkCompile(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("#include \"protheus.ch\"\n")
	lines := 1
	for lines < 5000 {
		fmt.Fprintf(&sb, "User Function F%d(a, b)\n", lines)
		sb.WriteString("  Local n := 0, i, aX := {1, 2, 3}\n  Local cS := \"abc\"\n")
		sb.WriteString("  For i := 1 To Len(aX)\n    If aX[i] > 1 .And. cS $ \"xabcx\"\n      n += aX[i] * 2\n    ElseIf a == NIL\n      Loop\n    EndIf\n  Next\n")
		sb.WriteString("  oObj := TMailManager():New()\n  nErr := oObj:Init(\"smtp\", \"\", \"u\", \"p\", 0, 25)\n  If nErr != 0\n    ConOut(oObj:GetErrorString(nErr))\n  EndIf\n")
		sb.WriteString("Return n + Val(cS)\n\n")
		lines += 18
	}
	src := []byte(sb.String())
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Compile("bench.prw", src, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
