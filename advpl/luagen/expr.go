package luagen

import (
	"strconv"
	"strings"

	"github.com/advmail/advmail/advpl/ast"
)

var helperOps = map[string]string{"+": "R.add", "-": "R.sub", "%": "R.mod", "=": "R.eq", "==": "R.exact",
	"<": "R.lt", "<=": "R.le", ">": "R.gt", ">=": "R.ge", "$": "R.inside"}

// chainLimit is the length past which a left-deep operator chain is
// evaluated step by step to keep Lua's register use bounded.
const chainLimit = 20

func (g *gen) exprs(list []ast.Expr) string {
	parts := make([]string, len(list))
	for i, e := range list {
		if e == nil {
			parts[i] = "nil"
		} else {
			parts[i] = g.expr(e)
		}
	}
	return strings.Join(parts, ", ")
}

func binop(op, l, r string) string {
	switch op {
	case "and", "or":
		return "(" + l + " " + op + " " + r + ")"
	case "*", "/", "^":
		return "(" + l + " " + op + " " + r + ")"
	case "!=":
		return "(not R.eq(" + l + ", " + r + "))"
	}
	return helperOps[op] + "(" + l + ", " + r + ")"
}

func (g *gen) expr(e ast.Expr) string {
	switch x := e.(type) {
	case nil:
		return "nil"
	case *ast.Ident:
		return g.resolve(x.Name)
	case *ast.Num:
		return x.Text
	case *ast.Str:
		return quote(x.Val)
	case *ast.Bool:
		if x.Val {
			return "true"
		}
		return "false"
	case *ast.Nil:
		return "nil"
	case *ast.Self, *ast.Super:
		return "self"
	case *ast.Unary:
		switch x.Op {
		case "-":
			return "(-" + g.expr(x.X) + ")"
		case "+":
			return g.expr(x.X)
		}
		return "(not " + g.expr(x.X) + ")"
	case *ast.Binary:
		return g.binary(x)
	case *ast.Assign:
		t := g.newTmp("__t")
		return "(function() local " + t + " = " + g.assignValue(x) + "; " + g.assignTo(x.Target, t) + "; return " + t + " end)()"
	case *ast.IncDec:
		t := g.newTmp("__t")
		cur := g.lvalue(x.Target)
		if x.Prefix {
			return "(function() local " + t + " = " + cur + " " + x.Op + " 1; " + g.assignTo(x.Target, t) + "; return " + t + " end)()"
		}
		return "(function() local " + t + " = " + cur + "; " + g.assignTo(x.Target, t+" "+x.Op+" 1") + "; return " + t + " end)()"
	case *ast.Call:
		return g.call(x, true)
	case *ast.MethodCall:
		return g.mcall(x, true)
	case *ast.Ref:
		return g.expr(x.X)
	case *ast.Index:
		return prefix(g.expr(x.X)) + "[" + g.expr(x.Idx) + "]"
	case *ast.Member:
		return sel(prefix(g.expr(x.X)), x.Name)
	case *ast.Field:
		return "R.field(" + g.aliasExpr(x.Alias) + ", " + g.fieldName(x.Name) + ")"
	case *ast.InAlias:
		return "R.inalias(" + g.aliasExpr(x.Alias) + ", function() return " + g.expr(x.X) + " end)"
	case *ast.MemvarRef:
		return sel("M", x.Name)
	case *ast.Array:
		return g.array(x)
	case *ast.Block:
		return g.block(x)
	case *ast.Macro:
		return "R.macro(" + g.macroText(x) + ")"
	case *ast.List:
		if len(x.Exprs) == 1 {
			return "(" + g.expr(x.Exprs[0]) + ")"
		}
		var parts []string
		for _, s := range x.Exprs[:len(x.Exprs)-1] {
			parts = append(parts, g.exprStmt(s))
		}
		return "(function() " + strings.Join(parts, " ") + " return " + g.expr(x.Exprs[len(x.Exprs)-1]) + " end)()"
	case *ast.IIf:
		c, a, b := g.expr(x.Cond), g.expr(x.Then), g.expr(x.Else)
		if isTruthyLiteral(x.Then) {
			return "(" + c + " and " + a + " or " + b + ")"
		}
		return "(function() if " + c + " then return " + a + " end return " + b + " end)()"
	}
	return "nil"
}

func isTruthyLiteral(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Num, *ast.Str:
		return true
	case *ast.Bool:
		return x.Val
	}
	return false
}

// prefix makes s usable as a Lua prefix expression.
func prefix(s string) string {
	if isLuaName(s) || strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") && balanced(s) {
		return s
	}
	if strings.HasPrefix(s, "M.") || strings.HasPrefix(s, "l_") || strings.HasPrefix(s, "ST") || strings.HasPrefix(s, "V.") {
		if !strings.ContainsAny(s, " (") {
			return s
		}
	}
	return "(" + s + ")"
}

// balanced reports whether the outer parentheses of s enclose all of it.
func balanced(s string) bool {
	depth := 0
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inStr {
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return false
			}
		}
	}
	return true
}

func (g *gen) binary(x *ast.Binary) string {
	// flatten long left-deep chains of the same precedence
	n := 0
	for l := x; ; {
		n++
		ll, ok := l.L.(*ast.Binary)
		if !ok || samePrec(ll.Op) != samePrec(x.Op) {
			break
		}
		l = ll
	}
	if n <= chainLimit {
		return binop(x.Op, g.expr(x.L), g.expr(x.R))
	}
	var chain []*ast.Binary
	var first ast.Expr = x
	for {
		b, ok := first.(*ast.Binary)
		if !ok || samePrec(b.Op) != samePrec(x.Op) {
			break
		}
		chain = append(chain, b)
		first = b.L
	}
	t := g.newTmp("__c")
	var sb strings.Builder
	sb.WriteString("(function() local " + t + " = " + g.expr(first) + "; ")
	for i := len(chain) - 1; i >= 0; i-- {
		b := chain[i]
		r := g.expr(b.R)
		if b.Op == "and" || b.Op == "or" {
			sb.WriteString(t + " = " + t + " " + b.Op + " " + r + "; ")
		} else {
			sb.WriteString(t + " = " + binop(b.Op, t, r) + "; ")
		}
	}
	sb.WriteString("return " + t + " end)()")
	return sb.String()
}

func samePrec(op string) int {
	switch op {
	case "or":
		return 1
	case "and":
		return 2
	case "+", "-":
		return 3
	case "*", "/", "%":
		return 4
	}
	return 10 + len(op) // relational and others: never chained
}

func (g *gen) aliasExpr(a ast.Expr) string {
	if a == nil {
		return "nil"
	}
	return g.expr(a)
}

func (g *gen) fieldName(n string) string {
	if strings.HasPrefix(n, "&") {
		return g.resolve(n[1:])
	}
	return quote(n)
}

func (g *gen) macroText(m *ast.Macro) string {
	s := g.expr(m.X)
	if m.Suffix != "" {
		s += " .. " + quote(m.Suffix)
	}
	return s
}

func (g *gen) array(x *ast.Array) string {
	n := len(x.Elems)
	if n > 50 {
		// build big literals in chunks to bound constructor size
		t := g.newTmp("__arr")
		var sb strings.Builder
		sb.WriteString("(function() local " + t + " = R.arr(" + strconv.Itoa(n) + "); ")
		for i, e := range x.Elems {
			if e != nil {
				sb.WriteString(t + "[" + strconv.Itoa(i+1) + "] = " + g.expr(e) + "; ")
			}
		}
		sb.WriteString("return " + t + " end)()")
		return sb.String()
	}
	if n > 0 && isNil(x.Elems[n-1]) {
		if n == 1 {
			return "R.arr(1)"
		}
		return "R.arr(" + strconv.Itoa(n) + ", " + g.exprs(x.Elems) + ")"
	}
	return "{" + g.exprs(x.Elems) + "}"
}

func (g *gen) block(x *ast.Block) string {
	m := map[string]bool{}
	var ps []string
	for _, p := range x.Params {
		m[p] = true
		ps = append(ps, localName(p))
	}
	g.blocks = append(g.blocks, m)
	defer func() { g.blocks = g.blocks[:len(g.blocks)-1] }()
	// a block is its own Lua function: loops and sequences of the
	// enclosing function do not reach into it
	saveLoops, saveSeq := g.sc.loops, g.sc.seqDepth
	g.sc.loops, g.sc.seqDepth = nil, 0
	defer func() { g.sc.loops, g.sc.seqDepth = saveLoops, saveSeq }()
	var sb strings.Builder
	sb.WriteString("function(" + strings.Join(ps, ", ") + ") ")
	for i, e := range x.Body {
		if i == len(x.Body)-1 {
			sb.WriteString("return " + g.expr(e) + " ")
		} else {
			sb.WriteString(g.exprStmt(e) + " ")
		}
	}
	sb.WriteString("end")
	return sb.String()
}

// callee returns the Lua function expression for a call target.
func (g *gen) callee(fn ast.Expr) string {
	if id, ok := fn.(*ast.Ident); ok {
		if g.sfuncs[id.Name] {
			return sel("S", id.Name)
		}
		return sel("F", id.Name)
	}
	if m, ok := fn.(*ast.Macro); ok {
		// &cFunc.() calls the function the macro names
		return "F[" + g.macroText(m) + "]"
	}
	return prefix(g.expr(fn))
}

func refPositions(args []ast.Expr) []int {
	var pos []int
	for i, a := range args {
		if _, ok := a.(*ast.Ref); ok {
			pos = append(pos, i+1)
		}
	}
	return pos
}

func intList(ps []int) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.Itoa(p)
	}
	return "{" + strings.Join(s, ", ") + "}"
}

// refBack builds "local r, v1, v2 = <call>; x = v1; y = v2" and the result name.
func (g *gen) refBack(call string, args []ast.Expr, pos []int) (string, string) {
	r := g.newTmp("__r")
	names := []string{r}
	var backs []string
	for _, p := range pos {
		v := g.newTmp("__b")
		names = append(names, v)
		backs = append(backs, g.assignTo(args[p-1].(*ast.Ref).X, v)+";")
	}
	return "local " + strings.Join(names, ", ") + " = " + call + "; " + strings.Join(backs, " "), r
}

func (g *gen) call(x *ast.Call, value bool) string {
	fn := g.callee(x.Fn)
	pos := refPositions(x.Args)
	if len(pos) == 0 {
		c := fn + "(" + g.exprs(x.Args) + ")"
		if value {
			return "(" + c + ")"
		}
		return c
	}
	args := ""
	if len(x.Args) > 0 {
		args = ", " + g.exprs(x.Args)
	}
	body, r := g.refBack("R.refcall("+fn+", "+intList(pos)+args+")", x.Args, pos)
	if value {
		return "(function() " + body + " return " + r + " end)()"
	}
	return "do " + body + " end"
}

func (g *gen) mcall(x *ast.MethodCall, value bool) string {
	if _, ok := x.X.(*ast.Super); ok {
		args := "self"
		if len(x.Args) > 0 {
			args += ", " + g.exprs(x.Args)
		}
		c := "R.super(self, " + quote(strings.ToUpper(g.sc.class)) + ", " + quote(x.Name) + ")(" + args + ")"
		if value {
			return "(" + c + ")"
		}
		return c
	}
	obj := prefix(g.expr(x.X))
	pos := refPositions(x.Args)
	if len(pos) > 0 {
		args := ""
		if len(x.Args) > 0 {
			args = ", " + g.exprs(x.Args)
		}
		body, r := g.refBack("R.mrefcall("+obj+", "+quote(x.Name)+", "+intList(pos)+args+")", x.Args, pos)
		if value {
			return "(function() " + body + " return " + r + " end)()"
		}
		return "do " + body + " end"
	}
	var c string
	if isLuaName(x.Name) {
		c = obj + ":" + x.Name + "(" + g.exprs(x.Args) + ")"
	} else {
		o := g.newTmp("__o")
		args := o
		if len(x.Args) > 0 {
			args += ", " + g.exprs(x.Args)
		}
		c = "(function(" + o + ") return " + o + "[" + quote(x.Name) + "](" + args + ") end)(" + obj + ")"
		if !value {
			return "do local _ = " + c + " end"
		}
	}
	if value {
		return "(" + c + ")"
	}
	return c
}

// lvalue is the current value of an assignable expression.
func (g *gen) lvalue(e ast.Expr) string { return g.expr(e) }

// assignTo emits "target = val".
func (g *gen) assignTo(t ast.Expr, val string) string {
	switch x := t.(type) {
	case *ast.Ident:
		v := g.resolve(x.Name)
		if strings.HasPrefix(v, "R.field(") {
			return "R.setfield(nil, " + quote(strings.ToUpper(x.Name)) + ", " + val + ")"
		}
		return v + " = " + val
	case *ast.Index:
		return prefix(g.expr(x.X)) + "[" + g.expr(x.Idx) + "] = " + val
	case *ast.Member:
		return sel(prefix(g.expr(x.X)), x.Name) + " = " + val
	case *ast.Field:
		return "R.setfield(" + g.aliasExpr(x.Alias) + ", " + g.fieldName(x.Name) + ", " + val + ")"
	case *ast.MemvarRef:
		return sel("M", x.Name) + " = " + val
	case *ast.Macro:
		return "R.macroset(" + g.macroText(x) + ", " + val + ")"
	}
	return "do local _ = " + val + " end"
}

// assignValue is the new value of an assignment.
func (g *gen) assignValue(x *ast.Assign) string {
	v := g.expr(x.Value)
	if x.Op == ":=" {
		return v
	}
	return binop(x.Op[:1], g.lvalue(x.Target), v)
}

// exprStmt renders an expression used as a statement.
func (g *gen) exprStmt(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Assign:
		return g.assignTo(x.Target, g.assignValue(x)) + ";"
	case *ast.IncDec:
		return g.assignTo(x.Target, g.lvalue(x.Target)+" "+x.Op+" 1") + ";"
	case *ast.Call:
		return g.call(x, false) + ";"
	case *ast.MethodCall:
		return g.mcall(x, false) + ";"
	case *ast.Macro:
		return "R.macro(" + g.macroText(x) + ");"
	}
	return "do local _ = " + g.expr(e) + " end;"
}

// isNil reports whether e is an omitted element or the NIL literal.
func isNil(e ast.Expr) bool {
	if e == nil {
		return true
	}
	_, ok := e.(*ast.Nil)
	return ok
}
