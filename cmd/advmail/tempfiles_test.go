package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/advmail/advmail/mail"
)

// bigReceiveScript sends itself a message with a big attachment through the
// sandbox, receives it over POP3 (so that it is spooled to a temporary
// file), checks that the spool file exists, then ends as arg[2] says.
const bigReceiveScript = `
local cDir, cMode, cFile = arg[1], arg[2], arg[3]
local function check(n, what)
  if n ~= 0 then error(what .. ": " .. tostring(n)) end
end
local oServer = TMailManager():New()
check(oServer:Init("pop.empresa.com.br", "smtp.empresa.com.br", "fulano@empresa.com.br", "senha", 110, 25), "Init")
check(oServer:SMTPConnect(), "SMTPConnect")
local oMsg = TMailMessage():New()
oMsg.cFrom = "fulano@empresa.com.br"
oMsg.cTo = "fulano@empresa.com.br"
oMsg.cSubject = "big"
oMsg.cBody = "see the attachment"
if oMsg:AttachFile(cFile) < 0 then error("AttachFile") end
check(oMsg:Send(oServer), "Send")
oServer:SMTPDisconnect()
check(oServer:POPConnect(), "POPConnect")
local nErr, nMsgs = oServer:GetNumMsgs(0)
check(nErr, "GetNumMsgs")
local oIn = TMailMessage():New()
check(oIn:Receive(oServer, nMsgs), "Receive")
if not File(cDir .. "/advmail-*.eml") then error("the message was not spooled to " .. cDir) end
conout("spooled " .. oIn:GetAttachCount())
if cMode == "error" then
  error("stop here")
elseif cMode == "exit" then
  os.exit(3)
elseif cMode == "wait" then
  Sleep(60000)
end
`

// TestRunRemovesTempFiles: the temporary file of a big received message
// is gone when advmail run returns, however the script ended: normally,
// with an error, with os.exit, interrupted (Ctrl-C cancels the context),
// or stopped by SIGTERM.
func TestRunRemovesTempFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("ADVMAIL_CONFIG", "")
	spool := t.TempDir()
	oldT, oldDir := mail.SpillThreshold, mail.SpillDir
	mail.SpillThreshold, mail.SpillDir = 64<<10, spool
	t.Cleanup(func() { mail.SpillThreshold, mail.SpillDir = oldT, oldDir })

	ini := filepath.Join(t.TempDir(), "appserver.ini")
	if err := os.WriteFile(ini, []byte("[Mail]\nProtocol=POP3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Big enough to stay in the spool file once parsed (over 256 KiB).
	att := filepath.Join(t.TempDir(), "dados.bin")
	if err := os.WriteFile(att, []byte(strings.Repeat("0123456789abcdef", 40<<10)), 0o644); err != nil {
		t.Fatal(err)
	}
	src := script(t, "big.lua", bigReceiveScript)

	cases := []struct {
		mode   string
		code   int
		stderr string
		stop   func(cancel context.CancelFunc) // how a waiting script is stopped
	}{
		{mode: "end", code: 0},
		{mode: "error", code: 1, stderr: "stop here"},
		{mode: "exit", code: 3},
		{mode: "wait", code: 1, stderr: "(interrupted)", stop: func(cancel context.CancelFunc) { cancel() }},
		{mode: "wait", code: 1, stderr: "(interrupted)", stop: func(context.CancelFunc) {
			p, err := os.FindProcess(os.Getpid())
			if err == nil {
				err = p.Signal(syscall.SIGTERM)
			}
			if err != nil {
				t.Errorf("SIGTERM: %v", err)
			}
		}},
	}
	for i, c := range cases {
		name := c.mode
		if i == len(cases)-1 {
			name = "sigterm"
		}
		t.Run(name, func(t *testing.T) {
			if name == "sigterm" && runtime.GOOS == "windows" {
				t.Skip("no SIGTERM on Windows")
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type result struct {
				code           int
				stdout, stderr string
			}
			done := make(chan result, 1)
			go func() {
				code, stdout, stderr := invoke(ctx, "run", "--sandbox", "--config", ini, src, spool, c.mode, att)
				done <- result{code, stdout, stderr}
			}()
			if c.stop != nil {
				waitForFile(t, spool, done)
				c.stop(cancel)
			}
			var res result
			select {
			case res = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("advmail run did not end")
			}
			if res.code != c.code || !strings.Contains(res.stderr, c.stderr) {
				t.Fatalf("exit %d, want %d; stdout %q; stderr %q", res.code, c.code, res.stdout, res.stderr)
			}
			if c.stop == nil && !strings.HasPrefix(res.stdout, "spooled 1\n") {
				t.Errorf("stdout %q: the script did not get past Receive", res.stdout)
			}
			if left, _ := filepath.Glob(filepath.Join(spool, "*")); len(left) > 0 {
				t.Errorf("left in the spool directory: %v", left)
			}
		})
	}
}

// waitForFile waits until dir holds a file (the script's spooled message)
// or the run ends; it fails the test if neither happens in 30 s.
func waitForFile[T any](t *testing.T, dir string, done chan T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if files, _ := filepath.Glob(filepath.Join(dir, "advmail-*.eml")); len(files) > 0 {
			return
		}
		select {
		case r := <-done:
			done <- r // the run ended first: let the caller report it
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatal("no spool file appeared")
}
