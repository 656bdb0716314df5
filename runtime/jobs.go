package runtime

import (
	"context"
	"fmt"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// Jobs and named locks.
//
// StartJob(cFunc, cEnv, lWait, params...) runs cFunc on a fresh Runtime
// with the same server ini, sandbox, output and AdvPL sources (string
// parameters, numbers, logicals and NIL are passed). With lWait it returns
// the function's result; without, the job runs concurrently and StartJob
// returns .T. at once. LockByName/UnLockByName are process-wide: a name
// held by any Runtime of the process cannot be taken by a second holder.

// namedLocks are the LockByName locks of the process.
var namedLocks = struct {
	mu   sync.Mutex
	held map[string]*Runtime
}{held: map[string]*Runtime{}}

// lockKey builds the lock name with the optional company and branch.
func lockKey(c fcall) string {
	key := strings.ToUpper(strings.TrimSpace(c.str(1)))
	if c.optBool(2, false) {
		key = "EMP:" + key
	}
	if c.optBool(3, false) {
		key = "FIL:" + key
	}
	return key
}

func fnLockByName(c fcall) int {
	key := lockKey(c)
	namedLocks.mu.Lock()
	defer namedLocks.mu.Unlock()
	if _, busy := namedLocks.held[key]; busy {
		return c.push(lua.LFalse)
	}
	namedLocks.held[key] = c.r
	return c.push(lua.LTrue)
}

func fnUnLockByName(c fcall) int {
	key := lockKey(c)
	namedLocks.mu.Lock()
	defer namedLocks.mu.Unlock()
	if namedLocks.held[key] == c.r {
		delete(namedLocks.held, key)
		return c.push(lua.LTrue)
	}
	return c.push(lua.LFalse)
}

// releaseLocks frees the locks r holds (its script ended).
func (r *Runtime) releaseLocks() {
	namedLocks.mu.Lock()
	defer namedLocks.mu.Unlock()
	for k, h := range namedLocks.held {
		if h == r {
			delete(namedLocks.held, k)
		}
	}
}

// jobValue copies a value across states: only scalars pass.
func jobValue(v lua.LValue) lua.LValue {
	switch v.(type) {
	case lua.LString, lua.LNumber, lua.LBool:
		return v
	}
	return lua.LNil
}

// newJobRuntime creates the fresh Runtime of a job.
func (r *Runtime) newJobRuntime() (*Runtime, error) {
	r.srv.mu.Lock()
	data := append([]byte{}, r.srv.data...) // non-nil: in memory
	r.srv.mu.Unlock()
	child, err := New(Options{ConfigPath: r.srv.name, INI: data, Stdout: r.stdout, Stderr: r.stderr,
		Logger: r.logger, SandboxServer: r.sb, Libs: r.libs, Lenient: r.lenient})
	if err != nil {
		return nil, fmt.Errorf("StartJob: %w", err)
	}
	if err := r.reloadInto(child); err != nil {
		child.Close()
		return nil, fmt.Errorf("StartJob: %w", err)
	}
	return child, nil
}

// runJob calls fn in child and returns its first result.
func runJob(ctx context.Context, child *Runtime, fn string, args []lua.LValue) (lua.LValue, error) {
	defer child.releaseLocks()
	f := child.ls.GetGlobal(fn)
	if f == lua.LNil {
		f = child.ls.GetGlobal(strings.ToLower(fn))
	}
	if _, ok := f.(*lua.LFunction); !ok {
		return lua.LNil, fmt.Errorf("StartJob: function %s is not defined", fn)
	}
	out, err := child.Call(ctx, f, args...)
	if err != nil || len(out) == 0 {
		return lua.LNil, err
	}
	return jobValue(out[0]), nil
}

func fnStartJob(c fcall) int {
	name := strings.TrimSpace(c.str(1))
	wait := c.optBool(3, false)
	var args []lua.LValue
	for i := 4; i <= c.L.GetTop(); i++ {
		args = append(args, jobValue(c.L.Get(i)))
	}
	child, err := c.r.newJobRuntime()
	if err != nil {
		c.L.RaiseError("%v", err)
	}
	ctx := c.L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if !wait {
		go func() {
			defer child.Close()
			if _, err := runJob(context.WithoutCancel(ctx), child, name, args); err != nil {
				fmt.Fprintf(c.r.stderr, "advmail: job %s: %v\n", name, err)
			}
		}()
		return c.push(lua.LTrue)
	}
	defer child.Close()
	v, err := runJob(ctx, child, name, args)
	if err != nil {
		c.L.RaiseError("%v", err)
	}
	return c.push(v)
}

// jobPrelude returns the job and lock functions.
func jobPrelude() []preludeFunc {
	return []preludeFunc{
		{spec("StartJob", "Runs cFunc on a fresh state of the same runtime; with lWait returns its result, else runs it concurrently and returns .T.",
			r1("xResult", "U", ""), p("cFunc", "C", "function name"), o("cEnv", "C", "environment (ignored: the same)"),
			o("lWait", "L", "wait for the result"), o("xParams", "U", "parameters (scalars)")), fnStartJob},
		{spec("LockByName", "Takes a process-wide named lock; .F. when another holder has it.", r1("lOk", "L", ""),
			p("cName", "C", "lock name"), o("lEmpresa", "L", "per company"), o("lFilial", "L", "per branch")), fnLockByName},
		{spec("UnLockByName", "Releases a named lock taken by this runtime.", r1("lOk", "L", ""),
			p("cName", "C", "lock name"), o("lEmpresa", "L", ""), o("lFilial", "L", "")), fnUnLockByName},
	}
}

// LoadAdvPL compiles and runs the AdvPL sources files, which define their
// functions and classes, without calling any of them: a host (advmail
// serve) loads a whole source folder this way, as an RPO would hold it,
// then calls the function it wants with Call.
func (r *Runtime) LoadAdvPL(ctx context.Context, files ...string) error {
	r.advpl()
	for _, f := range files {
		if err := r.loadAdvPL(ctx, f); err != nil {
			return err
		}
	}
	return nil
}
