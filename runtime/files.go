package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// FileAccess confines the files a script may touch (Options.Files). It
// applies to every file access of a script: Lua's io.open, io.lines,
// io.input, io.output, os.remove, os.rename, loadfile, dofile and require,
// the prelude's file and ini functions (MemoRead, MemoWrite, FCreate,
// FOpen, FErase, Directory, MakeDir, GetPvProfString with a file, …) and
// the mail classes (AttachFile, SaveAttach, Save, Load, MailSend
// attachments, MailReceive … SAVE IN). It does not apply to what the host
// itself runs (DoFile, RunAdvPL sources, the server ini, MailTraceFile).
type FileAccess struct {
	// Deny refuses every file access; Dirs are ignored.
	Deny bool
	// Dirs are the folders (and everything below them) scripts may
	// use. A path outside every folder is refused; so is a write inside
	// a folder whose Write is false.
	Dirs []FileDir
}

// FileDir is one folder of a FileAccess.
type FileDir struct {
	// Path is the folder, absolute or relative to the working folder.
	Path  string
	Write bool // false: read-only
}

// fileDir is a FileDir with its path made canonical.
type fileDir struct {
	path  string
	write bool
}

// errFileAccess marks refusals of the file confinement.
var errFileAccess = errors.New("file access not permitted")

// setFiles installs the confinement of opts.
func (r *Runtime) setFiles(fa *FileAccess) error {
	if fa == nil {
		return nil
	}
	r.filesSet, r.filesDeny = true, fa.Deny
	for _, d := range fa.Dirs {
		if strings.TrimSpace(d.Path) == "" {
			return errors.New("runtime: Options.Files: empty folder path")
		}
		abs, err := canonicalPrefix(d.Path)
		if err != nil {
			return fmt.Errorf("runtime: Options.Files: %w", err)
		}
		r.fileDirs = append(r.fileDirs, fileDir{path: abs, write: d.Write})
	}
	return nil
}

// canonicalPrefix returns the absolute path of p with every symbolic
// link of its existing part resolved, component by component and before
// any ".." that follows it is applied (as the OS does), so that neither
// ".." nor a link can lead out of a folder. Missing components are kept
// as written.
func canonicalPrefix(p string) (string, error) {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		p = wd + string(filepath.Separator) + p
	}
	vol := filepath.VolumeName(p)
	resolved := vol + string(filepath.Separator)
	missing := false
	for _, part := range strings.FieldsFunc(p[len(vol):], func(r rune) bool { return os.IsPathSeparator(uint8(r)) }) {
		switch part {
		case ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, part)
		if !missing {
			fi, err := os.Lstat(next)
			switch {
			case err != nil:
				missing = true
			case fi.Mode()&os.ModeSymlink != 0:
				real, err := filepath.EvalSymlinks(next)
				if err != nil {
					missing = true // a dangling link: refuse what it names
					real, err = os.Readlink(next)
					if err != nil {
						return "", err
					}
					if !filepath.IsAbs(real) {
						real = filepath.Join(resolved, real)
					}
				}
				next = real
			}
		}
		resolved = next
	}
	return filepath.Clean(resolved), nil
}

// within reports whether path is dir or below it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// checkFile reports whether a script may read (or, with write, create,
// change or remove) the OS path p. nil when no confinement is set.
func (r *Runtime) checkFile(p string, write bool) error {
	if !r.filesSet {
		return nil
	}
	if r.filesDeny {
		return fmt.Errorf("%s: %w: file access is denied", p, errFileAccess)
	}
	abs, err := canonicalPrefix(p)
	if err != nil {
		return fmt.Errorf("%s: %w: %v", p, errFileAccess, err)
	}
	readOnly := false
	for _, d := range r.fileDirs {
		if within(d.path, abs) {
			if !write || d.write {
				return nil
			}
			readOnly = true
		}
	}
	if readOnly {
		return fmt.Errorf("%s: %w: the folder is read-only", p, errFileAccess)
	}
	return fmt.Errorf("%s: %w: outside the allowed folders", p, errFileAccess)
}

// resolveFor resolves a script path (see resolvePath) and checks it
// against the confinement.
func (r *Runtime) resolveFor(p string, write bool) (string, error) {
	path, err := r.resolvePath(p)
	if err != nil {
		return "", err
	}
	if err := r.checkFile(path, write); err != nil {
		return "", err
	}
	return path, nil
}

// confineLibs wraps the file functions of Lua's io and os libraries with
// the confinement check. It does nothing without Options.Files.
func (r *Runtime) confineLibs() {
	if !r.filesSet {
		return
	}
	L := r.ls
	wrap := func(lib, name string, check func(L *lua.LState) error) {
		t, ok := L.GetGlobal(lib).(*lua.LTable)
		if !ok {
			return
		}
		orig, ok := t.RawGetString(name).(*lua.LFunction)
		if !ok {
			return
		}
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if err := check(L); err != nil {
				L.RaiseError("%s.%s: %s", lib, name, err.Error())
			}
			top := L.GetTop()
			L.Push(orig)
			for i := 1; i <= top; i++ {
				L.Push(L.Get(i))
			}
			L.Call(top, lua.MultRet)
			return L.GetTop() - top
		}))
	}
	pathArg := func(n int, write func(L *lua.LState) bool) func(L *lua.LState) error {
		return func(L *lua.LState) error {
			switch v := L.Get(n).(type) {
			case lua.LString, lua.LNumber: // the library takes numbers as names too
				return r.checkFile(v.String(), write(L))
			}
			return nil // a file handle or nothing: no new file
		}
	}
	read := func(*lua.LState) bool { return false }
	write := func(*lua.LState) bool { return true }
	wrap("io", "open", pathArg(1, func(L *lua.LState) bool {
		mode := L.OptString(2, "r")
		return strings.ContainsAny(mode, "wa+")
	}))
	wrap("io", "lines", pathArg(1, read))
	wrap("io", "input", pathArg(1, read))
	wrap("io", "output", pathArg(1, write))
	wrap("os", "remove", pathArg(1, write))
	wrap("os", "rename", func(L *lua.LState) error {
		if err := pathArg(1, write)(L); err != nil {
			return err
		}
		return pathArg(2, write)(L)
	})
	// Temporary files live outside the allowed folders.
	if t, ok := L.GetGlobal("io").(*lua.LTable); ok {
		t.RawSetString("tmpfile", lua.LNil)
	}
	if t, ok := L.GetGlobal("os").(*lua.LTable); ok {
		t.RawSetString("tmpname", lua.LNil)
	}
}

// isAccessError reports whether err is a refusal of the confinement.
func isAccessError(err error) bool { return errors.Is(err, errFileAccess) }
