package runtime

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestDeferGlobals: a script behaves the same with Options.DeferGlobals as
// without, whatever it does first with the globals; and a script that
// needs only the standard library does not install the prelude.
func TestDeferGlobals(t *testing.T) {
	cases := []struct {
		name, src string
		installs  bool // whether the deferred install runs
	}{
		{"locals only", `local x = 1 print(x + 1, string.upper("a"), #arg, ...)`, false},
		{"prelude call", `print(AllTrim("  a  "), type(conout), type(TMailManager))`, true},
		{"any case", `print(ALLTRIM(" b "), tmailmessage ~= nil, MailSmtpOn ~= nil)`, true},
		{"missing global", `print(undefinedName, type(ConOut))`, true},
		{"new global first", `function ConOut(s) print("mine", s) end ConOut("a") conout("b")`, true},
		{"nil assignment", `AllTrim = nil print(AllTrim(" c "), rawget(_G, "AllTrim"))`, true},
		{"rawget", `print(rawget(_G, "AllTrim") ~= nil, rawget(_G, "alltrim"))`, true},
		{"rawset", `rawset(_G, "Upper", 1) print(Upper, upper("x"))`, true},
		{"pairs", `local n = 0 for k in pairs(_G) do n = n + 1 end print(n > 200, n)`, true},
		{"next", `local seen = {} local k = next(_G) while k do seen[k] = true k = next(_G, k) end print(seen.ConOut, seen.TMailManager)`, true},
		{"getmetatable", `print(type(getmetatable(_G)), type(debug.getmetatable(_G)))`, true},
		{"setmetatable", `setmetatable(_G, nil) print(ConOut ~= nil, conout)`, true},
		{"captured rawget", `local rg = rawget print(rg(_G, "Len") ~= nil)`, true},
		{"observer errors", `print(pcall(rawget, 1)) print(pcall(next, {}, "nokey")) print(pcall(setmetatable, 1))`, true},
		{"coroutine", `print(coroutine.wrap(function() return Upper("x") end)())`, true},
		{"error", `print(pcall(function() return NoSuchFunction() end))`, true},
		{"advpl", `print(type(_ADVPL), type(QOut))`, true},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "s.lua")
			if err := os.WriteFile(path, []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			var out [2]string
			for i, deferGlobals := range []bool{false, true} {
				var buf bytes.Buffer
				r, err := New(Options{INI: []byte{}, Stdout: &buf, Stderr: &buf, Libs: Libs{Unrestricted: true}, DeferGlobals: deferGlobals})
				if err != nil {
					t.Fatal(err)
				}
				if err := r.DoFile(context.Background(), path, "x", "y"); err != nil {
					t.Fatalf("DeferGlobals %v: %v", deferGlobals, err)
				}
				if deferGlobals && (r.deferred == nil) != c.installs {
					t.Errorf("installed: %v, want %v", r.deferred == nil, c.installs)
				}
				out[i] = buf.String()
				r.Close()
			}
			if out[0] != out[1] {
				t.Errorf("output without DeferGlobals:\n%s\nwith it:\n%s", out[0], out[1])
			}
			if out[0] == "" {
				t.Error("the script printed nothing")
			}
		})
	}

	// Register and State install the deferred globals before the host's.
	r, err := New(Options{INI: []byte{}, DeferGlobals: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Register("ConOut", func(L *lua.LState) int { L.Push(lua.LString("host")); return 1 }); err != nil {
		t.Fatal(err)
	}
	if r.deferred != nil {
		t.Fatal("Register did not install the globals")
	}
	v, err := r.Eval(context.Background(), "t", "return conout(), AllTrim(' d ')")
	if err != nil || len(v) != 2 || v[0].String() != "host" || v[1].String() != "d" {
		t.Errorf("after Register: %v, %v", v, err)
	}
}
