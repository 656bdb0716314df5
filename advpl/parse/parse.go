// Package parse turns preprocessed AdvPL text into an ast.File.
package parse

import (
	"fmt"
	"strings"

	"github.com/advmail/advmail/advpl/ast"
)

// Diag is a syntax diagnostic.
type Diag struct {
	// Line and Col locate the problem, 1-based.
	Line, Col int
	// Msg names the token and what was expected.
	Msg string
	// Func is the function the problem is in, "" at file level.
	Func string
}

// Options tunes the parser.
type Options struct {
	// Repl allows executable statements at file level.
	Repl bool
}

// MaxDepth bounds expression and block nesting.
const MaxDepth = 500

// Result is the outcome of Parse.
type Result struct {
	// File is the syntax tree; functions that did not parse have Err set.
	File *ast.File
	// Diags are the syntax errors, in source order.
	Diags []Diag
	// Incomplete reports that the input ended inside an open block or a
	// function without a top-level Return (REPL continuation).
	Incomplete bool
}

type bailout struct{}

type parser struct {
	toks       []Token
	pos        int
	diags      []Diag
	depth      int
	fn         string
	incomplete bool
	opts       Options
}

// Parse parses preprocessed source text. It never panics.
func Parse(src string, opts Options) *Result {
	toks, ld := lex(src)
	p := &parser{toks: toks, diags: ld, opts: opts}
	f := p.file()
	return &Result{File: f, Diags: p.diags, Incomplete: p.incomplete}
}

func (p *parser) peek() Token { return p.toks[p.pos] }

func (p *parser) peekAt(k int) Token {
	if p.pos+k < len(p.toks) {
		return p.toks[p.pos+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() Token {
	t := p.toks[p.pos]
	if t.Kind != EOF {
		p.pos++
	}
	return t
}

func (p *parser) fail(t Token, expected string) {
	if t.Kind == EOF {
		p.incomplete = true
	}
	msg := "unexpected " + t.String()
	if expected != "" {
		msg += ", expected " + expected
	}
	p.diags = append(p.diags, Diag{Line: t.Line, Col: t.Col, Msg: msg, Func: p.fn})
	panic(bailout{})
}

func (p *parser) isOp(text string) bool {
	t := p.peek()
	return t.Kind == Op && t.Text == text
}

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.Kind == Ident && t.Text == w
}

func (p *parser) wordAt(k int, w string) bool {
	t := p.peekAt(k)
	return t.Kind == Ident && t.Text == w
}

func (p *parser) expectOp(text string) Token {
	if !p.isOp(text) {
		p.fail(p.peek(), "'"+text+"'")
	}
	return p.next()
}

func (p *parser) expectIdent(what string) Token {
	if p.peek().Kind != Ident {
		p.fail(p.peek(), what)
	}
	return p.next()
}

func (p *parser) atEOS() bool {
	k := p.peek().Kind
	return k == EOS || k == EOF
}

func (p *parser) endStmt() {
	if !p.atEOS() {
		p.fail(p.peek(), "end of statement")
	}
}

func (p *parser) skipEOS() {
	for p.peek().Kind == EOS {
		p.pos++
	}
}

func (p *parser) skipLine() {
	for !p.atEOS() {
		p.pos++
	}
}

// try runs f, turning a bailout into false.
func (p *parser) try(f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isB := r.(bailout); !isB {
				panic(r)
			}
			ok = false
		}
	}()
	f()
	return true
}

// headerKind reports whether a function/method/class header starts here.
func (p *parser) headerKind() string {
	t := p.peek()
	if t.Kind != Ident {
		return ""
	}
	switch t.Text {
	case "function":
		if p.peekAt(1).Kind == Ident {
			return "function"
		}
	case "user", "static", "main", "project", "template":
		if p.wordAt(1, "function") && p.peekAt(2).Kind == Ident {
			return t.Text
		}
	case "class":
		if p.peekAt(1).Kind == Ident {
			return "class"
		}
	case "method":
		if p.peekAt(1).Kind != Ident {
			return ""
		}
		for k := 2; ; k++ {
			u := p.peekAt(k)
			if u.Kind == EOS || u.Kind == EOF {
				return ""
			}
			if u.Kind == Ident && u.Text == "class" {
				return "method"
			}
		}
	}
	return ""
}

func (p *parser) file() *ast.File {
	f := &ast.File{}
	for {
		p.skipEOS()
		if p.peek().Kind == EOF {
			return f
		}
		p.fn = ""
		switch p.headerKind() {
		case "class":
			var c *ast.Class
			if p.try(func() { c = p.class() }) {
				f.Classes = append(f.Classes, c)
				f.Order = append(f.Order, c)
			} else {
				p.resync()
			}
		case "":
			if p.isWord("namespace") || p.isWord("using") {
				p.skipLine()
				continue
			}
			var s ast.Stmt
			if p.try(func() { s = p.topStmt() }) {
				if s != nil {
					f.Top = append(f.Top, s)
					f.Order = append(f.Order, s)
				}
			} else {
				p.skipLine()
			}
		default:
			fn := p.function()
			f.Funcs = append(f.Funcs, fn)
			f.Order = append(f.Order, fn)
		}
	}
}

// resync skips to the next function, method or class header.
func (p *parser) resync() {
	for {
		p.skipLine()
		p.skipEOS()
		if p.peek().Kind == EOF || p.headerKind() != "" {
			return
		}
	}
}

func (p *parser) topStmt() ast.Stmt {
	t := p.peek()
	if p.opts.Repl {
		return p.stmt()
	}
	if t.Kind == Ident && (t.Text == "static" || t.Text == "memvar" || t.Text == "field") {
		return p.stmt()
	}
	p.fail(t, "Function")
	return nil
}

func (p *parser) function() *ast.Func {
	t := p.peek()
	fn := &ast.Func{Pos: ast.Pos{Line: t.Line, Col: t.Col}}
	ok := p.try(func() {
		kind := p.headerKind()
		switch kind {
		case "function":
			p.next()
		case "method":
			p.next()
		default:
			p.next()
			p.next()
		}
		if kind == "project" || kind == "template" {
			kind = "function"
		}
		fn.Kind = kind
		name := p.expectIdent("function name")
		fn.Name = name.Raw
		p.fn = name.Raw
		if p.isOp("(") {
			p.next()
			fn.Params = p.params(")")
		}
		for !p.atEOS() {
			u := p.next()
			if kind == "method" && u.Kind == Ident && u.Text == "class" && p.peek().Kind == Ident {
				fn.Class = p.next().Raw
			}
		}
		fn.Body = p.block(fn, nil)
	})
	if !ok {
		d := p.diags[len(p.diags)-1]
		fn.Err = fmt.Sprintf("%d:%d: %s", d.Line, d.Col, d.Msg)
		fn.Body = nil
		p.resync()
	}
	return fn
}

// params reads identifiers up to the closing token.
func (p *parser) params(closer string) []string {
	var ps []string
	for !p.isOp(closer) {
		if p.isOp("...") {
			p.next()
		} else {
			t := p.expectIdent("parameter name")
			ps = append(ps, t.Text)
			p.skipType()
		}
		if p.isOp(",") {
			p.next()
			continue
		}
		if !p.isOp(closer) {
			p.fail(p.peek(), "',' or '"+closer+"'")
		}
	}
	p.next()
	return ps
}

// skipType skips a TLPP "as Type [of Class]" annotation.
func (p *parser) skipType() {
	if !p.isWord("as") {
		return
	}
	p.next()
	p.expectIdent("type name")
	for p.isWord("of") || p.isWord("array") {
		p.next()
		if p.peek().Kind == Ident {
			p.next()
		}
	}
}

func (p *parser) class() *ast.Class {
	p.next()
	name := p.expectIdent("class name")
	c := &ast.Class{Pos: ast.Pos{Line: name.Line, Col: name.Col}, Name: name.Raw}
	if p.isWord("from") || p.isWord("inherit") {
		p.next()
		c.Parent = p.expectIdent("parent class name").Raw
	}
	p.skipLine()
	for {
		p.skipEOS()
		t := p.peek()
		if t.Kind == EOF {
			p.fail(t, "EndClass")
		}
		if t.Kind != Ident {
			p.skipLine()
			continue
		}
		for p.isWord("public") || p.isWord("private") || p.isWord("protected") || p.isWord("export") || p.isWord("hidden") {
			p.next()
		}
		switch {
		case p.isWord("endclass"):
			p.next()
			p.endStmt()
			return c
		case p.isWord("end") && p.wordAt(1, "class"):
			p.next()
			p.next()
			return c
		case p.isWord("data") || p.isWord("classdata") || p.isWord("var"):
			p.next()
			for {
				n := p.expectIdent("data name")
				var init ast.Expr
				for !p.atEOS() && !p.isOp(",") {
					if p.isWord("init") {
						p.next()
						init = p.expr()
						continue
					}
					p.next()
				}
				c.Data = append(c.Data, n.Text)
				c.Inits = append(c.Inits, init)
				if !p.isOp(",") {
					break
				}
				p.next()
			}
			p.skipLine()
		default:
			p.skipLine()
		}
	}
}

// terminator words for blocks
var blockEnds = map[string]bool{
	"elseif": true, "else": true, "endif": true, "end": true, "case": true, "otherwise": true,
	"endcase": true, "next": true, "enddo": true, "endwhile": true, "recover": true, "endsequence": true,
}

// block parses statements until one of ends (nil: a function body, ended by
// the next header or EOF).
func (p *parser) block(fn *ast.Func, ends []string) []ast.Stmt {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > MaxDepth {
		p.fail(p.peek(), "less nesting")
	}
	var out []ast.Stmt
	for {
		p.skipEOS()
		t := p.peek()
		if t.Kind == EOF {
			if ends != nil {
				p.fail(t, endsName(ends))
			}
			return out
		}
		if p.headerKind() != "" {
			if ends != nil {
				p.fail(t, endsName(ends))
			}
			return out
		}
		if t.Kind == Ident && blockEnds[t.Text] && !p.wordUsedAsVar() {
			for _, e := range ends {
				if e == t.Text {
					return out
				}
			}
			p.fail(t, endsNameOr(ends))
		}
		s := p.stmt()
		if s == nil {
			continue
		}
		if _, ok := s.(*ast.Return); ok && fn != nil && ends == nil {
			fn.HasReturn = true
		}
		out = append(out, s)
	}
}

func endsName(ends []string) string {
	return strings.Join(capWords(ends), " or ")
}

func endsNameOr(ends []string) string {
	if ends == nil {
		return "statement"
	}
	return endsName(ends)
}

var wordCaps = map[string]string{"elseif": "ElseIf", "else": "Else", "endif": "EndIf", "end": "End", "case": "Case",
	"otherwise": "Otherwise", "endcase": "EndCase", "next": "Next", "enddo": "EndDo", "recover": "Recover"}

func capWords(ws []string) []string {
	var out []string
	for _, w := range ws {
		if c, ok := wordCaps[w]; ok {
			out = append(out, c)
		}
	}
	return out
}

// wordUsedAsVar reports whether the keyword at the cursor is used as a variable.
func (p *parser) wordUsedAsVar() bool {
	u := p.peekAt(1)
	if u.Kind != Op {
		return false
	}
	switch u.Text {
	case ":=", "+=", "-=", "*=", "/=", "%=", "^=", "->", ":", "++", "--", "[":
		return true
	}
	return false
}

func pos(t Token) ast.Pos { return ast.Pos{Line: t.Line, Col: t.Col} }

func (p *parser) stmt() ast.Stmt {
	t := p.peek()
	if t.Kind == Op && t.Text == "?" {
		p.next()
		s := &ast.Print{Pos: pos(t)}
		if p.isOp("?") {
			p.next()
			s.Double = true
		}
		for !p.atEOS() {
			s.Args = append(s.Args, p.expr())
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		p.endStmt()
		return s
	}
	if t.Kind == Ident && !p.wordUsedAsVar() {
		switch t.Text {
		case "local", "static", "private", "public", "memvar", "field":
			p.next()
			return p.decl(t)
		case "default":
			p.next()
			d := &ast.Default{Pos: pos(t), Items: p.declItems()}
			p.endStmt()
			return d
		case "paramtype", "namespace", "using":
			p.skipLine()
			return nil
		case "if":
			if !p.inlineIf() {
				p.next()
				return p.ifStmt(t)
			}
		case "do":
			if p.wordAt(1, "case") {
				p.next()
				p.next()
				return p.caseStmt(t)
			}
			if p.wordAt(1, "while") {
				p.next()
				p.next()
				return p.whileStmt(t)
			}
		case "while":
			p.next()
			return p.whileStmt(t)
		case "for":
			p.next()
			return p.forStmt(t)
		case "exit":
			p.next()
			p.endStmt()
			return &ast.Exit{Pos: pos(t)}
		case "loop":
			p.next()
			p.endStmt()
			return &ast.Loop{Pos: pos(t)}
		case "begin":
			if p.wordAt(1, "sequence") {
				p.next()
				p.next()
				return p.seqStmt(t)
			}
		case "break":
			p.next()
			s := &ast.Break{Pos: pos(t)}
			p.skipEmptyParens()
			if !p.atEOS() {
				s.X = p.expr()
			}
			p.endStmt()
			return s
		case "return":
			p.next()
			s := &ast.Return{Pos: pos(t)}
			p.skipEmptyParens()
			if !p.atEOS() {
				s.X = p.expr()
			}
			p.endStmt()
			return s
		}
	}
	s := &ast.ExprStmt{Pos: pos(t), X: p.exprStmt()}
	p.endStmt()
	return s
}

// exprStmt parses an expression statement, where "x = v" assigns.
func (p *parser) exprStmt() ast.Expr {
	t := p.peek()
	if t.Kind == Ident || t.Kind == MacroTok || (t.Kind == Op && t.Text == "::") {
		mark, nd := p.pos, len(p.diags)
		var target ast.Expr
		ok := p.try(func() { target = p.postfix() })
		if ok && p.isOp("=") && assignable(target) {
			p.next()
			return &ast.Assign{Op: ":=", Target: target, Value: p.expr()}
		}
		if ok && p.atEOS() {
			return target // a call or a bare operand: no need to parse again
		}
		if u := p.peek(); ok && u.Kind == Op && assignOps[u.Text] && assignable(target) {
			p.next()
			return &ast.Assign{Op: u.Text, Target: target, Value: p.expr()}
		}
		p.pos, p.diags, p.incomplete = mark, p.diags[:nd], false
	}
	return p.expr()
}

func (p *parser) decl(t Token) ast.Stmt {
	d := &ast.Decl{Pos: pos(t), Kind: t.Text, Items: p.declItems()}
	p.endStmt()
	return d
}

func (p *parser) declItems() []ast.DeclItem {
	var items []ast.DeclItem
	for {
		var it ast.DeclItem
		t := p.peek()
		switch t.Kind {
		case Ident:
			p.next()
			it.Name = t.Text
		case MacroTok:
			p.next()
			it.Macro = macroExpr(t)
		default:
			p.fail(t, "variable name")
		}
		if p.isOp("[") {
			p.next()
			for {
				it.Dims = append(it.Dims, p.expr())
				if p.isOp(",") {
					p.next()
					continue
				}
				p.expectOp("]")
				if p.isOp("[") {
					p.next()
					continue
				}
				break
			}
		}
		p.skipType()
		if p.isOp(":=") || p.isOp("=") {
			p.next()
			it.Init = p.expr()
		}
		p.skipType()
		items = append(items, it)
		if !p.isOp(",") {
			return items
		}
		p.next()
	}
}

func macroExpr(t Token) ast.Expr {
	return &ast.Macro{X: &ast.Ident{Name: t.Text}, Suffix: t.Suffix}
}

// endWord consumes an End-like terminator and an optional qualifier word.
func (p *parser) endWord(quals ...string) ast.Pos {
	t := p.next()
	if t.Text == "end" && p.peek().Kind == Ident {
		for _, q := range quals {
			if p.isWord(q) {
				p.next()
				break
			}
		}
	}
	p.endStmt()
	return pos(t)
}

func (p *parser) ifStmt(t Token) ast.Stmt {
	s := &ast.If{Pos: pos(t), CondPos: []ast.Pos{pos(t)}}
	s.Conds = append(s.Conds, p.expr())
	p.endStmt()
	ends := []string{"elseif", "else", "endif", "end"}
	s.Blocks = append(s.Blocks, p.block(nil, ends))
	for {
		switch p.peek().Text {
		case "elseif":
			s.CondPos = append(s.CondPos, pos(p.next()))
			s.Conds = append(s.Conds, p.expr())
			p.endStmt()
			s.Blocks = append(s.Blocks, p.block(nil, ends))
		case "else":
			s.ElsePos = pos(p.next())
			p.endStmt()
			s.Else = p.block(nil, []string{"endif", "end"})
			if s.Else == nil {
				s.Else = []ast.Stmt{}
			}
		default:
			s.End = p.endWord("if")
			return s
		}
	}
}

func (p *parser) caseStmt(t Token) ast.Stmt {
	s := &ast.If{Pos: pos(t)}
	p.endStmt()
	ends := []string{"case", "otherwise", "endcase", "end"}
	p.block(nil, ends) // statements before the first Case are ignored
	for {
		switch p.peek().Text {
		case "case":
			s.CondPos = append(s.CondPos, pos(p.next()))
			s.Conds = append(s.Conds, p.expr())
			p.endStmt()
			s.Blocks = append(s.Blocks, p.block(nil, ends))
		case "otherwise":
			s.ElsePos = pos(p.next())
			p.endStmt()
			s.Else = p.block(nil, []string{"endcase", "end"})
			if s.Else == nil {
				s.Else = []ast.Stmt{}
			}
		default:
			s.End = p.endWord("case")
			return s
		}
	}
}

func (p *parser) whileStmt(t Token) ast.Stmt {
	s := &ast.While{Pos: pos(t), Cond: p.expr()}
	p.endStmt()
	s.Body = p.block(nil, []string{"enddo", "endwhile", "end"})
	s.End = p.endWord("while", "do")
	return s
}

func (p *parser) forStmt(t Token) ast.Stmt {
	if p.isWord("each") {
		p.next()
		s := &ast.ForEach{Pos: pos(t), Var: p.postfix()}
		if !assignable(s.Var) {
			p.fail(p.peek(), "variable")
		}
		if !p.isWord("in") {
			p.fail(p.peek(), "In")
		}
		p.next()
		s.In = p.expr()
		p.endStmt()
		s.Body = p.block(nil, []string{"next"})
		s.End = p.nextWord()
		return s
	}
	s := &ast.For{Pos: pos(t), Var: p.postfix()}
	if !assignable(s.Var) {
		p.fail(p.peek(), "variable")
	}
	if !p.isOp(":=") && !p.isOp("=") {
		p.fail(p.peek(), "':='")
	}
	p.next()
	s.From = p.expr()
	if !p.isWord("to") {
		p.fail(p.peek(), "To")
	}
	p.next()
	s.To = p.expr()
	if p.isWord("step") {
		p.next()
		s.Step = p.expr()
	}
	p.endStmt()
	s.Body = p.block(nil, []string{"next"})
	s.End = p.nextWord()
	return s
}

func (p *parser) nextWord() ast.Pos {
	t := p.next()
	if p.peek().Kind == Ident {
		p.next()
	}
	p.endStmt()
	return pos(t)
}

func (p *parser) seqStmt(t Token) ast.Stmt {
	s := &ast.Sequence{Pos: pos(t)}
	p.endStmt()
	s.Body = p.block(nil, []string{"recover", "end", "endsequence"})
	if p.isWord("recover") {
		p.next()
		s.HasRecover = true
		if p.isWord("using") {
			p.next()
			s.Using = p.postfix()
			if !assignable(s.Using) {
				p.fail(p.peek(), "variable")
			}
		}
		p.endStmt()
		s.Recover = p.block(nil, []string{"end", "endsequence"})
	}
	s.End = p.endWord("sequence")
	return s
}

func assignable(e ast.Expr) bool {
	switch e.(type) {
	case *ast.Ident, *ast.Index, *ast.Member, *ast.Field, *ast.MemvarRef, *ast.Macro:
		return true
	}
	return false
}

// ExprResult is the outcome of ParseExpr.
type ExprResult struct {
	// Expr is the expression, nil when it did not parse.
	Expr ast.Expr
	// Diags are the syntax errors.
	Diags []Diag
}

// ParseExpr parses one expression or a comma list (value of the last).
func ParseExpr(src string) *ExprResult {
	toks, ld := lex(src)
	p := &parser{toks: toks, diags: ld}
	r := &ExprResult{}
	ok := p.try(func() {
		var xs []ast.Expr
		for {
			xs = append(xs, p.expr())
			if p.isOp(",") {
				p.next()
				continue
			}
			break
		}
		if p.peek().Kind != EOF {
			p.fail(p.peek(), "end of expression")
		}
		if len(xs) == 1 {
			r.Expr = xs[0]
		} else {
			r.Expr = &ast.List{Exprs: xs}
		}
	})
	if !ok && len(p.diags) == 0 {
		p.diags = append(p.diags, Diag{Line: 1, Col: 1, Msg: "invalid expression"})
	}
	r.Diags = p.diags
	return r
}

// skipEmptyParens consumes "()" after Break or Return.
func (p *parser) skipEmptyParens() {
	if p.isOp("(") && p.peekAt(1).Kind == Op && p.peekAt(1).Text == ")" {
		p.next()
		p.next()
	}
}

// inlineIf reports whether "If(" at the cursor is an IIf call used as a
// whole statement: "If(c, a, b)" followed by the end of the statement.
func (p *parser) inlineIf() bool {
	if u := p.peekAt(1); u.Kind != Op || u.Text != "(" {
		return false
	}
	depth, commas := 0, 0
	for k := 1; ; k++ {
		u := p.peekAt(k)
		switch {
		case u.Kind == EOS || u.Kind == EOF:
			return false
		case u.Kind != Op:
		case u.Text == "(" || u.Text == "[" || u.Text == "{":
			depth++
		case u.Text == ")" || u.Text == "]" || u.Text == "}":
			depth--
			if depth == 0 {
				n := p.peekAt(k + 1)
				return commas == 2 && (n.Kind == EOS || n.Kind == EOF)
			}
		case u.Text == "," && depth == 1:
			commas++
		}
	}
}
