package runtime

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// stdLibs are the standard libraries in the order they must be opened.
var stdLibs = []struct {
	name string
	open lua.LGFunction
}{
	{lua.LoadLibName, lua.OpenPackage},
	{lua.BaseLibName, lua.OpenBase},
	{lua.TabLibName, lua.OpenTable},
	{lua.IoLibName, lua.OpenIo},
	{lua.OsLibName, lua.OpenOs},
	{lua.StringLibName, lua.OpenString},
	{lua.MathLibName, lua.OpenMath},
	{lua.DebugLibName, lua.OpenDebug},
	{lua.ChannelLibName, lua.OpenChannel},
	{lua.CoroutineLibName, lua.OpenCoroutine},
}

// openLibs opens the standard libraries Libs asks for and replaces the
// functions that must behave differently here: print writes to Stdout;
// loadfile, dofile and require read sources like DoFile does (and only
// from allowed directories when restricted); table.concat builds its
// result without the data stack; os.exit ends the script, not the process.
func (r *Runtime) openLibs() {
	L := r.ls
	for _, lib := range stdLibs {
		if lib.name != lua.BaseLibName && slices.Contains(r.libs.Omit, lib.name) {
			continue
		}
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}

	L.SetGlobal("print", L.NewFunction(r.luaPrint))
	L.SetGlobal("loadfile", L.NewFunction(r.luaLoadFile))
	L.SetGlobal("dofile", L.NewFunction(r.luaDoFile))
	if t, ok := L.GetGlobal("table").(*lua.LTable); ok {
		t.RawSetString("concat", L.NewFunction(tableConcat))
	}
	if loaders, ok := L.GetField(L.Get(lua.RegistryIndex), "_LOADERS").(*lua.LTable); ok {
		loaders.RawSetInt(2, L.NewFunction(r.luaLoader))
	}

	exec := r.libs.Unrestricted || r.libs.Exec
	if osLib, ok := L.GetGlobal("os").(*lua.LTable); ok {
		if exec {
			osLib.RawSetString("exit", L.NewFunction(r.luaExit))
		} else {
			osLib.RawSetString("execute", lua.LNil)
			osLib.RawSetString("exit", lua.LNil)
		}
	}
	if ioLib, ok := L.GetGlobal("io").(*lua.LTable); ok && !exec {
		ioLib.RawSetString("popen", lua.LNil)
	}
	r.confineLibs()
}

// allowDir adds dir to the directories restricted loading may read from.
func (r *Runtime) allowDir(dir string) {
	if abs, err := canonical(dir); err == nil && !slices.Contains(r.loadDirs, abs) {
		r.loadDirs = append(r.loadDirs, abs)
	}
}

// canonical returns the absolute path of p with symbolic links resolved
// (as far as the path exists).
func canonical(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real, nil
	}
	return abs, nil
}

// checkLoad reports whether the source file path may be loaded.
func (r *Runtime) checkLoad(path string) error {
	if err := r.checkFile(path, false); err != nil {
		return err
	}
	if r.libs.Unrestricted {
		return nil
	}
	abs, err := canonical(path)
	if err != nil {
		return err
	}
	for _, dir := range r.loadDirs {
		if rel, err := filepath.Rel(dir, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil
		}
	}
	return fmt.Errorf("%s: loading files outside the allowed directories is not permitted", path)
}

// loadFile compiles the source file path as DoFile does.
func (r *Runtime) loadFile(L *lua.LState, path string) (*lua.LFunction, error) {
	if err := r.checkLoad(path); err != nil {
		return nil, err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s", path)
	}
	fn, err := L.Load(bytes.NewReader(SourceText(src)), path)
	if err != nil {
		return nil, fmt.Errorf("%s", compileMessage(path, err))
	}
	return fn, nil
}

// loadfile(path) → function | nil, message
func (r *Runtime) luaLoadFile(L *lua.LState) int {
	fn, err := r.loadFile(L, L.CheckString(1))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(fn)
	return 1
}

// dofile(path) → the chunk's results
func (r *Runtime) luaDoFile(L *lua.LState) int {
	fn, err := r.loadFile(L, L.CheckString(1))
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	top := L.GetTop()
	L.Push(fn)
	L.Call(0, lua.MultRet)
	return L.GetTop() - top
}

// luaLoader is the package.loaders entry for Lua files: it searches
// package.path like the stock loader and loads the file like loadfile.
func (r *Runtime) luaLoader(L *lua.LState) int {
	name := L.CheckString(1)
	pkg, _ := L.GetGlobal("package").(*lua.LTable)
	var path string
	if pkg != nil {
		path = lua.LVAsString(pkg.RawGetString("path"))
	}
	file := strings.ReplaceAll(name, ".", string(filepath.Separator))
	var tried []string
	for _, pattern := range strings.Split(path, ";") {
		if pattern == "" {
			continue
		}
		candidate := strings.ReplaceAll(pattern, "?", file)
		if fi, err := os.Stat(candidate); err != nil || fi.IsDir() {
			tried = append(tried, "no file '"+candidate+"'")
			continue
		}
		fn, err := r.loadFile(L, candidate)
		if err != nil {
			L.RaiseError("error loading module '%s': %s", name, err.Error())
		}
		L.Push(fn)
		return 1
	}
	L.Push(lua.LString("\n\t" + strings.Join(tried, "\n\t")))
	return 1
}

// print(...) writes its arguments, tab-separated, as one line to Stdout.
func (r *Runtime) luaPrint(L *lua.LState) int {
	n := L.GetTop()
	parts := make([]string, n)
	for i := 1; i <= n; i++ {
		parts[i-1] = L.ToStringMeta(L.Get(i)).String()
	}
	fmt.Fprintln(r.stdout, strings.Join(parts, "\t"))
	return 0
}

// os.exit([code]) ends the script: DoFile returns an *ExitError.
func (r *Runtime) luaExit(L *lua.LState) int {
	code := 0
	switch v := L.Get(1).(type) {
	case lua.LBool:
		if !v {
			code = 1
		}
	case lua.LNumber:
		code = int(v)
	}
	r.exit = &ExitError{Code: code}
	if r.cancelRun != nil {
		r.cancelRun()
	}
	L.RaiseError("os.exit(%d)", code)
	return 0
}

// table.concat(t, [sep], [i], [j]) without pushing every element on the
// data stack, so that tables of any size can be joined.
func tableConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := L.OptString(2, "")
	i := L.OptInt(3, 1)
	j := L.OptInt(4, t.Len())
	var b strings.Builder
	for k := i; k <= j; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			b.WriteString(string(v))
		case lua.LNumber:
			b.WriteString(v.String())
		default:
			L.RaiseError("invalid value (%s) at index %d in table for concat", v.Type().String(), k)
		}
		if k != j {
			b.WriteString(sep)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// deferredGlobals is what deferGlobals left to do: the install function
// and the base functions it wrapped, by name.
type deferredGlobals struct {
	install func()
	wrapped map[string]wrappedFn
}

// wrappedFn is a base function replaced until the globals are installed.
type wrappedFn struct{ orig, wrapper lua.LValue }

// observers are the functions that see _G as it is, without its
// metamethods: calling one installs the deferred globals first.
var observers = []string{"rawget", "rawset", "next", "pairs", "getmetatable", "setmetatable", "getfenv", "setfenv"}

// deferGlobals arranges for install (the prelude, the mail classes, the
// AdvPL support) to run when a script first needs it instead of now: a
// metatable on _G runs it on the first read of a missing global and on
// the first assignment of a new one, and the base functions that bypass
// metatables (rawget, pairs, …, and debug.getmetatable/setmetatable) run
// it before doing their work. installGlobals undoes all of this, so that
// the state is then what New without DeferGlobals builds.
func (r *Runtime) deferGlobals(install func()) {
	L := r.ls
	g := L.G.Global
	d := &deferredGlobals{install: install, wrapped: map[string]wrappedFn{}}
	r.deferred = d
	mt := L.CreateTable(0, 2)
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		r.installGlobals()
		L.Push(L.GetTable(L.Get(1), L.Get(2)))
		return 1
	}))
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		r.installGlobals()
		L.SetTable(L.Get(1), L.Get(2), L.Get(3))
		return 0
	}))
	L.SetMetatable(g, mt)
	wrap := func(t *lua.LTable, name, key string) {
		orig, ok := t.RawGetString(name).(*lua.LFunction)
		if !ok {
			return
		}
		w := L.NewFunction(func(L *lua.LState) int {
			r.installGlobals()
			n := L.GetTop()
			L.Insert(orig, 1)
			L.Call(n, lua.MultRet)
			return L.GetTop()
		})
		t.RawSetString(name, w)
		d.wrapped[key] = wrappedFn{orig: orig, wrapper: w}
	}
	for _, name := range observers {
		wrap(g, name, name)
	}
	if dbg, ok := g.RawGetString("debug").(*lua.LTable); ok {
		wrap(dbg, "getmetatable", "debug.getmetatable")
		wrap(dbg, "setmetatable", "debug.setmetatable")
	}
}

// installGlobals runs what deferGlobals deferred, once; it does nothing
// when nothing is deferred. The base functions get their own values back
// (unless the script replaced them meanwhile) and _G loses the metatable
// before the install, which sets its own.
func (r *Runtime) installGlobals() {
	d := r.deferred
	if d == nil {
		return
	}
	r.deferred = nil
	L := r.ls
	g := L.G.Global
	L.SetMetatable(g, lua.LNil)
	for key, w := range d.wrapped {
		t, name := g, key
		if after, ok := strings.CutPrefix(key, "debug."); ok {
			dbg, isTable := g.RawGetString("debug").(*lua.LTable)
			if !isTable {
				continue
			}
			t, name = dbg, after
		}
		if t.RawGetString(name) == w.wrapper {
			t.RawSetString(name, w.orig)
		}
	}
	d.install()
}
