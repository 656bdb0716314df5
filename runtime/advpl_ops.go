package runtime

import (
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// AdvPL operators of the R table. The number and string cases come first
// and allocate nothing beyond the result.

// initAdvPL installs the AdvPL support with the options of New.
func (r *Runtime) initAdvPL(opts Options) {
	r.lenient = opts.Lenient
	if !r.lenient {
		r.lenient = r.dbLenient()
	}
	r.includeDirs = append([]string(nil), opts.IncludeDirs...)
	r.openAdvPL()
}

// typeMismatch raises AdvPL's argument error for operator op.
func typeMismatch(L *lua.LState, op string, a, b lua.LValue) {
	raise(L, "argument error: type mismatch on %s (%s and %s)", op, valType(a), valType(b))
}

func (r *Runtime) rAdd(L *lua.LState) int {
	a, b := L.Get(1), L.Get(2)
	switch x := a.(type) {
	case lua.LNumber:
		switch y := b.(type) {
		case lua.LNumber:
			L.Push(x + y)
			return 1
		case *lua.LUserData:
			if d, ok := ToDate(y); ok {
				L.Push(r.DateValue(d.AddDays(int(x))))
				return 1
			}
		}
	case lua.LString:
		if y, ok := b.(lua.LString); ok {
			L.Push(x + y)
			return 1
		}
	case *lua.LUserData:
		if d, ok := ToDate(x); ok {
			if n, ok := b.(lua.LNumber); ok {
				L.Push(r.DateValue(d.AddDays(int(n))))
				return 1
			}
		}
	}
	typeMismatch(L, "+", a, b)
	return 0
}

func (r *Runtime) rSub(L *lua.LState) int {
	a, b := L.Get(1), L.Get(2)
	switch x := a.(type) {
	case lua.LNumber:
		if y, ok := b.(lua.LNumber); ok {
			L.Push(x - y)
			return 1
		}
	case lua.LString:
		if y, ok := b.(lua.LString); ok {
			// String minus: the trailing blanks of a move to the end.
			s := string(x)
			t := strings.TrimRight(s, " ")
			L.Push(lua.LString(t + string(y) + s[len(t):]))
			return 1
		}
	case *lua.LUserData:
		if d, ok := ToDate(x); ok {
			switch y := b.(type) {
			case lua.LNumber:
				L.Push(r.DateValue(d.AddDays(-int(y))))
				return 1
			case *lua.LUserData:
				if e, ok := ToDate(y); ok {
					L.Push(lua.LNumber(dayNumber(d) - dayNumber(e)))
					return 1
				}
			}
		}
	}
	typeMismatch(L, "-", a, b)
	return 0
}

// dayNumber returns a day count for d (0 for the empty date).
func dayNumber(d Date) int64 {
	if d.IsZero() {
		return 0
	}
	return d.Time().Unix()/86400 + 2440588 // Julian day number
}

func rMod(L *lua.LState) int {
	x, ok1 := L.Get(1).(lua.LNumber)
	y, ok2 := L.Get(2).(lua.LNumber)
	if !ok1 || !ok2 {
		typeMismatch(L, "%", L.Get(1), L.Get(2))
	}
	if y == 0 {
		L.Push(lua.LNumber(0))
		return 1
	}
	L.Push(lua.LNumber(math.Mod(float64(x), float64(y))))
	return 1
}

// advplEqual compares a and b as AdvPL's = (exact false) or == (exact
// true). ok is false when the types cannot be compared.
func advplEqual(a, b lua.LValue, exact bool) (eq, ok bool) {
	switch x := a.(type) {
	case lua.LNumber:
		if y, isNum := b.(lua.LNumber); isNum {
			return x == y, true
		}
	case lua.LString:
		if y, isStr := b.(lua.LString); isStr {
			if exact {
				return x == y, true
			}
			return strings.HasPrefix(string(x), string(y)), true
		}
	case lua.LBool:
		if y, isBool := b.(lua.LBool); isBool {
			return x == y, true
		}
	case *lua.LUserData:
		if d, isDate := ToDate(x); isDate {
			if e, isDate := ToDate(b); isDate {
				return d.Time().Equal(e.Time()), true
			}
		}
	}
	if a == lua.LNil || b == lua.LNil {
		return a == b, true
	}
	if a.Type() == b.Type() && (a.Type() == lua.LTTable || a.Type() == lua.LTUserData || a.Type() == lua.LTFunction) {
		return a == b, true
	}
	return false, false
}

func rEq(L *lua.LState) int {
	eq, ok := advplEqual(L.Get(1), L.Get(2), false)
	if !ok {
		typeMismatch(L, "=", L.Get(1), L.Get(2))
	}
	L.Push(lua.LBool(eq))
	return 1
}

func rExact(L *lua.LState) int {
	eq, ok := advplEqual(L.Get(1), L.Get(2), true)
	if !ok {
		typeMismatch(L, "==", L.Get(1), L.Get(2))
	}
	L.Push(lua.LBool(eq))
	return 1
}

// advplCompare returns -1, 0 or 1 comparing a with b.
func advplCompare(L *lua.LState, op string) int {
	a, b := L.Get(1), L.Get(2)
	switch x := a.(type) {
	case lua.LNumber:
		if y, ok := b.(lua.LNumber); ok {
			return cmp3(float64(x), float64(y))
		}
	case lua.LString:
		if y, ok := b.(lua.LString); ok {
			return strings.Compare(string(x), string(y))
		}
	case lua.LBool:
		if y, ok := b.(lua.LBool); ok {
			return cmp3(b2f(x), b2f(y))
		}
	case *lua.LUserData:
		if d, ok := ToDate(x); ok {
			if e, ok := ToDate(b); ok {
				return cmp3(float64(dayNumber(d)), float64(dayNumber(e)))
			}
		}
	}
	typeMismatch(L, op, a, b)
	return 0
}

func cmp3(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func b2f(b lua.LBool) float64 {
	if b {
		return 1
	}
	return 0
}

func rLt(L *lua.LState) int { L.Push(lua.LBool(advplCompare(L, "<") < 0)); return 1 }
func rLe(L *lua.LState) int { L.Push(lua.LBool(advplCompare(L, "<=") <= 0)); return 1 }
func rGt(L *lua.LState) int { L.Push(lua.LBool(advplCompare(L, ">") > 0)); return 1 }
func rGe(L *lua.LState) int { L.Push(lua.LBool(advplCompare(L, ">=") >= 0)); return 1 }

func rInside(L *lua.LState) int {
	a, b := L.Get(1), L.Get(2)
	switch y := b.(type) {
	case lua.LString:
		if x, ok := a.(lua.LString); ok {
			L.Push(lua.LBool(strings.Contains(string(y), string(x))))
			return 1
		}
	case *lua.LTable:
		n := y.Len()
		for i := 1; i <= n; i++ {
			if eq, _ := advplEqual(y.RawGetInt(i), a, true); eq {
				L.Push(lua.LTrue)
				return 1
			}
		}
		L.Push(lua.LFalse)
		return 1
	}
	typeMismatch(L, "$", a, b)
	return 0
}

// rArr builds {…} whose last elements are NIL: R.arr(n, values…).
func (r *Runtime) rArr(L *lua.LState) int {
	n := L.CheckInt(1)
	top := L.GetTop()
	t := L.CreateTable(top-1, 0)
	for i := 2; i <= top; i++ {
		if v := L.Get(i); v != lua.LNil {
			t.RawSetInt(i-1, v)
		}
	}
	if n > t.Len() {
		r.setLen(t, n)
	}
	L.Push(t)
	return 1
}

func (r *Runtime) rLen(L *lua.LState) int {
	switch v := L.Get(1).(type) {
	case lua.LString:
		L.Push(lua.LNumber(len(v)))
	case *lua.LTable:
		L.Push(lua.LNumber(r.arrLen(v)))
	case *lua.LNilType:
		L.Push(lua.LNumber(0))
	default:
		raise(L, "argument error: Len of a value of type %s", valType(v))
	}
	return 1
}

// rForCond is the test of For i := a To b Step s.
func rForCond(L *lua.LState) int {
	i, ok1 := L.Get(1).(lua.LNumber)
	b, ok2 := L.Get(2).(lua.LNumber)
	if !ok1 || !ok2 {
		typeMismatch(L, "For", L.Get(1), L.Get(2))
	}
	s := lua.LNumber(1)
	if v, ok := L.Get(3).(lua.LNumber); ok {
		s = v
	}
	if s >= 0 {
		L.Push(lua.LBool(i <= b))
	} else {
		L.Push(lua.LBool(i >= b))
	}
	return 1
}
