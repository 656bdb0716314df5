// Package examples_test builds and runs every example program on the
// sandbox, and checks that the documentation shows them as they are.
package examples_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// binDir holds the example binaries TestMain builds.
var binDir string

// TestMain builds every example once, with one go command.
func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

// buildAndRun builds the examples into binDir, runs the tests and returns
// the exit status.
func buildAndRun(m *testing.M) int {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "the go command is needed to build the examples:", err)
		return 1
	}
	binDir, err = os.MkdirTemp("", "advmail-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(binDir)
	cmd := exec.Command(goCmd, "build", "-o", binDir+string(filepath.Separator), "./...")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./examples/...: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// copyTree copies the files of folder src that are not Go files into a new
// temporary folder, so that a run writes nothing into the source tree.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if strings.HasSuffix(path, ".go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// result is what one run of an example printed and how it ended.
type result struct {
	stdout, stderr string
	code           int
}

// run builds the example dir and runs it with args in a copy of its folder,
// with no server ini in the environment.
func run(t *testing.T, dir string, args ...string) result {
	t.Helper()
	bin := filepath.Join(binDir, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = copyTree(t, dir)
	cmd.Env = append(os.Environ(), "ADVMAIL_CONFIG=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("run %s: %v", dir, err)
		}
		res.code = ee.ExitCode()
	}
	return res
}

// lines splits output into its lines.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// wantLines fails unless got is exactly want, line by line.
func wantLines(t *testing.T, what, got string, want []string) {
	t.Helper()
	if g := lines(got); !slices.Equal(g, want) {
		t.Errorf("%s:\n%s\nwant:\n%s", what, got, strings.Join(want, "\n"))
	}
}

// wantContains fails unless got contains every one of want.
func wantContains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

func TestHost(t *testing.T) {
	t.Parallel()
	res := run(t, "host", "-sandbox")
	if res.code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	out := lines(res.stdout)
	if len(out) != 5 {
		t.Fatalf("stdout has %d lines, want 5:\n%s", len(out), res.stdout)
	}
	// The pool runs the accounts in any order.
	slices.Sort(out[1:4])
	want := []string{
		"boleto 000123 sent",
		"relatorio filial01@empresa.com.br sent",
		"relatorio filial02@empresa.com.br sent",
		"relatorio fulano@empresa.com.br sent",
		"bare state: success",
	}
	if !slices.Equal(out, want) {
		t.Errorf("stdout:\n%s\nwant (pool lines in any order):\n%s", res.stdout, strings.Join(want, "\n"))
	}
	wantContains(t, "the sandbox summary", res.stderr,
		"4 message(s) captured",
		"Subject:     Boleto 000123 - Empresa Ltda",
		"From:        fulano@empresa.com.br", // logged in with an OAuth2 token
		"Subject:     Relatório diário de filial02@empresa.com.br - Empresa Ltda",
	)
}

// TestHostNamedConfigMissing: a server ini the user names must exist, even
// on the sandbox.
func TestHostNamedConfigMissing(t *testing.T) {
	t.Parallel()
	res := run(t, "host", "-sandbox", "-config", "nosuch.ini")
	if res.code == 0 {
		t.Fatalf("exit status 0 with a missing -config file\nstderr:\n%s", res.stderr)
	}
	wantContains(t, "stderr", res.stderr, "nosuch.ini", "no such file")
	if res.stdout != "" {
		t.Errorf("stdout %q, want nothing (no script ran)", res.stdout)
	}
}

func TestMinimal(t *testing.T) {
	t.Parallel()
	res := run(t, "minimal", "-sandbox")
	if res.code != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", res.code, res.stderr)
	}
	out := lines(res.stdout)
	want := []string{
		"envia 000123: sent",
		"x",
		"1 + 1 = 2",
		"MinhaFuncao: MinhaFuncao(x)",
		"sandbox: 1 message(s) captured",
		"",
		"#1",
		"  From:        fulano@empresa.com.br",
		"  To:          cliente@example.com",
		"  Subject:     Documento 000123 - Empresa Ltda",
		"  Size:        ", // the size varies with the date
	}
	if len(out) != len(want) || !slices.Equal(out[:len(out)-1], want[:len(want)-1]) || !strings.HasPrefix(out[len(out)-1], want[len(want)-1]) {
		t.Errorf("stdout:\n%s\nwant:\n%s", res.stdout, strings.Join(want, "\n"))
	}
}

func TestFiles(t *testing.T) {
	t.Parallel()
	res := run(t, "files")
	if res.code != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", res.code, res.stderr)
	}
	out := lines(res.stdout)
	want := []string{
		"template: Prezado cliente, segue o aviso.",
		"spool write: true",
		"spool read: true",
		"", // the refusal, checked below
		"template write: false FError 5",
		"io.open outside: false",
	}
	if len(out) != len(want) {
		t.Fatalf("stdout:\n%s\nwant %d lines", res.stdout, len(want))
	}
	want[3] = out[3]
	if !slices.Equal(out, want) {
		t.Errorf("stdout:\n%s\nwant:\n%s", res.stdout, strings.Join(want, "\n"))
	}
	wantContains(t, "the refusal", out[3], "MemoWrite:", "aviso.txt: file access not permitted: the folder is read-only")
}

func TestPool(t *testing.T) {
	t.Parallel()
	res := run(t, "pool")
	if res.code != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", res.code, res.stderr)
	}
	wantLines(t, "stdout", res.stdout, []string{"10 reports captured"})
}

func TestBindings(t *testing.T) {
	t.Parallel()
	res := run(t, "bindings")
	if res.code != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", res.code, res.stderr)
	}
	wantLines(t, "stdout", res.stdout, []string{
		"Send\t0\tsuccess",
		"captured: Classes alone [cliente@example.com]",
	})
}
