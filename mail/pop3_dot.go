package mail

import (
	"bufio"
	"errors"
	"io"
)

// pop3DotReader reads a dot-encoded multi-line POP3 response up to its
// terminating "." line, like net/textproto's DotReader and with the same
// output (leading dots unstuffed, CRLF turned into LF), but a line at a
// time instead of a byte at a time.
type pop3DotReader struct {
	br     *bufio.Reader
	rest   []byte // bytes of the current slice not returned yet
	bol    bool   // the next slice starts a line
	heldCR bool   // a slice ended with CR: it may start a CRLF
	emitCR bool   // a held CR was not followed by LF: return it first
	err    error  // read error to return once rest is consumed
	done   bool
}

func newPOP3DotReader(br *bufio.Reader) *pop3DotReader {
	return &pop3DotReader{br: br, bol: true}
}

func (d *pop3DotReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if d.emitCR {
			p[n] = '\r'
			n++
			d.emitCR = false
			continue
		}
		if len(d.rest) > 0 {
			k := copy(p[n:], d.rest)
			d.rest = d.rest[k:]
			n += k
			continue
		}
		if d.done {
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
		if d.err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, d.err
		}
		if n > 0 && d.br.Buffered() == 0 {
			return n, nil // do not wait for more while holding data
		}
		d.next()
	}
	return n, nil
}

// next reads the following slice of the response into rest.
func (d *pop3DotReader) next() {
	line, err := d.br.ReadSlice('\n')
	full := errors.Is(err, bufio.ErrBufferFull)
	if err != nil && !full {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		d.err = err
	}
	if len(line) == 0 {
		return
	}
	if d.heldCR {
		d.heldCR = false
		if line[0] == '\n' { // the CRLF was split between two slices
			d.rest, d.bol = line, true
			return
		}
		d.emitCR = true
	}
	if d.bol && !full && d.err == nil && (string(line) == ".\r\n" || string(line) == ".\n") {
		d.done = true
		return
	}
	if d.bol && line[0] == '.' {
		line = line[1:]
		if len(line) == 0 { // a lone dot before the error
			d.bol = false
			return
		}
	}
	switch {
	case full:
		d.bol = false
		if line[len(line)-1] == '\r' {
			line, d.heldCR = line[:len(line)-1], true
		}
	case len(line) >= 2 && line[len(line)-1] == '\n' && line[len(line)-2] == '\r':
		// The bytes are consumed from the reader: rewrite CRLF to LF in place.
		line[len(line)-2] = '\n'
		line = line[:len(line)-1]
		d.bol = true
	case len(line) >= 1 && line[len(line)-1] == '\n':
		// As textproto does, a bare LF alone at the start of a line does
		// not start a new one (it is not a POP3 line end).
		d.bol = !(d.bol && len(line) == 1)
	default: // a last, unterminated slice before the error
		d.bol = false
		if line[len(line)-1] == '\r' {
			line = line[:len(line)-1] // textproto holds it back too
		}
	}
	d.rest = line
}
