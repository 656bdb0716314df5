package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestErrorTableDocumented keeps docs/errors.md in step with the code table.
func TestErrorTableDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Codes() {
		row := fmt.Sprintf("| %d | `%s` |", int(c), c.String())
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/errors.md lacks the row %q", row)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, ErrConnRefused},
		{"dns", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, ErrDNS},
		{"deadline", os.ErrDeadlineExceeded, ErrTimeout},
		{"ctx deadline", context.DeadlineExceeded, ErrTimeout},
		{"canceled", context.Canceled, ErrCanceled},
		{"eof", io.EOF, ErrConnectionLost},
		{"reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, ErrConnectionLost},
		{"wrapped mail error", fmt.Errorf("x: %w", NewError(ErrAuthFailed, "auth", "535 no", nil)), ErrAuthFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CodeOf(tt.err); got != tt.want {
				t.Errorf("CodeOf(%v) = %d (%s), want %d (%s)", tt.err, got, got, tt.want, tt.want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	e := NewError(ErrAuthFailed, "smtp auth PLAIN", "535 5.7.8 bad credentials\r\n", nil)
	if got, want := e.Error(), "authentication failed: 535 5.7.8 bad credentials (smtp auth PLAIN)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	cause := errors.New("boom")
	e = NewError(ErrConnectionLost, "pop3 RETR 3", "", cause)
	if !errors.Is(e, cause) {
		t.Error("Unwrap does not reach the cause")
	}
	if got := Code(999).String(); got != "unknown error 999" {
		t.Errorf("unknown code text = %q", got)
	}
}
