package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A runtime error's traceback names each compiled AdvPL frame as AdvPL
// does, the called User Function included, with file.prw:line.
func TestAdvPLTracebackNamesFunctions(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "rotina.prw")
	code := "User Function Rotina()\n  Local x := Interna(1)\nReturn x\n\nStatic Function Interna(n)\nReturn n + \"a\"\n"
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := newTestRuntime(t, Options{})
	_, err := r.RunAdvPL(context.Background(), []string{src}, "")
	var se *ScriptError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a ScriptError", err)
	}
	for _, want := range []string{"rotina.prw:6: in function 'INTERNA'", "rotina.prw:2: in function 'U_ROTINA'"} {
		if !strings.Contains(se.Traceback, want) {
			t.Errorf("traceback lacks %q:\n%s", want, se.Traceback)
		}
	}
}
