package parse

import (
	"strings"
	"unicode/utf8"
)

// Kind classifies tokens.
type Kind int

// Token kinds.
const (
	EOF Kind = iota
	EOS      // end of statement: newline or ';'
	Ident
	Number
	String
	Op
	MacroTok // &name (Text: name, Suffix after '.')
)

// Token is one lexical token.
type Token struct {
	// Kind is the token's class.
	Kind   Kind
	Text   string // identifiers: lower case; ops: normalised; strings: value
	Raw    string // as written
	Suffix string // macro suffix
	// Line is the line of the first character, 1-based.
	Line int
	// Col is the column of the first character, 1-based.
	Col int
}

// String describes the token for error messages.
func (t Token) String() string {
	switch t.Kind {
	case EOF:
		return "end of file"
	case EOS:
		if t.Raw == ";" {
			return "';'"
		}
		return "end of line"
	case String:
		return "string " + quoteShort(t.Raw)
	case Number:
		return "number " + t.Raw
	case MacroTok:
		return "'&" + t.Raw + "'"
	}
	return "'" + t.Raw + "'"
}

func quoteShort(s string) string {
	if len(s) > 30 {
		s = s[:30] + "…"
	}
	return s
}

var dotOps = map[string]string{".and.": "and", ".or.": "or", ".not.": "!", ".t.": ".t.", ".f.": ".f.", ".y.": ".t.", ".n.": ".f."}

var ops3 = []string{"**=", "..."}
var ops2 = []string{":=", "==", "!=", "<>", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "^=", "++", "--", "->", "::", "**"}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits preprocessed text into tokens. Errors are reported through
// the returned diagnostics; lexing always reaches the end.
func lex(src string) ([]Token, []Diag) {
	toks := make([]Token, 0, len(src)/2+16)
	var diags []Diag
	line, col0 := 1, 0 // col0: offset of the line start
	operand := false   // previous token ends an operand
	i := 0
	n := len(src)
	add := func(t Token) {
		toks = append(toks, t)
		switch t.Kind {
		case Ident, Number, String, MacroTok:
			operand = true
		case Op:
			operand = t.Text == ")" || t.Text == "]" || t.Text == "}" || t.Text == ".t." || t.Text == ".f." || t.Text == "++" || t.Text == "--"
		default:
			operand = false
		}
	}
	for i < n {
		c := src[i]
		col := i - col0 + 1
		switch {
		case c == '\n':
			add(Token{Kind: EOS, Raw: "\n", Line: line, Col: col})
			line++
			i++
			col0 = i
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case c == ';':
			add(Token{Kind: EOS, Raw: ";", Line: line, Col: col})
			i++
			continue
		case c == '/' && i+1 < n && src[i+1] == '/', c == '&' && i+1 < n && src[i+1] == '&':
			for i < n && src[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < n && src[i+1] == '*':
			j := strings.Index(src[i+2:], "*/")
			end := n
			if j >= 0 {
				end = i + 2 + j + 2
			}
			for k := i; k < end; k++ {
				if src[k] == '\n' {
					// keep line structure
					add(Token{Kind: EOS, Raw: "\n", Line: line, Col: k - col0 + 1})
					line++
					col0 = k + 1
				}
			}
			i = end
			continue
		case isIdentStart(c):
			j := i
			for j < n && isIdentChar(src[j]) {
				j++
			}
			raw := src[i:j]
			if c >= 0x80 {
				if r, _ := utf8.DecodeRuneInString(src[i:]); r == utf8.RuneError {
					diags = append(diags, Diag{Line: line, Col: col, Msg: "invalid character"})
				}
			}
			add(Token{Kind: Ident, Text: strings.ToLower(raw), Raw: raw, Line: line, Col: col})
			i = j
			continue
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(src[i+1])):
			j := i
			for j < n && isDigit(src[j]) {
				j++
			}
			if j < n && src[j] == '.' && j+1 < n && isDigit(src[j+1]) {
				j++
				for j < n && isDigit(src[j]) {
					j++
				}
			}
			raw := src[i:j]
			text := raw
			if text[0] == '.' {
				text = "0" + text
			}
			text = strings.TrimLeft(text, "0")
			if text == "" || text[0] == '.' {
				text = "0" + text
			}
			add(Token{Kind: Number, Text: text, Raw: raw, Line: line, Col: col})
			i = j
			continue
		case c == '"' || c == '\'' || (c == '[' && !operand):
			closer := c
			if c == '[' {
				closer = ']'
			}
			j := i + 1
			for j < n && src[j] != closer && src[j] != '\n' {
				j++
			}
			if j >= n || src[j] != closer {
				if c == '[' {
					// not a string after all: an index bracket
					add(Token{Kind: Op, Text: "[", Raw: "[", Line: line, Col: col})
					i++
					continue
				}
				diags = append(diags, Diag{Line: line, Col: col, Msg: "unterminated string"})
				add(Token{Kind: String, Text: src[i+1 : j], Raw: src[i:j], Line: line, Col: col})
				i = j
				continue
			}
			add(Token{Kind: String, Text: src[i+1 : j], Raw: src[i : j+1], Line: line, Col: col})
			i = j + 1
			continue
		case c == '&' && i+1 < n && isIdentStart(src[i+1]):
			j := i + 1
			for j < n && isIdentChar(src[j]) {
				j++
			}
			t := Token{Kind: MacroTok, Text: strings.ToLower(src[i+1 : j]), Raw: src[i+1 : j], Line: line, Col: col}
			if j < n && src[j] == '.' && !isDotOp(src[j:]) {
				k := j + 1
				for k < n && isIdentChar(src[k]) {
					k++
				}
				t.Suffix = src[j+1 : k]
				j = k
			}
			add(t)
			i = j
			continue
		case c == '.':
			if op, l := matchDotOp(src[i:]); l > 0 {
				add(Token{Kind: Op, Text: op, Raw: src[i : i+l], Line: line, Col: col})
				i += l
				continue
			}
		}
		// operators
		matched := false
		for _, set := range [][]string{ops3, ops2} {
			for _, op := range set {
				if strings.HasPrefix(src[i:], op) {
					text := op
					switch op {
					case "<>":
						text = "!="
					case "**":
						text = "^"
					case "**=":
						text = "^="
					}
					add(Token{Kind: Op, Text: text, Raw: op, Line: line, Col: col})
					i += len(op)
					matched = true
					break
				}
			}
			if matched {
				break
			}
		}
		if matched {
			continue
		}
		if strings.IndexByte("+-*/%^=<>!#$(){}[],:@|?.&\\", c) >= 0 {
			text := string(c)
			if c == '#' {
				text = "!="
			}
			add(Token{Kind: Op, Text: text, Raw: string(c), Line: line, Col: col})
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		_ = r
		diags = append(diags, Diag{Line: line, Col: col, Msg: "unexpected character " + quoteShort(src[i:i+size])})
		i += size
	}
	toks = append(toks, Token{Kind: EOF, Line: line, Col: i - col0 + 1})
	return toks, diags
}

func isDotOp(s string) bool {
	_, l := matchDotOp(s)
	return l > 0
}

func matchDotOp(s string) (string, int) {
	for _, l := range []int{5, 4, 3} {
		if len(s) >= l {
			if op, ok := dotOps[strings.ToLower(s[:l])]; ok {
				return op, l
			}
		}
	}
	return "", 0
}
