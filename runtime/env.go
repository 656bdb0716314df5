package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// The Protheus environment: the active [NAME] section of the server ini
// (RootPath, StartPath), the identity set by RpcSetEnv and the state of
// the file functions.
//
// The environment is [advmail] Environment=NAME, else the first section
// with a RootPath key, else none: then RootPath is the folder of the
// config file (the current directory without a file) and relative paths
// are relative to the current directory.

// environment is the per-Runtime Protheus environment.
type environment struct {
	mu          sync.Mutex
	name        string // section name, "" when none
	root, start string
	rootDefined bool

	funName  string
	dbWarned map[string]bool
	aliasSeq int

	files  map[int]*os.File // FCreate/FOpen handles
	nextFH int
	ferror int
}

// initEnv creates the environment and hooks path resolution into the
// mail engine.
func (r *Runtime) initEnv() {
	r.env = &environment{files: map[int]*os.File{}, nextFH: 3}
	if r.engine != nil {
		r.engine.Resolve = func(p string) (string, error) { return r.resolveFor(p, false) }
		r.engine.ResolveWrite = func(p string) (string, error) { return r.resolveFor(p, true) }
	}
}

// environment returns the environment with its paths read from the
// server ini now (scripts may change the ini at run time).
func (r *Runtime) environment() *environment {
	e := r.env
	name, root, start, defined := r.srv.envPaths()
	e.name, e.root, e.start, e.rootDefined = name, root, start, defined
	return e
}

// envPaths finds the active environment section and its paths.
func (s *serverINI) envPaths() (name, root, start string, defined bool) {
	if n, ok := s.get("advmail", "Environment"); ok && strings.TrimSpace(n) != "" {
		name = strings.TrimSpace(n)
	} else {
		name = s.firstSectionWith("RootPath")
	}
	if name != "" {
		if v, ok := s.get(name, "RootPath"); ok && strings.TrimSpace(v) != "" {
			root, defined = strings.TrimSpace(v), true
		}
		if v, ok := s.get(name, "StartPath"); ok {
			start = strings.TrimSpace(v)
		}
	}
	if !defined {
		if s.onDisk {
			root = filepath.Dir(s.name)
		} else if wd, err := os.Getwd(); err == nil {
			root = wd
		}
	}
	return name, root, start, defined
}

// firstSectionWith returns the first section of the ini that has key.
func (s *serverINI) firstSectionWith(key string) string {
	s.mu.Lock()
	lines, _ := splitLines(s.data)
	s.mu.Unlock()
	section := ""
	for _, l := range lines {
		pl := parseINILine(l)
		switch {
		case pl.header:
			section = pl.section
		case pl.key != "" && section != "" && strings.EqualFold(pl.key, key):
			return section
		}
	}
	return ""
}

// closeEnv releases the named locks and open file handles of r.
func (r *Runtime) closeEnv() {
	r.releaseLocks()
	if r.env == nil {
		return
	}
	r.env.mu.Lock()
	defer r.env.mu.Unlock()
	for h, f := range r.env.files {
		f.Close()
		delete(r.env.files, h)
	}
}
