package runtime

import (
	"fmt"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// varInfoMaxDepth bounds the nesting VarInfo descends into.
const varInfoMaxDepth = 32

// varInfo renders v the way AdvPL's VarInfo does: one line per value with
// its name, type letter and content; array elements follow their array,
// indented, named name[i] (name["key"] for non-numeric keys):
//
//	-> aMsg (A) [2]
//	     aMsg[1] (C) [hello]
//	     aMsg[2] (A) [1]
//	          aMsg[2][1] (N) [42]
//
// Tables already being described are not entered again.
func (r *Runtime) varInfo(name string, v lua.LValue, margin int) string {
	var b strings.Builder
	pad := strings.Repeat(" ", max(margin, 0))
	r.varInfoLine(&b, pad, name, v, 0, map[*lua.LTable]string{})
	return strings.TrimSuffix(b.String(), "\n")
}

func (r *Runtime) varInfoLine(b *strings.Builder, pad, name string, v lua.LValue, depth int, open map[*lua.LTable]string) {
	indent := pad + strings.Repeat("     ", depth)
	if depth == 0 {
		indent = pad + "-> "
	}
	t, isArray := v.(*lua.LTable)
	isArray = isArray && t.Metatable == lua.LNil
	if !isArray {
		fmt.Fprintf(b, "%s%s (%s) [%s]\n", indent, name, valType(v), varInfoValue(r.ls, v))
		return
	}
	if outer, ok := open[t]; ok {
		fmt.Fprintf(b, "%s%s (A) [recursive: %s]\n", indent, name, outer)
		return
	}
	keys := tableKeys(t, r.arrLen(t))
	fmt.Fprintf(b, "%s%s (A) [%d]\n", indent, name, len(keys))
	if depth >= varInfoMaxDepth {
		return
	}
	open[t] = name
	defer delete(open, t)
	for _, k := range keys {
		var sub string
		switch k := k.(type) {
		case lua.LNumber:
			sub = fmt.Sprintf("%s[%s]", name, numText(float64(k)))
		case lua.LString:
			sub = fmt.Sprintf("%s[%q]", name, string(k))
		default:
			sub = fmt.Sprintf("%s[%s]", name, r.ls.ToStringMeta(k).String())
		}
		r.varInfoLine(b, pad, sub, t.RawGet(k), depth+1, open)
	}
}

// tableKeys returns the keys of t: 1..n (n being its AdvPL length, NIL
// elements included), then the other keys in a stable order.
func tableKeys(t *lua.LTable, n int) []lua.LValue {
	keys := make([]lua.LValue, 0, n)
	for i := 1; i <= n; i++ {
		keys = append(keys, lua.LNumber(i))
	}
	var other []lua.LValue
	t.ForEach(func(k, _ lua.LValue) {
		if f, ok := k.(lua.LNumber); ok && f >= 1 && float64(f) <= float64(n) && f == lua.LNumber(int(f)) {
			return
		}
		other = append(other, k)
	})
	sort.SliceStable(other, func(i, j int) bool {
		a, b := other[i], other[j]
		if a.Type() != b.Type() {
			return a.Type() < b.Type()
		}
		return a.String() < b.String()
	})
	return append(keys, other...)
}

// varInfoValue is the bracketed content of a scalar line: as conout shows
// it, but "function" for a function.
func varInfoValue(L *lua.LState, v lua.LValue) string {
	if v.Type() == lua.LTFunction {
		return "function"
	}
	return displayText(L, v)
}
