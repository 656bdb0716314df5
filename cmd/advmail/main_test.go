package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// invoke runs the CLI in-process and returns its exit status and output.
func invoke(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func script(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCLI(t *testing.T) {
	// Run from an empty directory with no $ADVMAIL_CONFIG so that no
	// appserver.ini of the machine is picked up.
	t.Chdir(t.TempDir())
	t.Setenv("ADVMAIL_CONFIG", "")

	ok := script(t, "ok.lua", `conout("hello", arg[1], select("#", ...)) ; print(GetPvProfString("Mail", "Protocol", "?"))`)
	fail := script(t, "fail.lua", "local x = 1\n\nerror('boom')\n")
	syntax := script(t, "syntax.lua", "local = 1\n")
	exit3 := script(t, "exit.lua", "conout('bye') os.exit(3)")
	ini := script(t, "appserver.ini", "[Mail]\nProtocol=IMAP\n")
	badINI := script(t, "bad.ini", "[Mail]\nnot a key\n")

	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // substring expected on stdout ("" = not checked)
		stderr     string // substring expected on stderr
		stdoutNone bool   // stdout must be empty
	}{
		{name: "no args", args: nil, code: 2, stderr: "Usage:", stdoutNone: true},
		{name: "help", args: []string{"help"}, code: 0, stdout: "advmail run [--config FILE]"},
		{name: "-h", args: []string{"-h"}, code: 0, stdout: "Commands:"},
		{name: "--help", args: []string{"--help"}, code: 0, stdout: "version"},
		{name: "help run", args: []string{"help", "run"}, code: 0, stdout: "--sandbox-dir DIR"},
		{name: "help version", args: []string{"help", "version"}, code: 0, stdout: "advmail version"},
		{name: "help unknown", args: []string{"help", "nope"}, code: 2, stderr: `unknown command "nope"`},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{name: "version", args: []string{"version"}, code: 0, stdout: "advmail "},
		{name: "version args", args: []string{"version", "x"}, code: 2, stderr: "takes no arguments"},
		{name: "run no script", args: []string{"run"}, code: 2, stderr: "missing script name"},
		{name: "run bad flag", args: []string{"run", "--bogus", ok}, code: 2, stderr: "flag provided but not defined: -bogus"},
		{name: "run -h", args: []string{"run", "-h"}, code: 0, stdout: "Usage: advmail run"},
		{name: "sandbox-dir alone", args: []string{"run", "--sandbox-dir", "x", ok}, code: 2, stderr: "--sandbox-dir needs --sandbox"},
		{name: "run ok", args: []string{"run", ok, "a1", "a2"}, code: 0, stdout: "hello a1 2\n?\n"},
		{name: "script flags stay args", args: []string{"run", ok, "--trace"}, code: 0, stdout: "hello --trace 1"},
		{name: "run config", args: []string{"run", "--config", ini, ok}, code: 0, stdout: "IMAP"},
		{name: "run error", args: []string{"run", fail}, code: 1, stderr: fail + ":3: boom"},
		{name: "run syntax error", args: []string{"run", syntax}, code: 1, stderr: syntax + ":1:"},
		{name: "run missing script", args: []string{"run", "/nonexistent/x.lua"}, code: 1, stderr: "/nonexistent/x.lua"},
		{name: "missing config", args: []string{"run", "--config", "/nonexistent/app.ini", ok}, code: 1, stderr: "/nonexistent/app.ini"},
		{name: "malformed config", args: []string{"run", "--config", badINI, ok}, code: 1, stderr: badINI + ":2:"},
		{name: "os.exit", args: []string{"run", exit3}, code: 3, stdout: "bye"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := invoke(context.Background(), tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if tc.stdout != "" && !strings.Contains(stdout, tc.stdout) {
				t.Errorf("stdout %q lacks %q", stdout, tc.stdout)
			}
			if tc.stderr != "" && !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderr)
			}
			if tc.stdoutNone && stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

func TestCLISandbox(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("ADVMAIL_CONFIG", "")
	send := script(t, "send.lua", `
local oServer = TMailManager():New()
oServer:SetUseTLS(true)
oServer:Init("", "smtp.empresa.com.br", "fulano@empresa.com.br", "senha", 0, 587)
oServer:SetSMTPTimeout(30)
local nErr = oServer:SMTPConnect()
if nErr ~= 0 then error("SMTPConnect: " .. oServer:GetErrorString(nErr)) end
nErr = oServer:SMTPAuth("fulano@empresa.com.br", "senha")
if nErr ~= 0 then error("SMTPAuth: " .. oServer:GetErrorString(nErr)) end
local oMsg = TMailMessage():New()
oMsg:Clear()
oMsg.cFrom = "fulano@empresa.com.br"
oMsg.cTo = "ciclano@empresa.com.br"
oMsg.cSubject = "Relatório " .. arg[1]
oMsg.cBody = "corpo"
nErr = oMsg:Send(oServer)
if nErr ~= 0 then error("Send: " .. oServer:GetErrorString(nErr)) end
oServer:SMTPDisconnect()
conout("sent")
`)
	emlDir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := invoke(context.Background(), "run", "--sandbox", "--sandbox-dir", emlDir, send, "mensal")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if stdout != "sent\n" {
		t.Errorf("stdout %q", stdout)
	}
	for _, want := range []string{"sandbox: 1 message(s) captured\n", "ciclano@empresa.com.br", "Relatório mensal"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if strings.Count(stderr, "sandbox:") != 1 {
		t.Errorf("summary header printed more than once: %q", stderr)
	}
	eml, err := os.ReadFile(filepath.Join(emlDir, "001.eml"))
	if err != nil {
		t.Fatalf("no .eml written: %v", err)
	}
	if !strings.Contains(string(eml), "ciclano@empresa.com.br") {
		t.Errorf(".eml content %q", eml)
	}

	// Without --sandbox the script goes to the configured server: here
	// nothing listens, so it fails with connection refused.
	ini := filepath.Join(t.TempDir(), "appserver.ini")
	os.WriteFile(ini, []byte("[Mail]\nProtocol=POP3\n"), 0o644)
	local := script(t, "local.lua", `
local o = TMailManager():New()
o:Init("", "127.0.0.1", "u", "p", 0, 1)
local n = o:SMTPConnect()
conout(n .. " " .. o:GetErrorString(n))`)
	code, stdout, stderr = invoke(context.Background(), "run", "--config", ini, local)
	if code != 0 || !strings.HasPrefix(stdout, "3 connection refused") || strings.Contains(stderr, "sandbox") {
		t.Errorf("configured run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	// A failing script still gets its summary, and exits 1.
	fail := script(t, "fail.lua", "error('stop')")
	code, _, stderr = invoke(context.Background(), "run", "--sandbox", fail)
	if code != 1 || !strings.Contains(stderr, "sandbox: 0 message(s) captured") || !strings.Contains(stderr, fail+":1: stop") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestCLIInterrupt(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("ADVMAIL_CONFIG", "")
	sleep := script(t, "sleep.lua", "conout('waiting')\nSleep(60000)\n")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	done := make(chan struct{})
	var code int
	var stderr string
	go func() {
		code, _, stderr = invoke(ctx, "run", "--sandbox", sleep)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("interrupted script did not end")
	}
	if code != 1 || !strings.Contains(stderr, sleep+":2:") || !strings.Contains(stderr, "(interrupted)") ||
		!strings.Contains(stderr, "sandbox: 0 message(s) captured") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestCLIHelp: "advmail help NAME", "advmail NAME --help" and "advmail
// NAME -h" print one text, to stdout, with exit status 0; flags are listed
// as the synopsis spells them; no line ends in a blank.
func TestCLIHelp(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			code, help, stderr := invoke(context.Background(), "help", c.name)
			if code != 0 || stderr != "" || !strings.HasPrefix(help, "Usage: advmail "+c.name) {
				t.Fatalf("help %s: exit %d, stdout %q, stderr %q", c.name, code, help, stderr)
			}
			for _, flag := range []string{"--help", "-h"} {
				code, out, stderr := invoke(context.Background(), c.name, flag)
				if code != 0 || stderr != "" || out != help {
					t.Errorf("%s %s: exit %d, stderr %q, stdout:\n%s\nwant (as help %s):\n%s", c.name, flag, code, stderr, out, c.name, help)
				}
			}
			for i, line := range strings.Split(help, "\n") {
				if strings.TrimRight(line, " \t") != line {
					t.Errorf("line %d ends in a blank: %q", i+1, line)
				}
				if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "-") && !strings.HasPrefix(trimmed, "--") {
					t.Errorf("line %d lists a flag with one dash: %q", i+1, line)
				}
			}
		})
	}
	_, help, _ := invoke(context.Background(), "help", "run")
	for _, w := range []string{"\nFlags:\n", "\n  --config FILE\n", "\n  --sandbox\n", "\n  --sandbox-dir DIR\n", "\n  --with FILE\n", "\n  --call NAME\n"} {
		if !strings.Contains(help, w) {
			t.Errorf("help run lacks %q:\n%s", w, help)
		}
	}
	_, help, _ = invoke(context.Background(), "help", "repl")
	if !strings.Contains(help, "\n  --stop-on-error\n") {
		t.Errorf("help repl lacks --stop-on-error:\n%s", help)
	}
	for _, args := range [][]string{nil, {"help"}} {
		_, out, errOut := invoke(context.Background(), args...)
		for i, line := range strings.Split(out+errOut, "\n") {
			if strings.TrimRight(line, " \t") != line {
				t.Errorf("%q: line %d ends in a blank: %q", args, i+1, line)
			}
		}
	}
}

// TestCLIUsageErrors: a bad flag or argument is reported with the command
// as prefix, then the command's help, on stderr, with exit status 2.
func TestCLIUsageErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("ADVMAIL_CONFIG", "")
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"run", "--bogus", "x.lua"}, "advmail run: flag provided but not defined: -bogus\n"},
		{[]string{"run"}, "advmail run: missing script name\n"},
		{[]string{"repl", "--bogus"}, "advmail repl: flag provided but not defined: -bogus\n"},
		{[]string{"repl", "extra"}, "advmail repl: unexpected argument \"extra\"\n"},
		{[]string{"translate"}, "advmail translate: want exactly one source file\n"},
		{[]string{"stubs"}, "advmail stubs: --out DIR is required"},
		{[]string{"version", "x"}, "advmail version: takes no arguments\n"},
		{[]string{"help", "run", "repl"}, "advmail help: want at most one command name\n"},
	}
	for _, tc := range tests {
		code, stdout, stderr := invoke(context.Background(), tc.args...)
		name := tc.args[0]
		_, help, _ := invoke(context.Background(), "help", name)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, tc.msg) || !strings.HasSuffix(stderr, "\n\n"+help) {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s\nwant %q, a blank line and the help of %s", tc.args, code, stdout, stderr, tc.msg, name)
		}
	}
}

// TestCLIRunUnreadable: a script that cannot be read is reported, and no
// sandbox summary follows (nothing ran).
func TestCLIRunUnreadable(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("ADVMAIL_CONFIG", "")
	ok := script(t, "ok.lua", "conout('x')")
	for _, args := range [][]string{
		{"run", "--sandbox", "nosuch.lua"},
		{"run", "--sandbox", "nosuch.prw"},
		{"run", "--sandbox", t.TempDir()},
		{"run", "--sandbox", "--with", "nosuch.prw", "main.prw"},
		{"run", ok, "--sandbox"}, // script flags are arguments: this one runs
	} {
		code, stdout, stderr := invoke(context.Background(), args...)
		if args[1] == ok {
			if code != 0 || stdout != "x\n" {
				t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
			}
			continue
		}
		if code != 1 || !strings.HasPrefix(stderr, "advmail: read script: ") || strings.Contains(stderr, "sandbox:") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q: want the read error alone", args, code, stderr)
		}
	}
}

// TestCLIInterruptHangingConnect: a script cancelled while SMTPConnect
// waits on a server that never answers fails as interrupted (exit 1), also
// when the call is its last statement; it never ends with the method's
// error code as if nothing happened.
func TestCLIInterruptHangingConnect(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("ADVMAIL_CONFIG", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent until the listener closes
		}
	}()
	ini := script(t, "appserver.ini", "[Mail]\nProtocol=POP3\n")
	// The last statement, and the value the chunk returns: before the
	// cancellation was checked after the call, the second exited 0.
	for _, last := range []string{"o:SMTPConnect()", "return o:SMTPConnect()", "local n = o:SMTPConnect()\nconout(n)"} {
		hang := script(t, "hang.lua", fmt.Sprintf(`local o = TMailManager():New()
o:Init("", "127.0.0.1", "u", "p", 0, %d)
o:SetSMTPTimeout(60)
conout("connecting")
%s
`, ln.Addr().(*net.TCPAddr).Port, last))
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		code, stdout, stderr := invoke(ctx, "run", "--config", ini, hang)
		cancel()
		if code != 1 || stdout != "connecting\n" || !strings.Contains(stderr, "(interrupted)") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1, interrupted", last, code, stdout, stderr)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %v", d)
		}
	}
}
