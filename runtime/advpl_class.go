package runtime

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/bindings"
)

// userClass is a class defined by AdvPL source (Class … EndClass).
type userClass struct {
	name    string // upper case
	parent  string // upper case, "" when none
	data    map[string]bool
	methods map[string]*lua.LFunction
	mt      *lua.LTable
}

// maxClassDepth bounds the walk of a From chain (and breaks cycles).
const maxClassDepth = 64

// class returns the user class name, creating an empty one if missing.
func (r *Runtime) class(name string) *userClass {
	a := r.adv
	name = strings.ToUpper(name)
	if c, ok := a.classes[name]; ok {
		return c
	}
	c := &userClass{name: name, data: map[string]bool{}, methods: map[string]*lua.LFunction{}}
	c.mt = r.ls.NewTable()
	c.mt.RawSetString("__index", r.ls.NewFunction(func(L *lua.LState) int {
		L.Push(r.lookup(c, strings.ToLower(L.OptString(2, ""))))
		return 1
	}))
	a.classes[name] = c
	return c
}

// lookup finds a member of class c (methods, then Data, walking From).
func (r *Runtime) lookup(c *userClass, key string) lua.LValue {
	for depth := 0; c != nil && depth < maxClassDepth; depth++ {
		if m, ok := c.methods[key]; ok {
			return m
		}
		if c.data[key] {
			return lua.LNil
		}
		if c.parent == "" {
			break
		}
		c = r.adv.classes[c.parent]
	}
	if key == "classname" {
		return r.ls.NewFunction(func(L *lua.LState) int {
			if t, ok := L.Get(1).(*lua.LTable); ok {
				for _, cl := range r.adv.classes {
					if cl.mt == t.Metatable {
						L.Push(lua.LString(cl.name))
						return 1
					}
				}
			}
			L.Push(lua.LString(""))
			return 1
		})
	}
	return lua.LNil
}

// rClass is R.class(name, parent, {data…}): defines the class and its
// class function, which returns a new object with every Data NIL.
func (r *Runtime) rClass(L *lua.LState) int {
	c := r.class(L.CheckString(1))
	if p, ok := L.Get(2).(lua.LString); ok {
		c.parent = strings.ToUpper(string(p))
	}
	if t, ok := L.Get(3).(*lua.LTable); ok {
		t.ForEach(func(_, v lua.LValue) {
			if s, ok := v.(lua.LString); ok {
				c.data[strings.ToLower(string(s))] = true
			}
		})
	}
	bindings.AddGlobal(L, c.name, L.NewFunction(func(L *lua.LState) int {
		obj := L.NewTable()
		obj.Metatable = c.mt
		L.Push(obj)
		return 1
	}))
	return 0
}

// rMethod is R.method(class, name, fn).
func (r *Runtime) rMethod(L *lua.LState) int {
	c := r.class(L.CheckString(1))
	name := strings.ToUpper(L.CheckString(2))
	fn := L.CheckFunction(3)
	c.methods[strings.ToLower(name)] = fn
	r.adv.register(c.name+":"+name, fn)
	return 0
}

// rSuper is R.super(self, "C", "method"): the method as the parent of C
// defines it.
func (r *Runtime) rSuper(L *lua.LState) int {
	c := r.class(L.CheckString(2))
	name := strings.ToLower(L.CheckString(3))
	var m lua.LValue = lua.LNil
	if c.parent != "" {
		if p, ok := r.adv.classes[c.parent]; ok {
			m = r.lookup(p, name)
		}
	}
	if m == lua.LNil {
		raise(L, "method %s is not defined in the parent of class %s", strings.ToUpper(name), c.name)
	}
	L.Push(m)
	return 1
}
