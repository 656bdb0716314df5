package mail

import (
	"errors"
	"io"
	netmail "net/mail"
)

// Header is one header field, name as written, value decoded to UTF-8.
type Header struct {
	Name  string
	Value string
}

// Attachment is one attached part: a file, in-memory content, an inline image
// or, when parsed, an attached message (message/rfc822).
type Attachment struct {
	Name            string   // file name (decoded UTF-8); may be empty when parsed
	ContentType     string   // MIME type, e.g. "application/pdf"
	Disposition     string   // "attachment" or "inline"
	DispositionName string   // filename parameter of Content-Disposition
	ContentID       string   // without angle brackets
	Location        string   // Content-Location
	Data            []byte   // decoded content
	Headers         []Header // extra MIME headers added with AddAttHTag, applied when building
}

// Message is an e-mail in the shape of TMailMessage. Address fields hold the
// lists as scripts write them ("João <j@x>; b@y"); Build encodes them.
type Message struct {
	From, To, Cc, Bcc, ReplyTo string
	Subject                    string
	Body                       string // the body as set by the script / the HTML (else text) body when parsed
	BodyType                   string // "text/html" (default) or "text/plain"
	MessageID                  string // without angle brackets; generated when empty
	Date                       string // RFC 5322 date; now when empty
	XMailer                    string
	Priority                   int      // X-Priority 1..5; 0 means unset (3)
	ConfirmRead                bool     // Disposition-Notification-To: ReplyTo, else From
	Headers                    []Header // custom headers (AddCustomHeader); when parsed, every header of the message
	Attachments                []*Attachment

	// Set by Parse: the text and HTML alternatives, decoded to UTF-8.
	TextBody, HTMLBody string
}

var errNotImplemented = errors.New("not implemented yet")

// ParseAddressList parses a recipient list separated by ';' or ',', with
// optional display names (quoted or not, RFC 2047 encoded or raw UTF-8).
func ParseAddressList(s string) ([]*netmail.Address, error) { return nil, errNotImplemented }

// Recipients returns the envelope recipients: To, Cc and Bcc addr-specs.
func (m *Message) Recipients() ([]string, error) { return nil, errNotImplemented }

// Sender returns the envelope sender (the addr-spec of From).
func (m *Message) Sender() (string, error) { return "", errNotImplemented }

// WriteTo writes the message in RFC 5322 form (Bcc never included).
func (m *Message) WriteTo(w io.Writer) (int64, error) { return 0, errNotImplemented }

// Bytes returns the message in RFC 5322 form.
func (m *Message) Bytes() ([]byte, error) { return nil, errNotImplemented }

// Header returns the value of the first header named name (any case, a
// trailing colon tolerated), decoded.
func (m *Message) Header(name string) (string, bool) { return "", false }

// Parse reads an RFC 5322 message, best effort: it never panics, decodes every
// charset go-message knows, and returns ErrMalformedMessage only when nothing
// usable could be read.
func Parse(r io.Reader) (*Message, error) { return nil, errNotImplemented }
