// Package bindings installs advmail's Lua-facing classes — TMailManager,
// TMailMessage, TMailMng — and the legacy AdvPL mail functions (MailSmtpOn,
// MailSend, MailPopOn, …) into a gopher-lua state. It converts arguments,
// resolves members in any letter case and follows AdvPL return conventions;
// all protocol work is done by package mail.
package bindings

import (
	"io"
	"sync"

	"github.com/advmail/advmail/mail"
)

// Engine is what the classes need from their host: how to reach mail
// servers, the current [Mail] configuration, and a registry of open
// connections so that cancellation can close them.
type Engine struct {
	// Transport dials servers; its Config is the configuration at start.
	Transport *mail.Transport
	// Config, when set, returns the current [Mail] configuration; it is
	// consulted at each connect so that scripts can switch Protocol with
	// WritePProString at run time. nil means Transport.Config.
	Config func() *mail.Config
	// Stdout receives conout-style diagnostics of the classes (lVerbose).
	Stdout io.Writer
	// Resolve, when set, turns a path given by a script (AttachFile,
	// SaveAttach, Save, Load, MailSend attachments, MailReceive SAVE IN)
	// into an OS path: the host's server paths and confinement. nil uses
	// the path as it is.
	Resolve func(p string) (string, error)
	// ResolveWrite, when set, is Resolve for a file the classes write
	// (Save, SaveAttach, MailReceive SAVE IN), so that a host can allow
	// reading a folder but not writing it. nil uses Resolve.
	ResolveWrite func(p string) (string, error)

	mu   sync.Mutex
	open map[io.Closer]struct{}
}

// CurrentConfig returns the configuration in force now.
func (e *Engine) CurrentConfig() *mail.Config {
	if e.Config != nil {
		if c := e.Config(); c != nil {
			return c
		}
	}
	if e.Transport != nil && e.Transport.Config != nil {
		return e.Transport.Config
	}
	return mail.DefaultConfig()
}

// Track registers an open connection; the returned func unregisters it.
func (e *Engine) Track(c io.Closer) (untrack func()) {
	e.mu.Lock()
	if e.open == nil {
		e.open = make(map[io.Closer]struct{})
	}
	e.open[c] = struct{}{}
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		delete(e.open, c)
		e.mu.Unlock()
	}
}

// CloseAll closes every tracked connection at once (no QUIT/LOGOUT: on
// cancellation nothing marked for deletion is committed).
func (e *Engine) CloseAll() {
	e.mu.Lock()
	open := e.open
	e.open = nil
	e.mu.Unlock()
	for c := range open {
		c.Close()
	}
}

// ResolvePath resolves a script path through Resolve.
func (e *Engine) ResolvePath(p string) (string, error) {
	if e == nil || e.Resolve == nil {
		return p, nil
	}
	return e.Resolve(p)
}

// ResolveWritePath resolves a script path the classes will write to,
// through ResolveWrite (or Resolve when ResolveWrite is nil).
func (e *Engine) ResolveWritePath(p string) (string, error) {
	if e != nil && e.ResolveWrite != nil {
		return e.ResolveWrite(p)
	}
	return e.ResolvePath(p)
}
