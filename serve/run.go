package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river/rivertype"
	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
	advrt "github.com/advmail/advmail/runtime"
)

// maxSources bounds the files a SourcePath may hold.
const maxSources = 5000

// runJob runs one attempt of j on a state of the runtime.Pool of its
// environment: the run gets its own globals, AdvPL state and bindings
// (see runtime.Pool.RunFunc), its output prefixed with the job name.
func (s *Server) runJob(ctx context.Context, j Job, row *rivertype.JobRow, call *callArgs) error {
	owner := s.node + "/" + strconv.FormatInt(row.ID, 10) + "/" + strconv.Itoa(row.Attempt)
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.opts.Store.UnlockAll(rctx, owner); err != nil {
			s.logger.Warn("serve: "+err.Error(), "job", j.Name)
		}
	}()
	pool, err := s.pool(j.Environment)
	if err != nil {
		return fmt.Errorf("job %s: %w", j.Name, err)
	}
	prefix := "[" + j.Name + "] "
	out := &prefixWriter{mu: &s.outMu, w: s.stdout, prefix: prefix}
	errOut := &prefixWriter{mu: &s.outMu, w: s.stderr, prefix: prefix}
	defer out.Flush()
	defer errOut.Flush()
	err = pool.RunFunc(ctx, out, errOut, func(ctx context.Context, r *advrt.Runtime) error {
		if err := s.bind(ctx, r, j, owner); err != nil {
			return err
		}
		if call == nil && j.IsScript() {
			return r.DoFile(ctx, s.scriptPath(j.Main), j.Params...)
		}
		args := make([]lua.LValue, 0, len(j.Params))
		if call != nil {
			for _, p := range call.Params {
				args = append(args, luaValue(p))
			}
		} else {
			for _, p := range j.Params {
				args = append(args, lua.LString(p))
			}
		}
		return s.callFunction(ctx, r, j, args)
	})
	if ee := (*advrt.ExitError)(nil); errors.As(err, &ee) && ee.Code == 0 {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("job %s: %w", j.Name, err)
	}
	return nil
}

// pool returns the runtime.Pool of environment env, creating it on first
// use: Workers states built from the ini with [advmail] Environment=env,
// Options.Runtime applied and Options.Funcs registered.
func (s *Server) pool(env string) (*advrt.Pool, error) {
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	if s.poolsClosed {
		return nil, advrt.ErrPoolClosed
	}
	if p, ok := s.pools[env]; ok {
		return p, nil
	}
	opts := advrt.Options{ConfigPath: s.cfg.Path, Stdout: s.stdout, Stderr: s.stderr,
		Logger: s.logger, Libs: advrt.Libs{Unrestricted: true}}
	if env != "" {
		opts.INI = withEnvironment(s.cfg.Data, env)
	}
	if s.opts.Runtime != nil {
		s.opts.Runtime(&opts)
	}
	p, err := advrt.NewPool(opts, s.workers)
	if err != nil {
		return nil, err
	}
	for name, fn := range s.opts.Funcs {
		if err := p.Register(name, fn); err != nil {
			p.Close()
			return nil, err
		}
	}
	if s.pools == nil {
		s.pools = map[string]*advrt.Pool{}
	}
	s.pools[env] = p
	return p, nil
}

// closePools closes the pools once no job runs any more.
func (s *Server) closePools() error {
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	s.poolsClosed = true
	var errs []error
	for env, p := range s.pools {
		errs = append(errs, p.Close())
		delete(s.pools, env)
	}
	return errors.Join(errs...)
}

// scriptPath resolves a Main= script path: as given when it exists, else
// relative to the folder of the ini.
func (s *Server) scriptPath(p string) string { return scriptPathOf(s.cfg.Path, p) }

// callFunction loads the sources of j's environment and calls j.Main.
func (s *Server) callFunction(ctx context.Context, r *advrt.Runtime, j Job, args []lua.LValue) error {
	dir, err := s.sourcePath(j.Environment)
	if err != nil {
		return err
	}
	advpl, luas, err := listSources(dir)
	if err != nil {
		return err
	}
	if err := r.LoadAdvPL(ctx, advpl...); err != nil {
		return err
	}
	for _, f := range luas {
		if err := r.DoFile(ctx, f); err != nil {
			return err
		}
	}
	fn := lookupFunction(r.State(), j.Main)
	if fn == nil {
		return fmt.Errorf("function %s is not defined in the sources under %s", j.Main, dir)
	}
	_, err = r.Call(ctx, fn, args...)
	return err
}

// lookupFunction finds name, "U_" optional, among the globals of L.
func lookupFunction(L *lua.LState, name string) *lua.LFunction {
	up := strings.ToUpper(name)
	names := []string{up, "U_" + up}
	if rest, ok := strings.CutPrefix(up, "U_"); ok {
		names = append(names, rest)
	}
	for _, n := range names {
		if f, ok := L.GetGlobal(n).(*lua.LFunction); ok {
			return f
		}
		if f, ok := L.GetGlobal(strings.ToLower(n)).(*lua.LFunction); ok {
			return f
		}
	}
	return nil
}

// sourcePath returns the SourcePath folder of environment env (""
// meaning [advmail] Environment, else the first section with a RootPath
// or a SourcePath).
func (s *Server) sourcePath(env string) (string, error) {
	f, err := mail.LoadINI(s.cfg.Path, s.cfg.Data)
	if err != nil {
		return "", err
	}
	return sourcePathOf(s.cfg.Path, f, env)
}

// sourcePathOf is sourcePath for the ini f read from path.
func sourcePathOf(path string, f *mail.INI, env string) (string, error) {
	if env == "" {
		env = strings.TrimSpace(f.Section("advmail").Key("Environment"))
	}
	if env == "" {
		for _, name := range f.Sections() {
			if sec := f.Section(name); sec.HasKey("SourcePath") || sec.HasKey("RootPath") {
				env = name
				break
			}
		}
	}
	if env == "" || !f.HasSection(env) {
		return "", fmt.Errorf("no environment section %q for the job's sources", env)
	}
	v := strings.TrimSpace(f.Section(env).Key("SourcePath"))
	if v == "" {
		return "", fmt.Errorf("[%s] has no SourcePath= (the folder of the job's sources)", env)
	}
	v = filepath.FromSlash(strings.ReplaceAll(v, `\`, "/"))
	if !filepath.IsAbs(v) {
		v = filepath.Join(filepath.Dir(path), v)
	}
	return v, nil
}

// listSources returns the AdvPL sources (.prw .prx .tlpp) and the .lua
// files under dir, sorted.
func listSources(dir string) (advpl, luas []string, err error) {
	n := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".prw", ".prx", ".tlpp":
			advpl = append(advpl, p)
		case ".lua":
			luas = append(luas, p)
		default:
			return nil
		}
		if n++; n > maxSources {
			return fmt.Errorf("more than %d sources", maxSources)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("SourcePath %s: %w", dir, err)
	}
	sort.Strings(advpl)
	sort.Strings(luas)
	return advpl, luas, nil
}

// luaValue converts a StartJob parameter decoded from JSON.
func luaValue(v any) lua.LValue {
	switch x := v.(type) {
	case string:
		return lua.LString(x)
	case float64:
		return lua.LNumber(x)
	case bool:
		return lua.LBool(x)
	}
	return lua.LNil
}

// jobParam converts a StartJob parameter for JSON: only scalars pass.
func jobParam(v lua.LValue) any {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return float64(x)
	case lua.LBool:
		return bool(x)
	}
	return nil
}

// withEnvironment returns ini data with [advmail] Environment=env.
func withEnvironment(data []byte, env string) []byte {
	eol := "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		eol = "\r\n"
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	in := false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			if in { // end of [advmail] without the key
				lines = append(lines[:i], append([]string{"Environment=" + env}, lines[i:]...)...)
				return []byte(strings.Join(lines, eol))
			}
			in = strings.EqualFold(strings.TrimSpace(t[1:len(t)-1]), "advmail")
			continue
		}
		if k, _, ok := strings.Cut(t, "="); in && ok && strings.EqualFold(strings.TrimSpace(k), "Environment") {
			lines[i] = "Environment=" + env
			return []byte(strings.Join(lines, eol))
		}
	}
	if in {
		lines = append(lines, "Environment="+env)
	} else {
		lines = append(lines, "[advmail]", "Environment="+env)
	}
	return []byte(strings.Join(lines, eol))
}

// prefixWriter writes each line with a prefix, under a shared lock.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

// Write implements io.Writer: complete lines are written at once.
func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
	if len(p.buf) > 64*1024 { // a very long line: write what we have
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf)
		p.buf = p.buf[:0]
	}
	return len(b), nil
}

// Flush writes a last incomplete line.
func (p *prefixWriter) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf)
		p.buf = p.buf[:0]
	}
}
