package examples_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The documents that show Go programs. Each Go code block in them is
// preceded by a marker naming the example file it comes from:
//
//	<!-- include: examples/host/main.go -->  the block is the whole file
//	<!-- excerpt: examples/pool/main.go -->  the block is a run of lines of
//	                                         the file, indented alike
var docs = []string{"../docs/embedding.md", "../README.md", "../docs/api.md"}

var marker = regexp.MustCompile(`^<!-- (include|excerpt): (\S+) -->$`)

// goBlock is one Go code block of a document.
type goBlock struct {
	line       int    // of the opening fence
	kind, file string // from the marker; "" when there is none
	code       string
}

// goBlocks returns the Go code blocks of a Markdown document.
func goBlocks(doc string) ([]goBlock, error) {
	lines := strings.Split(doc, "\n")
	var blocks []goBlock
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```go" {
			continue
		}
		b := goBlock{line: i + 1}
		if i > 0 {
			if m := marker.FindStringSubmatch(strings.TrimSpace(lines[i-1])); m != nil {
				b.kind, b.file = m[1], m[2]
			}
		}
		end := i + 1
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		if end == len(lines) {
			return nil, fmt.Errorf("line %d: unclosed code block", i+1)
		}
		b.code = strings.Join(lines[i+1:end], "\n") + "\n"
		blocks = append(blocks, b)
		i = end
	}
	return blocks, nil
}

// isExcerpt reports whether the lines of code appear one after another in
// file, all with the same extra indentation (tabs).
func isExcerpt(code, file string) bool {
	want := strings.Split(strings.TrimSuffix(code, "\n"), "\n")
	have := strings.Split(file, "\n")
	for i := 0; i+len(want) <= len(have); i++ {
		indent, ok := strings.CutSuffix(have[i], want[0])
		if !ok || strings.Trim(indent, "\t") != "" {
			continue
		}
		match := true
		for k, w := range want {
			h := have[i+k]
			if w == "" && h == "" {
				continue
			}
			if h != indent+w {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// TestDocsShowTheExamples: every Go block of the documents is an example
// file or a part of one, so the documents cannot drift from code that
// builds and runs.
func TestDocsShowTheExamples(t *testing.T) {
	shown := map[string]bool{}
	for _, doc := range docs {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := goBlocks(string(data))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		for _, b := range blocks {
			where := fmt.Sprintf("%s:%d", doc, b.line)
			if b.kind == "" {
				t.Errorf("%s: Go block without an include or excerpt marker on the line before", where)
				continue
			}
			src, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(b.file)))
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			shown[filepath.ToSlash(filepath.Clean(b.file))] = true
			switch {
			case b.kind == "include" && b.code != string(src):
				t.Errorf("%s: the block is not %s as it is; copy the file into the document", where, b.file)
			case b.kind == "excerpt" && !isExcerpt(b.code, string(src)):
				t.Errorf("%s: the block is not a part of %s; copy the lines from the file", where, b.file)
			}
		}
	}
	// Every example program is shown somewhere.
	mains, err := filepath.Glob("*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mains {
		if name := "examples/" + filepath.ToSlash(m); !shown[name] {
			t.Errorf("%s is shown in none of %v", name, docs)
		}
	}
}

func TestIsExcerpt(t *testing.T) {
	file := "func f() {\n\tif x {\n\t\ty()\n\t}\n\n\tz()\n}\n"
	tests := []struct {
		code string
		want bool
	}{
		{"if x {\n\ty()\n}\n", true},
		{"}\n\nz()\n", true},
		{"func f() {\n", true},
		{"if x {\n\tz()\n}\n", false},
		{"if x {\ny()\n", false}, // indentation differs
		{"y()\n}\n", false},      // the closing brace is less indented
		{"w()\n", false},
	}
	for _, tt := range tests {
		if got := isExcerpt(tt.code, file); got != tt.want {
			t.Errorf("isExcerpt(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}
