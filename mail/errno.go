package mail

import "syscall"

// Windows Sockets error numbers (the WSAE* values of winsock2.h). Go's net
// package returns them as a syscall.Errno on Windows, where they are not
// equal to syscall.ECONNREFUSED and its kin.
const (
	wsaeConnAborted = 10053 // WSAECONNABORTED: the connection was aborted locally
	wsaeConnReset   = 10054 // WSAECONNRESET: the peer reset the connection
	wsaeTimedOut    = 10060 // WSAETIMEDOUT: connect or transfer timed out
	wsaeConnRefused = 10061 // WSAECONNREFUSED: nothing listens on the port
	wsaeNetUnreach  = 10051 // WSAENETUNREACH: no route to the network
	wsaeHostUnreach = 10065 // WSAEHOSTUNREACH: no route to the host
	wsaeShutdown    = 10058 // WSAESHUTDOWN: send after the socket was shut down
)

// winsockCodes maps Windows Sockets error numbers to codes, each like its
// Unix twin in unixErrnoCode. The numbers collide with no Unix errno, so
// the table is consulted on every OS.
var winsockCodes = map[uintptr]Code{
	wsaeConnRefused: ErrConnRefused,
	wsaeNetUnreach:  ErrConnRefused,
	wsaeHostUnreach: ErrConnRefused,
	wsaeTimedOut:    ErrTimeout,
	wsaeConnReset:   ErrConnectionLost,
	wsaeConnAborted: ErrConnectionLost,
	wsaeShutdown:    ErrConnectionLost,
}

// errnoCode returns the code of an OS error number, and false when the
// number means nothing particular to a mail session. It knows the Windows
// Sockets numbers, the Windows system error numbers socket calls return
// (only on Windows; see platformErrnoCodes) and the Unix errno values.
func errnoCode(n uintptr) (Code, bool) {
	if c, ok := winsockCodes[n]; ok {
		return c, true
	}
	if c, ok := platformErrnoCodes[n]; ok {
		return c, true
	}
	return unixErrnoCode(syscall.Errno(n))
}

// unixErrnoCode maps the POSIX socket errors. On Windows these constants
// are values Go invents, which real sockets never return; the mapping is
// harmless there.
func unixErrnoCode(e syscall.Errno) (Code, bool) {
	switch e {
	case syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH:
		return ErrConnRefused, true
	case syscall.ETIMEDOUT:
		return ErrTimeout, true
	case syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE:
		return ErrConnectionLost, true
	}
	return 0, false
}
