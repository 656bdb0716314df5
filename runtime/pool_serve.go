package runtime

import (
	"context"
	"io"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/bindings"
)

// RunFunc borrows an idle state, as Run does, and calls fn with its
// Runtime under a context that closing the pool cancels. fn may Register
// functions for this run, load sources (LoadAdvPL, DoFile) and Call what
// they define: a host that runs functions by name with bindings of its
// own (advmail serve) uses it instead of Run.
//
// When fn returns, the state is put back as it was before the run: every
// global fn set, registered or loaded is removed and every global it
// changed is restored (the tables they hold are not: a field a script
// set in string or os stays, and so does require's package.loaded
// cache, as with Run), the AdvPL state (the functions and classes
// of loaded sources, Publics, Privates, Statics) starts afresh, files
// the script opened are closed, its LockByName locks released, and, as
// after Run, its mail connections are closed and the server ini restored.
//
// stdout and stderr, when not nil, receive this run's console and error
// output instead of the pool's (the protocol trace excepted).
func (p *Pool) RunFunc(ctx context.Context, stdout, stderr io.Writer, fn func(ctx context.Context, r *Runtime) error) error {
	ps, ctx, release, err := p.borrow(ctx)
	if err != nil {
		return err
	}
	defer release()

	r := ps.r
	L := r.State() // the state as scripts see it, globals all installed
	globals := snapshotTable(L.G.Global)
	folded := bindings.Globals(L)
	foldedSnap := snapshotTable(folded)
	oldOut, oldErr, oldEngineOut := r.stdout, r.stderr, r.engine.Stdout
	if stdout != nil {
		r.stdout, r.engine.Stdout = stdout, stdout
	}
	if stderr != nil {
		r.stderr = stderr
	}
	defer func() {
		r.engine.CloseAll()
		r.closeEnv()
		r.initEnv()
		clear(r.deleted)
		r.srv.mu.Lock()
		r.srv.data, r.srv.cfg = ps.iniData, ps.iniCfg
		r.srv.mu.Unlock()
		r.stdout, r.stderr, r.engine.Stdout = oldOut, oldErr, oldEngineOut
		restoreTable(L.G.Global, globals)
		restoreTable(folded, foldedSnap)
		r.openAdvPL()
	}()
	return fn(ctx, r)
}

// snapshotTable copies the raw key/value pairs of t.
func snapshotTable(t *lua.LTable) map[lua.LValue]lua.LValue {
	m := make(map[lua.LValue]lua.LValue, t.Len()+64)
	t.ForEach(func(k, v lua.LValue) { m[k] = v })
	return m
}

// restoreTable puts t's raw pairs back to snap: keys added since are
// removed, changed values restored.
func restoreTable(t *lua.LTable, snap map[lua.LValue]lua.LValue) {
	var added []lua.LValue
	t.ForEach(func(k, v lua.LValue) {
		if old, ok := snap[k]; !ok {
			added = append(added, k)
		} else if old != v {
			t.RawSet(k, old)
		}
	})
	for _, k := range added {
		t.RawSet(k, lua.LNil)
	}
	for k, v := range snap {
		if t.RawGet(k) == lua.LNil {
			t.RawSet(k, v)
		}
	}
}
