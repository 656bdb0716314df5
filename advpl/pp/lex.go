package pp

import "strings"

// tokKind classifies a preprocessor token.
type tokKind int

const (
	tkIdent tokKind = iota
	tkNumber
	tkString
	tkOp
)

// token is one lexical token of a logical line. sp records whether blanks
// preceded it, so that text can be rebuilt with the source's spacing.
type token struct {
	kind tokKind
	text string
	sp   bool
}

// maxLineTokens bounds the number of tokens of one logical line.
const maxLineTokens = 20000

// multiOps lists the multi-character operators, longest first.
var multiOps = []string{
	"...", "**=", ":=", "==", "!=", "<>", "<=", ">=", "+=", "-=", "*=", "/=", "^=", "%=",
	"**", "++", "--", "->", "::", "=>",
}

// dotWords are the words recognised between dots in ordinary code (.T., .and.).
var dotWords = map[string]bool{"T": true, "F": true, "Y": true, "N": true, "AND": true, "OR": true, "NOT": true}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isOperand reports whether a token ends an operand, which decides whether a
// following '[' opens a string (Clipper's rule).
func isOperand(t token) bool {
	switch t.kind {
	case tkIdent, tkNumber, tkString:
		return true
	}
	if len(t.text) > 2 && t.text[0] == '.' && t.text[len(t.text)-1] == '.' {
		return true // .T. / .F.
	}
	return t.text == ")" || t.text == "]" || t.text == "}"
}

// tokenize splits a comment-free logical line into tokens. In directive mode
// '[' is always an operator and any .word. is one token (logify markers).
// It returns false when the line has too many tokens.
func tokenize(s string, directive bool) ([]token, bool) {
	return tokenizeInto(nil, s, directive)
}

// tokenizeInto is tokenize appending to buf[:0], so that a caller can reuse
// one buffer across lines.
func tokenizeInto(buf []token, s string, directive bool) ([]token, bool) {
	toks := buf[:0]
	i := 0
	for i < len(s) {
		sp := false
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v') {
			i++
			sp = true
		}
		if i >= len(s) {
			break
		}
		if len(toks) >= maxLineTokens {
			return toks, false
		}
		start := i
		c := s[i]
		kind := tkOp
		switch {
		case isIdentStart(c):
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
			kind = tkIdent
		case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
			if c == '0' && i+1 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') {
				i += 2
				for i < len(s) && isIdentChar(s[i]) {
					i++
				}
			} else {
				for i < len(s) && isDigit(s[i]) {
					i++
				}
				if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
					i++
					for i < len(s) && isDigit(s[i]) {
						i++
					}
				}
			}
			kind = tkNumber
		case c == '"' || c == '\'' || c == '[' && !directive && (len(toks) == 0 || !isOperand(toks[len(toks)-1])):
			end := byte(c)
			if c == '[' {
				end = ']'
			}
			j := strings.IndexByte(s[i+1:], end)
			if j < 0 {
				i = len(s)
			} else {
				i += j + 2
			}
			kind = tkString
		case c == '.' && i+2 < len(s) && isIdentStart(s[i+1]):
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '.' && (directive || dotWords[strings.ToUpper(s[i+1:j])]) {
				i = j + 1
			} else {
				i++
			}
		default:
			i++
			for _, op := range multiOps {
				if strings.HasPrefix(s[start:], op) {
					i = start + len(op)
					break
				}
			}
		}
		toks = append(toks, token{kind: kind, text: s[start:i], sp: sp})
	}
	return toks, true
}

// render rebuilds text from tokens, one blank where the source had blanks.
func render(toks []token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && t.sp {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}
