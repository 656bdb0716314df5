package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// Code is a stable AdvPL-style error code. 0 means success; every failure is a
// positive number so that scripts testing "nErr > 0" and "nErr != 0" agree.
type Code int

// The error table. Numbers are stable: scripts log them and compare them.
// Code 6 is "no connection", as TOTVS documents it.
const (
	OK                    Code = 0
	ErrNotInitialized     Code = 1  // Init was not called, or no server was given
	ErrDNS                Code = 2  // the server name does not resolve
	ErrConnRefused        Code = 3  // nothing listens on that port, or the host is unreachable
	ErrTimeout            Code = 4  // dial, command or DATA exceeded the timeout
	ErrTLSHandshake       Code = 5  // TLS negotiation failed (wrong mode for the port, version mismatch)
	ErrNoConnection       Code = 6  // the operation needs a connection that is not open
	ErrCertUntrusted      Code = 7  // the server certificate is not trusted
	ErrStartTLSNotOffered Code = 8  // TLS was required but the server offers no STARTTLS/STLS
	ErrAuthFailed         Code = 9  // the server refused the credentials
	ErrNoAuthMechanism    Code = 10 // no mechanism both offered and allowed
	ErrSenderRejected     Code = 11 // MAIL FROM refused
	ErrRecipientRejected  Code = 12 // RCPT TO refused
	ErrMessageRejected    Code = 13 // DATA refused
	ErrMessageTooLarge    Code = 14 // message exceeds the server's SIZE
	ErrConnectionLost     Code = 15 // the server closed the connection or it broke
	ErrAttachmentNotFound Code = 16 // an attachment file cannot be read
	ErrProtocol           Code = 17 // the server answered something unexpected
	ErrCommandFailed      Code = 18 // the server refused a command (-ERR, NO, BAD)
	ErrNoSuchMessage      Code = 19 // message number out of range or unknown UID
	ErrNoSuchFolder       Code = 20 // folder does not exist
	ErrInvalidArgument    Code = 21 // an argument is empty, malformed or contains CR/LF
	ErrCanceled           Code = 22 // the script or host cancelled the operation
	ErrMalformedMessage   Code = 23 // the message cannot be parsed or built
	ErrFile               Code = 24 // a local file cannot be read or written
	ErrNoRecipients       Code = 25 // the message has no recipient
	ErrCleartextRefused   Code = 26 // credentials would travel unencrypted while TLS was required
	ErrUnsupported        Code = 27 // the operation is not available (protocol, platform)
	ErrWrongProtocol      Code = 28 // the operation needs another protocol (an IMAP call on POP3)
)

var codeText = map[Code]string{
	OK:                    "success",
	ErrNotInitialized:     "not initialised: call Init with a server first",
	ErrDNS:                "server name not found (DNS failure)",
	ErrConnRefused:        "connection refused",
	ErrTimeout:            "timeout",
	ErrTLSHandshake:       "TLS handshake failed",
	ErrNoConnection:       "no connection",
	ErrCertUntrusted:      "server certificate not trusted",
	ErrStartTLSNotOffered: "STARTTLS not offered by the server",
	ErrAuthFailed:         "authentication failed",
	ErrNoAuthMechanism:    "no usable authentication mechanism",
	ErrSenderRejected:     "sender rejected",
	ErrRecipientRejected:  "recipient rejected",
	ErrMessageRejected:    "message rejected",
	ErrMessageTooLarge:    "message too large",
	ErrConnectionLost:     "connection lost",
	ErrAttachmentNotFound: "attachment file not found",
	ErrProtocol:           "unexpected server response",
	ErrCommandFailed:      "command failed",
	ErrNoSuchMessage:      "no such message",
	ErrNoSuchFolder:       "no such folder",
	ErrInvalidArgument:    "invalid argument",
	ErrCanceled:           "operation cancelled",
	ErrMalformedMessage:   "malformed message",
	ErrFile:               "file error",
	ErrNoRecipients:       "no recipients",
	ErrCleartextRefused:   "refusing to send credentials without TLS",
	ErrUnsupported:        "operation not supported",
	ErrWrongProtocol:      "operation not available on the connected protocol",
}

// Codes returns every defined code in ascending order, for documentation and tests.
func Codes() []Code {
	out := make([]Code, 0, len(codeText))
	for c := OK; c <= ErrWrongProtocol; c++ {
		if _, ok := codeText[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// String returns the fixed text of the code.
func (c Code) String() string {
	if s, ok := codeText[c]; ok {
		return s
	}
	return fmt.Sprintf("unknown error %d", int(c))
}

// Error is the error type returned by the engine. It carries the stable code,
// the operation, the server's reply when there was one, and the cause.
type Error struct {
	// Code is the TOTVS error number a script sees.
	Code  Code
	Op    string // what was being done, e.g. "smtp connect smtp.example.com:587"
	Reply string // the server's reply line(s), verbatim, when there was one
	Err   error  // underlying cause, may be nil
}

// Error formats as "text: reply" or "text: op: cause", e.g.
// "authentication failed: 535 5.7.8 bad credentials".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code.String())
	if e.Reply != "" {
		b.WriteString(": ")
		b.WriteString(e.Reply)
	}
	if e.Op != "" || e.Err != nil {
		b.WriteString(" (")
		b.WriteString(e.Op)
		if e.Err != nil {
			if e.Op != "" {
				b.WriteString(": ")
			}
			b.WriteString(e.Err.Error())
		}
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// NewError builds an *Error.
func NewError(code Code, op, reply string, cause error) *Error {
	return &Error{Code: code, Op: op, Reply: strings.TrimSpace(reply), Err: cause}
}

// CodeOf returns the code of err: OK for nil, the code of an *Error in the
// chain, or the code Classify gives it otherwise.
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Classify("", err).Code
}

// Classify maps a network, TLS or I/O error to an *Error with the right code.
// An *Error passes through unchanged.
func Classify(op string, err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	code := ErrConnectionLost
	var (
		dnsErr      *net.DNSError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		netErr      net.Error
		errno       syscall.Errno
		errnoC      Code
		isErrno     bool
	)
	if errors.As(err, &errno) {
		errnoC, isErrno = errnoCode(uintptr(errno))
	}
	switch {
	case errors.Is(err, context.Canceled):
		code = ErrCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		code = ErrTimeout
	case errors.As(err, &dnsErr):
		code = ErrDNS
		if dnsErr.IsTimeout {
			code = ErrTimeout
		}
	case isErrno:
		code = errnoC
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalidErr), errors.As(err, &verifyErr):
		code = ErrCertUntrusted
	case errors.As(err, &recordErr), errors.As(err, &alertErr):
		code = ErrTLSHandshake
	case errors.As(err, &netErr) && netErr.Timeout():
		code = ErrTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		code = ErrConnectionLost
	case strings.Contains(err.Error(), "tls:"):
		code = ErrTLSHandshake
	}
	return &Error{Code: code, Op: op, Err: err}
}

// certificateProblem explains in words why a certificate error happened:
// which name was checked and what was wrong. It returns "" for other errors.
func certificateProblem(err error) string {
	var (
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &hostErr):
		return fmt.Sprintf("certificate is not valid for %q: %v", hostErr.Host, hostErr)
	case errors.As(err, &unknownAuth):
		name := ""
		if unknownAuth.Cert != nil {
			name = unknownAuth.Cert.Subject.CommonName
		}
		return fmt.Sprintf("certificate for %q is signed by an unknown authority; set CAFile in [Mail] or opt out with TLSInsecureHosts", name)
	case errors.As(err, &invalidErr):
		return fmt.Sprintf("certificate is invalid: %v", invalidErr)
	}
	return ""
}
