// Command advmail runs AdvPL-style mail scripts written in Lua.
//
// Usage:
//
//	advmail run [--config FILE] [--trace] [--sandbox] [--sandbox-dir DIR] SCRIPT.lua [ARGS...]
//	advmail run [--call NAME] [--with FILE]... [--include DIR]... [--lenient] FILE.prw [ARGS...]
//	advmail translate [--include DIR]... FILE.prw
//	advmail repl [--config FILE] [--sandbox] [--advpl] [--lenient] [--stop-on-error]
//	advmail stubs --out DIR
//	advmail version
//	advmail help [COMMAND]
//
// Exit status: 0 on success, 1 when the script fails (the message, with
// file:line, goes to stderr), 2 on usage errors. A script ending with
// os.exit(n) exits with n.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
	advrt "github.com/advmail/advmail/runtime"
)

// Exit statuses.
const (
	exitOK     = 0
	exitScript = 1
	exitUsage  = 2
)

// version is set at build time with -ldflags "-X main.version=…"; when
// empty the module version from the build info is used.
var version = ""

// command is one subcommand. To add one, append it to commands. Its help
// text (writeHelp) is built from args, about and the flags its run
// function defines, and is the same for "advmail help NAME" and "advmail
// NAME --help": help runs the command with --help.
type command struct {
	name    string
	args    string // argument synopsis for the usage text
	summary string
	about   []string // lines of the help text after the synopsis
	run     func(ctx context.Context, env *env, args []string) int
}

// env is what a command may use: its input and output streams.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

var commands []command

func init() {
	commands = []command{
		{"run", "[--config FILE] [--trace] [--sandbox] [--sandbox-dir DIR] [--call NAME] [--with FILE]... [--include DIR]... [--lenient] SCRIPT.lua|FILE.prw [ARGS...]",
			"run a Lua mail script or an AdvPL source", runAbout, cmdRun},
		{"translate", "[--include DIR]... FILE.prw", "print the Lua an AdvPL source compiles to",
			[]string{"Prints the Lua FILE.prw compiles to; diagnostics go to stderr as FILE:LINE:COL: message."}, cmdTranslate},
		{"repl", "[--config FILE] [--sandbox] [--advpl] [--lenient] [--stop-on-error]",
			"interactive Lua (or, with --advpl, AdvPL) prompt with the mail classes and the prelude", replAbout, cmdRepl},
		{"stubs", "--out DIR", "write LuaLS definition files (and an example .luarc.json) for editors", stubsAbout, cmdStubs},
		{"version", "", "print the advmail version",
			[]string{"Prints the advmail version, the commit it was built from and the Go version."}, cmdVersion},
		{"help", "[COMMAND]", "show help for advmail or a command",
			[]string{`Without COMMAND, lists the commands; "advmail help COMMAND" prints what "advmail COMMAND --help" prints.`}, cmdHelp},
	}
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args to a subcommand and returns the exit status. The
// temporary files of big received messages (mail.RemoveTempFiles) are
// removed before it returns, whatever the command and however it ended.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	defer mail.RemoveTempFiles()
	e := &env{stdin: os.Stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	if c := findCommand(name); c != nil {
		ctx, stop := interruptOnSignal(ctx, c.name == "run")
		defer stop()
		return c.run(ctx, e, args[1:])
	}
	fmt.Fprintf(stderr, "advmail: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// usage writes the general help text.
func usage(w io.Writer) {
	fmt.Fprintln(w, "advmail runs AdvPL-style mail scripts (TMailManager, TMailMessage, MailSend, …) written in Lua.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %s\n", synopsis(c))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "advmail help COMMAND" for the options of a command.`)
}

// synopsis is the usage line of c, "advmail NAME ARGS".
func synopsis(c command) string {
	return strings.TrimSpace("advmail " + c.name + " " + c.args)
}

func cmdHelp(ctx context.Context, e *env, args []string) int {
	fs := flagSet("help")
	if code, done := parseFlags(e, fs, args); done {
		return code
	}
	switch fs.NArg() {
	case 0:
		usage(e.stdout)
		return exitOK
	case 1:
	default:
		return usageError(e, fs, "want at most one command name")
	}
	c := findCommand(fs.Arg(0))
	if c == nil {
		fmt.Fprintf(e.stderr, "advmail help: unknown command %q\n", fs.Arg(0))
		return exitUsage
	}
	// The command prints its own help, so that "advmail help NAME" and
	// "advmail NAME --help" cannot differ.
	return c.run(ctx, e, []string{"--help"})
}

func cmdVersion(_ context.Context, e *env, args []string) int {
	fs := flagSet("version")
	if code, done := parseFlags(e, fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(e, fs, "takes no arguments")
	}
	fmt.Fprintf(e.stdout, "advmail %s\n", versionString())
	return exitOK
}

// versionString returns the version, the commit and the Go toolchain it
// was built with (see formatVersion in version.go).
func versionString() string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(version, bi)
}

// runOptions are the flags of advmail run.
type runOptions struct {
	config     string
	trace      bool
	sandbox    bool
	sandboxDir string
	call       string
	with       listFlag
	include    listFlag
	lenient    bool
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set appends one value.
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// flagSet returns an empty flag set for the command name. It writes
// nothing itself: parseFlags and usageError write the errors and the help.
func flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("advmail "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs. When that ends the command, done is set
// and code is its exit status: exitOK after -h or --help (the help text
// is written to stdout), exitUsage on a bad flag (the error, prefixed by
// the command, and the help text go to stderr).
func parseFlags(e *env, fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, false
	case errors.Is(err, flag.ErrHelp):
		writeHelp(e.stdout, fs)
		return exitOK, true
	}
	return usageError(e, fs, err.Error()), true
}

// usageError writes "advmail NAME: msg" and the help text of the command
// to stderr and returns exitUsage.
func usageError(e *env, fs *flag.FlagSet, msg string) int {
	fmt.Fprintf(e.stderr, "%s: %s\n\n", fs.Name(), msg)
	writeHelp(e.stderr, fs)
	return exitUsage
}

// writeHelp writes the help text of the command whose flag set is fs: the
// synopsis, the about lines and the flags, spelt as in the synopsis.
func writeHelp(w io.Writer, fs *flag.FlagSet) {
	name := strings.TrimPrefix(fs.Name(), "advmail ")
	c := findCommand(name)
	if c == nil {
		return
	}
	fmt.Fprintf(w, "Usage: %s\n", synopsis(*c))
	if len(c.about) > 0 {
		fmt.Fprintln(w)
		for _, line := range c.about {
			fmt.Fprintln(w, line)
		}
	}
	writeFlags(w, fs)
}

// writeFlags lists the flags of fs as the synopsis writes them ("--config
// FILE", not Go's "-config string"): the placeholder is the back-quoted
// word of the flag's usage text, as flag.UnquoteUsage finds it.
func writeFlags(w io.Writer, fs *flag.FlagSet) {
	header := false
	fs.VisitAll(func(f *flag.Flag) {
		if !header {
			fmt.Fprintln(w, "\nFlags:")
			header = true
		}
		arg, text := flag.UnquoteUsage(f)
		fmt.Fprintln(w, "  "+strings.TrimSpace("--"+f.Name+" "+arg))
		fmt.Fprintf(w, "      %s\n", strings.TrimSpace(text))
	})
}

var runAbout = []string{
	"Runs SCRIPT.lua; ARGS are in the arg table and in ... as with the lua command.",
	"An AdvPL source (.prw .prx .tlpp .prg) is compiled and its function called with ARGS as strings:",
	"--call NAME, else its Main Function, else its first User Function.",
	"Exit status: 0; 1 on a compile or runtime error, or when the AdvPL function returns .F.",
	"Options must come before the script name.",
}

func runFlags() (*flag.FlagSet, *runOptions) {
	o := &runOptions{}
	fs := flagSet("run")
	fs.StringVar(&o.config, "config", "", "the appserver.ini `FILE` to read the [Mail] section from (default: $ADVMAIL_CONFIG, then ./appserver.ini)")
	fs.BoolVar(&o.trace, "trace", false, "write the protocol trace to stderr (passwords are redacted)")
	fs.BoolVar(&o.sandbox, "sandbox", false, "send and receive through the embedded local mail system; nothing leaves the machine")
	fs.StringVar(&o.sandboxDir, "sandbox-dir", "", "with --sandbox, save the captured messages in `DIR` as .eml files")
	fs.StringVar(&o.call, "call", "", "AdvPL: the function `NAME` to call (U_ optional; a Static Function may be named)")
	fs.Var(&o.with, "with", "AdvPL: load the source `FILE` too (repeatable)")
	fs.Var(&o.include, "include", "AdvPL: #include search directory `DIR` (repeatable)")
	fs.BoolVar(&o.lenient, "lenient", false, "AdvPL: an undefined function warns once and returns NIL instead of failing")
	return fs, o
}

func cmdRun(ctx context.Context, e *env, args []string) int {
	fs, o := runFlags()
	if code, done := parseFlags(e, fs, args); done {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(e, fs, "missing script name")
	}
	if o.sandboxDir != "" && !o.sandbox {
		fmt.Fprintln(e.stderr, "advmail run: --sandbox-dir needs --sandbox")
		return exitUsage
	}
	script, scriptArgs := fs.Arg(0), fs.Args()[1:]
	// A source that cannot be read fails before the runtime (and its
	// sandbox) starts: there is nothing to summarise then.
	for _, f := range append([]string{script}, o.with...) {
		if err := checkReadable(f); err != nil {
			fmt.Fprintf(e.stderr, "advmail: %v\n", err)
			return exitScript
		}
	}

	rt, err := advrt.New(advrt.Options{
		ConfigPath:  o.config,
		Stdout:      e.stdout,
		Stderr:      e.stderr,
		Sandbox:     o.sandbox,
		Trace:       o.trace,
		Libs:        advrt.Libs{Unrestricted: true},
		Lenient:     o.lenient,
		IncludeDirs: o.include,
		// A Lua script installs the prelude and the classes when it
		// first uses a global beyond the standard library.
		DeferGlobals: !advrt.IsAdvPLSource(script),
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	code := exitOK
	if advrt.IsAdvPLSource(script) {
		files := append([]string{script}, o.with...)
		v, runErr := rt.RunAdvPL(ctx, files, o.call, scriptArgs...)
		switch {
		case runErr != nil:
			code = report(e.stderr, runErr)
		case v == lua.LFalse:
			code = exitScript
		}
	} else if runErr := rt.DoFile(ctx, script, scriptArgs...); runErr != nil {
		code = report(e.stderr, runErr)
	}
	if o.sandbox {
		if err := rt.SandboxReport(e.stderr, o.sandboxDir); err != nil {
			fmt.Fprintf(e.stderr, "advmail: %v\n", err)
			if code == exitOK {
				code = exitScript
			}
		}
	}
	if err := rt.Close(); err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
	}
	return code
}

// interruptOnSignal returns a context that Ctrl-C (os.Interrupt)
// cancels: a running script stops at its next instruction and its
// connections are closed. With term (advmail run), SIGTERM does the same,
// and a second signal of either kind ends the process at once with
// status 128+signal, after removing the temporary files of big messages
// (the normal ways out of run remove them too). stop stops listening.
func interruptOnSignal(ctx context.Context, term bool) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	sigs := make(chan os.Signal, 1)
	if term {
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	} else {
		signal.Notify(sigs, os.Interrupt)
	}
	done := make(chan struct{})
	go func() {
		for n := 0; ; n++ {
			var s os.Signal
			select {
			case s = <-sigs:
			case <-done:
				return
			}
			cancel()
			if term && n > 0 {
				mail.RemoveTempFiles()
				code := 128 + 2 // SIGINT
				if sig, ok := s.(syscall.Signal); ok {
					code = 128 + int(sig)
				}
				os.Exit(code)
			}
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// checkReadable reports why the source file path cannot be read, nil when
// it can be opened and is not a directory.
func checkReadable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read script: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return fmt.Errorf("read script: %w", err)
	case fi.IsDir():
		return fmt.Errorf("read script: %s is a directory", path)
	}
	return nil
}

// report writes a script failure to w and returns the exit status.
func report(w io.Writer, err error) int {
	var exit *advrt.ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	var se *advrt.ScriptError
	if errors.As(err, &se) {
		msg := se.Message
		if errors.Is(err, context.Canceled) {
			msg += " (interrupted)"
		}
		fmt.Fprintf(w, "advmail: %s\n", msg)
		if tb := strings.TrimSpace(se.Traceback); tb != "" && tb != "stack traceback:" {
			fmt.Fprintln(w, tb)
		}
		return exitScript
	}
	fmt.Fprintf(w, "advmail: %v\n", err)
	return exitScript
}

func cmdTranslate(_ context.Context, e *env, args []string) int {
	var include listFlag
	fs := flagSet("translate")
	fs.Var(&include, "include", "#include search directory `DIR` (repeatable)")
	if code, done := parseFlags(e, fs, args); done {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(e, fs, "want exactly one source file")
	}
	rt, err := advrt.New(advrt.Options{Stdout: e.stdout, Stderr: e.stderr, IncludeDirs: include})
	if err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	defer rt.Close()
	res, err := rt.TranslateAdvPL(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	code := exitOK
	for _, d := range res.Diagnostics {
		fmt.Fprintln(e.stderr, d.String())
		if !d.Warning {
			code = exitScript
		}
	}
	fmt.Fprint(e.stdout, res.Lua)
	if !strings.HasSuffix(res.Lua, "\n") {
		fmt.Fprintln(e.stdout)
	}
	return code
}
