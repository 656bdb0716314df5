package mail

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"golang.org/x/text/encoding/charmap"
)

// Bounds of a search criteria (text or array form).
const (
	maxSearchLen   = 16 << 10 // bytes of criteria text
	maxSearchDepth = 32       // nesting of NOT, OR and parentheses
	maxSearchKeys  = 500      // search keys in one criteria
)

// flagRecent is the obsolete \Recent flag (RECENT, NEW and OLD). go-imap
// cannot send it as a search key: Search replaces it by the UIDs of the
// recent messages.
const flagRecent imap.Flag = `\Recent`

// SearchSyntaxError is a search criteria that does not parse. Pos is the
// 1-based byte position of the error in the criteria text; in the array
// form Term is the 1-based index of the element at fault (Pos is 0 then).
type SearchSyntaxError struct {
	Pos  int    // 1-based byte position in the text form; 0 in the array form
	Term int    // 1-based index of the faulty top-level element of the array form; 0 in the text form
	Msg  string // what is wrong, e.g. "expected a date after SINCE"
}

// Error formats as "search criteria: position 14: expected a date after SINCE".
func (e *SearchSyntaxError) Error() string {
	switch {
	case e.Term > 0:
		return fmt.Sprintf("search criteria: term %d: %s", e.Term, e.Msg)
	case e.Pos > 0:
		return fmt.Sprintf("search criteria: position %d: %s", e.Pos, e.Msg)
	}
	return "search criteria: " + e.Msg
}

// searchErr wraps a syntax error as the engine's ErrInvalidArgument.
func searchErr(se *SearchSyntaxError) error {
	return NewError(ErrInvalidArgument, "imap search", "", se)
}

// ParseSearchCriteria parses IMAP SEARCH criteria text (RFC 3501 §6.4.4):
// keys in any letter case, joined by spaces (AND), NOT key, OR key key,
// parentheses; strings quoted ("a \"b\"") or bare atoms, UTF-8 (text that
// is not valid UTF-8 is read as Windows-1252); dates as 01-Dec-2026. An
// error is an *Error with ErrInvalidArgument wrapping a *SearchSyntaxError
// that carries the position. Nothing is sent to a server.
func ParseSearchCriteria(s string) (*imap.SearchCriteria, error) {
	if len(s) > maxSearchLen {
		return nil, searchErr(&SearchSyntaxError{Msg: fmt.Sprintf("criteria longer than %d bytes", maxSearchLen)})
	}
	p := &searchParser{s: s, b: &searchBudget{}}
	c := &imap.SearchCriteria{}
	if err := p.parseAll(c); err != nil {
		return nil, err
	}
	return c, nil
}

// searchBudget counts keys and nesting across a criteria.
type searchBudget struct {
	keys, depth int
}

func (b *searchBudget) enter() error {
	b.depth++
	if b.depth > maxSearchDepth {
		return fmt.Errorf("nested deeper than %d levels", maxSearchDepth)
	}
	return nil
}

func (b *searchBudget) leave() { b.depth-- }

func (b *searchBudget) key() error {
	b.keys++
	if b.keys > maxSearchKeys {
		return fmt.Errorf("more than %d search keys", maxSearchKeys)
	}
	return nil
}

// searchArgs is where the arguments of a search key come from: the criteria
// text or an element of the array form.
type searchArgs interface {
	str(key string) (string, error)
	date(key string) (time.Time, error)
	number(key string) (uint32, error)
	set(key string) (string, error) // a sequence set as text
	sub(key string, c *imap.SearchCriteria) error
	budget() *searchBudget
}

// applySearchKey adds key (upper case) and its arguments to c.
func applySearchKey(c *imap.SearchCriteria, key string, a searchArgs) error {
	if err := a.budget().key(); err != nil {
		return err
	}
	switch key {
	case "ALL":
	case "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "SEEN", "RECENT":
		c.Flag = append(c.Flag, searchSystemFlag(key))
	case "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN":
		c.NotFlag = append(c.NotFlag, searchSystemFlag(key[2:]))
	case "NEW":
		c.Flag = append(c.Flag, flagRecent)
		c.NotFlag = append(c.NotFlag, imap.FlagSeen)
	case "OLD":
		c.NotFlag = append(c.NotFlag, flagRecent)
	case "KEYWORD", "UNKEYWORD":
		s, err := a.str(key)
		if err != nil {
			return err
		}
		if !searchAtom(s) || strings.HasPrefix(s, `\`) {
			return fmt.Errorf("%s needs a keyword (an atom such as $Forwarded), got %q", key, s)
		}
		if key == "KEYWORD" {
			c.Flag = append(c.Flag, imap.Flag(s))
		} else {
			c.NotFlag = append(c.NotFlag, imap.Flag(s))
		}
	case "FROM", "TO", "CC", "BCC", "SUBJECT":
		s, err := a.str(key)
		if err != nil {
			return err
		}
		name := key[:1] + strings.ToLower(key[1:])
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: name, Value: s})
	case "HEADER":
		name, err := a.str(key)
		if err != nil {
			return err
		}
		if !imapFieldName(name) {
			return fmt.Errorf("HEADER needs a header field name, got %q", name)
		}
		value, err := a.str(key + " " + name)
		if err != nil {
			return err
		}
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: name, Value: value})
	case "BODY", "TEXT":
		s, err := a.str(key)
		if err != nil {
			return err
		}
		if key == "BODY" {
			c.Body = append(c.Body, s)
		} else {
			c.Text = append(c.Text, s)
		}
	case "SINCE", "BEFORE", "ON", "SENTSINCE", "SENTBEFORE", "SENTON":
		d, err := a.date(key)
		if err != nil {
			return err
		}
		searchDate(c, key, d)
	case "LARGER", "SMALLER":
		n, err := a.number(key)
		if err != nil {
			return err
		}
		searchSize(c, key, int64(n))
	case "UID":
		s, err := a.set(key)
		if err != nil {
			return err
		}
		var set imap.UIDSet
		if err := parseSearchSet(s, func(lo, hi uint32) { set.AddRange(imap.UID(lo), imap.UID(hi)) }); err != nil {
			return fmt.Errorf("UID: %w", err)
		}
		c.UID = append(c.UID, set)
	case "NOT":
		var not imap.SearchCriteria
		if err := a.sub(key, &not); err != nil {
			return err
		}
		c.Not = append(c.Not, not)
	case "OR":
		var or [2]imap.SearchCriteria
		if err := a.sub(key, &or[0]); err != nil {
			return err
		}
		if err := a.sub(key, &or[1]); err != nil {
			return err
		}
		c.Or = append(c.Or, or)
	default:
		if key != "" && (key[0] == '*' || key[0] >= '0' && key[0] <= '9') {
			var set imap.SeqSet
			if err := parseSearchSet(key, func(lo, hi uint32) { set.AddRange(lo, hi) }); err != nil {
				return err
			}
			c.SeqNum = append(c.SeqNum, set)
			return nil
		}
		if key == "$" {
			return errors.New("the saved search result $ is not supported")
		}
		return fmt.Errorf("unknown search key %q", key)
	}
	return nil
}

func searchSystemFlag(key string) imap.Flag {
	return imap.Flag(`\` + key[:1] + strings.ToLower(key[1:]))
}

// searchDate intersects a date key with c's date range (the range of ON is
// one day).
func searchDate(c *imap.SearchCriteria, key string, d time.Time) {
	next := d.AddDate(0, 0, 1)
	switch key {
	case "SINCE":
		c.Since = laterDate(c.Since, d)
	case "BEFORE":
		c.Before = earlierDate(c.Before, d)
	case "ON":
		c.Since, c.Before = laterDate(c.Since, d), earlierDate(c.Before, next)
	case "SENTSINCE":
		c.SentSince = laterDate(c.SentSince, d)
	case "SENTBEFORE":
		c.SentBefore = earlierDate(c.SentBefore, d)
	case "SENTON":
		c.SentSince, c.SentBefore = laterDate(c.SentSince, d), earlierDate(c.SentBefore, next)
	}
}

func laterDate(a, b time.Time) time.Time {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}

func earlierDate(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// searchSize intersects LARGER/SMALLER with c. go-imap omits a zero size:
// LARGER 0 (every message) adds nothing, SMALLER 0 (no message) becomes
// NOT ALL.
func searchSize(c *imap.SearchCriteria, key string, n int64) {
	switch {
	case key == "LARGER" && n > c.Larger:
		c.Larger = n
	case key == "SMALLER" && n == 0:
		c.Not = append(c.Not, imap.SearchCriteria{})
	case key == "SMALLER" && (c.Smaller == 0 || n < c.Smaller):
		c.Smaller = n
	}
}

// parseSearchSet parses a sequence set ("1", "2:5", "7:*", "1,3,9:10")
// and hands each range to add (0 is *).
func parseSearchSet(s string, add func(lo, hi uint32)) error {
	if s == "" {
		return errors.New("empty message set")
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err := searchSetNum(lo)
		if err != nil {
			return err
		}
		b := a
		if isRange {
			if b, err = searchSetNum(hi); err != nil {
				return err
			}
		}
		add(a, b)
	}
	return nil
}

func searchSetNum(s string) (uint32, error) {
	if s == "*" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 || s[0] == '+' {
		return 0, fmt.Errorf("invalid message number %q in a message set (1..4294967295 or *)", s)
	}
	return uint32(n), nil
}

// searchAtom reports whether s is an IMAP atom (flag keywords).
func searchAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch <= ' ' || ch >= 0x7f || strings.IndexByte(`(){%*"]`, ch) >= 0 || (ch == '\\' && i > 0) {
			return false
		}
	}
	return true
}

// searchText checks a string argument: no CR, LF or NUL (a search string
// is one line), and UTF-8 (anything else is read as Windows-1252).
func searchText(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n\x00") {
		return "", errors.New("a search string cannot contain CR, LF or NUL")
	}
	if !utf8.ValidString(s) {
		u, err := charmap.Windows1252.NewDecoder().String(s)
		if err != nil {
			return "", fmt.Errorf("string is neither UTF-8 nor Windows-1252: %w", err)
		}
		s = u
	}
	return s, nil
}

var searchMonths = map[string]time.Month{
	"JAN": time.January, "FEB": time.February, "MAR": time.March, "APR": time.April,
	"MAY": time.May, "JUN": time.June, "JUL": time.July, "AUG": time.August,
	"SEP": time.September, "OCT": time.October, "NOV": time.November, "DEC": time.December,
}

// parseSearchDate parses an IMAP date (1-Dec-2026, 01-Dec-2026; month in any
// case) to midnight UTC.
func parseSearchDate(s string) (time.Time, bool) {
	ds, rest, ok1 := strings.Cut(s, "-")
	ms, ys, ok2 := strings.Cut(rest, "-")
	if !ok1 || !ok2 || len(ds) < 1 || len(ds) > 2 || len(ys) != 4 {
		return time.Time{}, false
	}
	m, ok := searchMonths[strings.ToUpper(ms)]
	if !ok {
		return time.Time{}, false
	}
	return searchYMD(ys, m, ds)
}

// parseAdvPLDate parses "YYYYMMDD" (DtoS) or "DD/MM/YYYY" (DtoC).
func parseAdvPLDate(s string) (time.Time, bool) {
	if len(s) == 8 && !strings.Contains(s, "/") {
		m, err := strconv.Atoi(s[4:6])
		if err != nil || m < 1 || m > 12 {
			return time.Time{}, false
		}
		return searchYMD(s[:4], time.Month(m), s[6:])
	}
	parts := strings.Split(s, "/")
	if len(parts) != 3 || len(parts[2]) != 4 || len(parts[1]) < 1 || len(parts[1]) > 2 || len(parts[0]) < 1 || len(parts[0]) > 2 {
		return time.Time{}, false
	}
	m, err := strconv.Atoi(parts[1])
	if err != nil || m < 1 || m > 12 {
		return time.Time{}, false
	}
	return searchYMD(parts[2], time.Month(m), parts[0])
}

func searchYMD(ys string, m time.Month, ds string) (time.Time, bool) {
	y, err1 := strconv.Atoi(ys)
	d, err2 := strconv.Atoi(ds)
	if err1 != nil || err2 != nil || y < 1 || d < 1 || strings.ContainsAny(ys+ds, "+-") {
		return time.Time{}, false
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || t.Month() != m {
		return time.Time{}, false // 31-Feb-2026
	}
	return t, true
}

// ---- text form ----

// searchParser reads criteria text.
type searchParser struct {
	s   string
	pos int // byte offset of the next token
	b   *searchBudget
	// tok is the offset of the token being read, for error positions.
	tok int
}

func (p *searchParser) budget() *searchBudget { return p.b }

// fail builds the error at byte offset at (0-based).
func (p *searchParser) fail(at int, format string, args ...any) error {
	return searchErr(&SearchSyntaxError{Pos: at + 1, Msg: fmt.Sprintf(format, args...)})
}

// wrap turns an error of applySearchKey into a positioned one.
func (p *searchParser) wrap(at int, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return p.fail(at, "%v", err)
}

func (p *searchParser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *searchParser) atEnd() bool {
	p.skipSpace()
	return p.pos >= len(p.s)
}

// parseAll parses the whole text into c.
func (p *searchParser) parseAll(c *imap.SearchCriteria) error {
	if i := strings.IndexAny(p.s, "\r\n\x00"); i >= 0 {
		return p.fail(i, "CR, LF or NUL in the criteria (a search string cannot contain line breaks)")
	}
	if p.atEnd() {
		return p.fail(p.pos, "expected a search key (the criteria is empty; use ALL for every message)")
	}
	for !p.atEnd() {
		if p.s[p.pos] == ')' {
			return p.fail(p.pos, "unbalanced )")
		}
		if err := p.parseKey(c); err != nil {
			return err
		}
	}
	return nil
}

// parseKey parses one search key (a parenthesised list counts as one).
func (p *searchParser) parseKey(c *imap.SearchCriteria) error {
	p.skipSpace()
	start := p.pos
	if p.pos >= len(p.s) {
		return p.fail(p.pos, "expected a search key, got the end of the criteria")
	}
	switch ch := p.s[p.pos]; {
	case ch == '(':
		if err := p.b.enter(); err != nil {
			return p.fail(start, "%v", err)
		}
		defer p.b.leave()
		p.pos++
		if p.atEnd() {
			return p.fail(start, "unclosed (")
		}
		if p.s[p.pos] == ')' {
			return p.fail(p.pos, "empty parentheses: expected a search key")
		}
		for {
			if p.atEnd() {
				return p.fail(start, "unclosed (")
			}
			if p.s[p.pos] == ')' {
				p.pos++
				return nil
			}
			if err := p.parseKey(c); err != nil {
				return err
			}
		}
	case ch == ')':
		return p.fail(p.pos, "expected a search key, got )")
	case ch == '"':
		return p.fail(p.pos, "expected a search key, got a string")
	}
	word := p.word()
	key := strings.ToUpper(word)
	if key == "NOT" || key == "OR" {
		if err := p.b.enter(); err != nil {
			return p.fail(start, "%v", err)
		}
		defer p.b.leave()
	}
	p.tok = start
	if err := applySearchKey(c, key, p); err != nil {
		return p.wrap(p.tok, err)
	}
	return nil
}

// word reads an atom: up to a space, parenthesis, quote or the end.
func (p *searchParser) word() string {
	start := p.pos
	for p.pos < len(p.s) && strings.IndexByte(" \t()\"", p.s[p.pos]) < 0 {
		p.pos++
	}
	return p.s[start:p.pos]
}

// arg positions at the next argument of key, failing when there is none.
func (p *searchParser) arg(key, what string) error {
	p.skipSpace()
	p.tok = p.pos
	if p.pos >= len(p.s) || p.s[p.pos] == ')' || p.s[p.pos] == '(' {
		return p.fail(p.pos, "expected %s after %s", what, key)
	}
	return nil
}

// str implements searchArgs: a quoted string or an atom.
func (p *searchParser) str(key string) (string, error) {
	if err := p.arg(key, "a string"); err != nil {
		return "", err
	}
	var s string
	switch p.s[p.pos] {
	case '"':
		q, err := p.quoted()
		if err != nil {
			return "", err
		}
		s = q
	case '{':
		return "", p.fail(p.pos, "literals ({n}) are not supported: write the string in double quotes")
	default:
		s = p.word()
	}
	t, err := searchText(s)
	if err != nil {
		return "", p.fail(p.tok, "%v", err)
	}
	return t, nil
}

// quoted reads a "..." string with \" and \\ escapes.
func (p *searchParser) quoted() (string, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		ch := p.s[p.pos]
		switch ch {
		case '"':
			p.pos++
			return b.String(), nil
		case '\\':
			if p.pos+1 >= len(p.s) || (p.s[p.pos+1] != '"' && p.s[p.pos+1] != '\\') {
				return "", p.fail(p.pos, `invalid escape in a quoted string (only \" and \\)`)
			}
			b.WriteByte(p.s[p.pos+1])
			p.pos += 2
		default:
			b.WriteByte(ch)
			p.pos++
		}
	}
	return "", p.fail(start, "unterminated quoted string")
}

// date implements searchArgs: 01-Dec-2026, optionally quoted.
func (p *searchParser) date(key string) (time.Time, error) {
	if err := p.arg(key, "a date"); err != nil {
		return time.Time{}, err
	}
	var s string
	if p.s[p.pos] == '"' {
		q, err := p.quoted()
		if err != nil {
			return time.Time{}, err
		}
		s = q
	} else {
		s = p.word()
	}
	d, ok := parseSearchDate(s)
	if !ok {
		return time.Time{}, p.fail(p.tok, "expected a date after %s (like 01-Dec-2026), got %q", key, s)
	}
	return d, nil
}

// number implements searchArgs.
func (p *searchParser) number(key string) (uint32, error) {
	if err := p.arg(key, "a number"); err != nil {
		return 0, err
	}
	s := p.word()
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || s[0] == '+' {
		return 0, p.fail(p.tok, "expected a number after %s (0..%d), got %q", key, uint32(math.MaxUint32), s)
	}
	return uint32(n), nil
}

// set implements searchArgs.
func (p *searchParser) set(key string) (string, error) {
	if err := p.arg(key, "a message set"); err != nil {
		return "", err
	}
	return p.word(), nil
}

// sub implements searchArgs: one search key into c.
func (p *searchParser) sub(key string, c *imap.SearchCriteria) error {
	p.skipSpace()
	if p.pos >= len(p.s) || p.s[p.pos] == ')' {
		return p.fail(p.pos, "expected a search key after %s", key)
	}
	return p.parseKey(c)
}

// ---- array form ----

// SearchTerm is one element of the array form of the criteria:
// {"SINCE", dDate}, {"FROM", "x"}, {"NOT", {"SEEN"}}, {"OR", {...}, {...}}.
// Key is one search key in any letter case (or a sequence set such as
// "1:10"); Args are its arguments in order.
type SearchTerm struct {
	Key  string      // search key, any letter case: "SINCE", "from", "1:10"
	Args []SearchArg // its arguments, in order
}

// SearchArg is an argument of a SearchTerm. A string may also hold a date
// (01-Dec-2026, "YYYYMMDD" or "DD/MM/YYYY"), a number or a message set;
// NOT and OR take a list of terms (AND-ed) or criteria text.
type SearchArg struct {
	Text   string       // a string (when no other field is set)
	Date   time.Time    // non-zero: a date value (only its calendar day counts)
	Num    float64      // a number, with IsNum
	IsNum  bool         // Num holds the argument
	Terms  []SearchTerm // a list of terms, with IsList
	IsList bool         // Terms holds the argument
}

// SearchTermsCriteria converts the array form to a criteria (the terms are
// AND-ed). Errors are *Error with ErrInvalidArgument wrapping a
// *SearchSyntaxError naming the top-level term.
func SearchTermsCriteria(terms []SearchTerm) (*imap.SearchCriteria, error) {
	if len(terms) == 0 {
		return nil, searchErr(&SearchSyntaxError{Msg: "empty criteria: expected at least one term (use {\"ALL\"} for every message)"})
	}
	b := &searchBudget{}
	c := &imap.SearchCriteria{}
	for i, t := range terms {
		if err := applyTerm(c, t, b); err != nil {
			return nil, searchErr(&SearchSyntaxError{Term: i + 1, Msg: err.Error()})
		}
	}
	return c, nil
}

func applyTerm(c *imap.SearchCriteria, t SearchTerm, b *searchBudget) error {
	key := strings.ToUpper(strings.TrimSpace(t.Key))
	if key == "" {
		return errors.New("empty search key")
	}
	if key == "NOT" || key == "OR" {
		if err := b.enter(); err != nil {
			return err
		}
		defer b.leave()
	}
	a := &termArgs{t: t, b: b}
	if err := applySearchKey(c, key, a); err != nil {
		return err
	}
	if a.n < len(t.Args) {
		return fmt.Errorf("%s takes %d argument(s), got %d", key, a.n, len(t.Args))
	}
	return nil
}

// termArgs reads the arguments of one SearchTerm.
type termArgs struct {
	t SearchTerm
	n int // arguments consumed
	b *searchBudget
}

func (a *termArgs) budget() *searchBudget { return a.b }

func (a *termArgs) next(key, what string) (SearchArg, error) {
	if a.n >= len(a.t.Args) {
		return SearchArg{}, fmt.Errorf("expected %s after %s", what, key)
	}
	v := a.t.Args[a.n]
	a.n++
	return v, nil
}

func (a *termArgs) str(key string) (string, error) {
	v, err := a.next(key, "a string")
	if err != nil {
		return "", err
	}
	switch {
	case v.IsNum:
		return strconv.FormatFloat(v.Num, 'f', -1, 64), nil
	case v.IsList || !v.Date.IsZero():
		return "", fmt.Errorf("%s expects a string", key)
	}
	return searchText(v.Text)
}

func (a *termArgs) date(key string) (time.Time, error) {
	v, err := a.next(key, "a date")
	if err != nil {
		return time.Time{}, err
	}
	if !v.Date.IsZero() {
		y, m, d := v.Date.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	if !v.IsNum && !v.IsList {
		s := strings.TrimSpace(v.Text)
		if d, ok := parseSearchDate(s); ok {
			return d, nil
		}
		if d, ok := parseAdvPLDate(s); ok {
			return d, nil
		}
	}
	return time.Time{}, fmt.Errorf("expected a date after %s (a date value, 01-Dec-2026, \"YYYYMMDD\" or \"DD/MM/YYYY\")", key)
}

func (a *termArgs) number(key string) (uint32, error) {
	v, err := a.next(key, "a number")
	if err != nil {
		return 0, err
	}
	n := v.Num
	if !v.IsNum {
		f, err := strconv.ParseUint(strings.TrimSpace(v.Text), 10, 32)
		if err != nil || v.IsList {
			return 0, fmt.Errorf("expected a number after %s", key)
		}
		n = float64(f)
	}
	if n < 0 || n > math.MaxUint32 || n != math.Trunc(n) {
		return 0, fmt.Errorf("expected a whole number after %s (0..%d)", key, uint32(math.MaxUint32))
	}
	return uint32(n), nil
}

func (a *termArgs) set(key string) (string, error) {
	v, err := a.next(key, "a message set")
	if err != nil {
		return "", err
	}
	switch {
	case v.IsNum:
		if v.Num < 1 || v.Num > math.MaxUint32 || v.Num != math.Trunc(v.Num) {
			return "", fmt.Errorf("%s: invalid message number %v", key, v.Num)
		}
		return strconv.FormatUint(uint64(v.Num), 10), nil
	case v.IsList || !v.Date.IsZero():
		return "", fmt.Errorf("%s expects a message set such as \"1:10\"", key)
	}
	return strings.TrimSpace(v.Text), nil
}

func (a *termArgs) sub(key string, c *imap.SearchCriteria) error {
	v, err := a.next(key, "a term")
	if err != nil {
		return err
	}
	switch {
	case v.IsList:
		if len(v.Terms) == 0 {
			return fmt.Errorf("%s: empty term list", key)
		}
		for _, t := range v.Terms {
			if err := applyTerm(c, t, a.b); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
		return nil
	case v.IsNum || !v.Date.IsZero():
		return fmt.Errorf("%s expects a term such as {\"SEEN\"} or criteria text", key)
	}
	p := &searchParser{s: v.Text, b: a.b}
	if len(v.Text) > maxSearchLen {
		return fmt.Errorf("%s: criteria longer than %d bytes", key, maxSearchLen)
	}
	if err := p.parseAll(c); err != nil {
		var se *SearchSyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%s %q: position %d: %s", key, v.Text, se.Pos, se.Msg)
		}
		return err
	}
	return nil
}
