package mail

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"net/textproto"
	"strings"
	"testing"
)

// dotRead reads body with r from a bufio.Reader of size buf and returns
// the output, the error and what is left after the response.
func dotRead(body string, buf int, fast bool) (string, error, string) {
	br := bufio.NewReaderSize(strings.NewReader(body), buf)
	var r io.Reader
	if fast {
		r = newPOP3DotReader(br)
	} else {
		r = textproto.NewReader(br).DotReader()
	}
	out, err := io.ReadAll(iotestOneByte(r, buf%3 == 0))
	rest, _ := io.ReadAll(br)
	return string(out), err, string(rest)
}

// iotestOneByte reads through a 7-byte buffer when small is set, so that
// Read is called with buffers shorter than a line.
func iotestOneByte(r io.Reader, small bool) io.Reader {
	if !small {
		return r
	}
	return readerFunc(func(p []byte) (int, error) { return r.Read(p[:min(len(p), 7)]) })
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestPOP3DotReader(t *testing.T) {
	cases := []string{
		".\r\n",
		"a\r\n.\r\nNEXT",
		"..leading\r\n.\r\n",
		"...\r\n..\r\n.\r\nrest",
		"bare lf\nline\n.\n",
		"cr\rinside\r\n.\r\n",
		".\rX\r\n.\r\n",
		"no end\r\n",
		"",
		strings.Repeat("x", 100) + "\r\n.\r\n",
		strings.Repeat("y", 15) + "\r\n" + strings.Repeat("z", 16) + "\r\r\n.\r\n",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(".\r\nab")
	for range 3000 {
		b := make([]byte, rng.IntN(60))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, body := range cases {
		for _, buf := range []int{16, 17, 18, 4096} {
			want, werr, wrest := dotRead(body, buf, false)
			got, gerr, grest := dotRead(body, buf, true)
			if got != want || (werr == nil) != (gerr == nil) || grest != wrest {
				t.Fatalf("body %q, buffer %d:\n got %q, %v, rest %q\nwant %q, %v, rest %q", body, buf, got, gerr, grest, want, werr, wrest)
			}
		}
	}
}

func BenchmarkPOP3DotReader(b *testing.B) {
	body := bytes.Repeat([]byte("0123456789 abcdefghij klmnopqrstuvwxyz 0123456789 abcdefghij\r\n"), 4000)
	body = append(body, ".\r\n"...)
	for _, bc := range []struct {
		name string
		fast bool
	}{{"textproto", false}, {"lines", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				br := bufio.NewReaderSize(bytes.NewReader(body), 64<<10)
				var r io.Reader = textproto.NewReader(br).DotReader()
				if bc.fast {
					r = newPOP3DotReader(br)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
