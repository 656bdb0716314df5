package runtime

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The same string/array loop as contract-shaped AdvPL Lua and as plain Lua.
const (
	benchAdvPL = advplPrologue + `local l_a, l_s = {}, ""
for l_i = 1, 2000 do
  l_a[#l_a + 1] = R.add("x", tostring(l_i))
  if R.eq(l_a[R.len(l_a)], "x1") then l_s = R.add(l_s, "!") end
end
local l_n = 0
local l_i = 1
while R.forcond(l_i, R.len(l_a), nil) do l_n = R.add(l_n, R.len(l_a[l_i])); l_i = l_i + 1 end
return l_n`
	benchLua = `local a, s = {}, ""
for i = 1, 2000 do
  a[#a + 1] = "x" .. tostring(i)
  if a[#a]:sub(1, 2) == "x1" then s = s .. "!" end
end
local n = 0
local i = 1
while i <= #a do n = n + #a[i]; i = i + 1 end
return n`
)

func benchLoop(b *testing.B, code string) {
	r, _ := newTestRuntime(&testing.T{}, Options{Stdout: io.Discard})
	defer r.Close()
	fn, err := r.compile("t.prw", []byte(code))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.call(context.Background(), fn, nil, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAdvPLHelpersLoop(b *testing.B) { benchLoop(b, benchAdvPL) }
func BenchmarkPlainLuaLoop(b *testing.B)     { benchLoop(b, benchLua) }

// benchRun measures New + DoFile + Close of one file, as advmail run does.
func benchRun(b *testing.B, name, src string) {
	p := filepath.Join(b.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r, err := New(Options{INI: []byte{}, Stdout: io.Discard, Stderr: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.DoFile(context.Background(), p); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

func BenchmarkRunEmptyUserFunction(b *testing.B) {
	benchRun(b, "empty.prw", "User Function Empty()\nReturn\n")
}
func BenchmarkRunEmptyLua(b *testing.B) { benchRun(b, "empty.lua", "") }
