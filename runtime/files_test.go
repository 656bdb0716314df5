package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// fileCases are the access paths of the file confinement. Each snippet
// uses the global D (a folder) and returns ok (the access worked) and a
// message; refused accesses either raise (caught with pcall) or return the
// function's failure value with FError() 5.
var fileCases = []struct {
	name  string
	write bool
	code  string
}{
	{"io.open read", false, `local ok, f = pcall(io.open, D .. "/a.txt", "r")
		if not ok then return false, f end
		local s = f:read("*a"); f:close(); return s == "data", s`},
	{"io.lines", false, `local ok, e = pcall(function() for l in io.lines(D .. "/a.txt") do end end)
		return ok, tostring(e)`},
	{"io.input", false, `local ok, e = pcall(io.input, D .. "/a.txt"); io.input(io.stdin); return ok, tostring(e)`},
	{"loadfile", false, `local fn, e = loadfile(D .. "/m.lua"); return fn ~= nil and fn() == 42, tostring(e)`},
	{"dofile", false, `local ok, v = pcall(dofile, D .. "/m.lua"); return ok and v == 42, tostring(v)`},
	{"require", false, `package.path = D .. "/?.lua"; package.loaded.m = nil
		local ok, v = pcall(require, "m"); return ok and v == 42, tostring(v)`},
	{"MemoRead", false, `local s = MemoRead(D .. "/a.txt"); return s == "data", tostring(FError())`},
	{"loadstring(MemoRead)", false, `local fn = loadstring(MemoRead(D .. "/m.lua")); return fn() == 42, tostring(FError())`},
	{"File", false, `return File(D .. "/a.txt"), tostring(FError())`},
	{"FOpen read", false, `local h = FOpen(D .. "/a.txt", 0); if h >= 0 then FClose(h) end; return h >= 0, tostring(FError())`},
	{"Directory", false, `return #Directory(D .. "/*.txt") > 0, tostring(FError())`},
	{"GetPvProfString file", false, `return GetPvProfString("s", "k", "none", D .. "/x.ini") == "v", ""`},
	{"AttachFile", false, `local m = TMailMessage():New(); return m:AttachFile(D .. "/a.txt") >= 0, ""`},
	{"Load", false, `local m = TMailMessage():New(); return m:Load(D .. "/msg.eml") == 0, ""`},

	{"io.open write", true, `local ok, f = pcall(io.open, D .. "/new.txt", "w")
		if not ok then return false, f end
		f:write("x"); f:close(); return true, ""`},
	{"io.open append", true, `local ok, f = pcall(io.open, D .. "/a.txt", "a")
		if not ok then return false, f end
		f:close(); return true, ""`},
	{"io.output", true, `local ok, e = pcall(io.output, D .. "/out.txt"); io.output(io.stdout); return ok, tostring(e)`},
	{"os.remove", true, `local ok, e = pcall(os.remove, D .. "/del.txt"); return ok and e == true, tostring(e)`},
	{"os.rename", true, `local ok, e = pcall(os.rename, D .. "/ren.txt", D .. "/ren2.txt"); return ok and e == true, tostring(e)`},
	{"MemoWrite", true, `return MemoWrite(D .. "/mw.txt", "x"), tostring(FError())`},
	{"FErase", true, `return FErase(D .. "/fe.txt") == 0, tostring(FError())`},
	{"FCreate", true, `local h = FCreate(D .. "/fc.txt"); if h >= 0 then FClose(h) end; return h >= 0, tostring(FError())`},
	{"FOpen write", true, `local h = FOpen(D .. "/a.txt", 2); if h >= 0 then FClose(h) end; return h >= 0, tostring(FError())`},
	{"FRename", true, `return FRename(D .. "/fr.txt", D .. "/fr2.txt") == 0, tostring(FError())`},
	{"MakeDir", true, `return MakeDir(D .. "/sub") == 0, tostring(FError())`},
	{"DirRemove", true, `return DirRemove(D .. "/empty"), tostring(FError())`},
	{"WritePProString file", true, `return WritePProString("s", "k", "w", D .. "/x.ini"), ""`},
	{"Save", true, `local m = TMailMessage():New(); m:Attach("x", "n.txt"); return m:Save(D .. "/s.eml") == 0, ""`},
	{"SaveAttach folder", true, `local m = TMailMessage():New(); m:Attach("x", "n.txt")
		local ok, p = m:SaveAttach(1, D .. "/att/"); return ok, tostring(p)`},
	{"MailReceive SAVE IN", true, `
		assert(MailSmtpOn("smtp.empresa.com.br:587", "robo@empresa.com.br", "pw", 20, true, false))
		local sent = MailSend("robo@empresa.com.br", "legado@empresa.com.br", nil, nil, "s", "b", {A .. "/a.txt"}, true)
		MailSmtpOff()
		if not sent then return false, MailGetErr() end
		assert(MailPopOn("pop.empresa.com.br", "legado", "pw", 20, false, true))
		local _, n = PopMsgCount(0)
		local files = {}
		local ok = MailReceive(n, nil, nil, nil, nil, nil, nil, files, D .. "/recv", false)
		local err = MailGetErr()
		MailPopOff()
		return ok == true and #files == 1, err`},
}

// fileFixture creates ro/, rw/ and out/ folders with the files the cases
// use, and returns the base folder.
func fileFixture(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	for _, d := range []string{"ro", "rw", "out"} {
		dir := filepath.Join(base, d)
		for _, sub := range []string{"", "empty"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		files := map[string]string{
			"a.txt": "data", "del.txt": "x", "ren.txt": "x", "fe.txt": "x", "fr.txt": "x",
			"m.lua": "return 42", "x.ini": "[s]\nk=v\n",
			"msg.eml": "From: a@b.com\r\nTo: c@d.com\r\nSubject: x\r\n\r\nbody\r\n",
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return base
}

// runFileCase runs one case with D set to dir and returns ok and message.
func runFileCase(t *testing.T, r *Runtime, base, dir, code string) (bool, string) {
	t.Helper()
	r.State().SetGlobal("D", lua.LString(dir))
	r.State().SetGlobal("A", lua.LString(filepath.Join(base, "ro")))
	vs := evalLua(t, r, code)
	if len(vs) < 2 {
		t.Fatalf("case returned %v", vs)
	}
	return lua.LVAsBool(vs[0]), vs[1].String()
}

func TestFileAccess(t *testing.T) {
	for _, tc := range fileCases {
		t.Run(tc.name, func(t *testing.T) {
			base := fileFixture(t)
			ro, rw, out := filepath.Join(base, "ro"), filepath.Join(base, "rw"), filepath.Join(base, "out")
			var stderr strings.Builder
			r, _ := newTestRuntime(t, Options{
				Sandbox: true,
				Stderr:  &stderr,
				Libs:    Libs{LoadDirs: []string{base}}, // only Files restricts
				Files:   &FileAccess{Dirs: []FileDir{{Path: ro}, {Path: rw, Write: true}}},
			})
			for _, c := range []struct {
				dir  string
				want bool
			}{
				{rw, true},
				{ro, !tc.write},
				{out, false},
				{rw + "/../out", false},
			} {
				ok, msg := runFileCase(t, r, base, c.dir, tc.code)
				if ok != c.want {
					t.Errorf("in %s: ok = %v, want %v (%s)", c.dir, ok, c.want, msg)
				}
				if !ok && (strings.HasPrefix(tc.name, "io.") || tc.name == "MailReceive SAVE IN") && !strings.Contains(msg, "not permitted") {
					t.Errorf("in %s: error %q does not say the access is not permitted", c.dir, msg)
				}
			}

			denied := fileFixture(t)
			r2, _ := newTestRuntime(t, Options{
				Sandbox: true,
				Stderr:  &stderr,
				Libs:    Libs{Unrestricted: true},
				Files:   &FileAccess{Deny: true, Dirs: []FileDir{{Path: denied, Write: true}}},
			})
			if ok, msg := runFileCase(t, r2, denied, filepath.Join(denied, "rw"), tc.code); ok {
				t.Errorf("Deny: access worked (%s)", msg)
			}
		})
	}
}

// TestFileAccessDefault: without Options.Files every path still works.
func TestFileAccessDefault(t *testing.T) {
	for _, tc := range fileCases {
		base := fileFixture(t)
		r, _ := newTestRuntime(t, Options{Sandbox: true, Libs: Libs{Unrestricted: true}})
		if ok, msg := runFileCase(t, r, base, filepath.Join(base, "out"), tc.code); !ok {
			t.Errorf("%s: failed without confinement: %s", tc.name, msg)
		}
	}
}

func TestFileAccessMessages(t *testing.T) {
	base := fileFixture(t)
	ro, rw, out := filepath.Join(base, "ro"), filepath.Join(base, "rw"), filepath.Join(base, "out")
	if err := os.Symlink(out, filepath.Join(rw, "link")); err != nil {
		t.Skip("no symlinks:", err)
	}
	var stderr strings.Builder
	r, _ := newTestRuntime(t, Options{
		Stderr: &stderr,
		Files:  &FileAccess{Dirs: []FileDir{{Path: ro}, {Path: rw, Write: true}}},
	})
	r.State().SetGlobal("RO", lua.LString(ro))
	r.State().SetGlobal("RW", lua.LString(rw))
	r.State().SetGlobal("OUT", lua.LString(out))

	// A link inside an allowed folder does not lead out of it.
	vs := evalLua(t, r, `return MemoWrite(RW .. "/link/new.txt", "x"), FError(), MemoRead(RW .. "/link/a.txt")`)
	if vs[0] != lua.LFalse || vs[1] != lua.LNumber(5) || vs[2] != lua.LString("") {
		t.Errorf("through a link = %v", vs)
	}
	// ".." after a link climbs from where the link leads, as the OS does.
	vs = evalLua(t, r, `return MemoWrite(RW .. "/link/../escaped.txt", "x"), FError()`)
	if vs[0] != lua.LFalse || vs[1] != lua.LNumber(5) {
		t.Errorf("link/.. = %v", vs)
	}
	if _, err := os.Stat(filepath.Join(base, "escaped.txt")); err == nil {
		t.Error("MemoWrite escaped through link/..")
	}
	if _, err := os.Stat(filepath.Join(out, "new.txt")); err == nil {
		t.Error("MemoWrite wrote through the link")
	}
	if !strings.Contains(stderr.String(), "outside the allowed folders") {
		t.Errorf("stderr lacks the reason: %q", stderr.String())
	}

	for _, c := range []struct{ code, want string }{
		{`io.open(OUT .. "/a.txt")`, "/out/a.txt: file access not permitted: outside the allowed folders"},
		{`io.open(RO .. "/a.txt", "w")`, "/ro/a.txt: file access not permitted: the folder is read-only"},
		{`os.remove(RO .. "/a.txt")`, "os.remove: "},
		{`dofile(OUT .. "/m.lua")`, "outside the allowed folders"},
	} {
		err := r.DoString(t.Context(), c.code)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.code, err, c.want)
		}
	}
	if vs := evalLua(t, r, `return io.tmpfile, os.tmpname`); vs[0] != lua.LNil || vs[1] != lua.LNil {
		t.Errorf("temporary files still available: %v", vs)
	}
	if _, err := New(Options{INI: []byte{}, Files: &FileAccess{Dirs: []FileDir{{Path: " "}}}}); err == nil {
		t.Error("New accepted an empty folder")
	}
}
