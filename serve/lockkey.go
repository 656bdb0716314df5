package serve

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/advmail/advmail/mail"
)

// The default LockKey of a job without LockKey= is the mailbox it reads,
// when a cheap look at its source can tell: "pop3://host/account" or
// "imap://host/account", lower-cased. The source looked at is the script
// of a Main= path, or the definition of the Main= function among the
// sources under the environment's SourcePath. Its mailbox is known when
// it reads exactly one (a POP or IMAP connection is opened: PopConnect,
// IMAPConnect, MailPopOn or CONNECT POP SERVER) and the server and the
// account are written there as literals, as GetMV/SuperGetMV/GetNewPar
// of a parameter of the ini's [Parameters] section (or its literal
// default), or as a variable assigned once from one of those. Otherwise
// the key is the section name.

// maxScanBytes bounds the text read from one source file, maxScanTotal
// what one ini's jobs read in all (past it, keys fall back to the names).
const (
	maxScanBytes = 4 << 20
	maxScanTotal = 64 << 20
)

// sourceCache holds the source files read for the jobs of one ini.
type sourceCache struct {
	text  map[string]string
	total int
}

// read returns the first maxScanBytes of the file at p ("" when it cannot
// be read or the budget is spent) and whether the budget held.
func (c *sourceCache) read(p string) (string, bool) {
	if t, ok := c.text[p]; ok {
		return t, true
	}
	if c.total >= maxScanTotal {
		return "", false
	}
	t := readLimited(p)
	c.total += len(t)
	if c.text == nil {
		c.text = map[string]string{}
	}
	c.text[p] = t
	return t, true
}

// mailbox is what a job reads: protocol, host and account.
type mailbox struct{ proto, host, account string }

// key is the LockKey of m.
func (m mailbox) key() string {
	return strings.ToLower(m.proto + "://" + m.host + "/" + m.account)
}

// defaultLockKey returns the LockKey of j, which has no LockKey=, in the
// ini f read from path: the mailbox j reads, else j.Name.
func defaultLockKey(path string, f *mail.INI, j Job, cache *sourceCache) string {
	text := jobSource(path, f, j, cache)
	if text == "" {
		return j.Name
	}
	params := map[string]string{}
	if f.HasSection("parameters") {
		sec := f.Section("parameters")
		for _, k := range sec.Keys() {
			params[strings.ToUpper(k)] = strings.TrimSpace(sec.Key(k))
		}
	}
	boxes, ok := readMailboxes(text, params)
	if !ok || len(boxes) != 1 {
		return j.Name
	}
	for m := range boxes {
		return m.key()
	}
	return j.Name
}

// jobSource returns the text to scan for j: its script, or the
// definition of its function; "" when it cannot be read.
func jobSource(path string, f *mail.INI, j Job, cache *sourceCache) string {
	if j.IsScript() {
		text, _ := cache.read(scriptPathOf(path, j.Main))
		return text
	}
	dir, err := sourcePathOf(path, f, j.Environment)
	if err != nil {
		return ""
	}
	advpl, luas, err := listSources(dir)
	if err != nil {
		return ""
	}
	name := strings.TrimPrefix(strings.ToUpper(j.Main), "U_")
	def := regexp.MustCompile(`(?im)^[ \t]*(?:(?:user|static|main|local)[ \t]+)?function[ \t]+(?:u_)?` +
		regexp.QuoteMeta(name) + `\b`)
	next := regexp.MustCompile(`(?im)^[ \t]*(?:(?:user|static|main|local)[ \t]+)?function[ \t]+\w`)
	var found []string
	for _, p := range append(advpl, luas...) {
		text, ok := cache.read(p)
		if !ok {
			return ""
		}
		loc := def.FindStringIndex(text)
		if loc == nil {
			continue
		}
		body := text[loc[0]:]
		if n := next.FindStringIndex(body[loc[1]-loc[0]:]); n != nil {
			body = body[:loc[1]-loc[0]+n[0]]
		}
		found = append(found, body)
	}
	if len(found) != 1 {
		return "" // not found, or defined twice: not known
	}
	return found[0]
}

// scriptPathOf resolves the Main= script path p of the ini at ini: as
// given when it exists, else relative to the folder of the ini.
func scriptPathOf(ini, p string) string {
	p = filepath.FromSlash(strings.ReplaceAll(p, `\`, "/"))
	if filepath.IsAbs(p) {
		return p
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return filepath.Join(filepath.Dir(ini), p)
}

// readLimited returns the first maxScanBytes of the file at p, "" on error.
func readLimited(p string) string {
	fh, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxScanBytes))
	if err != nil {
		return ""
	}
	return string(b)
}

var (
	reCall      = regexp.MustCompile(`(?i)(:\s*init|\bmailpopon)\s*\(`)
	rePopConn   = regexp.MustCompile(`(?i):\s*popconnect\s*\(`)
	reIMAPConn  = regexp.MustCompile(`(?i):\s*imapconnect\s*\(`)
	reConnPOP   = regexp.MustCompile(`(?i)\bconnect\s+pop\s+server\s+(.+?)\s+account\s+(.+?)\s+password\b`)
	reParamCall = regexp.MustCompile(`(?i)^(getmv|supergetmv|getnewpar)\s*\((.*)\)$`)
	reIdent     = regexp.MustCompile(`^[A-Za-z_]\w*$`)
)

// readMailboxes returns the mailboxes text reads; ok is false when one of
// them cannot be known.
func readMailboxes(text string, params map[string]string) (map[mailbox]bool, bool) {
	text = stripComments(text)
	pop, imap := rePopConn.MatchString(text), reIMAPConn.MatchString(text)
	boxes := map[mailbox]bool{}
	add := func(p, host, account string, hok, aok bool) bool {
		if !hok || !aok || host == "" || account == "" {
			return false
		}
		if h, port, found := strings.Cut(host, ":"); found && isDigits(port) {
			host = h
		}
		boxes[mailbox{p, strings.TrimSpace(host), strings.TrimSpace(account)}] = true
		return true
	}
	for _, loc := range reCall.FindAllStringSubmatchIndex(text, -1) {
		args := splitArgs(text[loc[1]:])
		call := strings.ToLower(strings.Join(strings.Fields(text[loc[2]:loc[3]]), ""))
		if call == "mailpopon" {
			if len(args) < 2 {
				return nil, false
			}
			h, hok := literalValue(text, args[0], params)
			a, aok := literalValue(text, args[1], params)
			if !add("pop3", h, a, hok, aok) {
				return nil, false
			}
			continue
		}
		// TMailManager:Init(cRecvServer, cSmtpServer, cAccount, ...):
		// a mailbox only when the text opens a receive connection.
		if !pop && !imap {
			continue
		}
		if len(args) < 3 {
			return nil, false
		}
		h, hok := literalValue(text, args[0], params)
		if hok && h == "" {
			continue // a sender: no receive server
		}
		a, aok := literalValue(text, args[2], params)
		if pop && imap {
			return nil, false // which one reads is not known
		}
		proto := "pop3"
		if imap {
			proto = "imap"
		}
		if !add(proto, h, a, hok, aok) {
			return nil, false
		}
	}
	for _, m := range reConnPOP.FindAllStringSubmatch(text, -1) {
		h, hok := literalValue(text, strings.TrimSpace(m[1]), params)
		a, aok := literalValue(text, strings.TrimSpace(m[2]), params)
		if !add("pop3", h, a, hok, aok) {
			return nil, false
		}
	}
	return boxes, true
}

// stripComments removes // and -- line comments and /* */ blocks (a
// rough cut: quotes are not tracked, which only matters for a literal
// holding such a marker, and then the key falls back to the name).
func stripComments(text string) string {
	text = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(text, " ")
	return regexp.MustCompile(`(?m)(//|--)[^\n]*$`).ReplaceAllString(text, "")
}

// splitArgs splits the argument list that starts text (just after the
// opening parenthesis) at its top-level commas.
func splitArgs(text string) []string {
	var args []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(text) && i < 4096; i++ {
		c := text[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '(' || c == '{' || c == '[':
			depth++
		case c == ')' || c == '}' || c == ']':
			if depth == 0 {
				return append(args, strings.TrimSpace(text[start:i]))
			}
			depth--
		case c == ',' && depth == 0:
			args = append(args, strings.TrimSpace(text[start:i]))
			start = i + 1
		}
	}
	return nil // unbalanced: not known
}

// literalValue returns the value of the expression e when it is known:
// a string literal, a GetMV-like call of a literal parameter name, or a
// variable assigned exactly once in text from one of those.
func literalValue(text, e string, params map[string]string) (string, bool) {
	return valueOf(text, strings.TrimSpace(e), params, 0)
}

func valueOf(text, e string, params map[string]string, depth int) (string, bool) {
	if v, ok := stringLiteral(e); ok {
		return v, true
	}
	if m := reParamCall.FindStringSubmatch(e); m != nil {
		args := splitArgs(m[2] + ")")
		if len(args) == 0 {
			return "", false
		}
		name, ok := stringLiteral(args[0])
		if !ok {
			return "", false
		}
		if v, ok := params[strings.ToUpper(strings.TrimSpace(name))]; ok {
			return v, true
		}
		def := 2 // GetMV and SuperGetMV: (cPar, lHelp, xDefault)
		if strings.EqualFold(m[1], "getnewpar") {
			def = 1 // GetNewPar(cPar, xDefault)
		}
		if len(args) > def {
			return stringLiteral(args[def])
		}
		return "", false
	}
	if depth > 0 || !reIdent.MatchString(e) {
		return "", false
	}
	as := regexp.MustCompile(`(?im)(?:^|[;\s(,])` + regexp.QuoteMeta(e) + `\s*(?::=|=)([^=\n;][^\n;]*)`)
	ms := as.FindAllStringSubmatch(text, -1)
	if len(ms) != 1 {
		return "", false
	}
	return valueOf(text, strings.TrimSpace(ms[0][1]), params, depth+1)
}

// stringLiteral returns the value of a quoted literal "x" or 'x'.
func stringLiteral(e string) (string, bool) {
	e = strings.TrimSpace(e)
	if len(e) >= 2 && (e[0] == '"' || e[0] == '\'') && e[len(e)-1] == e[0] &&
		!strings.ContainsRune(e[1:len(e)-1], rune(e[0])) {
		return e[1 : len(e)-1], true
	}
	return "", false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
