package bindings

import (
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// testDate stands for the runtime's date values (runtime.Date).
type testDate struct{ t time.Time }

func (d testDate) IsZero() bool    { return d.t.IsZero() }
func (d testDate) Time() time.Time { return d.t }

// installDates gives scripts date(y, m, d) (date(0) = the empty date) and
// the string yesterday ("DD/MM/YYYY").
func installDates(L *lua.LState) {
	L.SetGlobal("date", L.NewFunction(func(L *lua.LState) int {
		var d testDate
		if y := L.CheckInt(1); y != 0 {
			d.t = time.Date(y, time.Month(L.CheckInt(2)), L.CheckInt(3), 0, 0, 0, 0, time.UTC)
		}
		L.Push(&lua.LUserData{Value: d})
		return 1
	}))
	y := time.Now().AddDate(0, 0, -1)
	L.SetGlobal("yesterday", lua.LString(y.Format("02/01/2006")))
	n := time.Now().AddDate(0, 0, 2)
	L.SetGlobal("future", &lua.LUserData{Value: testDate{time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)}})
}

const searchHelpers = `
function list(a)
	if a == nil then return "nil" end
	local s = {}
	for i, v in ipairs(a) do s[i] = tostring(v) end
	return "{" .. table.concat(s, ",") .. "}"
end
`

func TestSearchMsgs(t *testing.T) {
	e, _, _ := sandboxEngine(t)
	L := newState(t, e)
	installDates(L)
	runScript(t, L, searchHelpers+`
		local o = TMailManager():New()
		o:Init("imap.empresa.com.br", "", "busca@empresa.com.br", "pw")
		eq(o:SearchMsgs("ALL"), nil, "before connecting")
		has(o:GetErrorString(), "no connection", "no connection")
		ok(o:IMAPConnect(), o, "IMAPConnect")

		eq(list(o:SearchMsgs("ALL")), "{1,2,3,4}", "ALL")
		eq(list(o:SearchMsgs("all")), "{1,2,3,4}", "any case")
		eq(list(o:SearchMsgs('SUBJECT "Relatório de Vendas"')), "{2}", "accented SUBJECT")
		eq(list(o:SearchMsgs("subject promoção")), "{4}", "accented atom")
		eq(list(o:SearchMsgs("FROM nfe@advmail.sandbox")), "{3}", "FROM")
		eq(list(o:SearchMsgs("OR FROM nfe FROM marketing")), "{3,4}", "OR")
		eq(list(o:SearchMsgs("FROM ninguem")), "{}", "no match")
		eq(type(o:SearchMsgs("FROM ninguem")), "table", "no match is an empty array")

		eq(o:SetMsgFlag(1, "S"), true, "SetMsgFlag S")
		eq(list(o:SearchMsgs("UNSEEN")), "{2,3,4}", "UNSEEN")
		eq(list(o:SearchMsgs("SEEN")), "{1}", "SEEN")
		eq(list(o:SearchMsgs("NOT (SEEN) SINCE 01-Jan-2000")), "{2,3,4}", "NOT, SINCE")

		-- The array form, with date values and AdvPL date strings.
		eq(list(o:SearchMsgs({{"SINCE", date(2000, 1, 1)}, {"NOT", {"SEEN"}}})), "{2,3,4}", "array form")
		eq(list(o:SearchMsgs({{"SINCE", yesterday}, {"FROM", "marketing"}})), "{4}", "DD/MM/YYYY string")
		eq(list(o:SearchMsgs({{"SINCE", future}})), "{}", "future date")
		eq(list(o:SearchMsgs({"UNSEEN"})), "{2,3,4}", "single term")
		eq(list(o:SearchMsgs({{"OR", {"SEEN"}, "FROM marketing"}})), "{1,4}", "OR with a term and text")

		-- Errors: nil, code 21, the position.
		eq(o:SearchMsgs("UNSEEN SINCE x"), nil, "parse error")
		has(o:GetErrorString(), "search criteria: position 14: expected a date after SINCE", "position")
		has(o:GetErrorString(21), "position 14", "GetErrorString(21)")
		eq(o:SearchMsgs(""), nil, "empty criteria")
		eq(o:SearchMsgs({}), nil, "empty array")
		eq(o:SearchMsgs({{"SINCE", date(0)}}), nil, "empty date")
		has(o:GetErrorString(), "empty date", "empty date text")
		eq(o:SearchMsgs({{"FROM", "a\r\nX"}}), nil, "CR LF in a string")
		has(o:GetErrorString(), "CR, LF or NUL", "CR LF text")
		eq(o:SearchMsgs({{"SEEN", true}}), nil, "boolean argument")
		eq(o:SearchMsgs({{{"SEEN"}}}), nil, "a list inside a list")
		has(o:GetErrorString(), "element 1: expected a term", "nested list text")
		local many = {}
		for i = 1, 600 do many[i] = {"SEEN"} end
		eq(o:SearchMsgs(many), nil, "too many terms")
		has(o:GetErrorString(), "more than 500", "too many terms text")
		local loop = {"NOT"}; loop[2] = loop
		eq(o:SearchMsgs(loop), nil, "cyclic array")
		has(o:GetErrorString(), "deeper than", "cyclic array text")

		-- The numbers feed Receive, MoveMsgs, CopyMsgs and DeleteMsgs.
		local m = TMailMessage():New()
		local subjects = {}
		for _, n in ipairs(o:SearchMsgs("UNSEEN")) do
			ok(m:Receive(o, n), o, "Receive " .. n)
			subjects[#subjects + 1] = m.cSubject
		end
		eq(#subjects, 3, "received")
		eq(subjects[2], "NF-e 1234 - Empresa Exemplo Ltda", "second unseen")
		eq(o:CreateFolder("Processados"), true, "CreateFolder")
		eq(o:ChangeFolder("INBOX"), true, "INBOX")
		eq(o:CopyMsgs(o:SearchMsgs("FROM joao"), "Processados"), true, "CopyMsgs")

		o:SetUseRealID(true)
		local uids = o:SearchMsgs("FROM nfe")
		eq(#uids, 1, "one UID")
		eq(o:MoveMsgs(uids, "Processados"), true, "MoveMsgs of UIDs")
		eq(o:ChangeFolder("INBOX"), true, "re-select")
		eq(list(o:SearchMsgs("FROM nfe")), "{}", "moved away")
		o:SetUseRealID(false)
		eq(list(o:SearchMsgs("ALL")), "{1,2,3}", "sequence numbers after the move")
		ok(o:DeleteMsgs(o:SearchMsgs("FROM marketing")), o, "DeleteMsgs")
		eq(list(o:SearchMsgs("ALL")), "{1,2}", "after DeleteMsgs")
		eq(o:ChangeFolder("Processados"), true, "Processados")
		eq(#o:SearchMsgs("ALL"), 2, "Processados holds the copy and the move")
		ok(o:IMAPDisconnect(), o, "IMAPDisconnect")
	`)
	msg := runErr(t, L, `TMailManager():New():SearchMsgs(5)`)
	if !strings.Contains(msg, "SearchMsgs: argument #1 must be character or an array, got number") {
		t.Errorf("wrong type: %s", msg)
	}
}

func TestSearchMsgsPOP3(t *testing.T) {
	e, _, _ := sandboxEngine(t)
	L := newState(t, e)
	runScript(t, L, searchHelpers+`
		local pop = TMailManager():New()
		pop:Init("pop.empresa.com.br", "", "buscapop@empresa.com.br", "pw")
		ok(pop:POPConnect(), pop, "POPConnect")
		eq(pop:SearchMsgs("ALL"), nil, "SearchMsgs over POP3")
		has(pop:GetErrorString(), "operation not available on the connected protocol", "wrong protocol")
		has(pop:GetErrorString(), "needs IMAP", "needs IMAP")
		has(pop:GetErrorString(28), "needs IMAP", "code 28")
		ok(pop:POPDisconnect(), pop, "POPDisconnect")

		local g = TMailMng():New(0)
		g.cSrvAddr, g.cUser, g.cPass = "pop.empresa.com.br", "buscapop@empresa.com.br", "pw"
		ok(g:Connect(), g, "TMailMng Connect POP3")
		local a = {99}
		local nErr, b = g:SearchMsgs("ALL", a)
		eq(nErr, 28, "TMailMng over POP3")
		eq(rawequal(a, b), true, "filled in place")
		eq(#b, 0, "emptied")
		ok(g:Disconnect(), g, "Disconnect")
	`)
}

func TestMngSearchMsgs(t *testing.T) {
	e, _, _ := sandboxEngine(t)
	L := newState(t, e)
	installDates(L)
	runScript(t, L, searchHelpers+`
		local g = TMailMng():New(1)
		g.cSrvAddr, g.cUser, g.cPass = "imap.empresa.com.br", "buscamng@empresa.com.br", "pw"
		local nErr, a = g:SearchMsgs("ALL")
		eq(nErr, 6, "without a session")
		eq(#a, 0, "no rows")
		ok(g:Connect(), g, "Connect")
		local dst = {"stale", "x", "y", "z", "w"}
		nErr, a = g:SearchMsgs("FROM advmail.sandbox", dst)
		eq(nErr, 0, "SearchMsgs")
		eq(rawequal(a, dst), true, "filled in place")
		eq(list(a), "{1,2,3,4}", "numbers")
		nErr, a = g:SearchMsgs({{"SUBJECT", "Março"}})
		eq(nErr, 0, "array form")
		eq(list(a), "{2}", "accented subject")
		g.lUseRealID = true
		nErr, a = g:SearchMsgs("SUBJECT NF-e")
		eq(nErr, 0, "UID search")
		eq(#a, 1, "one UID")
		eq(g:MoveMsgs(a, "Trash"), 0, "MoveMsgs of the UIDs")
		nErr, a = g:SearchMsgs("SINCE x")
		eq(nErr, 21, "parse error")
		has(g:GetErrorString(), "position 7", "position")
		ok(g:Disconnect(), g, "Disconnect")
	`)
	msg := runErr(t, L, `TMailMng():New(1):SearchMsgs(true)`)
	if !strings.Contains(msg, "TMailMng:SearchMsgs: argument #1 must be character or an array, got boolean") {
		t.Errorf("wrong type: %s", msg)
	}
}
