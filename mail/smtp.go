package mail

import (
	"context"
	"time"
)

// SMTPOptions configures an SMTP session.
type SMTPOptions struct {
	Endpoint
	// Timeout bounds the dial, each command and the DATA phase. 0 means 60s.
	Timeout time.Duration
}

// SMTPClient is one SMTP session (go-smtp underneath).
type SMTPClient struct {
	t *Transport
}

// DialSMTP connects, reads the greeting, says EHLO (or HELO with
// ExtendSMTP=0) and performs STARTTLS when o.Security is StartTLS (an
// ErrStartTLSNotOffered error when the server does not offer it). With
// TryProtocols set it retries in the other TLS mode on a clear mismatch.
func DialSMTP(ctx context.Context, t *Transport, o SMTPOptions) (*SMTPClient, error) {
	return nil, NewError(ErrUnsupported, "smtp", "", errNotImplemented)
}

// SetTimeout changes the per-command and DATA timeout of an open session.
func (c *SMTPClient) SetTimeout(d time.Duration) {}

// Auth authenticates with the strongest mechanism both offered by the server
// and allowed by the config: XOAUTH2 (password "oauth2:<token>", or
// "oauth2:" with Transport.Token set), CRAM-MD5, NTLM, PLAIN, LOGIN.
// Credentials are never sent unencrypted when the session asked for TLS.
func (c *SMTPClient) Auth(ctx context.Context, user, pass string) error {
	return NewError(ErrUnsupported, "smtp auth", "", errNotImplemented)
}

// Send builds m and sends it to all its recipients (Bcc included in the
// envelope only). After any refusal the transaction is reset (RSET) so the
// session stays usable.
func (c *SMTPClient) Send(ctx context.Context, m *Message) error {
	return NewError(ErrUnsupported, "smtp send", "", errNotImplemented)
}

// SendRaw sends already-built message data.
func (c *SMTPClient) SendRaw(ctx context.Context, from string, to []string, data []byte) error {
	return NewError(ErrUnsupported, "smtp send", "", errNotImplemented)
}

// Quit says QUIT and closes the connection.
func (c *SMTPClient) Quit() error { return nil }

// Close closes the connection without QUIT (used on cancellation).
func (c *SMTPClient) Close() error { return nil }
