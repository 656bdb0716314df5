package pp

import "strings"

// logicalLine is one statement line after comment removal and `;`
// continuation joining. first is the 0-based index of its first physical line.
type logicalLine struct {
	text      string
	first     int
	directive bool
}

// splitLines splits src into physical lines, dropping a trailing '\r'.
func splitLines(src string) []string {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// cleaner removes comments line by line, carrying the state of an open
// block comment across lines.
type cleaner struct {
	inBlock bool
}

// isLineComment reports whether a line starting a statement is a `*` or
// NOTE comment line.
func isLineComment(s string) bool {
	t := strings.TrimLeft(s, " \t")
	if strings.HasPrefix(t, "*") {
		return true
	}
	if len(t) >= 4 && strings.EqualFold(t[:4], "NOTE") && (len(t) == 4 || t[4] == ' ' || t[4] == '\t') {
		return true
	}
	return false
}

// clean returns the line without comments. atStart tells whether the line
// begins a statement (the previous line did not continue); directive tells
// whether the statement is a # directive, where '[' never opens a string.
func (c *cleaner) clean(line string, atStart, directive bool) string {
	if !c.inBlock && atStart && isLineComment(line) {
		return ""
	}
	if !c.inBlock && strings.IndexAny(line, "/&") < 0 {
		return line // no comment can start: the line is kept as is
	}
	var b strings.Builder
	b.Grow(len(line))
	prevOperand := false
	sameLine := false
	i := 0
	for i < len(line) {
		if c.inBlock {
			j := strings.Index(line[i:], "*/")
			if j < 0 {
				return b.String()
			}
			i += j + 2
			c.inBlock = false
			if sameLine {
				b.WriteByte(' ')
			}
			continue
		}
		ch := line[i]
		switch {
		case ch == '/' && i+1 < len(line) && line[i+1] == '/',
			ch == '&' && i+1 < len(line) && line[i+1] == '&':
			return b.String()
		case ch == '/' && i+1 < len(line) && line[i+1] == '*':
			c.inBlock = true
			sameLine = true
			i += 2
			continue
		case ch == '"' || ch == '\'' || ch == '[' && !directive && !prevOperand:
			end := ch
			if ch == '[' {
				end = ']'
			}
			j := strings.IndexByte(line[i+1:], end)
			if j < 0 {
				b.WriteString(line[i:])
				return b.String()
			}
			b.WriteString(line[i : i+j+2])
			i += j + 2
			prevOperand = true
			continue
		case isIdentChar(ch):
			j := i
			for j < len(line) && isIdentChar(line[j]) {
				j++
			}
			b.WriteString(line[i:j])
			i = j
			prevOperand = true
			continue
		case ch == ' ' || ch == '\t':
			b.WriteByte(ch)
			i++
			continue
		}
		prevOperand = ch == ')' || ch == ']' || ch == '}' || ch == '.'
		b.WriteByte(ch)
		i++
	}
	return b.String()
}

// logicalLines removes comments and joins `;` continuations.
func logicalLines(lines []string) []logicalLine {
	out := make([]logicalLine, 0, len(lines))
	var c cleaner
	var cur *logicalLine
	for i, raw := range lines {
		atStart := cur == nil
		directive := cur != nil && cur.directive
		if atStart && !c.inBlock {
			directive = strings.HasPrefix(strings.TrimLeft(raw, " \t"), "#")
		}
		text := c.clean(raw, atStart, directive)
		trimmed := strings.TrimRight(text, " \t")
		cont := strings.HasSuffix(trimmed, ";")
		if cont {
			trimmed = strings.TrimRight(trimmed[:len(trimmed)-1], " \t")
		}
		if cur == nil {
			cur = &logicalLine{text: trimmed, first: i, directive: directive}
		} else {
			cur.text += " " + strings.TrimLeft(trimmed, " \t")
		}
		if !cont {
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}
