package bindings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmail/advmail/mail"
)

func TestSafeName(t *testing.T) {
	long := strings.Repeat("a", 300) + ".xml"
	cases := []struct{ in, ct, want string }{
		{"report.pdf", "application/pdf", "report.pdf"},
		{"../../etc/passwd", "text/plain", "passwd"},
		{"../../../../tmp/x/pwned.xml", "", "pwned.xml"},
		{"..%2F..%2Ftmp%2Fpwned.xml", "", "pwned.xml"},
		{`..%5C..%5Cwin.ini`, "", "win.ini"},
		{`C:\temp\x.txt`, "text/plain", "x.txt"},
		{"", "application/pdf", "attachment-1.pdf"},
		{"", "text/xml", "attachment-1.xml"},
		{"", "", "attachment-1.bin"},
		{"..", "", "attachment-1.bin"},
		{"dir/", "image/png", "attachment-1.png"},
		{"a:b?.txt", "", "a_b_.txt"},
		{"tab\there.txt", "", "tab_here.txt"},
		{"CON", "", "_CON"},
		{"nul.txt", "", "_nul.txt"},
		{"COM1.xml", "", "_COM1.xml"},
		{"lpt9", "", "_lpt9"},
		{"COM0.txt", "", "COM0.txt"},
		{"console.txt", "", "console.txt"},
		{"nota.xml. . ", "", "nota.xml"},
		{long, "", strings.Repeat("a", 251) + ".xml"},
	}
	for _, tc := range cases {
		if got := SafeName(tc.in, 1, tc.ct); got != tc.want {
			t.Errorf("SafeName(%q, %q) = %q, want %q", tc.in, tc.ct, got, tc.want)
		}
	}
}

func TestShortenKeepsUTF8(t *testing.T) {
	name := strings.Repeat("ç", 200) + ".pdf"
	got := SafeName(name, 1, "")
	if len(got) > maxNameBytes || !strings.HasSuffix(got, ".pdf") || !strings.HasPrefix(got, "ç") {
		t.Fatalf("SafeName long UTF-8 = %q (%d bytes)", got, len(got))
	}
	if !strings.HasSuffix(strings.TrimSuffix(got, ".pdf"), "ç") {
		t.Errorf("cut inside a character: %q", got)
	}
}

func TestCreateUniqueNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "nota.xml")
	if err := os.WriteFile(first, []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{"nota-2.xml", "nota-3.xml"}
	for i, w := range want {
		p, err := CreateUnique(dir, "nota.xml", []byte{byte('a' + i)})
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(p) != w {
			t.Errorf("CreateUnique #%d = %s, want %s", i+1, filepath.Base(p), w)
		}
	}
	if b, _ := os.ReadFile(first); string(b) != "first" {
		t.Errorf("existing file changed: %q", b)
	}
}

func TestSplitList(t *testing.T) {
	got := splitList([]string{`\spool\a.pdf; \spool\b.pdf,c.xml`, " ", "d.txt"})
	want := []string{`\spool\a.pdf`, `\spool\b.pdf`, "c.xml", "d.txt"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitList = %q, want %q", got, want)
	}
}

func TestSaveAttachmentsSafeAndUnique(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nota.xml"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &mail.Message{Attachments: []*mail.Attachment{
		{Name: "../../x.xml", Data: []byte("1")},
		{Name: "nota.xml", Data: []byte("2")},
		{Name: "nota.xml", Data: []byte("3")},
		{Name: "", ContentType: "application/pdf", Data: []byte("4")},
		{Name: "NUL", Data: []byte("5")},
	}}
	paths, err := saveAttachments(&Engine{}, p, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"x.xml", "nota-2.xml", "nota-3.xml", "attachment-4.pdf", "_NUL"}
	for i, w := range want {
		if i >= len(paths) || paths[i] != filepath.Join(dir, w) {
			t.Fatalf("paths = %q, want names %q", paths, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "nota.xml")); string(b) != "old" {
		t.Errorf("existing file overwritten: %q", b)
	}
	names, _ := saveAttachments(&Engine{}, p, "")
	if strings.Join(names, ",") != "x.xml,nota.xml,nota-2.xml,attachment-4.pdf,_NUL" {
		t.Errorf("names without a folder = %q", names)
	}
}
