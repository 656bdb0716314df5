package runtime

import (
	"errors"
	"fmt"
	"os"
	goruntime "runtime"
	"strings"
)

// Server paths. Every path a script passes to a file function goes
// through resolvePath:
//
//   - "\spool\x.pdf" (a leading "\") is a server path: RootPath + path. It
//     never escapes RootPath: "\..\..\etc\passwd" is refused.
//   - "/abs", on Windows also "C:\abs" and "\\server\share\x", are OS
//     paths, used as they are.
//   - anything else is relative: to RootPath + StartPath when the
//     environment defines a RootPath (and confined to RootPath), else to
//     the current directory.
//
// "\" and "/" are separators on every OS, trailing blanks are trimmed,
// and on case-sensitive file systems a name that does not exist as
// written is looked up case-insensitively, component by component.
//
// The pure part (splitting, confinement, joining) takes the OS rules as a
// parameter so that its table tests run the Windows rules on Linux too.

// osRules are the file-naming rules of an operating system.
type osRules struct {
	// Windows: "\" is the native separator, drive letters and UNC
	// paths are absolute.
	Windows bool
	// FoldCase: the usual file system ignores letter case.
	FoldCase bool
}

// hostRules are the rules of the OS advmail runs on.
var hostRules = osRules{
	Windows:  goruntime.GOOS == "windows",
	FoldCase: goruntime.GOOS == "windows" || goruntime.GOOS == "darwin",
}

// sep returns the native separator.
func (o osRules) sep() string {
	if o.Windows {
		return `\`
	}
	return "/"
}

// pathEnv is where relative and server paths start.
type pathEnv struct {
	Root    string // RootPath, or the folder of the config file
	Start   string // StartPath, relative to Root
	Defined bool   // the environment defines RootPath
	Cwd     string // current directory, for relative paths without RootPath
}

// errEscape is returned for server paths that leave RootPath.
var errEscape = errors.New("path leaves the RootPath of the environment")

// isSep reports whether b separates path components.
func isSep(b byte) bool { return b == '\\' || b == '/' }

// hasDrive reports whether p starts with a drive letter and colon.
func hasDrive(p string) bool {
	return len(p) >= 2 && p[1] == ':' && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z')
}

// pathParts splits p at both separators, dropping empty and "." parts.
func pathParts(p string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(p, func(r rune) bool { return r == '\\' || r == '/' }) {
		if s != "." {
			out = append(out, s)
		}
	}
	return out
}

// confine applies ".." inside parts; it fails when they climb above the
// start.
func confine(parts []string) ([]string, error) {
	out := make([]string, 0, len(parts))
	for _, s := range parts {
		if s == ".." {
			if len(out) == 0 {
				return nil, errEscape
			}
			out = out[:len(out)-1]
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// splitPath resolves p to a base that exists outside the script's control
// (RootPath, the cwd or an OS root) and the components below it.
func splitPath(p string, env pathEnv, rules osRules) (base string, parts []string, err error) {
	p = strings.TrimRight(p, " \t\r\n\x00")
	if strings.TrimSpace(p) == "" {
		return "", nil, errors.New("empty path")
	}
	if strings.ContainsRune(p, 0) {
		return "", nil, errors.New("path contains a NUL character")
	}
	switch {
	case rules.Windows && len(p) >= 2 && isSep(p[0]) && isSep(p[1]):
		// UNC: \\server\share\rest, as it is.
		return strings.ReplaceAll(p, "/", `\`), nil, nil
	case rules.Windows && hasDrive(p):
		return strings.ReplaceAll(p, "/", `\`), nil, nil
	case p[0] == '/':
		if rules.Windows {
			return strings.ReplaceAll(p, "/", `\`), nil, nil
		}
		return strings.ReplaceAll(p, `\`, "/"), nil, nil
	case p[0] == '\\':
		if !rules.Windows && len(p) >= 2 && isSep(p[1]) {
			// \\server\share on a system without UNC paths: an OS path.
			return strings.ReplaceAll(p, `\`, "/"), nil, nil
		}
		root := env.Root
		if root == "" {
			root = env.Cwd
		}
		parts, err := confine(pathParts(p))
		if err != nil {
			return "", nil, fmt.Errorf("server path %q: %w", p, err)
		}
		return root, parts, nil
	}
	if !env.Defined || env.Root == "" {
		return env.Cwd, pathParts(p), nil
	}
	parts, err = confine(append(pathParts(env.Start), pathParts(p)...))
	if err != nil {
		return "", nil, fmt.Errorf("path %q: %w", p, err)
	}
	return env.Root, parts, nil
}

// joinPath joins base and parts with the native separator.
func joinPath(base string, parts []string, rules osRules) string {
	if len(parts) == 0 {
		return base
	}
	s := rules.sep()
	b := strings.TrimRight(base, `\/`) // a root ("/", "C:\") keeps no separator
	return b + s + strings.Join(parts, s)
}

// resolve is the pure resolution: no file system lookups.
func resolve(p string, env pathEnv, rules osRules) (string, error) {
	base, parts, err := splitPath(p, env, rules)
	if err != nil {
		return "", err
	}
	return joinPath(base, parts, rules), nil
}

// foldLookup finds parts below base, each as written when it exists, else
// the single entry whose name matches in any case. Missing components are
// kept as written (for files about to be created).
func foldLookup(base string, parts []string, rules osRules) []string {
	if rules.FoldCase || base == "" {
		return parts
	}
	out := make([]string, len(parts))
	copy(out, parts)
	dir := base
	for i, name := range out {
		next := joinPath(dir, []string{name}, rules)
		if _, err := os.Lstat(next); err != nil {
			entries, rerr := os.ReadDir(dir)
			if rerr != nil {
				return out
			}
			found := false
			for _, e := range entries {
				if strings.EqualFold(e.Name(), name) {
					out[i], found = e.Name(), true
					break
				}
			}
			if !found {
				return out
			}
			next = joinPath(dir, []string{out[i]}, rules)
		}
		dir = next
	}
	return out
}

// pathEnv returns the current path environment of the Runtime.
func (r *Runtime) pathEnv() pathEnv {
	e := r.environment()
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "."
	}
	return pathEnv{Root: e.root, Start: e.start, Defined: e.rootDefined, Cwd: cwd}
}

// resolvePath turns a script's path into an OS path (see the rules above).
func (r *Runtime) resolvePath(p string) (string, error) {
	base, parts, err := splitPath(p, r.pathEnv(), hostRules)
	if err != nil {
		return "", err
	}
	return joinPath(base, foldLookup(base, parts, hostRules), hostRules), nil
}

// path resolves argument n of a prelude function, raising a clear error
// for paths that leave RootPath or are invalid.
func (c fcall) path(n int) string {
	p, err := c.r.resolveFor(c.str(n), false)
	if err != nil {
		c.L.RaiseError("%s: %v", c.name, err)
	}
	return p
}

// tryPath resolves argument n for reading; ok is false (and FError set)
// when the path is refused, for functions that report failure by their
// result.
func (c fcall) tryPath(n int) (string, bool) { return c.tryPathFor(n, false) }

// tryWritePath is tryPath for a file the function creates, changes or
// removes.
func (c fcall) tryWritePath(n int) (string, bool) { return c.tryPathFor(n, true) }

// tryPathFor resolves argument n and checks it against Options.Files: a
// refusal sets FError 5 (access denied), a bad path FError 2.
func (c fcall) tryPathFor(n int, write bool) (string, bool) {
	p, err := c.r.resolveFor(c.str(n), write)
	if err != nil {
		c.r.env.ferror = 2
		if isAccessError(err) {
			c.r.env.ferror = 5
		}
		fmt.Fprintf(c.r.stderr, "advmail: %s: %v\n", c.name, err)
		return "", false
	}
	return p, true
}
