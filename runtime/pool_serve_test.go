package runtime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// TestPoolRunFuncFresh runs the same AdvPL and Lua sources twice on one
// state: what the first run defines, registers, sets or opens is gone in
// the second, and each run's output goes to its own writer.
func TestPoolRunFuncFresh(t *testing.T) {
	dir := t.TempDir()
	prw := filepath.Join(dir, "fresh.prw")
	src := `#include "totvs.ch"
Static nCalls := 0

User Function Fresh(cTag)
	nCalls++
	If Type("cShared") == "C"
		ConOut("public from an earlier run: " + cShared)
	EndIf
	Public cShared := cTag
	ConOut(cTag + " calls " + cValToChar(nCalls) + " " + RunHost() + " " + LuaHelper())
Return .T.
`
	lf := filepath.Join(dir, "helper.lua")
	if err := os.WriteFile(prw, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	luaSrc := `if LeakedLua ~= nil then error("global from an earlier run") end
LeakedLua = true
function LuaHelper() return "lua" end
`
	if err := os.WriteFile(lf, []byte(luaSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newTestPool(t, Options{Libs: Libs{Unrestricted: true}}, 1)
	var outs []string
	for _, tag := range []string{"one", "two"} {
		var out bytes.Buffer
		err := p.RunFunc(context.Background(), &out, &out, func(ctx context.Context, r *Runtime) error {
			if err := r.Register("RunHost", func(L *lua.LState) int {
				L.Push(lua.LString("host-" + tag))
				return 1
			}); err != nil {
				return err
			}
			if err := r.DoFile(ctx, lf); err != nil {
				return err
			}
			if err := r.LoadAdvPL(ctx, prw); err != nil {
				return err
			}
			fn := r.State().GetGlobal("U_FRESH")
			if fn == lua.LNil {
				return errors.New("U_FRESH not defined")
			}
			_, err := r.Call(ctx, fn, lua.LString(tag))
			return err
		})
		if err != nil {
			t.Fatalf("run %s: %v\n%s", tag, err, out.String())
		}
		outs = append(outs, out.String())
	}
	want := []string{"one calls 1 host-one lua\n", "two calls 1 host-two lua\n"}
	for i := range want {
		if outs[i] != want[i] {
			t.Errorf("run %d output %q, want %q", i+1, outs[i], want[i])
		}
	}

	// Nothing of the runs is left in the state.
	ps := <-p.idle
	defer func() { p.idle <- ps }()
	for _, name := range []string{"U_FRESH", "u_fresh", "RunHost", "runhost", "LuaHelper", "LeakedLua", "arg"} {
		if v := ps.r.ls.GetGlobal(name); v != lua.LNil {
			t.Errorf("global %s left in the state: %v", name, v)
		}
	}
	if n := len(ps.r.adv.chunks); n != 0 {
		t.Errorf("%d AdvPL chunks left in the state", n)
	}
}

// TestPoolRunFuncErrors: fn's error comes back as is, the state is
// usable afterwards, and closing the pool cancels a running fn.
func TestPoolRunFuncErrors(t *testing.T) {
	p := newTestPool(t, Options{}, 1)
	boom := errors.New("boom")
	cases := []struct {
		name string
		fn   func(ctx context.Context, r *Runtime) error
		want error
	}{
		{"host error", func(ctx context.Context, r *Runtime) error { return boom }, boom},
		{"script error", func(ctx context.Context, r *Runtime) error {
			return r.DoString(ctx, `Broken = 1; error("bad")`)
		}, nil},
		{"after errors", func(ctx context.Context, r *Runtime) error {
			if v := r.State().GetGlobal("Broken"); v != lua.LNil {
				return errors.New("global of a failed run left over")
			}
			return nil
		}, nil},
	}
	for _, tc := range cases {
		err := p.RunFunc(context.Background(), nil, nil, tc.fn)
		switch {
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		case tc.name == "script error" && (err == nil || !strings.Contains(err.Error(), "bad")):
			t.Errorf("%s: err %v, want the script's error", tc.name, err)
		case tc.name == "after errors" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		}
	}

	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- p.RunFunc(context.Background(), nil, nil, func(ctx context.Context, r *Runtime) error {
			close(started)
			return r.DoString(ctx, `while true do end`)
		})
	}()
	<-started
	go p.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrPoolClosed) {
			t.Errorf("cancelled run: %v, want ErrPoolClosed", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not stop the running function")
	}
	if err := p.RunFunc(context.Background(), nil, nil, func(context.Context, *Runtime) error { return nil }); !errors.Is(err, ErrPoolClosed) {
		t.Errorf("RunFunc after Close: %v, want ErrPoolClosed", err)
	}
}

// BenchmarkServeRun compares what a served job run costs before its own
// code: a new Runtime per run (New, Close) against a pooled state reset by
// RunFunc.
func BenchmarkServeRun(b *testing.B) {
	hello := func(ctx context.Context, r *Runtime) error { return r.DoString(ctx, `x = 1`) }
	b.Run("New", func(b *testing.B) {
		for b.Loop() {
			r, err := New(Options{INI: []byte{}, Stdout: io.Discard})
			if err != nil {
				b.Fatal(err)
			}
			if err := hello(context.Background(), r); err != nil {
				b.Fatal(err)
			}
			r.Close()
		}
	})
	b.Run("RunFunc", func(b *testing.B) {
		p, err := NewPool(Options{INI: []byte{}, Stdout: io.Discard}, 1)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		for b.Loop() {
			if err := p.RunFunc(context.Background(), nil, nil, hello); err != nil {
				b.Fatal(err)
			}
		}
	})
}
