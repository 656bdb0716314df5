package mail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"reflect"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/advmail/advmail/mail/internal/testca"
	"github.com/advmail/advmail/mail/pop3server"
)

// forceSpill makes every message spill to a file in a temporary
// directory and every attachment stay there, for the test.
func forceSpill(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	oldT, oldDir, oldLeaf := SpillThreshold, SpillDir, spillLeaf
	SpillThreshold, SpillDir, spillLeaf = 1, dir, 0
	t.Cleanup(func() { SpillThreshold, SpillDir, spillLeaf = oldT, oldDir, oldLeaf })
	return dir
}

// spoolOf returns a Spool holding data.
func spoolOf(t testing.TB, data []byte) *Spool {
	t.Helper()
	s := NewSpool(int64(len(data)))
	// Uneven writes, as the network delivers them.
	for len(data) > 0 {
		n := min(len(data), 1+len(data)%7919)
		if _, err := s.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	return s
}

// dirEntries lists dir.
func dirEntries(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// sameParse checks that m (parsed from a spill file) equals want (parsed
// in memory), attachment contents included.
func sameParse(t *testing.T, want, m *Message) {
	t.Helper()
	if len(m.Attachments) != len(want.Attachments) {
		t.Fatalf("%d attachments, want %d", len(m.Attachments), len(want.Attachments))
	}
	for i, a := range m.Attachments {
		w := want.Attachments[i]
		got, err := a.Content()
		if err != nil {
			t.Fatalf("attachment %d: Content: %v", i+1, err)
		}
		if !bytes.Equal(got, w.Data) {
			t.Errorf("attachment %d: content differs (%d bytes, want %d)", i+1, len(got), len(w.Data))
		}
		if a.Size() != int64(len(w.Data)) {
			t.Errorf("attachment %d: Size %d, want %d", i+1, a.Size(), len(w.Data))
		}
		ac, wc := *a, *w
		ac.Data, wc.Data, ac.spill = nil, nil, nil
		if !reflect.DeepEqual(ac, wc) {
			t.Errorf("attachment %d:\n got %+v\nwant %+v", i+1, ac, wc)
		}
	}
	mc, wc := *m, *want
	mc.Attachments, wc.Attachments, mc.spill = nil, nil, nil
	if !reflect.DeepEqual(mc, wc) {
		t.Errorf("message:\n got %+v\nwant %+v", mc, wc)
	}
}

// spoolSamples are messages for the file parser: the corpus, the fuzz
// seeds, malformed shapes and built messages.
func spoolSamples(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, glob := range []string{"testdata/messages/*.eml", "testdata/fuzz/FuzzParse/*"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[f] = b
		}
	}
	out["no boundary param"] = []byte("Subject: x\r\nContent-Type: multipart/mixed\r\n\r\npre\r\n--abc\r\nContent-Type: text/plain\r\n\r\nhi\r\n--abc\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n--abc--\r\nepilogue")
	out["no closing delimiter"] = []byte("Subject: x\nContent-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n\nhi\n--q  \t\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n")
	out["qp attachment"] = []byte("Subject: x\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; name=n.txt\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nl=C3=A1 =\r\nsoft  \r\nline=\r\n--b--\r\n")
	out["no header"] = []byte("just a body\r\nwith lines\r\n")
	out["blank first line"] = []byte("\r\nSubject: body\r\n")
	out["mbox From line"] = []byte("From someone Mon Jan 1\r\nSubject: m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=x.bin\r\n\r\nraw bytes\r\n")
	long := strings.Repeat("A", 5000)
	out["long lines"] = []byte("Subject: l\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: application/zip; name=z.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n" + long + "\r\n--zz" + strings.Repeat(" ", 3000) + "\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--zz--")

	msg := &Message{From: "a@x.com", To: "b@y.com", Subject: "Relatório", Body: "<p>olá</p>", MessageID: "id@x"}
	msg.Attachments = []*Attachment{
		{Name: "a.pdf", Data: bytes.Repeat([]byte("%PDF-1.4 binary\x00\xff"), 3000)},
		{Name: "logo.png", ContentID: "logo", Data: []byte("\x89PNG....")},
		{Name: "m.eml", Data: []byte("Subject: fwd\r\n\r\nforwarded\r\n")},
	}
	b, err := msg.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	out["built"] = b
	return out
}

func TestParseSpoolMatchesParse(t *testing.T) {
	dir := forceSpill(t)
	for name, data := range spoolSamples(t) {
		t.Run(name, func(t *testing.T) {
			want, wantErr := parseBytes(bytes.TrimPrefix(data, utf8BOM))
			m, err := ParseSpool(context.Background(), spoolOf(t, data))
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("error %v, want %v", err, wantErr)
			}
			if err != nil {
				return
			}
			sameParse(t, want, m)
			m.Close()
			if left := dirEntries(t, dir); len(left) != 0 {
				t.Errorf("files left after Close: %v", left)
			}
		})
	}
}

func TestSpoolThreshold(t *testing.T) {
	dir := t.TempDir()
	oldT, oldDir := SpillThreshold, SpillDir
	SpillThreshold, SpillDir = 100, dir
	defer func() { SpillThreshold, SpillDir = oldT, oldDir }()

	small := spoolOf(t, bytes.Repeat([]byte("x"), 100))
	if small.Spilled() || len(dirEntries(t, dir)) != 0 {
		t.Fatal("a message of the threshold's size spilled")
	}
	big := spoolOf(t, bytes.Repeat([]byte("y"), 101))
	if !big.Spilled() || len(dirEntries(t, dir)) != 1 {
		t.Fatal("a message above the threshold did not spill")
	}
	if b, err := big.Bytes(); err != nil || len(b) != 101 || big.Len() != 101 {
		t.Fatalf("Bytes = %d bytes, %v", len(b), err)
	}
	big.Discard()
	if left := dirEntries(t, dir); len(left) != 0 {
		t.Fatalf("files left after Discard: %v", left)
	}
	// A message without big attachments does not keep its file.
	m, err := ParseSpool(context.Background(), spoolOf(t, []byte("Subject: s\r\n\r\n"+strings.Repeat("text ", 40))))
	if err != nil || m.Subject != "s" || len(dirEntries(t, dir)) != 0 {
		t.Fatalf("ParseSpool: %v, subject %q, files %v", err, m.Subject, dirEntries(t, dir))
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{"10": 10, "64K": 64 << 10, "8m": 8 << 20, "1G": 1 << 30} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "9999999999G"} {
		if _, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q) succeeded", in)
		}
	}
}

func TestStreamingDecodersMatch(t *testing.T) {
	dir := forceSpill(t)
	_ = dir
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \r\n\t=!#%")
	for i := 0; i < 200; i++ {
		b := make([]byte, r.IntN(3000))
		for j := range b {
			b[j] = alphabet[r.IntN(len(alphabet))]
		}
		s := spoolOf(t, b)
		f, _, n, err := s.finish()
		if err != nil {
			t.Fatal(err)
		}
		for _, cte := range []string{"base64", "quoted-printable", "7bit"} {
			var got bytes.Buffer
			size, err := decodeTransferTo(&got, cte, region{f: f, n: n})
			want := decodeTransfer(cte, b)
			if err != nil || !bytes.Equal(got.Bytes(), want) || size != int64(len(want)) {
				t.Fatalf("%s of %q: got %q (%d, %v), want %q", cte, b, got.Bytes(), size, err, want)
			}
		}
		f.remove()
	}
}

// fixedBuild makes built messages reproducible: fixed boundaries.
func fixedBuild(t *testing.T) {
	old := newBoundary
	n := 0
	newBoundary = func() string { n++; return fmt.Sprintf("boundary-%d", n) }
	t.Cleanup(func() { newBoundary = old })
}

func TestBuildStreamingIdentical(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{0, 1, 56, 57, 58, 76, 114, 57*512 - 1, 57 * 512, 57*512 + 1, 300001} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(r.UintN(256))
		}
		path := filepath.Join(dir, fmt.Sprintf("f%d.bin", size))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		build := func(a *Attachment) []byte {
			fixedBuild(t)
			m := &Message{From: "a@x.com", To: "b@y.com", Subject: "s", Body: "<b>x</b>", MessageID: "id@x",
				Date: "Mon, 02 Jan 2006 15:04:05 -0700", Attachments: []*Attachment{a}}
			b, err := m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			var w bytes.Buffer
			fixedBuild(t)
			if n, err := m.WriteTo(&w); err != nil || n != int64(w.Len()) {
				t.Fatalf("WriteTo: %d, %v", n, err)
			}
			if !bytes.Equal(w.Bytes(), b) {
				t.Fatal("WriteTo differs from Bytes")
			}
			fixedBuild(t)
			bt, err := m.prepare(false)
			if err != nil {
				t.Fatal(err)
			}
			if sz, err := bt.size(); err != nil || sz != int64(len(b)) {
				t.Fatalf("size %d, %v; want %d", sz, err, len(b))
			}
			return b
		}
		// The reference: the whole attachment encoded at once.
		fixedBuild(t)
		ref := &Message{From: "a@x.com", To: "b@y.com", Subject: "s", Body: "<b>x</b>", MessageID: "id@x",
			Date: "Mon, 02 Jan 2006 15:04:05 -0700", Attachments: []*Attachment{{Name: filepath.Base(path), Data: data}}}
		refTree, err := ref.prepare(false)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range refTree.root.parts {
			if p.src != nil {
				p.body, p.src = base64Lines(data), nil
			}
		}
		var want bytes.Buffer
		if err := refTree.write(&want); err != nil {
			t.Fatal(err)
		}
		fromData := build(&Attachment{Name: filepath.Base(path), Data: data})
		fromFile := build(&Attachment{Name: filepath.Base(path), Path: path})
		if !bytes.Equal(fromData, want.Bytes()) || !bytes.Equal(fromFile, want.Bytes()) {
			t.Errorf("size %d: streamed encoding differs from base64Lines", size)
		}
	}
}

func TestAttachFileMissingAtSend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gone.pdf")
	m := &Message{From: "a@x.com", To: "b@y.com", Attachments: []*Attachment{{Name: "gone.pdf", Path: path}}}
	var w bytes.Buffer
	if _, err := m.WriteTo(&w); CodeOf(err) != ErrAttachmentNotFound || w.Len() != 0 {
		t.Fatalf("WriteTo = %v (%d bytes written), want ErrAttachmentNotFound and nothing written", err, w.Len())
	}
}

// bigMailbox is a pop3server backend holding one message.
type bigMailbox struct {
	mu  sync.Mutex
	msg []byte
}

func (b *bigMailbox) Login(user, pass string) (pop3server.Mailbox, error) { return b, nil }
func (b *bigMailbox) Messages() ([]pop3server.Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return []pop3server.Message{{UID: "1", Size: int64(len(b.msg))}}, nil
}
func (b *bigMailbox) Open(i int) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return io.NopCloser(bytes.NewReader(b.msg)), nil
}
func (b *bigMailbox) Delete([]int) error { return nil }
func (b *bigMailbox) Close() error       { return nil }

// TestBigAttachmentRoundTrip sends a 20 MB file attachment through SMTP
// and receives it back by POP3 (in-process servers): the content arrives
// whole, the received message is kept in a temporary file, and Close
// leaves no file behind.
func TestBigAttachmentRoundTrip(t *testing.T) {
	spill := t.TempDir()
	oldDir, oldMax := SpillDir, pop3MaxMessage
	// A spooled message may exceed the bound of messages held in memory.
	SpillDir, pop3MaxMessage = spill, 1<<20
	defer func() { SpillDir, pop3MaxMessage = oldDir, oldMax }()

	data := make([]byte, 20<<20)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range data {
		data[i] = byte(r.UintN(256))
	}
	sum := sha256.Sum256(data)
	path := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	data = nil

	ca := testca.New(t)
	b := &testSMTPBackend{}
	port := startTestSMTP(t, srvPlain, ca, b, nil)
	c := dialTestSMTP(t, testSMTPTransport(ca, nil, nil), port, Plain, 30*time.Second)
	msg := &Message{From: "a@example.com", To: "henry@example.com", Subject: "big", Body: "<p>see attached</p>",
		Attachments: []*Attachment{{Name: "big.bin", Path: path}}}
	if err := c.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	mails, _, _ := b.snapshot()
	if len(mails) != 1 {
		t.Fatalf("%d mails delivered", len(mails))
	}
	raw := []byte(strings.ReplaceAll(strings.ReplaceAll(mails[0].Data, "\r\n", "\n"), "\n", "\r\n"))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &pop3server.Server{Backend: &bigMailbox{msg: raw}}
	go srv.Serve(l)
	defer srv.Close()
	tr := &Transport{Config: DefaultConfig()}
	pc, err := DialPOP3(context.Background(), tr, POP3Options{Endpoint: Endpoint{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if err := pc.Login("henry", "x"); err != nil {
		t.Fatal(err)
	}
	sp, err := pc.RetrSpool(1)
	if err != nil {
		t.Fatalf("RetrSpool: %v", err)
	}
	if !sp.Spilled() {
		t.Fatalf("a %d-byte message stayed in memory", sp.Len())
	}
	got, err := ParseSpool(context.Background(), sp)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Attachments) != 1 || got.Attachments[0].Name != "big.bin" || got.Attachments[0].Size() != 20<<20 {
		t.Fatalf("attachments: %+v", got.Attachments)
	}
	h := sha256.New()
	if _, err := got.Attachments[0].WriteContentTo(h); err != nil {
		t.Fatal(err)
	}
	if [32]byte(h.Sum(nil)) != sum {
		t.Fatal("the received attachment differs from the file sent")
	}
	if n := len(dirEntries(t, spill)); n != 1 {
		t.Fatalf("%d spill files, want 1", n)
	}
	got.Close()
	if left := dirEntries(t, spill); len(left) != 0 {
		t.Fatalf("files left after Close: %v", left)
	}
	if _, err := got.Attachments[0].Open(); CodeOf(err) != ErrFile {
		t.Fatalf("Open after Close = %v, want ErrFile", err)
	}
}

// BenchmarkBigMessage reports what sending and receiving a message with a
// big attachment allocates, per size: "send" builds and writes it with the
// attachment streamed from its file (WriteTo to a discarding writer),
// "receive" reads it by POP3 into a Spool, parses it and streams the
// attachment out. alloc/size is the bytes allocated per byte of
// attachment: far below 1 means the message was never held whole.
//
//	go test ./mail -run '^$' -bench BenchmarkBigMessage -benchtime 3x
func BenchmarkBigMessage(b *testing.B) {
	for _, mb := range []int{1, 30} {
		dir := b.TempDir()
		path := filepath.Join(dir, "a.bin")
		data := make([]byte, mb<<20)
		r := rand.New(rand.NewPCG(7, 8))
		for i := range data {
			data[i] = byte(r.UintN(256))
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		msg := &Message{From: "a@x.com", To: "b@y.com", Subject: "big", Body: "<p>x</p>",
			Attachments: []*Attachment{{Name: "a.bin", Path: path}}}
		eml := filepath.Join(dir, "m.eml")
		f, err := os.Create(eml)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := msg.WriteTo(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
		data = nil
		size := float64(mb << 20)

		b.Run(fmt.Sprintf("send/%dMB", mb), func(b *testing.B) {
			benchAlloc(b, size, func() {
				if _, err := msg.WriteTo(io.Discard); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(fmt.Sprintf("receive/%dMB", mb), func(b *testing.B) {
			oldDir := SpillDir
			SpillDir = b.TempDir()
			defer func() { SpillDir = oldDir }()
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			fi, _ := os.Stat(eml)
			srv := &pop3server.Server{Backend: fileMailbox{path: eml, size: fi.Size()}}
			go srv.Serve(l)
			defer srv.Close()
			ep := Endpoint{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
			benchAlloc(b, size, func() {
				pc, err := DialPOP3(context.Background(), &Transport{Config: DefaultConfig()}, POP3Options{Endpoint: ep, Timeout: time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				defer pc.Close()
				if err := pc.Login("u", "p"); err != nil {
					b.Fatal(err)
				}
				sp, err := pc.RetrSpool(1)
				if err != nil {
					b.Fatal(err)
				}
				m, err := ParseSpool(context.Background(), sp)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := m.Attachments[0].WriteContentTo(io.Discard); err != nil {
					b.Fatal(err)
				}
				m.Close()
			})
		})
	}
}

// benchAlloc runs fn b.N times and reports the bytes allocated per run and
// per byte of attachment.
func benchAlloc(b *testing.B, size float64, fn func()) {
	var before, after runtimeMemStats
	readMemStats(&before)
	for b.Loop() {
		fn()
	}
	readMemStats(&after)
	per := float64(after.TotalAlloc-before.TotalAlloc) / float64(b.N)
	b.ReportMetric(per/(1<<20), "MiB-alloc/op")
	b.ReportMetric(per/size, "alloc/size")
}

// fileMailbox serves one message from a file, so that the server side
// holds nothing in memory.
type fileMailbox struct {
	path string
	size int64
}

func (f fileMailbox) Login(user, pass string) (pop3server.Mailbox, error) { return f, nil }
func (f fileMailbox) Messages() ([]pop3server.Message, error) {
	return []pop3server.Message{{UID: "1", Size: f.size}}, nil
}
func (f fileMailbox) Open(int) (io.ReadCloser, error) { return os.Open(f.path) }
func (f fileMailbox) Delete([]int) error              { return nil }
func (f fileMailbox) Close() error                    { return nil }

type runtimeMemStats = goruntime.MemStats

func readMemStats(m *runtimeMemStats) { goruntime.ReadMemStats(m) }
