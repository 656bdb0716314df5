//go:build !unix

package mail

import "net"

// connHasInput cannot tell on this system: known is always false.
func connHasInput(net.Conn) (has, known bool) { return false, false }
