package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/advpl"
)

func init() { compileExprHook = advpl.CompileExpr }

// IsAdvPLSource reports whether path names an AdvPL source by its
// extension (.prw .prx .tlpp .prg .ch, any letter case).
func IsAdvPLSource(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".prw", ".prx", ".tlpp", ".prg", ".ch":
		return true
	}
	return false
}

// advplIncludeDirs returns the include search path after the source's own
// folder: Options.IncludeDirs, $ADVMAIL_INCLUDE, [advmail] IncludePath.
func (r *Runtime) advplIncludeDirs() []string {
	dirs := append([]string(nil), r.includeDirs...)
	for _, d := range filepath.SplitList(os.Getenv("ADVMAIL_INCLUDE")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	if r.srv != nil {
		if v, ok := r.srv.get("advmail", "IncludePath"); ok {
			for _, d := range filepath.SplitList(strings.TrimSpace(v)) {
				if d != "" {
					dirs = append(dirs, d)
				}
			}
		}
	}
	return dirs
}

// TranslateAdvPL compiles the AdvPL source at path to Lua with the
// runtime's include path.
func (r *Runtime) TranslateAdvPL(path string) (*advpl.Result, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read script: %w", err)
	}
	res, err := advpl.Compile(path, src, advpl.Options{IncludeDirs: r.advplIncludeDirs()})
	if err != nil {
		return nil, &ScriptError{Message: err.Error()}
	}
	return res, nil
}

// loadAdvPL compiles and runs the AdvPL source at path, which defines its
// functions and classes. File-level errors fail the load; a function that
// did not compile gets one warning line on Stderr.
func (r *Runtime) loadAdvPL(ctx context.Context, path string) error {
	res, err := r.TranslateAdvPL(path)
	if err != nil {
		return err
	}
	var fatal []string
	warned := map[string]bool{}
	for _, d := range res.Diagnostics {
		switch {
		case d.Warning:
		case d.Func == "":
			fatal = append(fatal, d.String())
		case !warned[d.Func]:
			warned[d.Func] = true
			fmt.Fprintf(r.stderr, "advmail: warning: %s (function %s does not compile; calling it raises this error)\n", d.String(), d.Func)
		}
	}
	if len(fatal) > 0 {
		return &ScriptError{Message: strings.Join(fatal, "\n")}
	}
	fn, err := r.compile(path, []byte(res.Lua))
	if err != nil {
		return err
	}
	if !r.libs.Unrestricted {
		r.allowDir(filepath.Dir(path))
	}
	if _, err := r.call(ctx, fn, nil, 0); err != nil {
		return err
	}
	r.adv.chunks = append(r.adv.chunks, advplChunk{name: path, proto: fn.Proto})
	return nil
}

// RunAdvPL loads the AdvPL sources files (the first is the main one) and
// calls a function with args as strings: call (any letter case, "U_"
// optional for a User Function; a Static Function of a loaded file may be
// named too), else the main file's Main Function, else its first User
// Function. It returns the function's first result. Privates left over are
// released afterwards.
func (r *Runtime) RunAdvPL(ctx context.Context, files []string, call string, args ...string) (lua.LValue, error) {
	if len(files) == 0 {
		return lua.LNil, errors.New("runtime: no AdvPL source to run")
	}
	a := r.advpl()
	first := len(a.files)
	for _, f := range files {
		if err := r.loadAdvPL(ctx, f); err != nil {
			return lua.LNil, err
		}
	}
	var main *advplFile
	if first < len(a.files) {
		main = a.files[first]
	}
	fn, err := r.pickAdvPL(main, call)
	if err != nil {
		return lua.LNil, err
	}
	vals := make([]lua.LValue, len(args))
	for i, s := range args {
		vals[i] = lua.LString(s)
	}
	mark := len(a.privates)
	defer r.releasePrivates(mark)
	out, err := r.call(ctx, fn, vals, 1)
	if err != nil {
		return lua.LNil, err
	}
	if len(out) == 0 {
		return lua.LNil, nil
	}
	return out[0], nil
}

// pickAdvPL chooses the function RunAdvPL calls.
func (r *Runtime) pickAdvPL(main *advplFile, call string) (*lua.LFunction, error) {
	a := r.adv
	if call != "" {
		want := strings.ToUpper(strings.TrimSuffix(call, "()"))
		for _, name := range []string{want, "U_" + want} {
			if f, ok := a.F.RawGetString(strings.ToLower(name)).(*lua.LFunction); ok {
				return f, nil
			}
		}
		for _, file := range a.files {
			for _, f := range file.funcs {
				if f.name == want || "U_"+want == f.name {
					return f.fn, nil
				}
			}
		}
		return nil, fmt.Errorf("function %s is not defined in the loaded sources", want)
	}
	if main == nil {
		return nil, errors.New("runtime: no function to call")
	}
	for _, kind := range []string{"main", "user"} {
		for _, f := range main.funcs {
			if f.kind == kind {
				return f.fn, nil
			}
		}
	}
	return nil, fmt.Errorf("%s: no Main Function or User Function to call (use --call)", main.name)
}

// compileAdvPLScript compiles an AdvPL source into a Script (includes:
// the source's folder, $ADVMAIL_INCLUDE, bundled).
func compileAdvPLScript(path string) (*Script, error) {
	var r Runtime
	res, err := r.TranslateAdvPL(path)
	if err != nil {
		return nil, err
	}
	var fatal []string
	for _, d := range res.Diagnostics {
		if !d.Warning && d.Func == "" {
			fatal = append(fatal, d.String())
		}
	}
	if len(fatal) > 0 {
		return nil, &ScriptError{Message: strings.Join(fatal, "\n")}
	}
	s, err := compileScript(path, []byte(res.Lua))
	if err != nil {
		return nil, err
	}
	s.path, s.advpl = path, true
	return s, nil
}

// runAdvPLScript runs the chunk of a compiled AdvPL Script, which defines
// its functions, then calls its Main Function or first User Function.
func (r *Runtime) runAdvPLScript(ctx context.Context, s *Script, chunk *lua.LFunction, args []lua.LValue) error {
	a := r.advpl()
	first := len(a.files)
	if _, err := r.call(ctx, chunk, nil, 0); err != nil {
		return err
	}
	var main *advplFile
	if first < len(a.files) {
		main = a.files[first]
	}
	fn, err := r.pickAdvPL(main, "")
	if err != nil {
		return err
	}
	mark := len(a.privates)
	defer r.releasePrivates(mark)
	_, err = r.call(ctx, fn, args, 0)
	return err
}
