package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withStdin runs fn with os.Stdin reading input through a pipe, as when
// a session is piped into advmail repl.
func withStdin(t *testing.T, input string, fn func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.WriteString(input)
		w.Close()
	}()
	old := os.Stdin
	os.Stdin = r
	defer func() {
		os.Stdin = old
		r.Close()
	}()
	fn()
}

func TestCLIRepl(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("ADVMAIL_CONFIG", "")

	session := `1 + 1
conout("hi")
error("boom")
oServer = TMailManager():New()
oServer:Init("", "smtp.empresa.com.br", "fulano@empresa.com.br", "TopSecret", 0, 587)
oServer:SetUseTLS(true)
oServer:SMTPConnect()
oServer:SMTPAuth("fulano@empresa.com.br", "TopSecret")
function send(cTo)
  local oMsg = TMailMessage():New()
  oMsg.cFrom = "fulano@empresa.com.br"
  oMsg.cTo = cTo
  oMsg.cSubject = "via repl"
  return oMsg:Send(oServer)
end
send("ciclano@empresa.com.br")
oServer
{ {"INBOX", 3}, {"Sent", 0} }
`
	var code int
	var stdout, stderr string
	withStdin(t, session, func() {
		code, stdout, stderr = invoke(context.Background(), "repl", "--sandbox")
	})
	// error("boom") fails: the session goes on, and exits 1.
	if code != 1 || !strings.Contains(stderr, "advmail repl: 1 statement(s) failed\n") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	want := []string{
		"2\n",
		"hi\n",
		"stdin:3: boom\n",
		"TMailManager{", "smtp.empresa.com.br:587", "connected=smtp",
		"(A) [2]\n  [1] (A) [2]\n    [1][1] (C) \"INBOX\"\n    [1][2] (N) 3\n",
	}
	for _, w := range want {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	if strings.Contains(stdout, "advmail>") || strings.Contains(stdout, "\x1b[") {
		t.Errorf("prompt or escape codes in piped output:\n%q", stdout)
	}
	if strings.Contains(stdout+stderr, "TopSecret") {
		t.Errorf("password printed:\n%s\n%s", stdout, stderr)
	}
	for _, w := range []string{"sandbox: 1 message(s) captured", "ciclano@empresa.com.br", "via repl"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}

	withStdin(t, "conout('a')\nos.exit(3)\nconout('never')\n", func() {
		code, stdout, _ = invoke(context.Background(), "repl")
	})
	if code != 3 || stdout != "a\n" {
		t.Errorf("os.exit: exit %d, stdout %q", code, stdout)
	}

	ini := script(t, "appserver.ini", "[Mail]\nProtocol=IMAP\n")
	withStdin(t, "GetPvProfString('Mail', 'Protocol', '?')\n", func() {
		code, stdout, _ = invoke(context.Background(), "repl", "--config", ini)
	})
	if code != 0 || stdout != "\"IMAP\"\n" {
		t.Errorf("--config: exit %d, stdout %q", code, stdout)
	}

	for _, args := range [][]string{{"repl", "--bogus"}, {"repl", "extra"}} {
		code, _, stderr = invoke(context.Background(), args...)
		if code != 2 || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
	code, _, stderr = invoke(context.Background(), "repl", "--config", "/nonexistent/app.ini")
	if code != 1 || !strings.Contains(stderr, "/nonexistent/app.ini") {
		t.Errorf("missing config: exit %d, stderr %q", code, stderr)
	}
}

func TestCLIStubs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "types")
	code, stdout, stderr := invoke(context.Background(), "stubs", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	for _, name := range []string{"TMailManager.lua", "TMailMessage.lua", "legacy.lua", "prelude.lua", "aliases.lua", ".luarc.json"} {
		p := filepath.Join(dir, name)
		if !strings.Contains(stdout, p+"\n") {
			t.Errorf("stdout does not list %s:\n%s", p, stdout)
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s not written: %v", name, err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, ".luarc.json"))
	var rc map[string]any
	if err != nil || json.Unmarshal(raw, &rc) != nil {
		t.Errorf(".luarc.json unreadable or invalid: %v\n%s", err, raw)
	}
	for _, args := range [][]string{{"stubs"}, {"stubs", "--out", dir, "extra"}, {"stubs", "--nope"}} {
		code, _, stderr := invoke(context.Background(), args...)
		if code != 2 || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestCLIReplPiped(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("ADVMAIL_CONFIG", "")
	input := "x = 1\n" +
		"conout('two')\n" +
		"error('three')\n" +
		"function f()\n" +
		"  error('five')\n" +
		"end\n" +
		"f()\n" +
		"conout('eight')\n" +
		"if x then\n" +
		"  conout('never')\n"
	tests := []struct {
		name    string
		args    []string
		input   string
		code    int
		stdout  []string // substrings, in order
		absent  []string
		stderr  string
		noError bool // stderr must be empty
	}{
		{name: "carries on", args: []string{"repl"}, input: input, code: 1,
			stdout: []string{"two\n", "stdin:3: three\n", "stdin:5: five\n", "eight\n",
				"stdin: incomplete statement at end of input, started at line 9\n"},
			absent: []string{"never"},
			stderr: "advmail repl: 3 statement(s) failed\n"},
		{name: "stop on error", args: []string{"repl", "--stop-on-error"}, input: input, code: 1,
			stdout: []string{"two\n", "stdin:3: three\n"}, absent: []string{"five", "eight"},
			stderr: "advmail repl: 1 statement(s) failed; stopped at the first (--stop-on-error)\n"},
		{name: "clean", args: []string{"repl", "--stop-on-error"}, input: "x = 2\nx * 21\n", code: 0,
			stdout: []string{"42\n"}, noError: true},
		{name: "advpl", args: []string{"repl", "--advpl"}, input: "nX := 1\nnX + \"a\"\nnX + 1\n", code: 1,
			stdout: []string{"stdin.prw:2:", "2\n"}, stderr: "1 statement(s) failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var code int
			var stdout, stderr string
			withStdin(t, tc.input, func() {
				code, stdout, stderr = invoke(context.Background(), tc.args...)
			})
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			rest := stdout
			for _, w := range tc.stdout {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("stdout lacks %q (in order):\n%s", w, stdout)
					continue
				}
				rest = rest[i+len(w):]
			}
			for _, a := range tc.absent {
				if strings.Contains(stdout, a) {
					t.Errorf("stdout has %q:\n%s", a, stdout)
				}
			}
			if !strings.Contains(stderr, tc.stderr) || tc.noError && stderr != "" {
				t.Errorf("stderr %q, want %q", stderr, tc.stderr)
			}
		})
	}
}
