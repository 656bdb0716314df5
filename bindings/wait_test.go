package bindings

import (
	"context"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
)

// deliverLater appends a message to user's INBOX over a second IMAP
// connection to the engine's servers after delay.
func deliverLater(t *testing.T, e *Engine, user string, delay time.Duration) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	time.AfterFunc(delay, func() {
		done <- func() error {
			ep := mail.Endpoint{Host: "imap.empresa.com.br"}
			c, err := mail.DialIMAP(context.Background(), e.Transport, mail.IMAPOptions{Endpoint: ep, Timeout: 10 * time.Second}, user, "pw")
			if err != nil {
				return err
			}
			defer c.Logout()
			msg := "From: fornecedor@fornecedor.com.br\r\nTo: " + user + "\r\nSubject: NF-e nova\r\n\r\nsegue\r\n"
			return c.Append("INBOX", []byte(msg), nil)
		}()
	})
	return done
}

func TestWaitNewMsgsManager(t *testing.T) {
	e, _, _ := sandboxEngine(t)
	L := newState(t, e)
	runScript(t, L, `
		o = TMailManager():New()
		o:Init("imap.empresa.com.br", "", "espera@empresa.com.br", "pw")
		ok(o:IMAPConnect(), o, "IMAPConnect")
		local _, before = o:GetNumMsgs()
		eq(o:WaitNewMsgs(0.3), 0, "WaitNewMsgs timeout")
		eq(o:WaitNewMsgs(0), 0, "WaitNewMsgs(0) checks once")
		before_count = before
	`)
	arrived := deliverLater(t, e, "espera@empresa.com.br", 200*time.Millisecond)
	start := time.Now()
	runScript(t, L, `
		eq(o:WaitNewMsgs(20), 1, "WaitNewMsgs woken")
		local nErr, n = o:GetNumMsgs()
		eq(nErr, 0, "GetNumMsgs after the wait")
		eq(n, before_count + 1, "the new message is there")
	`)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("WaitNewMsgs took %v", took)
	}
	if err := <-arrived; err != nil {
		t.Fatal(err)
	}
	out := run(t, L, `return o:WaitNewMsgs(-5), o:wAiTnEwMsGs(0)`)
	if out[0] != lua.LNumber(0) || out[1] != lua.LNumber(0) {
		t.Errorf("negative seconds / any case: %v", out)
	}
	if msg := runErr(t, L, `o:WaitNewMsgs("10")`); !strings.Contains(msg, "argument #1 must be numeric") {
		t.Errorf("string argument: %s", msg)
	}
}

func TestWaitNewMsgsNeedsIMAP(t *testing.T) {
	e, _, _ := sandboxEngine(t)
	L := newState(t, e)
	runScript(t, L, `
		local o = TMailManager():New()
		o:Init("pop.empresa.com.br", "", "espera@empresa.com.br", "pw")
		eq(o:WaitNewMsgs(1), -1, "without a session")
		has(o:GetErrorString(), "IMAPConnect", "no session text")
		ok(o:POPConnect(), o, "POPConnect")
		eq(o:WaitNewMsgs(1), -1, "over POP3")
		has(o:GetErrorString(), "needs IMAP", "POP3 text")

		local m = TMailMng():New(0)
		m.cSrvAddr = "pop.empresa.com.br"
		m.cUser = "espera@empresa.com.br"
		m.cPass = "pw"
		local nErr, n = m:WaitNewMsgs(1, n)
		eq(nErr, 6, "TMailMng without a session")
		eq(n, 0, "TMailMng count without a session")
		ok(m:Connect(), m, "Connect POP3")
		nErr, n = m:WaitNewMsgs(1, n)
		eq(nErr, 28, "TMailMng over POP3")
		has(m:GetErrorString(nErr), "needs IMAP", "TMailMng POP3 text")
	`)
}

func TestWaitNewMsgsMng(t *testing.T) {
	e, _, _ := sandboxEngine(t)
	L := newState(t, e)
	run(t, L, luaHelpers+`
		m = TMailMng():New(1)
		m.cSrvAddr = "imap.empresa.com.br"
		m.cUser = "mng@empresa.com.br"
		m.cPass = "pw"
		ok(m:Connect(), m, "Connect IMAP")
		local nErr, n = m:WaitNewMsgs(1, n)
		eq(nErr, 0, "timeout is not an error")
		eq(n, 0, "nothing arrived")
	`)
	arrived := deliverLater(t, e, "mng@empresa.com.br", 200*time.Millisecond)
	runScript(t, L, `
		local nErr, n = m:WaitNewMsgs(20, n)
		eq(nErr, 0, "WaitNewMsgs")
		eq(n, 1, "one arrived")
	`)
	if err := <-arrived; err != nil {
		t.Fatal(err)
	}
}

// The script's context (the host's cancel, Ctrl-C) interrupts the wait
// promptly; the session is usable afterwards.
func TestWaitNewMsgsCancel(t *testing.T) {
	e, _, _ := sandboxEngine(t)
	L := newState(t, e)
	runScript(t, L, `
		o = TMailManager():New()
		o:Init("imap.empresa.com.br", "", "cancela@empresa.com.br", "pw")
		ok(o:IMAPConnect(), o, "IMAPConnect")
	`)
	ctx, cancel := context.WithCancel(context.Background())
	L.SetContext(ctx)
	var cancelled time.Time
	time.AfterFunc(200*time.Millisecond, func() { cancelled = time.Now(); cancel() })
	err := L.DoString(`result = o:WaitNewMsgs(60)`)
	late := time.Since(cancelled)
	if late > 150*time.Millisecond {
		t.Errorf("the wait ended %v after the cancel", late)
	}
	if err == nil {
		// The VM may finish the statement before it sees the context.
		if got := L.GetGlobal("result"); got != lua.LNumber(-1) {
			t.Errorf("WaitNewMsgs after the cancel = %v, want -1", got)
		}
	}
	L.SetContext(context.Background())
	runScript(t, L, `
		has(o:GetErrorString(), "cancel", "the cancellation is the last error")
		local nErr, n = o:GetNumMsgs()
		eq(nErr, 0, "the session is usable after the cancel")
		eq(n > 0, true, "count")
	`)
}

// Engine.CloseAll (what the runtime does on a cancellation) during a wait:
// with the script's context cancelled the session survives; without, it is
// closed as asked.
func TestWaitNewMsgsCloseAll(t *testing.T) {
	for _, cancelToo := range []bool{true, false} {
		t.Run(map[bool]string{true: "cancel and CloseAll", false: "CloseAll alone"}[cancelToo], func(t *testing.T) {
			e, _, _ := sandboxEngine(t)
			L := newState(t, e)
			runScript(t, L, `
				o = TMailManager():New()
				o:Init("imap.empresa.com.br", "", "fecha@empresa.com.br", "pw")
				ok(o:IMAPConnect(), o, "IMAPConnect")
			`)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			L.SetContext(ctx)
			var at time.Time
			time.AfterFunc(200*time.Millisecond, func() {
				at = time.Now()
				if cancelToo {
					cancel()
				}
				e.CloseAll()
			})
			L.DoString(`result = o:WaitNewMsgs(60)`)
			if late := time.Since(at); late > 150*time.Millisecond {
				t.Errorf("the wait ended %v after CloseAll", late)
			}
			L.SetContext(context.Background())
			out := run(t, L, `local nErr = o:GetNumMsgs() return nErr`)
			if cancelToo && out[0] != lua.LNumber(0) {
				t.Errorf("GetNumMsgs after a cancelled wait = %v, want 0 (session usable)", out[0])
			}
			if !cancelToo && out[0] == lua.LNumber(0) {
				t.Errorf("GetNumMsgs after CloseAll succeeded: the session should be closed")
			}
			if n := openConns(e); n != 1 && cancelToo {
				t.Errorf("%d tracked connections after the wait, want 1 (the session)", n)
			}
		})
	}
}
