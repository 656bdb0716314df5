// Package pop3server is a small POP3 server (RFC 1939, CAPA, STLS, UIDL, TOP,
// PIPELINING, AUTH PLAIN/LOGIN) over a pluggable mailbox Backend. advmail's
// sandbox serves its in-memory store with it, and tests use it as a real
// protocol peer for the POP3 client.
package pop3server

import (
	"crypto/tls"
	"io"
	"net"
)

// Message describes one message of a maildrop as the session sees it.
type Message struct {
	UID  string
	Size int64
}

// Mailbox is a user's maildrop for one session. The server calls Delete only
// on a clean QUIT (the UPDATE state), with the indexes marked by DELE.
type Mailbox interface {
	// Messages lists the maildrop at the start of the session.
	Messages() ([]Message, error)
	// Open returns the raw RFC 5322 content of message i (0-based).
	Open(i int) (io.ReadCloser, error)
	// Delete removes the messages with the given 0-based indexes.
	Delete(indexes []int) error
	// Close ends the session (after Delete, or without it when the client
	// did not QUIT cleanly).
	Close() error
}

// Backend authenticates users and opens their maildrop.
type Backend interface {
	Login(user, pass string) (Mailbox, error)
}

// Server is a POP3 server.
type Server struct {
	Backend Backend
	// TLSConfig enables STLS (and is used by ServeTLS listeners).
	TLSConfig *tls.Config
	// Pipelining advertises PIPELINING in CAPA.
	Pipelining bool
}

// Serve accepts connections on l until it is closed.
func (s *Server) Serve(l net.Listener) error { return nil }

// ServeConn runs one session on c.
func (s *Server) ServeConn(c net.Conn) {}

// Close stops the server and closes its listeners.
func (s *Server) Close() error { return nil }
