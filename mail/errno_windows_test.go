package mail

import (
	"net"
	"os"
	"syscall"
	"testing"
)

// TestWindowsSocketErrors uses the Windows constants themselves, so a
// change in the syscall package or in the table shows up here.
func TestWindowsSocketErrors(t *testing.T) {
	tests := []struct {
		errno syscall.Errno
		want  Code
	}{
		{syscall.WSAECONNRESET, ErrConnectionLost},
		{syscall.WSAECONNABORTED, ErrConnectionLost},
		{syscall.Errno(wsaeConnRefused), ErrConnRefused},
		{syscall.Errno(wsaeTimedOut), ErrTimeout},
		{syscall.Errno(wsaeHostUnreach), ErrConnRefused},
		{syscall.Errno(wsaeNetUnreach), ErrConnRefused},
		{syscall.ERROR_NETNAME_DELETED, ErrConnectionLost},
		{syscall.Errno(errorConnectionRefused), ErrConnRefused},
		{syscall.Errno(errorConnectionAborted), ErrConnectionLost},
		{syscall.Errno(errorHostUnreachable), ErrConnRefused},
		{syscall.Errno(errorNetworkUnreachable), ErrConnRefused},
	}
	for _, tt := range tests {
		err := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("wsarecv", tt.errno)}
		if got := CodeOf(err); got != tt.want {
			t.Errorf("CodeOf(errno %d: %v) = %d (%s), want %d (%s)", uintptr(tt.errno), tt.errno, got, got, tt.want, tt.want)
		}
	}
	if syscall.WSAECONNRESET != wsaeConnReset || syscall.WSAECONNABORTED != wsaeConnAborted || syscall.ERROR_NETNAME_DELETED != errorNetnameDeleted {
		t.Error("winsock constants disagree with package syscall")
	}
}

// TestPlatformErrnoCodesWindows: the small Windows system error
// numbers are consulted on Windows (and only there: see errno_other.go).
func TestPlatformErrnoCodesWindows(t *testing.T) {
	if c, ok := errnoCode(errorNetnameDeleted); !ok || c != ErrConnectionLost {
		t.Errorf("errnoCode(ERROR_NETNAME_DELETED) = %d, %v", c, ok)
	}
}
