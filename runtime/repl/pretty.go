package repl

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	advrt "github.com/advmail/advmail/runtime"
)

// maxDepth bounds how deep Format descends into nested tables.
const maxDepth = 32

// Format renders a value the way the REPL prints results. Scalars take one
// line: strings quoted as Lua literals (a string with line breaks as a
// long bracket [[...]]), numbers, true/false, nil, dates as DD/MM/YYYY.
// Tables are listed the way AdvPL's VarInfo does, one element per line
// with its index path, type letter and value, nested arrays indented:
//
//	(A) [2]
//	  [1] (A) [5]
//	    [1][1] (C) "INBOX"
//	    [1][2] (C) "\\HasNoChildren \\Subscribed"
//	    [1][3] (N) 4
//
// A TMailMessage shows its sender, recipients, subject and attachments; a
// TMailManager and other objects show their own description (which never
// includes a password).
func (r *REPL) Format(ctx context.Context, v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return quoteTop(string(v))
	case *lua.LTable:
		var b strings.Builder
		r.formatTable(ctx, &b, "", v, 0, map[*lua.LTable]string{})
		return strings.TrimSuffix(b.String(), "\n")
	case *lua.LUserData:
		if cls := className(v); cls == "TMailMessage" {
			if s, ok := r.describeMessage(ctx, v); ok {
				return s
			}
		}
	}
	return r.scalar(ctx, v)
}

// scalar renders v on one line (strings quoted, never long brackets).
func (r *REPL) scalar(ctx context.Context, v lua.LValue) string {
	switch v := v.(type) {
	case *lua.LNilType:
		return "nil"
	case lua.LBool:
		if v {
			return "true"
		}
		return "false"
	case lua.LNumber:
		return number(float64(v))
	case lua.LString:
		return quote(string(v))
	case *lua.LUserData:
		if d, ok := advrt.ToDate(v); ok {
			if d.IsZero() {
				return "(empty date)"
			}
			return d.String()
		}
	}
	return r.tostring(ctx, v)
}

// typeLetter is the AdvPL ValType letter of v.
func typeLetter(v lua.LValue) string {
	switch v.Type() {
	case lua.LTString:
		return "C"
	case lua.LTNumber:
		return "N"
	case lua.LTBool:
		return "L"
	case lua.LTTable:
		return "A"
	case lua.LTFunction:
		return "B"
	case lua.LTNil:
		return "U"
	}
	if _, ok := advrt.ToDate(v); ok {
		return "D"
	}
	return "O"
}

// formatTable writes the VarInfo-style listing of t; path is its index
// path ("" at the top).
func (r *REPL) formatTable(ctx context.Context, b *strings.Builder, path string, t *lua.LTable, depth int, open map[*lua.LTable]string) {
	if mt, ok := t.Metatable.(*lua.LTable); ok && mt.RawGetString("__tostring") != lua.LNil {
		b.WriteString(r.tostring(ctx, t) + "\n")
		return
	}
	keys := tableKeys(t)
	fmt.Fprintf(b, "(A) [%d]\n", len(keys))
	if depth >= maxDepth {
		return
	}
	open[t] = path
	defer delete(open, t)
	indent := strings.Repeat("  ", depth+1)
	for _, k := range keys {
		sub := path + keyText(k)
		v := t.RawGet(k)
		fmt.Fprintf(b, "%s%s ", indent, sub)
		nt, ok := v.(*lua.LTable)
		if !ok {
			fmt.Fprintf(b, "(%s) %s\n", typeLetter(v), r.scalar(ctx, v))
			continue
		}
		if outer, ok := open[nt]; ok {
			if outer == "" {
				outer = "the top"
			}
			fmt.Fprintf(b, "(A) [recursive: %s]\n", outer)
			continue
		}
		r.formatTable(ctx, b, sub, nt, depth+1, open)
	}
}

// keyText is the index of k in a path: [1], ["name"].
func keyText(k lua.LValue) string {
	switch k := k.(type) {
	case lua.LNumber:
		return "[" + number(float64(k)) + "]"
	case lua.LString:
		return "[" + quote(string(k)) + "]"
	}
	return "[" + k.String() + "]"
}

// tableKeys returns the keys of t: 1..n for its sequence, then the other
// numeric keys in order, then string keys sorted, then the rest.
func tableKeys(t *lua.LTable) []lua.LValue {
	n := t.Len()
	keys := make([]lua.LValue, 0, n)
	for i := 1; i <= n; i++ {
		keys = append(keys, lua.LNumber(i))
	}
	var other []lua.LValue
	t.ForEach(func(k, _ lua.LValue) {
		if f, ok := k.(lua.LNumber); ok && f >= 1 && float64(f) <= float64(n) && float64(f) == math.Trunc(float64(f)) {
			return
		}
		other = append(other, k)
	})
	rank := func(v lua.LValue) int {
		switch v.Type() {
		case lua.LTNumber:
			return 0
		case lua.LTString:
			return 1
		}
		return 2
	}
	sort.SliceStable(other, func(i, j int) bool {
		a, b := other[i], other[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if an, ok := a.(lua.LNumber); ok {
			return an < b.(lua.LNumber)
		}
		return a.String() < b.String()
	})
	return append(keys, other...)
}

// number formats n as Lua 5.1 does (%.14g), integers without a fraction.
func number(n float64) string {
	switch {
	case math.IsNaN(n):
		return "nan"
	case math.IsInf(n, 1):
		return "inf"
	case math.IsInf(n, -1):
		return "-inf"
	}
	if n == math.Trunc(n) && math.Abs(n) < 1e15 {
		return strconv.FormatFloat(n, 'f', 0, 64)
	}
	return fmt.Sprintf("%.14g", n)
}

// quote returns s as a Lua string literal: double quotes; backslash,
// quote, \n, \r, \t and other control bytes escaped; bytes that are not
// UTF-8 as \ddd; other characters as they are.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(&b, `\%d`, c)
				break
			}
			if c < utf8.RuneSelf {
				b.WriteByte(c)
				break
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				fmt.Fprintf(&b, `\%d`, c)
				i++
				continue
			}
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		i++
	}
	b.WriteByte('"')
	return b.String()
}

// quoteTop quotes a string printed on its own: as a long bracket when it
// spans lines and has no other control characters (message sources, bodies),
// else as quote does.
func quoteTop(s string) string {
	if !strings.Contains(s, "\n") || !utf8.ValidString(s) {
		return quote(s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f {
			return quote(s)
		}
	}
	eq := ""
	for strings.Contains(s, "]"+eq+"]") {
		eq += "="
	}
	// Lua drops a line break right after the opening bracket: add one so
	// that a string starting with a line break keeps it.
	return "[" + eq + "[\n" + s + "]" + eq + "]"
}

// className returns the class of an object or class userdata as its
// metatable names it ("TMailManager", "class TMailManager"), "" for any
// other value.
func className(ud *lua.LUserData) string {
	mt, ok := ud.Metatable.(*lua.LTable)
	if !ok {
		return ""
	}
	if s, ok := mt.RawGetString("__metatable").(lua.LString); ok {
		return string(s)
	}
	return ""
}

// describeMessage renders a TMailMessage through its properties and
// methods: header fields that are set, then the attachment list.
func (r *REPL) describeMessage(ctx context.Context, ud *lua.LUserData) (string, bool) {
	var b strings.Builder
	b.WriteString("TMailMessage")
	for _, name := range []string{"cFrom", "cTo", "cCc", "cBcc", "cSubject"} {
		v, err := r.index(ctx, ud, name)
		if err != nil {
			return "", false
		}
		if s, ok := v.(lua.LString); ok && (s != "" || name == "cFrom" || name == "cTo" || name == "cSubject") {
			fmt.Fprintf(&b, "\n  %-9s %s", name, quote(string(s)))
		}
	}
	vals, err := r.callMethod(ctx, ud, "GetAttachCount")
	if err != nil || len(vals) == 0 {
		return "", false
	}
	n, _ := vals[0].(lua.LNumber)
	fmt.Fprintf(&b, "\n  attachments [%d]", int(n))
	for i := 1; i <= int(n); i++ {
		vals, err := r.callMethod(ctx, ud, "GetAttachInfo", lua.LNumber(i))
		if err != nil || len(vals) == 0 {
			return "", false
		}
		info, ok := vals[0].(*lua.LTable)
		if !ok {
			continue
		}
		// {cName, cMimeType, cDisposition, cDispositionName, cContentID, cLocation, nSize}
		name := str(info.RawGetInt(1))
		if name == "" {
			name = str(info.RawGetInt(4))
		}
		fmt.Fprintf(&b, "\n    [%d] %s %s", i, quote(name), str(info.RawGetInt(2)))
		if disp := str(info.RawGetInt(3)); disp != "" {
			b.WriteString(" " + disp)
		}
		if cid := str(info.RawGetInt(5)); cid != "" {
			b.WriteString(" cid:" + cid)
		}
		if size, ok := info.RawGetInt(7).(lua.LNumber); ok {
			fmt.Fprintf(&b, " %s bytes", number(float64(size)))
		}
	}
	return b.String(), true
}

// str returns v when it is a string, else "".
func str(v lua.LValue) string {
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	return ""
}
