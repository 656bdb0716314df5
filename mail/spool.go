package mail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Big messages. A received message larger than SpillThreshold is kept in a
// temporary file instead of memory (see Spool); Parse then leaves its big
// attachments in that file, and Attachment.Open streams them from it. The
// file is removed by Message.Close, when the Message is garbage collected,
// and by RemoveTempFiles (the advmail command calls it before exiting).

// DefaultSpillThreshold is the default of SpillThreshold: 8 MiB.
const DefaultSpillThreshold = 8 << 20

// SpillThreshold is the size in bytes above which a received message is
// written to a temporary file instead of being kept in memory. The
// environment variable ADVMAIL_SPILL_THRESHOLD (bytes, or with a K/M/G
// suffix) overrides the default when the value here is 0.
var SpillThreshold int64

// MaxSpooledMessage bounds a received message read into a Spool (POP3
// RETR by TMailMessage:Receive); messages held in memory have lower bounds.
var MaxSpooledMessage int64 = 2 << 30

// SpillDir is the directory of the temporary files; "" means os.TempDir().
var SpillDir string

// spillLeaf is the size above which an attachment of a message kept in a
// file stays in the file (smaller parts are read into memory).
var spillLeaf int64 = 256 << 10

// spillThreshold returns the threshold in force.
func spillThreshold() int64 {
	if SpillThreshold > 0 {
		return SpillThreshold
	}
	if v, ok := os.LookupEnv("ADVMAIL_SPILL_THRESHOLD"); ok {
		if n, err := parseByteSize(v); err == nil && n > 0 {
			return n
		}
	}
	return DefaultSpillThreshold
}

// parseByteSize reads "123", "64K", "8M" or "1G".
func parseByteSize(s string) (int64, error) {
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult, s = 1<<10, s[:len(s)-1]
		case 'm', 'M':
			mult, s = 1<<20, s[:len(s)-1]
		case 'g', 'G':
			mult, s = 1<<30, s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}

// tempFiles are the spill files not yet removed, for RemoveTempFiles.
var tempFiles struct {
	sync.Mutex
	m map[*spillFile]bool
}

// RemoveTempFiles removes every temporary file of big messages still
// open in this process. Attachments left in them can no longer be read.
func RemoveTempFiles() {
	tempFiles.Lock()
	files := make([]*spillFile, 0, len(tempFiles.m))
	for f := range tempFiles.m {
		files = append(files, f)
	}
	tempFiles.Unlock()
	for _, f := range files {
		f.remove()
	}
}

// spillFile is a temporary file holding the raw bytes of one message.
type spillFile struct {
	f    *os.File
	once sync.Once
	gone atomic.Bool
}

// removed reports whether the file was removed.
func (s *spillFile) removed() bool { return s.gone.Load() }

func newSpillFile() (*spillFile, error) {
	f, err := os.CreateTemp(SpillDir, "advmail-*.eml")
	if err != nil {
		return nil, NewError(ErrFile, "spool message", "", err)
	}
	s := &spillFile{f: f}
	tempFiles.Lock()
	if tempFiles.m == nil {
		tempFiles.m = map[*spillFile]bool{}
	}
	tempFiles.m[s] = true
	tempFiles.Unlock()
	return s, nil
}

// remove closes and deletes the file; later reads fail.
func (s *spillFile) remove() {
	s.once.Do(func() {
		s.gone.Store(true)
		name := s.f.Name()
		s.f.Close()
		os.Remove(name)
		tempFiles.Lock()
		delete(tempFiles.m, s)
		tempFiles.Unlock()
	})
}

// Spool collects the raw bytes of a message as they arrive: in memory up
// to SpillThreshold, in a temporary file beyond. The zero value is not
// usable: call NewSpool. Discard (or handing it to ParseSpool) releases it.
type Spool struct {
	buf   []byte
	file  *spillFile
	w     *bufio.Writer
	n     int64
	limit int64
	err   error
}

// NewSpool returns an empty Spool with the threshold in force;
// sizeHint, when known (the size the server announced), preallocates
// memory for a message that fits and sends one that does not straight to
// the file.
func NewSpool(sizeHint int64) *Spool {
	s := &Spool{limit: spillThreshold()}
	switch {
	case sizeHint > s.limit:
		s.limit = 0 // it will not fit: straight to the file
	case sizeHint > 0:
		s.buf = make([]byte, 0, sizeHint+64)
	}
	return s
}

// Write appends p; it fails only when the temporary file cannot be written.
func (s *Spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.file == nil && s.n+int64(len(p)) > s.limit {
		f, err := newSpillFile()
		if err != nil {
			s.err = err
			return 0, err
		}
		s.file = f
		s.w = bufio.NewWriterSize(f.f, 64<<10)
		if _, err := s.w.Write(s.buf); err != nil {
			return 0, s.fail(err)
		}
		s.buf = nil
	}
	if s.file == nil {
		s.buf = append(s.buf, p...)
	} else if _, err := s.w.Write(p); err != nil {
		return 0, s.fail(err)
	}
	s.n += int64(len(p))
	return len(p), nil
}

func (s *Spool) fail(err error) error {
	s.err = NewError(ErrFile, "spool message", "", err)
	return s.err
}

// Len returns the number of bytes written.
func (s *Spool) Len() int64 { return s.n }

// Spilled reports whether the content is in a temporary file.
func (s *Spool) Spilled() bool { return s.file != nil }

// Bytes returns the whole content, read back from the file when spilled.
func (s *Spool) Bytes() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.file == nil {
		if s.buf == nil {
			return []byte{}, nil
		}
		return s.buf, nil
	}
	if err := s.w.Flush(); err != nil {
		return nil, s.fail(err)
	}
	b := make([]byte, s.n)
	if _, err := s.file.f.ReadAt(b, 0); err != nil {
		return nil, s.fail(err)
	}
	return b, nil
}

// finish flushes the file and hands it over; the Spool is then empty.
func (s *Spool) finish() (*spillFile, []byte, int64, error) {
	if s.err != nil {
		s.Discard()
		return nil, nil, 0, s.err
	}
	f, buf, n := s.file, s.buf, s.n
	if f != nil {
		if err := s.w.Flush(); err != nil {
			s.Discard()
			return nil, nil, 0, NewError(ErrFile, "spool message", "", err)
		}
	}
	s.file, s.buf, s.w, s.n = nil, nil, nil, 0
	return f, buf, n, nil
}

// Discard releases the content (the temporary file is removed).
func (s *Spool) Discard() {
	if s.file != nil {
		s.file.remove()
	}
	s.file, s.buf, s.w, s.n = nil, nil, nil, 0
}

// region is a span of a spill file.
type region struct {
	f      *spillFile
	off, n int64
}

func (r region) sub(start, end int64) region {
	return region{f: r.f, off: r.off + start, n: end - start}
}

func (r region) reader() *io.SectionReader { return io.NewSectionReader(r.f.f, r.off, r.n) }

// load reads the region into memory.
func (r region) load() ([]byte, error) {
	b := make([]byte, r.n)
	if _, err := r.f.f.ReadAt(b, r.off); err != nil && !(errors.Is(err, io.EOF) && r.n == 0) {
		return nil, NewError(ErrFile, "read spooled message", "", err)
	}
	return b, nil
}

// lineHead is how many bytes of each line lineScanner keeps.
const lineHead = 1024

// scanLine is one line of a region: [start, end) without its '\n', next
// the start of the following line. head holds the first bytes of the line
// (all of it when whole), tailBlank reports whether the bytes beyond head
// are all blanks or CR, and cr whether the line ends with '\r'.
type scanLine struct {
	start, end, next int64
	head             []byte
	whole            bool
	tailBlank        bool
	cr               bool
}

// lineScanner reads the lines of a region without holding long ones.
type lineScanner struct {
	br   *bufio.Reader
	pos  int64
	head []byte
	err  error
}

func newLineScanner(r region) *lineScanner {
	return &lineScanner{br: bufio.NewReaderSize(r.reader(), 64<<10), head: make([]byte, 0, lineHead)}
}

// next returns the next line; ok is false at the end (or on a read error,
// kept in s.err).
func (s *lineScanner) next() (l scanLine, ok bool) {
	l.start = s.pos
	l.head = s.head[:0]
	l.whole, l.tailBlank = true, true
	length, sawAny := int64(0), false
	var last byte
	for {
		chunk, err := s.br.ReadSlice('\n')
		if len(chunk) > 0 {
			sawAny = true
		}
		content := chunk
		nl := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if nl {
			content = chunk[:len(chunk)-1]
		}
		if room := lineHead - len(l.head); room > 0 {
			take := min(room, len(content))
			l.head = append(l.head, content[:take]...)
			content = content[take:]
		}
		if len(content) > 0 {
			l.whole = false
			if l.tailBlank && len(bytes.TrimLeft(content, " \t\r")) > 0 {
				l.tailBlank = false
			}
		}
		if n := len(chunk); n > 0 {
			if nl && n > 1 {
				last = chunk[n-2]
			} else if !nl {
				last = chunk[n-1]
			}
		}
		length += int64(len(chunk))
		if nl {
			s.pos += length
			l.end, l.next = s.pos-1, s.pos
			l.cr = length > 1 && last == '\r'
			s.head = l.head
			return l, true
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && err != io.EOF {
			s.err = err
		}
		if !sawAny {
			return l, false
		}
		s.pos += length
		l.end, l.next = s.pos, s.pos
		l.cr = last == '\r'
		s.head = l.head
		return l, true
	}
}

// full returns the line's bytes when it was kept whole.
func (l scanLine) full() ([]byte, bool) { return l.head, l.whole }

// base64Stream decodes base64 as decodeBase64 does, in pieces.
type base64Stream struct {
	w   io.Writer
	q   [4]byte
	n   int
	out []byte
}

func (d *base64Stream) flush() {
	q := d.q
	switch d.n {
	case 2:
		d.out = append(d.out, q[0]<<2|q[1]>>4)
	case 3:
		d.out = append(d.out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2)
	case 4:
		d.out = append(d.out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
	}
	d.n = 0
}

func (d *base64Stream) Write(p []byte) (int, error) {
	d.out = d.out[:0]
	for _, c := range p {
		if c == '=' {
			d.flush()
			continue
		}
		v := base64Value[c]
		if v < 0 {
			continue
		}
		d.q[d.n] = byte(v)
		d.n++
		if d.n == 4 {
			d.flush()
		}
	}
	if _, err := d.w.Write(d.out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close writes the bytes of a trailing partial quantum.
func (d *base64Stream) Close() error {
	d.out = d.out[:0]
	d.flush()
	_, err := d.w.Write(d.out)
	return err
}

// decodeTransferTo decodes the region r with transfer encoding cte into w,
// as decodeTransfer does in memory, and returns the decoded size.
func decodeTransferTo(w io.Writer, cte string, r region) (int64, error) {
	cw := &countWriter{w: w}
	var err error
	switch normalCTE(cte) {
	case "base64":
		d := &base64Stream{w: cw}
		if _, err = io.Copy(d, r.reader()); err == nil {
			err = d.Close()
		}
	case "quoted-printable":
		err = decodeQPStream(cw, r)
	default:
		_, err = io.Copy(cw, r.reader())
	}
	return cw.n, err
}

// decodeQPStream decodes quoted-printable line by line, as decodeQP does.
func decodeQPStream(w io.Writer, r region) error {
	br := bufio.NewReaderSize(r.reader(), 64<<10)
	var line, out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(line) > 0 {
			out = decodeQP(line)
			if _, werr := w.Write(out); werr != nil {
				return werr
			}
			line = line[:0]
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// normalCTE normalises a Content-Transfer-Encoding value.
func normalCTE(cte string) string { return strings.ToLower(strings.TrimSpace(cte)) }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// spillRef is the content of an attachment left in a spill file.
type spillRef struct {
	r    region
	cte  string
	size int64        // decoded size
	h    *spillHandle // keeps the file alive
}

// open returns a reader of the decoded content.
func (s *spillRef) open() io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		_, err := decodeTransferTo(pw, s.cte, s.r)
		pw.CloseWithError(err)
	}()
	return pr
}

// spillHandle refers to the spill file of a parsed message; when no
// Message or Attachment refers to it any more, the file is removed.
type spillHandle struct{ f *spillFile }

// hasSpill reports whether an attachment of m stayed in a spill file.
func (m *Message) hasSpill() bool {
	for _, a := range m.Attachments {
		if a != nil && a.spill != nil {
			return true
		}
	}
	return false
}

// Close releases the temporary file that holds the big attachments of a
// message parsed from a spilled Spool (their content is then empty). It
// does nothing for other messages and may be called more than once.
func (m *Message) Close() error {
	if m == nil || m.spill == nil {
		return nil
	}
	m.spill.f.remove()
	m.spill = nil
	return nil
}

// maxSpoolHeader bounds the header of an entity read from a spill file.
const maxSpoolHeader = 16 << 20

// splitEntityRegion is splitEntity for an entity kept in a spill file:
// only the header is read into memory.
func splitEntityRegion(reg region) (rawHeader, region, error) {
	br := bufio.NewReaderSize(reg.reader(), 16<<10)
	var hb []byte
	for first := true; len(hb) < maxSpoolHeader; first = false {
		start := len(hb)
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			hb = append(hb, chunk...)
			if err != bufio.ErrBufferFull || len(hb) >= maxSpoolHeader {
				break
			}
		}
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return nil, region{}, NewError(ErrFile, "read spooled message", "", err)
		}
		line := bytes.TrimSuffix(bytes.TrimSuffix(hb[start:], []byte("\n")), []byte("\r"))
		if len(hb) == start || len(line) == 0 || err == io.EOF {
			break
		}
		if first {
			_, _, field := splitField(line)
			if line[0] == ' ' || line[0] == '\t' || !field && !bytes.HasPrefix(line, []byte("From ")) {
				return nil, reg, nil // no header: all of it is body
			}
		}
	}
	h, body := splitEntity(hb)
	if len(hb) > 0 && len(body) == len(hb) {
		return nil, reg, nil
	}
	return h, reg.sub(int64(len(hb)-len(body)), reg.n), nil
}

// isDelimiter reports whether l is the delimiter line delim ("--" and the
// boundary) and whether it closes the multipart, as splitMultipart does.
func isDelimiter(l scanLine, delim []byte) (is, closing bool) {
	if !bytes.HasPrefix(l.head, delim) || !l.whole && !l.tailBlank {
		return false, false
	}
	rest := bytes.TrimRight(l.head[len(delim):], " \t\r")
	closing = bytes.Equal(rest, []byte("--"))
	return len(rest) == 0 || closing, closing
}

// splitMultipartRegion is splitMultipart for a body kept in a spill file.
func splitMultipartRegion(b region, boundary string) (parts []region, ok bool, err error) {
	if boundary == "" {
		if boundary, err = guessBoundaryRegion(b); boundary == "" || err != nil {
			return nil, false, err
		}
	}
	delim := []byte("--" + boundary)
	if len(delim) > lineHead {
		return nil, false, nil
	}
	start := int64(-1)
	prevCR := false
	sc := newLineScanner(b)
	for {
		l, more := sc.next()
		if !more {
			break
		}
		if is, closing := isDelimiter(l, delim); is {
			ok = true
			if start >= 0 {
				e := l.start
				// The line break before a delimiter belongs to it.
				if e > start {
					e--
					if e > start && prevCR {
						e--
					}
				}
				parts = append(parts, b.sub(start, e))
			}
			if closing {
				return parts, true, nil
			}
			start = l.next
		}
		prevCR = l.cr
	}
	if sc.err != nil {
		return nil, false, NewError(ErrFile, "read spooled message", "", sc.err)
	}
	if start >= 0 && start < b.n {
		parts = append(parts, b.sub(start, b.n))
	}
	return parts, ok, nil
}

// guessBoundaryRegion is guessBoundary for a body kept in a spill file
// (lines longer than lineHead with more than blanks beyond are skipped).
func guessBoundaryRegion(b region) (string, error) {
	sc := newLineScanner(b)
	for {
		l, more := sc.next()
		if !more {
			break
		}
		if !l.whole && !l.tailBlank {
			continue
		}
		line := bytes.TrimRight(l.head, " \t\r")
		if len(line) > 2 && bytes.HasPrefix(line, []byte("--")) && !bytes.ContainsAny(line, " \t") {
			return string(bytes.TrimSuffix(line[2:], []byte("--"))), nil
		}
	}
	if sc.err != nil {
		return "", NewError(ErrFile, "read spooled message", "", sc.err)
	}
	return "", nil
}
