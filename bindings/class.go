package bindings

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// This file is the small framework every class is built with. To add a
// class, declare a *Class with its member tables and implementations and
// call registerClass from an init function (see manager.go); Open installs
// every registered class and Classes() documents it. Global functions are
// declared the same way with registerFunc.
//
// Objects are userdata whose Value is the class's Go value; one metatable
// per class and state resolves members in any letter case. Methods receive
// a *Call that converts arguments with AdvPL-style error messages
// ("TMailManager:SetSMTPTimeout: argument #1 must be numeric, got table").
// Go panics inside a method become Lua errors naming the method.
//
// A server class (TMailMng) whose Go value implements mailServer
// (manager.go) is accepted by TMailMessage:Send/Send2/Receive/Receive2.
// Useful helpers: Engine.transport, seconds (timeouts), array and fill
// (Lua arrays, by-reference arrays filled in place), fileAttachment.

// Class is a Lua-visible class: its documentation and its implementation.
type Class struct {
	// Name is the class name as AdvPL spells it (TMailManager).
	Name string
	// Doc is the class description used by the stubs and the REPL.
	Doc string
	// Make creates the Go value of a new, empty object.
	Make func(e *Engine) any
	// Construct, when set, applies the arguments of New to obj (New is
	// installed by the framework: Class(), Class:New(), Class.New() and
	// obj:New() all end here). c's argument #1 is New's first argument.
	Construct func(c *Call, obj any)
	// Describe returns the __tostring text of obj; never a password.
	Describe func(obj any) string
	// Methods lists every method including New (whose Fn is ignored).
	Methods []Method
	// Properties lists the properties (cFrom, cTo, ...) with their accessors.
	Properties []Property
}

// Method is a method declaration and its implementation. Fn receives the
// object in c.Self and returns the number of values pushed.
type Method struct {
	Member
	// Fn implements the method.
	Fn func(c *Call) int
}

// Property is a property declaration and its accessors. Set receives a
// value already checked against Member.Type, or lua.LNil to reset it; an
// error it returns becomes a Lua error naming the property.
type Property struct {
	Member
	// Get returns the property's value of obj.
	Get func(obj any) lua.LValue
	// Set changes the property of obj to v.
	Set func(obj any, v lua.LValue) error
}

// Function is a global function declaration and its implementation.
type Function struct {
	FuncSpec
	// Fn implements the function and returns the number of values pushed.
	Fn func(c *Call) int
}

var (
	regMu    sync.Mutex
	regClass []*Class
	regFunc  []*Function

	buildOnce sync.Once
	builds    []func() // see registerBuild
)

// registerBuild adds f to the functions that declare classes and global
// functions (with registerClass and registerFunc) the first time they are
// needed, so that their member tables are not built at process start. Call
// it from an init function; builds run in the order of registration.
func registerBuild(f func()) {
	regMu.Lock()
	defer regMu.Unlock()
	builds = append(builds, f)
}

// runBuilds runs the registered builds, once.
func runBuilds() {
	buildOnce.Do(func() {
		regMu.Lock()
		fs := builds
		builds = nil
		regMu.Unlock()
		for _, f := range fs {
			f()
		}
	})
}

// registerClass adds c to the classes Open installs.
func registerClass(c *Class) {
	regMu.Lock()
	defer regMu.Unlock()
	regClass = append(regClass, c)
}

// registerFunc adds global functions to those Open installs.
func registerFunc(f ...*Function) {
	regMu.Lock()
	defer regMu.Unlock()
	regFunc = append(regFunc, f...)
}

func registeredClasses() []*Class {
	runBuilds()
	regMu.Lock()
	defer regMu.Unlock()
	out := append([]*Class(nil), regClass...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func registeredFuncs() []*Function {
	runBuilds()
	regMu.Lock()
	defer regMu.Unlock()
	return append([]*Function(nil), regFunc...)
}

// binding is the per-state installation: metatables, class userdata and
// the state of the legacy functions.
type binding struct {
	L       *lua.LState
	e       *Engine
	meta    map[*Class]*lua.LTable
	classUD map[*Class]*lua.LUserData
	legacy  *legacy
}

// Call is one call of a method or function from Lua: argument access with
// type checks, the engine, and the object for methods.
type Call struct {
	// L is the Lua state of the call.
	L *lua.LState
	// Engine is the mail engine the classes are bound to.
	Engine *Engine
	Self   any // the object's Go value (methods)
	// Name is the method or function called, for error messages.
	Name string
	base int // stack index of argument #1
	b    *binding
}

// Ctx returns the context of the script (context.Background when none).
func (c *Call) Ctx() context.Context {
	if ctx := c.L.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// NArgs returns how many arguments were passed (self excluded).
func (c *Call) NArgs() int {
	n := c.L.GetTop() - c.base + 1
	if n < 0 {
		return 0
	}
	return n
}

// Arg returns argument n (1-based, self excluded); lua.LNil when absent.
func (c *Call) Arg(n int) lua.LValue {
	if n < 1 || c.base+n-1 > c.L.GetTop() {
		return lua.LNil
	}
	return c.L.Get(c.base + n - 1)
}

// Errorf raises a Lua error prefixed with the method name.
func (c *Call) Errorf(format string, args ...any) {
	c.L.RaiseError("%s: %s", c.Name, fmt.Sprintf(format, args...))
}

// typeName names the Lua type of v the way error messages show it.
func (c *Call) typeName(v lua.LValue) string {
	if ud, ok := v.(*lua.LUserData); ok && c.b != nil {
		if cls := c.b.classOf(ud); cls != nil {
			return cls.Name + " object"
		}
	}
	return v.Type().String()
}

var typeWords = map[string]string{
	TypeChar:   "character",
	TypeNum:    "numeric",
	TypeBool:   "logical",
	TypeArray:  "an array",
	TypeObject: "an object",
}

func (c *Call) argTypeError(n int, want string) {
	c.Errorf("argument #%d must be %s, got %s", n, want, c.typeName(c.Arg(n)))
}

// Str returns required character argument n.
func (c *Call) Str(n int) string {
	if s, ok := c.Arg(n).(lua.LString); ok {
		return string(s)
	}
	c.argTypeError(n, "character")
	return ""
}

// OptStr returns character argument n, or "" when nil/absent.
func (c *Call) OptStr(n int) string {
	if c.Arg(n) == lua.LNil {
		return ""
	}
	return c.Str(n)
}

// Num returns required numeric argument n.
func (c *Call) Num(n int) float64 {
	if v, ok := c.Arg(n).(lua.LNumber); ok {
		return float64(v)
	}
	c.argTypeError(n, "numeric")
	return 0
}

// Int returns required numeric argument n, which must be a whole number.
func (c *Call) Int(n int) int {
	f := c.Num(n)
	if f != math.Trunc(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt32 {
		c.Errorf("argument #%d must be a whole number, got %v", n, f)
	}
	return int(f)
}

// OptInt returns whole-number argument n, or def when nil/absent.
func (c *Call) OptInt(n, def int) int {
	if c.Arg(n) == lua.LNil {
		return def
	}
	return c.Int(n)
}

// Bool returns required logical argument n.
func (c *Call) Bool(n int) bool {
	if v, ok := c.Arg(n).(lua.LBool); ok {
		return bool(v)
	}
	c.argTypeError(n, "logical")
	return false
}

// OptBool returns logical argument n, or def when nil/absent.
func (c *Call) OptBool(n int, def bool) bool {
	if c.Arg(n) == lua.LNil {
		return def
	}
	return c.Bool(n)
}

// OptTable returns array argument n, or nil when nil/absent.
func (c *Call) OptTable(n int) *lua.LTable {
	switch v := c.Arg(n).(type) {
	case *lua.LTable:
		return v
	case *lua.LNilType:
		return nil
	}
	c.argTypeError(n, "an array")
	return nil
}

// Table returns required array argument n.
func (c *Call) Table(n int) *lua.LTable {
	if t, ok := c.Arg(n).(*lua.LTable); ok {
		return t
	}
	c.argTypeError(n, "an array")
	return nil
}

// Port returns port argument n: a number or a numeric string; nil, "" or 0
// give 0 (the protocol's default port).
func (c *Call) Port(n int) int {
	var p float64
	switch v := c.Arg(n).(type) {
	case *lua.LNilType:
		return 0
	case lua.LNumber:
		p = float64(v)
	case lua.LString:
		s := strings.TrimSpace(string(v))
		if s == "" {
			return 0
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			c.Errorf("argument #%d must be a port number, got %q", n, s)
		}
		p = f
	default:
		c.argTypeError(n, "a port number (numeric or numeric string)")
	}
	if p != math.Trunc(p) || p < 0 || p > 65535 {
		c.Errorf("argument #%d must be a port number 0..65535, got %v", n, p)
	}
	return int(p)
}

// Strings returns argument n as a list of strings: an array of strings, a
// single string (one element; empty string = none) or nil (none).
func (c *Call) Strings(n int) []string {
	switch v := c.Arg(n).(type) {
	case *lua.LNilType:
		return nil
	case lua.LString:
		if v == "" {
			return nil
		}
		return []string{string(v)}
	case *lua.LTable:
		var out []string
		for i := 1; i <= v.Len(); i++ {
			s, ok := v.RawGetInt(i).(lua.LString)
			if !ok {
				c.Errorf("argument #%d: element %d must be character, got %s", n, i, c.typeName(v.RawGetInt(i)))
			}
			if s != "" {
				out = append(out, string(s))
			}
		}
		return out
	}
	c.argTypeError(n, "an array of character or character")
	return nil
}

// Object returns the Go value of object argument n, which must be an
// object of class name ("" = any class).
func (c *Call) Object(n int, name string) any {
	if ud, ok := c.Arg(n).(*lua.LUserData); ok {
		if cls := c.b.classOf(ud); cls != nil && (name == "" || cls.Name == name) {
			return ud.Value
		}
	}
	want := "an object"
	if name != "" {
		want = "a " + name + " object"
	}
	c.argTypeError(n, want)
	return nil
}

// Push pushes values and returns how many.
func (c *Call) Push(vs ...lua.LValue) int {
	for _, v := range vs {
		c.L.Push(v)
	}
	return len(vs)
}

// classOf returns the class of an object userdata, nil for anything else.
func (b *binding) classOf(ud *lua.LUserData) *Class {
	for cls, mt := range b.meta {
		if ud.Metatable == mt {
			return cls
		}
	}
	return nil
}

// guard turns a Go panic inside fn into a Lua error naming name; Lua
// errors raised on purpose pass through.
func guard(name string, fn lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(*lua.ApiError); ok {
					panic(r)
				}
				L.RaiseError("%s: internal error: %v", name, r)
			}
		}()
		return fn(L)
	}
}

// newObject wraps obj in a userdata of cls.
func (b *binding) newObject(cls *Class, obj any) *lua.LUserData {
	ud := b.L.NewUserData()
	ud.Value = obj
	ud.Metatable = b.meta[cls]
	return ud
}

// installClass creates the metatable and the class userdata of cls and
// registers the global.
func (b *binding) installClass(cls *Class) {
	L := b.L
	methods := map[string]*lua.LFunction{}
	props := map[string]*Property{}
	var newFn *lua.LFunction

	mt, ok := b.meta[cls]
	if !ok {
		mt = L.NewTable()
		b.meta[cls] = mt
	}
	classUD := L.NewUserData()
	b.classUD[cls] = classUD

	newImpl := func(L *lua.LState, base int, self *lua.LUserData) int {
		if self == nil {
			self = b.newObject(cls, cls.Make(b.e))
		}
		if cls.Construct != nil {
			cls.Construct(&Call{L: L, Engine: b.e, Self: self.Value, Name: cls.Name + ":New", base: base, b: b}, self.Value)
		}
		L.Push(self)
		return 1
	}
	newFn = L.NewFunction(guard(cls.Name+":New", func(L *lua.LState) int {
		switch v := L.Get(1).(type) {
		case *lua.LUserData:
			if v == classUD {
				return newImpl(L, 2, nil)
			}
			if v.Metatable == mt {
				return newImpl(L, 2, v)
			}
		}
		return newImpl(L, 1, nil)
	}))

	for i := range cls.Methods {
		m := &cls.Methods[i]
		key := strings.ToLower(m.Name)
		if key == "new" {
			methods[key] = newFn
			continue
		}
		name := cls.Name + ":" + m.Name
		methods[key] = L.NewFunction(guard(name, func(L *lua.LState) int {
			ud, ok := L.Get(1).(*lua.LUserData)
			if !ok || ud.Metatable != mt {
				L.RaiseError("%s: must be called on a %s object (o:%s(...)), got %s as self", name, cls.Name, m.Name, L.Get(1).Type())
			}
			return m.Fn(&Call{L: L, Engine: b.e, Self: ud.Value, Name: name, base: 2, b: b})
		}))
	}
	if _, ok := methods["new"]; !ok {
		methods["new"] = newFn
	}
	for i := range cls.Properties {
		p := &cls.Properties[i]
		props[strings.ToLower(p.Name)] = p
	}

	keyOf := func(L *lua.LState, what string) string {
		k, ok := L.Get(2).(lua.LString)
		if !ok {
			L.RaiseError("%s has no member %s", what, L.Get(2).String())
		}
		return string(k)
	}
	mt.RawSetString("__index", L.NewFunction(guard(cls.Name, func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		k := keyOf(L, cls.Name)
		lk := strings.ToLower(k)
		if fn, ok := methods[lk]; ok {
			L.Push(fn)
			return 1
		}
		if p, ok := props[lk]; ok {
			L.Push(p.Get(ud.Value))
			return 1
		}
		L.RaiseError("%s has no member '%s'", cls.Name, k)
		return 0
	})))
	mt.RawSetString("__newindex", L.NewFunction(guard(cls.Name, func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		k := keyOf(L, cls.Name)
		lk := strings.ToLower(k)
		p, ok := props[lk]
		if !ok {
			if _, isMethod := methods[lk]; isMethod {
				L.RaiseError("%s:%s is a method and cannot be assigned", cls.Name, k)
			}
			L.RaiseError("%s has no member '%s'", cls.Name, k)
		}
		v := L.Get(3)
		if v != lua.LNil && !typeMatches(p.Type, v) {
			L.RaiseError("%s.%s must be %s, got %s", cls.Name, p.Name, typeWords[p.Type], v.Type())
		}
		if err := p.Set(ud.Value, v); err != nil {
			L.RaiseError("%s.%s: %v", cls.Name, p.Name, err)
		}
		return 0
	})))
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		if cls.Describe != nil {
			L.Push(lua.LString(cls.Describe(ud.Value)))
		} else {
			L.Push(lua.LString(cls.Name + " object"))
		}
		return 1
	}))
	mt.RawSetString("__metatable", lua.LString(cls.Name))

	cmt := L.NewTable()
	cmt.RawSetString("__call", L.NewFunction(guard(cls.Name, func(L *lua.LState) int {
		return newImpl(L, 2, nil)
	})))
	cmt.RawSetString("__index", L.NewFunction(guard(cls.Name, func(L *lua.LState) int {
		k := keyOf(L, "class "+cls.Name)
		if strings.EqualFold(k, "new") {
			L.Push(newFn)
			return 1
		}
		L.RaiseError("class %s has no member '%s' (create an object first: %s():New())", cls.Name, k, cls.Name)
		return 0
	})))
	cmt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("class %s cannot be modified", cls.Name)
		return 0
	}))
	cmt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("class " + cls.Name))
		return 1
	}))
	cmt.RawSetString("__metatable", lua.LString("class "+cls.Name))
	classUD.Metatable = cmt
	AddGlobal(L, cls.Name, classUD)
}

// installFunc registers a global function.
func (b *binding) installFunc(f *Function) {
	fn := b.L.NewFunction(guard(f.Name, func(L *lua.LState) int {
		return f.Fn(&Call{L: L, Engine: b.e, Name: f.Name, base: 1, b: b})
	}))
	AddGlobal(b.L, f.Name, fn)
}

// typeMatches reports whether v has one of the types in letters ("N|C").
func typeMatches(letters string, v lua.LValue) bool {
	for _, t := range strings.Split(letters, "|") {
		switch t {
		case TypeAny:
			return true
		case TypeChar:
			if v.Type() == lua.LTString {
				return true
			}
		case TypeNum:
			if v.Type() == lua.LTNumber {
				return true
			}
		case TypeBool:
			if v.Type() == lua.LTBool {
				return true
			}
		case TypeArray:
			if v.Type() == lua.LTTable {
				return true
			}
		case TypeObject:
			if v.Type() == lua.LTUserData {
				return true
			}
		}
	}
	return false
}

// globalsKey is the registry field holding the case-folded global table.
const globalsKey = "advmail.globals"

// AddGlobal sets _G[name] = v and registers name for case-insensitive
// lookup: once any global is added this way, _G gets a metatable whose
// __index finds it under any letter case (tmailmanager, TMAILMANAGER).
// An __index already set on _G is kept as the fallback. The runtime uses
// AddGlobal for its prelude functions.
func AddGlobal(L *lua.LState, name string, v lua.LValue) {
	L.SetGlobal(name, v)
	folded(L).RawSetString(strings.ToLower(name), v)
}

// folded returns the registry table of case-folded globals, installing the
// _G metatable on first use.
func folded(L *lua.LState) *lua.LTable {
	reg := L.G.Registry
	if t, ok := reg.RawGetString(globalsKey).(*lua.LTable); ok {
		return t
	}
	t := L.NewTable()
	reg.RawSetString(globalsKey, t)

	g := L.G.Global
	mt, ok := L.GetMetatable(g).(*lua.LTable)
	if !ok {
		mt = L.NewTable()
		L.SetMetatable(g, mt)
	}
	prev := mt.RawGetString("__index")
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if k, ok := L.Get(2).(lua.LString); ok {
			if v := t.RawGetString(strings.ToLower(string(k))); v != lua.LNil {
				L.Push(v)
				return 1
			}
		}
		switch p := prev.(type) {
		case *lua.LFunction:
			L.Push(p)
			L.Push(L.Get(1))
			L.Push(L.Get(2))
			L.Call(2, 1)
			return 1
		case *lua.LTable:
			L.Push(L.GetTable(p, L.Get(2)))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}))
	return t
}

// Open installs TMailManager, TMailMessage, every other registered class
// and the legacy functions (MailSmtpOn, MailSend, …) into L, bound to e.
// Class and function names resolve in any letter case.
func Open(L *lua.LState, e *Engine) {
	if e == nil {
		e = &Engine{}
	}
	b := &binding{L: L, e: e, meta: map[*Class]*lua.LTable{}, classUD: map[*Class]*lua.LUserData{}}
	b.legacy = &legacy{e: e}
	classes := registeredClasses()
	// Metatables first so that type checks know every class.
	for _, cls := range classes {
		b.meta[cls] = L.NewTable()
	}
	for _, cls := range classes {
		b.installClass(cls)
	}
	for _, f := range registeredFuncs() {
		b.installFunc(f)
	}
}

// Globals returns the registry table of case-folded globals (lower-case
// name to value) that AddGlobal maintains, installing it on first use.
func Globals(L *lua.LState) *lua.LTable { return folded(L) }
