// Package advpl compiles AdvPL sources (.prw, .prx, .tlpp, .prg) to
// line-preserving Lua for the advmail runtime. See docs/advpl-codegen.md.
package advpl

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/advmail/advmail/advpl/luagen"
	"github.com/advmail/advmail/advpl/parse"
	"github.com/advmail/advmail/advpl/pp"
)

// Options configures compilation.
type Options struct {
	IncludeDirs []string                     // searched after the source's own folder, in order
	ReadFile    func(string) ([]byte, error) // nil: os.ReadFile
	Defines     map[string]string            // predefined #defines
}

// Diagnostic is a compile error or warning.
type Diagnostic struct {
	// File is the source the problem is in (an include file or the main source).
	File      string
	Line, Col int    // 1-based
	Msg       string // names the token and what was expected
	Func      string // function the error is in, "" at file level
	// Warning marks a problem that does not stop the file from running.
	Warning bool
}

// String formats the diagnostic as "file:line:col: msg".
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Msg)
}

// Function describes a function or method the file defines.
type Function struct {
	Name string // canonical (upper case) name: "U_TSTIMAP", "MYFUNC"; methods "CLASS:METHOD"
	Kind string // "user", "function", "main", "static", "method"
	// Line is the source line of the definition.
	Line   int
	Failed bool // body did not compile; calling it raises the compile error
}

// Result is the outcome of a compilation.
type Result struct {
	Lua string // line-preserving: code of source line N is on Lua line N
	// Diagnostics are the errors and warnings, in source order.
	Diagnostics []Diagnostic
	Functions   []Function // in source order
	Classes     []string   // classes the file defines (upper case)
}

// HasErrors reports whether any diagnostic is an error.
func (r *Result) HasErrors() bool {
	for _, d := range r.Diagnostics {
		if !d.Warning {
			return true
		}
	}
	return false
}

// Decode converts source bytes to UTF-8 text with LF line ends: a UTF-8 BOM
// is dropped and text that is not valid UTF-8 is read as Windows-1252.
func Decode(src []byte) string {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	var s string
	if utf8.Valid(src) {
		s = string(src)
	} else {
		d, err := charmap.Windows1252.NewDecoder().Bytes(src)
		if err != nil {
			s = strings.ToValidUTF8(string(src), "\uFFFD")
		} else {
			s = string(d)
		}
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// Compile compiles one source file.
func Compile(filename string, src []byte, opts Options) (*Result, error) {
	res, _, err := compile(filename, Decode(src), opts, false)
	return res, err
}

// CompileLines compiles REPL input: statements at file level, plus function
// and class definitions. incomplete is true when a block is still open.
func CompileLines(name, src string, opts Options) (res *Result, incomplete bool, err error) {
	return compile(name, Decode([]byte(src)), opts, true)
}

func compile(filename, text string, opts Options, repl bool) (*Result, bool, error) {
	out, err := pp.Process(filename, text, pp.Options{IncludeDirs: opts.IncludeDirs, ReadFile: opts.ReadFile, Defines: opts.Defines})
	if err != nil {
		return nil, false, fmt.Errorf("preprocess %s: %w", filename, err)
	}
	if out == nil {
		return nil, false, errors.New("preprocess " + filename + ": no output")
	}
	res := &Result{}
	for _, d := range out.Diagnostics {
		file := d.File
		if file == "" {
			file = filename
		}
		res.Diagnostics = append(res.Diagnostics, Diagnostic{File: file, Line: d.Line, Col: d.Col, Msg: d.Msg, Warning: d.Warning})
	}
	pr := parse.Parse(out.Text, parse.Options{Repl: repl})
	for _, d := range pr.Diags {
		res.Diagnostics = append(res.Diagnostics, Diagnostic{File: filename, Line: d.Line, Col: d.Col, Msg: d.Msg, Func: d.Func})
	}
	sort.SliceStable(res.Diagnostics, func(i, j int) bool {
		a, b := res.Diagnostics[i], res.Diagnostics[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	g := luagen.Generate(pr.File, luagen.Options{File: filepath.Base(filename), Repl: repl, Lines: strings.Count(text, "\n")})
	res.Lua = g.Lua
	for _, f := range g.Functions {
		res.Functions = append(res.Functions, Function{Name: f.Name, Kind: f.Kind, Line: f.Line, Failed: f.Failed})
	}
	res.Classes = g.Classes
	incomplete := false
	if repl {
		incomplete = pr.Incomplete
		if n := len(pr.File.Funcs); n > 0 {
			if f := pr.File.Funcs[n-1]; f.Err == "" && !f.HasReturn {
				incomplete = true
			}
		}
	}
	return res, incomplete, nil
}

// CompileExpr compiles one AdvPL expression (for macros and Type()) into a
// Lua chunk "return <expr>" in which every identifier is a memvar.
// Assignments (x := 1) and a list a, b (value of the last) are allowed.
func CompileExpr(src string) (string, error) {
	src = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(src, "\r", " "), "\n", " "))
	if src == "" {
		return "", errors.New("empty expression")
	}
	pr := parse.ParseExpr(src)
	if len(pr.Diags) > 0 {
		d := pr.Diags[0]
		return "", fmt.Errorf("macro %q:%d: %s", src, d.Col, d.Msg)
	}
	return "local R = _ADVPL; local F, M = R.F, R.M; return " + luagen.Expr(pr.Expr), nil
}
