package repl

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/peterh/liner"
)

// historyLimit bounds the entries kept and saved, as liner bounds its own.
const historyLimit = liner.HistoryLimit

// maxHistoryLine bounds one line of the history file; longer lines are
// skipped when it is read.
const maxHistoryLine = 1 << 20

// fileLineBreak stands for a line break inside a multi-line entry in the
// history file, which holds one entry per line. A terminal cannot type
// it, so it cannot clash with a real input.
const fileLineBreak = "\x1f"

// histEntry is one complete input of the terminal prompt.
type histEntry struct {
	src    string // as typed: the lines of a multi-line input joined with "\n"
	secret bool   // names a password: recalled in the session, never saved
}

// history is the input history of the terminal prompt. An entry is one
// complete input — a function typed over several lines is one entry —
// and input cancelled with Ctrl-C is never added. Entries that pass a
// password stay in memory for the session but are not written to the
// history file.
//
// The line editor recalls one line at a time, so a multi-line entry is
// offered as its lines joined by spaces (oneLine); when that line comes
// back unchanged from the editor, resolve returns the original lines, so
// that comments and long strings survive the round trip.
type history struct {
	entries []histEntry
}

// add records a complete input and returns the line to give the line
// editor; ok is false when nothing is recorded (blank input, or the same
// as the previous entry).
func (h *history) add(src string, secret bool) (line string, ok bool) {
	src = strings.TrimRight(src, " \t\r\n")
	if strings.TrimSpace(src) == "" {
		return "", false
	}
	if n := len(h.entries); n > 0 && h.entries[n-1].src == src {
		return "", false
	}
	h.entries = append(h.entries, histEntry{src: src, secret: secret})
	if len(h.entries) > historyLimit {
		h.entries = h.entries[len(h.entries)-historyLimit:]
	}
	return oneLine(src), true
}

// lines returns the entries as the line editor shows them, oldest first.
func (h *history) lines() []string {
	out := make([]string, len(h.entries))
	for i, e := range h.entries {
		out[i] = oneLine(e.src)
	}
	return out
}

// resolve maps a line recalled from the editor back to the multi-line
// entry it shows; any other line is returned as is.
func (h *history) resolve(line string) string {
	for i := len(h.entries) - 1; i >= 0; i-- {
		src := h.entries[i].src
		if strings.Contains(src, "\n") && oneLine(src) == line {
			return src
		}
	}
	return line
}

// oneLine is src on one line: its lines trimmed and joined by spaces.
func oneLine(src string) string {
	if !strings.Contains(src, "\n") {
		return src
	}
	var parts []string
	for l := range strings.SplitSeq(src, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// read adds the entries of a history file: one entry per line, the line
// breaks of a multi-line entry written as fileLineBreak. Lines that are
// not valid UTF-8 are skipped; reading stops at a line longer than
// maxHistoryLine, with an error.
func (h *history) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxHistoryLine)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if utf8.ValidString(line) {
			h.add(strings.ReplaceAll(line, fileLineBreak, "\n"), false)
		}
	}
	return sc.Err()
}

// write writes the entries that are not secret, in the format read reads.
func (h *history) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, e := range h.entries {
		if e.secret || strings.Contains(e.src, fileLineBreak) || strings.Contains(e.src, "\r") {
			continue
		}
		bw.WriteString(strings.ReplaceAll(e.src, "\n", fileLineBreak))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
