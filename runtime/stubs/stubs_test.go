package stubs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/gopher-lua/parse"

	"github.com/advmail/advmail/bindings"
	advrt "github.com/advmail/advmail/runtime"
)

func fileMap(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, f := range Files() {
		if _, dup := m[f.Name]; dup {
			t.Fatalf("file %s generated twice", f.Name)
		}
		m[f.Name] = string(f.Data)
	}
	return m
}

// block returns the annotation lines right above the line starting with
// def in src, and whether def was found.
func block(src, def string) (string, bool) {
	i := strings.Index(src, "\n"+def)
	if i < 0 {
		return "", false
	}
	start := strings.LastIndex(src[:i], "\n\n")
	return src[start+2 : i+1], true
}

// checkFunc checks that a function or method is defined in src with every
// parameter and return value annotated.
func checkFunc(t *testing.T, file, src, name string, params, returns []bindings.Param) {
	t.Helper()
	var names []string
	for _, p := range params {
		names = append(names, p.Name)
	}
	def := "function " + name + "(" + strings.Join(names, ", ") + ") end"
	ann, ok := block(src, def)
	if !ok {
		t.Errorf("%s: %q not defined", file, def)
		return
	}
	for _, p := range params {
		n := p.Name
		if p.Optional || p.ByRef {
			n += "?"
		}
		if !strings.Contains(ann, "---@param "+n+" ") {
			t.Errorf("%s: %s lacks @param %s:\n%s", file, name, n, ann)
		}
		if p.ByRef && !strings.Contains(ann, "by reference (AdvPL @"+p.Name+")") {
			t.Errorf("%s: %s does not document by-reference %s:\n%s", file, name, p.Name, ann)
		}
	}
	for _, r := range returns {
		if !strings.Contains(ann, "---@return ") || !strings.Contains(ann, " "+r.Name) {
			t.Errorf("%s: %s lacks @return %s:\n%s", file, name, r.Name, ann)
		}
	}
	if strings.Count(ann, "---@return ") != len(returns) {
		t.Errorf("%s: %s has %d @return, want %d:\n%s", file, name, strings.Count(ann, "---@return "), len(returns), ann)
	}
}

// TestEveryRegisteredNameHasAStub walks the same tables that register the
// bindings and the prelude and finds each entry in the stubs.
func TestEveryRegisteredNameHasAStub(t *testing.T) {
	files := fileMap(t)
	classes := bindings.Classes()
	if len(classes) < 2 {
		t.Fatalf("only %d classes registered", len(classes))
	}
	for _, c := range classes {
		file := c.Name + ".lua"
		src, ok := files[file]
		if !ok {
			t.Errorf("no %s", file)
			continue
		}
		for _, w := range []string{"---@meta\n", "---@class " + c.Name + "\n", "---@overload fun(", "): " + c.Name + "\n" + c.Name + " = {}\n"} {
			if !strings.Contains(src, w) {
				t.Errorf("%s lacks %q", file, w)
			}
		}
		for _, m := range c.Members {
			switch m.Kind {
			case bindings.KindMethod:
				checkFunc(t, file, src, c.Name+":"+m.Name, m.Params, m.Returns)
			case bindings.KindProperty:
				if !strings.Contains(src, "---@field "+m.Name+" ") {
					t.Errorf("%s lacks @field %s", file, m.Name)
				}
			default:
				t.Errorf("%s.%s has kind %q", c.Name, m.Name, m.Kind)
			}
		}
	}
	funcs := bindings.Functions()
	if len(funcs) == 0 {
		t.Fatal("no legacy functions registered")
	}
	for _, f := range funcs {
		checkFunc(t, "legacy.lua", files["legacy.lua"], f.Name, f.Params, f.Returns)
	}
	prelude := advrt.PreludeFuncs()
	if len(prelude) == 0 {
		t.Fatal("no prelude functions")
	}
	for _, f := range prelude {
		checkFunc(t, "prelude.lua", files["prelude.lua"], f.Name, f.Params, f.Returns)
	}
	if !strings.Contains(files["prelude.lua"], "---@class "+DateClass+"\n") {
		t.Error("prelude.lua does not declare the date class")
	}
}

func TestStubsAreValidLuaAndDeterministic(t *testing.T) {
	a, b := Files(), Files()
	if len(a) != len(b) {
		t.Fatalf("%d files then %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Errorf("file %d differs between runs: %s / %s", i, a[i].Name, b[i].Name)
		}
		if _, err := parse.Parse(bytes.NewReader(a[i].Data), a[i].Name); err != nil {
			t.Errorf("%s is not valid Lua: %v", a[i].Name, err)
		}
		for n, line := range strings.Split(string(a[i].Data), "\n") {
			if strings.TrimRight(line, " \t") != line {
				t.Errorf("%s:%d has trailing blanks", a[i].Name, n+1)
			}
		}
	}
}

func TestAliases(t *testing.T) {
	src := fileMap(t)["aliases.lua"]
	for _, w := range []string{"\nconout = ConOut\n", "\nCONOUT = ConOut\n", "\nConout = ConOut\n", "\ntmailmanager = TMailManager\n", "\nmailsend = MailSend\n"} {
		if !strings.Contains(src, w) {
			t.Errorf("aliases.lua lacks %q", strings.TrimSpace(w))
		}
	}
	// No alias redefines a canonical name.
	canon := map[string]bool{}
	for _, c := range bindings.Classes() {
		canon[c.Name] = true
	}
	for _, f := range append(bindings.Functions(), advrt.PreludeFuncs()...) {
		canon[f.Name] = true
	}
	for _, line := range strings.Split(src, "\n") {
		if name, target, ok := strings.Cut(line, " = "); ok {
			if canon[name] {
				t.Errorf("alias redefines %s", name)
			}
			if !canon[target] || !strings.EqualFold(name, target) {
				t.Errorf("bad alias %q", line)
			}
		}
	}
}

func TestLuaType(t *testing.T) {
	g := &gen{classes: map[string]bool{"TMailManager": true, "TMailMessage": true, "TMailMng": true}}
	tests := []struct {
		letters, name, doc, want string
	}{
		{"C", "cText", "", "string"},
		{"N", "nPort", "", "number"},
		{"L", "lOk", "", "boolean"},
		{"A", "aFiles", "", "any[]"},
		{"U", "xValue", "", "any"},
		{"D", "dDate", "", DateClass},
		{"B", "bBlock", "", "function"},
		{"N|C", "nPort", "", "number|string"},
		{"A|C", "aAttach", "", "any[]|string"},
		{"U|B", "xValue", "", "any"},
		{"O", "oServer", "TMailManager with an open SMTP session", "TMailManager"},
		{"O", "oServer", "TMailManager or TMailMng", "TMailManager|TMailMng"},
		{"O", "oMsg", "the message", "TMailMessage"},
		{"O", "oThing", "something", "any"},
		{"", "x", "", "any"},
	}
	for _, tc := range tests {
		if got := g.luaType(tc.letters, tc.name, tc.doc, ""); got != tc.want {
			t.Errorf("luaType(%q, %q, %q) = %q, want %q", tc.letters, tc.name, tc.doc, got, tc.want)
		}
	}
}

func TestWriteAndLuaRC(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stubs")
	paths, err := Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(Files())+1 {
		t.Errorf("wrote %d files, want %d", len(paths), len(Files())+1)
	}
	for _, f := range Files() {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("%s: %v, content equal %v", f.Name, err, bytes.Equal(got, f.Data))
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, ".luarc.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rc map[string]any
	if err := json.Unmarshal(raw, &rc); err != nil {
		t.Fatalf(".luarc.json is not valid JSON: %v\n%s", err, raw)
	}
	if rc["runtime.version"] != "Lua 5.1" {
		t.Errorf("runtime.version = %v", rc["runtime.version"])
	}
	lib, _ := rc["workspace.library"].([]any)
	abs, _ := filepath.Abs(dir)
	if len(lib) != 1 || lib[0] != libraryPath(abs) {
		t.Errorf("workspace.library = %v, want [%s]", lib, libraryPath(abs))
	}
	// Writing again gives the same bytes.
	again, err := Write(dir)
	if err != nil || len(again) != len(paths) {
		t.Fatalf("second Write: %v", err)
	}
	raw2, _ := os.ReadFile(filepath.Join(dir, ".luarc.json"))
	if !bytes.Equal(raw, raw2) {
		t.Error(".luarc.json differs between runs")
	}
	// A path that cannot be a directory is a clear error.
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	if _, err := Write(filepath.Join(file, "sub")); err == nil || !strings.Contains(err.Error(), "stubs:") {
		t.Errorf("Write under a file: %v", err)
	}
}
