package runtime

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

var (
	linuxRules   = osRules{}
	macRules     = osRules{FoldCase: true}
	windowsRules = osRules{Windows: true, FoldCase: true}
)

// TestResolveRules runs the pure resolution under every OS's rules, on
// every OS.
func TestResolveRules(t *testing.T) {
	unix := pathEnv{Root: "/srv/protheus", Start: `\system\`, Defined: true, Cwd: "/home/u"}
	win := pathEnv{Root: `C:\TOTVS\Protheus_Data`, Start: `\system\`, Defined: true, Cwd: `D:\work`}
	noRoot := pathEnv{Root: "/etc/advmail", Cwd: "/home/u"}
	cases := []struct {
		name  string
		rules osRules
		env   pathEnv
		in    string
		want  string
		fails bool
	}{
		{"server path", linuxRules, unix, `\spool\boleto.pdf`, "/srv/protheus/spool/boleto.pdf", false},
		{"server path slash mix", linuxRules, unix, `\spool/sub\x.pdf`, "/srv/protheus/spool/sub/x.pdf", false},
		{"trailing blanks", linuxRules, unix, `\spool\x.pdf   `, "/srv/protheus/spool/x.pdf", false},
		{"dotdot inside", linuxRules, unix, `\spool\..\xml\a.xml`, "/srv/protheus/xml/a.xml", false},
		{"escape refused", linuxRules, unix, `\..\..\etc\passwd`, "", true},
		{"escape deep refused", linuxRules, unix, `\spool\..\..\etc`, "", true},
		{"relative under start", linuxRules, unix, `x.txt`, "/srv/protheus/system/x.txt", false},
		{"relative escape refused", linuxRules, unix, `..\..\x.txt`, "", true},
		{"relative climbs start", linuxRules, unix, `..\spool\x.txt`, "/srv/protheus/spool/x.txt", false},
		{"unix absolute", linuxRules, unix, "/tmp/a.txt", "/tmp/a.txt", false},
		{"no root relative is cwd", linuxRules, noRoot, "a/b.txt", "/home/u/a/b.txt", false},
		{"no root server path", linuxRules, noRoot, `\spool\a.txt`, "/etc/advmail/spool/a.txt", false},
		{"empty", linuxRules, unix, "   ", "", true},
		{"nul", linuxRules, unix, "a\x00b", "", true},
		{"mac server path", macRules, unix, `\spool\A.PDF`, "/srv/protheus/spool/A.PDF", false},
		{"win server path", windowsRules, win, `\spool\boleto.pdf`, `C:\TOTVS\Protheus_Data\spool\boleto.pdf`, false},
		{"win forward slashes", windowsRules, win, `/spool/x.pdf`, `\spool\x.pdf`, false},
		{"win drive", windowsRules, win, `E:\dados\x.pdf`, `E:\dados\x.pdf`, false},
		{"win drive slash", windowsRules, win, `E:/dados/x.pdf`, `E:\dados\x.pdf`, false},
		{"win unc", windowsRules, win, `\\server\share\x.pdf`, `\\server\share\x.pdf`, false},
		{"win relative", windowsRules, win, `x.pdf`, `C:\TOTVS\Protheus_Data\system\x.pdf`, false},
		{"win escape refused", windowsRules, win, `\..\..\Windows\win.ini`, "", true},
		{"linux unc is os path", linuxRules, unix, `\\server\share\x`, "//server/share/x", false},
		{"linux drive is relative", linuxRules, unix, `C:\x.txt`, "/srv/protheus/system/C:/x.txt", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolve(tc.in, tc.env, tc.rules)
			if tc.fails {
				if err == nil {
					t.Fatalf("resolve(%q) = %q, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("resolve(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestEscapeErrorIsClear(t *testing.T) {
	_, err := resolve(`\..\..\etc\passwd`, pathEnv{Root: "/r", Defined: true}, linuxRules)
	if err == nil || !strings.Contains(err.Error(), "leaves the RootPath") {
		t.Fatalf("err = %v", err)
	}
}

func TestSplitParts(t *testing.T) {
	cases := []struct{ in, drive, dir, name, ext string }{
		{`C:\TOTVS\spool\boleto.pdf`, "C:", `\TOTVS\spool\`, "boleto", ".pdf"},
		{`\spool\x.tar.gz`, "", `\spool\`, "x.tar", ".gz"},
		{"/tmp/readme", "", "/tmp/", "readme", ""},
		{"nota.xml", "", "", "nota", ".xml"},
	}
	for _, tc := range cases {
		d, dir, n, e := splitParts(tc.in)
		if d != tc.drive || dir != tc.dir || n != tc.name || e != tc.ext {
			t.Errorf("splitParts(%q) = %q %q %q %q", tc.in, d, dir, n, e)
		}
	}
}

// newRootRuntime returns a Runtime whose environment has RootPath root.
func newRootRuntime(t *testing.T, root, extra string) *Runtime {
	t.Helper()
	ini := "[advmail]\nEnvironment=teste\n[teste]\nRootPath=" + root + "\nStartPath=\\system\\\n" + extra
	r, _ := newTestRuntime(t, Options{INI: []byte(ini)})
	return r
}

// evalOne evaluates a Lua expression list and returns the results.
func evalLua(t *testing.T, r *Runtime, code string) []lua.LValue {
	t.Helper()
	vs, err := r.Eval(context.Background(), "test", code)
	if err != nil {
		t.Fatalf("%s: %v", code, err)
	}
	return vs
}

func TestServerPathsOnDisk(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "Spool", "Boletos"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "Spool", "Boletos", "Boleto.PDF"), []byte("%PDF"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRootRuntime(t, root, "")
	cases := []struct{ code, want string }{
		{`return MemoRead("\spool\boletos\boleto.pdf  ")`, "%PDF"},
		{`return File("\SPOOL\BOLETOS\BOLETO.PDF")`, "true"},
		{`return File("\..\..\etc\passwd")`, "false"},
		{`return MemoWrite("\spool\novo.txt", "x")`, "true"},
		{`return MemoRead("\Spool\NOVO.TXT")`, "x"},
		{`return MakeDir("\xml\recebidos")`, "0"},
		{`return ExistDir("\XML\Recebidos")`, "true"},
		{`return lIsDir("\xml")`, "true"},
		{`return GetSrvProfString("RootPath", "")`, root},
		{`return GetSrvProfString("StartPath", "")`, `\system\`},
		{`return GetEnvServer()`, "teste"},
		{`return #Directory("\spool\boletos\*.pdf")`, "1"},
		{`return Directory("\spool\boletos\*.*")[1][1]`, "Boleto.PDF"},
		{`return Directory("\spool\boletos\*.pdf")[1][2]`, "4"},
		{`return Directory("\spool\*", "D")[1][5]`, "D"},
		{`local h = FCreate("\spool\f.txt"); FWrite(h, "hello world"); FClose(h); h = FOpen("\spool\f.txt"); local n, s = FRead(h, "", 5); FSeek(h, 6, 0); local t = FReadStr(h, 100); FClose(h); return n .. s .. t`, "5helloworld"},
		{`return FOpen("\spool\nao-existe.txt"), FError()`, "-1"},
		{`FOpen("\spool\nao-existe.txt"); return FError()`, "2"},
		{`return FClose(99)`, "false"},
		{`return FRename("\spool\f.txt", "\spool\g.txt")`, "0"},
		{`return __CopyFile("\spool\g.txt", "\spool\h.txt")`, "true"},
		{`return FErase("\spool\h.txt")`, "0"},
		{`return MakeDir("\vazio"), DirRemove("\vazio")`, "0"},
		{`local d, p, n, e = SplitPath("\spool\boleto.pdf"); return p .. "|" .. n .. "|" .. e`, `\spool\|boleto|.pdf`},
		{`return CurDir()`, `\system\`},
	}
	for _, tc := range cases {
		vs := evalLua(t, r, strings.ReplaceAll(tc.code, `\`, `\\`)) // Lua escapes
		if len(vs) == 0 || vs[0].String() != tc.want {
			t.Errorf("%s = %v, want %s", tc.code, vs, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "spool", "novo.txt")); err != nil && !hostRules.FoldCase {
		// created under the existing "Spool" folder, found case-insensitively
		if _, err := os.Stat(filepath.Join(root, "Spool", "novo.txt")); err != nil {
			t.Errorf("novo.txt not under Spool: %v", err)
		}
	}
}

func TestServerPathEscapeRaisesNothingButFails(t *testing.T) {
	r := newRootRuntime(t, t.TempDir(), "")
	vs := evalLua(t, r, `return MemoWrite("\\..\\..\\x.txt", "x"), FCreate("\\..\\x"), FError()`)
	if vs[0] != lua.LFalse || vs[1] != lua.LNumber(-1) || vs[2] != lua.LNumber(2) {
		t.Errorf("escape results = %v", vs)
	}
}

// TestAttachmentsThroughEngine saves hostile names through SaveAttach
// into a server folder.
func TestSaveAttachHostileNames(t *testing.T) {
	root := t.TempDir()
	r := newRootRuntime(t, root, "")
	code := `
		local m = TMailMessage():New()
		m:Attach("um", "../../../../tmp/pwned.xml")
		m:Attach("dois", "nota.xml")
		m:Attach("tres", "nota.xml")
		m:Attach("quatro", "")
		m:Attach("cinco", "CON.txt")
		local out = {}
		for i = 1, 5 do
			local ok, path = m:SaveAttach(i, "\\xml\\in\\")
			out[#out+1] = tostring(ok) .. "=" .. tostring(path)
		end
		return table.concat(out, "\n")`
	vs := evalLua(t, r, code)
	got := vs[0].String()
	dir := filepath.Join(root, "xml", "in")
	for _, name := range []string{"pwned.xml", "nota.xml", "nota-2.xml", "attachment-4.bin", "_CON.txt"} {
		if !strings.Contains(got, "true="+filepath.Join(dir, name)) {
			t.Errorf("SaveAttach results lack %s:\n%s", name, got)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "nota.xml")); string(b) != "dois" {
		t.Errorf("first nota.xml overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(root, "..", "tmp", "pwned.xml")); err == nil {
		t.Error("pwned.xml escaped the folder")
	}
	vs = evalLua(t, r, `local m = TMailMessage():New(); m:Attach("x", "a.txt"); return m:SaveAttach(1, "\\..\\..\\a.txt")`)
	if vs[0] != lua.LFalse {
		t.Errorf("SaveAttach outside RootPath = %v", vs)
	}
}
