package mail

import (
	"context"
	"time"
)

// POP3Options configures a POP3 session.
type POP3Options struct {
	Endpoint
	// Timeout bounds the dial and each command. 0 means 60s.
	Timeout time.Duration
	// ReadAhead is how many following messages Retr may pipeline when the
	// server advertises PIPELINING (0 = a sensible default, <0 = off).
	ReadAhead int
}

// POP3MessageInfo is one line of LIST/UIDL.
type POP3MessageInfo struct {
	Num  int
	Size int64
	UID  string
}

// POP3Client is a POP3 client (RFC 1939, 2449, 2595, 5034), written by hand
// on net/textproto because no maintained Go POP3 client exists.
type POP3Client struct {
	t *Transport
}

// DialPOP3 connects, reads the greeting, reads CAPA and performs STLS when
// o.Security is StartTLS.
func DialPOP3(ctx context.Context, t *Transport, o POP3Options) (*POP3Client, error) {
	return nil, NewError(ErrUnsupported, "pop3", "", errNotImplemented)
}

// Login authenticates: AUTH PLAIN or LOGIN when offered (SASL), APOP when the
// greeting has a timestamp and USER is not offered, else USER/PASS.
func (c *POP3Client) Login(user, pass string) error { return errNotImplemented }

// Stat returns the message count and total size (STAT).
func (c *POP3Client) Stat() (count int, size int64, err error) { return 0, 0, errNotImplemented }

// List returns the size of every message (LIST).
func (c *POP3Client) List() ([]POP3MessageInfo, error) { return nil, errNotImplemented }

// UIDL returns the unique id of every message (UIDL).
func (c *POP3Client) UIDL() ([]POP3MessageInfo, error) { return nil, errNotImplemented }

// Retr returns message n (1-based), dot-unstuffed.
func (c *POP3Client) Retr(n int) ([]byte, error) { return nil, errNotImplemented }

// Top returns the headers of message n and its first lines lines of body.
func (c *POP3Client) Top(n, lines int) ([]byte, error) { return nil, errNotImplemented }

// Dele marks message n for deletion; it is deleted only by a clean Quit.
func (c *POP3Client) Dele(n int) error { return errNotImplemented }

// Rset unmarks every message marked for deletion.
func (c *POP3Client) Rset() error { return errNotImplemented }

// Noop keeps the session alive.
func (c *POP3Client) Noop() error { return errNotImplemented }

// Quit commits deletions and closes the session.
func (c *POP3Client) Quit() error { return errNotImplemented }

// Close drops the connection without QUIT: nothing marked is deleted.
func (c *POP3Client) Close() error { return nil }
