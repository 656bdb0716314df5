package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLIAdvPL(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("ADVMAIL_CONFIG", "")
	t.Setenv("ADVMAIL_INCLUDE", "")
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	incDir := filepath.Join(dir, "inc")
	if err := os.Mkdir(incDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(incDir, "my.ch"), []byte("#define GREETING \"hey\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	main := write("main.prw", "User Function Hello(cName)\nConOut(\"hi \" + cName)\nReturn .T.\n\nStatic Function Secret()\nConOut(\"secret\")\nReturn .T.\n")
	falsy := write("falsy.prw", "User Function No()\nReturn .F.\n")
	other := write("other.prw", "User Function Other()\nConOut(\"other\")\nReturn\n")
	rterr := write("rterr.prw", "User Function E()\nLocal x := 1\nx := NoSuchFn()\nReturn\n")
	inc := write("inc.prw", "#include \"my.ch\"\nUser Function I()\nConOut(GREETING)\nReturn\n")
	broken := write("broken.prw", "User Function B()\nIf\nReturn\n")

	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"default user function", []string{"run", main, "bob"}, 0, "hi bob", ""},
		{"call static", []string{"run", "--call", "secret", main}, 0, "secret", ""},
		{"call with U_", []string{"run", "--call", "U_HELLO", main, "x"}, 0, "hi x", ""},
		{"with", []string{"run", "--with", other, "--call", "other", main}, 0, "other", ""},
		{"returns .F.", []string{"run", falsy}, 1, "", ""},
		{"runtime error", []string{"run", rterr}, 1, "", "rterr.prw:3: function NOSUCHFN is not defined"},
		{"lenient", []string{"run", "--lenient", rterr}, 0, "", "NOSUCHFN"},
		{"include", []string{"run", "--include", incDir, inc}, 0, "hey", ""},
		{"missing include", []string{"run", inc}, 1, "", "my.ch"},
		{"unknown call", []string{"run", "--call", "nope", main}, 1, "", "NOPE"},
		{"translate", []string{"translate", main}, 0, "R.defun", ""},
		{"translate error", []string{"translate", broken}, 1, "", "broken.prw:"},
		{"translate usage", []string{"translate"}, 2, "", "exactly one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := invoke(context.Background(), tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stdout %q, stderr %q)", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout %q lacks %q", out, tt.stdout)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.stderr)
			}
		})
	}
}
