// Package repl is the interactive prompt of advmail (advmail repl): it reads
// Lua one line at a time, evaluates it in a runtime.Runtime — so the mail
// classes, the legacy functions and the AdvPL prelude are all there — and
// prints the results in an AdvPL VarInfo-like layout.
//
// Each input is tried first as an expression ("return <input>") and, when
// that does not compile, as the statement typed. An input that is an
// incomplete chunk (an open function, if, table or long string) continues
// on the next line. As in the lua command, every input is its own chunk:
// locals do not survive from one input to the next; use globals.
//
// On a terminal (RunTerminal) the prompt has line editing, a history file,
// Ctrl-R reverse search and Tab completion; Ctrl-C cancels the line being
// typed or the statement running, Ctrl-D exits. Elsewhere (Run) input is
// read line by line with no prompts, so that sessions can be piped in;
// errors then name the line of the whole input.
//
// Interrupting a statement (Ctrl-C at the terminal, or cancelling the
// context) always fails it with the message "interrupted", also when it
// is a mail method waiting on a server: the runtime closes the mail
// connections, and the statement is reported as interrupted even when the
// method had already returned its error code. The object stays usable
// (connect again). A script under advmail run sees the same: it stops.
package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/peterh/liner"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"

	"github.com/advmail/advmail/bindings"
	advrt "github.com/advmail/advmail/runtime"
)

// Prompts of the terminal mode.
const (
	Prompt         = "advmail> "
	ContinuePrompt = ">> "
)

// ChunkName is the name inputs are compiled as; error messages start with
// it ("stdin:1: attempt to call a nil value").
const ChunkName = "stdin"

// REPL is an interactive session over a Runtime. It is not safe for
// concurrent use.
type REPL struct {
	rt *advrt.Runtime

	// HistoryFile is where RunTerminal loads and saves the line history;
	// "" keeps no history. New sets it to DefaultHistoryFile().
	HistoryFile string

	// AdvPL makes the REPL read AdvPL lines instead of Lua (see advpl.go).
	AdvPL bool

	// StopOnError makes Run stop at the first input that fails; by
	// default it goes on to the next one.
	StopOnError bool

	pending []string // lines of an incomplete chunk
	start   int      // line of the input where pending began (Run); 0: no line numbers
	hist    history  // the terminal prompt's entries

	classes  map[string]bindings.ClassSpec // lower-case class name → spec
	secret   map[string]bool               // lower-case names of members/functions taking a password
	helpers  *helpers
	helperOK bool
}

// New returns a REPL evaluating in rt. The caller keeps ownership of rt.
func New(rt *advrt.Runtime) *REPL {
	r := &REPL{
		rt:          rt,
		HistoryFile: DefaultHistoryFile(),
		classes:     map[string]bindings.ClassSpec{},
		secret:      map[string]bool{},
	}
	for _, c := range bindings.Classes() {
		r.classes[strings.ToLower(c.Name)] = c
		for _, m := range c.Members {
			if takesSecret(m.Params) {
				r.secret[strings.ToLower(m.Name)] = true
			}
		}
	}
	for _, f := range bindings.Functions() {
		if takesSecret(f.Params) {
			r.secret[strings.ToLower(f.Name)] = true
		}
	}
	return r
}

// takesSecret reports whether a parameter list includes a password.
func takesSecret(ps []bindings.Param) bool {
	for _, p := range ps {
		if strings.Contains(strings.ToLower(p.Name), "pass") {
			return true
		}
	}
	return false
}

// DefaultHistoryFile returns the history file of the terminal prompt,
// <user config dir>/advmail/repl_history, or "" when there is no user
// config dir.
func DefaultHistoryFile() string {
	dir, err := os.UserConfigDir()
	if err != nil || dir == "" {
		return ""
	}
	return filepath.Join(dir, "advmail", "repl_history")
}

// IsTerminal reports whether standard input and output are both terminals
// that support line editing, that is, whether RunTerminal should be used
// rather than Run.
func IsTerminal() bool {
	return liner.TerminalSupported() && isCharDevice(os.Stdin) && isCharDevice(os.Stdout)
}

func isCharDevice(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// FailedError is what Run returns when inputs failed: their errors were
// written to the output as they happened.
type FailedError struct {
	Failed  int  // the number of inputs that failed
	Stopped bool // StopOnError ended the run at the first failure
}

// Error says how many statements failed, and whether the run stopped.
func (e *FailedError) Error() string {
	msg := fmt.Sprintf("%d statement(s) failed", e.Failed)
	if e.Stopped {
		msg += "; stopped at the first (--stop-on-error)"
	}
	return msg
}

// Run reads in line by line, evaluates and writes the results and errors
// to out, with no prompts; it is the mode for piped input and for tests.
// Error messages name the line of in ("stdin:12: boom"). A failing input
// is reported and the session goes on, unless StopOnError is set; an
// incomplete statement left at the end of in is reported as such
// ("stdin: incomplete statement at end of input, started at line 7") and
// counts as a failure. Run returns nil when in ends and every input
// succeeded, a *FailedError when some failed, ctx.Err() when ctx is done —
// cancelling ctx also stops the statement running, and a read in progress
// on in is abandoned — and a *runtime.ExitError when the input calls
// os.exit.
func (r *REPL) Run(ctx context.Context, in io.Reader, out io.Writer) error {
	type line struct {
		text string
		err  error
	}
	lines := make(chan line)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		br := bufio.NewReader(in)
		for {
			s, err := br.ReadString('\n')
			if s == "" && err != nil {
				select {
				case lines <- line{err: err}:
				case <-stop:
				}
				return
			}
			select {
			case lines <- line{text: strings.TrimRight(s, "\r\n")}:
			case <-stop:
				return
			}
		}
	}()
	defer func() { r.start = 0 }()
	failed := 0
	result := func(stopped bool) error {
		if failed == 0 {
			return nil
		}
		return &FailedError{Failed: failed, Stopped: stopped}
	}
	for n := 1; ; n++ {
		var l line
		select {
		case <-ctx.Done():
			return ctx.Err()
		case l = <-lines:
		}
		if l.err != nil {
			if !errors.Is(l.err, io.EOF) {
				return fmt.Errorf("repl: read input: %w", l.err)
			}
			bad, err := r.flush(ctx, out)
			if bad {
				failed++
			}
			if err != nil {
				return err
			}
			return result(false)
		}
		if len(r.pending) == 0 {
			r.start = n
		}
		_, bad, err := r.feed(ctx, l.text, out)
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if bad {
			failed++
			if r.StopOnError {
				return result(true)
			}
		}
	}
}

// RunTerminal runs the interactive prompt on the process's terminal,
// writing results to out (normally os.Stdout): line editing, history in
// HistoryFile, Ctrl-R reverse search, Tab completion. Ctrl-C discards the
// line being typed or, while a statement runs, cancels it; Ctrl-D (or
// end of input) ends the session with a nil error. The caller should not
// cancel ctx on Ctrl-C itself: RunTerminal catches os.Interrupt while a
// statement runs. A complete input is one history entry, also when typed
// over several lines; cancelled input is not kept. Inputs that pass a
// password (SMTPAuth, Init, MailSmtpOn, … or an "oauth2:" token) can be
// recalled during the session but are not written to the history file.
func (r *REPL) RunTerminal(ctx context.Context, out io.Writer) error {
	ln := liner.NewLiner()
	defer ln.Close()
	ln.SetCtrlCAborts(true)
	ln.SetTabCompletionStyle(liner.TabPrints)
	ln.SetWordCompleter(r.Complete)
	r.loadHistory()
	for _, l := range r.hist.lines() {
		ln.AppendHistory(l)
	}
	defer r.saveHistory()
	return r.interact(ctx, ln, out)
}

// prompter is the line editor the terminal prompt reads from: a
// *liner.State, or a stand-in in tests.
type prompter interface {
	// Prompt reads a line; liner.ErrPromptAborted on Ctrl-C, io.EOF on
	// Ctrl-D.
	Prompt(prompt string) (string, error)
	// AppendHistory adds a line to the editor's (in-memory) history.
	AppendHistory(item string)
}

// interact is the loop of the terminal prompt over p. A complete input
// becomes one history entry, also when typed over several lines, and an
// input cancelled with Ctrl-C becomes none. A recalled multi-line entry
// runs as its original lines.
func (r *REPL) interact(ctx context.Context, p prompter, out io.Writer) error {
	var entry []string // lines of the input being typed
	for {
		prompt := Prompt
		if r.Pending() {
			prompt = ContinuePrompt
		}
		text, err := p.Prompt(prompt)
		switch {
		case errors.Is(err, liner.ErrPromptAborted):
			r.pending, entry = nil, nil
			continue
		case errors.Is(err, io.EOF):
			fmt.Fprintln(out)
			return nil
		case err != nil:
			return fmt.Errorf("repl: read input: %w", err)
		}
		if !r.Pending() {
			text = r.hist.resolve(text)
		}
		entry = append(entry, text)
		more, err := r.feedInterruptible(ctx, text, out)
		if !more {
			src := strings.Join(entry, "\n")
			entry = nil
			if line, ok := r.hist.add(src, r.secretLine(src)); ok {
				p.AppendHistory(line)
			}
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// feedInterruptible is Feed with os.Interrupt cancelling the evaluation.
func (r *REPL) feedInterruptible(ctx context.Context, text string, out io.Writer) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sig:
			cancel()
		case <-done:
		}
	}()
	return r.Feed(ctx, text, out)
}

// secretWords mark identifiers that hold a password or a token
// (cPass, cPassword, MV_RELPSW, cSenha, …).
var secretWords = []string{"pass", "psw", "pwd", "senha", "secret", "token"}

// secretLine reports whether an input calls something that takes a
// password, names a variable or property that holds one, or holds an
// OAuth2 token, so that it stays out of the history file.
func (r *REPL) secretLine(text string) bool {
	low := strings.ToLower(text)
	if strings.Contains(low, "oauth2:") {
		return true
	}
	for _, id := range identifiers(low) {
		if r.secret[id] {
			return true
		}
		for _, w := range secretWords {
			if strings.Contains(id, w) {
				return true
			}
		}
	}
	return false
}

// identifiers returns the identifiers in s, in order.
func identifiers(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isIdentByte(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	return out
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// loadHistory adds the entries of HistoryFile to the history; a missing or
// unreadable file is ignored (the history is a convenience).
func (r *REPL) loadHistory() {
	if r.HistoryFile == "" {
		return
	}
	f, err := os.Open(r.HistoryFile)
	if err != nil {
		return
	}
	defer f.Close()
	r.hist.read(f)
}

// saveHistory writes the history file, without the entries that pass a
// password; failures are ignored.
func (r *REPL) saveHistory() {
	if r.HistoryFile == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(r.HistoryFile), 0o700); err != nil {
		return
	}
	f, err := os.OpenFile(r.HistoryFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return
	}
	r.hist.write(f)
	f.Close()
}

// Pending reports whether an incomplete chunk is waiting for more lines
// (the terminal shows ContinuePrompt then).
func (r *REPL) Pending() bool { return len(r.pending) > 0 }

// Feed adds one input line. When the lines fed so far form a complete
// chunk (or a syntax error) it is evaluated and its results or error are
// written to out, and Feed returns false; while the chunk is incomplete it
// returns true and evaluates nothing. Script errors are written to out,
// not returned: the error returned is a *runtime.ExitError when the input
// called os.exit, or a failure of the REPL itself.
func (r *REPL) Feed(ctx context.Context, text string, out io.Writer) (more bool, err error) {
	more, _, err = r.feed(ctx, text, out)
	return more, err
}

// feed is Feed; failed reports that the input was evaluated and failed.
func (r *REPL) feed(ctx context.Context, text string, out io.Writer) (more, failed bool, err error) {
	r.pending = append(r.pending, text)
	src := strings.Join(r.pending, "\n")
	if r.AdvPL {
		return r.feedAdvPL(ctx, src, false, out)
	}
	code, state := classify(src)
	switch state {
	case chunkEmpty:
		r.pending = nil
		return false, false, nil
	case chunkIncomplete:
		return true, false, nil
	}
	r.pending = nil
	failed, err = r.eval(ctx, code, out)
	return false, failed, err
}

// flush handles what is left of an incomplete chunk at the end of input:
// it is reported as incomplete, and failed is set.
func (r *REPL) flush(ctx context.Context, out io.Writer) (failed bool, err error) {
	if len(r.pending) == 0 {
		return false, nil
	}
	if r.AdvPL {
		_, failed, err := r.feedAdvPL(ctx, strings.Join(r.pending, "\n"), true, out)
		return failed, err
	}
	r.pending = nil
	r.reportIncomplete(out, ChunkName)
	return true, nil
}

// reportIncomplete writes that the input ended inside a statement.
func (r *REPL) reportIncomplete(out io.Writer, chunk string) {
	if r.start > 0 {
		fmt.Fprintf(out, "%s: incomplete statement at end of input, started at line %d\n", chunk, r.start)
		return
	}
	fmt.Fprintf(out, "%s: incomplete statement at end of input\n", chunk)
}

// linePad is the blank lines put before a chunk so that its line numbers
// are those of the input (Run); "" at the terminal, where each entry
// counts from 1.
func (r *REPL) linePad() string {
	if r.start <= 1 {
		return ""
	}
	return strings.Repeat("\n", r.start-1)
}

// chunk states of classify.
const (
	chunkEmpty = iota
	chunkReady
	chunkIncomplete
)

// classify decides what to run for src: "return <src>" when that compiles,
// else src itself (also when it does not compile: running it reports the
// syntax error); chunkIncomplete when either form stops at end of input.
// "=expr" is short for "return expr", as in the lua command.
func classify(src string) (code string, state int) {
	trimmed := strings.TrimSpace(src)
	if trimmed == "" {
		return "", chunkEmpty
	}
	if strings.HasPrefix(trimmed, "=") {
		src = "return " + strings.TrimPrefix(strings.TrimLeft(src, " \t"), "=")
		if incomplete(parseErr(src)) {
			return "", chunkIncomplete
		}
		return src, chunkReady
	}
	exprErr := parseErr("return " + src)
	if exprErr == nil {
		return "return " + src, chunkReady
	}
	stmtErr := parseErr(src)
	if stmtErr == nil {
		return src, chunkReady
	}
	if incomplete(stmtErr) || incomplete(exprErr) {
		return "", chunkIncomplete
	}
	return src, chunkReady
}

// parseErr parses src and returns the syntax error, nil when it parses.
func parseErr(src string) error {
	_, err := parse.Parse(strings.NewReader(src), ChunkName)
	return err
}

// incomplete reports whether a parse error means "the chunk stops before
// it is finished" (gopher-lua reports those at line EOF), rather than a
// mistake that more lines cannot fix. A short string open at the end of a
// line is a mistake: a line break cannot continue it.
func incomplete(err error) bool {
	var pe *parse.Error
	if !errors.As(err, &pe) || pe.Pos.Line != parse.EOF {
		return false
	}
	return !strings.Contains(pe.Message, "unterminated string")
}

// eval runs code and writes its results or its error to out; failed
// reports a script error. A string returned by a bare VarInfo(...) call is
// not echoed: VarInfo has written the same text already.
func (r *REPL) eval(ctx context.Context, code string, out io.Writer) (failed bool, err error) {
	vals, err := r.rt.Eval(ctx, ChunkName, r.linePad()+code)
	if err != nil {
		return r.reportEvalError(out, err)
	}
	if len(vals) == 0 {
		return false, nil
	}
	if len(vals) == 1 && vals[0].Type() == lua.LTString && echoingVarInfo(code) {
		return false, nil
	}
	texts := make([]string, len(vals))
	oneLine := true
	for i, v := range vals {
		texts[i] = r.Format(ctx, v)
		if strings.Contains(texts[i], "\n") {
			oneLine = false
		}
	}
	if oneLine {
		fmt.Fprintln(out, strings.Join(texts, "\t"))
		return false, nil
	}
	for _, t := range texts {
		fmt.Fprintln(out, t)
	}
	return false, nil
}

// echoingVarInfo reports whether code is "return VarInfo(...)" (the name
// in any letter case) with its echo argument (the fifth) absent or not a
// literal false or nil, that is, a call that has printed its result.
func echoingVarInfo(code string) bool {
	chunk, err := parse.Parse(strings.NewReader(code), ChunkName)
	if err != nil || len(chunk) != 1 {
		return false
	}
	ret, ok := chunk[0].(*ast.ReturnStmt)
	if !ok || len(ret.Exprs) != 1 {
		return false
	}
	call, ok := ret.Exprs[0].(*ast.FuncCallExpr)
	if !ok || call.Receiver != nil {
		return false
	}
	id, ok := call.Func.(*ast.IdentExpr)
	if !ok || !strings.EqualFold(id.Value, "VarInfo") {
		return false
	}
	if len(call.Args) >= 5 {
		switch call.Args[4].(type) {
		case *ast.FalseExpr, *ast.NilExpr:
			return false
		}
	}
	return true
}

// reportEvalError writes a script error to out and sets failed; os.exit
// is returned as the error.
func (r *REPL) reportEvalError(out io.Writer, err error) (failed bool, _ error) {
	var exit *advrt.ExitError
	if errors.As(err, &exit) {
		return false, exit
	}
	writeError(out, err)
	return true, nil
}

// writeError writes a script error: its message (with chunk:line) and,
// when the error happened inside a function, the traceback. An
// interrupted statement is reported as "interrupted" alone.
func writeError(out io.Writer, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintln(out, "interrupted")
		return
	}
	var se *advrt.ScriptError
	if !errors.As(err, &se) {
		fmt.Fprintf(out, "error: %v\n", err)
		return
	}
	fmt.Fprintln(out, se.Message)
	tb := strings.TrimSpace(se.Traceback)
	if strings.Count(tb, "\n") >= 2 { // more than the main chunk
		fmt.Fprintln(out, tb)
	}
}

// helpers are Lua functions the REPL calls on values of the session; they
// are captured once so that a script redefining tostring does not change
// them, and run protected through Runtime.Call, so that a failing
// __index or __tostring becomes an error, never a panic.
type helpers struct {
	tostring lua.LValue // function(v) return tostring(v) end
	index    lua.LValue // function(o, k) return o[k] end
	method   lua.LValue // function(o, k, ...) return o[k](o, ...) end
	global   lua.LValue // the global table
}

const helpersSrc = `local tostring, G = tostring, _G
return function(v) return tostring(v) end,
  function(o, k) return o[k] end,
  function(o, k, ...) return o[k](o, ...) end,
  G`

// help returns the helpers, compiling them on first use; nil when that
// fails (the session cannot evaluate anything then either).
func (r *REPL) help(ctx context.Context) *helpers {
	if r.helperOK {
		return r.helpers
	}
	vals, err := r.rt.Eval(ctx, "=repl", helpersSrc)
	if err != nil || len(vals) != 4 {
		return nil
	}
	r.helpers = &helpers{tostring: vals[0], index: vals[1], method: vals[2], global: vals[3]}
	r.helperOK = true
	return r.helpers
}

// call1 calls fn with args through the runtime and returns its first result.
func (r *REPL) call1(ctx context.Context, fn lua.LValue, args ...lua.LValue) (lua.LValue, error) {
	vals, err := r.rt.Call(ctx, fn, args...)
	if err != nil {
		return lua.LNil, err
	}
	if len(vals) == 0 {
		return lua.LNil, nil
	}
	return vals[0], nil
}

// tostring is Lua's tostring(v); on error, the type name.
func (r *REPL) tostring(ctx context.Context, v lua.LValue) string {
	if h := r.help(ctx); h != nil {
		if s, err := r.call1(ctx, h.tostring, v); err == nil {
			if s, ok := s.(lua.LString); ok {
				return string(s)
			}
		}
	}
	return v.Type().String()
}

// index is o[k] evaluated in Lua (metamethods included).
func (r *REPL) index(ctx context.Context, o lua.LValue, k string) (lua.LValue, error) {
	h := r.help(ctx)
	if h == nil {
		return lua.LNil, errors.New("repl: helpers unavailable")
	}
	return r.call1(ctx, h.index, o, lua.LString(k))
}

// callMethod is o:k(args...) evaluated in Lua.
func (r *REPL) callMethod(ctx context.Context, o lua.LValue, k string, args ...lua.LValue) ([]lua.LValue, error) {
	h := r.help(ctx)
	if h == nil {
		return nil, errors.New("repl: helpers unavailable")
	}
	return r.rt.Call(ctx, h.method, append([]lua.LValue{o, lua.LString(k)}, args...)...)
}
