package mail

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestErrnoCode classifies socket error numbers as the OS returns them,
// wrapped the way the net package wraps them. The Windows Sockets numbers
// are tested on every OS: they mean the same everywhere.
func TestErrnoCode(t *testing.T) {
	tests := []struct {
		name  string
		errno uintptr
		want  Code
	}{
		{"WSAECONNREFUSED", 10061, ErrConnRefused},
		{"WSAECONNRESET", 10054, ErrConnectionLost},
		{"WSAECONNABORTED", 10053, ErrConnectionLost},
		{"WSAETIMEDOUT", 10060, ErrTimeout},
		{"WSAEHOSTUNREACH", 10065, ErrConnRefused},
		{"WSAENETUNREACH", 10051, ErrConnRefused},
		{"WSAESHUTDOWN", 10058, ErrConnectionLost},
		{"ECONNREFUSED", uintptr(syscall.ECONNREFUSED), ErrConnRefused},
		{"ECONNRESET", uintptr(syscall.ECONNRESET), ErrConnectionLost},
		{"ECONNABORTED", uintptr(syscall.ECONNABORTED), ErrConnectionLost},
		{"ETIMEDOUT", uintptr(syscall.ETIMEDOUT), ErrTimeout},
		{"EHOSTUNREACH", uintptr(syscall.EHOSTUNREACH), ErrConnRefused},
		{"ENETUNREACH", uintptr(syscall.ENETUNREACH), ErrConnRefused},
		{"EPIPE", uintptr(syscall.EPIPE), ErrConnectionLost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := errnoCode(tt.errno)
			if !ok || got != tt.want {
				t.Errorf("errnoCode(%d) = %d, %v, want %d (%s)", tt.errno, got, ok, tt.want, tt.want)
			}
			// As net.Dial and conn.Read report it.
			err := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connectex", syscall.Errno(tt.errno))}
			if got := CodeOf(fmt.Errorf("smtp connect: %w", err)); got != tt.want {
				t.Errorf("CodeOf(%v) = %d (%s), want %d (%s)", err, got, got, tt.want, tt.want)
			}
		})
	}
}

// TestErrnoCodeUnknown keeps numbers without a meaning for mail out of the
// table: they stay "connection lost", the default for a broken socket.
func TestErrnoCodeUnknown(t *testing.T) {
	for _, n := range []uintptr{0, 10013, 10042, 99999} {
		if c, ok := errnoCode(n); ok {
			t.Errorf("errnoCode(%d) = %d, want unknown", n, c)
		}
	}
	err := &net.OpError{Op: "read", Err: os.NewSyscallError("wsarecv", syscall.Errno(10013))}
	if got := CodeOf(err); got != ErrConnectionLost {
		t.Errorf("CodeOf(unknown errno) = %d, want %d", got, ErrConnectionLost)
	}
}

// TestDialRefusedCode dials a port nothing listens on: whatever number
// this OS uses for "refused", the code is 3.
func TestDialRefusedCode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("dial %s succeeded after its listener closed", addr)
	}
	if got := CodeOf(err); got != ErrConnRefused {
		t.Errorf("CodeOf(%v) = %d (%s), want %d", err, got, got, ErrConnRefused)
	}
}
