package runtime

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// AdvPL string functions count characters. Scripts hold UTF-8 text (their
// sources are converted when loaded), so a string that is valid UTF-8 is
// measured and cut by character; any other string (binary data read with
// MemoRead, for instance) by byte, as AdvPL does with its single-byte text.

// charCount returns the number of characters of s.
func charCount(s string) int {
	if utf8.ValidString(s) {
		return utf8.RuneCountInString(s)
	}
	return len(s)
}

// charOffset returns the byte offset of character k (0-based) of s,
// clamped to [0, len(s)].
func charOffset(s string, k int) int {
	if k <= 0 {
		return 0
	}
	if !utf8.ValidString(s) {
		return min(k, len(s))
	}
	for i := range s {
		if k == 0 {
			return i
		}
		k--
	}
	return len(s)
}

// charSlice returns n characters of s from character from (0-based);
// n < 0 means up to the end.
func charSlice(s string, from, n int) string {
	i := charOffset(s, from)
	if n < 0 {
		return s[i:]
	}
	j := i + charOffset(s[i:], n)
	return s[i:j]
}

// charPos converts byte offset i of s to a 1-based character position.
func charPos(s string, i int) int {
	if utf8.ValidString(s) {
		return utf8.RuneCountInString(s[:i]) + 1
	}
	return i + 1
}

// firstChar returns the first character of s ("" when empty).
func firstChar(s string) string { return charSlice(s, 0, 1) }

// upper and lower change letter case: all letters in UTF-8 text, ASCII
// letters in binary strings.
func upper(s string) string {
	if utf8.ValidString(s) {
		return strings.ToUpper(s)
	}
	return asciiMap(s, 'a', 'z', 'A'-'a')
}

func lower(s string) string {
	if utf8.ValidString(s) {
		return strings.ToLower(s)
	}
	return asciiMap(s, 'A', 'Z', 'a'-'A')
}

func asciiMap(s string, lo, hi byte, delta int) string {
	b := []byte(s)
	for i, c := range b {
		if c >= lo && c <= hi {
			b[i] = byte(int(c) + delta)
		}
	}
	return string(b)
}

// blanks are the characters the trim functions and Empty remove.
const blanks = " \t\r\n\x00"

// numText formats n as cValToChar does: no exponent, no trailing zeros,
// at most 15 significant digits (so 0.1+0.2 is "0.3").
func numText(n float64) string {
	switch {
	case math.IsNaN(n):
		return "NaN"
	case math.IsInf(n, 1):
		return "+Inf"
	case math.IsInf(n, -1):
		return "-Inf"
	}
	if n == math.Trunc(n) && math.Abs(n) < 1e15 {
		return strconv.FormatFloat(n, 'f', 0, 64)
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(n, 'g', 15, 64), 64)
	if err != nil {
		r = n
	}
	s := strconv.FormatFloat(r, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	return s
}

// roundText formats |n| with dec decimals rounding half away from zero on
// the shortest decimal representation of n (so 1.005 rounds to 1.01, as a
// decimal AdvPL number would), and reports whether the result is negative
// and non-zero.
func roundText(n float64, dec int) (digits string, neg bool) {
	s := strconv.FormatFloat(math.Abs(n), 'f', -1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) <= dec {
		frac += strings.Repeat("0", dec-len(frac))
	} else {
		up := frac[dec] >= '5'
		frac = frac[:dec]
		if up {
			all := []byte(intPart + frac)
			i := len(all) - 1
			for ; i >= 0; i-- {
				if all[i] == '9' {
					all[i] = '0'
					continue
				}
				all[i]++
				break
			}
			if i < 0 {
				all = append([]byte{'1'}, all...)
			}
			intPart, frac = string(all[:len(all)-dec]), string(all[len(all)-dec:])
		}
	}
	digits = intPart
	if dec > 0 {
		digits += "." + frac
	}
	neg = n < 0 && strings.Trim(digits, "0.") != ""
	return digits, neg
}

// strNum implements Str: n right-aligned in width characters with dec
// decimals, or width asterisks when it does not fit. width < 0 means the
// AdvPL default: 10 for integers, 13 with 2 decimals otherwise.
func strNum(n float64, width, dec int) string {
	if width < 0 {
		if n == math.Trunc(n) {
			width, dec = 10, 0
		} else {
			width, dec = 13, 2
		}
	}
	if dec < 0 {
		dec = 0
	}
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return strings.Repeat("*", width)
	}
	digits, neg := roundText(n, dec)
	if neg {
		digits = "-" + digits
	}
	if len(digits) > width {
		return strings.Repeat("*", width)
	}
	return strings.Repeat(" ", width-len(digits)) + digits
}

// strZero implements StrZero: like Str but padded with zeros after the sign.
func strZero(n float64, width, dec int) string {
	s := strNum(n, width, dec)
	if strings.HasPrefix(s, "*") {
		return s
	}
	t := strings.TrimLeft(s, " ")
	if strings.HasPrefix(t, "-") {
		return "-" + strings.Repeat("0", len(s)-len(t)) + t[1:]
	}
	return strings.Repeat("0", len(s)-len(t)) + t
}

// val implements Val: the number at the start of s (after blanks), 0 when
// there is none. "12abc" is 12, "1,5" is 1, "-3.25" is -3.25.
func val(s string) float64 {
	s = strings.TrimLeft(s, blanks)
	end := 0
	if end < len(s) && (s[end] == '+' || s[end] == '-') {
		end++
	}
	digits := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
		digits++
	}
	if end < len(s) && s[end] == '.' {
		end++
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	n, err := strconv.ParseFloat(strings.TrimSuffix(s[:end], "."), 64)
	if err != nil {
		return 0
	}
	return n
}

// tokens implements StrTokArr and StrTokArr2: s split at any character of
// delims (set) or at the whole string delims (!set); empty tokens are kept
// only when keepEmpty.
func tokens(s, delims string, set, keepEmpty bool) []string {
	if s == "" {
		return nil
	}
	var parts []string
	switch {
	case delims == "":
		parts = []string{s}
	case set:
		parts = strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) })
		if keepEmpty {
			parts = splitAny(s, delims)
		}
	default:
		parts = strings.Split(s, delims)
	}
	if keepEmpty {
		return parts
	}
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitAny splits s at every character of delims, keeping empty fields.
func splitAny(s, delims string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if strings.ContainsRune(delims, r) {
			out = append(out, s[start:i])
			start = i + utf8.RuneLen(r)
		}
	}
	return append(out, s[start:])
}

// strTran implements StrTran: replaces occurrences of search in s, from
// occurrence number start (1-based), at most count of them (count < 0: all).
func strTran(s, search, repl string, start, count int) string {
	if search == "" || count == 0 {
		return s
	}
	var b strings.Builder
	seen, done := 0, 0
	for {
		i := strings.Index(s, search)
		if i < 0 {
			break
		}
		seen++
		if seen >= start && (count < 0 || done < count) {
			b.WriteString(s[:i])
			b.WriteString(repl)
			done++
		} else {
			b.WriteString(s[:i+len(search)])
		}
		s = s[i+len(search):]
	}
	b.WriteString(s)
	return b.String()
}

// pad implements PadR (side 'R'), PadL ('L') and PadC ('C'): s cut or
// filled with fill to n characters.
func pad(s string, n int, fill string, side byte) string {
	if n <= 0 {
		return ""
	}
	l := charCount(s)
	if l >= n {
		return charSlice(s, 0, n)
	}
	if fill == "" {
		fill = " "
	}
	missing := n - l
	switch side {
	case 'L':
		return strings.Repeat(fill, missing) + s
	case 'C':
		left := missing / 2
		return strings.Repeat(fill, left) + s + strings.Repeat(fill, missing-left)
	}
	return s + strings.Repeat(fill, missing)
}

// textOf converts a value as cValToChar does: strings unchanged, numbers
// without padding, logicals .T./.F., dates DD/MM/YYYY, nil "", anything
// else "".
func textOf(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return numText(float64(v))
	case lua.LBool:
		if v {
			return ".T."
		}
		return ".F."
	}
	if d, ok := ToDate(v); ok {
		return d.String()
	}
	return ""
}

// displayText converts a value for conout: like cValToChar, with NIL for
// nil and tostring for tables, functions and objects.
func displayText(L *lua.LState, v lua.LValue) string {
	switch v.Type() {
	case lua.LTString, lua.LTNumber, lua.LTBool:
		return textOf(v)
	case lua.LTNil:
		return "NIL"
	}
	if d, ok := ToDate(v); ok {
		return d.String()
	}
	return L.ToStringMeta(v).String()
}
