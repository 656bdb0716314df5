package luagen

import (
	"strconv"
	"strings"

	"github.com/advmail/advmail/advpl/ast"
)

func (g *gen) stmts(list []ast.Stmt) {
	for _, s := range list {
		g.stmt(s)
	}
}

func (g *gen) stmt(s ast.Stmt) {
	g.at(s.StmtPos().Line)
	switch x := s.(type) {
	case *ast.ExprStmt:
		g.w(g.exprStmt(x.X))
	case *ast.Decl:
		g.decl(x)
	case *ast.Default:
		for _, it := range x.Items {
			if it.Name == "" {
				continue
			}
			v := g.resolve(it.Name)
			g.w("if " + v + " == nil then " + v + " = " + g.declValue(it) + " end;")
		}
	case *ast.If:
		for i, c := range x.Conds {
			if i == 0 {
				g.at(x.CondPos[0].Line)
				g.w("if " + g.expr(c) + " then")
			} else {
				g.at(x.CondPos[i].Line)
				g.w("elseif " + g.expr(c) + " then")
			}
			g.stmts(x.Blocks[i])
		}
		if x.Else != nil {
			g.at(x.ElsePos.Line)
			if len(x.Conds) == 0 {
				g.w("do")
			} else {
				g.w("else")
			}
			g.stmts(x.Else)
		} else if len(x.Conds) == 0 {
			g.w("do")
		}
		g.at(x.End.Line)
		g.w("end;")
	case *ast.While:
		g.loop("while "+g.expr(x.Cond)+" do", x.Body, "", x.End)
	case *ast.For:
		g.forStmt(x)
	case *ast.ForEach:
		a, i := g.newTmp("__a"), g.newTmp("__i")
		g.w("do local " + a + ", " + i + " = " + g.expr(x.In) + ", 1;")
		assign := g.assignTo(x.Var, a+"["+i+"]")
		g.loop("while "+i+" <= R.len("+a+") do "+assign+";", x.Body, i+" = "+i+" + 1;", x.End)
		g.w("end;")
	case *ast.Exit:
		g.exitStmt(false)
	case *ast.Loop:
		g.exitStmt(true)
	case *ast.Sequence:
		g.sequence(x)
	case *ast.Break:
		v := "nil"
		if x.X != nil {
			v = g.expr(x.X)
		}
		g.w(`F["break"](` + v + ");")
	case *ast.Return:
		g.returnStmt(x)
	case *ast.Print:
		fn := "F.qout("
		if x.Double {
			fn = "F.qqout("
		}
		g.w(fn + g.exprs(x.Args) + ");")
	}
}

func (g *gen) declValue(it ast.DeclItem) string {
	if it.Init != nil {
		return g.expr(it.Init)
	}
	if len(it.Dims) == 1 {
		return "R.arr(" + g.expr(it.Dims[0]) + ")"
	}
	if len(it.Dims) > 1 {
		return "F.array(" + g.exprs(it.Dims) + ")"
	}
	return "nil"
}

func (g *gen) decl(d *ast.Decl) {
	sc := g.sc
	for _, it := range d.Items {
		switch d.Kind {
		case "local":
			if sc.top {
				if g.opts.Repl {
					g.w(sel("M", it.Name) + " = " + g.declValue(it) + ";")
				} else {
					g.fstatics[it.Name] = true
					g.w(sel("ST", it.Name) + " = " + g.declValue(it) + ";")
				}
				continue
			}
			delete(sc.memvars, it.Name)
			delete(sc.fields, it.Name)
			g.w(g.resolve(it.Name) + " = " + g.declValue(it) + ";")
		case "static":
			if sc.top {
				g.fstatics[it.Name] = true
				g.w(sel("ST", it.Name) + " = " + g.declValue(it) + ";")
			}
			// function-level statics were initialised at load
		case "private", "public":
			fn := "R.private("
			if d.Kind == "public" {
				fn = "R.public("
			}
			if it.Macro != nil {
				g.w(fn + g.expr(it.Macro.(*ast.Macro).X) + ");")
				continue
			}
			g.forget(it.Name)
			sc.memvars[it.Name] = true
			if it.Init == nil && it.Dims == nil {
				g.w(fn + quote(it.Name) + ");")
			} else {
				g.w(fn + quote(it.Name) + ", " + g.declValue(it) + ");")
			}
		case "memvar":
			g.forget(it.Name)
			sc.memvars[it.Name] = true
		case "field":
			g.forget(it.Name)
			sc.fields[it.Name] = true
		}
	}
}

// forget drops a Local binding when a later declaration makes the name a memvar.
func (g *gen) forget(name string) {
	if _, ok := g.sc.vars[name]; ok {
		for _, p := range g.sc.params {
			if p == localName(name) {
				return // a parameter stays a parameter
			}
		}
		delete(g.sc.vars, name)
	}
	delete(g.sc.fields, name)
}

// hasLoopStmt reports whether body contains Loop for this loop level.
func hasLoopStmt(body []ast.Stmt) bool {
	for _, s := range body {
		switch x := s.(type) {
		case *ast.Loop:
			return true
		case *ast.If:
			for _, b := range x.Blocks {
				if hasLoopStmt(b) {
					return true
				}
			}
			if hasLoopStmt(x.Else) {
				return true
			}
		case *ast.Sequence:
			if hasLoopStmt(x.Body) || hasLoopStmt(x.Recover) {
				return true
			}
		}
	}
	return false
}

// loop emits head … body … step end, with continue support when needed.
func (g *gen) loop(head string, body []ast.Stmt, step string, end ast.Pos) {
	lc := &loopCtx{seq: g.sc.seqDepth, hasLoop: hasLoopStmt(body)}
	g.sc.loops = append(g.sc.loops, lc)
	if lc.hasLoop {
		lc.flag = g.newTmp("__x")
		g.w(head + " local " + lc.flag + " = false; repeat")
	} else {
		g.w(head)
	}
	g.stmts(body)
	g.at(end.Line)
	if lc.hasLoop {
		g.w("until true; if " + lc.flag + " then break end;")
	}
	if step != "" {
		g.w(step)
	}
	g.w("end;")
	g.sc.loops = g.sc.loops[:len(g.sc.loops)-1]
}

func (g *gen) forStmt(x *ast.For) {
	v := g.lvalue(x.Var)
	g.w(g.assignTo(x.Var, g.expr(x.From)) + ";")
	step := "1"
	cond := "R.le(" + v + ", " + g.expr(x.To) + ")"
	if x.Step != nil {
		step = g.expr(x.Step)
		if n, ok := x.Step.(*ast.Num); ok {
			step = n.Text
		} else if u, ok := x.Step.(*ast.Unary); ok && u.Op == "-" {
			if _, ok := u.X.(*ast.Num); ok {
				cond = "R.ge(" + v + ", " + g.expr(x.To) + ")"
			} else {
				cond = "R.forcond(" + v + ", " + g.expr(x.To) + ", " + step + ")"
			}
		} else {
			cond = "R.forcond(" + v + ", " + g.expr(x.To) + ", " + step + ")"
		}
	}
	g.loop("while "+cond+" do", x.Body, g.assignTo(x.Var, v+" + "+step)+";", x.End)
}

func (g *gen) exitStmt(isLoop bool) {
	sc := g.sc
	if len(sc.loops) == 0 {
		g.w(`R.fail("` + map[bool]string{true: "Loop", false: "Exit"}[isLoop] + ` outside a loop");`)
		return
	}
	lc := sc.loops[len(sc.loops)-1]
	if lc.seq < sc.seqDepth {
		if isLoop {
			g.w(`do return true, "l" end`)
		} else {
			g.w(`do return true, "x" end`)
		}
		return
	}
	g.w(loopAction(lc, isLoop))
}

func loopAction(lc *loopCtx, isLoop bool) string {
	if isLoop {
		return "do break end"
	}
	if lc.flag != "" {
		return lc.flag + " = true; do break end"
	}
	return "do break end"
}

func (g *gen) sequence(x *ast.Sequence) {
	sc := g.sc
	k, v := g.newTmp("__k"), g.newTmp("__v")
	g.w("do local " + k + ", " + v + " = R.seq(function()")
	sc.seqDepth++
	g.stmts(x.Body)
	sc.seqDepth--
	g.w("do return true end")
	if len(x.Recover) > 0 && len(x.Body) > 0 {
		g.at(x.Recover[0].StmtPos().Line - 1)
	}
	g.w("end);")
	// dispatch Return/Exit/Loop codes from the closure
	g.w("if " + k + " then if " + v + ` == "r" then ` + g.returnValue("__rv") + " end;")
	if len(sc.loops) > 0 {
		lc := sc.loops[len(sc.loops)-1]
		if lc.seq < sc.seqDepth {
			g.w("if " + v + ` == "x" then do return true, "x" end end; if ` + v + ` == "l" then do return true, "l" end end;`)
		} else {
			g.w("if " + v + ` == "x" then ` + loopAction(lc, false) + " end; if " + v + ` == "l" then ` + loopAction(lc, true) + " end;")
		}
	}
	g.w("else")
	if x.Using != nil {
		g.w(g.assignTo(x.Using, v) + ";")
	}
	g.stmts(x.Recover)
	g.at(x.End.Line)
	g.w("end end;")
}

// returnValue emits a return of the Lua expression val from the current context.
func (g *gen) returnValue(val string) string {
	sc := g.sc
	if sc.seqDepth > 0 {
		return "__rv = " + val + `; do return true, "r" end`
	}
	if sc.top {
		return "do return " + val + " end"
	}
	if sc.privates {
		return "do local __r = " + val + "; R.prelease(__pm); return " + sc.retList("__r") + " end"
	}
	return "do return " + sc.retList(val) + " end"
}

func (g *gen) returnStmt(x *ast.Return) {
	v := "nil"
	if x.X != nil {
		v = g.expr(x.X)
	}
	g.w(g.returnValue(v))
}

// maxRetList bounds the values of a return statement (registers).
const maxRetList = 50

// retList is "val, params…", through unpack for very long lists.
func (sc *scope) retList(val string) string {
	if len(sc.params) <= maxRetList {
		return strings.Join(append([]string{val}, sc.params...), ", ")
	}
	// a table constructor keeps every item in a register: fill it instead
	var b strings.Builder
	b.WriteString("(function() local p = {}; ")
	for i, p := range sc.params {
		b.WriteString("p[" + strconv.Itoa(i+1) + "] = " + p + "; ")
	}
	b.WriteString("return p end)()")
	return val + ", unpack(" + b.String() + ", 1, " + strconv.Itoa(len(sc.params)) + ")"
}
