// Package apicheck finds exported identifiers that have no doc comment, so
// that a test can keep the public packages of the module documented.
package apicheck

import (
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Undocumented parses the non-test Go files of the package in dir and
// returns, sorted, the exported names that lack a doc comment: the
// package itself (as "package <name>"), types, functions, methods of
// exported types, constants, variables, struct fields and interface
// methods of exported types. A constant or variable is documented by the
// comment of its group or its own (a doc or line comment); so is a field.
func Undocumented(dir string) ([]string, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("apicheck: %w", err)
	}
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("apicheck: %w", err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, nil
	}
	pkg, err := doc.NewFromFiles(fset, files, "example.com/"+filepath.Base(dir))
	if err != nil {
		return nil, fmt.Errorf("apicheck: %s: %w", dir, err)
	}
	var missing []string
	add := func(format string, args ...any) { missing = append(missing, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(pkg.Doc) == "" {
		add("package %s", pkg.Name)
	}
	for _, f := range pkg.Funcs {
		if f.Doc == "" {
			add("func %s", f.Name)
		}
	}
	checkValues(pkg.Consts, add)
	checkValues(pkg.Vars, add)
	for _, t := range pkg.Types {
		if t.Doc == "" {
			add("type %s", t.Name)
		}
		checkMembers(t, add)
		checkValues(t.Consts, add)
		checkValues(t.Vars, add)
		for _, f := range t.Funcs {
			if f.Doc == "" {
				add("func %s", f.Name)
			}
		}
		for _, m := range t.Methods {
			if m.Doc == "" {
				add("method %s.%s", t.Name, m.Name)
			}
		}
	}
	sort.Strings(missing)
	return missing, nil
}

// checkValues reports the exported names of a const or var group that have
// neither the group's comment nor their own.
func checkValues(values []*doc.Value, add func(string, ...any)) {
	for _, v := range values {
		if v.Doc != "" {
			continue
		}
		for _, spec := range v.Decl.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok || vs.Doc != nil || vs.Comment != nil {
				continue
			}
			for _, n := range vs.Names {
				if n.IsExported() {
					add("%s %s", v.Decl.Tok, n.Name)
				}
			}
		}
	}
}

// checkMembers reports the exported fields of a struct type and the methods
// of an interface type that have no comment.
func checkMembers(t *doc.Type, add func(string, ...any)) {
	for _, spec := range t.Decl.Specs {
		ts, ok := spec.(*ast.TypeSpec)
		if !ok || ts.Name.Name != t.Name {
			continue
		}
		var list *ast.FieldList
		kind := "field"
		switch x := ts.Type.(type) {
		case *ast.StructType:
			list = x.Fields
		case *ast.InterfaceType:
			list, kind = x.Methods, "method"
		}
		if list == nil {
			continue
		}
		for _, fld := range list.List {
			if fld.Doc != nil || fld.Comment != nil {
				continue
			}
			for _, n := range fld.Names {
				if n.IsExported() {
					add("%s %s.%s", kind, t.Name, n.Name)
				}
			}
		}
	}
}
