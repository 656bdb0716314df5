package pp

import (
	"fmt"
	"strings"
)

// Marker kinds of match patterns.
const (
	mkRegular = iota
	mkList
	mkRestricted
	mkWild
	mkExtended
)

// Result marker kinds.
const (
	rkRegular = iota
	rkDumb
	rkNormal
	rkSmart
	rkBlock
	rkLogify
)

// pelem is one element of a match pattern: a literal token, a marker or an
// optional clause.
type pelem struct {
	lit    *token
	marker *pmarker
	opt    []pelem
}

type pmarker struct {
	name  string
	kind  int
	words []string
}

// relem is one element of a result pattern.
type relem struct {
	lit   *token
	name  string
	kind  int
	isMk  bool
	sp    bool
	opt   []relem
	isOpt bool
}

// rule is a #command / #translate definition.
type rule struct {
	kw      string
	cmd     bool // matches a whole statement
	full    bool // keywords need the full word
	pattern []pelem
	result  []relem
	markers map[string]*pmarker
	file    string
	line    int
	key     string // normalised pattern, for #uncommand
}

// parseRule parses "pattern => result" of a rule directive.
func parseRule(kw, text string) (*rule, error) {
	toks, ok := tokenize(text, true)
	if !ok {
		return nil, fmt.Errorf("too many tokens")
	}
	arrow := -1
	for i := 0; i < len(toks); i++ {
		if toks[i].text == "\\" {
			i++
			continue
		}
		if toks[i].text == "=>" {
			arrow = i
			break
		}
	}
	if arrow < 0 {
		return nil, fmt.Errorf("missing =>")
	}
	r := &rule{kw: kw, cmd: strings.Contains(kw, "command"), full: kw[0] == 'x' || kw[0] == 'y', markers: map[string]*pmarker{}}
	pt := toks[:arrow]
	if len(pt) == 0 {
		return nil, fmt.Errorf("empty pattern")
	}
	i := 0
	r.pattern = r.parsePattern(pt, &i, 0)
	if i < len(pt) {
		return nil, fmt.Errorf("unbalanced ']' in pattern")
	}
	if len(r.pattern) == 0 {
		return nil, fmt.Errorf("empty pattern")
	}
	rt := toks[arrow+1:]
	j := 0
	r.result = r.parseResult(rt, &j, 0)
	if len(r.result) > 0 {
		r.result[0].sp = false
		if r.result[0].lit != nil {
			t := *r.result[0].lit
			t.sp = false
			r.result[0].lit = &t
		}
	}
	r.key = strings.ToUpper(render(pt))
	return r, nil
}

func tokAt(t []token, i int) string {
	if i < len(t) {
		return t[i].text
	}
	return ""
}

func (r *rule) parsePattern(t []token, i *int, depth int) []pelem {
	var out []pelem
	for *i < len(t) {
		tk := t[*i]
		switch {
		case tk.text == "]" && depth > 0:
			*i++
			return out
		case tk.text == "]":
			return out
		case tk.text == "\\" && *i+1 < len(t):
			lit := t[*i+1]
			out = append(out, pelem{lit: &lit})
			*i += 2
		case tk.text == "[" && depth < 16:
			*i++
			if opt := r.parsePattern(t, i, depth+1); len(opt) > 0 {
				out = append(out, pelem{opt: opt})
			}
		case tk.text == "<":
			if m, n := parseMarker(t, *i); m != nil {
				r.markers[strings.ToUpper(m.name)] = m
				out = append(out, pelem{marker: m})
				*i += n
				continue
			}
			out = append(out, pelem{lit: &t[*i]})
			*i++
		default:
			out = append(out, pelem{lit: &t[*i]})
			*i++
		}
	}
	return out
}

// parseMarker parses a match marker starting at t[i] == "<"; it returns the
// marker and the number of tokens used, or nil.
func parseMarker(t []token, i int) (*pmarker, int) {
	a, b, c, d := tokAt(t, i+1), tokAt(t, i+2), tokAt(t, i+3), tokAt(t, i+4)
	isID := i+2 < len(t) && t[i+2].kind == tkIdent
	switch {
	case a == "*" && isID && c == "*" && d == ">":
		return &pmarker{name: b, kind: mkWild}, 5
	case a == "(" && isID && c == ")" && d == ">":
		return &pmarker{name: b, kind: mkExtended}, 5
	}
	if i+1 >= len(t) || t[i+1].kind != tkIdent {
		return nil, 0
	}
	switch {
	case b == ">":
		return &pmarker{name: a, kind: mkRegular}, 3
	case b == "," && c == "..." && d == ">":
		return &pmarker{name: a, kind: mkList}, 5
	case b == ":":
		m := &pmarker{name: a, kind: mkRestricted}
		j := i + 3
		word := ""
		for j < len(t) && t[j].text != ">" {
			if t[j].text == "," {
				if word != "" {
					m.words = append(m.words, word)
				}
				word = ""
			} else {
				word += t[j].text
			}
			j++
		}
		if j >= len(t) {
			return nil, 0
		}
		if word != "" {
			m.words = append(m.words, word)
		}
		return m, j - i + 1
	}
	return nil, 0
}

func (r *rule) parseResult(t []token, i *int, depth int) []relem {
	var out []relem
	for *i < len(t) {
		tk := t[*i]
		if tk.text == "]" && depth > 0 {
			*i++
			return out
		}
		if tk.text == "\\" && *i+1 < len(t) {
			lit := t[*i+1]
			lit.sp = tk.sp
			out = append(out, relem{lit: &lit, sp: tk.sp})
			*i += 2
			continue
		}
		if tk.text == "[" && depth < 16 {
			*i++
			out = append(out, relem{isOpt: true, opt: r.parseResult(t, i, depth+1), sp: tk.sp})
			continue
		}
		if tk.text == "#" && tokAt(t, *i+1) == "<" && tokAt(t, *i+3) == ">" && r.markers[strings.ToUpper(tokAt(t, *i+2))] != nil {
			out = append(out, relem{isMk: true, name: strings.ToUpper(t[*i+2].text), kind: rkDumb, sp: tk.sp})
			*i += 4
			continue
		}
		if tk.text == "<" {
			if e, n := r.resultMarker(t, *i); n > 0 {
				e.sp = tk.sp
				out = append(out, e)
				*i += n
				continue
			}
		}
		lit := t[*i]
		out = append(out, relem{lit: &lit, sp: tk.sp})
		*i++
	}
	return out
}

// resultMarker parses a result marker at t[i] == "<".
func (r *rule) resultMarker(t []token, i int) (relem, int) {
	a, b, c, d := tokAt(t, i+1), tokAt(t, i+2), tokAt(t, i+3), tokAt(t, i+4)
	known := func(s string) bool { return r.markers[strings.ToUpper(s)] != nil }
	switch {
	case b == ">" && known(a):
		if len(a) > 2 && (a[0] == '"' || a[0] == '\'') {
			return relem{}, 0
		}
		return relem{isMk: true, name: strings.ToUpper(a), kind: rkRegular}, 3
	case b == ">" && len(a) > 2 && (a[0] == '"' || a[0] == '\'') && known(a[1:len(a)-1]):
		return relem{isMk: true, name: strings.ToUpper(a[1 : len(a)-1]), kind: rkNormal}, 3
	case b == ">" && len(a) > 2 && a[0] == '.' && a[len(a)-1] == '.' && known(a[1:len(a)-1]):
		return relem{isMk: true, name: strings.ToUpper(a[1 : len(a)-1]), kind: rkLogify}, 3
	case a == "(" && c == ")" && d == ">" && known(b):
		return relem{isMk: true, name: strings.ToUpper(b), kind: rkSmart}, 5
	case a == "{" && c == "}" && d == ">" && known(b):
		return relem{isMk: true, name: strings.ToUpper(b), kind: rkBlock}, 5
	}
	return relem{}, 0
}

// binding holds what a marker matched.
type binding struct {
	matched bool
	vals    [][]token
}

type binds map[string]*binding

func (b binds) clone() binds {
	c := make(binds, len(b))
	for k, v := range b {
		nv := *v
		nv.vals = append([][]token(nil), v.vals...)
		c[k] = &nv
	}
	return c
}

func (b binds) add(name string, val []token) {
	name = strings.ToUpper(name)
	e := b[name]
	if e == nil {
		e = &binding{}
		b[name] = e
	}
	e.matched = true
	e.vals = append(e.vals, val)
}

// matcher matches a rule pattern against statement tokens.
type matcher struct {
	r  *rule
	in []token
}

// litMatch compares a pattern literal with an input token.
func (m *matcher) litMatch(lit, t token) bool {
	if lit.kind == tkIdent && t.kind == tkIdent {
		if strings.EqualFold(lit.text, t.text) {
			return true
		}
		return !m.r.full && len(t.text) >= 4 && len(t.text) < len(lit.text) && strings.EqualFold(lit.text[:len(t.text)], t.text)
	}
	return strings.EqualFold(lit.text, t.text)
}

// firstLits returns the literals that can follow position k of elems.
func firstLits(elems []pelem, k int, outer []token) []token {
	var acc []token
	for ; k < len(elems); k++ {
		e := elems[k]
		switch {
		case e.lit != nil:
			return append(acc, *e.lit)
		case e.opt != nil:
			acc = append(acc, firstLits(e.opt, 0, nil)...)
		default:
			return acc
		}
	}
	return append(acc, outer...)
}

func (m *matcher) isStop(t token, stops []token) bool {
	for _, s := range stops {
		if m.litMatch(s, t) {
			return true
		}
	}
	return false
}

// seq matches elems at pos; it returns the position after the match.
func (m *matcher) seq(elems []pelem, pos int, outer []token, b binds) (int, bool) {
	for k := 0; k < len(elems); k++ {
		e := elems[k]
		switch {
		case e.lit != nil:
			if pos >= len(m.in) || !m.litMatch(*e.lit, m.in[pos]) {
				return pos, false
			}
			pos++
		case e.marker != nil:
			np, ok := m.marker(e.marker, pos, firstLits(elems, k+1, outer), b)
			if !ok {
				return pos, false
			}
			pos = np
		default:
			end := k
			for end < len(elems) && elems[end].opt != nil {
				end++
			}
			pos = m.optGroup(elems[k:end], pos, firstLits(elems, k, outer), b)
			k = end - 1
		}
	}
	return pos, true
}

// optGroup matches consecutive optional clauses in any order.
func (m *matcher) optGroup(group []pelem, pos int, stops []token, b binds) int {
	used := make([]bool, len(group))
	for pos < len(m.in) {
		progressed := false
		for gi, g := range group {
			if used[gi] && !hasList(g.opt) {
				continue
			}
			trial := b.clone()
			np, ok := m.seq(g.opt, pos, stops, trial)
			if ok && np > pos {
				for k, v := range trial {
					b[k] = v
				}
				used[gi] = true
				pos = np
				progressed = true
				break
			}
		}
		if !progressed {
			break
		}
	}
	return pos
}

func hasList(elems []pelem) bool {
	for _, e := range elems {
		if e.marker != nil && e.marker.kind == mkList || e.opt != nil && hasList(e.opt) {
			return true
		}
	}
	return false
}

// marker matches one match marker.
func (m *matcher) marker(mk *pmarker, pos int, stops []token, b binds) (int, bool) {
	switch mk.kind {
	case mkWild:
		b.add(mk.name, m.in[pos:])
		if pos == len(m.in) {
			b[strings.ToUpper(mk.name)].matched = false
		}
		return len(m.in), true
	case mkRestricted:
		if pos >= len(m.in) {
			return pos, false
		}
		for _, w := range mk.words {
			if m.litMatch(token{kind: m.in[pos].kind, text: w}, m.in[pos]) {
				b.add(mk.name, m.in[pos:pos+1])
				return pos + 1, true
			}
		}
		return pos, false
	case mkExtended:
		if pos >= len(m.in) || m.isStop(m.in[pos], stops) {
			return pos, false
		}
		end := pos + 1
		if m.in[pos].text == "(" {
			end = skipGroup(m.in, pos)
		} else {
			for end < len(m.in) && !m.in[end].sp && !strings.Contains(",();", m.in[end].text) && !m.isStop(m.in[end], stops) {
				end++
			}
		}
		b.add(mk.name, m.in[pos:end])
		return end, true
	case mkList:
		end := m.expr(pos, stops)
		if end == pos {
			return pos, false
		}
		b.add(mk.name, m.in[pos:end])
		for end < len(m.in) && m.in[end].text == "," {
			next := m.expr(end+1, stops)
			b.add(mk.name, m.in[end+1:next])
			end = next
		}
		return end, true
	}
	end := m.expr(pos, stops)
	if end == pos {
		return pos, false
	}
	b.add(mk.name, m.in[pos:end])
	return end, true
}

// skipGroup returns the index after the bracket group opening at pos.
func skipGroup(t []token, pos int) int {
	depth := 0
	for i := pos; i < len(t); i++ {
		switch t[i].text {
		case "(", "{", "[":
			depth++
		case ")", "}", "]":
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(t)
}

var binaryOps = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "%": true, "^": true, "**": true,
	"=": true, "==": true, "!=": true, "<>": true, "#": true, "<": true, ">": true, "<=": true, ">=": true,
	"$": true, ":=": true, "+=": true, "-=": true, "*=": true, "/=": true, "^=": true, "%=": true, "**=": true,
	":": true, "::": true, "->": true, ".AND.": true, ".OR.": true, "|": true,
}

var prefixOps = map[string]bool{"-": true, "+": true, "!": true, ".NOT.": true, "@": true, "&": true, "++": true, "--": true, "::": true}

// expr returns the end of the expression starting at pos, stopping at a
// stop literal or where two operands would be adjacent.
func (m *matcher) expr(pos int, stops []token) int {
	in := m.in
	wantOperand := true
	i := pos
	lastGood := pos
	for i < len(in) {
		t := in[i]
		if m.isStop(t, stops) {
			break
		}
		up := strings.ToUpper(t.text)
		if wantOperand {
			switch {
			case prefixOps[up]:
				i++
			case t.text == "(" || t.text == "{" || t.text == "[":
				i = skipGroup(in, i)
				wantOperand = false
			case t.kind != tkOp || len(up) > 2 && up[0] == '.' && up[len(up)-1] == '.':
				i++
				wantOperand = false
				if t.text == "&" {
					wantOperand = true
				}
			default:
				return lastGood
			}
			if !wantOperand {
				lastGood = i
			}
			continue
		}
		switch {
		case t.text == "(" || t.text == "[":
			i = skipGroup(in, i)
			lastGood = i
		case t.text == "++" || t.text == "--":
			i++
			lastGood = i
		case t.text == "." && !t.sp: // macro terminator &cVar.
			i++
			lastGood = i
		case binaryOps[up]:
			i++
			wantOperand = true
		default:
			return lastGood
		}
	}
	return lastGood
}

// apply renders the result of a matched rule.
func (r *rule) apply(b binds) []token {
	return r.renderElems(r.result, b, -1)
}

func (r *rule) renderElems(elems []relem, b binds, idx int) []token {
	var out []token
	for _, e := range elems {
		switch {
		case e.lit != nil:
			out = append(out, *e.lit)
		case e.isOpt:
			names := markerNames(e.opt, nil)
			n := 0
			anyMatched := false
			for _, nm := range names {
				bd := b[nm]
				if bd == nil || !bd.matched {
					continue
				}
				anyMatched = true
				if len(bd.vals) > n {
					n = len(bd.vals)
				}
			}
			if !anyMatched {
				continue
			}
			if idx >= 0 || n <= 1 || !r.anyList(names) {
				out = append(out, withSpace(r.renderElems(e.opt, b, idx), e.sp)...)
				continue
			}
			for i := 0; i < n; i++ {
				out = append(out, withSpace(r.renderElems(e.opt, b, i), e.sp || i > 0)...)
			}
		default:
			out = append(out, withSpace(r.renderMarker(e, b, idx), e.sp)...)
		}
	}
	return out
}

func (r *rule) anyList(names []string) bool {
	for _, n := range names {
		if m := r.markers[n]; m != nil && m.kind == mkList {
			return true
		}
	}
	return false
}

func markerNames(elems []relem, acc []string) []string {
	for _, e := range elems {
		if e.isMk {
			acc = append(acc, e.name)
		}
		if e.isOpt {
			acc = markerNames(e.opt, acc)
		}
	}
	return acc
}

// withSpace sets the leading-blank flag of the first token.
func withSpace(t []token, sp bool) []token {
	if len(t) > 0 {
		t[0].sp = sp
	}
	return t
}

func quote(s string) string {
	switch {
	case !strings.Contains(s, `"`):
		return `"` + s + `"`
	case !strings.Contains(s, "'"):
		return "'" + s + "'"
	}
	return "[" + s + "]"
}

func strTok(s string) token { return token{kind: tkString, text: quote(s)} }

func (r *rule) renderMarker(e relem, b binds, idx int) []token {
	bd := b[e.name]
	if e.kind == rkLogify {
		if bd != nil && bd.matched {
			return []token{{kind: tkOp, text: ".T."}}
		}
		return []token{{kind: tkOp, text: ".F."}}
	}
	if bd == nil || !bd.matched {
		if e.kind == rkDumb {
			return []token{strTok("")}
		}
		return nil
	}
	vals := bd.vals
	if idx >= 0 && len(vals) > 1 {
		if idx >= len(vals) {
			return nil
		}
		vals = vals[idx : idx+1]
	}
	var out []token
	if e.kind == rkDumb {
		var parts []string
		for _, v := range vals {
			parts = append(parts, render(v))
		}
		return []token{strTok(strings.Join(parts, ", "))}
	}
	for i, v := range vals {
		if i > 0 {
			out = append(out, token{kind: tkOp, text: ","})
		}
		var item []token
		switch e.kind {
		case rkRegular:
			item = append(item, v...)
		case rkNormal:
			item = []token{strTok(render(v))}
		case rkSmart:
			if len(v) == 1 && v[0].kind == tkString || len(v) > 0 && v[0].text == "(" && skipGroup(v, 0) == len(v) {
				item = append(item, v...)
			} else {
				item = []token{strTok(render(v))}
			}
		case rkBlock:
			item = []token{{kind: tkOp, text: "{"}, {kind: tkOp, text: "||"}}
			item = append(item, withSpace(append([]token(nil), v...), true)...)
			item = append(item, token{kind: tkOp, text: "}", sp: true})
		}
		if len(item) > 0 {
			item = append([]token(nil), item...)
			item[0].sp = i > 0
		}
		out = append(out, item...)
	}
	return out
}

// removeRule handles #uncommand / #untranslate.
func (p *proc) removeRule(kw, text string) {
	toks, _ := tokenize(text, true)
	key := strings.ToUpper(render(toks))
	for i := len(p.rules) - 1; i >= 0; i-- {
		if p.rules[i].key == key {
			p.rules = append(p.rules[:i], p.rules[i+1:]...)
			return
		}
	}
}
