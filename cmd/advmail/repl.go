package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	advrt "github.com/advmail/advmail/runtime"
	"github.com/advmail/advmail/runtime/repl"
	"github.com/advmail/advmail/runtime/stubs"
)

var replAbout = []string{
	"Evaluates Lua interactively; results are printed. On a terminal: Tab completes, Ctrl-R searches",
	"the history, Ctrl-C cancels the line or interrupts the running statement (it prints",
	"\"interrupted\"; a mail method waiting on a server is interrupted too, and its object stays",
	"usable), Ctrl-D exits.",
	"Piped input (advmail repl < session.lua) is evaluated statement by statement with no prompts;",
	"errors name the line of the input. The run goes on after a failing statement (or stops there",
	"with --stop-on-error) and exits 1 when any statement failed.",
}

// cmdRepl runs the interactive prompt: with line editing on a terminal,
// line by line with no prompts when input is piped.
func cmdRepl(ctx context.Context, e *env, args []string) int {
	fs := flagSet("repl")
	config := fs.String("config", "", "the appserver.ini `FILE` to read the [Mail] section from (default: $ADVMAIL_CONFIG, then ./appserver.ini)")
	sandbox := fs.Bool("sandbox", false, "send and receive through the embedded local mail system; nothing leaves the machine")
	advplMode := fs.Bool("advpl", false, "read AdvPL lines instead of Lua (blocks such as If…EndIf continue on the next lines)")
	lenient := fs.Bool("lenient", false, "with --advpl, an undefined function warns once and returns NIL")
	stopOnError := fs.Bool("stop-on-error", false, "piped input: stop at the first statement that fails")
	if code, done := parseFlags(e, fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(e, fs, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}

	rt, err := advrt.New(advrt.Options{
		ConfigPath: *config,
		Stdout:     e.stdout,
		Stderr:     e.stderr,
		Sandbox:    *sandbox,
		Libs:       advrt.Libs{Unrestricted: true},
		Lenient:    *lenient,
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	r := repl.New(rt)
	r.AdvPL = *advplMode
	r.StopOnError = *stopOnError
	if e.stdin == os.Stdin && e.stdout == os.Stdout && repl.IsTerminal() {
		fmt.Fprintf(e.stdout, "advmail %s — Tab completes, Ctrl-C cancels, Ctrl-D exits\n", versionString())
		// The REPL catches Ctrl-C itself; it must not end the session.
		err = r.RunTerminal(context.WithoutCancel(ctx), e.stdout)
	} else {
		err = r.Run(ctx, e.stdin, e.stdout)
	}
	code := exitOK
	var exit *advrt.ExitError
	var failed *repl.FailedError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.Code
	case errors.As(err, &failed):
		fmt.Fprintf(e.stderr, "advmail repl: %v\n", failed)
		code = exitScript
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(e.stderr, "advmail: interrupted")
		code = exitScript
	default:
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		code = exitScript
	}
	if *sandbox {
		if err := rt.SandboxReport(e.stderr, ""); err != nil {
			fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		}
	}
	if err := rt.Close(); err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
	}
	return code
}

var stubsAbout = []string{
	"Writes LuaLS (lua-language-server) definitions of the mail classes, the legacy functions and",
	"the prelude, and an example .luarc.json pointing at them: copy it to your scripts' folder.",
}

// cmdStubs writes the LuaLS definition files.
func cmdStubs(_ context.Context, e *env, args []string) int {
	fs := flagSet("stubs")
	out := fs.String("out", "", "the directory `DIR` to write the stubs and an example .luarc.json to (created when missing)")
	if code, done := parseFlags(e, fs, args); done {
		return code
	}
	if *out == "" || fs.NArg() > 0 {
		return usageError(e, fs, "--out DIR is required and takes no other arguments")
	}
	paths, err := stubs.Write(*out)
	if err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	for _, p := range paths {
		fmt.Fprintln(e.stdout, p)
	}
	return exitOK
}
