package runtime

import (
	"context"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/bindings"
)

// This file holds the runtime side of compiled AdvPL sources: the support
// table _ADVPL ("R" in generated code, see docs/advpl-codegen.md), the
// memvars, and the bookkeeping of loaded AdvPL files.

// advplFunc is one function a compiled file defined.
type advplFunc struct {
	name string // canonical upper-case name
	kind string // "user", "function", "main", "static"
	fn   *lua.LFunction
}

// advplFile is one loaded AdvPL source.
type advplFile struct {
	name    string
	statics *lua.LTable
	funcs   []advplFunc
}

// advplChunk is a compiled AdvPL chunk kept for reloadInto.
type advplChunk struct {
	name  string
	proto *lua.FunctionProto
}

// privateSave is one Private declaration on the private stack: the memvar
// it shadows is restored when the declaring function returns.
type privateSave struct {
	name string
	old  lua.LValue
	had  bool
}

// advplState is the per-Runtime state of the AdvPL support.
type advplState struct {
	R, F, M *lua.LTable

	known    map[string]bool // memvars that exist (possibly with a NIL value)
	privates []privateSave

	names    map[*lua.FunctionProto]string // AdvPL names for ProcName
	compiled map[*lua.FunctionProto]bool   // compiled AdvPL functions and methods

	files  []*advplFile
	cur    *advplFile
	chunks []advplChunk

	classes map[string]*userClass

	errBlock, defaultErrBlock lua.LValue
	breakMT                   *lua.LTable
	errorMT                   *lua.LTable

	macros   map[string]*lua.LFunction
	warned   map[string]bool
	seqDepth int                      // R.seq calls running
	nilFn    *lua.LFunction           // lenient stand-in for undefined functions
	luaNames map[string]string        // lower-case name → spelling of a Lua global function
	byRef    map[*lua.LFunction][]int // ByRef parameter positions of bound functions
	refReady bool
}

// advpl returns the AdvPL support state, installing it on first use.
func (r *Runtime) advpl() *advplState {
	if r.adv == nil {
		r.openAdvPL()
	}
	return r.adv
}

// memvar returns the value of the memvar (Private or Public variable)
// name, in any letter case, and whether it exists.
func (r *Runtime) memvar(name string) (lua.LValue, bool) {
	a := r.advpl()
	k := strings.ToLower(name)
	v := a.M.RawGetString(k)
	if v != lua.LNil {
		return v, true
	}
	return lua.LNil, a.known[k]
}

// setMemvar sets (creating it when missing) the memvar name to v, as an
// undeclared AdvPL assignment does.
func (r *Runtime) setMemvar(name string, v lua.LValue) {
	a := r.advpl()
	k := strings.ToLower(name)
	a.known[k] = true
	a.M.RawSetString(k, v)
}

// reloadInto loads every AdvPL chunk loaded into r into child, in the
// same order, so that child can call the same functions (StartJob).
func (r *Runtime) reloadInto(child *Runtime) error {
	if r.adv == nil {
		return nil
	}
	child.lenient = r.lenient
	child.advpl()
	for _, c := range r.adv.chunks {
		fn := child.ls.NewFunctionFromProto(c.proto)
		if _, err := child.call(context.Background(), fn, nil, 0); err != nil {
			return fmt.Errorf("reload %s: %w", c.name, err)
		}
		child.adv.chunks = append(child.adv.chunks, c)
	}
	return nil
}

// openAdvPL installs the _ADVPL global.
func (r *Runtime) openAdvPL() {
	L := r.ls
	a := &advplState{
		R:        L.NewTable(),
		F:        bindings.Globals(L),
		M:        L.NewTable(),
		known:    map[string]bool{},
		names:    map[*lua.FunctionProto]string{},
		compiled: map[*lua.FunctionProto]bool{},
		classes:  map[string]*userClass{},
		macros:   map[string]*lua.LFunction{},
		warned:   map[string]bool{},
		luaNames: map[string]string{},
	}
	r.adv = a
	a.breakMT = L.NewTable()
	a.breakMT.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("Break outside Begin Sequence"))
		return 1
	}))
	a.errorMT = L.NewTable()
	a.errorMT.RawSetString("__index", L.NewFunction(r.errorIndex))
	a.errorMT.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		L.Push(t.RawGetString("errorstack"))
		return 1
	}))
	a.defaultErrBlock = L.NewFunction(func(L *lua.LState) int { return 0 })
	a.errBlock = a.defaultErrBlock

	fmeta := L.NewTable()
	fmeta.RawSetString("__index", L.NewFunction(r.functionIndex))
	L.SetMetatable(a.F, fmeta)
	mmt := L.NewTable()
	mmt.RawSetString("__index", L.NewFunction(r.memvarIndex))
	mmt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		k := L.CheckString(2)
		a.known[k] = true
		a.M.RawSetString(k, L.Get(3))
		return 0
	}))
	L.SetMetatable(a.M, mmt)
	// dDataBase is a Public of every Protheus thread: today's date until
	// RpcSetEnv or the routine sets it (the prelude sets the Lua global).
	if d := L.GetGlobal("dDataBase"); d != lua.LNil {
		a.known["ddatabase"] = true
		a.M.RawSetString("ddatabase", d)
	}

	a.R.RawSetString("F", a.F)
	a.R.RawSetString("M", a.M)
	for name, fn := range r.advplHelpers() {
		a.R.RawSetString(name, L.NewFunction(fn))
	}
	L.SetGlobal("_ADVPL", a.R)
	for name, fn := range r.advplBuiltins() {
		bindings.AddGlobal(L, name, L.NewFunction(fn))
	}
	// QOut/QQOut (the ? and ?? commands) unless the prelude has them.
	for name, nl := range map[string]bool{"QOut": true, "QQOut": false} {
		if a.F.RawGetString(strings.ToLower(name)) == lua.LNil {
			bindings.AddGlobal(L, name, L.NewFunction(r.qout(nl)))
		}
	}
}

// advplHelpers returns the functions of the R table.
func (r *Runtime) advplHelpers() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"add": r.rAdd, "sub": r.rSub, "mod": rMod,
		"eq": rEq, "exact": rExact, "lt": rLt, "le": rLe, "gt": rGt, "ge": rGe,
		"inside": rInside, "arr": r.rArr, "len": r.rLen, "forcond": rForCond,
		"private": r.rPrivate, "public": r.rPublic, "pmark": r.rPMark, "prelease": r.rPRelease,
		"defun": r.rDefun, "static": r.rStatic, "file": r.rFile, "fail": rFail,
		"seq": r.rSeq, "refcall": r.rRefCall, "mrefcall": r.rMRefCall,
		"macro": r.rMacro, "macroset": r.rMacroSet,
		"class": r.rClass, "method": r.rMethod, "super": r.rSuper,
		"field": r.rField, "setfield": r.rSetField, "inalias": r.rInAlias,
	}
}

// advplBuiltins returns the AdvPL built-ins that need the call stack or
// the compiler.
func (r *Runtime) advplBuiltins() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"Break": r.fnBreak, "ErrorBlock": r.fnErrorBlock,
		"ProcName": r.fnProcName, "ProcLine": r.fnProcLine, "Type": r.fnType,
	}
}

// callerWhere returns "file:line:" of the nearest Lua frame, "" if none.
func callerWhere(L *lua.LState) string {
	for level := 0; level < 50; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return ""
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			return ""
		}
		if dbg.What == "G" || dbg.CurrentLine < 0 {
			continue
		}
		return fmt.Sprintf("%s:%d:", dbg.Source, dbg.CurrentLine)
	}
	return ""
}

// raise raises msg prefixed by the position of the calling Lua line.
func raise(L *lua.LState, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if w := callerWhere(L); w != "" {
		msg = w + " " + msg
	}
	L.Error(lua.LString(msg), 0)
}

// functionIndex is F's __index: Lua globals in any case, else an error
// (or, lenient, a function returning NIL).
func (r *Runtime) functionIndex(L *lua.LState) int {
	a := r.adv
	k, ok := L.Get(2).(lua.LString)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	key := strings.ToLower(string(k))
	if v := a.F.RawGetString(key); v != lua.LNil {
		L.Push(v)
		return 1
	}
	if g, ok := a.luaNames[key]; ok {
		if v := L.G.Global.RawGetString(g); v != lua.LNil {
			L.Push(v)
			return 1
		}
		delete(a.luaNames, key)
	}
	var found lua.LValue = lua.LNil
	L.G.Global.ForEach(func(gk, gv lua.LValue) {
		if s, ok := gk.(lua.LString); ok && found == lua.LNil && strings.EqualFold(string(s), key) {
			if _, isFn := gv.(*lua.LFunction); isFn {
				found = gv
				a.luaNames[key] = string(s)
			}
		}
	})
	if found != lua.LNil {
		L.Push(found)
		return 1
	}
	name := strings.ToUpper(key)
	if r.lenient {
		if !a.warned[key] {
			a.warned[key] = true
			fmt.Fprintf(r.stderr, "advmail: warning: %s function %s is not defined; lenient mode returns NIL\n", callerWhere(L), name)
		}
		if a.nilFn == nil {
			a.nilFn = L.NewFunction(func(L *lua.LState) int { return 0 })
		}
		L.Push(a.nilFn)
		return 1
	}
	raise(L, "function %s is not defined (not an advmail built-in; a host can register it)", name)
	return 0
}

// memvarIndex is M's __index: NIL for a declared memvar without value,
// else "variable does not exist".
func (r *Runtime) memvarIndex(L *lua.LState) int {
	k := L.CheckString(2)
	if r.adv.known[k] {
		L.Push(lua.LNil)
		return 1
	}
	raise(L, "variable does not exist: %s", strings.ToUpper(k))
	return 0
}

// Memvars.

func (r *Runtime) rPrivate(L *lua.LState) int {
	a := r.adv
	k := strings.ToLower(L.CheckString(1))
	a.privates = append(a.privates, privateSave{name: k, old: a.M.RawGetString(k), had: a.known[k]})
	a.known[k] = true
	a.M.RawSetString(k, L.Get(2))
	return 0
}

func (r *Runtime) rPublic(L *lua.LState) int {
	a := r.adv
	k := strings.ToLower(L.CheckString(1))
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		a.M.RawSetString(k, L.Get(2))
	} else if !a.known[k] {
		a.M.RawSetString(k, lua.LFalse)
	}
	a.known[k] = true
	return 0
}

func (r *Runtime) rPMark(L *lua.LState) int {
	L.Push(lua.LNumber(len(r.adv.privates)))
	return 1
}

func (r *Runtime) rPRelease(L *lua.LState) int {
	r.releasePrivates(int(L.CheckNumber(1)))
	return 0
}

// releasePrivates restores the memvars shadowed by the Privates declared
// since mark.
func (r *Runtime) releasePrivates(mark int) {
	a := r.adv
	if mark < 0 {
		mark = 0
	}
	for len(a.privates) > mark {
		p := a.privates[len(a.privates)-1]
		a.privates = a.privates[:len(a.privates)-1]
		a.M.RawSetString(p.name, p.old)
		if !p.had {
			delete(a.known, p.name)
		}
	}
}

// Definitions.

func (r *Runtime) rDefun(L *lua.LState) int {
	a := r.adv
	name := strings.ToUpper(L.CheckString(1))
	fn := L.CheckFunction(2)
	kind := L.OptString(3, "function")
	a.register(name, fn)
	bindings.AddGlobal(L, name, fn)
	if a.cur != nil {
		a.cur.funcs = append(a.cur.funcs, advplFunc{name: name, kind: kind, fn: fn})
	}
	return 0
}

func (r *Runtime) rStatic(L *lua.LState) int {
	a := r.adv
	name := strings.ToUpper(L.CheckString(1))
	fn := L.CheckFunction(2)
	a.register(name, fn)
	if a.cur != nil {
		a.cur.funcs = append(a.cur.funcs, advplFunc{name: name, kind: "static", fn: fn})
	}
	L.Push(fn)
	return 1
}

// register records fn as compiled AdvPL named name.
func (a *advplState) register(name string, fn *lua.LFunction) {
	if fn.Proto != nil {
		a.names[fn.Proto] = name
		a.compiled[fn.Proto] = true
	}
}

func (r *Runtime) rFile(L *lua.LState) int {
	a := r.adv
	f := &advplFile{name: L.CheckString(1), statics: L.OptTable(2, L.NewTable())}
	a.files = append(a.files, f)
	a.cur = f
	return 0
}

func rFail(L *lua.LState) int {
	L.Error(lua.LString(L.CheckString(1)), 0)
	return 0
}

// Work areas: ALIAS->FIELD and ALIAS->(expr), see database.go.

func (r *Runtime) rField(L *lua.LState) int {
	L.Push(r.fieldGet(L, L.OptString(1, ""), L.CheckString(2)))
	return 1
}

func (r *Runtime) rSetField(L *lua.LState) int {
	r.fieldSet(L, L.OptString(1, ""), L.CheckString(2), L.Get(3))
	return 0
}

func (r *Runtime) rInAlias(L *lua.LState) int {
	fn, _ := L.Get(2).(*lua.LFunction)
	L.Push(r.inAlias(L, L.OptString(1, ""), fn))
	return 1
}

// qout returns QOut (newline true) or QQOut: the arguments as text,
// separated by spaces, on stdout.
func (r *Runtime) qout(newline bool) lua.LGFunction {
	return func(L *lua.LState) int {
		var b strings.Builder
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				b.WriteByte(' ')
			}
			b.WriteString(qoutText(L.Get(i)))
		}
		if newline {
			b.WriteByte('\n')
		}
		fmt.Fprint(r.stdout, b.String())
		return 0
	}
}

// qoutText renders v as ? shows it.
func qoutText(v lua.LValue) string {
	switch x := v.(type) {
	case *lua.LNilType:
		return "NIL"
	case lua.LBool:
		if x {
			return ".T."
		}
		return ".F."
	case *lua.LTable:
		if x.Metatable != lua.LNil {
			return "Object"
		}
		return "Array"
	}
	return v.String()
}

// advplName returns the AdvPL name of fn when it is a compiled AdvPL
// function (U_TSTIMAP, GETFOLDERLIST, CLASS:METHOD), else "".
func (r *Runtime) advplName(fn lua.LValue) string {
	f, ok := fn.(*lua.LFunction)
	if !ok || f.Proto == nil || r.adv == nil {
		return ""
	}
	return r.adv.names[f.Proto]
}
