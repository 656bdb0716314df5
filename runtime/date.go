package runtime

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Date is AdvPL's date type (ValType "D"): a calendar day without time of
// day. The zero Date is the empty date (CtoD(""), StoD("")). In Lua a Date
// is a userdata that prints as DtoC does, compares with == < <=, and does
// day arithmetic: d + 1, d - 1, d2 - d1 (a number of days).
type Date struct {
	t time.Time // midnight UTC of the day; zero for the empty date
}

// NewDate returns the date year-month-day (normalised like time.Date).
func NewDate(year int, month time.Month, day int) Date {
	return Date{time.Date(year, month, day, 0, 0, 0, 0, time.UTC)}
}

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return NewDate(y, m, d)
}

// IsZero reports whether d is the empty date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns midnight UTC of d (the zero time for the empty date).
func (d Date) Time() time.Time { return d.t }

// DtoS returns d as "YYYYMMDD", or 8 blanks for the empty date.
func (d Date) DtoS() string {
	if d.IsZero() {
		return "        "
	}
	return fmt.Sprintf("%04d%02d%02d", d.t.Year(), int(d.t.Month()), d.t.Day())
}

// String returns d as DtoC does: "DD/MM/YYYY", or "  /  /    " when empty.
func (d Date) String() string {
	if d.IsZero() {
		return "  /  /    "
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.t.Day(), int(d.t.Month()), d.t.Year())
}

// AddDays returns d moved by n days; the empty date stays empty.
func (d Date) AddDays(n int) Date {
	if d.IsZero() {
		return d
	}
	return Date{d.t.AddDate(0, 0, n)}
}

// StoD parses "YYYYMMDD"; anything else (including "") is the empty date.
func StoD(s string) Date {
	s = strings.TrimSpace(s)
	if len(s) != 8 {
		return Date{}
	}
	t, err := time.Parse("20060102", s)
	if err != nil {
		return Date{}
	}
	return Date{t}
}

// CtoD parses "DD/MM/YYYY" or "DD/MM/YY" (years 00–49 are 20xx, 50–99
// 19xx); anything else is the empty date.
func CtoD(s string) Date {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) != 3 {
		return Date{}
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 {
			return Date{}
		}
		n[i] = v
	}
	day, month, year := n[0], n[1], n[2]
	if len(strings.TrimSpace(parts[2])) <= 2 {
		if year < 50 {
			year += 2000
		} else {
			year += 1900
		}
	}
	d := NewDate(year, time.Month(month), day)
	if d.t.Day() != day || int(d.t.Month()) != month {
		return Date{} // 31/02 and the like
	}
	return d
}

// ToDate returns the Date held by v, if v is a date value.
func ToDate(v lua.LValue) (Date, bool) {
	if ud, ok := v.(*lua.LUserData); ok {
		d, ok := ud.Value.(Date)
		return d, ok
	}
	return Date{}, false
}

// DateValue returns d as a Lua value of this runtime.
func (r *Runtime) DateValue(d Date) lua.LValue {
	return &lua.LUserData{Value: d, Metatable: r.dateMT}
}

// initDate builds the metatable shared by every date value.
func (r *Runtime) initDate() {
	L := r.ls
	mt := L.NewTable()
	fns := map[string]lua.LGFunction{
		"__tostring": func(L *lua.LState) int {
			d, _ := ToDate(L.Get(1))
			L.Push(lua.LString(d.String()))
			return 1
		},
		"__eq": func(L *lua.LState) int {
			a, ok1 := ToDate(L.Get(1))
			b, ok2 := ToDate(L.Get(2))
			L.Push(lua.LBool(ok1 && ok2 && a.t.Equal(b.t)))
			return 1
		},
		"__lt": func(L *lua.LState) int {
			a, b := r.datePair(L, "compare")
			L.Push(lua.LBool(a.t.Before(b.t)))
			return 1
		},
		"__le": func(L *lua.LState) int {
			a, b := r.datePair(L, "compare")
			L.Push(lua.LBool(!b.t.Before(a.t)))
			return 1
		},
		"__add": func(L *lua.LState) int {
			d, ok := ToDate(L.Get(1))
			n, isNum := L.Get(2).(lua.LNumber)
			if !ok {
				d, ok = ToDate(L.Get(2))
				n, isNum = L.Get(1).(lua.LNumber)
			}
			if !ok || !isNum {
				L.RaiseError("attempt to add %s and %s: only a date and a number of days can be added", valType(L.Get(1)), valType(L.Get(2)))
			}
			L.Push(r.DateValue(d.AddDays(int(n))))
			return 1
		},
		"__sub": func(L *lua.LState) int {
			d, ok := ToDate(L.Get(1))
			if !ok {
				L.RaiseError("attempt to subtract a date from %s", valType(L.Get(1)))
			}
			switch v := L.Get(2).(type) {
			case lua.LNumber:
				L.Push(r.DateValue(d.AddDays(-int(v))))
				return 1
			}
			e, ok := ToDate(L.Get(2))
			if !ok {
				L.RaiseError("attempt to subtract %s from a date", valType(L.Get(2)))
			}
			if d.IsZero() || e.IsZero() {
				L.Push(lua.LNumber(0))
				return 1
			}
			L.Push(lua.LNumber(d.t.Sub(e.t).Round(time.Hour).Hours() / 24))
			return 1
		},
		"__concat": func(L *lua.LState) int {
			L.Push(lua.LString(concatText(L, L.Get(1)) + concatText(L, L.Get(2))))
			return 1
		},
	}
	for name, fn := range fns {
		mt.RawSetString(name, L.NewFunction(fn))
	}
	mt.RawSetString("__name", lua.LString("Date"))
	r.dateMT = mt
}

// datePair returns the two date operands of a comparison.
func (r *Runtime) datePair(L *lua.LState, op string) (Date, Date) {
	a, ok1 := ToDate(L.Get(1))
	b, ok2 := ToDate(L.Get(2))
	if !ok1 || !ok2 {
		L.RaiseError("attempt to %s %s with %s", op, valType(L.Get(1)), valType(L.Get(2)))
	}
	return a, b
}

// concatText converts one operand of .. involving a date.
func concatText(L *lua.LState, v lua.LValue) string {
	if d, ok := ToDate(v); ok {
		return d.String()
	}
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	L.RaiseError("attempt to concatenate a date and a %s value", v.Type().String())
	return ""
}
