package mail

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"gopkg.in/ini.v1"
)

// Config is the [Mail] section of an appserver.ini, with advmail's own keys.
// The zero value is not useful; use DefaultConfig or ParseConfig.
type Config struct {
	// Path is the file the config came from, "" for defaults.
	Path string

	// Protocol is the receive protocol of TMailManager: "POP3" (default), "IMAP" or "MAPI".
	Protocol string

	// Authentication mechanisms allowed by AuthLogin, AuthPlain, AuthNTLM and
	// advmail's AuthCramMD5, AuthXOAuth2 and AuthOAuthBearer. All default to
	// allowed.
	AuthLogin, AuthPlain, AuthNTLM, AuthCramMD5, AuthXOAuth2 bool
	// AuthOAuthBearer allows OAUTHBEARER (RFC 7628) for "oauth2:" passwords
	// ([Mail] AuthOAuthBearer); preferred over XOAUTH2 when both are offered.
	AuthOAuthBearer bool

	// ExtendSMTP mirrors the TOTVS key. It is informational: the SMTP client
	// always says EHLO and falls back to HELO when the server refuses EHLO.
	ExtendSMTP bool

	// MinTLSVersion is derived from TLSVersion/SSLVersion (a tls.VersionTLS* value).
	MinTLSVersion uint16
	// TryProtocols: when the chosen TLS mode clearly mismatches the port, retry
	// with the other mode (implicit TLS ↔ STARTTLS).
	TryProtocols bool

	// CAFile is a PEM file of certificate authorities trusted in addition to the system's.
	CAFile string
	// InsecureHosts lists host names whose certificates are not verified
	// (TLSInsecureHosts=host1,host2; "*" means every host). Use only for
	// self-signed test servers.
	InsecureHosts []string
	// HeloName is the name announced in EHLO/HELO (EhloName); "" means "localhost".
	HeloName string

	// Trace enables the protocol trace (MailTrace=1); TraceFile sends it to a
	// file instead of stderr. Passwords and AUTH exchanges are always redacted.
	Trace bool
	// TraceFile is MailTraceFile: the file the trace goes to, "" for stderr.
	TraceFile string
}

// DefaultConfig returns the configuration used when no appserver.ini exists.
func DefaultConfig() *Config {
	return &Config{
		Protocol:      "POP3",
		AuthLogin:     true,
		AuthPlain:     true,
		AuthNTLM:      true,
		AuthCramMD5:   true,
		AuthXOAuth2:   true,
		ExtendSMTP:    true,
		MinTLSVersion: tls.VersionTLS12,

		AuthOAuthBearer: true,
	}
}

// Clone returns a copy of c that can be changed independently.
func (c *Config) Clone() *Config {
	n := *c
	n.InsecureHosts = append([]string(nil), c.InsecureHosts...)
	return &n
}

// Insecure reports whether certificate verification is switched off for host.
func (c *Config) Insecure(host string) bool {
	for _, h := range c.InsecureHosts {
		if h == "*" || strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// LoadConfig reads the [Mail] section of the ini file at path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses ini data; name is used in error messages and as Path.
func ParseConfig(name string, data []byte) (*Config, error) {
	f, err := LoadINI(name, data)
	if err != nil {
		return nil, err
	}
	return ConfigFromINI(name, f)
}

// LoadINI parses ini data the way the AppServer does: section and key names
// match in any letter case, and a value ending in a backslash (a Windows
// folder such as RootPath=C:\TOTVS\Protheus_Data\) is an ordinary value,
// never a continuation onto the next line. Malformed lines are reported
// with file and line.
func LoadINI(name string, data []byte) (*INI, error) {
	if err := checkINISyntax(name, data); err != nil {
		return nil, err
	}
	f, err := ini.LoadSources(iniOptions, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &INI{f: f}, nil
}

// iniOptions are the ini.v1 options of every ini advmail reads.
var iniOptions = ini.LoadOptions{
	Insensitive: true,
	// The AppServer has no line continuation: "StartPath=\system\" ends
	// its line. ini.v1 would otherwise join the next line to the value.
	IgnoreContinuation: true,
	// "key=value ; note" is a comment only after a space, so passwords
	// may contain ';' and '#'.
	SpaceBeforeInlineComment: true,
}

// checkINISyntax rejects lines ini.v1 would silently misread, naming file:line.
func checkINISyntax(name string, data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, min(len(data)+1, 64*1024)), 1024*1024) // small for a small ini: start-up cost
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		switch {
		case line == "", strings.HasPrefix(line, ";"), strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			if !strings.HasSuffix(line, "]") || len(line) < 3 {
				return fmt.Errorf("%s:%d: malformed section header %q", name, n, line)
			}
		case !strings.Contains(line, "="):
			return fmt.Errorf("%s:%d: expected key=value, got %q", name, n, line)
		case strings.HasPrefix(line, "="):
			return fmt.Errorf("%s:%d: empty key name", name, n)
		case openQuote(line) != "":
			return fmt.Errorf("%s:%d: value opens %s and does not close it on the same line; an ini value is one line", name, n, openQuote(line))
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, n+1, err)
	}
	return nil
}

// openQuote returns the multi-line quote (""" or `) a key=value line opens
// without closing, or "". ini.v1 would read such a value on into the
// following lines, swallowing them.
func openQuote(line string) string {
	v := strings.TrimSpace(line[strings.IndexByte(line, '=')+1:])
	for _, q := range []string{`"""`, "`"} {
		if strings.HasPrefix(v, q) && !strings.Contains(v[len(q):], q) {
			return q
		}
	}
	return ""
}

// ConfigFromINI extracts the [Mail] section of a parsed file.
func ConfigFromINI(name string, f *INI) (*Config, error) {
	c := DefaultConfig()
	c.Path = name
	s := f.Section("mail")
	if s == nil {
		return c, nil // no [Mail] section: defaults
	}
	get := func(k string) (string, bool) {
		if !s.HasKey(k) {
			return "", false
		}
		return strings.TrimSpace(s.Key(k)), true
	}
	var errs []error
	boolKey := func(k string, dst *bool) {
		v, ok := get(k)
		if !ok || v == "" {
			return
		}
		b, err := parseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: [Mail] %s: %w", name, k, err))
			return
		}
		*dst = b
	}
	if v, ok := get("Protocol"); ok && v != "" {
		c.Protocol = strings.ToUpper(v)
	}
	boolKey("AuthLogin", &c.AuthLogin)
	boolKey("AuthPlain", &c.AuthPlain)
	boolKey("AuthNTLM", &c.AuthNTLM)
	boolKey("AuthCramMD5", &c.AuthCramMD5)
	boolKey("AuthXOAuth2", &c.AuthXOAuth2)
	boolKey("AuthOAuthBearer", &c.AuthOAuthBearer)
	boolKey("ExtendSMTP", &c.ExtendSMTP)
	boolKey("TryProtocols", &c.TryProtocols)
	boolKey("MailTrace", &c.Trace)
	if v, ok := get("TLSVersion"); ok && v != "" {
		min, err := ParseTLSVersion(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: [Mail] TLSVersion: %w", name, err))
		} else {
			c.MinTLSVersion = min
		}
	}
	if v, ok := get("SSLVersion"); ok && v != "" {
		if _, err := strconv.Atoi(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: [Mail] SSLVersion: %q is not a number", name, v))
		}
	}
	if v, ok := get("CAFile"); ok {
		c.CAFile = v
	}
	if v, ok := get("TLSInsecureHosts"); ok && v != "" {
		for _, h := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
			c.InsecureHosts = append(c.InsecureHosts, h)
		}
	}
	if v, ok := get("EhloName"); ok {
		c.HeloName = v
	}
	if v, ok := get("MailTraceFile"); ok {
		c.TraceFile = v
	}
	return c, errors.Join(errs...)
}

// ParseTLSVersion maps a TLSVersion value to a minimum TLS version:
// "1.0".."1.3" literally, or n in 0..3 meaning TLS 1.n.
func ParseTLSVersion(v string) (uint16, error) {
	switch strings.TrimSpace(v) {
	case "0", "1.0", "10":
		return tls.VersionTLS10, nil
	case "1", "1.1", "11":
		return tls.VersionTLS11, nil
	case "2", "1.2", "12":
		return tls.VersionTLS12, nil
	case "3", "1.3", "13":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("%q: want 0..3 (TLS 1.0..1.3) or 1.0..1.3", v)
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on", ".t.":
		return true, nil
	case "0", "false", "no", "off", ".f.":
		return false, nil
	}
	return false, fmt.Errorf("%q is not 0 or 1", v)
}

// FindConfigPath returns the config file to use: flag when set, then
// $ADVMAIL_CONFIG, then ./appserver.ini when it exists, else "" (defaults).
// explicit reports whether the path was named by the user (so a missing
// file is an error rather than a fallback to defaults).
func FindConfigPath(flag string) (path string, explicit bool) {
	if flag != "" {
		return flag, true
	}
	if env := os.Getenv("ADVMAIL_CONFIG"); env != "" {
		return env, true
	}
	if _, err := os.Stat("appserver.ini"); err == nil {
		return "appserver.ini", false
	}
	return "", false
}
