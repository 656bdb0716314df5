package mail

import (
	"fmt"
	"sync/atomic"
)

// Bounds of the IMAP response guard (variables for the tests). go-imap
// parses nested lists recursively and buffers lines and literals without
// limit, so every byte the server sends passes imapGuard first.
var (
	// imapMaxDepth is the deepest parenthesis nesting accepted in a
	// response (a BODYSTRUCTURE of a message nested 50 levels needs ~100).
	imapMaxDepth = 100
	// imapMaxLine bounds a response line outside literals.
	imapMaxLine = 1 << 20
	// imapMaxListLiteral bounds a literal in a LIST or LSUB response
	// (a mailbox name).
	imapMaxListLiteral int64 = 64 << 10
	// imapMaxOtherLiteral bounds a literal in a response that is neither
	// FETCH nor LIST/LSUB.
	imapMaxOtherLiteral int64 = 1 << 20
	// imapMaxCommandBytes bounds what one command may receive outside
	// FETCH literals (untagged responses, lines, small literals).
	imapMaxCommandBytes int64 = 64 << 20
)

// imapLimitError is the cause of a session closed by the guard.
type imapLimitError struct{ what string }

func (e *imapLimitError) Error() string {
	return "hostile or broken server: " + e.what + "; the session was closed"
}

// imapGuard scans the server's byte stream as a small state machine: it
// follows lines, quoted strings and literals ({n} at the end of a line),
// counts parenthesis nesting outside quoted strings and literals, and
// reports the first bound exceeded. It never buffers more than the few
// bytes that name a response.
type imapGuard struct {
	literal  int64 // literal bytes still to pass
	fetchLit bool  // the current literal belongs to a FETCH response
	quoted   bool
	escaped  bool
	depth    int
	line     int   // bytes of the current line outside literals
	litNum   int64 // digits of a literal size being read, -1 when none
	inBrace  bool
	endBrace bool // the line so far ends with "{n}" or "{n+}"
	head     []byte
	kind     imapRespKind
	command  int64 // bytes counted against imapMaxCommandBytes
	// spooling, when set and true, raises the bound of a FETCH literal
	// from imapMaxMessage to imapMaxSpooled (FetchSpool is running).
	spooling *atomic.Bool
}

type imapRespKind int

const (
	imapRespUnknown imapRespKind = iota
	imapRespFetch
	imapRespList
	imapRespOther
)

// newCommand resets the per-command byte count.
func (g *imapGuard) newCommand() { g.command = 0 }

// scan checks p and returns the first violation.
func (g *imapGuard) scan(p []byte) error {
	for i := 0; i < len(p); {
		if g.literal > 0 {
			n := int64(len(p) - i)
			if n > g.literal {
				n = g.literal
			}
			g.literal -= n
			i += int(n)
			if !g.fetchLit {
				if err := g.count(n); err != nil {
					return err
				}
			}
			continue
		}
		if err := g.byte(p[i]); err != nil {
			return err
		}
		i++
	}
	return nil
}

func (g *imapGuard) count(n int64) error {
	g.command += n
	if g.command > imapMaxCommandBytes {
		return &imapLimitError{fmt.Sprintf("more than %d MiB of responses to one command", imapMaxCommandBytes>>20)}
	}
	return nil
}

// byte advances the machine by one byte outside a literal.
func (g *imapGuard) byte(ch byte) error {
	if err := g.count(1); err != nil {
		return err
	}
	g.line++
	if g.line > imapMaxLine {
		return &imapLimitError{fmt.Sprintf("a response line longer than %d KiB", imapMaxLine>>10)}
	}
	if g.kind == imapRespUnknown && len(g.head) < 32 {
		g.head = append(g.head, ch)
		g.classify()
	}
	if ch == '\n' {
		return g.endLine()
	}
	if ch != '\r' {
		g.trackLiteral(ch)
	}
	if g.quoted {
		switch {
		case g.escaped:
			g.escaped = false
		case ch == '\\':
			g.escaped = true
		case ch == '"':
			g.quoted = false
		}
		return nil
	}
	switch ch {
	case '"':
		g.quoted = true
	case '(', '[':
		g.depth++
		if g.depth > imapMaxDepth {
			return &imapLimitError{fmt.Sprintf("a response nested deeper than %d levels", imapMaxDepth)}
		}
	case ')', ']':
		if g.depth > 0 {
			g.depth--
		}
	}
	return nil
}

// trackLiteral follows a possible "{n}" or "{n+}" at the end of the line.
func (g *imapGuard) trackLiteral(ch byte) {
	switch {
	case g.quoted:
		g.endBrace, g.inBrace = false, false
	case ch == '{':
		g.inBrace, g.endBrace, g.litNum = true, false, 0
	case g.inBrace && ch >= '0' && ch <= '9':
		if g.litNum <= 1<<40 {
			g.litNum = g.litNum*10 + int64(ch-'0')
		}
	case g.inBrace && ch == '+':
	case g.inBrace && ch == '}':
		g.inBrace, g.endBrace = false, true
	default:
		g.inBrace, g.endBrace = false, false
	}
}

// endLine handles LF: a line ending in a literal announcement continues the
// response after the literal; any other line ends the response.
func (g *imapGuard) endLine() error {
	g.line = 0
	g.quoted, g.escaped, g.inBrace = false, false, false
	if g.endBrace {
		g.endBrace = false
		max := imapMaxOtherLiteral
		switch g.kind {
		case imapRespFetch:
			// The consumer reports a body over its bound (imapMaxMessage
			// in memory, imapMaxSpooled into a Spool) as
			// ErrMessageTooLarge; the guard only stops what nobody reads.
			body := imapMaxMessage
			if g.spooling != nil && g.spooling.Load() {
				body = imapMaxSpooled()
			}
			max = body + imapMaxOtherLiteral
		case imapRespList:
			max = imapMaxListLiteral
		}
		if g.litNum > max {
			return &imapLimitError{fmt.Sprintf("a literal of %d bytes where at most %d fit", g.litNum, max)}
		}
		g.literal, g.fetchLit = g.litNum, g.kind == imapRespFetch
		return nil
	}
	g.depth = 0
	g.kind = imapRespUnknown
	g.head = g.head[:0]
	return nil
}

// classify names the response from its first bytes: "* n FETCH",
// "* LIST"/"* LSUB", or anything else.
func (g *imapGuard) classify() {
	h := g.head
	if len(h) < 2 {
		return
	}
	if h[0] != '*' || h[1] != ' ' {
		g.kind = imapRespOther
		return
	}
	rest := h[2:]
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i > 0 {
		if i == len(rest) || rest[i] != ' ' {
			if i == len(rest) {
				return
			}
			g.kind = imapRespOther
			return
		}
		word := rest[i+1:]
		if len(word) < 6 {
			if !imapPrefixFold(word, "FETCH ") {
				g.kind = imapRespOther
			}
			return
		}
		if imapPrefixFold(word, "FETCH ") {
			g.kind = imapRespFetch
		} else {
			g.kind = imapRespOther
		}
		return
	}
	if len(rest) < 5 {
		if !imapPrefixFold(rest, "LIST ") && !imapPrefixFold(rest, "LSUB ") {
			g.kind = imapRespOther
		}
		return
	}
	if imapPrefixFold(rest, "LIST ") || imapPrefixFold(rest, "LSUB ") {
		g.kind = imapRespList
	} else {
		g.kind = imapRespOther
	}
}

// imapPrefixFold reports whether b is a case-insensitive prefix of word
// (when shorter) or starts with it.
func imapPrefixFold(b []byte, word string) bool {
	n := min(len(b), len(word))
	for i := 0; i < n; i++ {
		c := b[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != word[i] {
			return false
		}
	}
	return true
}
