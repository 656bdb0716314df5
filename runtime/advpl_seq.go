package runtime

import (
	"errors"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/bindings"
)

// breakSignal is the error value Break raises: R.seq catches it.
type breakSignal struct{ value lua.LValue }

// errorValue returns the Lua value raised by a failed PCall.
func errorValue(err error) lua.LValue {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Object != nil {
		return apiErr.Object
	}
	return lua.LString(err.Error())
}

// breakValue reports whether v is a Break signal, and its value.
func breakValue(v lua.LValue) (lua.LValue, bool) {
	if ud, ok := v.(*lua.LUserData); ok {
		if b, ok := ud.Value.(breakSignal); ok {
			return b.value, true
		}
	}
	return nil, false
}

// rSeq runs a Begin Sequence body: R.seq(fn) returns fn's results, or
// false and the Break value when the body broke (Break, or a runtime error
// the ErrorBlock turned into a Break). Other errors propagate.
func (r *Runtime) rSeq(L *lua.LState) int {
	fn := L.CheckFunction(1)
	a := r.adv
	mark := len(a.privates)
	top := L.GetTop()
	a.seqDepth++
	defer func() { a.seqDepth-- }()
	L.Push(fn)
	err := L.PCall(0, lua.MultRet, nil)
	if err == nil {
		return L.GetTop() - top
	}
	ev := errorValue(err)
	if ctx := L.Context(); (ctx != nil && ctx.Err() != nil) || r.exit != nil {
		L.Error(ev, 0)
	}
	if v, ok := breakValue(ev); ok {
		r.releasePrivates(mark)
		L.Push(lua.LFalse)
		L.Push(v)
		return 2
	}
	if a.errBlock == a.defaultErrBlock {
		L.Error(ev, 0)
	}
	eobj := r.newErrorObject(L, ev)
	L.Push(a.errBlock)
	L.Push(eobj)
	if err := L.PCall(1, 0, nil); err != nil {
		bv := errorValue(err)
		if v, ok := breakValue(bv); ok {
			r.releasePrivates(mark)
			L.Push(lua.LFalse)
			L.Push(v)
			return 2
		}
		L.Error(bv, 0)
	}
	L.Error(ev, 0)
	return 0
}

// newErrorObject builds the AdvPL Error object for a runtime error.
func (r *Runtime) newErrorObject(L *lua.LState, ev lua.LValue) *lua.LTable {
	msg := ev.String()
	desc, where := msg, ""
	if i := strings.Index(msg, ": "); i > 0 && strings.Contains(msg[:i], ":") {
		desc, where = msg[i+2:], msg[:i]
	}
	t := L.NewTable()
	t.RawSetString("description", lua.LString(desc))
	stack := msg
	if where != "" {
		stack = desc + "\n" + where
	}
	t.RawSetString("errorstack", lua.LString(stack))
	t.RawSetString("gencode", lua.LNumber(1))
	t.RawSetString("subsystem", lua.LString("BASE"))
	t.RawSetString("operation", lua.LString(""))
	t.RawSetString("errorcode", lua.LNumber(0))
	t.RawSetString("filename", lua.LString(where))
	L.SetMetatable(t, r.adv.errorMT)
	return t
}

// errorIndex finds Error object members in any letter case.
func (r *Runtime) errorIndex(L *lua.LState) int {
	t := L.CheckTable(1)
	L.Push(t.RawGetString(strings.ToLower(L.OptString(2, ""))))
	return 1
}

// fnBreak is Break(xValue): leaves the innermost Begin Sequence.
func (r *Runtime) fnBreak(L *lua.LState) int {
	if r.adv.seqDepth == 0 {
		raise(L, "Break outside Begin Sequence")
	}
	L.Error(&lua.LUserData{Value: breakSignal{value: L.Get(1)}, Metatable: r.adv.breakMT}, 0)
	return 0
}

// fnErrorBlock is ErrorBlock([bNew]): returns the current block and
// installs bNew when given.
func (r *Runtime) fnErrorBlock(L *lua.LState) int {
	a := r.adv
	L.Push(a.errBlock)
	if fn, ok := L.Get(1).(*lua.LFunction); ok {
		a.errBlock = fn
	}
	return 1
}

// By-reference calls.

// isCompiled reports whether fn is a compiled AdvPL function or method.
func (a *advplState) isCompiled(fn lua.LValue) bool {
	f, ok := fn.(*lua.LFunction)
	return ok && f.Proto != nil && a.compiled[f.Proto]
}

// byRefOf returns the 1-based positions of the ByRef parameters of a
// bound global function.
func (r *Runtime) byRefOf(fn lua.LValue) []int {
	a := r.adv
	if !a.refReady {
		a.refReady = true
		a.byRef = map[*lua.LFunction][]int{}
		for _, s := range bindings.Functions() {
			if f, ok := a.F.RawGetString(strings.ToLower(s.Name)).(*lua.LFunction); ok {
				a.byRef[f] = refPositions(s.Params)
			}
		}
	}
	f, _ := fn.(*lua.LFunction)
	return a.byRef[f]
}

// memberByRef returns the ByRef positions of a bound method named member.
func memberByRef(member string) []int {
	for _, c := range bindings.Classes() {
		if m, ok := c.Member(member); ok {
			if p := refPositions(m.Params); len(p) > 0 {
				return p
			}
		}
	}
	return nil
}

func refPositions(ps []bindings.Param) []int {
	var out []int
	for i, p := range ps {
		if p.ByRef {
			out = append(out, i+1)
		}
	}
	return out
}

// refResults calls fn with args (after self when self is not nil) and
// pushes its result followed by the new values of the arguments at pos.
func (r *Runtime) refResults(L *lua.LState, fn, self lua.LValue, pos *lua.LTable, args []lua.LValue, compiled bool, refs []int) int {
	top := L.GetTop()
	L.Push(fn)
	n := len(args)
	if self != nil {
		L.Push(self)
		n++
	}
	for _, v := range args {
		L.Push(v)
	}
	L.Call(n, lua.MultRet)
	nres := L.GetTop() - top
	res := make([]lua.LValue, nres)
	for i := range res {
		res[i] = L.Get(top + 1 + i)
	}
	L.SetTop(top)
	get := func(i int) lua.LValue {
		if i < len(res) {
			return res[i]
		}
		return lua.LNil
	}
	L.Push(get(0))
	np := pos.Len()
	for i := 1; i <= np; i++ {
		p := int(lua.LVAsNumber(pos.RawGetInt(i)))
		switch {
		case compiled:
			L.Push(get(p))
		default:
			v := lua.LValue(lua.LNil)
			if p >= 1 && p <= len(args) {
				v = args[p-1]
			}
			for j, rp := range refs {
				if rp == p && j+1 < len(res) {
					v = res[j+1]
				}
			}
			L.Push(v)
		}
	}
	return np + 1
}

// rRefCall is R.refcall(fn, {pos…}, args…).
func (r *Runtime) rRefCall(L *lua.LState) int {
	fn := L.Get(1)
	pos := L.CheckTable(2)
	args := stackArgs(L, 3)
	compiled := r.adv.isCompiled(fn)
	var refs []int
	if !compiled {
		refs = r.byRefOf(fn)
	}
	return r.refResults(L, fn, nil, pos, args, compiled, refs)
}

// rMRefCall is R.mrefcall(obj, "member", {pos…}, args…).
func (r *Runtime) rMRefCall(L *lua.LState) int {
	obj := L.Get(1)
	member := L.CheckString(2)
	pos := L.CheckTable(3)
	args := stackArgs(L, 4)
	fn := L.GetField(obj, member)
	if fn == lua.LNil {
		raise(L, "method %s is not defined for a value of type %s", strings.ToUpper(member), valType(obj))
	}
	compiled := r.adv.isCompiled(fn)
	var refs []int
	if !compiled {
		refs = memberByRef(member)
	}
	return r.refResults(L, fn, obj, pos, args, compiled, refs)
}

func stackArgs(L *lua.LState, from int) []lua.LValue {
	top := L.GetTop()
	if top < from {
		return nil
	}
	out := make([]lua.LValue, top-from+1)
	for i := range out {
		out[i] = L.Get(from + i)
	}
	return out
}

// Call stack built-ins.

// advplFrame returns the n-th (0: innermost) compiled AdvPL frame above
// the calling Go function: its name and current line.
func (r *Runtime) advplFrame(L *lua.LState, n int) (string, int, bool) {
	for level := 0; level < callStackSize; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return "", 0, false
		}
		fv, err := L.GetInfo("fl", dbg, lua.LNil)
		if err != nil {
			return "", 0, false
		}
		f, ok := fv.(*lua.LFunction)
		if !ok || f.Proto == nil {
			continue
		}
		name, ok := r.adv.names[f.Proto]
		if !ok {
			continue
		}
		if n == 0 {
			return name, dbg.CurrentLine, true
		}
		n--
	}
	return "", 0, false
}

func (r *Runtime) fnProcName(L *lua.LState) int {
	name, _, _ := r.advplFrame(L, L.OptInt(1, 0))
	L.Push(lua.LString(name))
	return 1
}

func (r *Runtime) fnProcLine(L *lua.LState) int {
	_, line, _ := r.advplFrame(L, L.OptInt(1, 0))
	L.Push(lua.LNumber(line))
	return 1
}

// Macros.

// compileExprHook compiles one AdvPL expression to a Lua chunk (set to
// advpl.CompileExpr when the compiler is linked in).
var compileExprHook func(string) (string, error)

// macroFunc returns the compiled chunk of macro text src, cached.
func (r *Runtime) macroFunc(L *lua.LState, src string) (*lua.LFunction, error) {
	a := r.adv
	if fn, ok := a.macros[src]; ok {
		return fn, nil
	}
	code, err := r.macroLua(src)
	if err != nil {
		return nil, err
	}
	fn, err := L.Load(strings.NewReader(code), "macro")
	if err != nil {
		return nil, fmt.Errorf("macro %q: %w", src, err)
	}
	if len(a.macros) > 4096 {
		clear(a.macros)
	}
	a.macros[src] = fn
	return fn, nil
}

// macroLua translates macro text to Lua: with the compiler when linked,
// else the two simple forms (a variable name, a call without arguments).
func (r *Runtime) macroLua(src string) (string, error) {
	if compileExprHook != nil {
		return compileExprHook(src)
	}
	s := strings.TrimSpace(src)
	if isIdent(s) {
		return "return _ADVPL.M." + strings.ToLower(s), nil
	}
	if name, ok := strings.CutSuffix(s, "()"); ok && isIdent(name) {
		return "return (_ADVPL.F." + strings.ToLower(name) + "())", nil
	}
	return "", fmt.Errorf("macro %q: syntax error", src)
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// rMacro is R.macro(text): evaluates the macro text.
func (r *Runtime) rMacro(L *lua.LState) int {
	src := L.CheckString(1)
	fn, err := r.macroFunc(L, src)
	if err != nil {
		raise(L, "%v", err)
	}
	top := L.GetTop()
	L.Push(fn)
	L.Call(0, 1)
	return L.GetTop() - top
}

// rMacroSet is R.macroset(text, v): &cVar := v.
func (r *Runtime) rMacroSet(L *lua.LState) int {
	s := strings.TrimSpace(L.CheckString(1))
	v := L.Get(2)
	if !isIdent(s) {
		raise(L, "macro %q: not a variable name", s)
	}
	r.setMemvar(s, v)
	L.Push(v)
	return 1
}

// fnType is Type(cExpr): the type letter of the expression's value, "U"
// when it is undefined or fails, "UE" when it does not compile.
func (r *Runtime) fnType(L *lua.LState) int {
	src := L.CheckString(1)
	fn, err := r.macroFunc(L, src)
	if err != nil {
		L.Push(lua.LString("UE"))
		return 1
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		if ctx := L.Context(); ctx != nil && ctx.Err() != nil {
			L.Error(errorValue(err), 0)
		}
		L.Push(lua.LString("U"))
		return 1
	}
	v := L.Get(-1)
	L.Pop(1)
	L.Push(lua.LString(valType(v)))
	return 1
}
