package bindings

import (
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// installSleep gives scripts sleep(ms), like AdvPL's Sleep.
func installSleep(L *lua.LState) {
	L.SetGlobal("sleep", L.NewFunction(func(L *lua.LState) int {
		time.Sleep(time.Duration(L.CheckInt(1)) * time.Millisecond)
		return 0
	}))
}

func TestIMAPFolderAndMessageOps(t *testing.T) {
	e, _, _ := sandboxEngine(t)
	L := newState(t, e)
	runScript(t, L, `
		local o = TMailManager():New()
		o:Init("imap.empresa.com.br", "", "caixa@empresa.com.br", "pw")
		o:SetPOPTimeout(20)
		ok(o:IMAPConnect(), o, "IMAPConnect")
		eq(o:GetFolder(), "INBOX", "GetFolder")
		local nErr, n = o:GetNumMsgs(n)
		eq(nErr, 0, "GetNumMsgs")
		eq(n, 4, "samples")

		local subj
		for _, h in ipairs(o:GetMsgHeader(3)) do
			eq(#h, 2, "header row")
			if string.lower(h[1]) == "subject" then subj = h[2] end
		end
		eq(subj, "NF-e 1234 - Empresa Exemplo Ltda", "GetMsgHeader subject")
		eq(o:GetMsgHeader(99), nil, "GetMsgHeader of a missing message")

		local pdf
		for _, p in ipairs(o:GetMsgBody(3)) do
			eq(#p, 8, "part row")
			if p[2] == "application/pdf" then pdf = p end
		end
		assert(pdf, "no application/pdf part in GetMsgBody")
		eq(type(pdf[1]), "string", "section")
		eq(pdf[6], "DANFE-000001234.pdf", "part file name")
		eq(type(pdf[8]), "number", "part size")
		eq(pdf[8] > 0, true, "part size > 0")

		eq(o:CreateFolder("Processados"), true, "CreateFolder")
		eq(o:GetFolder(), "Processados", "CreateFolder selects")
		eq(o:ChangeFolder("NaoExiste"), false, "ChangeFolder missing")
		eq(o:GetErrorString() ~= "", true, "error text")
		eq(o:ChangeFolder("INBOX"), true, "ChangeFolder INBOX")
		eq(o:SetFolderSubscribe("Processados", true), true, "SetFolderSubscribe")
		local rows = {}
		for _, r in ipairs(o:GetFolderList()) do
			eq(#r, 5, "folder row")
			rows[r[1]] = r
		end
		assert(rows.Processados, "Processados not listed")
		eq(rows.Processados[3], 0, "Processados total")
		has(rows.Processados[2], "\\Subscribed", "status")
		eq(rows.INBOX[3], 4, "INBOX total")
		eq(rows.INBOX[4] + rows.INBOX[5], 4, "INBOX read + unread")

		eq(o:CopyMsg(1, "Processados"), true, "CopyMsg")
		eq(o:MoveMsg(2, "Processados"), true, "MoveMsg")
		-- Re-select after MOVE: go-imap v2.0.0-beta.8's memory server sends each
		-- EXPUNGE of a MOVE twice, which leaves the session's count one short.
		eq(o:ChangeFolder("INBOX"), true, "re-select INBOX")
		_, n = o:GetNumMsgs()
		eq(n, 3, "INBOX after move")
		eq(o:SetMsgFlag(1, "S"), true, "SetMsgFlag S")
		eq(o:SetMsgFlag(1, "FA"), true, "SetMsgFlag FA")
		eq(o:SetMsgFlag(1, "Z"), false, "SetMsgFlag Z")

		local m = TMailMessage():New()
		ok(m:Receive(o, 1), o, "Receive 1")
		has(m.cSubject, "Bem-vindo", "subject 1")
		ok(m:Receive(o, 2), o, "Receive 2")
		eq(m.cSubject, "NF-e 1234 - Empresa Exemplo Ltda", "subject 2 after the move")
		eq(m:GetAttachCount(), 2, "NF-e attachments")
		ok(o:DeleteMsg(1), o, "DeleteMsg")
		_, n = o:GetNumMsgs()
		eq(n, 2, "INBOX after delete")
		ok(m:Receive(o, 1), o, "Receive 1 after delete")
		eq(m.cSubject, "NF-e 1234 - Empresa Exemplo Ltda", "sequence numbers shift")

		local s = TMailMessage():New()
		s.cFrom = "a@empresa.com.br"; s.cTo = "caixa@empresa.com.br"; s.cSubject = "Guardada"; s.cBody = "<p>x</p>"
		ok(o:IMAPStore("Processados", s), o, "IMAPStore")
		eq(o:ChangeFolder("Processados"), true, "ChangeFolder Processados")
		_, n = o:GetNumMsgs()
		eq(n, 3, "Processados count")
		ok(m:Receive(o, 3), o, "Receive stored")
		eq(m.cSubject, "Guardada", "stored subject")

		eq(o:CopyMsgs({1, 2}, "INBOX"), true, "CopyMsgs")
		eq(o:MoveMsgs({1}, "Trash"), true, "MoveMsgs")
		eq(o:ChangeFolder("Processados"), true, "re-select Processados")
		_, n = o:GetNumMsgs()
		eq(n, 2, "after MoveMsgs")
		ok(o:DeleteMsgs({1}), o, "DeleteMsgs")
		_, n = o:GetNumMsgs()
		eq(n, 1, "after DeleteMsgs")
		eq(o:SetMsgFlag(1, "D"), true, "flag deleted")
		eq(o:Purge("Processados"), true, "Purge")
		_, n = o:GetNumMsgs()
		eq(n, 0, "after Purge")

		eq(o:ChangeFolder("INBOX"), true, "back to INBOX")
		_, n = o:GetNumMsgs()
		eq(n, 4, "INBOX with the copies")
		eq(o:RenameFolder("Processados", "Arquivo"), true, "RenameFolder")
		eq(o:ChangeFolder("Arquivo"), true, "ChangeFolder renamed")
		eq(o:DeleteFolder("Arquivo"), true, "DeleteFolder of the selected folder")
		eq(o:ChangeFolder("Arquivo"), false, "deleted folder")
		ok(o:IMAPDisconnect(), o, "IMAPDisconnect")
		eq(o:ChangeFolder("INBOX"), false, "after disconnect")
		has(o:GetErrorString(), "no connection", "no connection text")
	`)
}

func TestIMAPRealIDAndHeaderFetch(t *testing.T) {
	e, _, cfg := sandboxEngine(t)
	cfg.Protocol = "IMAP" // POPConnect opens an IMAP session
	L := newState(t, e)
	installSleep(L)
	runScript(t, L, `
		function fetchAll(o, folder, names)
			eq(o:StartGetAllMsgHeader(folder, names), true, "StartGetAllMsgHeader")
			local dst = {"stale"}
			local done, a
			for i = 1, 2000 do
				done, a = o:EndGetAllMsgHeader(dst)
				eq(rawequal(a, dst), true, "array filled in place")
				if done then
					if #a == 0 then error("no rows: " .. o:GetErrorString()) end
					return a
				end
				sleep(5)
			end
			error("EndGetAllMsgHeader never finished")
		end

		local o = TMailManager():New()
		o:SetUseSSL(true)
		o:Init("imap.empresa.com.br:993", "", "uids@empresa.com.br", "pw")
		ok(o:POPConnect(), o, "POPConnect with Protocol=IMAP")
		eq(o:GetFolder(), "INBOX", "IMAP session")

		local done, none = o:EndGetAllMsgHeader()
		eq(done, true, "End without Start")
		eq(#none, 0, "End without Start rows")

		-- Sequence numbers.
		local rows = fetchAll(o, "INBOX", {"Subject", "From"})
		eq(#rows, 4, "rows")
		for i, r in ipairs(rows) do
			eq(r[1], i, "sequence number")
			eq(#r, 3, "row length")
			eq(string.lower(r[2][1]), "subject", "first header")
			eq(string.lower(r[3][1]), "from", "second header")
		end
		eq(rows[3][2][2], "NF-e 1234 - Empresa Exemplo Ltda", "subject 3")

		-- UIDs: ok(o:DeleteMsg(uid)) keeps the other UIDs valid.
		o:SetUseRealID(true)
		local u = fetchAll(o, "INBOX", {"subject"})
		eq(#u, 4, "uid rows")
		local uid, subj = {}, {}
		for i, r in ipairs(u) do uid[i] = r[1]; subj[i] = r[2][2] end
		eq(subj[2], "Relatório de Vendas - Março", "decoded ISO-8859-1 subject")
		ok(o:DeleteMsg(uid[1]), o, "DeleteMsg by UID")
		local m = TMailMessage():New()
		ok(m:Receive(o, uid[4]), o, "Receive by UID")
		eq(m.cSubject, subj[4], "subject by UID")
		eq(m:Receive(o, uid[1]) ~= 0, true, "Receive deleted UID")
		eq(o:MoveMsg(uid[3], "Trash"), true, "MoveMsg by UID")
		-- Re-select after MOVE: go-imap v2.0.0-beta.8's memory server sends each
		-- EXPUNGE of a MOVE twice, which leaves the session's count one short.
		eq(o:ChangeFolder("INBOX"), true, "re-select INBOX")
		ok(m:Receive(o, uid[2]), o, "Receive UID 2")
		eq(m.cSubject, subj[2], "UID 2 subject")
		local hdr = o:GetMsgHeader(uid[4])
		assert(hdr and #hdr > 0, "GetMsgHeader by UID")

		-- The same numbers as sequence numbers: only 2 messages are left.
		o:SetUseRealID(false)
		local _, n = o:GetNumMsgs()
		eq(n, 2, "count")
		eq(m:Receive(o, uid[4]), 19, "sequence number 4 no longer exists")
		ok(m:Receive(o, 2), o, "Receive seq 2")
		eq(m.cSubject, subj[4], "seq 2 is the 4th original message")
		ok(o:POPDisconnect(), o, "POPDisconnect of the IMAP session")
	`)
	e.mu.Lock()
	open := len(e.open)
	e.mu.Unlock()
	if open != 0 {
		t.Fatalf("%d connections still tracked", open)
	}

	// Protocol back to POP3: the same calls open POP3, and IMAP calls fail.
	cfg.Protocol = "POP3"
	runScript(t, L, `
		local o = TMailManager():New()
		o:Init("pop.empresa.com.br", "", "uids", "pw")
		ok(o:POPConnect(), o, "POPConnect POP3")
		eq(o:StartGetAllMsgHeader("INBOX", {"subject"}), false, "Start over POP3")
		eq(o:GetErrorString(28), o:GetErrorString(), "last error is 28")
		eq(o:GetFolderList()[1], nil, "GetFolderList over POP3")
		eq(o:IMAPStore("INBOX", TMailMessage():New()), 28, "IMAPStore over POP3")
		ok(o:POPDisconnect(), o, "POPDisconnect")
	`)
}
