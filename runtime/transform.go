package runtime

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Transform formats a value with an AdvPL picture: "@FUNCS TEMPLATE".
// Functions: E (European: "." and "," swapped), R (template literals are
// inserted into text), ! (upper case), Z (blank when zero), ( and )
// (negative numbers in parentheses). Template characters: 9 and # take a
// digit (or any character for text), X, A, N and ! take a character (!
// upper-cased), "," and "." are the thousands and decimal separators of
// numbers; anything else is a literal. Numbers without a template are
// formatted as cValToChar does; text without one is kept.

// picture is a parsed picture.
type picture struct {
	funcs    string
	template string
}

func parsePicture(s string) picture {
	if strings.HasPrefix(s, "@") {
		f, rest, _ := strings.Cut(s[1:], " ")
		return picture{funcs: strings.ToUpper(f), template: rest}
	}
	return picture{template: s}
}

func (p picture) has(f byte) bool { return strings.IndexByte(p.funcs, f) >= 0 }

// transformNumber formats n with the picture.
func transformNumber(n float64, p picture) string {
	if p.has('Z') && n == 0 {
		return strings.Repeat(" ", max(len(p.template), 1))
	}
	tpl := p.template
	if tpl == "" {
		s := numText(n)
		if p.has('E') {
			s = swapSeparators(s)
		}
		return s
	}
	intTpl, decTpl, hasDec := strings.Cut(tpl, ".")
	dec := 0
	if hasDec {
		dec = strings.Count(decTpl, "9") + strings.Count(decTpl, "#")
	}
	digits, neg := roundText(n, dec)
	intDigits, decDigits, _ := strings.Cut(digits, ".")
	if intDigits == "" {
		intDigits = "0"
	}
	// Fill the integer template from the right.
	out := make([]byte, len(intTpl))
	k := len(intDigits) - 1
	for i := len(intTpl) - 1; i >= 0; i-- {
		switch c := intTpl[i]; c {
		case '9', '#':
			if k >= 0 {
				out[i] = intDigits[k]
				k--
			} else {
				out[i] = ' '
			}
		case ',':
			if k >= 0 {
				out[i] = ','
			} else {
				out[i] = ' '
			}
		default:
			out[i] = c
		}
	}
	if k >= 0 { // does not fit
		return strings.Repeat("*", len(tpl))
	}
	s := string(out)
	if neg && !p.has('(') && !p.has(')') {
		t := strings.TrimLeft(s, " ")
		if len(t) == len(s) {
			return strings.Repeat("*", len(tpl))
		}
		s = s[:len(s)-len(t)-1] + "-" + t
	}
	if hasDec {
		s += "." + fillDecimals(decTpl, decDigits)
	}
	if neg && (p.has('(') || p.has(')')) {
		s = "(" + strings.TrimLeft(s, " ") + ")"
	}
	if p.has('E') {
		s = swapSeparators(s)
	}
	return s
}

func fillDecimals(tpl, digits string) string {
	var b strings.Builder
	k := 0
	for i := 0; i < len(tpl); i++ {
		if (tpl[i] == '9' || tpl[i] == '#') && k < len(digits) {
			b.WriteByte(digits[k])
			k++
		} else {
			b.WriteByte(tpl[i])
		}
	}
	return b.String()
}

func swapSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return ','
		case ',':
			return '.'
		}
		return r
	}, s)
}

// transformText formats s with the picture.
func transformText(s string, p picture) string {
	if p.has('!') {
		s = upper(s)
	}
	if p.template == "" {
		return s
	}
	src := []rune(s)
	var b strings.Builder
	k := 0
	for _, c := range p.template {
		switch c {
		case '9', '#', 'X', 'x', 'A', 'a', 'N', 'n', '!':
			if k < len(src) {
				r := src[k]
				if c == '!' {
					r = []rune(upper(string(r)))[0]
				}
				b.WriteRune(r)
				k++
			} else {
				b.WriteByte(' ')
			}
		default:
			b.WriteRune(c)
			if !p.has('R') && k < len(src) {
				k++ // without R the literal replaces a character
			}
		}
	}
	return b.String()
}

func fnTransform(c fcall) int {
	p := parsePicture(c.optStr(2, ""))
	switch v := c.L.Get(1).(type) {
	case lua.LNumber:
		return c.pushStr(transformNumber(float64(v), p))
	case lua.LString:
		return c.pushStr(transformText(string(v), p))
	case lua.LBool:
		if v {
			return c.pushStr("T")
		}
		return c.pushStr("F")
	case *lua.LNilType:
		return c.pushStr("")
	}
	if d, ok := ToDate(c.L.Get(1)); ok {
		return c.pushStr(d.String())
	}
	return c.pushStr(textOf(c.L.Get(1)))
}
