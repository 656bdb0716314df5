package sandbox

import (
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// maxMessageBytes is the SIZE the sandbox SMTP server announces.
const maxMessageBytes = 64 << 20

// smtpBackend creates sandbox SMTP sessions.
type smtpBackend struct{ sb *Sandbox }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSession{sb: b.sb}, nil
}

// smtpSession accepts any credentials (or none), any sender and any
// recipient with a local part, and delivers to the recipients' INBOX.
type smtpSession struct {
	sb   *Sandbox
	from string
	to   []string
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (s *smtpSession) AuthMechanisms() []string { return saslMechanisms }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	srv := newSASLServer(mech, func(user string) error {
		if mailboxName(user) == "" {
			return smtp.ErrAuthFailed
		}
		return nil
	})
	if srv == nil {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return srv, nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	s.to = nil
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if mailboxName(to) == "" {
		return &smtp.SMTPError{
			Code:         550,
			EnhancedCode: smtp.EnhancedCode{5, 1, 3},
			Message:      fmt.Sprintf("sandbox: no local part in recipient %q", to),
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.sb.accept(s.from, s.to, data, time.Now()); err != nil {
		return &smtp.SMTPError{
			Code:         451,
			EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message:      "sandbox: " + err.Error(),
		}
	}
	return nil
}

func (s *smtpSession) Reset() {
	s.from = ""
	s.to = nil
}

func (s *smtpSession) Logout() error { return nil }
