package runtime

import (
	lua "github.com/yuin/gopher-lua"
)

// Screen stand-ins. advmail runs without a screen (IsBlind() is .T.):
// dialogs and controls are objects (ValType "O") that accept any method
// call and any property, returning NIL for properties never set and the
// object itself from methods such as New, so that chained calls work;
// Activate does nothing.

// uiObject returns a stand-in object of the given kind.
func (r *Runtime) uiObject(L *lua.LState, kind string) *lua.LTable {
	obj := L.NewTable()
	mt := L.NewTable()
	method := L.NewFunction(func(L *lua.LState) int {
		L.Push(obj)
		return 1
	})
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if k, ok := L.Get(2).(lua.LString); ok && (string(k) == "cClassName" || string(k) == "classname") {
			L.Push(lua.LString(kind))
			return 1
		}
		// Unknown members are methods returning the object.
		L.Push(method)
		return 1
	}))
	mt.RawSetString("__call", method)
	L.SetMetatable(obj, mt)
	return obj
}

// uiPrelude returns the screen stand-ins.
func uiPrelude() []preludeFunc {
	out := []preludeFunc{
		{spec("UIStub", "Returns a screen stand-in object of kind cKind that accepts any method and property.",
			r1("oObj", "O", ""), p("cKind", "C", "kind, e.g. MSDIALOG"), o("xTitle", "U", "title")),
			func(c fcall) int { return c.push(c.r.uiObject(c.L, textOf(c.L.Get(1)))) }},
		{spec("UIActivate", "Activates a screen stand-in: does nothing on a server; returns NIL.", nil, o("oObj", "O", "")),
			func(c fcall) int { return c.push(lua.LNil) }},
	}
	for _, cls := range []string{"MsDialog", "TDialog", "TButton", "SButton", "TSay", "TGet", "TFont", "TMultiGet", "TCheckBox", "TComboBox", "TPanel", "FWMsPrinter", "TWindow"} {
		kind := cls
		out = append(out, preludeFunc{spec(kind, "Screen class stand-in: kind():New(...) returns an object accepting any method.",
			r1("oObj", "O", "")), func(c fcall) int { return c.push(c.r.uiObject(c.L, kind)) }})
	}
	return out
}
