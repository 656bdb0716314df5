package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/advpl"
	advrt "github.com/advmail/advmail/runtime"
)

// AdvPLChunkName names the chunks of AdvPL input in error messages.
const AdvPLChunkName = "stdin.prw"

// feedAdvPL handles the pending AdvPL lines src: an open block (If, For,
// User Function…) waits for more lines unless final is set; an expression
// line prints its value when it is not NIL; statements and definitions
// run.
func (r *REPL) feedAdvPL(ctx context.Context, src string, final bool, out io.Writer) (bool, error) {
	if strings.TrimSpace(src) == "" {
		r.pending = nil
		return false, nil
	}
	if code, ok := advplExpr(src); ok {
		r.pending = nil
		return false, r.evalAdvPL(ctx, code, true, out)
	}
	res, incomplete, err := advpl.CompileLines(AdvPLChunkName, src, advpl.Options{})
	if err != nil {
		r.pending = nil
		fmt.Fprintf(out, "error: %v\n", err)
		return false, nil
	}
	if incomplete && !final {
		return true, nil
	}
	r.pending = nil
	bad := false
	for _, d := range res.Diagnostics {
		if !d.Warning {
			fmt.Fprintln(out, d.String())
			bad = true
		}
	}
	if bad {
		return false, nil
	}
	return false, r.evalAdvPL(ctx, res.Lua, false, out)
}

// advplExpr compiles src as one expression when it is one and is not an
// assignment (an assignment is a statement at the prompt).
func advplExpr(src string) (string, bool) {
	s := strings.TrimSpace(src)
	if strings.Contains(s, "\n") || strings.Contains(s, ":=") || strings.HasPrefix(s, "?") {
		return "", false
	}
	for _, op := range []string{"+=", "-=", "*=", "/=", "++", "--"} {
		if strings.Contains(s, op) {
			return "", false
		}
	}
	code, err := advpl.CompileExpr(s)
	if err != nil {
		return "", false
	}
	return code, true
}

// evalAdvPL runs compiled AdvPL and, for an expression, prints its value.
func (r *REPL) evalAdvPL(ctx context.Context, code string, expr bool, out io.Writer) error {
	vals, err := r.rt.Eval(ctx, AdvPLChunkName, code)
	if err != nil {
		return r.reportEvalError(out, err)
	}
	if !expr || len(vals) == 0 || vals[0] == lua.LNil {
		return nil
	}
	switch vals[0] {
	case lua.LTrue:
		fmt.Fprintln(out, ".T.")
	case lua.LFalse:
		fmt.Fprintln(out, ".F.")
	default:
		fmt.Fprintln(out, r.Format(ctx, vals[0]))
	}
	return nil
}

// reportEvalError writes a script error to out; os.exit is returned.
func (r *REPL) reportEvalError(out io.Writer, err error) error {
	var exit *advrt.ExitError
	if errors.As(err, &exit) {
		return exit
	}
	writeError(out, err)
	return nil
}
