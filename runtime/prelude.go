package runtime

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/bindings"
)

// The AdvPL prelude: the global functions of the TOTVS runtime that mail
// scripts use around the mail classes. Every name resolves in any letter
// case. Arrays are Lua sequences, logicals are booleans, dates are Date
// values, nil is NIL.

// fcall is one call of a prelude function: argument checks with messages
// naming the function, as "bad argument #1 to AllTrim (string expected,
// got nil)".
type fcall struct {
	L    *lua.LState
	r    *Runtime
	name string
}

// typeName names the type of v in error messages.
func typeName(v lua.LValue) string {
	if _, ok := ToDate(v); ok {
		return "date"
	}
	return v.Type().String()
}

func (c fcall) argError(n int, want string) {
	c.L.RaiseError("bad argument #%d to %s (%s expected, got %s)", n, c.name, want, typeName(c.L.Get(n)))
}

func (c fcall) str(n int) string {
	s, ok := c.L.Get(n).(lua.LString)
	if !ok {
		c.argError(n, "string")
	}
	return string(s)
}

func (c fcall) optStr(n int, def string) string {
	if c.L.Get(n) == lua.LNil {
		return def
	}
	return c.str(n)
}

func (c fcall) num(n int) float64 {
	v, ok := c.L.Get(n).(lua.LNumber)
	if !ok {
		c.argError(n, "number")
	}
	return float64(v)
}

func (c fcall) integer(n int) int {
	f := c.num(n)
	if math.IsNaN(f) || math.Abs(f) > 1<<53 {
		c.L.RaiseError("bad argument #%d to %s (number out of range)", n, c.name)
	}
	return int(f)
}

func (c fcall) optInt(n int, def int) int {
	if c.L.Get(n) == lua.LNil {
		return def
	}
	return c.integer(n)
}

func (c fcall) optBool(n int, def bool) bool {
	switch v := c.L.Get(n).(type) {
	case *lua.LNilType:
		return def
	case lua.LBool:
		return bool(v)
	}
	c.argError(n, "boolean")
	return def
}

func (c fcall) table(n int) *lua.LTable {
	t, ok := c.L.Get(n).(*lua.LTable)
	if !ok {
		c.argError(n, "array")
	}
	return t
}

func (c fcall) date(n int) Date {
	d, ok := ToDate(c.L.Get(n))
	if !ok {
		c.argError(n, "date")
	}
	return d
}

func (c fcall) push(v lua.LValue) int {
	c.L.Push(v)
	return 1
}

func (c fcall) pushStr(s string) int { return c.push(lua.LString(s)) }

// strings returns a Lua array of ss.
func (c fcall) strings(ss []string) *lua.LTable {
	t := c.L.CreateTable(len(ss), 0)
	for _, s := range ss {
		t.Append(lua.LString(s))
	}
	return t
}

// preludeFunc is a documented prelude function.
type preludeFunc struct {
	bindings.FuncSpec
	fn func(c fcall) int
}

func p(name, typ, doc string) bindings.Param {
	return bindings.Param{Name: name, Type: typ, Doc: doc}
}

func o(name, typ, doc string) bindings.Param {
	return bindings.Param{Name: name, Type: typ, Optional: true, Doc: doc}
}

func spec(name, doc string, ret []bindings.Param, params ...bindings.Param) bindings.FuncSpec {
	return bindings.FuncSpec{Name: name, Doc: doc, Params: params, Returns: ret}
}

func r1(name, typ, doc string) []bindings.Param { return []bindings.Param{p(name, typ, doc)} }

// PreludeFuncs documents the prelude functions every Runtime installs, for
// LuaLS stubs and REPL completion, sorted by name.
func PreludeFuncs() []bindings.FuncSpec {
	fns := preludeTable()
	out := make([]bindings.FuncSpec, len(fns))
	for i, f := range fns {
		out[i] = f.FuncSpec
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

// openPrelude installs the prelude into the state.
func (r *Runtime) openPrelude() {
	r.initDate()
	for _, f := range preludeTable() {
		name, fn := f.Name, f.fn
		bindings.AddGlobal(r.ls, name, r.ls.NewFunction(func(L *lua.LState) int {
			return fn(fcall{L: L, r: r, name: name})
		}))
	}
	// dDataBase is today's date until RpcSetEnv or the script sets it.
	r.ls.SetGlobal("dDataBase", r.DateValue(DateOf(r.now())))
}

// The prelude functions, built on first use (not at process start: a
// script that calls none of them does not pay for the table).
var (
	preludeOnce sync.Once
	preludeFns  []preludeFunc
)

// preludeTable returns the prelude functions.
func preludeTable() []preludeFunc {
	preludeOnce.Do(func() { preludeFns = buildPrelude() })
	return preludeFns
}

func buildPrelude() []preludeFunc {
	prelude := []preludeFunc{
		// Console.
		{spec("ConOut", "Writes its arguments, joined with spaces, as one line to the console (stdout).", nil,
			p("xText", "U", "values to write; non-strings are converted as cValToChar does (nil as NIL)")),
			fnConOut},
		{spec("VarInfo", "Returns an AdvPL-style dump of a value, nested arrays included, and writes it to the console.",
			r1("cInfo", "C", "the dump"),
			p("cName", "C", "name shown for the value"), p("xValue", "U", "value to describe"),
			o("nMargin", "N", "spaces before every line"), o("lHtml", "L", "ignored"),
			o("lEcho", "L", "write to the console (default .T.)")),
			fnVarInfo},

		// Types and conversions.
		{spec("ValType", "Returns the AdvPL type letter of a value: C N L A O U D B.", r1("cType", "C", "type letter"),
			p("xValue", "U", "value")), fnValType},
		{spec("Empty", "Reports whether a value is empty: nil, blank string, 0, .F., empty array, empty date.",
			r1("lEmpty", "L", ""), p("xValue", "U", "value")), fnEmpty},
		{spec("cValToChar", "Converts a value to text: numbers without padding, .T./.F., dates as DD/MM/YYYY, nil as \"\".",
			r1("cText", "C", ""), p("xValue", "U", "value")), fnCValToChar},
		{spec("Val", "Returns the number at the start of a string (0 when none).", r1("nValue", "N", ""),
			p("cText", "C", "text")), fnVal},
		{spec("Str", "Formats a number right-aligned; asterisks when it does not fit.", r1("cText", "C", ""),
			p("nValue", "N", "number"), o("nLen", "N", "width (default 10, 13 for non-integers)"),
			o("nDec", "N", "decimals (default 0, 2 for non-integers without nLen)")), fnStr},
		{spec("StrZero", "Formats a number padded with zeros to nLen characters.", r1("cText", "C", ""),
			p("nValue", "N", "number"), p("nLen", "N", "width"), o("nDec", "N", "decimals")), fnStrZero},
		{spec("Iif", "Returns xTrue when lCond holds, else xFalse (both are evaluated).", r1("xValue", "U", ""),
			p("lCond", "L", "condition"), p("xTrue", "U", ""), p("xFalse", "U", "")), fnIif},

		// Strings.
		{spec("Len", "Returns the number of characters of a string or of elements of an array.", r1("nLen", "N", ""),
			p("xValue", "C|A", "string or array")), fnLen},
		{spec("AllTrim", "Removes leading and trailing blanks.", r1("cText", "C", ""), p("cText", "C", "text")), trimFn("AllTrim", 'B')},
		{spec("Trim", "Removes trailing blanks.", r1("cText", "C", ""), p("cText", "C", "text")), trimFn("Trim", 'R')},
		{spec("RTrim", "Removes trailing blanks.", r1("cText", "C", ""), p("cText", "C", "text")), trimFn("RTrim", 'R')},
		{spec("LTrim", "Removes leading blanks.", r1("cText", "C", ""), p("cText", "C", "text")), trimFn("LTrim", 'L')},
		{spec("SubStr", "Returns part of a string; nStart is 1-based, negative counts from the end.", r1("cPart", "C", ""),
			p("cText", "C", "text"), p("nStart", "N", "first character"), o("nCount", "N", "number of characters (default: to the end)")),
			fnSubStr},
		{spec("Left", "Returns the first nCount characters.", r1("cPart", "C", ""),
			p("cText", "C", "text"), p("nCount", "N", "number of characters")), fnLeft},
		{spec("Right", "Returns the last nCount characters.", r1("cPart", "C", ""),
			p("cText", "C", "text"), p("nCount", "N", "number of characters")), fnRight},
		{spec("At", "Returns the 1-based position of cSearch in cTarget, 0 when absent.", r1("nPos", "N", ""),
			p("cSearch", "C", "text to find"), p("cTarget", "C", "text to search"), o("nStart", "N", "first position searched")),
			fnAt},
		{spec("Rat", "Returns the 1-based position of the last cSearch in cTarget, 0 when absent.", r1("nPos", "N", ""),
			p("cSearch", "C", "text to find"), p("cTarget", "C", "text to search")), fnRat},
		{spec("Upper", "Converts to upper case.", r1("cText", "C", ""), p("cText", "C", "text")), caseFn("Upper", upper)},
		{spec("Lower", "Converts to lower case.", r1("cText", "C", ""), p("cText", "C", "text")), caseFn("Lower", lower)},
		{spec("StrTran", "Replaces occurrences of cSearch with cReplace (default \"\").", r1("cText", "C", ""),
			p("cText", "C", "text"), p("cSearch", "C", "text to replace"), o("cReplace", "C", "replacement"),
			o("nStart", "N", "first occurrence replaced (default 1)"), o("nCount", "N", "occurrences replaced (default all)")),
			fnStrTran},
		{spec("StrTokArr", "Splits a string at any of the characters of cDelim, dropping empty tokens.", r1("aTokens", "A", ""),
			p("cText", "C", "text"), p("cDelim", "C", "delimiter characters")), fnStrTokArr},
		{spec("StrTokArr2", "Splits a string at every cDelim, keeping empty tokens when lEmpty.", r1("aTokens", "A", ""),
			p("cText", "C", "text"), p("cDelim", "C", "delimiter"), o("lEmpty", "L", "keep empty tokens (default .F.)")),
			fnStrTokArr2},
		{spec("Replicate", "Repeats a string nTimes.", r1("cText", "C", ""),
			p("cText", "C", "text"), p("nTimes", "N", "repetitions")), fnReplicate},
		{spec("Space", "Returns nCount spaces.", r1("cText", "C", ""), p("nCount", "N", "number of spaces")), fnSpace},
		{spec("PadR", "Pads on the right (or cuts) to nLen characters.", r1("cText", "C", ""),
			p("xValue", "U", "value (converted as cValToChar)"), p("nLen", "N", "length"), o("cFill", "C", "fill character (default space)")),
			padFn("PadR", 'R')},
		{spec("PadL", "Pads on the left (or cuts) to nLen characters.", r1("cText", "C", ""),
			p("xValue", "U", "value (converted as cValToChar)"), p("nLen", "N", "length"), o("cFill", "C", "fill character (default space)")),
			padFn("PadL", 'L')},
		{spec("PadC", "Centres (or cuts) to nLen characters.", r1("cText", "C", ""),
			p("xValue", "U", "value (converted as cValToChar)"), p("nLen", "N", "length"), o("cFill", "C", "fill character (default space)")),
			padFn("PadC", 'C')},

		// Arrays.
		{spec("aAdd", "Appends xValue to an array and returns xValue.", r1("xValue", "U", ""),
			p("aArray", "A", "array"), p("xValue", "U", "element")), fnAAdd},
		{spec("aScan", "Returns the index of the first element equal to xValue, or for which bSeek(x, i) is true; 0 when none.",
			r1("nPos", "N", ""), p("aArray", "A", "array"), p("xValue", "U|B", "value or function"),
			o("nStart", "N", "first index (default 1)"), o("nCount", "N", "elements searched (default all)")), fnAScan},
		{spec("aSize", "Shortens or lengthens (with NIL) an array to nLen elements and returns it.", r1("aArray", "A", ""),
			p("aArray", "A", "array"), p("nLen", "N", "new length")), fnASize},
		{spec("aDel", "Deletes element nPos, shifting the rest left; the last element becomes NIL (Len is unchanged).",
			r1("aArray", "A", ""), p("aArray", "A", "array"), p("nPos", "N", "index")), fnADel},
		{spec("aClone", "Returns a deep copy of an array.", r1("aCopy", "A", ""), p("aArray", "A", "array")), fnAClone},
		{spec("aSort", "Sorts an array in place, ascending or by bOrder(x, y) (true when x goes first), and returns it.",
			r1("aArray", "A", ""), p("aArray", "A", "array"), o("nStart", "N", "first index"), o("nCount", "N", "elements sorted"),
			o("bOrder", "B", "comparison")), fnASort},
		{spec("aTail", "Returns the last element of an array (nil when empty).", r1("xValue", "U", ""),
			p("aArray", "A", "array")), fnATail},

		// Dates and time.
		{spec("Date", "Returns today's date.", r1("dDate", "D", "")), fnDate},
		{spec("Time", "Returns the time of day as HH:MM:SS.", r1("cTime", "C", "")), fnTime},
		{spec("Seconds", "Returns the seconds elapsed since midnight.", r1("nSeconds", "N", "")), fnSeconds},
		{spec("DtoS", "Formats a date as YYYYMMDD (8 blanks when empty).", r1("cDate", "C", ""), p("dDate", "D", "date")), fnDtoS},
		{spec("DtoC", "Formats a date as DD/MM/YYYY.", r1("cDate", "C", ""), p("dDate", "D", "date")), fnDtoC},
		{spec("StoD", "Parses a YYYYMMDD string (empty date when invalid).", r1("dDate", "D", ""), p("cDate", "C", "YYYYMMDD")), fnStoD},
		{spec("CtoD", "Parses a DD/MM/YYYY string (empty date when invalid).", r1("dDate", "D", ""), p("cDate", "C", "DD/MM/YYYY")), fnCtoD},
		{spec("Year", "Returns the year of a date (0 when empty).", r1("nYear", "N", ""), p("dDate", "D", "date")), datePart("Year")},
		{spec("Month", "Returns the month of a date (0 when empty).", r1("nMonth", "N", ""), p("dDate", "D", "date")), datePart("Month")},
		{spec("Day", "Returns the day of a date (0 when empty).", r1("nDay", "N", ""), p("dDate", "D", "date")), datePart("Day")},
		{spec("Sleep", "Waits nMillis milliseconds (ends early when the script is cancelled).", nil,
			p("nMillis", "N", "milliseconds")), fnSleep},

		// Files.
		{spec("MemoRead", "Returns the content of a file (\"\" when it cannot be read).", r1("cText", "C", ""),
			p("cFile", "C", "file")), fnMemoRead},
		{spec("MemoWrite", "Writes cText to a file, replacing it.", r1("lOk", "L", ""),
			p("cFile", "C", "file"), p("cText", "C", "content")), fnMemoWrite},
		{spec("File", "Reports whether a file exists; cFile may hold * and ? wildcards.", r1("lExists", "L", ""),
			p("cFile", "C", "file or pattern")), fnFile},
		{spec("FErase", "Deletes a file; returns 0 on success, -1 on failure.", r1("nResult", "N", ""),
			p("cFile", "C", "file")), fnFErase},
		{spec("MakeDir", "Creates a directory (and its parents); returns 0 on success, -1 on failure.", r1("nResult", "N", ""),
			p("cDir", "C", "directory")), fnMakeDir},
		{spec("ExistDir", "Reports whether a directory exists.", r1("lExists", "L", ""), p("cDir", "C", "directory")), fnExistDir},

		// Server ini.
		{spec("GetSrvIniName", "Returns the path of the server ini (appserver.ini).", r1("cFile", "C", "")), fnGetSrvIniName},
		{spec("GetPvProfString", "Reads a key of an ini file; section and key names match in any case.", r1("cValue", "C", ""),
			p("cSection", "C", "section"), p("cKey", "C", "key"), p("cDefault", "C", "value when absent"),
			o("cFile", "C", "ini file (default: the server ini)")), fnGetPvProfString},
		{spec("WritePProString", "Writes a key of an ini file; writing [Mail] keys of the server ini changes the mail configuration at the next connect.",
			r1("lOk", "L", ""), p("cSection", "C", "section"), p("cKey", "C", "key"), p("cValue", "C", "value"),
			o("cFile", "C", "ini file (default: the server ini)")), fnWritePProString},
		{spec("DeleteKeyINI", "Removes a key from an ini file.", r1("lOk", "L", ""),
			p("cSection", "C", "section"), p("cKey", "C", "key"), o("cFile", "C", "ini file (default: the server ini)")),
			fnDeleteKeyINI},

		// System parameters (SX6), read from the [Parameters] section of the server ini.
		{spec("GetMV", "Returns system parameter cParam from [Parameters] of the server ini (nil when absent, or xDefault).",
			r1("xValue", "U", ""), p("cParam", "C", "parameter name, e.g. MV_RELSERV"), o("lHelp", "L", "ignored"),
			o("xDefault", "U", "value when absent; its type converts the stored text")), fnGetMV},
		{spec("SuperGetMV", "Returns system parameter cParam from [Parameters] of the server ini, or xDefault; the type of xDefault converts the stored text (\".T.\"/\".F.\" are logical).",
			r1("xValue", "U", ""), p("cParam", "C", "parameter name, e.g. MV_RELSERV"), o("lHelp", "L", "ignored"),
			o("xDefault", "U", "value when absent"), o("cFilial", "C", "ignored")), fnGetMV},

		// Classes.
		{spec("FindClass", "Reports whether a class exists (TMailManager, TMailMessage, TMailMng, …).", r1("lFound", "L", ""),
			p("cClass", "C", "class name")), fnFindClass},
	}
	return mergePrelude(prelude, dbPrelude(), envPrelude(), morePrelude(), filePrelude(), uiPrelude(), jobPrelude(), jsonPrelude())
}

// mergePrelude appends the groups to base; a later entry replaces an
// earlier one of the same name (in any letter case).
func mergePrelude(base []preludeFunc, groups ...[]preludeFunc) []preludeFunc {
	index := map[string]int{}
	for i, f := range base {
		index[strings.ToLower(f.Name)] = i
	}
	for _, g := range groups {
		for _, f := range g {
			k := strings.ToLower(f.Name)
			if i, ok := index[k]; ok {
				base[i] = f
				continue
			}
			index[k] = len(base)
			base = append(base, f)
		}
	}
	return base
}

// Console.

func fnConOut(c fcall) int {
	n := c.L.GetTop()
	parts := make([]string, n)
	for i := 1; i <= n; i++ {
		parts[i-1] = displayText(c.L, c.L.Get(i))
	}
	fmt.Fprintln(c.r.stdout, strings.Join(parts, " "))
	return 0
}

func fnVarInfo(c fcall) int {
	name := textOf(c.L.Get(1))
	margin := c.optInt(3, 0)
	echo := c.optBool(5, true)
	s := c.r.varInfo(name, c.L.Get(2), margin)
	if echo {
		fmt.Fprintln(c.r.stdout, s)
	}
	return c.pushStr(s)
}

// Types and conversions.

// valType returns the AdvPL type letter of v.
func valType(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return "C"
	case lua.LNumber:
		return "N"
	case lua.LBool:
		return "L"
	case *lua.LNilType:
		return "U"
	case *lua.LFunction:
		return "B"
	case *lua.LTable:
		if v.Metatable != lua.LNil {
			return "O"
		}
		return "A"
	}
	if _, ok := ToDate(v); ok {
		return "D"
	}
	return "O"
}

func fnValType(c fcall) int { return c.pushStr(valType(c.L.Get(1))) }

func fnEmpty(c fcall) int {
	v := c.L.Get(1)
	empty := false
	switch x := v.(type) {
	case *lua.LNilType:
		empty = true
	case lua.LString:
		empty = strings.Trim(string(x), blanks) == ""
	case lua.LNumber:
		empty = x == 0
	case lua.LBool:
		empty = !bool(x)
	case *lua.LTable:
		if x.Metatable == lua.LNil {
			k, _ := x.Next(lua.LNil)
			empty = k == lua.LNil && c.r.arrLen(x) == 0
		}
	default:
		if d, ok := ToDate(v); ok {
			empty = d.IsZero()
		}
	}
	return c.push(lua.LBool(empty))
}

func fnCValToChar(c fcall) int { return c.pushStr(textOf(c.L.Get(1))) }

func fnVal(c fcall) int {
	if n, ok := c.L.Get(1).(lua.LNumber); ok {
		return c.push(n)
	}
	return c.push(lua.LNumber(val(c.str(1))))
}

func fnStr(c fcall) int {
	n := c.num(1)
	dec := c.optInt(3, 0)
	width := -1 // AdvPL default
	switch {
	case c.L.Get(2) != lua.LNil:
		width = max(c.integer(2), 1)
	case c.L.Get(3) != lua.LNil:
		width = 10
		if dec > 0 {
			width += dec + 1
		}
	}
	return c.pushStr(strNum(n, width, dec))
}

func fnStrZero(c fcall) int {
	width := c.integer(2)
	if width < 1 {
		width = 1
	}
	return c.pushStr(strZero(c.num(1), width, c.optInt(3, 0)))
}

func fnIif(c fcall) int {
	if lua.LVAsBool(c.L.Get(1)) {
		return c.push(c.L.Get(2))
	}
	return c.push(c.L.Get(3))
}

// Strings.

func fnLen(c fcall) int {
	switch v := c.L.Get(1).(type) {
	case lua.LString:
		return c.push(lua.LNumber(charCount(string(v))))
	case *lua.LTable:
		return c.push(lua.LNumber(c.r.arrLen(v)))
	}
	c.argError(1, "string or array")
	return 0
}

func trimFn(name string, side byte) func(c fcall) int {
	return func(c fcall) int {
		s := c.str(1)
		switch side {
		case 'L':
			s = strings.TrimLeft(s, blanks)
		case 'R':
			s = strings.TrimRight(s, blanks)
		default:
			s = strings.Trim(s, blanks)
		}
		return c.pushStr(s)
	}
}

func caseFn(name string, f func(string) string) func(c fcall) int {
	return func(c fcall) int { return c.pushStr(f(c.str(1))) }
}

func fnSubStr(c fcall) int {
	s := c.str(1)
	start := c.integer(2)
	n := c.optInt(3, -1)
	if c.L.Get(3) != lua.LNil && n <= 0 {
		return c.pushStr("")
	}
	l := charCount(s)
	from := 0
	switch {
	case start > 0:
		from = start - 1
	case start < 0:
		from = max(l+start, 0)
	}
	if from >= l {
		return c.pushStr("")
	}
	return c.pushStr(charSlice(s, from, n))
}

func fnLeft(c fcall) int {
	s, n := c.str(1), c.integer(2)
	if n <= 0 {
		return c.pushStr("")
	}
	return c.pushStr(charSlice(s, 0, n))
}

func fnRight(c fcall) int {
	s, n := c.str(1), c.integer(2)
	if n <= 0 {
		return c.pushStr("")
	}
	l := charCount(s)
	if n >= l {
		return c.pushStr(s)
	}
	return c.pushStr(charSlice(s, l-n, -1))
}

func fnAt(c fcall) int {
	search, target := c.str(1), c.str(2)
	start := c.optInt(3, 1)
	if search == "" {
		return c.push(lua.LNumber(0))
	}
	off := charOffset(target, start-1)
	i := strings.Index(target[off:], search)
	if i < 0 {
		return c.push(lua.LNumber(0))
	}
	return c.push(lua.LNumber(charPos(target, off+i)))
}

func fnRat(c fcall) int {
	search, target := c.str(1), c.str(2)
	if search == "" {
		return c.push(lua.LNumber(0))
	}
	i := strings.LastIndex(target, search)
	if i < 0 {
		return c.push(lua.LNumber(0))
	}
	return c.push(lua.LNumber(charPos(target, i)))
}

func fnStrTran(c fcall) int {
	s, search := c.str(1), c.str(2)
	repl := c.optStr(3, "")
	start := c.optInt(4, 1)
	count := c.optInt(5, -1)
	return c.pushStr(strTran(s, search, repl, start, count))
}

func fnStrTokArr(c fcall) int {
	return c.push(c.strings(tokens(c.str(1), c.str(2), true, false)))
}

func fnStrTokArr2(c fcall) int {
	return c.push(c.strings(tokens(c.str(1), c.str(2), false, c.optBool(3, false))))
}

func fnReplicate(c fcall) int {
	s, n := c.str(1), c.integer(2)
	if n <= 0 || s == "" {
		return c.pushStr("")
	}
	if len(s)*n > 256<<20 {
		c.L.RaiseError("Replicate: result larger than 256 MB")
	}
	return c.pushStr(strings.Repeat(s, n))
}

func fnSpace(c fcall) int {
	n := c.integer(1)
	if n <= 0 {
		return c.pushStr("")
	}
	if n > 256<<20 {
		c.L.RaiseError("Space: result larger than 256 MB")
	}
	return c.pushStr(strings.Repeat(" ", n))
}

func padFn(name string, side byte) func(c fcall) int {
	return func(c fcall) int {
		v := c.L.Get(1)
		switch v.Type() {
		case lua.LTString, lua.LTNumber, lua.LTBool, lua.LTNil:
		default:
			if _, ok := ToDate(v); !ok {
				c.argError(1, "string")
			}
		}
		n := c.integer(2)
		if n > 256<<20 {
			c.L.RaiseError("%s: result larger than 256 MB", name)
		}
		return c.pushStr(pad(textOf(v), n, firstChar(c.optStr(3, " ")), side))
	}
}

// Arrays. Lua sequences cannot end in nil, but AdvPL arrays can (aSize
// growing an array, aDel emptying its last slot). The runtime remembers
// such trailing NILs per table, as long as the table's raw length does not
// change behind its back, so that Len, aSize, aScan and the common
// "aDel(a, n); aSize(a, Len(a)-1)" idiom behave as in AdvPL.

// pendingNils records trailing NIL elements of a table whose raw length
// is rawLen.
type pendingNils struct{ n, rawLen int }

// arrLen returns the AdvPL length of t: its raw length plus trailing NILs.
func (r *Runtime) arrLen(t *lua.LTable) int {
	n := t.Len()
	if p, ok := r.deleted[t]; ok {
		if p.rawLen == n {
			return n + p.n
		}
		delete(r.deleted, t)
	}
	return n
}

// setLen records that t has AdvPL length l.
func (r *Runtime) setLen(t *lua.LTable, l int) {
	raw := t.Len()
	if l > raw {
		r.deleted[t] = pendingNils{n: l - raw, rawLen: raw}
	} else {
		delete(r.deleted, t)
	}
}

func fnAAdd(c fcall) int {
	t := c.table(1)
	v := c.L.Get(2)
	if v == lua.LNil {
		c.r.setLen(t, c.r.arrLen(t)+1)
		return c.push(v)
	}
	// Trailing NILs cannot precede a value in a Lua sequence: they are
	// dropped and the value goes right after the last non-NIL element.
	delete(c.r.deleted, t)
	t.Append(v)
	return c.push(v)
}

// advEqual compares as aScan does: same type and value; tables, functions
// and objects by identity.
func advEqual(a, b lua.LValue) bool {
	if da, ok := ToDate(a); ok {
		db, ok := ToDate(b)
		return ok && da.t.Equal(db.t)
	}
	return a.Type() == b.Type() && a == b
}

func fnAScan(c fcall) int {
	t := c.table(1)
	x := c.L.Get(2)
	start := max(c.optInt(3, 1), 1)
	l := c.r.arrLen(t)
	end := l
	if c.L.Get(4) != lua.LNil {
		end = min(start+c.integer(4)-1, l)
	}
	fn, isFn := x.(*lua.LFunction)
	for i := start; i <= end; i++ {
		v := t.RawGetInt(i)
		if isFn {
			c.L.Push(fn)
			c.L.Push(v)
			c.L.Push(lua.LNumber(i))
			c.L.Call(2, 1)
			ok := lua.LVAsBool(c.L.Get(-1))
			c.L.Pop(1)
			if ok {
				return c.push(lua.LNumber(i))
			}
		} else if advEqual(v, x) {
			return c.push(lua.LNumber(i))
		}
	}
	return c.push(lua.LNumber(0))
}

func fnASize(c fcall) int {
	t := c.table(1)
	n := c.integer(2)
	if n < 0 {
		c.L.RaiseError("bad argument #2 to aSize (length must not be negative)")
	}
	if n > 1<<24 {
		c.L.RaiseError("bad argument #2 to aSize (length too large)")
	}
	for i := t.Len(); i > n; i-- {
		t.RawSetInt(i, lua.LNil)
	}
	c.r.setLen(t, n)
	return c.push(t)
}

func fnADel(c fcall) int {
	t := c.table(1)
	pos := c.integer(2)
	l := c.r.arrLen(t)
	if pos < 1 || pos > l {
		return c.push(t)
	}
	raw := t.Len()
	if pos <= raw {
		for i := pos; i < raw; i++ {
			t.RawSetInt(i, t.RawGetInt(i+1))
		}
		t.RawSetInt(raw, lua.LNil)
	}
	c.r.setLen(t, l)
	return c.push(t)
}

func fnAClone(c fcall) int {
	return c.push(c.r.cloneTable(c.table(1), map[*lua.LTable]*lua.LTable{}))
}

// cloneTable deep-copies plain tables (arrays and nested arrays); objects,
// functions and tables with a metatable are shared.
func (r *Runtime) cloneTable(t *lua.LTable, seen map[*lua.LTable]*lua.LTable) *lua.LTable {
	if c, ok := seen[t]; ok {
		return c
	}
	out := r.ls.CreateTable(t.Len(), 0)
	seen[t] = out
	t.ForEach(func(k, v lua.LValue) {
		if sub, ok := v.(*lua.LTable); ok && sub.Metatable == lua.LNil {
			v = r.cloneTable(sub, seen)
		}
		out.RawSet(k, v)
	})
	if l := r.arrLen(t); l > t.Len() {
		r.setLen(out, l)
	}
	return out
}

// advLess is aSort's default order: nil, logicals, numbers, dates,
// strings, then everything else, each ascending.
func advLess(a, b lua.LValue) bool {
	ra, rb := sortRank(a), sortRank(b)
	if ra != rb {
		return ra < rb
	}
	switch x := a.(type) {
	case lua.LBool:
		return !bool(x) && bool(b.(lua.LBool))
	case lua.LNumber:
		return x < b.(lua.LNumber)
	case lua.LString:
		return x < b.(lua.LString)
	}
	if da, ok := ToDate(a); ok {
		db, _ := ToDate(b)
		return da.t.Before(db.t)
	}
	return false
}

func sortRank(v lua.LValue) int {
	switch v.Type() {
	case lua.LTNil:
		return 0
	case lua.LTBool:
		return 1
	case lua.LTNumber:
		return 2
	case lua.LTString:
		return 4
	}
	if _, ok := ToDate(v); ok {
		return 3
	}
	return 5
}

func fnASort(c fcall) int {
	t := c.table(1)
	l := t.Len()
	start := max(c.optInt(2, 1), 1)
	end := l
	if c.L.Get(3) != lua.LNil {
		end = min(start+c.integer(3)-1, l)
	}
	var order *lua.LFunction
	if v := c.L.Get(4); v != lua.LNil {
		f, ok := v.(*lua.LFunction)
		if !ok {
			c.argError(4, "function")
		}
		order = f
	}
	if start >= end {
		return c.push(t)
	}
	vals := make([]lua.LValue, 0, end-start+1)
	for i := start; i <= end; i++ {
		vals = append(vals, t.RawGetInt(i))
	}
	less := advLess
	if order != nil {
		less = func(a, b lua.LValue) bool {
			c.L.Push(order)
			c.L.Push(a)
			c.L.Push(b)
			c.L.Call(2, 1)
			ok := lua.LVAsBool(c.L.Get(-1))
			c.L.Pop(1)
			return ok
		}
	}
	sort.SliceStable(vals, func(i, j int) bool { return less(vals[i], vals[j]) })
	for i, v := range vals {
		t.RawSetInt(start+i, v)
	}
	return c.push(t)
}

func fnATail(c fcall) int {
	t := c.table(1)
	l := c.r.arrLen(t)
	if l == 0 {
		return c.push(lua.LNil)
	}
	return c.push(t.RawGetInt(l))
}

// Dates and time.

func fnDate(c fcall) int { return c.push(c.r.DateValue(DateOf(c.r.now()))) }

func fnTime(c fcall) int { return c.pushStr(c.r.now().Format("15:04:05")) }

func fnSeconds(c fcall) int {
	t := c.r.now()
	y, m, d := t.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, t.Location())
	return c.push(lua.LNumber(math.Round(t.Sub(midnight).Seconds()*1000) / 1000))
}

func fnDtoS(c fcall) int { return c.pushStr(c.date(1).DtoS()) }

func fnDtoC(c fcall) int { return c.pushStr(c.date(1).String()) }

func fnStoD(c fcall) int { return c.push(c.r.DateValue(StoD(c.str(1)))) }

func fnCtoD(c fcall) int { return c.push(c.r.DateValue(CtoD(c.str(1)))) }

func datePart(part string) func(c fcall) int {
	return func(c fcall) int {
		d := c.date(1)
		if d.IsZero() {
			return c.push(lua.LNumber(0))
		}
		switch part {
		case "Year":
			return c.push(lua.LNumber(d.t.Year()))
		case "Month":
			return c.push(lua.LNumber(d.t.Month()))
		}
		return c.push(lua.LNumber(d.t.Day()))
	}
}

func fnSleep(c fcall) int {
	ms := c.num(1)
	if ms <= 0 || math.IsNaN(ms) {
		return 0
	}
	ctx := c.L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	t := time.NewTimer(time.Duration(math.Min(ms, float64(math.MaxInt64/int64(time.Millisecond)))) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		c.L.RaiseError("%v", context.Cause(ctx))
	}
	return 0
}

// Files.

func fnMemoRead(c fcall) int {
	path, ok := c.tryPath(1)
	if !ok {
		return c.pushStr("")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return c.pushStr("")
	}
	return c.pushStr(string(data))
}

func fnMemoWrite(c fcall) int {
	path, ok := c.tryWritePath(1)
	if !ok {
		return c.push(lua.LFalse)
	}
	err := os.WriteFile(path, []byte(c.str(2)), 0o644)
	return c.push(lua.LBool(err == nil))
}

func fnFile(c fcall) int {
	name, ok := c.tryPath(1)
	if !ok {
		return c.push(lua.LFalse)
	}
	if strings.ContainsAny(name, "*?[") {
		matches, _ := filepath.Glob(name)
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && !fi.IsDir() {
				return c.push(lua.LTrue)
			}
		}
		return c.push(lua.LFalse)
	}
	fi, err := os.Stat(name)
	return c.push(lua.LBool(err == nil && !fi.IsDir()))
}

func fnFErase(c fcall) int {
	path, ok := c.tryWritePath(1)
	if !ok {
		return c.push(lua.LNumber(-1))
	}
	if err := os.Remove(path); err != nil {
		return c.push(lua.LNumber(-1))
	}
	return c.push(lua.LNumber(0))
}

func fnMakeDir(c fcall) int {
	path, ok := c.tryWritePath(1)
	if !ok {
		return c.push(lua.LNumber(-1))
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return c.push(lua.LNumber(-1))
	}
	return c.push(lua.LNumber(0))
}

func fnExistDir(c fcall) int {
	path, ok := c.tryPath(1)
	if !ok {
		return c.push(lua.LFalse)
	}
	fi, err := os.Stat(path)
	return c.push(lua.LBool(err == nil && fi.IsDir()))
}

// Server ini.

func fnGetSrvIniName(c fcall) int { return c.pushStr(c.r.srv.name) }

func fnGetPvProfString(c fcall) int {
	section, key := c.str(1), c.str(2)
	def := c.optStr(3, "")
	file := c.optStr(4, "")
	if v, ok := c.r.iniRead(section, key, file); ok {
		return c.pushStr(v)
	}
	return c.pushStr(def)
}

func fnWritePProString(c fcall) int {
	section, key := c.str(1), c.str(2)
	var value string
	switch v := c.L.Get(3).(type) {
	case lua.LString, lua.LNumber, lua.LBool:
		value = textOf(v)
	default:
		c.argError(3, "string")
	}
	file := c.optStr(4, "")
	if err := c.r.iniWrite(section, key, value, file); err != nil {
		c.r.logger.Warn("WritePProString failed", "file", file, "section", section, "key", key, "err", err)
		return c.push(lua.LFalse)
	}
	return c.push(lua.LTrue)
}

func fnDeleteKeyINI(c fcall) int {
	section, key := c.str(1), c.str(2)
	file := c.optStr(3, "")
	if err := c.r.iniDeleteKey(section, key, file); err != nil {
		c.r.logger.Warn("DeleteKeyINI failed", "file", file, "section", section, "key", key, "err", err)
		return c.push(lua.LFalse)
	}
	return c.push(lua.LTrue)
}

// System parameters.

// parametersSection is the server ini section that stands in for SX6.
const parametersSection = "Parameters"

// fnGetMV implements GetMV and SuperGetMV: the stored text converted to the
// type of the default (".T."/".F." always give a logical).
func fnGetMV(c fcall) int {
	name := strings.TrimSpace(c.str(1))
	def := c.L.Get(3)
	raw, ok := c.r.srv.get(parametersSection, name)
	if !ok {
		return c.push(def)
	}
	return c.push(c.r.typedParam(name, raw, def))
}

// mvValue converts the text of a parameter to the type of def.
func mvValue(raw string, def lua.LValue) lua.LValue {
	v := strings.TrimSpace(raw)
	switch strings.ToUpper(v) {
	case ".T.":
		return lua.LTrue
	case ".F.":
		return lua.LFalse
	}
	switch def.(type) {
	case lua.LNumber:
		return lua.LNumber(val(v))
	case lua.LBool:
		switch strings.ToUpper(v) {
		case "T", "TRUE", "1", "S", "Y":
			return lua.LTrue
		}
		return lua.LFalse
	}
	return lua.LString(raw)
}

// Classes.

// mailClasses are the classes FindClass always reports.
var mailClasses = []string{"TMailManager", "TMailMessage", "TMailMng"}

func fnFindClass(c fcall) int {
	name := strings.TrimSpace(c.str(1))
	for _, n := range mailClasses {
		if strings.EqualFold(n, name) {
			return c.push(lua.LTrue)
		}
	}
	for _, cls := range bindings.Classes() {
		if strings.EqualFold(cls.Name, name) {
			return c.push(lua.LTrue)
		}
	}
	return c.push(lua.LFalse)
}
