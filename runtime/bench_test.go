package runtime

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// preludeScript works with the prelude only: no mail, so the cost of
// preparing a state shows.
const preludeScript = `
local cUser = ...
local aParts = StrTokArr(cUser, "@")
local cText = ""
for i = 1, 20 do
	cText = cText .. PadL(cValToChar(i), 3, "0") .. ";"
end
local aList = {}
for i = 1, 50 do aAdd(aList, StrZero(i * 7 % 13, 2)) end
aSort(aList)
if Len(aParts) ~= 2 or Empty(cText) or aList[1] ~= "00" then error("unexpected result") end
`

// BenchmarkRunScript compares, per script run on the sandbox, a Pool with
// a compiled Script against a fresh Runtime (New, DoFile, Close) per run.
// Workloads: "prelude" (string and array work, no mail) and "smtp"
// (STARTTLS, AUTH, send one message, QUIT).
//
//	go test ./runtime -run '^$' -bench BenchmarkRunScript -benchtime 2s
func BenchmarkRunScript(b *testing.B) {
	sb := startSandbox(b)
	dir := b.TempDir()
	workloads := []struct{ name, src string }{
		{"prelude", preludeScript},
		{"smtp", sendScript},
	}
	opts := Options{INI: []byte{}, SandboxServer: sb, Stdout: io.Discard}
	ctx := context.Background()
	for _, w := range workloads {
		path := filepath.Join(dir, w.name+".lua")
		if err := os.WriteFile(path, []byte(w.src), 0o644); err != nil {
			b.Fatal(err)
		}
		args := func(i int) []string {
			user := fmt.Sprintf("conta%d@empresa.com.br", i%100)
			return []string{user, "central@empresa.com.br", "report " + user}
		}

		b.Run(w.name+"/Pool.Run", func(b *testing.B) {
			p, err := NewPool(opts, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			s, err := Compile(path)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := p.Run(ctx, s, args(n)...); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "runs/s")
		})

		b.Run(w.name+"/New+DoFile", func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				r, err := New(opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := r.DoFile(ctx, path, args(n)...); err != nil {
					b.Fatal(err)
				}
				r.Close()
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "runs/s")
		})
	}
}

// BenchmarkNew measures what advmail run does around a script: New with
// the unrestricted libraries and no configuration file, one tiny chunk,
// Close. "Close" leaves the chunk out; "Empty" runs "local x = 1";
// "Prelude" calls a prelude function and a mail class. The "Defer"
// variants set Options.DeferGlobals, as advmail run does for Lua scripts.
//
//	go test ./runtime -run '^$' -bench BenchmarkNew -benchmem
func BenchmarkNew(b *testing.B) {
	ctx := context.Background()
	cases := []struct {
		name, code string
		defers     bool
	}{
		{"Close", "", false},
		{"Empty", "local x = 1", false},
		{"Prelude", `local x = AllTrim("  a  ") .. tostring(TMailManager() ~= nil)`, false},
		{"Defer/Close", "", true},
		{"Defer/Empty", "local x = 1", true},
		{"Defer/Prelude", `local x = AllTrim("  a  ") .. tostring(TMailManager() ~= nil)`, true},
	}
	for _, c := range cases {
		opts := Options{INI: []byte{}, Stdout: io.Discard, Stderr: io.Discard, Libs: Libs{Unrestricted: true}, DeferGlobals: c.defers}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := New(opts)
				if err != nil {
					b.Fatal(err)
				}
				if c.code != "" {
					if err := r.DoString(ctx, c.code); err != nil {
						b.Fatal(err)
					}
				}
				r.Close()
			}
		})
	}
}
