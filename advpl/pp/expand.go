package pp

import (
	"strconv"
	"strings"
)

// expandLine applies #defines and rules to a logical line until nothing
// changes, bounded by maxExpansions.
func (p *proc) expandLine(f *fileCtx, ll logicalLine) string {
	toks, ok := tokenizeInto(p.tokBuf, ll.text, false)
	p.tokBuf = toks[:0] // step never modifies its input in place
	if !ok {
		p.diag(f.name, ll.first, false, "preprocessor: line has more than %d tokens", maxLineTokens)
		return ""
	}
	count := 0
	work := 0
	changed := false
	for {
		var what string
		var n int
		toks, n, what = p.step(toks)
		if n == 0 {
			break
		}
		changed = true
		count += n
		work += len(toks)
		p.work += len(toks)
		if p.work > maxSourceExpansionWork {
			p.diag(f.name, ll.first, false, "preprocessor: expansions of this source exceed %d tokens in all (%s)", maxSourceExpansionWork, what)
			return ""
		}
		if count > maxExpansions || work > maxExpansionWork {
			p.diag(f.name, ll.first, false, "preprocessor: expansion does not terminate (%s)", what)
			return ""
		}
		if len(toks) > maxLineTokens {
			p.diag(f.name, ll.first, false, "preprocessor: expansion exceeds %d tokens (%s)", maxLineTokens, what)
			return ""
		}
	}
	if !changed {
		return ll.text
	}
	indent := ll.text[:len(ll.text)-len(strings.TrimLeft(ll.text, " \t"))]
	if len(toks) > 0 {
		toks[0].sp = false
	}
	return indent + render(toks)
}

// step performs one round of substitution: all #defines in one pass, else
// the first matching translate or command rule. It returns the number of
// substitutions made and a description of the last one.
func (p *proc) step(toks []token) ([]token, int, string) {
	if out, n, what := p.defines1(toks); n > 0 {
		return out, n, what
	}
	if len(p.rules) == 0 {
		return toks, 0, ""
	}
	start := 0
	for start <= len(toks) {
		end := start
		for end < len(toks) && toks[end].text != ";" {
			end++
		}
		stmt := toks[start:end]
		for ri := len(p.rules) - 1; ri >= 0; ri-- {
			r := p.rules[ri]
			if r.cmd {
				if len(stmt) == 0 {
					continue
				}
				if res, ok := r.match(stmt, true); ok {
					return splice(toks, start, end, res), 1, r.where()
				}
				continue
			}
			for i := range stmt {
				if sub, n, ok := r.matchAt(stmt[i:]); ok {
					return splice(toks, start+i, start+i+n, sub), 1, r.where()
				}
			}
		}
		start = end + 1
	}
	return toks, 0, ""
}

func (r *rule) where() string {
	return "rule at " + r.file + ":" + strconv.Itoa(r.line)
}

// splice replaces toks[a:b] with sub, keeping the leading blank of toks[a].
func splice(toks []token, a, b int, sub []token) []token {
	sub = append([]token(nil), sub...)
	if len(sub) > 0 && a < len(toks) {
		sub[0].sp = toks[a].sp
	}
	out := make([]token, 0, len(toks)-(b-a)+len(sub))
	out = append(out, toks[:a]...)
	out = append(out, sub...)
	return append(out, toks[b:]...)
}

// match matches a whole statement against a command rule.
func (r *rule) match(stmt []token, whole bool) ([]token, bool) {
	if first := r.pattern[0]; first.lit != nil {
		m := &matcher{r: r, in: stmt}
		if !m.litMatch(*first.lit, stmt[0]) {
			return nil, false
		}
	}
	m := &matcher{r: r, in: stmt}
	b := binds{}
	end, ok := m.seq(r.pattern, 0, nil, b)
	if !ok || whole && end != len(stmt) || end == 0 {
		return nil, false
	}
	return r.apply(b), true
}

// matchAt matches a translate rule at the start of in; it returns the
// result and the number of tokens matched.
func (r *rule) matchAt(in []token) ([]token, int, bool) {
	if first := r.pattern[0]; first.lit != nil {
		m := &matcher{r: r, in: in}
		if !m.litMatch(*first.lit, in[0]) {
			return nil, 0, false
		}
	}
	m := &matcher{r: r, in: in}
	b := binds{}
	end, ok := m.seq(r.pattern, 0, nil, b)
	if !ok || end == 0 {
		return nil, 0, false
	}
	return r.apply(b), end, true
}

// defines1 replaces every #define occurrence once.
func (p *proc) defines1(toks []token) ([]token, int, string) {
	if !p.mentionsDefine(toks) {
		return toks, 0, ""
	}
	out := make([]token, 0, len(toks)+8)
	n := 0
	what := ""
	var ends []int // bracket group ends, computed once per pass when needed
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		d := p.defines[t.text]
		if t.kind != tkIdent || d == nil {
			out = append(out, t)
			continue
		}
		if d.params < 0 {
			out = append(out, withSpace(append([]token(nil), d.body...), t.sp)...)
			n++
			what = "#define " + d.name
			continue
		}
		if i+1 >= len(toks) || toks[i+1].text != "(" {
			out = append(out, t)
			continue
		}
		if ends == nil {
			ends = groupEnds(toks)
		}
		end := ends[i+1]
		if end-1 <= i+1 || toks[end-1].text != ")" {
			out = append(out, t)
			continue
		}
		args := splitArgs(toks[i+2 : end-1])
		if len(args) != d.params && !(d.params == 0 && len(args) == 1 && len(args[0]) == 0) {
			out = append(out, t)
			continue
		}
		var body []token
		for _, bt := range d.body {
			idx := -1
			if bt.kind == tkIdent {
				for k, nm := range d.names {
					if nm == bt.text {
						idx = k
					}
				}
			}
			if idx < 0 {
				body = append(body, bt)
				continue
			}
			body = append(body, withSpace(append([]token(nil), args[idx]...), bt.sp)...)
		}
		out = append(out, withSpace(body, t.sp)...)
		i = end - 1
		n++
		what = "#define " + d.name
	}
	return out, n, what
}

// groupEnds returns, for each token that opens a bracket group, the index
// after the group (as skipGroup would, len(toks) when it is not closed), in
// one pass: scanning from every "(" of a line with unbalanced brackets
// would make a pass quadratic.
func groupEnds(toks []token) []int {
	ends := make([]int, len(toks))
	var open []int
	for i, t := range toks {
		switch t.text {
		case "(", "{", "[":
			ends[i] = len(toks)
			open = append(open, i)
		case ")", "}", "]":
			if len(open) > 0 {
				ends[open[len(open)-1]] = i + 1
				open = open[:len(open)-1]
			}
		}
	}
	return ends
}

// mentionsDefine reports whether any identifier of toks is a #define, so
// that the common line without one is not copied.
func (p *proc) mentionsDefine(toks []token) bool {
	if len(p.defines) == 0 {
		return false
	}
	for _, t := range toks {
		if t.kind == tkIdent && p.defines[t.text] != nil {
			return true
		}
	}
	return false
}

// splitArgs splits tokens at top-level commas.
func splitArgs(t []token) [][]token {
	var args [][]token
	depth, start := 0, 0
	for i, tk := range t {
		switch tk.text {
		case "(", "{", "[":
			depth++
		case ")", "}", "]":
			depth--
		case ",":
			if depth == 0 {
				args = append(args, t[start:i])
				start = i + 1
			}
		}
	}
	return append(args, t[start:])
}

// evalCond evaluates the expression of #if / #elif.
func (p *proc) evalCond(f *fileCtx, ll logicalLine, text string) bool {
	toks, _ := tokenize(text, false)
	e := &condEval{p: p, toks: toks}
	v := e.or()
	if e.err || e.pos != len(e.toks) {
		p.diag(f.name, ll.first, false, "#if: cannot evaluate %q", strings.TrimSpace(text))
		return false
	}
	return v != 0
}

type condEval struct {
	p     *proc
	toks  []token
	pos   int
	err   bool
	depth int
}

func (e *condEval) peek() string {
	if e.pos < len(e.toks) {
		return strings.ToUpper(e.toks[e.pos].text)
	}
	return ""
}

func (e *condEval) or() int64 {
	v := e.and()
	for e.peek() == ".OR." {
		e.pos++
		r := e.and()
		v = b2i(v != 0 || r != 0)
	}
	return v
}

func (e *condEval) and() int64 {
	v := e.cmp()
	for e.peek() == ".AND." {
		e.pos++
		r := e.cmp()
		v = b2i(v != 0 && r != 0)
	}
	return v
}

func (e *condEval) cmp() int64 {
	v := e.unary()
	for {
		op := e.peek()
		switch op {
		case "==", "=", "!=", "<>", "#", "<", ">", "<=", ">=":
		default:
			return v
		}
		e.pos++
		r := e.unary()
		switch op {
		case "==", "=":
			v = b2i(v == r)
		case "!=", "<>", "#":
			v = b2i(v != r)
		case "<":
			v = b2i(v < r)
		case ">":
			v = b2i(v > r)
		case "<=":
			v = b2i(v <= r)
		case ">=":
			v = b2i(v >= r)
		}
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (e *condEval) unary() int64 {
	switch e.peek() {
	case "!", ".NOT.":
		e.pos++
		return b2i(e.unary() == 0)
	case "-":
		e.pos++
		return -e.unary()
	}
	return e.primary()
}

func (e *condEval) primary() int64 {
	if e.pos >= len(e.toks) {
		e.err = true
		return 0
	}
	t := e.toks[e.pos]
	e.pos++
	up := strings.ToUpper(t.text)
	switch {
	case up == ".T." || up == ".Y.":
		return 1
	case up == ".F." || up == ".N.":
		return 0
	case up == "(":
		v := e.or()
		if e.peek() != ")" {
			e.err = true
		}
		e.pos++
		return v
	case t.kind == tkNumber:
		v, err := strconv.ParseInt(t.text, 0, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(t.text, 64)
			if ferr != nil {
				e.err = true
			}
			return int64(f)
		}
		return v
	case t.kind == tkString:
		return b2i(len(t.text) > 2)
	case up == "DEFINED":
		paren := e.peek() == "("
		if paren {
			e.pos++
		}
		if e.pos >= len(e.toks) {
			e.err = true
			return 0
		}
		_, ok := e.p.defines[e.toks[e.pos].text]
		e.pos++
		if paren {
			if e.peek() != ")" {
				e.err = true
			}
			e.pos++
		}
		return b2i(ok)
	case t.kind == tkIdent:
		d := e.p.defines[t.text]
		if d == nil || d.params >= 0 {
			return 0
		}
		if len(d.body) == 0 || e.depth > 16 {
			return 1
		}
		sub := &condEval{p: e.p, toks: d.body, depth: e.depth + 1}
		v := sub.or()
		if sub.err || sub.pos != len(sub.toks) {
			return 1
		}
		return v
	}
	e.err = true
	return 0
}
