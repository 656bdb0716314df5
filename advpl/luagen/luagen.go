// Package luagen generates line-preserving Lua from an AdvPL ast.File,
// following docs/advpl-codegen.md.
package luagen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/advmail/advmail/advpl/ast"
)

// Options tunes generation.
type Options struct {
	File string // source name used in R.file and R.fail messages
	Repl bool   // file-level Locals become memvars
	// Lines is the source's line count: the chunk is padded to it.
	Lines int
}

// Func describes one generated function.
type Func struct {
	// Name is the canonical (upper case) name, as advpl.Function.Name.
	Name string
	// Kind is "user", "function", "main", "static" or "method".
	Kind string
	// Line is the source line of the definition.
	Line int
	// Failed reports that the body did not parse: calling it raises the error.
	Failed bool
}

// Output is the generated chunk.
type Output struct {
	// Lua is the generated chunk, line-preserving.
	Lua string
	// Functions are the functions the chunk defines, in source order.
	Functions []Func
	// Classes are the classes the chunk defines (upper case).
	Classes []string
}

// MaxLocals is the number of Lua locals a function may use before the rest
// are spilled to a table.
// gopher-lua counts locals and temporaries against 255 registers, so the
// limit leaves room for expressions.
const MaxLocals = 120

type loopCtx struct {
	flag    string // non-empty: body wrapped in repeat…until true
	seq     int    // seqDepth when the loop started
	hasLoop bool
}

type scope struct {
	fnKey    string            // lower-case function name for static keys
	vars     map[string]string // locals and params
	statics  map[string]bool
	memvars  map[string]bool
	fields   map[string]bool
	params   []string
	privates bool
	method   bool
	class    string
	loops    []*loopCtx
	seqDepth int
	top      bool // chunk level
}

type gen struct {
	b        []byte
	line     int
	opts     Options
	sfuncs   map[string]bool
	fstatics map[string]bool
	sc       *scope
	blocks   []map[string]bool
	tmp      int
}

// Generate produces the Lua chunk of a parsed file.
func Generate(f *ast.File, opts Options) *Output {
	g := &gen{line: 1, opts: opts, sfuncs: map[string]bool{}, fstatics: map[string]bool{}}
	g.b = make([]byte, 0, 40*opts.Lines+256) // about the size of typical output
	for _, fn := range f.Funcs {
		if fn.Kind == "static" {
			g.sfuncs[strings.ToLower(fn.Name)] = true
		}
	}
	out := &Output{}
	g.w(fmt.Sprintf("local R = _ADVPL; local F, M, S, ST = R.F, R.M, {}, {}; R.file(%s, S);", quote(opts.File)))
	top := &scope{vars: map[string]string{}, statics: map[string]bool{}, memvars: map[string]bool{}, fields: map[string]bool{}, top: true}
	for _, it := range f.Order {
		switch x := it.(type) {
		case *ast.Func:
			g.function(x, top)
			out.Functions = append(out.Functions, Func{Name: canon(x), Kind: x.Kind, Line: x.Line, Failed: x.Err != ""})
		case *ast.Class:
			g.sc = top
			g.class(x)
			out.Classes = append(out.Classes, strings.ToUpper(x.Name))
		case ast.Stmt:
			g.sc = top
			g.stmt(x)
		}
	}
	g.at(opts.Lines)
	g.trim()
	g.b = append(g.b, '\n')
	out.Lua = string(g.b)
	return out
}

func canon(fn *ast.Func) string {
	n := strings.ToUpper(fn.Name)
	switch fn.Kind {
	case "user":
		return "U_" + n
	case "method":
		return strings.ToUpper(fn.Class) + ":" + n
	}
	return n
}

func (g *gen) at(line int) {
	for g.line < line {
		g.trim()
		g.b = append(g.b, '\n')
		g.line++
	}
}

func (g *gen) w(s string) {
	g.b = append(g.b, s...)
	g.b = append(g.b, ' ')
}

// trim drops trailing blanks of the current line.
func (g *gen) trim() {
	for len(g.b) > 0 && g.b[len(g.b)-1] == ' ' {
		g.b = g.b[:len(g.b)-1]
	}
}

func (g *gen) newTmp(prefix string) string {
	g.tmp++
	return prefix + strconv.Itoa(g.tmp)
}

var luaKeywords = map[string]bool{"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "if": true, "in": true, "local": true, "nil": true, "not": true,
	"or": true, "repeat": true, "return": true, "then": true, "true": true, "until": true, "while": true}

func isLuaName(s string) bool {
	if s == "" || luaKeywords[s] || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// sel returns base.name or base["name"].
func sel(base, name string) string {
	if isLuaName(name) {
		return base + "." + name
	}
	return base + "[" + quote(name) + "]"
}

// localName returns the Lua local for an AdvPL name.
func localName(n string) string {
	var b strings.Builder
	b.WriteString("l_")
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return b.String()
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// collectLocals lists the Local names of a body in order (deduplicated).
func collectLocals(body []ast.Stmt, seen map[string]bool, out *[]string, hasPriv, hasSeq *bool, statics *[]ast.DeclItem) {
	for _, s := range body {
		switch x := s.(type) {
		case *ast.Decl:
			switch x.Kind {
			case "local":
				for _, it := range x.Items {
					if !seen[it.Name] {
						seen[it.Name] = true
						*out = append(*out, it.Name)
					}
				}
			case "private":
				*hasPriv = true
			case "static":
				*statics = append(*statics, x.Items...)
			}
		case *ast.If:
			for _, b := range x.Blocks {
				collectLocals(b, seen, out, hasPriv, hasSeq, statics)
			}
			collectLocals(x.Else, seen, out, hasPriv, hasSeq, statics)
		case *ast.For:
			collectLocals(x.Body, seen, out, hasPriv, hasSeq, statics)
		case *ast.ForEach:
			collectLocals(x.Body, seen, out, hasPriv, hasSeq, statics)
		case *ast.While:
			collectLocals(x.Body, seen, out, hasPriv, hasSeq, statics)
		case *ast.Sequence:
			*hasSeq = true
			collectLocals(x.Body, seen, out, hasPriv, hasSeq, statics)
			collectLocals(x.Recover, seen, out, hasPriv, hasSeq, statics)
		}
	}
}

func (g *gen) function(fn *ast.Func, top *scope) {
	g.at(fn.Line)
	name := canon(fn)
	lower := strings.ToLower(fn.Name)
	if fn.Err != "" {
		body := "function() R.fail(" + quote(g.opts.File+":"+fn.Err) + ") end"
		g.w(g.wrapOpen(fn, name, lower) + body + g.wrapClose(fn) + ";")
		return
	}
	sc := &scope{fnKey: strings.ToLower(name), vars: map[string]string{}, statics: map[string]bool{},
		memvars: map[string]bool{}, fields: map[string]bool{}, method: fn.Kind == "method", class: fn.Class}
	for k := range top.memvars {
		sc.memvars[k] = true
	}
	for k := range top.fields {
		sc.fields[k] = true
	}
	var params, sig, extra []string
	for i, p := range fn.Params {
		ln := localName(p)
		if _, dup := sc.vars[p]; dup {
			ln = localName(p) + "_" + strconv.Itoa(i)
		}
		if i >= MaxLocals {
			// parameters past the limit are read from ...
			ln = sel("V", p)
			if _, dup := sc.vars[p]; dup {
				ln = sel("V", p+"_"+strconv.Itoa(i))
			}
			extra = append(extra, ln+" = select("+strconv.Itoa(i-MaxLocals+1)+", ...);")
		} else {
			sig = append(sig, ln)
		}
		sc.vars[p] = ln
		params = append(params, ln)
	}
	if len(extra) > 0 {
		sig = append(sig, "...")
	}
	sc.params = params
	var locals []string
	var hasPriv, hasSeq bool
	var statics []ast.DeclItem
	seen := map[string]bool{}
	for _, p := range fn.Params {
		seen[p] = true
	}
	collectLocals(fn.Body, seen, &locals, &hasPriv, &hasSeq, &statics)
	sc.privates = hasPriv
	g.sc = sc
	// function-level statics are initialised once, at load
	for _, it := range statics {
		if it.Name == "" {
			continue
		}
		sc.statics[it.Name] = true
		if v := g.declValue(it); v != "nil" {
			g.w(sc.staticRef(it.Name) + " = " + v + ";")
		}
	}
	var pro []string
	budget := MaxLocals - len(sig)
	var luaLocals []string
	spill := false
	for _, l := range locals {
		if len(luaLocals) < budget {
			ln := localName(l)
			sc.vars[l] = ln
			luaLocals = append(luaLocals, ln)
		} else {
			spill = true
			sc.vars[l] = sel("V", l)
		}
	}
	if len(luaLocals) > 0 {
		pro = append(pro, "local "+strings.Join(luaLocals, ", ")+";")
	}
	if spill || len(extra) > 0 {
		pro = append(pro, "local V = {};")
		pro = append(pro, extra...)
	}
	if hasPriv {
		pro = append(pro, "local __pm = R.pmark();")
	}
	if hasSeq {
		pro = append(pro, "local __rv;")
	}
	plist := strings.Join(sig, ", ")
	if sc.method {
		plist = strings.Join(append([]string{"self"}, sig...), ", ")
	}
	g.w(g.wrapOpen(fn, name, lower) + "function(" + plist + ") " + strings.Join(pro, " "))
	g.stmts(fn.Body)
	if hasPriv {
		g.w("R.prelease(__pm);")
	}
	g.w("do return " + sc.retList("nil") + " end")
	g.w("end" + g.wrapClose(fn) + ";")
	g.sc = top
}

func (g *gen) wrapOpen(fn *ast.Func, name, lower string) string {
	switch fn.Kind {
	case "static":
		return sel("S", lower) + " = R.static(" + quote(name) + ", "
	case "method":
		return "R.method(" + quote(strings.ToUpper(fn.Class)) + ", " + quote(strings.ToUpper(fn.Name)) + ", "
	}
	return "R.defun(" + quote(name) + ", "
}

func (g *gen) wrapClose(fn *ast.Func) string {
	switch fn.Kind {
	case "static", "method":
		return ")"
	}
	return ", " + quote(fn.Kind) + ")"
}

func (g *gen) class(c *ast.Class) {
	g.at(c.Line)
	parent := "nil"
	if c.Parent != "" {
		parent = quote(strings.ToUpper(c.Parent))
	}
	var names, inits []string
	for i, d := range c.Data {
		names = append(names, quote(d))
		if c.Inits[i] != nil {
			inits = append(inits, "["+quote(d)+"] = "+g.expr(c.Inits[i]))
		}
	}
	s := "R.class(" + quote(strings.ToUpper(c.Name)) + ", " + parent + ", {" + strings.Join(names, ", ") + "}"
	if len(inits) > 0 {
		s += ", {" + strings.Join(inits, ", ") + "}"
	}
	g.w(s + ");")
}

func (sc *scope) staticRef(name string) string {
	return "ST[" + quote(sc.fnKey+"."+name) + "]"
}

// resolve returns the Lua expression of a variable.
func (g *gen) resolve(name string) string {
	for i := len(g.blocks) - 1; i >= 0; i-- {
		if g.blocks[i][name] {
			return localName(name)
		}
	}
	sc := g.sc
	if v, ok := sc.vars[name]; ok {
		return v
	}
	if sc.statics[name] {
		return sc.staticRef(name)
	}
	if sc.memvars[name] {
		return sel("M", name)
	}
	if sc.fields[name] {
		return "R.field(nil, " + quote(strings.ToUpper(name)) + ")"
	}
	if g.fstatics[name] {
		return sel("ST", name)
	}
	return sel("M", name)
}

// Expr renders a standalone expression in which every identifier is a memvar.
func Expr(e ast.Expr) string {
	g := &gen{line: 1, sfuncs: map[string]bool{}, fstatics: map[string]bool{}}
	g.sc = &scope{vars: map[string]string{}, statics: map[string]bool{}, memvars: map[string]bool{}, fields: map[string]bool{}, top: true}
	return g.expr(e)
}
