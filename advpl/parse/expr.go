package parse

import (
	"strings"

	"github.com/advmail/advmail/advpl/ast"
)

var assignOps = map[string]bool{":=": true, "+=": true, "-=": true, "*=": true, "/=": true, "%=": true, "^=": true}

func (p *parser) enter() {
	p.depth++
	if p.depth > MaxDepth {
		p.fail(p.peek(), "less nesting")
	}
}

func (p *parser) leave() { p.depth-- }

// expr parses an expression including inline assignments.
func (p *parser) expr() ast.Expr {
	p.enter()
	defer p.leave()
	left := p.orExpr()
	t := p.peek()
	if t.Kind == Op && assignOps[t.Text] {
		if !assignable(left) {
			p.fail(t, "end of expression")
		}
		p.next()
		return &ast.Assign{Op: t.Text, Target: left, Value: p.expr()}
	}
	return left
}

func (p *parser) orExpr() ast.Expr {
	l := p.andExpr()
	for p.isOp("or") {
		p.next()
		l = &ast.Binary{Op: "or", L: l, R: p.andExpr()}
	}
	return l
}

func (p *parser) andExpr() ast.Expr {
	l := p.notExpr()
	for p.isOp("and") {
		p.next()
		l = &ast.Binary{Op: "and", L: l, R: p.notExpr()}
	}
	return l
}

func (p *parser) notExpr() ast.Expr {
	if p.isOp("!") {
		p.enter()
		defer p.leave()
		p.next()
		return &ast.Unary{Op: "!", X: p.notExpr()}
	}
	return p.relExpr()
}

var relOps = map[string]bool{"=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true, "$": true}

func (p *parser) relExpr() ast.Expr {
	l := p.addExpr()
	for {
		t := p.peek()
		if t.Kind != Op || !relOps[t.Text] {
			return l
		}
		p.next()
		l = &ast.Binary{Op: t.Text, L: l, R: p.addExpr()}
	}
}

func (p *parser) addExpr() ast.Expr {
	l := p.mulExpr()
	for p.isOp("+") || p.isOp("-") {
		op := p.next().Text
		l = &ast.Binary{Op: op, L: l, R: p.mulExpr()}
	}
	return l
}

func (p *parser) mulExpr() ast.Expr {
	l := p.powExpr()
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		op := p.next().Text
		l = &ast.Binary{Op: op, L: l, R: p.powExpr()}
	}
	return l
}

func (p *parser) powExpr() ast.Expr {
	l := p.unary()
	if p.isOp("^") {
		p.enter()
		defer p.leave()
		p.next()
		return &ast.Binary{Op: "^", L: l, R: p.powExpr()}
	}
	return l
}

func (p *parser) unary() ast.Expr {
	t := p.peek()
	if t.Kind == Op {
		switch t.Text {
		case "-", "+":
			p.enter()
			defer p.leave()
			p.next()
			return &ast.Unary{Op: t.Text, X: p.unary()}
		case "!":
			p.enter()
			defer p.leave()
			p.next()
			return &ast.Unary{Op: "!", X: p.unary()}
		case "++", "--":
			p.next()
			x := p.postfix()
			if !assignable(x) {
				p.fail(p.peek(), "variable")
			}
			return &ast.IncDec{Op: t.Text[:1], Prefix: true, Target: x}
		case "@":
			p.next()
			x := p.postfix()
			if !assignable(x) {
				p.fail(p.peek(), "variable")
			}
			return &ast.Ref{X: x}
		}
	}
	return p.postfix()
}

// postfix parses a primary expression and its calls, indexes and members.
func (p *parser) postfix() ast.Expr {
	x := p.primary()
	for {
		t := p.peek()
		if t.Kind != Op {
			return x
		}
		switch t.Text {
		case "(":
			p.next()
			x = &ast.Call{Fn: x, Args: p.args(")")}
		case "[":
			p.next()
			for {
				x = &ast.Index{X: x, Idx: p.expr()}
				if p.isOp(",") {
					p.next()
					continue
				}
				break
			}
			p.expectOp("]")
		case ":":
			p.next()
			x = p.member(x)
		case "->":
			p.next()
			x = p.alias(x, t)
		case "++", "--":
			if !assignable(x) {
				return x
			}
			p.next()
			x = &ast.IncDec{Op: t.Text[:1], Target: x}
		default:
			return x
		}
	}
}

func (p *parser) member(x ast.Expr) ast.Expr {
	n := p.peek()
	if n.Kind != Ident {
		p.fail(n, "member name")
	}
	p.next()
	if p.isOp("(") {
		p.next()
		return &ast.MethodCall{X: x, Name: n.Text, Args: p.args(")")}
	}
	return &ast.Member{X: x, Name: n.Text}
}

func (p *parser) alias(x ast.Expr, arrow Token) ast.Expr {
	var alias ast.Expr
	switch a := x.(type) {
	case *ast.Ident:
		switch a.Name {
		case "m", "memvar":
			n := p.expectIdent("variable name")
			return &ast.MemvarRef{Name: n.Text}
		case "field", "_field":
			if !p.isOp("(") {
				n := p.expectIdent("field name")
				return &ast.Field{Name: strings.ToUpper(n.Raw)}
			}
		}
		alias = &ast.Str{Val: strings.ToUpper(a.Name)}
	case *ast.List, *ast.Macro:
		alias = x
	default:
		p.fail(arrow, "")
	}
	if p.isOp("(") {
		p.next()
		l := p.exprList(")")
		return &ast.InAlias{Alias: alias, X: l}
	}
	n := p.peek()
	switch n.Kind {
	case Ident:
		p.next()
		return &ast.Field{Alias: alias, Name: strings.ToUpper(n.Raw)}
	case MacroTok:
		p.next()
		return &ast.Field{Alias: alias, Name: "&" + n.Text}
	}
	p.fail(n, "field name")
	return nil
}

// args parses call arguments up to closer; empty slots are nil.
func (p *parser) args(closer string) []ast.Expr {
	var out []ast.Expr
	if p.isOp(closer) {
		p.next()
		return out
	}
	for {
		if p.isOp(",") {
			p.next()
			out = append(out, nil)
			continue
		}
		if p.isOp(closer) {
			p.next()
			out = append(out, nil)
			return out
		}
		out = append(out, p.expr())
		if p.isOp(",") {
			p.next()
			if p.isOp(closer) {
				p.next()
				out = append(out, nil)
				return out
			}
			continue
		}
		if p.isOp(closer) {
			p.next()
			return out
		}
		p.fail(p.peek(), "',' or '"+closer+"'")
	}
}

// exprList parses "a, b, c" up to closer and returns a List or single expression.
func (p *parser) exprList(closer string) ast.Expr {
	var xs []ast.Expr
	for {
		xs = append(xs, p.expr())
		if p.isOp(",") {
			p.next()
			continue
		}
		p.expectOp(closer)
		break
	}
	if len(xs) == 1 && closer != ")" {
		return xs[0]
	}
	return &ast.List{Exprs: xs}
}

func (p *parser) primary() ast.Expr {
	t := p.peek()
	switch t.Kind {
	case Number:
		p.next()
		return &ast.Num{Text: t.Text}
	case String:
		p.next()
		return &ast.Str{Val: t.Text}
	case MacroTok:
		p.next()
		return macroExpr(t)
	case Ident:
		p.next()
		switch t.Text {
		case "nil":
			return &ast.Nil{}
		case "self":
			return &ast.Self{}
		case "super", "_super":
			if p.isOp(":") {
				return &ast.Super{}
			}
		case "iif", "if":
			if p.isOp("(") {
				p.next()
				a := p.args(")")
				if len(a) != 3 {
					p.fail(t, "IIf with 3 arguments")
				}
				return &ast.IIf{Cond: orNil(a[0]), Then: orNil(a[1]), Else: orNil(a[2])}
			}
		}
		return &ast.Ident{Name: t.Text}
	case Op:
		switch t.Text {
		case ".t.", ".f.":
			p.next()
			return &ast.Bool{Val: t.Text == ".t."}
		case "(":
			p.next()
			return p.exprList(")")
		case "&":
			p.next()
			if !p.isOp("(") {
				p.fail(p.peek(), "'(' or a name after '&'")
			}
			p.next()
			return &ast.Macro{X: p.exprList(")")}
		case "::":
			p.next()
			return p.member(&ast.Self{})
		case "{":
			p.next()
			if p.isOp("|") {
				return p.block2()
			}
			return &ast.Array{Elems: p.args("}")}
		}
	}
	p.fail(t, "expression")
	return nil
}

func orNil(e ast.Expr) ast.Expr {
	if e == nil {
		return &ast.Nil{}
	}
	return e
}

// block2 parses a codeblock after "{".
func (p *parser) block2() ast.Expr {
	p.next() // |
	b := &ast.Block{}
	if !p.isOp("|") {
		b.Params = p.params("|")
	} else {
		p.next()
	}
	if p.isOp("}") {
		p.next()
		return b
	}
	for {
		b.Body = append(b.Body, p.expr())
		if p.isOp(",") {
			p.next()
			continue
		}
		p.expectOp("}")
		return b
	}
}
