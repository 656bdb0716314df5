package repl

import (
	"context"
	"fmt"
	"io"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/advpl"
	"github.com/advmail/advmail/advpl/ast"
	"github.com/advmail/advmail/advpl/parse"
)

// AdvPLChunkName names the chunks of AdvPL input in error messages.
const AdvPLChunkName = "stdin.prw"

// feedAdvPL handles the pending AdvPL lines src: an open block (If, For,
// User Function…) waits for more lines unless final is set (then it is
// reported as incomplete); an expression line prints its value when it is
// not NIL; statements and definitions run. failed reports an input that
// did not compile or failed running.
func (r *REPL) feedAdvPL(ctx context.Context, src string, final bool, out io.Writer) (more, failed bool, err error) {
	if strings.TrimSpace(src) == "" {
		r.pending = nil
		return false, false, nil
	}
	if code, varInfo, ok := advplExpr(src); ok {
		r.pending = nil
		failed, err := r.evalAdvPL(ctx, code, true, varInfo, out)
		return false, failed, err
	}
	// Blank lines before the source keep the line numbers of the input.
	res, incomplete, err := advpl.CompileLines(AdvPLChunkName, r.linePad()+src, advpl.Options{})
	if err != nil {
		r.pending = nil
		fmt.Fprintf(out, "error: %v\n", err)
		return false, true, nil
	}
	if incomplete && !final {
		return true, false, nil
	}
	r.pending = nil
	if incomplete {
		r.reportIncomplete(out, AdvPLChunkName)
		return false, true, nil
	}
	bad := false
	for _, d := range res.Diagnostics {
		if !d.Warning {
			fmt.Fprintln(out, d.String())
			bad = true
		}
	}
	if bad {
		return false, true, nil
	}
	failed, err = r.evalAdvPL(ctx, res.Lua, false, false, out)
	return false, failed, err
}

// advplExpr compiles src as one expression when it is one and is not an
// assignment (an assignment is a statement at the prompt); varInfo reports
// a bare VarInfo(...) call that echoes its result (see echoingVarInfo).
func advplExpr(src string) (code string, varInfo, ok bool) {
	s := strings.TrimSpace(src)
	if strings.Contains(s, "\n") || strings.Contains(s, ":=") || strings.HasPrefix(s, "?") {
		return "", false, false
	}
	for _, op := range []string{"+=", "-=", "*=", "/=", "++", "--"} {
		if strings.Contains(s, op) {
			return "", false, false
		}
	}
	code, err := advpl.CompileExpr(s)
	if err != nil {
		return "", false, false
	}
	return code, advplEchoingVarInfo(s), true
}

// advplEchoingVarInfo is echoingVarInfo for an AdvPL expression.
func advplEchoingVarInfo(src string) bool {
	pr := parse.ParseExpr(src)
	if len(pr.Diags) > 0 {
		return false
	}
	call, ok := pr.Expr.(*ast.Call)
	if !ok {
		return false
	}
	id, ok := call.Fn.(*ast.Ident)
	if !ok || !strings.EqualFold(id.Name, "VarInfo") {
		return false
	}
	if len(call.Args) >= 5 {
		switch a := call.Args[4].(type) {
		case *ast.Nil:
			return false
		case *ast.Bool:
			return a.Val
		}
	}
	return true
}

// evalAdvPL runs compiled AdvPL and, for an expression, prints its value
// (not the string of an echoing VarInfo call: it is printed already).
func (r *REPL) evalAdvPL(ctx context.Context, code string, expr, varInfo bool, out io.Writer) (failed bool, err error) {
	if expr {
		code = r.linePad() + code
	}
	vals, err := r.rt.Eval(ctx, AdvPLChunkName, code)
	if err != nil {
		return r.reportEvalError(out, err)
	}
	if !expr || len(vals) == 0 || vals[0] == lua.LNil {
		return false, nil
	}
	if varInfo && vals[0].Type() == lua.LTString {
		return false, nil
	}
	switch vals[0] {
	case lua.LTrue:
		fmt.Fprintln(out, ".T.")
	case lua.LFalse:
		fmt.Fprintln(out, ".F.")
	default:
		fmt.Fprintln(out, r.Format(ctx, vals[0]))
	}
	return false, nil
}
