package apicheck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// public are the module's packages whose exported names are API, as paths
// from the module root. serve is left out while it is being written.
var public = []string{
	"runtime", "runtime/repl", "runtime/stubs",
	"bindings",
	"mail", "mail/sandbox", "mail/pop3server",
	"advpl", "advpl/ast", "advpl/include", "advpl/luagen", "advpl/parse", "advpl/pp",
}

// TestPublicAPIDocumented fails listing every exported name of the public
// packages that has no doc comment.
func TestPublicAPIDocumented(t *testing.T) {
	for _, pkg := range public {
		missing, err := Undocumented(filepath.Join("..", "..", filepath.FromSlash(pkg)))
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) > 0 {
			t.Errorf("%s: %d exported name(s) without a doc comment:\n\t%s", pkg, len(missing), strings.Join(missing, "\n\t"))
		}
	}
}

// TestPublicListComplete: every package of the module outside internal/,
// cmd/, examples/ and the test-only folders is in the public list.
func TestPublicListComplete(t *testing.T) {
	root := filepath.Join("..", "..")
	skip := map[string]bool{"internal": true, "cmd": true, "examples": true, "integration": true, "scripts": true, "testdata": true, "serve": true}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if !d.IsDir() || rel == "." {
			return nil
		}
		if skip[d.Name()] || strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		goFiles, _ := filepath.Glob(filepath.Join(path, "*.go"))
		hasCode := slices.ContainsFunc(goFiles, func(f string) bool { return !strings.HasSuffix(f, "_test.go") })
		if hasCode && !slices.Contains(public, rel) {
			t.Errorf("package %s is not in the public list of apicheck_test.go", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUndocumented(t *testing.T) {
	dir := t.TempDir()
	src := `// Package p is a test package.
package p

// Doc is documented.
type Doc struct {
	A int // documented
	B int
	c int
}

type NoDoc interface {
	M()
}

// F is documented.
func F() {}

func G() {}

func (Doc) Method() {}

func (d Doc) unexported() {}

// Values are documented as a group.
const (
	X = 1
	Y = 2
)

var Z = 3

var (
	V1 = 1 // documented
	V2 = 2
)
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p_test.go"), []byte("package p\n\nfunc Helper() {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Undocumented(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"field Doc.B", "func G", "method Doc.Method", "method NoDoc.M", "type NoDoc", "var V2", "var Z"}
	if !slices.Equal(got, want) {
		t.Errorf("Undocumented = %q, want %q", got, want)
	}
}
