package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goModBlock returns the go.mod lines docs/embedding.md tells a host to
// add: the code block that has the replace directive.
func goModBlock(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../docs/embedding.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range strings.Split(string(data), "```")[1:] {
		if strings.Contains(block, "replace github.com/advmail/advmail =>") {
			return strings.TrimPrefix(block, "\n")
		}
	}
	t.Fatal("docs/embedding.md has no go.mod block with a replace directive")
	return ""
}

// TestOutsideModule follows the guide's steps for a host module of its
// own: go mod init, the require and replace lines pointing at this
// checkout, go mod tidy -e (offline, from the module cache), and builds and
// runs examples/minimal there.
func TestOutsideModule(t *testing.T) {
	t.Parallel()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := append(os.Environ(), "GOPROXY=off", "GOSUMDB=off", "GOFLAGS=", "GOWORK=off", "ADVMAIL_CONFIG=")
	gorun := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(goCmd, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	gorun("mod", "init", "example.com/host")
	block := strings.ReplaceAll(goModBlock(t), "=> ../advmail", "=> "+filepath.ToSlash(root))
	f, err := os.OpenFile(filepath.Join(dir, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\n" + block); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"main.go", "envia.lua"} {
		data, err := os.ReadFile(filepath.Join("minimal", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// -e: tidy also wants the test dependencies of our dependencies (ini.v1
	// tests import testify), which the module cache need not hold offline;
	// the build below proves that what the host needs is all there.
	gorun("mod", "tidy", "-e")
	gorun("build", "-o", "host", ".")
	cmd := exec.Command(filepath.Join(dir, "host"), "-sandbox")
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("host -sandbox: %v\n%s", err, out)
	}
	if first, _, _ := strings.Cut(string(out), "\n"); first != "envia 000123: sent" {
		t.Errorf("host -sandbox printed:\n%s", out)
	}
}
