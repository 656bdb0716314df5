//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCITestScript runs .ci/test.sh, the README's test command, with a
// stand-in go command: it passes the arguments to go test, keeps its exit
// status, and adds the line about the skipped integration tests exactly
// when the lab is missing and not required.
func TestCITestScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	script, err := filepath.Abs(filepath.Join("..", "..", ".ci", "test.sh"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	fakeGo := "#!/bin/sh\necho \"go $*\"\n[ \"$FAKE_GO_FAIL\" = 1 ] && exit 1\nexit 0\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	labDir := t.TempDir()
	labJSON := filepath.Join(labDir, "lab.json")
	if err := os.WriteFile(labJSON, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "lab.json")
	const skipped = "integration: SKIPPED: mail lab not running (" // + path
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want []string // lines, in full
	}{
		{"no lab", []string{"ADVMAIL_LAB_ENV=" + missing}, nil, 0,
			[]string{"go test -timeout 30m ./...", skipped + missing + " not found); start it with: sudo testdata/maillab/start.sh (or run everything against it: bash testdata/maillab/test.sh)"}},
		{"lab up", []string{"ADVMAIL_LAB_ENV=" + labJSON}, nil, 0, []string{"go test -timeout 30m ./..."}},
		{"lab dir", []string{"ADVMAIL_LAB_ENV=" + labDir}, nil, 0, []string{"go test -timeout 30m ./..."}},
		{"required", []string{"ADVMAIL_LAB=required", "ADVMAIL_LAB_ENV=" + missing}, nil, 0, []string{"go test -timeout 30m ./..."}},
		{"absent", []string{"ADVMAIL_LAB=absent"}, nil, 0,
			[]string{"go test -timeout 30m ./...", "integration: SKIPPED: ADVMAIL_LAB=absent disables the mail lab tests"}},
		{"maillab dir", []string{"MAILLAB_DIR=" + filepath.Dir(missing)}, []string{"-count=1", "./integration"}, 0,
			[]string{"go test -timeout 30m -count=1 ./integration", skipped + missing + " not found); start it with: sudo testdata/maillab/start.sh (or run everything against it: bash testdata/maillab/test.sh)"}},
		{"other packages", []string{"ADVMAIL_LAB_ENV=" + missing}, []string{"./runtime"}, 0, []string{"go test -timeout 30m ./runtime"}},
		{"failure kept", []string{"FAKE_GO_FAIL=1", "ADVMAIL_LAB_ENV=" + labJSON}, nil, 1, []string{"go test -timeout 30m ./..."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bash, append([]string{script}, tc.args...)...)
			env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "ADVMAIL_LAB") && !strings.HasPrefix(kv, "MAILLAB_DIR=") {
					env = append(env, kv)
				}
			}
			cmd.Env = append(env, tc.env...)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if code != tc.code || strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("exit %d, output:\n%s\nwant exit %d, output:\n%s", code, out, tc.code, strings.Join(tc.want, "\n"))
			}
		})
	}
}
