package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// protheusINI is an appserver.ini as a Protheus shop on Windows has it: a
// BOM, CRLF, ';' comments, keys in mixed letter case and Windows folders
// ending in a backslash just before the next key or section.
var protheusINI = "\ufeff" + strings.Join([]string{
	"; AppServer - servidor de produção",
	"[General]",
	"InstallPath=C:\\TOTVS\\Protheus\\",
	"MaxStringSize=10",
	"",
	"[P12_PRODUCAO]",
	"SourcePath=C:\\TOTVS\\Protheus\\apo\\",
	"RootPath=C:\\TOTVS\\Protheus_Data\\",
	"StartPath=\\system\\",
	"[P12_TESTE]",
	"ROOTPATH=D:\\TOTVS\\Teste\\",
	"startpath=\\system\\",
	"[Mail]",
	"PROTOCOL=POP3",
	"AuthNtlm=0 ; o servidor não aceita NTLM",
	"",
	"[Parameters]",
	"MV_XMLDIR=C:\\xml\\recebidos\\",
	"MV_POPUSR=nfe@empresa.com.br",
	"mv_reltime=120",
	"MV_SPOOL=\\spool\\",
	"[OnStart]",
	"Jobs=JOB_NFE",
	"RefreshRate=60",
	"",
}, "\r\n")

// TestServerINIProtheusShape reads a real-shaped appserver.ini as the
// server ini: every environment section, [Mail] and [Parameters] survive
// the values that end in '\'.
func TestServerINIProtheusShape(t *testing.T) {
	file := writeFile(t, t.TempDir(), "appserver.ini", []byte(protheusINI))
	r, _ := newTestRuntime(t, Options{ConfigPath: file})
	if c := r.Config(); c.Protocol != "POP3" || c.AuthNTLM {
		t.Errorf("[Mail] from the file: %+v", c)
	}
	tests := []struct {
		code, want string
	}{
		{`GetPvProfString("General", "InstallPath", "?", F)`, `"C:\\TOTVS\\Protheus\\"`},
		{`GetPvProfString("general", "MAXSTRINGSIZE", "?", F)`, `"10"`},
		{`GetPvProfString("P12_PRODUCAO", "RootPath", "?", F)`, `"C:\\TOTVS\\Protheus_Data\\"`},
		{`GetPvProfString("P12_PRODUCAO", "StartPath", "?", F)`, `"\\system\\"`},
		{`GetPvProfString("p12_teste", "RootPath", "?", F)`, `"D:\\TOTVS\\Teste\\"`},
		{`GetPvProfString("P12_TESTE", "StartPath", "?", "")`, `"\\system\\"`},
		{`GetPvProfString("MAIL", "Protocol", "?", F)`, `"POP3"`},
		{`GetPvProfString("OnStart", "jobs", "?", F)`, `"JOB_NFE"`},
		{`GetMV("MV_XMLDIR")`, `"C:\\xml\\recebidos\\"`},
		{`GetMV("MV_POPUSR")`, `"nfe@empresa.com.br"`},
		{`GetMV("MV_RELTIME", false, 0)`, `120`},
		{`SuperGetMV("MV_SPOOL", false, "")`, `"\\spool\\"`},
	}
	for _, tc := range tests {
		got, err := evalShow(t, r, fmt.Sprintf("local F = %q\nreturn %s", file, tc.code))
		if err != nil {
			t.Errorf("%s: %v", tc.code, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s = %s, want %s", tc.code, got, tc.want)
		}
	}
}

// TestWritePProStringTrailingBackslash writes values ending in '\' into the
// server ini and into another ini: what follows them is still read, and
// the engine sees the [Mail] section after them.
func TestWritePProStringTrailingBackslash(t *testing.T) {
	dir := t.TempDir()
	srv := writeFile(t, dir, "appserver.ini", []byte("[ENV]\r\nRootPath=C:\\old\r\n[Mail]\r\nProtocol=POP3\r\n"))
	other := filepath.Join(dir, "custom.ini")
	r, _ := newTestRuntime(t, Options{ConfigPath: srv})
	got, err := evalShow(t, r, fmt.Sprintf(`local S, O = %q, %q
local a = WritePProString("ENV", "RootPath", "C:\\TOTVS\\Protheus_Data\\", S)
local b = WritePProString("Mail", "Protocol", "IMAP", S)
local c = WritePProString("Paths", "Spool", "\\spool\\", O)
local d = WritePProString("Paths", "Next", "x", O)
return a, b, c, d, GetPvProfString("env", "rootpath", "", S), GetPvProfString("paths", "spool", "", O), GetPvProfString("paths", "next", "", O)`, srv, other))
	if err != nil {
		t.Fatal(err)
	}
	if want := `true, true, true, true, "C:\\TOTVS\\Protheus_Data\\", "\\spool\\", "x"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if p := r.Engine().CurrentConfig().Protocol; p != "IMAP" {
		t.Errorf("engine protocol %q after the write, want IMAP", p)
	}
	data, err := os.ReadFile(srv)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[ENV]\r\nRootPath=C:\\TOTVS\\Protheus_Data\\\r\n[Mail]\r\nProtocol=IMAP\r\n"; string(data) != want {
		t.Errorf("server ini now %q, want %q", data, want)
	}
}

func TestSamePath(t *testing.T) {
	tests := []struct {
		a, b       string
		fold, want bool
	}{
		{`C:\TOTVS\bin\appserver.ini`, `C:\TOTVS\bin\appserver.ini`, true, true},
		{`C:\TOTVS\bin\appserver.ini`, `c:\totvs\BIN\APPSERVER.INI`, true, true},
		{`C:\TOTVS\bin\appserver.ini`, `c:\totvs\BIN\APPSERVER.INI`, false, false},
		{"/Users/ana/appserver.ini", "/users/ana/AppServer.ini", true, true},
		{"/srv/appserver.ini", "/srv/APPSERVER.INI", false, false},
		{"/srv/appserver.ini", "/srv/appserver.ini", false, true},
		{"/srv/appserver.ini", "/srv/appserver.ini2", true, false},
		{`C:\a\appserver.ini`, `C:\b\appserver.ini`, true, false},
	}
	for _, tt := range tests {
		if got := samePath(tt.a, tt.b, tt.fold); got != tt.want {
			t.Errorf("samePath(%q, %q, %v) = %v, want %v", tt.a, tt.b, tt.fold, got, tt.want)
		}
	}
}

// TestServerINIOtherSpelling writes the server ini under another letter
// case (as Upper(GetSrvIniName()) does) and under a hard link. The live
// configuration follows whenever the OS sees the same file.
func TestServerINIOtherSpelling(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "appserver.ini", []byte("[Mail]\nProtocol=POP3\n"))
	r, _ := newTestRuntime(t, Options{ConfigPath: file})

	upper := filepath.Join(dir, "APPSERVER.INI")
	if _, err := evalShow(t, r, fmt.Sprintf(`return WritePProString("MAIL", "Protocol", "IMAP", %q)`, upper)); err != nil {
		t.Fatal(err)
	}
	a, errA := os.Stat(upper)
	b, errB := os.Stat(file)
	sameFile := errA == nil && errB == nil && os.SameFile(a, b)
	if hostRules.FoldCase && !sameFile {
		t.Errorf("%s and %s are different files on a case-insensitive OS", upper, file)
	}
	want := "POP3"
	if sameFile {
		want = "IMAP"
	}
	if got := r.Engine().CurrentConfig().Protocol; got != want {
		t.Errorf("after writing %s: engine protocol %q, want %q (same file: %v)", filepath.Base(upper), got, want, sameFile)
	}

	link := filepath.Join(dir, "link.ini")
	if err := os.Link(file, link); err != nil {
		t.Fatal(err)
	}
	if _, err := evalShow(t, r, fmt.Sprintf(`return WritePProString("Mail", "Protocol", "POP3", %q)`, link)); err != nil {
		t.Fatal(err)
	}
	if _, err := evalShow(t, r, fmt.Sprintf(`return WritePProString("Mail", "Protocol", "IMAP", %q)`, link)); err != nil {
		t.Fatal(err)
	}
	if got := r.Engine().CurrentConfig().Protocol; got != "IMAP" {
		t.Errorf("after writing a hard link to the server ini: engine protocol %q, want IMAP", got)
	}
}
