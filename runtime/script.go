package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Script is a compiled script. It is parsed and compiled once and can then
// be run any number of times, by any number of Runtimes, concurrently: the
// compiled code is read-only.
type Script struct {
	name  string // chunk name: the path, or the name given to CompileString
	path  string // the file it was read from, "" for CompileString
	proto *lua.FunctionProto
	advpl bool // compiled from an AdvPL source: Run calls its function
}

// Compile reads and compiles the script at path as DoFile would: sources
// that are not valid UTF-8 are read as Windows-1252, and errors name the
// path and line.
func Compile(path string) (*Script, error) {
	if IsAdvPLSource(path) {
		return compileAdvPLScript(path)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read script: %w", err)
	}
	s, err := compileScript(path, src)
	if err != nil {
		return nil, err
	}
	s.path = path
	return s, nil
}

// CompileString compiles code as a chunk called name (what error messages
// and arg[0] show).
func CompileString(name, code string) (*Script, error) {
	return compileScript(name, []byte(code))
}

// compileScript compiles src (see SourceText) as chunk name.
func compileScript(name string, src []byte) (*Script, error) {
	chunk, err := parse.Parse(bytes.NewReader(SourceText(src)), name)
	if err != nil {
		return nil, &ScriptError{Message: compileMessage(name, err)}
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, &ScriptError{Message: compileMessage(name, err)}
	}
	return &Script{name: name, proto: proto}, nil
}

// Name returns the script's chunk name: its path, or the name given to
// CompileString.
func (s *Script) Name() string { return s.name }

// Run runs the compiled script s with args as DoFile does: the global
// table arg holds the script name at index 0 and args from 1, the chunk
// receives args as its varargs, and the globals the script sets stay in
// the Runtime's global table afterwards.
func (r *Runtime) Run(ctx context.Context, s *Script, args ...string) error {
	if r.closed {
		return errors.New("runtime: closed")
	}
	return r.runScript(ctx, s, args, r.ls.G.Global)
}

// runScript runs s with env as its global environment: arg is set in env.
func (r *Runtime) runScript(ctx context.Context, s *Script, args []string, env *lua.LTable) error {
	if s == nil || s.proto == nil {
		return errors.New("runtime: nil script")
	}
	if r.running {
		return errors.New("runtime: a script is already running")
	}
	if s.path != "" && !r.libs.Unrestricted {
		r.allowDir(filepath.Dir(s.path))
	}
	L := r.ls
	argt := L.CreateTable(len(args), 1)
	argt.RawSetInt(0, lua.LString(s.name))
	vals := make([]lua.LValue, len(args))
	for i, a := range args {
		argt.RawSetInt(i+1, lua.LString(a))
		vals[i] = lua.LString(a)
	}
	L.SetField(env, "arg", argt)
	fn := L.NewFunctionFromProto(s.proto)
	fn.Env = env
	if s.advpl {
		return r.runAdvPLScript(ctx, s, fn, vals)
	}
	_, err := r.call(ctx, fn, vals, 0)
	return err
}
