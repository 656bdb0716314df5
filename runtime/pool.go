package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
)

// ErrPoolClosed is returned by Pool.Run once Close has been called, and is
// the cause of the cancellation of scripts that Close interrupts.
var ErrPoolClosed = errors.New("runtime: pool closed")

// Pool is a fixed set of Runtimes built from the same Options, for running
// scripts concurrently — typically one compiled Script for many accounts.
// Each state runs one script at a time; Run borrows an idle state, waiting
// for one when all are busy. A Pool is safe for concurrent use.
//
// Every Run executes the script in a fresh global environment: a new
// table, also reachable as _G, whose missing keys are looked up in the
// state's global table, so that the prelude, the mail classes and host
// functions resolve as usual, in any letter case. What the script assigns
// to globals, arg included, lives in that table and is gone when Run
// returns. Chunks loaded with dofile, loadstring or require get the
// state's own global table, as in Lua 5.1, so what they define (and
// require's package.loaded cache) stays in that state for later runs.
//
// When a run ends, the pool closes every mail connection the script left
// open (without QUIT: nothing marked for deletion is committed) and puts
// the state's server ini back as it was when the pool was created, so that
// WritePProString in one run does not change the next (for an ini read
// from a file, what was written stays in the file).
type Pool struct {
	idle   chan *pooled
	size   int
	sb     *sandbox.Sandbox // shared by every state
	ownSB  bool             // started by NewPool, closed by Close
	ctx    context.Context  // cancelled by Close
	cancel context.CancelCauseFunc

	closeOnce sync.Once
	closeErr  error
}

// pooled is one state of a Pool and what a run must restore.
type pooled struct {
	r       *Runtime
	envMeta *lua.LTable // {__index = _G}, metatable of each run's globals
	iniData []byte      // server ini at creation
	iniCfg  *mail.Config
}

// NewPool creates a Pool of size Runtimes built with opts. With
// opts.Sandbox and no opts.SandboxServer, one sandbox is started for all
// of them (Sandbox returns it; Close closes it). Stdout and Stderr are
// shared by the states, each write under one lock, so any io.Writer will
// do; Dial, Token, Now and the Logger are called from several goroutines
// at once and must be safe for that.
func NewPool(opts Options, size int) (*Pool, error) {
	if size < 1 {
		return nil, fmt.Errorf("runtime: pool size %d, want at least 1", size)
	}
	p := &Pool{idle: make(chan *pooled, size), sb: opts.SandboxServer}
	p.ctx, p.cancel = context.WithCancelCause(context.Background())
	if opts.Sandbox && p.sb == nil {
		sb, err := sandbox.Start()
		if err != nil {
			return nil, fmt.Errorf("start sandbox: %w", err)
		}
		p.sb, p.ownSB = sb, true
		opts.SandboxServer = sb
	}
	var mu sync.Mutex
	opts.Stdout = &lockedWriter{mu: &mu, w: orStd(opts.Stdout, os.Stdout)}
	opts.Stderr = &lockedWriter{mu: &mu, w: orStd(opts.Stderr, os.Stderr)}
	for range size {
		r, err := New(opts)
		if err != nil {
			p.Close()
			return nil, err
		}
		ps := &pooled{r: r, envMeta: r.ls.CreateTable(0, 1)}
		ps.envMeta.RawSetString("__index", r.ls.G.Global)
		r.srv.mu.Lock()
		ps.iniData, ps.iniCfg = r.srv.data, r.srv.cfg
		r.srv.mu.Unlock()
		p.size++
		p.idle <- ps
	}
	return p, nil
}

func orStd(w, std io.Writer) io.Writer {
	if w == nil {
		return std
	}
	return w
}

// Size returns the number of states, the most scripts that run at once.
func (p *Pool) Size() int { return p.size }

// Sandbox returns the sandbox the states share, nil when not in sandbox
// mode.
func (p *Pool) Sandbox() *sandbox.Sandbox { return p.sb }

// Run runs the compiled script s with args on an idle state, as
// Runtime.Run does but in a fresh global environment (see Pool). When every
// state is busy it waits for one until ctx is done. Cancelling ctx, or
// closing the pool, stops the script promptly, mail operations included.
func (p *Pool) Run(ctx context.Context, s *Script, args ...string) error {
	ps, ctx, release, err := p.borrow(ctx)
	if err != nil {
		return err
	}
	defer release()
	return ps.run(ctx, s, args)
}

// borrow takes an idle state for one run and returns it with the run's
// context, which closing the pool cancels; release puts the state back.
func (p *Pool) borrow(ctx context.Context) (*pooled, context.Context, func(), error) {
	if ctx == nil {
		ctx = context.Background()
	}
	ps, err := p.get(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(p.ctx, func() { cancel(ErrPoolClosed) })
	release := func() {
		stop()
		cancel(nil)
		p.idle <- ps
	}
	return ps, ctx, release, nil
}

// get borrows an idle state.
func (p *Pool) get(ctx context.Context) (*pooled, error) {
	if p.ctx.Err() != nil {
		return nil, ErrPoolClosed
	}
	select {
	case ps := <-p.idle:
		if p.ctx.Err() != nil {
			p.idle <- ps
			return nil, ErrPoolClosed
		}
		return ps, nil
	case <-p.ctx.Done():
		return nil, ErrPoolClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("runtime: waiting for an idle state: %w", context.Cause(ctx))
	}
}

// run runs s in a fresh environment and resets the state afterwards.
func (ps *pooled) run(ctx context.Context, s *Script, args []string) error {
	r := ps.r
	env := r.ls.CreateTable(0, 4)
	env.Metatable = ps.envMeta
	env.RawSetString("_G", env)
	defer func() {
		r.engine.CloseAll()
		clear(r.deleted)
		r.srv.mu.Lock()
		r.srv.data, r.srv.cfg = ps.iniData, ps.iniCfg
		r.srv.mu.Unlock()
	}()
	return r.runScript(ctx, s, args, env)
}

// Register installs fn as a global function of every state, reachable in
// any letter case (see Runtime.Register). It waits for running scripts to
// finish. fn runs in several states at once and must be safe for that.
func (p *Pool) Register(name string, fn lua.LGFunction) error {
	held := make([]*pooled, 0, p.size)
	defer func() {
		for _, ps := range held {
			p.idle <- ps
		}
	}()
	for len(held) < p.size {
		select {
		case ps := <-p.idle:
			held = append(held, ps)
		case <-p.ctx.Done():
			return ErrPoolClosed
		}
	}
	if p.ctx.Err() != nil {
		return ErrPoolClosed
	}
	for _, ps := range held {
		if err := ps.r.Register(name, fn); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the scripts still running (their Run returns an error
// wrapping ErrPoolClosed), waits for them to return, and closes every
// state, its mail connections, and the sandbox NewPool started. It is safe
// to call more than once.
func (p *Pool) Close() error {
	p.closeOnce.Do(func() {
		p.cancel(ErrPoolClosed)
		var errs []error
		for range p.size {
			ps := <-p.idle
			errs = append(errs, ps.r.Close())
		}
		if p.ownSB {
			errs = append(errs, p.sb.Close())
		}
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}

// lockedWriter serialises writes of the states of a Pool.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}
