package repl

import (
	"context"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/bindings"
	advrt "github.com/advmail/advmail/runtime"
)

// completeTimeout bounds the evaluation of the expression left of ':' or
// '.' when completing (it runs __index metamethods, which may be slow).
const completeTimeout = time.Second

// keywords are the Lua keywords offered with the globals.
var keywords = []string{
	"and", "break", "do", "else", "elseif", "end", "false", "for", "function",
	"if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true",
	"until", "while",
}

// Complete is the Tab completer (a liner.WordCompleter): line is the line
// being edited and pos the cursor position in runes. It completes, in any
// letter case and returning the spelling the name is declared with:
//
//   - a name: globals, Lua keywords, the mail classes, the legacy functions
//     and the prelude functions (tmailm → TMailManager, TMailMessage, …);
//   - obj:name: the methods of obj's class (oServer:smtpc → SMTPConnect);
//   - obj.name: the properties of obj's class (oMsg.csub → cSubject), or
//     the fields of a table (string.up → upper).
//
// obj is a name or a field path (a.b.c), evaluated in the session. The
// completions replace the word being typed: head is the text before it,
// tail the text after the cursor.
func (r *REPL) Complete(line string, pos int) (head string, completions []string, tail string) {
	runes := []rune(line)
	if pos < 0 || pos > len(runes) {
		pos = len(runes)
	}
	left, tail := string(runes[:pos]), string(runes[pos:])

	// The word: identifier characters and the separators of a field path.
	start := len(left)
	for start > 0 {
		c := left[start-1]
		if !isIdentByte(c) && c != '.' && c != ':' {
			break
		}
		start--
	}
	word := left[start:]
	if i := strings.LastIndex(word, ".."); i >= 0 { // concatenation: a .. b
		start += i + 2
		word = word[i+2:]
	}
	sep := strings.LastIndexAny(word, ".:")
	if sep < 0 {
		if word != "" && isDigit(word[0]) {
			return left, nil, tail
		}
		return left[:start], r.completeGlobal(word), tail
	}
	obj, partial := word[:sep], word[sep+1:]
	path := strings.Split(obj, ".")
	for _, p := range path {
		if p == "" || isDigit(p[0]) || strings.Contains(p, ":") {
			return left, nil, tail
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), completeTimeout)
	defer cancel()
	v, ok := r.resolve(ctx, path)
	if !ok {
		return left, nil, tail
	}
	names := r.members(ctx, v, word[sep] == ':')
	return left[:start+sep+1], matching(names, partial), tail
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// completeGlobal returns the global names starting with prefix.
func (r *REPL) completeGlobal(prefix string) []string {
	var names []string
	for _, c := range bindings.Classes() {
		names = append(names, c.Name)
	}
	for _, f := range bindings.Functions() {
		names = append(names, f.Name)
	}
	for _, f := range advrt.PreludeFuncs() {
		names = append(names, f.Name)
	}
	if L := r.rt.State(); L != nil {
		L.G.Global.ForEach(func(k, _ lua.LValue) {
			if s, ok := k.(lua.LString); ok && isIdent(string(s)) {
				names = append(names, string(s))
			}
		})
	}
	names = append(names, keywords...)
	return matching(names, prefix)
}

// matching returns the names starting with prefix in any letter case,
// without duplicates (the first spelling wins), sorted ignoring case.
func matching(names []string, prefix string) []string {
	lp := strings.ToLower(prefix)
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		ln := strings.ToLower(n)
		if !strings.HasPrefix(ln, lp) || seen[ln] {
			continue
		}
		seen[ln] = true
		out = append(out, n)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i]), strings.ToLower(out[j])
		if a != b {
			return a < b
		}
		return out[i] < out[j]
	})
	return out
}

func isIdent(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	return true
}

// resolve evaluates a field path (a.b.c) in the session: the first name
// as a global (any letter case), each next one as a field.
func (r *REPL) resolve(ctx context.Context, path []string) (lua.LValue, bool) {
	h := r.help(ctx)
	if h == nil {
		return lua.LNil, false
	}
	v := h.global
	for _, p := range path {
		nv, err := r.index(ctx, v, p)
		if err != nil || nv == lua.LNil {
			return lua.LNil, false
		}
		v = nv
	}
	return v, true
}

// members returns the names that may follow v and a separator: methods
// (colon) or properties (dot) of a class object, New of a class, the keys
// of a table (only those holding functions after a colon), the string
// library after a string and a colon.
func (r *REPL) members(ctx context.Context, v lua.LValue, colon bool) []string {
	switch v := v.(type) {
	case *lua.LUserData:
		cls := className(v)
		if name, ok := strings.CutPrefix(cls, "class "); ok {
			if spec, ok := r.classes[strings.ToLower(name)]; ok {
				if m, ok := spec.Member("New"); ok {
					return []string{m.Name}
				}
			}
			return nil
		}
		spec, ok := r.classes[strings.ToLower(cls)]
		if !ok {
			return nil
		}
		want := bindings.KindProperty
		if colon {
			want = bindings.KindMethod
		}
		var out []string
		for _, m := range spec.Members {
			if m.Kind == want {
				out = append(out, m.Name)
			}
		}
		return out
	case *lua.LTable:
		return tableNames(v, colon)
	case lua.LString:
		if !colon {
			return nil
		}
		h := r.help(ctx)
		if h == nil {
			return nil
		}
		if s, err := r.index(ctx, h.global, "string"); err == nil {
			if t, ok := s.(*lua.LTable); ok {
				return tableNames(t, true)
			}
		}
	}
	return nil
}

// tableNames returns the identifier keys of t (holding functions only
// when funcs), and those of the table its metatable's __index names.
func tableNames(t *lua.LTable, funcs bool) []string {
	var out []string
	for range 2 {
		t.ForEach(func(k, v lua.LValue) {
			s, ok := k.(lua.LString)
			if !ok || !isIdent(string(s)) {
				return
			}
			if funcs && v.Type() != lua.LTFunction {
				return
			}
			out = append(out, string(s))
		})
		mt, ok := t.Metatable.(*lua.LTable)
		if !ok {
			break
		}
		idx, ok := mt.RawGetString("__index").(*lua.LTable)
		if !ok || idx == t {
			break
		}
		t = idx
	}
	return out
}
