//go:build unix

package mail

import (
	"errors"
	"net"
	"syscall"
)

// connHasInput reports, without blocking or consuming anything, whether
// the peer has sent data (or closed or reset the connection) that nobody
// read yet. known is false when c offers no way to tell.
func connHasInput(c net.Conn) (has, known bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, false
	}
	var buf [1]byte
	var rerr error
	cerr := rc.Read(func(fd uintptr) bool {
		_, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait
	})
	switch {
	case cerr != nil:
		return false, false
	case errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK):
		return false, true
	}
	return true, true // data, end of stream or an error: the next read tells which
}
