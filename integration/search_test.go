package integration

// SearchMsgs / IMAPClient.Search against Dovecot, with the lab user dave
// (reserved for these tests: his mailbox is emptied and re-seeded).

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/runtime"
)

// searchLabMsg is one seeded message of dave's INBOX.
type searchLabMsg struct {
	from, cc, subject, date, body, extra string
	flags                                []string
	big                                  bool
}

var searchLabMsgs = []searchLabMsg{
	{from: "Fornecedor <nfe@fornecedor.com.br>", subject: "NF-e 1001", date: "Tue, 01 Dec 2026 10:00:00 +0000",
		body: "pedido 100", extra: "X-Origem: portal\r\n", flags: []string{`\Seen`}},
	{from: "=?ISO-8859-1?Q?Jo=E3o_Vendas?= <joao@outro.com>", cc: "carol@lab.test",
		subject: "=?ISO-8859-1?Q?Relat=F3rio_de_Mar=E7o?=", date: "Mon, 30 Nov 2026 09:00:00 +0000", body: "vendas do mes"},
	{from: "Fornecedor <nfe@fornecedor.com.br>", subject: "=?UTF-8?B?UHJvbW/Dp8Ojbw==?=", // Promoção
		date: "Wed, 02 Dec 2026 08:00:00 +0000", body: "oferta", big: true, flags: []string{`\Flagged`, `\Answered`, "$Fatura"}},
	{from: "Rascunho <dave@lab.test>", subject: "Rascunho", date: "Thu, 03 Dec 2026 08:00:00 +0000",
		body: "draft", flags: []string{`\Draft`}},
	{from: "Fornecedor <nfe@fornecedor.com.br>", subject: "NF-e 1002", date: "Thu, 03 Dec 2026 09:00:00 +0000", body: "pedido 200"},
}

func (m searchLabMsg) raw(i int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: dave@lab.test\r\n", m.from)
	if m.cc != "" {
		fmt.Fprintf(&b, "Cc: %s\r\n", m.cc)
	}
	fmt.Fprintf(&b, "Subject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n%sMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", m.subject, m.date, uniqueID(fmt.Sprintf("search%d", i)), m.extra, m.body)
	if m.big {
		b.WriteString(strings.Repeat("grande grande grande grande grande grande grande\r\n", 100))
	}
	return []byte(b.String())
}

// seedSearchLab empties dave's mailbox and appends searchLabMsgs to INBOX.
func seedSearchLab(t *testing.T, l *Lab) LabUser {
	t.Helper()
	dave := l.User(t, "dave")
	l.ResetMailboxes(t, dave.Address)
	tr, _ := labTransport(labConfig(l, nil))
	c := dialIMAP(t, tr, endpoint(l, l.Ports.IMAPS, mail.ImplicitTLS), dave)
	for i, m := range searchLabMsgs {
		if err := c.Append("INBOX", m.raw(i+1), m.flags); err != nil {
			t.Fatalf("append %d: %v", i+1, err)
		}
	}
	if err := c.Logout(); err != nil {
		t.Fatal(err)
	}
	if n := messageCount(t, l, dave, "INBOX"); n != len(searchLabMsgs) {
		t.Fatalf("dave's INBOX holds %d messages, want %d", n, len(searchLabMsgs))
	}
	return dave
}

func TestSearchDovecot(t *testing.T) {
	l := requireLab(t)
	dave := seedSearchLab(t, l)
	today := time.Now().Format("02-Jan-2006")
	yesterday := time.Now().AddDate(0, 0, -1).Format("02-Jan-2006")
	tomorrow := time.Now().AddDate(0, 0, 1).Format("02-Jan-2006")
	cases := []struct {
		criteria string
		want     []uint32
	}{
		{"ALL", []uint32{1, 2, 3, 4, 5}},
		{"SEEN", []uint32{1}},
		{"UNSEEN", []uint32{2, 3, 4, 5}},
		{"ANSWERED", []uint32{3}},
		{"UNANSWERED", []uint32{1, 2, 4, 5}},
		{"FLAGGED", []uint32{3}},
		{"UNFLAGGED", []uint32{1, 2, 4, 5}},
		{"DRAFT", []uint32{4}},
		{"UNDRAFT", []uint32{1, 2, 3, 5}},
		{"DELETED", []uint32{}},
		{"UNDELETED", []uint32{1, 2, 3, 4, 5}},
		{"KEYWORD $Fatura", []uint32{3}},
		{"UNKEYWORD $Fatura", []uint32{1, 2, 4, 5}},
		{"FROM nfe@fornecedor.com.br", []uint32{1, 3, 5}},
		{"UNSEEN FROM fornecedor", []uint32{3, 5}},
		{`FROM "João"`, []uint32{2}},
		{"TO dave@lab.test", []uint32{1, 2, 3, 4, 5}},
		{"CC carol", []uint32{2}},
		{"BCC ninguem", []uint32{}},
		{`SUBJECT "Relatório de Março"`, []uint32{2}},
		{`subject "relatório de março"`, []uint32{2}},
		{"SUBJECT Promoção", []uint32{3}},
		{"SUBJECT NF-e", []uint32{1, 5}},
		{"HEADER X-Origem portal", []uint32{1}},
		{`HEADER X-Origem ""`, []uint32{1}},
		{"BODY pedido", []uint32{1, 5}},
		{"TEXT vendas", []uint32{2}},
		{"TEXT Promoção", []uint32{3}},
		{"SINCE " + yesterday, []uint32{1, 2, 3, 4, 5}},
		{"SINCE " + tomorrow, []uint32{}},
		{"BEFORE " + today, []uint32{}},
		{"ON " + today, []uint32{1, 2, 3, 4, 5}},
		{"SENTSINCE 02-Dec-2026", []uint32{3, 4, 5}},
		{"SENTBEFORE 01-Dec-2026", []uint32{2}},
		{"SENTON 03-Dec-2026", []uint32{4, 5}},
		{"LARGER 3000", []uint32{3}},
		{"SMALLER 3000", []uint32{1, 2, 4, 5}},
		{"2:3", []uint32{2, 3}},
		{"4:*", []uint32{4, 5}},
		{"NOT FROM fornecedor", []uint32{2, 4}},
		{"OR SEEN DRAFT", []uint32{1, 4}},
		{"UNSEEN (OR FLAGGED (CC carol))", []uint32{2, 3}},
		{"NOT (OR SUBJECT NF-e SUBJECT Rascunho)", []uint32{2, 3}},
	}
	for i, md := range imapModes(l) {
		t.Run(md.name, func(t *testing.T) {
			tr, trace := labTransport(labConfig(l, nil))
			c := dialIMAP(t, tr, endpoint(l, md.port, md.sec), dave)
			if _, err := c.Select("INBOX"); err != nil {
				t.Fatal(err)
			}
			// UIDs of the seeded messages, by sequence number.
			all, err := c.Search(mustCriteria(t, "ALL"), true)
			if err != nil || len(all) != len(searchLabMsgs) {
				t.Fatalf("UID SEARCH ALL = %v, %v", all, err)
			}
			for _, tc := range cases {
				crit := mustCriteria(t, tc.criteria)
				seq, err := c.Search(crit, false)
				if err != nil {
					t.Fatalf("Search(%q): %v", tc.criteria, err)
				}
				if !reflect.DeepEqual(seq, tc.want) {
					t.Errorf("Search(%q) = %v, want %v", tc.criteria, seq, tc.want)
				}
				uids, err := c.Search(crit, true)
				if err != nil {
					t.Fatalf("UID Search(%q): %v", tc.criteria, err)
				}
				wantUIDs := []uint32{}
				for _, n := range tc.want {
					wantUIDs = append(wantUIDs, all[n-1])
				}
				if !reflect.DeepEqual(uids, wantUIDs) {
					t.Errorf("UID Search(%q) = %v, want %v", tc.criteria, uids, wantUIDs)
				}
			}
			// \Recent (one more command, a FETCH of the flags): the first
			// session to select the folder after the APPENDs sees every
			// message as recent, the next one none.
			wantRecent, wantOld, wantNew := []uint32{1, 2, 3, 4, 5}, []uint32{}, []uint32{2, 3, 4, 5}
			if i > 0 {
				wantRecent, wantOld, wantNew = []uint32{}, []uint32{1, 2, 3, 4, 5}, []uint32{}
			}
			for _, k := range []struct {
				key  string
				want []uint32
			}{{"RECENT", wantRecent}, {"OLD", wantOld}, {"NEW", wantNew}, {"NOT OLD UNSEEN", wantNew}} {
				if got := mustSearch(t, c, k.key); !reflect.DeepEqual(got, k.want) {
					t.Errorf("Search(%q) = %v, want %v", k.key, got, k.want)
				}
			}
			s := trace.String()
			if !strings.Contains(s, "SEARCH RETURN (ALL)") || !strings.Contains(s, "* ESEARCH") {
				t.Errorf("Dovecot offers ESEARCH: the trace shows no RETURN (ALL) / ESEARCH answer")
			}
			if !strings.Contains(s, "CHARSET UTF-8") {
				t.Errorf("non-ASCII criteria sent without CHARSET UTF-8")
			}
		})
	}
}

// TestSearchDovecotPlainSearch checks the ESEARCH answers against Dovecot's
// plain SEARCH, sent by hand: the path a server without ESEARCH takes
// (tested against the in-process server in mail) must give the same numbers.
func TestSearchDovecotPlainSearch(t *testing.T) {
	l := requireLab(t)
	dave := seedSearchLab(t, l)
	tr, _ := labTransport(labConfig(l, nil))
	c := dialIMAP(t, tr, endpoint(l, l.Ports.IMAPS, mail.ImplicitTLS), dave)
	raw := dialLab(t, l, l.Ports.IMAPS, l.TLSConfig())
	raw.line() // greeting
	if _, done := raw.imap("a1", fmt.Sprintf("LOGIN %q %q", dave.Login, dave.Password)); !strings.HasPrefix(done, "OK") {
		t.Fatalf("LOGIN: %s", done)
	}
	if _, done := raw.imap("a2", "EXAMINE INBOX"); !strings.HasPrefix(done, "OK") {
		t.Fatalf("EXAMINE: %s", done)
	}
	for i, crit := range []string{"ALL", "UNSEEN FROM fornecedor", "OR SEEN DRAFT", "NOT FROM fornecedor", "SENTSINCE 02-Dec-2026", "LARGER 3000", "KEYWORD $Fatura"} {
		for _, uid := range []bool{false, true} {
			cmd := "SEARCH " + crit
			if uid {
				cmd = "UID " + cmd
			}
			lines, done := raw.imap(fmt.Sprintf("s%d", i), cmd)
			if !strings.HasPrefix(done, "OK") {
				t.Fatalf("%s: %s", cmd, done)
			}
			want := []uint32{}
			for _, line := range lines {
				if rest, ok := strings.CutPrefix(line, "* SEARCH"); ok {
					for _, f := range strings.Fields(rest) {
						var n uint32
						fmt.Sscan(f, &n)
						want = append(want, n)
					}
				}
			}
			got, err := c.Search(mustCriteria(t, crit), uid)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: Search = %v, plain SEARCH = %v", cmd, got, want)
			}
		}
	}
	raw.imap("a3", "LOGOUT")
}

func TestSearchDovecotErrors(t *testing.T) {
	l := requireLab(t)
	dave := l.User(t, "dave")
	tr, _ := labTransport(labConfig(l, nil))
	c := dialIMAP(t, tr, endpoint(l, l.Ports.IMAPS, mail.ImplicitTLS), dave)
	// A sequence number beyond the folder is no match, not an error.
	got, err := c.Search(mustCriteria(t, "999999"), false)
	if err != nil || len(got) != 0 {
		t.Fatalf("SEARCH 999999 = %v, %v; want no match", got, err)
	}
	_, err = mail.ParseSearchCriteria("UNSEEN SINCE x")
	if mail.CodeOf(err) != mail.ErrInvalidArgument || !strings.Contains(err.Error(), "position 14") {
		t.Fatalf("parse error: %v", err)
	}
	c.Close()
	_, err = c.Search(mustCriteria(t, "ALL"), false)
	if mail.CodeOf(err) != mail.ErrNoConnection {
		t.Fatalf("after Close: %v", err)
	}
}

// TestSearchMsgsScriptDovecot runs SearchMsgs from a script: the numbers go
// to MoveMsgs, DeleteMsgs and Receive, with and without SetUseRealID, and
// the array form takes an AdvPL date.
func TestSearchMsgsScriptDovecot(t *testing.T) {
	l := requireLab(t)
	dave := seedSearchLab(t, l)
	ini := writeINI(t, l, map[string]string{"Protocol": "IMAP"}, nil)
	script := fmt.Sprintf(`
local function eq(got, want, what)
	if got ~= want then error(string.format("%%s: got %%s, want %%s", what, tostring(got), tostring(want)), 2) end
end
local function list(a)
	if a == nil then return "nil" end
	local s = {}
	for i, v in ipairs(a) do s[i] = tostring(v) end
	return "{" .. table.concat(s, ",") .. "}"
end
local o = TMailManager():New()
o:SetUseSSL(true)
eq(o:Init(%q, "", %q, %q, %d), 0, "Init")
eq(o:IMAPConnect(), 0, "IMAPConnect")
eq(list(o:SearchMsgs("UNSEEN FROM fornecedor.com.br")), "{3,5}", "unread from the supplier")
eq(list(o:SearchMsgs({{"UNSEEN"}, {"FROM", "fornecedor.com.br"}, {"SINCE", Date() - 1}})), "{3,5}", "array form with a date")
eq(list(o:SearchMsgs({{"SUBJECT", "Relatório"}})), "{2}", "accents")
eq(o:SearchMsgs("UNSEEN SINCE"), nil, "parse error")
if not string.find(o:GetErrorString(), "position 13", 1, true) then error("no position: " .. o:GetErrorString()) end

local m = TMailMessage():New()
local subjects = {}
for _, n in ipairs(o:SearchMsgs("SUBJECT NF-e")) do
	eq(m:Receive(o, n), 0, "Receive " .. n)
	subjects[#subjects + 1] = m.cSubject
end
eq(table.concat(subjects, "|"), "NF-e 1001|NF-e 1002", "received")

eq(o:CreateFolder("Processados"), true, "CreateFolder")
eq(o:ChangeFolder("INBOX"), true, "INBOX")
o:SetUseRealID(true)
local uids = o:SearchMsgs("FROM fornecedor UNSEEN")
eq(#uids, 2, "UIDs")
eq(o:MoveMsgs(uids, "Processados"), true, "MoveMsgs")
o:SetUseRealID(false)
eq(list(o:SearchMsgs("FROM fornecedor")), "{1}", "left in INBOX")
eq(o:DeleteMsgs(o:SearchMsgs("DRAFT")), 0, "DeleteMsgs")
eq(list(o:SearchMsgs("ALL")), "{1,2}", "after DeleteMsgs")
eq(o:IMAPDisconnect(), 0, "IMAPDisconnect")
print("search script ok")
`, l.TLSServerName, dave.Login, dave.Password, l.Ports.IMAPS)
	path := filepath.Join(t.TempDir(), "search.lua")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	r, err := runtime.New(runtime.Options{ConfigPath: ini, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	if err := r.DoFile(ctx, path); err != nil {
		t.Fatalf("script: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "search script ok") {
		t.Fatalf("script output: %s", out.String())
	}
	got := folderSubjects(t, l, dave, "Processados")
	if strings.Join(got, "|") != "Promoção|NF-e 1002" {
		t.Fatalf("Processados holds %q", got)
	}
}

func mustCriteria(t *testing.T, s string) *imap.SearchCriteria {
	t.Helper()
	c, err := mail.ParseSearchCriteria(s)
	if err != nil {
		t.Fatalf("ParseSearchCriteria(%q): %v", s, err)
	}
	return c
}

func mustSearch(t *testing.T, c *mail.IMAPClient, s string) []uint32 {
	t.Helper()
	got, err := c.Search(mustCriteria(t, s), false)
	if err != nil {
		t.Fatalf("Search(%q): %v", s, err)
	}
	return got
}
