package serve

import (
	"context"
	"strings"
	"time"

	"github.com/riverqueue/river"
	lua "github.com/yuin/gopher-lua"

	advrt "github.com/advmail/advmail/runtime"
)

// bind replaces KillApp, StartJob, LockByName and UnLockByName of r with
// the server's: KillApp() is .T. while the server stops (or the run was
// cancelled), StartJob without lWait queues a job, and the named locks
// live in the store, held by owner until the run ends.
func (s *Server) bind(ctx context.Context, r *advrt.Runtime, j Job, owner string) error {
	L := r.State()
	inline := L.GetGlobal("StartJob")
	fns := map[string]lua.LGFunction{}
	fns["KillApp"] = func(L *lua.LState) int {
		if L.OptBool(1, false) {
			L.RaiseError("KillApp: the job was asked to end")
		}
		L.Push(lua.LBool(s.Stopping() || ctx.Err() != nil))
		return 1
	}
	fns["LockByName"] = func(L *lua.LState) int {
		key := namedLockKey(L)
		ok, err := s.opts.Store.Lock(ctx, key, owner, time.Now().Add(s.rescue))
		if err != nil {
			L.RaiseError("LockByName: %v", err)
		}
		L.Push(lua.LBool(ok))
		return 1
	}
	fns["UnLockByName"] = func(L *lua.LState) int {
		key := namedLockKey(L)
		ok, err := s.opts.Store.Unlock(ctx, key, owner)
		if err != nil {
			L.RaiseError("UnLockByName: %v", err)
		}
		L.Push(lua.LBool(ok))
		return 1
	}
	fns["StartJob"] = func(L *lua.LState) int {
		if L.OptBool(3, false) {
			if inline == lua.LNil {
				L.RaiseError("StartJob: not available")
			}
			args := make([]lua.LValue, L.GetTop())
			for i := range args {
				args[i] = L.Get(i + 1)
			}
			L.Push(inline)
			for _, a := range args {
				L.Push(a)
			}
			L.Call(len(args), 1)
			return 1
		}
		fn := strings.TrimSpace(L.CheckString(1))
		if fn == "" {
			L.RaiseError("StartJob: no function name")
		}
		a := callArgs{Func: strings.TrimSuffix(fn, "()"), Env: strings.TrimSpace(L.OptString(2, "")), Parent: j.Name}
		for i := 4; i <= L.GetTop(); i++ {
			a.Params = append(a.Params, jobParam(L.Get(i)))
		}
		if _, err := s.client.Insert(ctx, a, &river.InsertOpts{MaxAttempts: j.MaxAttempts}); err != nil {
			L.RaiseError("StartJob %s: %v", fn, err)
		}
		L.Push(lua.LTrue)
		return 1
	}
	for name, fn := range fns {
		if err := r.Register(name, fn); err != nil {
			return err
		}
	}
	return nil
}

// namedLockKey builds a LockByName key as the runtime does: the upper-case
// name, prefixed per company and branch when asked.
func namedLockKey(L *lua.LState) string {
	key := strings.ToUpper(strings.TrimSpace(L.CheckString(1)))
	if L.OptBool(2, false) {
		key = "EMP:" + key
	}
	if L.OptBool(3, false) {
		key = "FIL:" + key
	}
	return key
}
