package bindings

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
)

// turnCounter counts the connections a Transport opens and the client's
// turns on them: a write that follows a read (or opens the conversation)
// starts a round trip, however many writes and reads it takes.
type turnCounter struct {
	mu    sync.Mutex
	conns int
	turns int
}

func (tc *turnCounter) wrap(dial mail.DialFunc) mail.DialFunc {
	return func(ctx context.Context, proto mail.Protocol, ep mail.Endpoint) (net.Conn, error) {
		c, err := dial(ctx, proto, ep)
		if err != nil {
			return nil, err
		}
		tc.mu.Lock()
		tc.conns++
		tc.mu.Unlock()
		return &turnConn{Conn: c, tc: tc, read: true}, nil
	}
}

func (tc *turnCounter) get() (conns, turns int) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.conns, tc.turns
}

type turnConn struct {
	net.Conn
	tc   *turnCounter
	mu   sync.Mutex
	read bool // the last I/O was a read
}

func (c *turnConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.read = true
		c.mu.Unlock()
	}
	return n, err
}

func (c *turnConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.read {
		c.read = false
		c.tc.mu.Lock()
		c.tc.turns++
		c.tc.mu.Unlock()
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// countingIMAPState returns a state on a sandbox IMAP engine whose
// connections count their round trips, with a Lua fetchAll(o, folder,
// names) that runs StartGetAllMsgHeader to its end and returns the rows.
func countingIMAPState(t *testing.T) (*lua.LState, *turnCounter) {
	t.Helper()
	e, _, cfg := sandboxEngine(t)
	cfg.Protocol = "IMAP"
	tc := &turnCounter{}
	e.Transport.Dial = tc.wrap(e.Transport.Dial)
	L := newState(t, e)
	installSleep(L)
	runScript(t, L, `
		function fetchAll(o, folder, names)
			eq(o:StartGetAllMsgHeader(folder, names), true, "StartGetAllMsgHeader " .. folder)
			for i = 1, 2000 do
				local done, a = o:EndGetAllMsgHeader()
				if done then return a end
				sleep(2)
			end
			error("EndGetAllMsgHeader never finished")
		end`)
	return L, tc
}

// TestHeaderFetchOnOwnConnection checks that StartGetAllMsgHeader runs on
// the script's IMAP connection: no second connection, one round trip (the
// FETCH) for the selected folder, two (SELECT with the FETCH sent behind
// it, SELECT back) for another one, which stays invisible to GetFolder.
func TestHeaderFetchOnOwnConnection(t *testing.T) {
	L, tc := countingIMAPState(t)
	runScript(t, L, `
		o = TMailManager():New()
		o:Init("imap.empresa.com.br", "", "rt@empresa.com.br", "pw")
		ok(o:IMAPConnect(), o, "IMAPConnect")
		eq(o:CreateFolder("Outra"), true, "CreateFolder")
		eq(o:ChangeFolder("INBOX"), true, "ChangeFolder INBOX")
		eq(o:CopyMsgs({1, 2}, "Outra"), true, "CopyMsgs")
		local _, n = o:GetNumMsgs()
		total = n
	`)
	step := func(what, code string, wantTurns int) {
		t.Helper()
		conns0, turns0 := tc.get()
		runScript(t, L, code)
		conns, turns := tc.get()
		if conns != conns0 {
			t.Errorf("%s: %d new connections, want none", what, conns-conns0)
		}
		if turns-turns0 != wantTurns {
			t.Errorf("%s: %d round trips, want %d", what, turns-turns0, wantTurns)
		}
	}
	step("selected folder", `
		local rows = fetchAll(o, "INBOX", {"Subject", "From"})
		eq(#rows, total, "rows")
		assert(total > 0, "the sandbox INBOX has messages")
		for i, r in ipairs(rows) do
			eq(r[1], i, "sequence number")
			eq(#r, 3, "row length")
			eq(r[2][1], "Subject", "first header")
		end
	`, 1)
	step("other folder", `
		local rows = fetchAll(o, "Outra", {"Subject"})
		eq(#rows, 2, "rows of the other folder")
		eq(rows[2][1], 2, "sequence number in the other folder")
		eq(o:GetFolder(), "INBOX", "selected folder kept")
	`, 2)
	step("missing folder", `
		eq(o:StartGetAllMsgHeader("Nenhuma", {"Subject"}), true, "Start")
		local done, rows = o:EndGetAllMsgHeader()
		eq(o:GetFolder(), "INBOX", "selected folder kept while running")
		while not done do sleep(2); done, rows = o:EndGetAllMsgHeader() end
		eq(#rows, 0, "no rows")
		eq(o:GetErrorString(), o:GetErrorString(20), "no such folder")
		eq(o:GetFolder(), "INBOX", "selected folder kept")
		local _, n = o:GetNumMsgs()
		eq(n, total, "INBOX still selected on the server")
	`, 3)
	step("queued behind", `
		eq(o:StartGetAllMsgHeader("INBOX", {"Subject"}), true, "Start")
		local _, n = o:GetNumMsgs() -- waits for the fetch
		eq(n, total, "count after the fetch")
		local done, rows = o:EndGetAllMsgHeader()
		eq(done, true, "done once a later call returned")
		eq(#rows, total, "rows")
	`, 2)
	runScript(t, L, `ok(o:IMAPDisconnect(), o, "IMAPDisconnect")`)
}

// TestIMAPConnectSelectsLater checks that IMAPConnect leaves the SELECT
// of INBOX to the first call that needs it: a ChangeFolder or a header
// fetch of another folder right after it costs no SELECT of INBOX, while
// GetFolder, GetNumMsgs and the message calls see INBOX as before.
func TestIMAPConnectSelectsLater(t *testing.T) {
	L, tc := countingIMAPState(t)
	runScript(t, L, `
		function connect()
			local o = TMailManager():New()
			o:Init("imap.empresa.com.br", "", "lazy@empresa.com.br", "pw")
			ok(o:IMAPConnect(), o, "IMAPConnect")
			return o
		end
		o = connect()
		eq(o:CreateFolder("Outra"), true, "CreateFolder")
		eq(o:ChangeFolder("INBOX"), true, "ChangeFolder INBOX")
		local _, n = o:GetNumMsgs()
		total = n
		assert(total > 1, "the sandbox INBOX has messages")
		eq(o:CopyMsgs({1, 2}, "Outra"), true, "CopyMsgs")
		ok(o:IMAPDisconnect(), o, "IMAPDisconnect")
	`)
	cases := []struct {
		name, code string
		turns      int // after IMAPConnect
	}{
		{"GetFolder and GetNumMsgs", `
			eq(o:GetFolder(), "INBOX", "GetFolder after IMAPConnect")
			local nRet, n = o:GetNumMsgs()
			eq(nRet, 0, "GetNumMsgs code")
			eq(n, total, "GetNumMsgs after IMAPConnect")
		`, 1},
		{"ChangeFolder replaces the SELECT", `
			eq(o:ChangeFolder("Outra"), true, "ChangeFolder")
			eq(o:GetFolder(), "Outra", "GetFolder")
		`, 1},
		{"message call selects INBOX", `
			eq(o:SetMsgFlag(1, "F"), true, "SetMsgFlag")
		`, 2},
		{"header fetch of another folder", `
			local rows = fetchAll(o, "Outra", {"Subject"})
			eq(#rows, 2, "rows of the other folder")
			eq(o:GetFolder(), "INBOX", "GetFolder after the fetch")
			local _, n = o:GetNumMsgs()
			eq(n, total, "GetNumMsgs counts INBOX, not the folder fetched")
		`, 2},
		{"header fetch of INBOX", `
			local rows = fetchAll(o, "INBOX", {"Subject"})
			eq(#rows, total, "rows")
			eq(rows[1][1], 1, "sequence number")
		`, 2},
		{"delete the folder fetched", `
			eq(#fetchAll(o, "Outra", {"Subject"}), 2, "rows")
			eq(o:DeleteFolder("Outra"), true, "DeleteFolder of the folder left selected on the server")
			eq(o:GetFolder(), "INBOX", "GetFolder after DeleteFolder")
			local _, n = o:GetNumMsgs()
			eq(n, total, "GetNumMsgs")
			eq(o:ChangeFolder("Outra"), false, "the folder is gone")
		`, 5},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			runScript(t, L, `o = connect()`)
			_, turns0 := tc.get()
			runScript(t, L, tt.code)
			_, turns := tc.get()
			if turns-turns0 != tt.turns {
				t.Errorf("%d round trips, want %d", turns-turns0, tt.turns)
			}
			runScript(t, L, `ok(o:IMAPDisconnect(), o, "IMAPDisconnect")`)
		})
	}
}

// BenchmarkStartGetAllMsgHeader is one StartGetAllMsgHeader /
// EndGetAllMsgHeader cycle on an open IMAPS session of the sandbox.
func BenchmarkStartGetAllMsgHeader(b *testing.B) {
	sb, err := sandbox.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	cfg := mail.DefaultConfig()
	cfg.Protocol = "IMAP"
	e := &Engine{Transport: sb.Transport(cfg), Config: func() *mail.Config { return cfg }}
	L := lua.NewState()
	defer L.Close()
	Open(L, e)
	L.SetGlobal("sleep", L.NewFunction(func(L *lua.LState) int {
		time.Sleep(time.Duration(L.CheckInt(1)) * time.Millisecond)
		return 0
	}))
	if err := L.DoString(`
		o = TMailManager():New()
		o:SetUseSSL(true)
		o:Init("imap.empresa.com.br:993", "", "bench@empresa.com.br", "pw")
		assert(o:IMAPConnect() == 0, o:GetErrorString())
		function fetchAll()
			assert(o:StartGetAllMsgHeader("INBOX", {"From", "Subject"}))
			local done, a = false, nil
			while not done do
				done, a = o:EndGetAllMsgHeader()
				if not done then sleep(0) end
			end
			assert(#a > 0, o:GetErrorString())
		end
	`); err != nil {
		b.Fatal(err)
	}
	fn := L.GetGlobal("fetchAll")
	for b.Loop() {
		if err := L.CallByParam(lua.P{Fn: fn, Protect: true}); err != nil {
			b.Fatal(err)
		}
	}
}
