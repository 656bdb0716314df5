package bindings

import (
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
)

// Bounds of the Lua array form of SearchMsgs (cycles, huge tables).
const (
	searchMaxDepth = 40
	searchMaxTerms = 500
)

// searchMember is SearchMsgs on TMailManager.
var searchMember = Member{Name: "SearchMsgs",
	Params: params(req("xCriteria", TypeChar+"|"+TypeArray,
		`IMAP SEARCH criteria text ("UNSEEN FROM fornecedor.com.br SINCE 01-Dec-2026") or the array form {{"SINCE", dDate}, {"FROM", "x"}, {"NOT", {"SEEN"}}}`)),
	Returns: rets(ret("aMsgs", TypeArray, "matching message numbers, ascending ({} when none): sequence numbers, or UIDs after SetUseRealID(.T.); nil on error")),
	Doc: "advmail extension: asks the server which messages of the selected folder match (one SEARCH; ESEARCH when offered). " +
		"The numbers go straight to MoveMsgs/CopyMsgs/DeleteMsgs and TMailMessage:Receive. A criteria that does not parse is " +
		"refused before anything is sent (error 21, GetErrorString gives the position). Over POP3: nil and error 28." +
		" IMAP only: returns nil (GetErrorString: no connection / wrong protocol) without an IMAP session."}

// mngSearchMember is SearchMsgs on TMailMng.
var mngSearchMember = Member{Name: "SearchMsgs",
	Params: params(req("xCriteria", TypeChar+"|"+TypeArray, "criteria text or array form, as TMailManager:SearchMsgs"),
		ref("aMsgs", TypeArray, "by reference: receives the message numbers (a table passed is filled in place)")),
	Returns: rets(ret("nErr", TypeNum, "0 = success, else an error code for GetErrorString"),
		ret("aMsgs", TypeArray, "matching message numbers, ascending ({} when none or on error): UIDs with lUseRealID = .T., else sequence numbers")),
	Doc: "advmail extension: nErr, aMsgs = oMng:SearchMsgs(xCriteria, aMsgs) — server-side search of the current folder " +
		"(as TMailManager:SearchMsgs, answering a code). Error 21 for criteria that do not parse." +
		" IMAP only: error 28 over POP3, 6 without a session."}

// searchCriteria reads argument n of SearchMsgs: criteria text or the
// array form. A value of another type raises a Lua error.
func searchCriteria(c *Call, n int) (*imap.SearchCriteria, error) {
	switch v := c.Arg(n).(type) {
	case lua.LString:
		return mail.ParseSearchCriteria(string(v))
	case *lua.LTable:
		cv := &searchConv{}
		terms, err := cv.terms(v, 0)
		if err != nil {
			return nil, mail.NewError(mail.ErrInvalidArgument, "imap search", "", &mail.SearchSyntaxError{Msg: err.Error()})
		}
		return mail.SearchTermsCriteria(terms)
	}
	c.argTypeError(n, "character or an array")
	return nil, nil
}

// searchConv converts the Lua array form to mail.SearchTerm values.
type searchConv struct {
	n int // terms converted
}

// terms converts a table: {"KEY", args...} is one term, {{...}, {...}} a
// list of terms (a string element is a key without arguments).
func (cv *searchConv) terms(t *lua.LTable, depth int) ([]mail.SearchTerm, error) {
	if depth > searchMaxDepth {
		return nil, fmt.Errorf("array nested deeper than %d levels", searchMaxDepth)
	}
	if _, ok := t.RawGetInt(1).(lua.LString); ok {
		term, err := cv.term(t, depth)
		if err != nil {
			return nil, err
		}
		return []mail.SearchTerm{term}, nil
	}
	var out []mail.SearchTerm
	for i := 1; i <= t.Len(); i++ {
		switch e := t.RawGetInt(i).(type) {
		case *lua.LTable:
			if _, ok := e.RawGetInt(1).(lua.LString); !ok {
				return nil, fmt.Errorf("element %d: expected a term such as {\"SEEN\"} or {\"FROM\", \"x\"}", i)
			}
			term, err := cv.term(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out = append(out, term)
		case lua.LString:
			if err := cv.count(); err != nil {
				return nil, err
			}
			out = append(out, mail.SearchTerm{Key: string(e)})
		default:
			return nil, fmt.Errorf("element %d: expected a term such as {\"SEEN\"}, got %s", i, e.Type())
		}
	}
	return out, nil
}

func (cv *searchConv) count() error {
	cv.n++
	if cv.n > searchMaxTerms {
		return fmt.Errorf("more than %d terms", searchMaxTerms)
	}
	return nil
}

// term converts {"KEY", arg, ...}.
func (cv *searchConv) term(t *lua.LTable, depth int) (mail.SearchTerm, error) {
	if err := cv.count(); err != nil {
		return mail.SearchTerm{}, err
	}
	term := mail.SearchTerm{Key: string(t.RawGetInt(1).(lua.LString))}
	for i := 2; i <= t.Len(); i++ {
		a, err := cv.arg(t.RawGetInt(i), depth)
		if err != nil {
			return mail.SearchTerm{}, fmt.Errorf("%s: argument %d: %w", term.Key, i-1, err)
		}
		term.Args = append(term.Args, a)
	}
	return term, nil
}

// dateValue is what the runtime's date values (runtime.Date) offer.
type dateValue interface {
	IsZero() bool
	Time() time.Time
}

func (cv *searchConv) arg(v lua.LValue, depth int) (mail.SearchArg, error) {
	switch v := v.(type) {
	case lua.LString:
		return mail.SearchArg{Text: string(v)}, nil
	case lua.LNumber:
		return mail.SearchArg{Num: float64(v), IsNum: true}, nil
	case *lua.LTable:
		ts, err := cv.terms(v, depth+1)
		if err != nil {
			return mail.SearchArg{}, err
		}
		return mail.SearchArg{Terms: ts, IsList: true}, nil
	case *lua.LUserData:
		if d, ok := v.Value.(dateValue); ok {
			if d.IsZero() {
				return mail.SearchArg{}, errors.New("empty date")
			}
			return mail.SearchArg{Date: d.Time()}, nil
		}
	}
	return mail.SearchArg{}, fmt.Errorf("expected a string, number, date or array, got %s", v.Type())
}

// searchNumbers builds the Lua array of message numbers.
func searchNumbers(ids []uint32) []lua.LValue {
	out := make([]lua.LValue, len(ids))
	for i, id := range ids {
		out[i] = lua.LNumber(id)
	}
	return out
}

func (m *manager) luaSearchMsgs(c *Call) int {
	crit, err := searchCriteria(c, 1)
	if err != nil {
		m.record(err)
		return c.Push(lua.LNil)
	}
	cl, ok := m.needIMAP("imap search")
	if !ok {
		return c.Push(lua.LNil)
	}
	ids, err := cl.Search(crit, m.useRealID)
	if m.record(err) != 0 {
		return c.Push(lua.LNil)
	}
	return c.Push(fill(c.L, nil, searchNumbers(ids)))
}

func (g *mng) luaSearchMsgs(c *Call) int {
	dst, _ := c.Arg(2).(*lua.LTable)
	crit, err := searchCriteria(c, 1)
	if err != nil {
		return c.Push(lua.LNumber(g.record(err)), fill(c.L, dst, nil))
	}
	if g.imap == nil {
		return c.Push(lua.LNumber(g.noRecv("imap search", true)), fill(c.L, dst, nil))
	}
	g.syncRecv()
	ids, err := g.imap.Search(crit, g.useRealID)
	if code := g.record(err); code != 0 {
		return c.Push(lua.LNumber(code), fill(c.L, dst, nil))
	}
	return c.Push(lua.LNumber(0), fill(c.L, dst, searchNumbers(ids)))
}
