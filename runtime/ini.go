package runtime

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/advmail/advmail/mail"
)

// defaultININame is what GetSrvIniName returns when no file is used.
const defaultININame = "appserver.ini"

// serverINI is the appserver.ini the runtime runs with, kept in memory.
// Scripts read and change it with GetPvProfString, WritePProString and
// DeleteKeyINI; every change is parsed again so that the mail classes see
// the new [Mail] configuration at their next connect. When the ini came
// from a file, changes are written through to it.
type serverINI struct {
	mu         sync.Mutex
	name       string // what GetSrvIniName returns
	onDisk     bool   // name is a file that changes are written to
	data       []byte
	cfg        *mail.Config
	forceTrace bool
	logger     *slog.Logger
}

// loadServerINI resolves and reads the configuration named by opts.
func loadServerINI(opts Options) (*serverINI, error) {
	s := &serverINI{logger: slog.New(slog.DiscardHandler), forceTrace: opts.Trace}
	switch {
	case opts.Config != nil:
		s.name = nameOr(opts.ConfigPath)
		s.data = configINI(opts.Config)
	case opts.INI != nil:
		s.name = nameOr(opts.ConfigPath)
		s.data = append([]byte(nil), opts.INI...)
	default:
		path, explicit := mail.FindConfigPath(opts.ConfigPath)
		if path == "" {
			s.name = defaultININame
			break
		}
		data, err := os.ReadFile(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && (!explicit || sandboxDefaultINI(opts)) {
				s.name = defaultININame
				break
			}
			return nil, fmt.Errorf("config: %w", err)
		}
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		s.name, s.onDisk, s.data = path, true, data
	}
	cfg, err := s.parse(s.data)
	if err != nil {
		return nil, err
	}
	s.cfg = cfg
	return s, nil
}

// sandboxDefaultINI reports whether opts run on the sandbox and name the
// server ini by its default name, appserver.ini in the working folder:
// such a file may be absent (a host's -config flag defaults to it, and
// nothing is sent anyway), while any other named file must exist.
func sandboxDefaultINI(opts Options) bool {
	sandboxed := opts.Sandbox || opts.SandboxServer != nil
	return sandboxed && opts.ConfigPath != "" && filepath.Clean(opts.ConfigPath) == defaultININame
}

func nameOr(p string) string {
	if p == "" {
		return defaultININame
	}
	return p
}

// parse derives the [Mail] configuration from ini data.
func (s *serverINI) parse(data []byte) (*mail.Config, error) {
	f, err := mail.LoadINI(s.name, data)
	if err != nil {
		return nil, err
	}
	cfg, err := mail.ConfigFromINI(s.name, f)
	if err != nil {
		return nil, err
	}
	if !s.onDisk {
		cfg.Path = ""
	}
	if s.forceTrace {
		cfg.Trace, cfg.TraceFile = true, ""
	}
	return cfg, nil
}

// config returns the [Mail] configuration in force now (bindings.Engine.Config).
func (s *serverINI) config() *mail.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// is reports whether file names the server ini: "" does, and so does any
// spelling of the same path, compared the way the OS compares file names,
// and any other name of the same file on disk (a link, a short name).
func (s *serverINI) is(file string) bool {
	if file == "" || file == s.name || (!s.onDisk && strings.EqualFold(file, s.name)) {
		return true
	}
	if !s.onDisk {
		return false
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return false
	}
	if samePath(abs, s.name, hostRules.FoldCase) {
		return true
	}
	a, errA := os.Stat(abs)
	b, errB := os.Stat(s.name)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

// samePath reports whether the cleaned absolute paths a and b spell the
// same name, ignoring letter case when fold is set.
func samePath(a, b string, fold bool) bool {
	if fold {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// get returns the value of section/key in the server ini.
func (s *serverINI) get(section, key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok, _ := iniGet(s.name, s.data, section, key) // s.data parsed at load
	return v, ok
}

// edit applies change to the server ini, writes it through to the file
// and parses the new [Mail] configuration. A change that makes the
// configuration invalid is kept in the file but not applied; it is logged.
func (s *serverINI) edit(change func([]byte) []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := change(s.data)
	if s.onDisk {
		if err := writeFileKeepMode(s.name, data); err != nil {
			return err
		}
	}
	s.data = data
	cfg, err := s.parse(data)
	if err != nil {
		s.logger.Warn("server ini changed but its [Mail] configuration is invalid; keeping the previous one", "file", s.name, "err", err)
		return nil
	}
	s.cfg = cfg
	return nil
}

// iniGet parses data (named name in messages) and looks section/key up in
// any letter case. A malformed file is an error.
func iniGet(name string, data []byte, section, key string) (string, bool, error) {
	f, err := mail.LoadINI(name, data)
	if err != nil {
		return "", false, err
	}
	v, ok := f.Lookup(section, key)
	return v, ok, nil
}

// readINI returns the content of an ini file other than the server ini;
// a missing file reads as empty.
func readINI(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// writeFileKeepMode replaces the content of path, keeping its mode.
func writeFileKeepMode(path string, data []byte) error {
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// The editor below changes ini text line by line so that everything it
// does not touch — comments, spacing, letter case, order — stays as the
// user wrote it. Section and key names match in any letter case, as they
// do when the file is read.

// iniLine classifies one line of ini text.
type iniLine struct {
	section string // section name when the line is a header
	header  bool
	key     string // key name when the line is key=value
	prefix  string // the line up to and including the delimiter and following blanks
}

func parseINILine(line string) iniLine {
	t := strings.TrimSpace(strings.TrimSuffix(line, "\r"))
	t = strings.TrimPrefix(t, "\ufeff")
	switch {
	case t == "", t[0] == ';', t[0] == '#':
		return iniLine{}
	case t[0] == '[':
		end := strings.LastIndexByte(t, ']')
		if end < 0 {
			return iniLine{}
		}
		return iniLine{header: true, section: strings.TrimSpace(t[1:end])}
	}
	i := strings.IndexAny(line, "=:")
	if i < 0 {
		return iniLine{}
	}
	j := i + 1
	for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
		j++
	}
	return iniLine{key: strings.TrimSpace(strings.TrimPrefix(line[:i], "\ufeff")), prefix: line[:j]}
}

// splitLines splits ini text into lines without their "\n" and reports the
// line ending to use for new lines.
func splitLines(data []byte) (lines []string, eol string) {
	eol = "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		eol = "\r\n"
	}
	s := string(data)
	if s == "" {
		return nil, eol
	}
	s = strings.TrimSuffix(s, "\n")
	lines = strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	return lines, eol
}

func joinLines(lines []string, eol string) []byte {
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, eol) + eol)
}

// iniSet sets section/key to value: every existing occurrence of the key
// in the section is rewritten; otherwise the key is added at the end of
// the section, or a new section is appended.
func iniSet(data []byte, section, key, value string) []byte {
	lines, eol := splitLines(data)
	in, found := false, false
	lastOfSection := -1 // index after which a new key goes
	for i, line := range lines {
		l := parseINILine(line)
		switch {
		case l.header:
			in = strings.EqualFold(l.section, section)
			if in {
				lastOfSection = i
			}
		case in && l.key != "":
			lastOfSection = i
			if strings.EqualFold(l.key, key) {
				lines[i] = l.prefix + value
				found = true
			}
		}
	}
	switch {
	case found:
	case lastOfSection >= 0:
		lines = append(lines[:lastOfSection+1], append([]string{key + "=" + value}, lines[lastOfSection+1:]...)...)
	default:
		if len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) != "" {
			lines = append(lines, "")
		}
		lines = append(lines, "["+section+"]", key+"="+value)
	}
	return joinLines(lines, eol)
}

// iniDelete removes every occurrence of section/key.
func iniDelete(data []byte, section, key string) (out []byte, found bool) {
	lines, eol := splitLines(data)
	kept := lines[:0]
	in := false
	for _, line := range lines {
		l := parseINILine(line)
		if l.header {
			in = strings.EqualFold(l.section, section)
		} else if in && l.key != "" && strings.EqualFold(l.key, key) {
			found = true
			continue
		}
		kept = append(kept, line)
	}
	if !found {
		return data, false
	}
	return joinLines(kept, eol), true
}

// configINI renders cfg as the [Mail] section of an ini, so that a
// configuration given in memory can be read and changed like a file.
func configINI(cfg *mail.Config) []byte {
	b01 := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	tlsv := "1.2"
	switch cfg.MinTLSVersion {
	case tls.VersionTLS10:
		tlsv = "1.0"
	case tls.VersionTLS11:
		tlsv = "1.1"
	case tls.VersionTLS13:
		tlsv = "1.3"
	}
	var b strings.Builder
	b.WriteString("[Mail]\n")
	for _, kv := range [][2]string{
		{"Protocol", cfg.Protocol},
		{"AuthLogin", b01(cfg.AuthLogin)},
		{"AuthPlain", b01(cfg.AuthPlain)},
		{"AuthNTLM", b01(cfg.AuthNTLM)},
		{"AuthCramMD5", b01(cfg.AuthCramMD5)},
		{"AuthXOAuth2", b01(cfg.AuthXOAuth2)},
		{"ExtendSMTP", b01(cfg.ExtendSMTP)},
		{"TLSVersion", tlsv},
		{"TryProtocols", b01(cfg.TryProtocols)},
		{"CAFile", cfg.CAFile},
		{"TLSInsecureHosts", strings.Join(cfg.InsecureHosts, ",")},
		{"EhloName", cfg.HeloName},
		{"MailTrace", b01(cfg.Trace)},
		{"MailTraceFile", cfg.TraceFile},
	} {
		fmt.Fprintf(&b, "%s=%s\n", kv[0], kv[1])
	}
	return []byte(b.String())
}

// INI access for the prelude. file "" or any name of the server ini goes
// to the server ini; other files are read and written on disk.

func (r *Runtime) iniRead(section, key, file string) (string, bool) {
	if r.srv.is(file) {
		return r.srv.get(section, key)
	}
	if err := r.checkFile(file, false); err != nil {
		r.logger.Warn("GetPvProfString: cannot read ini", "file", file, "err", err)
		return "", false
	}
	data, err := readINI(file)
	if err != nil {
		r.logger.Warn("GetPvProfString: cannot read ini", "file", file, "err", err)
		return "", false
	}
	v, ok, err := iniGet(file, data, section, key)
	if err != nil {
		r.logger.Warn("GetPvProfString: malformed ini", "err", err)
	}
	return v, ok
}

func (r *Runtime) iniWrite(section, key, value, file string) error {
	if strings.ContainsAny(section+key+value, "\r\n") {
		return errors.New("line breaks are not allowed in ini names and values")
	}
	if strings.TrimSpace(section) == "" || strings.TrimSpace(key) == "" {
		return errors.New("section and key must not be empty")
	}
	if strings.ContainsAny(section, "[]") || strings.ContainsAny(key, "=:") || strings.ContainsAny(key[:1], "[;#") {
		return fmt.Errorf("invalid ini section %q or key %q", section, key)
	}
	change := func(data []byte) []byte { return iniSet(data, section, key, value) }
	if r.srv.is(file) {
		return r.srv.edit(change)
	}
	if err := r.checkFile(file, true); err != nil {
		return err
	}
	data, err := readINI(file)
	if err != nil {
		return err
	}
	return writeFileKeepMode(file, change(data))
}

func (r *Runtime) iniDeleteKey(section, key, file string) error {
	if r.srv.is(file) {
		return r.srv.edit(func(data []byte) []byte {
			out, _ := iniDelete(data, section, key)
			return out
		})
	}
	if err := r.checkFile(file, true); err != nil {
		return err
	}
	data, err := readINI(file)
	if err != nil {
		return err
	}
	out, found := iniDelete(data, section, key)
	if !found {
		return nil
	}
	return writeFileKeepMode(file, out)
}
