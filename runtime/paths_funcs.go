package runtime

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/bindings"
)

// File functions with AdvPL semantics; every path goes through
// resolvePath. Handles are small numbers (-1 on failure, FError tells
// why: 2 not found or refused, 5 access denied, 6 bad handle).

// maxOpenFiles bounds the handles one Runtime may hold.
const maxOpenFiles = 256

// maxFRead bounds one FRead/FReadStr.
const maxFRead = 64 << 20

// ferrorOf maps an OS error to the DOS-style code FError returns.
func ferrorOf(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, fs.ErrNotExist):
		return 2
	case errors.Is(err, fs.ErrPermission):
		return 5
	case errors.Is(err, fs.ErrExist):
		return 80
	}
	return 1
}

func (c fcall) setFError(err error) { c.r.env.ferror = ferrorOf(err) }

// addFile registers f and returns its handle.
func (c fcall) addFile(f *os.File) int {
	e := c.r.env
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.files) >= maxOpenFiles {
		f.Close()
		e.ferror = 4
		return -1
	}
	h := e.nextFH
	e.nextFH++
	e.files[h] = f
	e.ferror = 0
	return h
}

// file returns the open file of handle argument n, or nil (FError 6).
func (c fcall) file(n int) *os.File {
	e := c.r.env
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.files[c.optInt(n, -1)]
	if f == nil {
		e.ferror = 6
	}
	return f
}

func fnFCreate(c fcall) int {
	path, ok := c.tryWritePath(1)
	if !ok {
		return c.push(lua.LNumber(-1))
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		c.setFError(err)
		return c.push(lua.LNumber(-1))
	}
	return c.push(lua.LNumber(c.addFile(f)))
}

func fnFOpen(c fcall) int {
	path, ok := c.tryPathFor(1, c.optInt(2, 0)&3 != 0)
	if !ok {
		return c.push(lua.LNumber(-1))
	}
	flag := os.O_RDONLY
	switch c.optInt(2, 0) & 3 {
	case 1:
		flag = os.O_WRONLY
	case 2:
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		c.setFError(err)
		return c.push(lua.LNumber(-1))
	}
	return c.push(lua.LNumber(c.addFile(f)))
}

func fnFClose(c fcall) int {
	e := c.r.env
	h := c.optInt(1, -1)
	e.mu.Lock()
	f := e.files[h]
	delete(e.files, h)
	e.mu.Unlock()
	if f == nil {
		e.ferror = 6
		return c.push(lua.LFalse)
	}
	err := f.Close()
	c.setFError(err)
	return c.push(lua.LBool(err == nil))
}

// readN reads up to n bytes from handle argument 1.
func (c fcall) readN(n int) (string, bool) {
	f := c.file(1)
	if f == nil {
		return "", false
	}
	n = min(max(n, 0), maxFRead)
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		c.setFError(err)
	} else {
		c.r.env.ferror = 0
	}
	return string(buf[:k]), true
}

// fnFRead is FRead(nHandle, @cBuffer, nBytes): returns the number of bytes
// read and, as a second result, the buffer.
func fnFRead(c fcall) int {
	s, _ := c.readN(c.optInt(3, 0))
	c.L.Push(lua.LNumber(len(s)))
	c.L.Push(lua.LString(s))
	return 2
}

func fnFReadStr(c fcall) int {
	s, _ := c.readN(c.optInt(2, 0))
	return c.pushStr(s)
}

func fnFWrite(c fcall) int {
	f := c.file(1)
	if f == nil {
		return c.push(lua.LNumber(0))
	}
	s := c.str(2)
	if c.L.Get(3) != lua.LNil {
		s = s[:min(max(c.integer(3), 0), len(s))]
	}
	n, err := f.WriteString(s)
	c.setFError(err)
	return c.push(lua.LNumber(n))
}

func fnFSeek(c fcall) int {
	f := c.file(1)
	if f == nil {
		return c.push(lua.LNumber(-1))
	}
	pos, err := f.Seek(int64(c.optInt(2, 0)), min(max(c.optInt(3, 0), 0), 2))
	c.setFError(err)
	if err != nil {
		return c.push(lua.LNumber(-1))
	}
	return c.push(lua.LNumber(pos))
}

func fnFError(c fcall) int { return c.push(lua.LNumber(c.r.env.ferror)) }

// fnDirectory returns {name, size, date, time, attr} for each entry that
// matches the pattern; cAttr "D" includes directories.
func fnDirectory(c fcall) int {
	path, ok := c.tryPath(1)
	out := c.L.NewTable()
	if !ok {
		return c.push(out)
	}
	withDirs := strings.Contains(strings.ToUpper(c.optStr(2, "")), "D")
	dir, pattern := filepath.Split(path)
	if pattern == "" {
		pattern = "*"
	}
	if dir == "" {
		dir = "."
	}
	if pattern == "*.*" {
		pattern = "*"
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		c.setFError(err)
		return c.push(out)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		ok, _ := filepath.Match(strings.ToLower(pattern), strings.ToLower(e.Name()))
		if !ok || (e.IsDir() && !withDirs) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		attr := "A"
		if e.IsDir() {
			attr = "D"
		}
		row := c.L.NewTable()
		row.Append(lua.LString(e.Name()))
		row.Append(lua.LNumber(fi.Size()))
		row.Append(c.r.DateValue(DateOf(fi.ModTime())))
		row.Append(lua.LString(fi.ModTime().Format("15:04:05")))
		row.Append(lua.LString(attr))
		out.Append(row)
	}
	return c.push(out)
}

func fnDirRemove(c fcall) int {
	path, ok := c.tryWritePath(1)
	if !ok {
		return c.push(lua.LFalse)
	}
	err := os.Remove(path)
	c.setFError(err)
	return c.push(lua.LBool(err == nil))
}

func fnFRename(c fcall) int {
	from, ok1 := c.tryWritePath(1)
	to, ok2 := c.tryWritePath(2)
	if !ok1 || !ok2 {
		return c.push(lua.LNumber(-1))
	}
	if err := os.Rename(from, to); err != nil {
		c.setFError(err)
		return c.push(lua.LNumber(-1))
	}
	return c.push(lua.LNumber(0))
}

// copyFile copies from to to (to is a folder when it exists as one).
func copyFile(from, to string) error {
	if fi, err := os.Stat(to); err == nil && fi.IsDir() {
		to = filepath.Join(to, filepath.Base(from))
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func fnCopyFile(c fcall) int {
	from, ok1 := c.tryPath(1)
	to, ok2 := c.tryWritePath(2)
	if !ok1 || !ok2 {
		return c.push(lua.LFalse)
	}
	err := copyFile(from, to)
	c.setFError(err)
	return c.push(lua.LBool(err == nil))
}

func fnLIsDir(c fcall) int {
	path, ok := c.tryPath(1)
	if !ok {
		return c.push(lua.LFalse)
	}
	fi, err := os.Stat(path)
	return c.push(lua.LBool(err == nil && fi.IsDir()))
}

// splitParts is SplitPath: drive, directory, name and extension of p,
// with "\" and "/" both separators.
func splitParts(p string) (drive, dir, name, ext string) {
	if hasDrive(p) {
		drive, p = p[:2], p[2:]
	}
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		dir, p = p[:i+1], p[i+1:]
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		name, ext = p[:i], p[i:]
	} else {
		name = p
	}
	return
}

// fnSplitPath returns the by-reference outputs of SplitPath(cPath,
// @cDrive, @cDir, @cName, @cExt) as four results.
func fnSplitPath(c fcall) int {
	d, dir, n, e := splitParts(c.str(1))
	for _, s := range []string{d, dir, n, e} {
		c.L.Push(lua.LString(s))
	}
	return 4
}

func fnCurDir(c fcall) int {
	e := c.r.environment()
	if e.rootDefined {
		return c.pushStr(e.start)
	}
	wd, _ := os.Getwd()
	return c.pushStr(wd)
}

// filePrelude returns the file functions added to the prelude.
func filePrelude() []preludeFunc {
	h := func() bindings.Param { return p("nHandle", "N", "file handle") }
	return []preludeFunc{
		{spec("FCreate", "Creates (or truncates) a file; returns a handle or -1 (see FError).", r1("nHandle", "N", ""),
			p("cFile", "C", "file"), o("nAttr", "N", "ignored")), fnFCreate},
		{spec("FOpen", "Opens a file (nMode 0 read, 1 write, 2 read/write); returns a handle or -1.", r1("nHandle", "N", ""),
			p("cFile", "C", "file"), o("nMode", "N", "open mode")), fnFOpen},
		{spec("FClose", "Closes a handle.", r1("lOk", "L", ""), h()), fnFClose},
		{spec("FRead", "Reads up to nBytes; returns the count and, as a second result, the text read (the @cBuffer).",
			r1("nRead", "N", ""), h(), o("cBuffer", "C", "by reference: second result"), p("nBytes", "N", "bytes")), fnFRead},
		{spec("FReadStr", "Reads up to nBytes and returns them.", r1("cText", "C", ""), h(), p("nBytes", "N", "bytes")), fnFReadStr},
		{spec("FWrite", "Writes text (or its first nBytes); returns the bytes written.", r1("nWritten", "N", ""),
			h(), p("cText", "C", "text"), o("nBytes", "N", "bytes")), fnFWrite},
		{spec("FSeek", "Moves the file position (nOrigin 0 start, 1 current, 2 end); returns the new position.", r1("nPos", "N", ""),
			h(), p("nOffset", "N", ""), o("nOrigin", "N", "")), fnFSeek},
		{spec("FError", "Returns the error code of the last file operation (0 none, 2 not found, 5 denied, 6 bad handle).",
			r1("nError", "N", "")), fnFError},
		{spec("Directory", "Lists files matching a pattern: {name, size, date, time, attr} rows; cAttr \"D\" adds folders.",
			r1("aFiles", "A", ""), p("cPattern", "C", "path with wildcards"), o("cAttr", "C", "attributes")), fnDirectory},
		{spec("FWMakeDir", "Creates a folder and its parents; returns .T. on success.", r1("lOk", "L", ""), p("cDir", "C", "folder")),
			func(c fcall) int {
				fnMakeDir(c)
				ok := c.L.Get(-1) == lua.LNumber(0)
				c.L.Pop(1)
				return c.push(lua.LBool(ok))
			}},
		{spec("DirRemove", "Removes an empty folder; returns .T. on success.", r1("lOk", "L", ""), p("cDir", "C", "folder")), fnDirRemove},
		{spec("FRename", "Renames a file; returns 0 or -1.", r1("nResult", "N", ""), p("cFrom", "C", ""), p("cTo", "C", "")), fnFRename},
		{spec("__CopyFile", "Copies a file; returns .T. on success.", r1("lOk", "L", ""), p("cFrom", "C", ""), p("cTo", "C", "")), fnCopyFile},
		{spec("CpyT2S", "Copies a local file into a server folder (both are this machine).", r1("lOk", "L", ""),
			p("cFile", "C", "local file"), p("cDir", "C", "server folder")), fnCopyFile},
		{spec("CpyS2T", "Copies a server file into a local folder (both are this machine).", r1("lOk", "L", ""),
			p("cFile", "C", "server file"), p("cDir", "C", "local folder")), fnCopyFile},
		{spec("lIsDir", "Reports whether a folder exists.", r1("lExists", "L", ""), p("cDir", "C", "folder")), fnLIsDir},
		{spec("SplitPath", "Splits a path; returns drive, directory, name and extension (the by-reference outputs).",
			[]bindings.Param{p("cDrive", "C", ""), p("cDir", "C", ""), p("cName", "C", ""), p("cExt", "C", "")}, p("cPath", "C", "path")), fnSplitPath},
		{spec("CurDir", "Returns the current folder: StartPath under a RootPath, else the process's directory.", r1("cDir", "C", "")), fnCurDir},
		{spec("MemoWrit", "MemoWrite abbreviation.", r1("lOk", "L", ""), p("cFile", "C", "file"), p("cText", "C", "content")), fnMemoWrite},
	}
}
