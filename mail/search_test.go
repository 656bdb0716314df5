package mail

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseSearchCriteria(t *testing.T) {
	dec1 := day(2026, time.December, 1)
	tests := []struct {
		in   string
		want imap.SearchCriteria
	}{
		{"ALL", imap.SearchCriteria{}},
		{"all", imap.SearchCriteria{}},
		{"SEEN", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}},
		{"unseen", imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}},
		{"ANSWERED UNFLAGGED", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagAnswered}, NotFlag: []imap.Flag{imap.FlagFlagged}}},
		{"DELETED UNDELETED DRAFT UNDRAFT UNANSWERED FLAGGED", imap.SearchCriteria{
			Flag:    []imap.Flag{imap.FlagDeleted, imap.FlagDraft, imap.FlagFlagged},
			NotFlag: []imap.Flag{imap.FlagDeleted, imap.FlagDraft, imap.FlagAnswered}}},
		{"NEW", imap.SearchCriteria{Flag: []imap.Flag{flagRecent}, NotFlag: []imap.Flag{imap.FlagSeen}}},
		{"OLD", imap.SearchCriteria{NotFlag: []imap.Flag{flagRecent}}},
		{"RECENT", imap.SearchCriteria{Flag: []imap.Flag{flagRecent}}},
		{`FROM fornecedor@x.com.br`, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "fornecedor@x.com.br"}}}},
		{`to "a b" cc c BCC d`, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "To", Value: "a b"}, {Key: "Cc", Value: "c"}, {Key: "Bcc", Value: "d"}}}},
		{`SUBJECT "Relatório de Março"`, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "Relatório de Março"}}}},
		{`SUBJECT Promoção`, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "Promoção"}}}},
		{"SUBJECT \"Rel\xf3rio\"", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "Relório"}}}}, // Windows-1252
		{`SUBJECT "say \"hi\" \\o/"`, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: `say "hi" \o/`}}}},
		{`SUBJECT ""`, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: ""}}}},
		{`HEADER X-Mailer "Protheus 12"`, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "X-Mailer", Value: "Protheus 12"}}}},
		{`BODY pedido TEXT "nota fiscal"`, imap.SearchCriteria{Body: []string{"pedido"}, Text: []string{"nota fiscal"}}},
		{`KEYWORD $Fatura UNKEYWORD $Junk`, imap.SearchCriteria{Flag: []imap.Flag{"$Fatura"}, NotFlag: []imap.Flag{"$Junk"}}},
		{"SINCE 01-Dec-2026", imap.SearchCriteria{Since: dec1}},
		{"since 1-dec-2026", imap.SearchCriteria{Since: dec1}},
		{`SINCE "01-DEC-2026"`, imap.SearchCriteria{Since: dec1}},
		{"BEFORE 01-Dec-2026", imap.SearchCriteria{Before: dec1}},
		{"ON 01-Dec-2026", imap.SearchCriteria{Since: dec1, Before: dec1.AddDate(0, 0, 1)}},
		{"SINCE 01-Nov-2026 SINCE 01-Dec-2026 BEFORE 31-Dec-2026 BEFORE 05-Jan-2027", imap.SearchCriteria{Since: dec1, Before: day(2026, time.December, 31)}},
		{"SENTSINCE 01-Dec-2026 SENTBEFORE 03-Dec-2026", imap.SearchCriteria{SentSince: dec1, SentBefore: day(2026, time.December, 3)}},
		{"SENTON 29-Feb-2028", imap.SearchCriteria{SentSince: day(2028, time.February, 29), SentBefore: day(2028, time.March, 1)}},
		{"LARGER 1000 SMALLER 50000 LARGER 10 SMALLER 90000", imap.SearchCriteria{Larger: 1000, Smaller: 50000}},
		{"LARGER 0", imap.SearchCriteria{}},
		{"SMALLER 0", imap.SearchCriteria{Not: []imap.SearchCriteria{{}}}},
		{"UID 5:*", imap.SearchCriteria{UID: []imap.UIDSet{{{Start: 5, Stop: 0}}}}},
		{"uid 1,3,7:9", imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(1, 3, 7, 8, 9)}}},
		{"1:3", imap.SearchCriteria{SeqNum: []imap.SeqSet{imap.SeqSetNum(1, 2, 3)}}},
		{"*", imap.SearchCriteria{SeqNum: []imap.SeqSet{{{Start: 0, Stop: 0}}}}},
		{"NOT SEEN", imap.SearchCriteria{Not: []imap.SearchCriteria{{Flag: []imap.Flag{imap.FlagSeen}}}}},
		{"NOT (SEEN FROM x)", imap.SearchCriteria{Not: []imap.SearchCriteria{{
			Flag: []imap.Flag{imap.FlagSeen}, Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "x"}}}}}},
		{"OR FROM a FROM b", imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{
			{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "a"}}},
			{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "b"}}}}}}},
		{"(UNSEEN) (FLAGGED (DRAFT))", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged, imap.FlagDraft}, NotFlag: []imap.Flag{imap.FlagSeen}}},
		{"  UNSEEN\tFLAGGED  ", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}, NotFlag: []imap.Flag{imap.FlagSeen}}},
		{"OR(SEEN)(DRAFT)", imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{{Flag: []imap.Flag{imap.FlagSeen}}, {Flag: []imap.Flag{imap.FlagDraft}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSearchCriteria(tt.in)
			if err != nil {
				t.Fatalf("ParseSearchCriteria(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("ParseSearchCriteria(%q)\n got %+v\nwant %+v", tt.in, *got, tt.want)
			}
		})
	}
}

func TestParseSearchCriteriaErrors(t *testing.T) {
	tests := []struct {
		in   string
		pos  int
		want string
	}{
		{"", 1, "criteria is empty"},
		{"   ", 4, "criteria is empty"},
		{"UNSEEN SINCE x", 14, "expected a date after SINCE"},
		{"UNSEEN SINCE", 13, "expected a date after SINCE"},
		{"SINCE 31-Feb-2026", 7, "expected a date after SINCE"},
		{"SINCE 2026-12-01", 7, "expected a date after SINCE"},
		{"FROM", 5, "expected a string after FROM"},
		{"FROM )", 6, "expected a string after FROM"},
		{"UNSEEN BOGUS", 8, `unknown search key "BOGUS"`},
		{"(UNSEEN", 1, "unclosed ("},
		{"UNSEEN)", 7, "unbalanced )"},
		{"()", 2, "empty parentheses"},
		{`SUBJECT "abc`, 9, "unterminated quoted string"},
		{`SUBJECT "a\nb"`, 11, `invalid escape`},
		{"SUBJECT \"a\r\nb\"", 11, "CR, LF or NUL"},
		{"SUBJECT a\x00", 10, "CR, LF or NUL"},
		{"SUBJECT {3}", 9, "literals"},
		{"NOT", 4, "expected a search key after NOT"},
		{"OR SEEN", 8, "expected a search key after OR"},
		{"LARGER -1", 8, "expected a number after LARGER"},
		{"LARGER 99999999999", 8, "expected a number after LARGER"},
		{"UID 0", 5, "invalid message number"},
		{"UID 1:x", 5, "invalid message number"},
		{"1:0", 1, "invalid message number"},
		{"3,,4", 1, "invalid message number"},
		{"KEYWORD \\Seen", 9, "needs a keyword"},
		{"HEADER \"a b\" c", 8, "header field name"},
		{`"SEEN"`, 1, "got a string"},
		{"$", 1, "$ is not supported"},
		{strings.Repeat("(", 40) + "SEEN" + strings.Repeat(")", 40), 33, "nested deeper than 32"},
		{strings.Repeat("NOT ", 40) + "SEEN", 129, "nested deeper than 32"},
		{strings.Repeat("SEEN ", 501), 2501, "more than 500 search keys"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseSearchCriteria(tt.in)
			if CodeOf(err) != ErrInvalidArgument {
				t.Fatalf("ParseSearchCriteria(%q) = %v, want ErrInvalidArgument", tt.in, err)
			}
			var se *SearchSyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%v is not a *SearchSyntaxError", err)
			}
			if se.Pos != tt.pos || !strings.Contains(se.Msg, tt.want) {
				t.Fatalf("ParseSearchCriteria(%q): position %d %q, want position %d containing %q", tt.in, se.Pos, se.Msg, tt.pos, tt.want)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("search criteria: position %d: ", tt.pos)) {
				t.Fatalf("error text %q lacks the position", err)
			}
		})
	}
	if _, err := ParseSearchCriteria(strings.Repeat("A", maxSearchLen+1)); CodeOf(err) != ErrInvalidArgument {
		t.Fatalf("over-long criteria: %v", err)
	}
}

func TestSearchTermsCriteria(t *testing.T) {
	dec1 := day(2026, time.December, 1)
	str := func(s string) SearchArg { return SearchArg{Text: s} }
	list := func(ts ...SearchTerm) SearchArg { return SearchArg{Terms: ts, IsList: true} }
	tests := []struct {
		name  string
		terms []SearchTerm
		want  imap.SearchCriteria
	}{
		{"date value", []SearchTerm{{Key: "SINCE", Args: []SearchArg{{Date: time.Date(2026, 12, 1, 15, 4, 5, 0, time.Local)}}}},
			imap.SearchCriteria{Since: dec1}},
		{"DtoS and DtoC strings", []SearchTerm{{Key: "since", Args: []SearchArg{str("20261201")}}, {Key: "Before", Args: []SearchArg{str("31/12/2026")}}},
			imap.SearchCriteria{Since: dec1, Before: day(2026, time.December, 31)}},
		{"IMAP date string", []SearchTerm{{Key: "ON", Args: []SearchArg{str("01-Dec-2026")}}},
			imap.SearchCriteria{Since: dec1, Before: dec1.AddDate(0, 0, 1)}},
		{"strings and flags", []SearchTerm{{Key: "UNSEEN"}, {Key: "FROM", Args: []SearchArg{str("x@y")}}, {Key: "HEADER", Args: []SearchArg{str("X-A"), str("b")}}},
			imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}, Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "x@y"}, {Key: "X-A", Value: "b"}}}},
		{"numbers", []SearchTerm{{Key: "LARGER", Args: []SearchArg{{Num: 100, IsNum: true}}}, {Key: "UID", Args: []SearchArg{{Num: 7, IsNum: true}}}, {Key: "2:4"}},
			imap.SearchCriteria{Larger: 100, UID: []imap.UIDSet{imap.UIDSetNum(7)}, SeqNum: []imap.SeqSet{imap.SeqSetNum(2, 3, 4)}}},
		{"NOT list", []SearchTerm{{Key: "NOT", Args: []SearchArg{list(SearchTerm{Key: "SEEN"})}}},
			imap.SearchCriteria{Not: []imap.SearchCriteria{{Flag: []imap.Flag{imap.FlagSeen}}}}},
		{"NOT text", []SearchTerm{{Key: "NOT", Args: []SearchArg{str("SEEN")}}},
			imap.SearchCriteria{Not: []imap.SearchCriteria{{Flag: []imap.Flag{imap.FlagSeen}}}}},
		{"OR", []SearchTerm{{Key: "OR", Args: []SearchArg{list(SearchTerm{Key: "FROM", Args: []SearchArg{str("a")}}), str("FROM b")}}},
			imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{
				{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "a"}}},
				{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "b"}}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SearchTermsCriteria(tt.terms)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("\n got %+v\nwant %+v", *got, tt.want)
			}
		})
	}

	errs := []struct {
		name  string
		terms []SearchTerm
		term  int
		want  string
	}{
		{"empty", nil, 0, "empty criteria"},
		{"no date", []SearchTerm{{Key: "UNSEEN"}, {Key: "SINCE", Args: []SearchArg{str("ontem")}}}, 2, "expected a date after SINCE"},
		{"missing arg", []SearchTerm{{Key: "FROM"}}, 1, "expected a string after FROM"},
		{"extra arg", []SearchTerm{{Key: "SEEN", Args: []SearchArg{str("x")}}}, 1, "takes 0 argument(s), got 1"},
		{"unknown", []SearchTerm{{Key: "FROMM", Args: []SearchArg{str("x")}}}, 1, "unknown search key"},
		{"CR", []SearchTerm{{Key: "SUBJECT", Args: []SearchArg{str("a\r\nBCC x")}}}, 1, "CR, LF or NUL"},
		{"bad number", []SearchTerm{{Key: "LARGER", Args: []SearchArg{{Num: 1.5, IsNum: true}}}}, 1, "whole number"},
		{"bad NOT text", []SearchTerm{{Key: "NOT", Args: []SearchArg{str("SINCE x")}}}, 1, `NOT "SINCE x": position 7: expected a date`},
		{"empty key", []SearchTerm{{Key: " "}}, 1, "empty search key"},
	}
	for _, tt := range errs {
		t.Run("error "+tt.name, func(t *testing.T) {
			_, err := SearchTermsCriteria(tt.terms)
			var se *SearchSyntaxError
			if CodeOf(err) != ErrInvalidArgument || !errors.As(err, &se) {
				t.Fatalf("got %v, want an ErrInvalidArgument syntax error", err)
			}
			if se.Term != tt.term || !strings.Contains(se.Msg, tt.want) {
				t.Fatalf("got term %d %q, want term %d containing %q", se.Term, se.Msg, tt.term, tt.want)
			}
		})
	}
}

func FuzzSearchCriteria(f *testing.F) {
	for _, s := range []string{
		"ALL", "UNSEEN FROM fornecedor SINCE 01-Dec-2026", `OR (SUBJECT "a b") NOT HEADER X-A ""`,
		"UID 1:*,5", "1,2:3 LARGER 5 SMALLER 0", `SUBJECT "Relatório \"x\""`, "((NOT (OR SEEN DRAFT)))",
		"KEYWORD $x SENTON 1-jan-2000", "NEW OLD RECENT", "SUBJECT {3}", "\x00\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseSearchCriteria(s)
		if err != nil {
			var se *SearchSyntaxError
			if CodeOf(err) != ErrInvalidArgument || !errors.As(err, &se) {
				t.Fatalf("%q: error %v is not a syntax error", s, err)
			}
			if se.Pos < 0 || se.Pos > len(s)+1 {
				t.Fatalf("%q: position %d out of range", s, se.Pos)
			}
			return
		}
		if c == nil {
			t.Fatalf("%q: nil criteria without error", s)
		}
		checkSearchStrings(t, s, c)
	})
}

// checkSearchStrings asserts that no string of c can break the command line.
func checkSearchStrings(t *testing.T, in string, c *imap.SearchCriteria) {
	t.Helper()
	var all []string
	for _, h := range c.Header {
		all = append(all, h.Key, h.Value)
	}
	all = append(all, c.Body...)
	all = append(all, c.Text...)
	for _, s := range all {
		if strings.ContainsAny(s, "\r\n\x00") {
			t.Fatalf("%q: string %q has CR/LF/NUL", in, s)
		}
	}
	for i := range c.Not {
		checkSearchStrings(t, in, &c.Not[i])
	}
	for i := range c.Or {
		checkSearchStrings(t, in, &c.Or[i][0])
		checkSearchStrings(t, in, &c.Or[i][1])
	}
}

// ---- against the in-process server ----

// searchSeed is the test mailbox: [seq-1] -> message.
type searchSeed struct {
	from, to, cc, subject, body string
	date                        string // Date header
	internal                    time.Time
	flags                       []imap.Flag
	extra                       string // more header lines
}

var searchSeeds = []searchSeed{
	{from: "Fornecedor <nfe@fornecedor.com.br>", to: "compras@empresa.com.br", subject: "NF-e 1001",
		body: "pedido 100", date: "Tue, 01 Dec 2026 10:00:00 -0300", internal: day(2026, 12, 1), flags: []imap.Flag{imap.FlagSeen}, extra: "X-Origem: portal\r\n"},
	{from: "Bob <bob@outro.com>", to: "compras@empresa.com.br", cc: "carol@empresa.com.br", subject: "=?ISO-8859-1?Q?Relat=F3rio_de_Mar=E7o?=",
		body: "vendas", date: "Mon, 30 Nov 2026 09:00:00 +0000", internal: day(2026, 11, 30)},
	{from: "Fornecedor <nfe@fornecedor.com.br>", to: "compras@empresa.com.br", subject: "=?UTF-8?B?UHJvbW/Dp8Ojbw==?=", // Promoção
		body: strings.Repeat("grande ", 400), date: "Wed, 02 Dec 2026 08:00:00 +0000", internal: day(2026, 12, 2),
		flags: []imap.Flag{imap.FlagFlagged, imap.FlagAnswered, "$Fatura"}},
	{from: "Rascunho <eu@empresa.com.br>", to: "x@y.com", subject: "Rascunho", body: "draft",
		date: "Thu, 03 Dec 2026 08:00:00 +0000", internal: day(2026, 12, 3), flags: []imap.Flag{imap.FlagDraft, imap.FlagDeleted}},
}

func (s searchSeed) raw(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\n", s.from, s.to)
	if s.cc != "" {
		fmt.Fprintf(&b, "Cc: %s\r\n", s.cc)
	}
	fmt.Fprintf(&b, "Subject: %s\r\nDate: %s\r\nMessage-ID: <s%d@example.com>\r\n%sContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		s.subject, s.date, n, s.extra, s.body)
	return b.String()
}

func seedSearch(t *testing.T, srv *imapTestServer) {
	t.Helper()
	for i, s := range searchSeeds {
		if _, err := srv.User.Append("INBOX", bytes.NewReader([]byte(s.raw(i+1))), &imap.AppendOptions{Flags: s.flags, Time: s.internal.Add(12 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIMAPSearch(t *testing.T) {
	cases := []struct {
		criteria string
		want     []uint32
	}{
		{"ALL", []uint32{1, 2, 3, 4}},
		{"SEEN", []uint32{1}},
		{"UNSEEN", []uint32{2, 3, 4}},
		{"ANSWERED", []uint32{3}},
		{"UNANSWERED", []uint32{1, 2, 4}},
		{"FLAGGED", []uint32{3}},
		{"DELETED", []uint32{4}},
		{"UNDELETED", []uint32{1, 2, 3}},
		{"DRAFT", []uint32{4}},
		{"KEYWORD $Fatura", []uint32{3}},
		{"UNKEYWORD $Fatura", []uint32{1, 2, 4}},
		{"FROM fornecedor.com.br", []uint32{1, 3}},
		{"from FORNECEDOR UNSEEN", []uint32{3}},
		{"TO compras@empresa.com.br", []uint32{1, 2, 3}},
		{"CC carol", []uint32{2}},
		{`SUBJECT "Relatório de Março"`, []uint32{2}},
		{"SUBJECT Promoção", []uint32{3}},
		{"SUBJECT nada-disso", []uint32{}},
		{`HEADER X-Origem portal`, []uint32{1}},
		{"BODY pedido", []uint32{1}},
		{"TEXT vendas", []uint32{2}},
		{"SINCE 02-Dec-2026", []uint32{3, 4}},
		{"BEFORE 01-Dec-2026", []uint32{2}},
		{"ON 01-Dec-2026", []uint32{1}},
		{"SENTSINCE 02-Dec-2026", []uint32{3, 4}},
		{"SENTBEFORE 01-Dec-2026", []uint32{2}},
		{"LARGER 2000", []uint32{3}},
		{"SMALLER 2000", []uint32{1, 2, 4}},
		{"SMALLER 0", []uint32{}},
		{"2:3", []uint32{2, 3}},
		{"UID 1,4", []uint32{1, 4}},
		{"NOT FROM fornecedor", []uint32{2, 4}},
		{"OR SEEN DRAFT", []uint32{1, 4}},
		{"UNSEEN (OR FLAGGED (CC carol))", []uint32{2, 3}},
		{"NEW", []uint32{}}, // imapmemserver keeps no \Recent
		{"OLD", []uint32{1, 2, 3, 4}},
	}
	for _, caps := range []struct {
		name    string
		caps    imap.CapSet
		esearch bool
	}{
		{"plain SEARCH", imapCapsFull, false},
		{"ESEARCH", imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapESearch: {}, imap.CapLiteralPlus: {}}, true},
		{"IMAP4rev2", imapCapsRev2, true},
		{"bare (synchronising literals)", imapCapsBare, false},
	} {
		t.Run(caps.name, func(t *testing.T) {
			srv := startIMAPTestServer(t, imapServerConfig{caps: caps.caps})
			seedSearch(t, srv)
			tr := &imapTestTrace{}
			c := srv.mustDial(t, imapDial{trace: tr})
			for _, tc := range cases {
				crit, err := ParseSearchCriteria(tc.criteria)
				if err != nil {
					t.Fatal(err)
				}
				for _, uid := range []bool{false, true} {
					got, err := c.Search(crit, uid)
					if err != nil {
						t.Fatalf("Search(%q, uid=%v): %v", tc.criteria, uid, err)
					}
					// UIDs are 1..4 in seeding order: the same numbers.
					if !reflect.DeepEqual(got, tc.want) {
						t.Errorf("Search(%q, uid=%v) = %v, want %v", tc.criteria, uid, got, tc.want)
					}
				}
			}
			trace := tr.String()
			n := tr.commands("SEARCH")
			if want := 2 * len(cases); n != want {
				t.Errorf("%d SEARCH commands, want %d (one per Search)", n, want)
			}
			if got := strings.Contains(trace, "SEARCH RETURN (ALL)"); got != caps.esearch {
				t.Errorf("RETURN (ALL) sent = %v, want %v", got, caps.esearch)
			}
			if caps.esearch && !strings.Contains(trace, "* ESEARCH") {
				t.Errorf("no ESEARCH answer in the trace")
			}
			if !caps.caps.Has(imap.CapIMAP4rev2) && !strings.Contains(trace, "CHARSET UTF-8") {
				t.Errorf("non-ASCII SUBJECT sent without CHARSET UTF-8")
			}
		})
	}
}

func TestIMAPSearchAfterExpunge(t *testing.T) {
	srv := startIMAPTestServer(t, imapServerConfig{})
	seedSearch(t, srv)
	c := srv.mustDial(t, imapDial{})
	if err := c.DeleteMsgs([]uint32{1}, false); err != nil {
		t.Fatal(err)
	}
	crit, _ := ParseSearchCriteria("FROM fornecedor")
	seq, err := c.Search(crit, false)
	if err != nil {
		t.Fatal(err)
	}
	uids, err := c.Search(crit, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(seq, []uint32{2}) || !reflect.DeepEqual(uids, []uint32{3}) {
		t.Fatalf("after expunge: seq %v uids %v, want [2] [3]", seq, uids)
	}
	// The numbers feed Move directly.
	if err := c.Create("Processados"); err != nil {
		t.Fatal(err)
	}
	if err := c.Move(uids, true, "Processados"); err != nil {
		t.Fatal(err)
	}
	if got := imapSubjects(srv.Observe(t, "Processados")); !reflect.DeepEqual(got, []string{"Promoção"}) {
		t.Fatalf("moved %v", got)
	}
}

func TestIMAPSearchErrors(t *testing.T) {
	srv := startIMAPTestServer(t, imapServerConfig{})
	c := srv.mustDial(t, imapDial{})
	_, err := c.Search(nil, false)
	imapWantCode(t, "nil criteria", err, ErrInvalidArgument)
	if _, err := c.Select("INBOX"); err != nil {
		t.Fatal(err)
	}
	// A criteria the server refuses (BAD): ErrCommandFailed with the reply.
	_, err = c.Search(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "X", Value: "y"}}, ModSeq: &imap.SearchCriteriaModSeq{ModSeq: 1}}, false)
	imapWantCode(t, "MODSEQ without CONDSTORE", err, ErrCommandFailed)
	if !strings.Contains(err.Error(), "BAD") && !strings.Contains(err.Error(), "NO") {
		t.Fatalf("error %q lacks the server reply", err)
	}
	c.Close()
	_, err = c.Search(&imap.SearchCriteria{}, false)
	imapWantCode(t, "closed", err, ErrNoConnection)
}

func TestSearchReplaceRecent(t *testing.T) {
	crit, err := ParseSearchCriteria("NEW OR OLD SEEN NOT RECENT")
	if err != nil {
		t.Fatal(err)
	}
	recent := imap.UIDSetNum(7, 8)
	got := searchReplaceRecent(crit, recent)
	if searchHasRecent(got) {
		t.Fatalf("\\Recent left in %+v", got)
	}
	if !searchHasRecent(crit) {
		t.Fatal("the input was changed")
	}
	want := imap.SearchCriteria{
		UID:     []imap.UIDSet{recent},
		NotFlag: []imap.Flag{imap.FlagSeen},
		Not:     []imap.SearchCriteria{{UID: []imap.UIDSet{recent}}},
		Or: [][2]imap.SearchCriteria{{
			{Not: []imap.SearchCriteria{{UID: []imap.UIDSet{recent}}}},
			{Flag: []imap.Flag{imap.FlagSeen}},
		}},
	}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("\n got %+v\nwant %+v", *got, want)
	}
	none := searchReplaceRecent(&imap.SearchCriteria{Flag: []imap.Flag{flagRecent}}, nil)
	if len(none.Not) != 1 || !reflect.DeepEqual(none.Not[0], imap.SearchCriteria{}) {
		t.Fatalf("RECENT with no recent message should be NOT ALL, got %+v", none)
	}
}
