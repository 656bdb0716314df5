package runtime

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// fixedNow is the clock of the prelude tests: 25 Nov 2026 14:30:05.
func fixedNow() time.Time { return time.Date(2026, 11, 25, 14, 30, 5, 0, time.Local) }

// newTestRuntime returns a Runtime with in-memory defaults, output in out.
func newTestRuntime(t *testing.T, opts Options) (*Runtime, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	if opts.Stdout == nil {
		opts.Stdout = &out
	}
	if opts.Stderr == nil {
		opts.Stderr = &out
	}
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	if opts.ConfigPath == "" && opts.Config == nil && opts.INI == nil {
		opts.INI = []byte{}
	}
	r, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r, &out
}

// show renders a Lua value for comparisons: strings quoted, tables as
// {a, b, k=v}, dates as D(YYYYMMDD).
func show(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return fmt.Sprintf("%q", string(v))
	case lua.LNumber:
		return numText(float64(v))
	case *lua.LTable:
		var parts []string
		n := v.Len()
		for i := 1; i <= n; i++ {
			parts = append(parts, show(v.RawGetInt(i)))
		}
		var keyed []string
		v.ForEach(func(k, val lua.LValue) {
			if f, ok := k.(lua.LNumber); ok && f >= 1 && int(f) <= n {
				return
			}
			keyed = append(keyed, fmt.Sprintf("%s=%s", k.String(), show(val)))
		})
		sort.Strings(keyed)
		return "{" + strings.Join(append(parts, keyed...), ", ") + "}"
	}
	if d, ok := ToDate(v); ok {
		return "D(" + strings.TrimSpace(d.DtoS()) + ")"
	}
	return v.String()
}

// evalShow evaluates Lua code and shows its results, comma-separated.
func evalShow(t *testing.T, r *Runtime, code string) (string, error) {
	t.Helper()
	vals, err := r.Eval(context.Background(), "test", code)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = show(v)
	}
	return strings.Join(parts, ", "), nil
}

func TestPrelude(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	tests := []struct {
		expr string
		want string
	}{
		// Len counts characters of strings and elements of arrays.
		{`Len("abc")`, `3`},
		{`Len("ação")`, `4`},
		{`Len("")`, `0`},
		{`Len({1, 2, 3})`, `3`},
		{`Len({})`, `0`},
		{`LEN("x")`, `1`},

		// Trimming.
		{`AllTrim("  a b  ")`, `"a b"`},
		{`AllTrim("\t x \r\n")`, `"x"`},
		{`alltrim("")`, `""`},
		{`Trim("  a  ")`, `"  a"`},
		{`RTrim("  a  ")`, `"  a"`},
		{`LTrim("  a  ")`, `"a  "`},

		// Empty.
		{`Empty(nil)`, `true`},
		{`Empty("")`, `true`},
		{`Empty("   ")`, `true`},
		{`Empty(" x ")`, `false`},
		{`Empty(0)`, `true`},
		{`Empty(0.5)`, `false`},
		{`Empty(false)`, `true`},
		{`Empty(true)`, `false`},
		{`Empty({})`, `true`},
		{`Empty({0})`, `false`},
		{`Empty({k = 1})`, `false`},
		{`Empty(CtoD(""))`, `true`},
		{`Empty(Date())`, `false`},
		{`Empty(print)`, `false`},

		// cValToChar.
		{`cValToChar(10)`, `"10"`},
		{`cValToChar(10.5)`, `"10.5"`},
		{`cValToChar(-3)`, `"-3"`},
		{`cValToChar(0.1 + 0.2)`, `"0.3"`},
		{`cValToChar(1e20)`, `"100000000000000000000"`},
		{`cValToChar(true)`, `".T."`},
		{`cValToChar(false)`, `".F."`},
		{`cValToChar(nil)`, `""`},
		{`cValToChar("x")`, `"x"`},
		{`cValToChar(Date())`, `"25/11/2026"`},

		// Val.
		{`Val("123")`, `123`},
		{`Val("  12.5 ")`, `12.5`},
		{`Val("-3.25abc")`, `-3.25`},
		{`Val("12abc")`, `12`},
		{`Val("1,5")`, `1`},
		{`Val("abc")`, `0`},
		{`Val("")`, `0`},
		{`Val(7)`, `7`},

		// Str and StrZero.
		{`Str(10)`, `"        10"`},
		{`Str(-10)`, `"       -10"`},
		{`Str(2.5)`, `"         2.50"`},
		{`Str(2.5, 3)`, `"  3"`},
		{`Str(3.14159, 6, 2)`, `"  3.14"`},
		{`Str(1.005, 6, 2)`, `"  1.01"`},
		{`Str(123456, 3)`, `"***"`},
		{`Str(-0.001, 5, 2)`, `" 0.00"`},
		{`Str(7, nil, 2)`, `"         7.00"`},
		{`StrZero(5, 4)`, `"0005"`},
		{`StrZero(-5, 5)`, `"-0005"`},
		{`StrZero(3.5, 6, 2)`, `"003.50"`},
		{`StrZero(12345, 3)`, `"***"`},

		// Substrings (1-based, by character).
		{`SubStr("abcdef", 2, 3)`, `"bcd"`},
		{`SubStr("abcdef", 4)`, `"def"`},
		{`SubStr("abcdef", 0)`, `"abcdef"`},
		{`SubStr("abcdef", -2)`, `"ef"`},
		{`SubStr("abcdef", 10)`, `""`},
		{`SubStr("abcdef", 2, 0)`, `""`},
		{`SubStr("abcdef", 5, 10)`, `"ef"`},
		{`SubStr("ação", 2, 2)`, `"çã"`},
		{`Left("abcdef", 2)`, `"ab"`},
		{`Left("ab", 5)`, `"ab"`},
		{`Left("ab", 0)`, `""`},
		{`Left("ção", 1)`, `"ç"`},
		{`Right("abcdef", 2)`, `"ef"`},
		{`Right("ab", 5)`, `"ab"`},
		{`Right("ab", -1)`, `""`},
		{`Right("ação", 2)`, `"ão"`},

		// Searching.
		{`At("c", "abcabc")`, `3`},
		{`At("x", "abc")`, `0`},
		{`At("", "abc")`, `0`},
		{`At("c", "abcabc", 4)`, `6`},
		{`At("o", "ação")`, `4`},
		{`Rat("c", "abcabc")`, `6`},
		{`Rat("x", "abc")`, `0`},
		{`Rat("@", "a@b@c")`, `4`},

		// Case.
		{`Upper("ação x")`, `"AÇÃO X"`},
		{`Lower("AÇÃO X")`, `"ação x"`},

		// StrTran.
		{`StrTran("a-b-c", "-", "+")`, `"a+b+c"`},
		{`StrTran("a-b-c", "-")`, `"abc"`},
		{`StrTran("a-b-c-d", "-", "+", 2)`, `"a-b+c+d"`},
		{`StrTran("a-b-c-d", "-", "+", 1, 2)`, `"a+b+c-d"`},
		{`StrTran("abc", "", "x")`, `"abc"`},

		// Tokens.
		{`StrTokArr("a;b;;c", ";")`, `{"a", "b", "c"}`},
		{`StrTokArr("a;b,c", ";,")`, `{"a", "b", "c"}`},
		{`StrTokArr("", ";")`, `{}`},
		{`StrTokArr("abc", ";")`, `{"abc"}`},
		{`StrTokArr2("a;b;;c", ";")`, `{"a", "b", "c"}`},
		{`StrTokArr2("a;b;;c", ";", true)`, `{"a", "b", "", "c"}`},
		{`StrTokArr2("a||b", "||")`, `{"a", "b"}`},

		// Building strings.
		{`Replicate("ab", 3)`, `"ababab"`},
		{`Replicate("ab", 0)`, `""`},
		{`Space(3)`, `"   "`},
		{`Space(0)`, `""`},
		{`PadR("ab", 4)`, `"ab  "`},
		{`PadR("abcdef", 3)`, `"abc"`},
		{`PadR("ab", 4, "*")`, `"ab**"`},
		{`PadL("ab", 4)`, `"  ab"`},
		{`PadL(42, 5, "0")`, `"00042"`},
		{`PadC("ab", 6)`, `"  ab  "`},
		{`PadR("ção", 4, ".")`, `"ção."`},

		// Arrays.
		{`local a = {} ; local x = aAdd(a, "v") ; return a, x`, `{"v"}, "v"`},
		{`local a = {1} ; aAdd(a, {2}) ; return a`, `{1, {2}}`},
		{`return aScan({"a", "b", "c"}, "b")`, `2`},
		{`return aScan({"abc"}, "ab")`, `0`},
		{`return aScan({1, 2, 3}, 4)`, `0`},
		{`return aScan({1, "1", true}, true)`, `3`},
		{`return aScan({5, 6, 7}, function(x) return x > 5 end)`, `2`},
		{`return aScan({5, 6, 7}, function(x, i) return i == 3 end)`, `3`},
		{`return aScan({1, 2, 1, 2}, 1, 2)`, `3`},
		{`return aScan({1, 2, 1, 2}, 1, 2, 1)`, `0`},
		{`return aScan({{"a", 1}, {"b", 2}}, function(x) return x[1] == "b" end)`, `2`},
		{`local a = {1, 2, 3, 4} ; aSize(a, 2) ; return a, Len(a)`, `{1, 2}, 2`},
		{`local a = {1} ; aSize(a, 3) ; return Len(a), a[3]`, `3, nil`},
		{`local a = {1, 2, 3} ; aDel(a, 1) ; return a, Len(a)`, `{2, 3}, 3`},
		{`local a = {1, 2, 3} ; aDel(a, 2) ; aSize(a, Len(a) - 1) ; return a, Len(a)`, `{1, 3}, 2`},
		{`local a = {1, 2, 3} ; aDel(a, 3) ; return Len(a), aTail(a)`, `3, nil`},
		{`local a = {1, 2} ; aDel(a, 5) ; return a, Len(a)`, `{1, 2}, 2`},
		{`local a = {1, 2} ; aDel(a, 1) ; aAdd(a, 9) ; return a, Len(a)`, `{2, 9}, 2`},
		{`local a = {1, {2, {3}}} ; local b = aClone(a) ; b[2][2][1] = 0 ; return a, b`, `{1, {2, {3}}}, {1, {2, {0}}}`},
		{`local a = {3, 1, 2} ; aSort(a) ; return a`, `{1, 2, 3}`},
		{`local a = {"b", "c", "a"} ; aSort(a) ; return a`, `{"a", "b", "c"}`},
		{`local a = {3, 1, 2} ; aSort(a, nil, nil, function(x, y) return x > y end) ; return a`, `{3, 2, 1}`},
		{`local a = {9, 3, 1, 2} ; aSort(a, 2) ; return a`, `{9, 1, 2, 3}`},
		{`local a = {StoD("20260102"), StoD("20250101")} ; aSort(a) ; return a`, `{D(20250101), D(20260102)}`},
		{`return aTail({1, 2, 3})`, `3`},
		{`return aTail({})`, `nil`},

		// Types.
		{`ValType("x")`, `"C"`},
		{`ValType(1)`, `"N"`},
		{`ValType(false)`, `"L"`},
		{`ValType({})`, `"A"`},
		{`ValType(nil)`, `"U"`},
		{`ValType(Date())`, `"D"`},
		{`ValType(function() end)`, `"B"`},
		{`ValType(setmetatable({}, {}))`, `"O"`},
		{`Iif(true, "a", "b")`, `"a"`},
		{`Iif(false, "a", "b")`, `"b"`},
		{`Iif(nil, "a", "b")`, `"b"`},
		{`IIF(1 > 0, 1, 2)`, `1`},

		// Dates.
		{`DtoS(Date())`, `"20261125"`},
		{`DtoC(Date())`, `"25/11/2026"`},
		{`tostring(Date())`, `"25/11/2026"`},
		{`"hoje: " .. Date()`, `"hoje: 25/11/2026"`},
		{`Time()`, `"14:30:05"`},
		{`Seconds()`, `52205`},
		{`DtoS(StoD("20240229"))`, `"20240229"`},
		{`DtoS(StoD("20230229"))`, `"        "`},
		{`DtoS(StoD(""))`, `"        "`},
		{`DtoC(StoD(""))`, `"  /  /    "`},
		{`DtoS(CtoD("01/02/2026"))`, `"20260201"`},
		{`DtoS(CtoD("01/02/26"))`, `"20260201"`},
		{`DtoS(CtoD("31/02/2026"))`, `"        "`},
		{`DtoS(Date() + 7)`, `"20261202"`},
		{`DtoS(7 + Date())`, `"20261202"`},
		{`DtoS(Date() - 25)`, `"20261031"`},
		{`StoD("20261231") - StoD("20260101")`, `364`},
		{`Date() == StoD("20261125")`, `true`},
		{`Date() < StoD("20261126")`, `true`},
		{`Date() <= StoD("20261124")`, `false`},
		{`Year(Date()), Month(Date()), Day(Date())`, `2026, 11, 25`},
		{`Year(StoD(""))`, `0`},

		// Classes.
		{`FindClass("TMailManager")`, `true`},
		{`FindClass("tmailmessage")`, `true`},
		{`FindClass("TMAILMNG")`, `true`},
		{`FindClass("TNoSuchClass")`, `false`},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			code := tc.expr
			if !strings.HasPrefix(code, "local ") && !strings.HasPrefix(code, "return ") {
				code = "return " + code
			}
			got, err := evalShow(t, r, code)
			if err != nil {
				t.Fatalf("%s: %v", tc.expr, err)
			}
			if got != tc.want {
				t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
			}
		})
	}
}

// TestPreludeErrors checks that wrong arguments raise clean Lua errors
// naming the function, the argument and the script line.
func TestPreludeErrors(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	tests := []struct {
		code string
		want string
	}{
		{`AllTrim(nil)`, `test:1: bad argument #1 to AllTrim (string expected, got nil)`},
		{`alltrim(12)`, `bad argument #1 to AllTrim (string expected, got number)`},
		{`Len(nil)`, `bad argument #1 to Len (string or array expected, got nil)`},
		{`Len(5)`, `bad argument #1 to Len (string or array expected, got number)`},
		{`SubStr("abc", "x")`, `bad argument #2 to SubStr (number expected, got string)`},
		{`aAdd(nil, 1)`, `bad argument #1 to aAdd (array expected, got nil)`},
		{`aScan("abc", "a")`, `bad argument #1 to aScan (array expected, got string)`},
		{`DtoS("20260101")`, `bad argument #1 to DtoS (date expected, got string)`},
		{`DtoC(nil)`, `bad argument #1 to DtoC (date expected, got nil)`},
		{`Str("1")`, `bad argument #1 to Str (number expected, got string)`},
		{`Upper({})`, `bad argument #1 to Upper (string expected, got table)`},
		{`StrTokArr("a;b")`, `bad argument #2 to StrTokArr (string expected, got nil)`},
		{`aSize({}, -1)`, `length must not be negative`},
		{`local d = Date() + "x"`, `only a date and a number of days can be added`},
		{`local x = Date() < 5`, `attempt to compare userdata with number`},
		{`aSort({3, 1}, nil, nil, 5)`, `bad argument #4 to aSort (function expected, got number)`},
		{`aScan({1}, function() error("inner") end)`, `test:1: inner`},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			_, err := r.Eval(context.Background(), "test", tc.code)
			if err == nil {
				t.Fatalf("%s: no error", tc.code)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %q, want it to contain %q", tc.code, err, tc.want)
			}
		})
	}
}

func TestConOut(t *testing.T) {
	r, out := newTestRuntime(t, Options{})
	code := `
conout("one")
ConOut("a", 1, 2.5, true, nil)
CONOUT(Date())
print("p", 1)
`
	if err := r.DoString(context.Background(), code); err != nil {
		t.Fatal(err)
	}
	want := "one\na 1 2.5 .T. NIL\n25/11/2026\np\t1\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}

func TestVarInfo(t *testing.T) {
	r, out := newTestRuntime(t, Options{})
	code := `
local a = {"x", {1, true}, Date(), k = "v"}
local s = varinfo("aData", a)
local t = {}
t.self = t
local s2 = VarInfo("t", t, 2, false, false)
local s3 = VarInfo("n", 42, 0, false, false)
return s, s2, s3`
	vals, err := r.Eval(context.Background(), "test", code)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		`-> aData (A) [4]`,
		`     aData[1] (C) [x]`,
		`     aData[2] (A) [2]`,
		`          aData[2][1] (N) [1]`,
		`          aData[2][2] (L) [.T.]`,
		`     aData[3] (D) [25/11/2026]`,
		`     aData["k"] (C) [v]`,
	}, "\n")
	if got := vals[0].String(); got != want {
		t.Errorf("varinfo returned\n%s\nwant\n%s", got, want)
	}
	if out.String() != want+"\n" {
		t.Errorf("varinfo printed\n%s\nwant\n%s", out.String(), want)
	}
	want2 := "  -> t (A) [1]\n       t[\"self\"] (A) [recursive: t]"
	if got := vals[1].String(); got != want2 {
		t.Errorf("recursive varinfo\n%s\nwant\n%s", got, want2)
	}
	if got := vals[2].String(); got != "-> n (N) [42]" {
		t.Errorf("scalar varinfo %q", got)
	}
}

func TestSleep(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	start := time.Now()
	if err := r.DoString(context.Background(), `Sleep(30) ; sleep(0) ; SLEEP(-5)`); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("Sleep(30) returned after %v", d)
	}
}

func TestFileFunctions(t *testing.T) {
	dir := t.TempDir()
	r, _ := newTestRuntime(t, Options{})
	f := filepath.Join(dir, "memo.txt")
	sub := filepath.Join(dir, "a", "b")
	code := fmt.Sprintf(`
local f, sub, dir = %q, %q, %q
local r = {}
r[1] = File(f)
r[2] = MemoWrite(f, "linha 1\r\nação")
r[3] = File(f)
r[4] = MemoRead(f)
r[5] = MemoRead(f .. ".missing")
r[6] = File(dir .. "/*.txt")
r[7] = File(dir .. "/*.xml")
r[8] = FErase(f)
r[9] = FErase(f)
r[10] = File(f)
r[11] = ExistDir(sub)
r[12] = MakeDir(sub)
r[13] = ExistDir(sub)
r[14] = File(sub)
return r`, f, sub, dir)
	got, err := evalShow(t, r, code)
	if err != nil {
		t.Fatal(err)
	}
	want := `{false, true, true, "linha 1\r\nação", "", true, false, 0, -1, false, false, 0, true, false}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestPreludeFuncsDocumented(t *testing.T) {
	specs := PreludeFuncs()
	names := map[string]bool{}
	for _, s := range specs {
		if s.Doc == "" {
			t.Errorf("%s has no doc", s.Name)
		}
		names[strings.ToLower(s.Name)] = true
	}
	for _, want := range []string{"conout", "varinfo", "len", "aadd", "ascan", "asize", "adel", "aclone", "asort",
		"alltrim", "trim", "rtrim", "ltrim", "empty", "cvaltochar", "val", "str", "strzero", "substr", "left", "right",
		"at", "rat", "upper", "lower", "strtran", "strtokarr", "strtokarr2", "replicate", "space", "padr", "padl",
		"date", "time", "dtos", "dtoc", "sleep", "memoread", "memowrite", "file", "ferase", "valtype",
		"getsrvininame", "getpvprofstring", "writepprostring", "deletekeyini", "findclass", "iif"} {
		if !names[want] {
			t.Errorf("prelude lacks %s", want)
		}
	}
	// Every documented function is callable in any letter case.
	r, _ := newTestRuntime(t, Options{})
	for _, s := range specs {
		for _, name := range []string{s.Name, strings.ToUpper(s.Name), strings.ToLower(s.Name)} {
			vals, err := r.Eval(context.Background(), "test", "return type("+name+")")
			if err != nil || len(vals) != 1 || vals[0].String() != "function" {
				t.Errorf("%s is not a function (%v)", name, err)
			}
		}
	}
}

func TestGetMV(t *testing.T) {
	ini := "[Mail]\nProtocol=POP3\n[parameters]\nMV_RELSERV=smtp.x.com:587\nmv_relauth=.T.\nMV_RELSSL=.f.\nMV_RELTIME=120\nMV_RELPSW=123456\nMV_FLAG=1\n"
	r, err := New(Options{INI: []byte(ini)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tests := []struct{ code, want string }{
		{`return SuperGetMV("MV_RELSERV", false, "x")`, "smtp.x.com:587"},
		{`return SuperGetMV("MV_RELAUTH", false, false)`, "true"},
		{`return supergetmv("MV_RELSSL", false, true)`, "false"},
		{`return SuperGetMV("MV_RELTIME", false, 60) + 1`, "121"},
		{`return type(SuperGetMV("MV_RELPSW", false, ""))`, "string"},
		{`return SuperGetMV("MV_FLAG", false, false)`, "true"},
		{`return SuperGetMV("MV_MISSING", false, 42)`, "42"},
		{`return GetMV("MV_MISSING") == nil`, "true"},
		{`return GetMV("MV_RELSERV")`, "smtp.x.com:587"},
	}
	for _, tt := range tests {
		vals, err := r.Eval(context.Background(), "test", tt.code)
		if err != nil {
			t.Errorf("%s: %v", tt.code, err)
			continue
		}
		if len(vals) != 1 || vals[0].String() != tt.want {
			t.Errorf("%s = %v, want %s", tt.code, vals, tt.want)
		}
	}
}
