// Package runtime runs advmail scripts: it owns the gopher-lua state, the
// AdvPL prelude (conout, AllTrim, Date, GetPvProfString, …), the server ini
// with its [Mail] configuration, the mail Engine the bindings use, and the
// optional sandbox. The advmail command, the REPL and programs embedding
// advmail all go through a Runtime.
//
// A Runtime is not safe for concurrent use: run one script at a time.
package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/advmail/advmail/bindings"
	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
)

// Sizes of the Lua state. The data stack (registry) starts at 4K slots
// (small, so that starting is cheap) and grows in steps up to 256K slots,
// so that large table.unpack calls and deep expressions work; the call
// stack holds up to 2048 nested calls.
const (
	registrySize     = 1024 * 4
	registryMaxSize  = 1024 * 256
	registryGrowStep = 1024
	callStackSize    = 2048
)

// Options configures a Runtime. The zero value is usable: configuration
// from mail.FindConfigPath, output to the process's stdout and stderr, the
// restricted library set meant for embedding.
type Options struct {
	// ConfigPath names the appserver.ini to read. "" means
	// mail.FindConfigPath: $ADVMAIL_CONFIG, then ./appserver.ini when it
	// exists, else built-in defaults. A named file that is missing or
	// malformed is an error, except in sandbox mode (Sandbox or
	// SandboxServer) for the default name "appserver.ini" itself: that
	// file, when absent, means built-in defaults, so that a host whose
	// -config flag defaults to it runs on the sandbox without one.
	ConfigPath string
	// Config, when set, is the [Mail] configuration to use instead of a
	// file. It is kept in memory as a synthesized server ini that scripts
	// can read and change with GetPvProfString/WritePProString.
	Config *mail.Config
	// INI, when set, is the content of the server ini, kept in memory
	// (ConfigPath, if set, is only the name it goes by). Ignored when
	// Config is set.
	INI []byte

	// Stdout receives conout, print and varinfo output; Stderr the
	// protocol trace when Trace is set. nil means os.Stdout/os.Stderr.
	Stdout, Stderr io.Writer
	// Logger receives the runtime's own warnings. nil discards them.
	Logger *slog.Logger

	// Sandbox starts the embedded mail system (mail/sandbox) and routes
	// every connection of the script to it.
	Sandbox bool
	// SandboxServer, when set, is a running sandbox to route every
	// connection to instead of starting one (Sandbox is then implied):
	// the states of a Pool, or several Runtimes, share one mail system
	// this way. The Runtime does not close it.
	SandboxServer *sandbox.Sandbox
	// Trace turns MailTrace on and sends the protocol trace to Stderr.
	Trace bool

	// Libs selects what the standard Lua libraries may do.
	Libs Libs
	// Files, when set, confines every file access of scripts to the
	// given folders, read-only or read-write, or denies it (see
	// FileAccess). nil leaves file access as the OS permits.
	Files *FileAccess

	// Dial replaces the TCP dialer (ignored in sandbox mode).
	Dial mail.DialFunc
	// Token supplies OAuth2 access tokens for XOAUTH2 logins.
	Token mail.TokenFunc
	// Now, when set, replaces time.Now for Date, Time and Seconds.
	Now func() time.Time

	// Lenient makes a call of an undefined AdvPL function warn once on
	// Stderr and return NIL instead of raising an error ([advmail]
	// Lenient=1 in the server ini does the same).
	Lenient bool
	// IncludeDirs are searched for #include files of AdvPL sources after
	// the source's own folder and before $ADVMAIL_INCLUDE.
	IncludeDirs []string

	// DeferGlobals postpones installing the prelude, the mail classes,
	// the legacy functions and the AdvPL support until a Lua script
	// first looks past the standard library: reads a global that is not
	// there, assigns a new global, or inspects _G (pairs, next, rawget,
	// rawset, getmetatable, setmetatable); State, Register and RunAdvPL
	// through DoFile install them too. A script that needs none of them
	// starts faster; every other behaviour is as without it. The
	// advmail run command sets it for Lua scripts.
	DeferGlobals bool
}

// Libs selects what the standard Lua libraries may do. The zero value is
// the restricted set meant for embedding: no os.execute, io.popen or
// os.exit, and loadfile, dofile and require read only files inside
// LoadDirs and the directories of scripts run with DoFile.
type Libs struct {
	// Unrestricted opens every library with no restriction, as the lua
	// command does (os.exit ends the script with an *ExitError instead
	// of ending the process). The advmail command uses it.
	Unrestricted bool
	// Exec keeps os.execute, io.popen and os.exit in the restricted set.
	Exec bool
	// LoadDirs are the directories loadfile, dofile and require may read
	// from in the restricted set, besides those of DoFile scripts.
	LoadDirs []string
	// Omit names standard libraries not to open at all: "io", "os",
	// "debug", "package", "channel", "coroutine", "math", "string",
	// "table". The base library is always open.
	Omit []string
}

// ScriptError is a Lua error raised by a script: a syntax error, a runtime
// error or a cancellation. Message starts with file:line.
type ScriptError struct {
	// Message is the Lua error message, starting with file:line.
	Message   string
	Traceback string // "stack traceback:" and one line per frame, or ""
	cause     error
}

// Error returns Message.
func (e *ScriptError) Error() string { return e.Message }

// Unwrap returns the context error when the script was cancelled.
func (e *ScriptError) Unwrap() error { return e.cause }

// ExitError reports that the script called os.exit(Code).
type ExitError struct {
	// Code is the status the script passed to os.exit.
	Code int
}

// Error returns "script exited with status N".
func (e *ExitError) Error() string { return fmt.Sprintf("script exited with status %d", e.Code) }

// Runtime is a Lua state with the AdvPL prelude and the mail bindings.
type Runtime struct {
	ls     *lua.LState // the Lua state; State returns it
	engine *bindings.Engine
	sb     *sandbox.Sandbox
	srv    *serverINI

	stdout, stderr io.Writer
	logger         *slog.Logger
	libs           Libs
	loadDirs       []string
	filesSet       bool      // Options.Files given
	filesDeny      bool      // Options.Files.Deny
	fileDirs       []fileDir // Options.Files.Dirs, canonical
	now            func() time.Time
	closers        []io.Closer

	dateMT  *lua.LTable
	deleted map[*lua.LTable]pendingNils // aDel bookkeeping, see aDel
	env     *environment                // Protheus environment, see env.go

	running   bool
	cancelRun context.CancelFunc
	exit      *ExitError
	traceback string
	closed    bool

	adv         *advplState // AdvPL support, see advpl.go
	lenient     bool
	includeDirs []string

	deferred *deferredGlobals // see deferGlobals; nil once installed
}

// New creates a Runtime: reads the configuration, starts the sandbox when
// asked, builds the mail Engine and a Lua state with the standard
// libraries, the prelude and the mail classes.
func New(opts Options) (*Runtime, error) {
	r := &Runtime{
		stdout:  opts.Stdout,
		stderr:  opts.Stderr,
		logger:  opts.Logger,
		libs:    opts.Libs,
		now:     opts.Now,
		deleted: map[*lua.LTable]pendingNils{},
	}
	if r.stdout == nil {
		r.stdout = os.Stdout
	}
	if r.stderr == nil {
		r.stderr = os.Stderr
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	for _, d := range opts.Libs.LoadDirs {
		r.allowDir(d)
	}

	if err := r.setFiles(opts.Files); err != nil {
		return nil, err
	}

	srv, err := loadServerINI(opts)
	if err != nil {
		return nil, err
	}
	srv.logger = r.logger
	r.srv = srv
	cfg := srv.config()

	var t *mail.Transport
	switch {
	case opts.SandboxServer != nil:
		r.sb = opts.SandboxServer
		t = r.sb.Transport(cfg)
	case opts.Sandbox:
		sb, err := sandbox.Start()
		if err != nil {
			return nil, fmt.Errorf("start sandbox: %w", err)
		}
		r.sb = sb
		r.closers = append(r.closers, sb)
		t = sb.Transport(cfg)
	default:
		t = &mail.Transport{Config: cfg, Dial: opts.Dial}
	}
	t.Token = opts.Token
	if err := r.setTrace(t, cfg); err != nil {
		r.Close()
		return nil, err
	}
	r.engine = &bindings.Engine{Transport: t, Config: srv.config, Stdout: r.stdout}
	r.initEnv()

	r.ls = lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		RegistrySize:        registrySize,
		RegistryMaxSize:     registryMaxSize,
		RegistryGrowStep:    registryGrowStep,
		CallStackSize:       callStackSize,
		MinimizeStackMemory: true,
	})
	r.openLibs()
	install := func() {
		r.openPrelude()
		bindings.Open(r.ls, r.engine)
		r.initAdvPL(opts)
	}
	if opts.DeferGlobals {
		r.deferGlobals(install)
	} else {
		install()
	}
	return r, nil
}

// setTrace points t's protocol trace where the configuration says:
// MailTraceFile, else the runtime's Stderr.
func (r *Runtime) setTrace(t *mail.Transport, cfg *mail.Config) error {
	if !cfg.Trace {
		return nil
	}
	if cfg.TraceFile == "" {
		t.Trace = r.stderr
		return nil
	}
	f, err := os.OpenFile(cfg.TraceFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open MailTraceFile: %w", err)
	}
	r.closers = append(r.closers, f)
	t.Trace = f
	return nil
}

// State returns the Lua state, for the REPL and for embedders that add
// their own values. Do not use it while a script runs.
func (r *Runtime) State() *lua.LState {
	r.installGlobals()
	return r.ls
}

// Engine returns the mail engine the classes are bound to.
func (r *Runtime) Engine() *bindings.Engine { return r.engine }

// Sandbox returns the running sandbox, nil when not in sandbox mode.
func (r *Runtime) Sandbox() *sandbox.Sandbox { return r.sb }

// Config returns the [Mail] configuration in force now.
func (r *Runtime) Config() *mail.Config { return r.srv.config() }

// ServerINI returns the name of the server ini (what GetSrvIniName returns).
func (r *Runtime) ServerINI() string { return r.srv.name }

// Register installs fn as a global function reachable in any letter case.
// It fails when name is empty, fn is nil, the Runtime is closed or a
// script is running (as Pool.Register does, it returns an error rather
// than change a state in use).
func (r *Runtime) Register(name string, fn lua.LGFunction) error {
	switch {
	case name == "":
		return errors.New("runtime: Register: empty function name")
	case fn == nil:
		return fmt.Errorf("runtime: Register %s: nil function", name)
	case r.closed:
		return fmt.Errorf("runtime: Register %s: closed", name)
	case r.running:
		return fmt.Errorf("runtime: Register %s: a script is running", name)
	}
	r.installGlobals()
	bindings.AddGlobal(r.ls, name, r.ls.NewFunction(fn))
	return nil
}

// DoFile runs the script at path with args, as the lua command does: the
// global table arg holds the path at index 0 and args from 1, and the
// chunk receives args as its varargs. Sources that are not valid UTF-8 are
// read as Windows-1252. Errors name the script path and line. An AdvPL
// source (see IsAdvPLSource) is compiled and run as RunAdvPL(ctx,
// []string{path}, "", args...) does.
func (r *Runtime) DoFile(ctx context.Context, path string, args ...string) error {
	if IsAdvPLSource(path) {
		r.installGlobals()
		_, err := r.RunAdvPL(ctx, []string{path}, "", args...)
		return err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read script: %w", err)
	}
	if !r.libs.Unrestricted {
		r.allowDir(filepath.Dir(path))
	}
	argt := r.ls.NewTable()
	argt.RawSetInt(0, lua.LString(path))
	vals := make([]lua.LValue, len(args))
	for i, a := range args {
		argt.RawSetInt(i+1, lua.LString(a))
		vals[i] = lua.LString(a)
	}
	if r.deferred != nil {
		// Not a script's assignment: it must not install the globals.
		r.ls.G.Global.RawSetString("arg", argt)
	} else {
		r.ls.SetGlobal("arg", argt)
	}
	_, err = r.run(ctx, path, src, vals, 0)
	return err
}

// DoString runs Lua code; errors name the chunk "<string>".
func (r *Runtime) DoString(ctx context.Context, code string) error {
	_, err := r.run(ctx, "<string>", []byte(code), nil, 0)
	return err
}

// Eval runs code as a chunk called name and returns the values it
// returns (the REPL evaluates "return <expr>" this way).
func (r *Runtime) Eval(ctx context.Context, name, code string) ([]lua.LValue, error) {
	return r.run(ctx, name, []byte(code), nil, lua.MultRet)
}

// Call calls fn with args under ctx and returns its results.
func (r *Runtime) Call(ctx context.Context, fn lua.LValue, args ...lua.LValue) ([]lua.LValue, error) {
	return r.call(ctx, fn, args, lua.MultRet)
}

// run compiles src as chunk name and calls it.
func (r *Runtime) run(ctx context.Context, name string, src []byte, args []lua.LValue, nret int) ([]lua.LValue, error) {
	if r.closed {
		return nil, errors.New("runtime: closed")
	}
	fn, err := r.compile(name, src)
	if err != nil {
		return nil, err
	}
	return r.call(ctx, fn, args, nret)
}

// compile loads src (see SourceText) as chunk name.
func (r *Runtime) compile(name string, src []byte) (*lua.LFunction, error) {
	fn, err := r.ls.Load(bytes.NewReader(SourceText(src)), name)
	if err != nil {
		return nil, &ScriptError{Message: compileMessage(name, err)}
	}
	return fn, nil
}

// compileMessage turns gopher-lua's syntax errors into "file:line: text".
func compileMessage(name string, err error) string {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Cause != nil {
		err = apiErr.Cause
	}
	var pe *parse.Error
	if errors.As(err, &pe) {
		if pe.Pos.Line == parse.EOF {
			return fmt.Sprintf("%s: at end of file: %s", name, pe.Message)
		}
		return fmt.Sprintf("%s:%d: %s near '%s'", name, pe.Pos.Line, pe.Message, pe.Token)
	}
	var ce *lua.CompileError
	if errors.As(err, &ce) {
		return fmt.Sprintf("%s:%d: %s", name, ce.Line, ce.Message)
	}
	return name + ": " + strings.TrimSpace(err.Error())
}

// call runs fn under ctx. Cancelling ctx stops the script at its next
// instruction and closes every mail connection, so that a script blocked
// in a mail operation returns promptly.
func (r *Runtime) call(ctx context.Context, fn lua.LValue, args []lua.LValue, nret int) ([]lua.LValue, error) {
	if r.closed {
		return nil, errors.New("runtime: closed")
	}
	if r.running {
		return nil, errors.New("runtime: a script is already running")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, r.engine.CloseAll)
	defer stop()

	L := r.ls
	r.running, r.cancelRun, r.exit, r.traceback = true, cancel, nil, ""
	L.SetContext(ctx)
	defer func() {
		L.RemoveContext()
		r.running, r.cancelRun = false, nil
	}()

	top := L.GetTop()
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), nret, L.NewFunction(r.errorHandler))
	if exit := r.exit; exit != nil {
		r.exit = nil
		L.SetTop(top)
		return nil, exit
	}
	if err != nil {
		L.SetTop(top)
		se := &ScriptError{Message: err.Error(), Traceback: r.traceback}
		var apiErr *lua.ApiError
		if errors.As(err, &apiErr) && apiErr.Object != nil {
			se.Message = apiErr.Object.String()
		}
		if ctx.Err() != nil {
			se.cause = context.Cause(ctx)
			// A connection tracked after the cancellation fired (its
			// dial had just completed) was not closed by AfterFunc.
			r.engine.CloseAll()
		}
		return nil, se
	}
	if ctx.Err() != nil {
		// Cancelled while a Go function (a mail method whose connection
		// the cancellation closed) was running, and the chunk ended
		// before the VM saw it: the call is interrupted all the same, so
		// that a cancelled call fails whatever instruction it was on.
		L.SetTop(top)
		r.engine.CloseAll()
		return nil, &ScriptError{Message: context.Cause(ctx).Error(), cause: context.Cause(ctx)}
	}
	n := L.GetTop() - top
	out := make([]lua.LValue, n)
	for i := range n {
		out[i] = L.Get(top + 1 + i)
	}
	L.SetTop(top)
	return out, nil
}

// errorHandler records a traceback of the failing script and returns the
// error value unchanged.
func (r *Runtime) errorHandler(L *lua.LState) int {
	r.traceback = r.describeStack(L)
	L.Push(L.Get(1))
	return 1
}

// describeStack describes the Lua frames of the current call stack; a
// compiled AdvPL function is named as AdvPL names it (U_TSTIMAP).
func (r *Runtime) describeStack(L *lua.LState) string {
	var b strings.Builder
	b.WriteString("stack traceback:")
	for level := 0; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		fn, err := L.GetInfo("Slnf", dbg, lua.LNil)
		if err != nil {
			break
		}
		if dbg.What == "G" || dbg.CurrentLine < 0 {
			continue
		}
		name := dbg.Name
		switch {
		case r.advplName(fn) != "":
			name = "function '" + r.advplName(fn) + "'"
		case dbg.What == "main":
			name = "main chunk"
		case name == "":
			name = "function <" + dbg.Source + ":" + fmt.Sprint(dbg.LineDefined) + ">"
		default:
			name = "function '" + name + "'"
		}
		fmt.Fprintf(&b, "\n\t%s:%d: in %s", dbg.Source, dbg.CurrentLine, name)
	}
	return b.String()
}

// Close closes every mail connection, the Lua state, the sandbox and the
// trace file. It is safe to call more than once, but not while a script
// runs: cancel the script's context and wait for it to return first.
func (r *Runtime) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.closeEnv()
	if r.engine != nil {
		r.engine.CloseAll()
	}
	if r.ls != nil {
		r.ls.Close()
	}
	var errs []error
	for i := len(r.closers) - 1; i >= 0; i-- {
		if err := r.closers[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	r.closers = nil
	return errors.Join(errs...)
}

// SandboxReport writes the summary of the messages the sandbox captured to
// w — a header line "sandbox: N message(s) captured" then one block per
// message — and, when emlDir is not "", saves them there as .eml files
// (001.eml, 002.eml, …). It does nothing outside sandbox mode.
func (r *Runtime) SandboxReport(w io.Writer, emlDir string) error {
	if r.sb == nil {
		return nil
	}
	n := len(r.sb.Captured())
	var buf bytes.Buffer
	r.sb.Summary(&buf)
	blocks := buf.String()
	if strings.HasPrefix(blocks, "sandbox:") { // the sandbox's own header
		_, blocks, _ = strings.Cut(blocks, "\n")
	}
	fmt.Fprintf(w, "sandbox: %d message(s) captured\n%s", n, blocks)
	if emlDir != "" {
		if err := r.sb.WriteEML(emlDir); err != nil {
			return err
		}
	}
	return nil
}
