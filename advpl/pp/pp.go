// Package pp implements the AdvPL (Clipper-family) preprocessor: comment
// removal, `;` line continuation, #include, #define, conditional
// compilation and the #command / #translate rule engine.
//
// The output keeps the line structure of the source: output line N holds
// the code of source line N, so that the parser reports correct positions.
package pp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/advmail/advmail/advpl/include"
)

// Options configures Process.
type Options struct {
	IncludeDirs []string                     // searched after the including file's own folder, in order; then the bundled includes
	ReadFile    func(string) ([]byte, error) // nil: os.ReadFile
	Defines     map[string]string            // predefined object-like #defines (name -> replacement text)
}

// Diagnostic is an error or warning found while preprocessing.
type Diagnostic struct {
	// File is the source the problem is in.
	File      string
	Line, Col int // 1-based, in File
	// Msg describes the problem.
	Msg string
	// Warning marks a problem that does not stop preprocessing.
	Warning bool
}

// String formats the diagnostic as "file:line:col: msg".
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Msg)
}

// Output is the result of Process.
type Output struct {
	Text        string       // preprocessed main file: exactly as many lines as the source
	Diagnostics []Diagnostic // errors and warnings
	Includes    []string     // files included (paths, or "bundled:name.ch")
}

const (
	maxIncludeDepth = 32
	maxOutputSize   = 64 << 20
	maxExpansions   = 1000
	// maxExpansionWork bounds the tokens produced by all the substitution
	// rounds of one line, so a line is preprocessed in bounded time even
	// when every round stays under maxLineTokens.
	maxExpansionWork = 2_000_000
	// maxSourceExpansionWork bounds the same over every line of one
	// Process call, so many lines of costly expansions stay bounded too.
	maxSourceExpansionWork = 8_000_000
)

// Process preprocesses src (already decoded to UTF-8 by the caller) of file
// filename. err != nil only for fatal problems: a user include not found,
// an unreadable include, include depth > 32, output too large.
func Process(filename string, src string, opts Options) (*Output, error) {
	if len(src) > maxOutputSize {
		return nil, fmt.Errorf("preprocessor: %s: source larger than 64 MiB", filename)
	}
	p := &proc{opts: opts, defines: map[string]*define{}, out: &Output{}}
	if p.opts.ReadFile == nil {
		p.opts.ReadFile = os.ReadFile
	}
	for name, val := range opts.Defines {
		toks, _ := tokenize(val, false)
		p.defines[name] = &define{name: name, body: toks, params: -1}
	}
	lines, err := p.file(filename, src, 0)
	if err != nil {
		return nil, err
	}
	p.out.Text = strings.Join(lines, "\n")
	return p.out, nil
}

// define is a #define; params is -1 for an object-like define.
type define struct {
	name   string
	params int
	names  []string
	body   []token
}

// condFrame is one level of #if/#ifdef nesting.
type condFrame struct {
	active   bool // lines are emitted
	parentOn bool // the enclosing level is active
	taken    bool // a branch has been taken
	seenElse bool
	line     int
}

type proc struct {
	opts    Options
	defines map[string]*define
	rules   []*rule
	out     *Output
	size    int
	tokBuf  []token // reused by expandLine
	work    int     // tokens produced by substitution so far, all lines
}

// fileCtx is the state of one file being preprocessed.
type fileCtx struct {
	name  string
	depth int
	conds []condFrame
}

func (p *proc) diag(file string, line int, warn bool, format string, args ...any) {
	if len(p.out.Diagnostics) >= 1000 {
		return
	}
	p.out.Diagnostics = append(p.out.Diagnostics, Diagnostic{File: file, Line: line + 1, Col: 1, Msg: fmt.Sprintf(format, args...), Warning: warn})
}

func (f *fileCtx) active() bool {
	return len(f.conds) == 0 || f.conds[len(f.conds)-1].active
}

// file preprocesses one file and returns its output lines.
func (p *proc) file(name, src string, depth int) ([]string, error) {
	phys := splitLines(src)
	out := make([]string, len(phys))
	f := &fileCtx{name: name, depth: depth}
	for _, ll := range logicalLines(phys) {
		if ll.directive {
			n := len(p.out.Diagnostics)
			if err := p.directive(f, ll); err != nil {
				return nil, err
			}
			col := len(ll.text) - len(strings.TrimLeft(ll.text, " \t")) + 1
			for i := n; i < len(p.out.Diagnostics); i++ {
				p.out.Diagnostics[i].Col = col
			}
			continue
		}
		if !f.active() || strings.TrimSpace(ll.text) == "" {
			continue
		}
		text := p.expandLine(f, ll)
		if depth > 0 {
			if strings.TrimSpace(text) != "" {
				p.diag(name, ll.first, true, "code in an included file is ignored")
			}
			continue
		}
		p.size += len(text) + 1
		if p.size > maxOutputSize {
			return nil, fmt.Errorf("preprocessor: %s: output larger than 64 MiB", name)
		}
		out[ll.first] = text
	}
	for _, c := range f.conds {
		p.diag(name, c.line, false, "#if without #endif")
	}
	return out, nil
}

// directive handles one # line.
func (p *proc) directive(f *fileCtx, ll logicalLine) error {
	s := strings.TrimLeft(ll.text, " \t")
	s = strings.TrimLeft(s[1:], " \t")
	j := 0
	for j < len(s) && isIdentChar(s[j]) {
		j++
	}
	kw := strings.ToLower(s[:j])
	rest := strings.TrimSpace(s[j:])
	switch kw {
	case "ifdef", "ifndef":
		name := firstWord(rest)
		_, ok := p.defines[name]
		p.pushCond(f, ll.first, ok == (kw == "ifdef"))
		return nil
	case "if":
		on := false
		if f.active() {
			on = p.evalCond(f, ll, rest)
		}
		p.pushCond(f, ll.first, on)
		return nil
	case "elif":
		if len(f.conds) == 0 {
			p.diag(f.name, ll.first, false, "#elif without #if")
			return nil
		}
		c := &f.conds[len(f.conds)-1]
		if c.seenElse {
			p.diag(f.name, ll.first, false, "#elif after #else")
		}
		if c.taken || !c.parentOn {
			c.active = false
		} else {
			c.active = p.evalCond(f, ll, rest)
			c.taken = c.active
		}
		return nil
	case "else":
		if len(f.conds) == 0 {
			p.diag(f.name, ll.first, false, "#else without #if")
			return nil
		}
		c := &f.conds[len(f.conds)-1]
		if c.seenElse {
			p.diag(f.name, ll.first, false, "duplicate #else")
		}
		c.seenElse = true
		c.active = c.parentOn && !c.taken
		c.taken = true
		return nil
	case "endif":
		if len(f.conds) == 0 {
			p.diag(f.name, ll.first, false, "#endif without #if")
			return nil
		}
		f.conds = f.conds[:len(f.conds)-1]
		return nil
	}
	if !f.active() {
		return nil
	}
	switch kw {
	case "include":
		return p.include(f, ll, rest)
	case "define":
		p.define(f, ll, rest)
	case "undef":
		delete(p.defines, firstWord(rest))
	case "command", "xcommand", "translate", "xtranslate", "ycommand", "ytranslate":
		r, err := parseRule(kw, rest)
		if err != nil {
			p.diag(f.name, ll.first, false, "#%s: %v", kw, err)
			return nil
		}
		r.file, r.line = f.name, ll.first+1
		p.rules = append(p.rules, r)
	case "uncommand", "xuncommand", "untranslate", "xuntranslate":
		p.removeRule(kw, rest)
	case "pragma", "line", "stdout":
	case "error":
		p.diag(f.name, ll.first, false, "#error %s", rest)
	case "warning":
		p.diag(f.name, ll.first, true, "#warning %s", rest)
	default:
		p.diag(f.name, ll.first, false, "unknown directive #%s", kw)
	}
	return nil
}

func firstWord(s string) string {
	j := 0
	for j < len(s) && isIdentChar(s[j]) {
		j++
	}
	return s[:j]
}

func (p *proc) pushCond(f *fileCtx, line int, on bool) {
	parent := f.active()
	f.conds = append(f.conds, condFrame{active: parent && on, parentOn: parent, taken: on, line: line})
}

// define handles "#define NAME text" and "#define F(a,b) text".
func (p *proc) define(f *fileCtx, ll logicalLine, rest string) {
	name := firstWord(rest)
	if name == "" {
		p.diag(f.name, ll.first, false, "#define without a name")
		return
	}
	d := &define{name: name, params: -1}
	body := rest[len(name):]
	if strings.HasPrefix(body, "(") {
		end := strings.IndexByte(body, ')')
		if end < 0 {
			p.diag(f.name, ll.first, false, "#define %s: missing ')'", name)
			return
		}
		d.params = 0
		for _, a := range strings.Split(body[1:end], ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			d.names = append(d.names, a)
		}
		d.params = len(d.names)
		body = body[end+1:]
	}
	toks, ok := tokenize(strings.TrimSpace(body), false)
	if !ok {
		p.diag(f.name, ll.first, false, "#define %s: too many tokens", name)
		return
	}
	if len(toks) > 0 {
		toks[0].sp = false
	}
	d.body = toks
	p.defines[name] = d
}

// include handles #include "x.ch" and #include <x.ch>.
func (p *proc) include(f *fileCtx, ll logicalLine, rest string) error {
	if len(rest) < 2 || !(rest[0] == '"' && strings.HasSuffix(rest, "\"") || rest[0] == '<' && strings.HasSuffix(rest, ">") || rest[0] == '\'' && strings.HasSuffix(rest, "'")) {
		p.diag(f.name, ll.first, false, "#include: expected \"file\" or <file>")
		return nil
	}
	name := strings.TrimSpace(rest[1 : len(rest)-1])
	if f.depth+1 > maxIncludeDepth {
		return fmt.Errorf("%s:%d: preprocessor: include depth exceeds %d including %q", f.name, ll.first+1, maxIncludeDepth, name)
	}
	var path string
	var data []byte
	var searched []string
	var err error
	if !strings.HasPrefix(f.name, "bundled:") { // bundled includes include only bundled ones
		path, data, searched, err = p.findInclude(f.name, name)
	}
	if err != nil {
		return fmt.Errorf("%s:%d: preprocessor: reading include %q: %w", f.name, ll.first+1, name, err)
	}
	if path == "" {
		content, ok := include.Open(name)
		if !ok {
			content, ok = include.Open(filepath.Base(filepath.ToSlash(name)))
		}
		if !ok {
			return fmt.Errorf("%s:%d: preprocessor: include file %q not found (searched: %s, bundled includes)", f.name, ll.first+1, name, strings.Join(searched, ", "))
		}
		path = "bundled:" + strings.ToLower(strings.TrimSpace(filepath.Base(name)))
		data = []byte(content)
	}
	p.out.Includes = append(p.out.Includes, path)
	_, err = p.file(path, decode(data), f.depth+1)
	return err
}

// findInclude searches the including file's folder then IncludeDirs. It
// returns path "" when the file is not found in any folder.
func (p *proc) findInclude(from, name string) (path string, data []byte, searched []string, err error) {
	if filepath.IsAbs(name) {
		data, err := p.opts.ReadFile(name)
		if err == nil {
			return name, data, nil, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", nil, nil, err
		}
		return "", nil, []string{filepath.Dir(name)}, nil
	}
	dirs := append([]string{filepath.Dir(from)}, p.opts.IncludeDirs...)
	for _, dir := range dirs {
		searched = append(searched, dir)
		cand := filepath.Join(dir, name)
		data, err := p.opts.ReadFile(cand)
		if err == nil {
			return cand, data, nil, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", nil, nil, err
		}
		if alt := caseMatch(dir, name); alt != "" {
			data, err := p.opts.ReadFile(alt)
			if err == nil {
				return alt, data, nil, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", nil, nil, err
			}
		}
	}
	return "", nil, searched, nil
}

// caseMatch finds name in dir ignoring letter case ("" if absent).
func caseMatch(dir, name string) string {
	sub, base := filepath.Split(name)
	entries, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if strings.EqualFold(e.Name(), base) {
			return filepath.Join(dir, sub, e.Name())
		}
	}
	return ""
}

// cp1252 maps the bytes 0x80..0x9F of Windows-1252 (0 = undefined).
var cp1252 = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// decode returns include content as UTF-8, decoding Windows-1252 when the
// bytes are not valid UTF-8.
func decode(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c < 0x80:
			sb.WriteByte(c)
		case c < 0xA0 && cp1252[c-0x80] != 0:
			sb.WriteRune(cp1252[c-0x80])
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}
