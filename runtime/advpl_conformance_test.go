package runtime_test

// The AdvPL conformance suite: every testdata/advpl/NAME.prw runs on a fresh
// runtime and its stdout must equal NAME.out. A program expected to fail has
// NAME.err: the run must fail and its error (or stderr) must contain every
// non-blank line of NAME.err. NAME.stderr likewise lists what a program that
// succeeds writes on stderr (warnings); otherwise stderr must stay empty.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/advmail/advmail/runtime"
)

// conformanceDir holds the suite, relative to the runtime package.
const conformanceDir = "../testdata/advpl"

func TestAdvPLConformance(t *testing.T) {
	progs, err := filepath.Glob(filepath.Join(conformanceDir, "*.prw"))
	if err != nil {
		t.Fatal(err)
	}
	if len(progs) < 30 {
		t.Fatalf("found %d conformance programs in %s, want at least 30", len(progs), conformanceDir)
	}
	for _, prog := range progs {
		name := strings.TrimSuffix(filepath.Base(prog), ".prw")
		t.Run(name, func(t *testing.T) {
			runConformance(t, prog)
		})
	}
}

// runConformance runs one program and checks its output and error.
func runConformance(t *testing.T, prog string) {
	base := strings.TrimSuffix(prog, ".prw")
	name := filepath.Base(prog)
	want, err := os.ReadFile(base + ".out")
	if err != nil {
		t.Fatalf("every program needs a .out: %v", err)
	}
	wantErr, errFile := os.ReadFile(base + ".err")
	wantWarn, warnFile := os.ReadFile(base + ".stderr")
	got, stderr, runErr := runProgram(t, prog)
	if d := lineDiff(string(want), got); d != "" {
		t.Errorf("%s: stdout differs (-want +got):\n%s", name, d)
	}
	switch {
	case errFile != nil && runErr != nil:
		t.Errorf("%s: unexpected error: %v", name, runErr)
	case errFile == nil && runErr == nil:
		t.Errorf("%s: ran without error, want an error containing:\n%s", name, wantErr)
	case errFile == nil:
		checkContains(t, name+": error", runErr.Error()+"\n"+stderr, string(wantErr))
	}
	switch {
	case warnFile == nil:
		checkContains(t, name+": stderr", stderr, string(wantWarn))
	case errFile != nil && stderr != "":
		t.Errorf("%s: unexpected stderr:\n%s", name, stderr)
	}
}

// checkContains fails unless text contains every non-blank line of want.
func checkContains(t *testing.T, what, text, want string) {
	t.Helper()
	for _, line := range strings.Split(want, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.Contains(text, line) {
			t.Errorf("%s %q lacks %q", what, text, line)
		}
	}
}

// runProgram runs prog on a fresh runtime and returns its stdout and stderr.
func runProgram(t *testing.T, prog string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	r, err := runtime.New(runtime.Options{
		INI:    []byte("[Mail]\n"),
		Stdout: &out,
		Stderr: &errOut,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// DoFile compiles an AdvPL source (by its extension) and calls its
	// Main Function, else its first User Function.
	err = r.DoFile(ctx, prog)
	return out.String(), errOut.String(), err
}

// lineDiff returns "" when want and got are equal, else the differing lines
// numbered, want first.
func lineDiff(want, got string) string {
	if want == got {
		return ""
	}
	w := strings.Split(strings.TrimSuffix(want, "\n"), "\n")
	g := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	var b strings.Builder
	differs := false
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		wok, gok := i < len(w), i < len(g)
		if wok {
			wl = w[i]
		}
		if gok {
			gl = g[i]
		}
		if wok && gok && wl == gl {
			fmt.Fprintf(&b, " %3d  %s\n", i+1, wl)
			continue
		}
		differs = true
		if wok {
			fmt.Fprintf(&b, "-%3d  %s\n", i+1, wl)
		}
		if gok {
			fmt.Fprintf(&b, "+%3d  %s\n", i+1, gl)
		}
	}
	if !differs {
		return "(only the final newline differs)\n"
	}
	return b.String()
}

func TestLineDiff(t *testing.T) {
	tests := []struct {
		want, got, diff string
	}{
		{"a\nb\n", "a\nb\n", ""},
		{"a\nb\n", "a\nc\n", "   1  a\n-  2  b\n+  2  c\n"},
		{"a\n", "a\nx\n", "   1  a\n+  2  x\n"},
		{"a\n", "a", "(only the final newline differs)\n"},
	}
	for _, tt := range tests {
		if d := lineDiff(tt.want, tt.got); d != tt.diff {
			t.Errorf("lineDiff(%q, %q) = %q, want %q", tt.want, tt.got, d, tt.diff)
		}
	}
}
