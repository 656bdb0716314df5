package mail

// Windows system error numbers that socket operations return besides the
// WSAE* ones (overlapped I/O reports some failures this way). They are
// small numbers that mean other things as Unix errno values, so they are
// consulted only on Windows.
const (
	errorNetnameDeleted     = 64   // ERROR_NETNAME_DELETED: the peer went away
	errorConnectionRefused  = 1225 // ERROR_CONNECTION_REFUSED
	errorConnectionAborted  = 1236 // ERROR_CONNECTION_ABORTED
	errorHostUnreachable    = 1232 // ERROR_HOST_UNREACHABLE
	errorNetworkUnreachable = 1231 // ERROR_NETWORK_UNREACHABLE
)

// platformErrnoCodes maps this OS's own socket error numbers to codes.
var platformErrnoCodes = map[uintptr]Code{
	errorNetnameDeleted:     ErrConnectionLost,
	errorConnectionRefused:  ErrConnRefused,
	errorConnectionAborted:  ErrConnectionLost,
	errorHostUnreachable:    ErrConnRefused,
	errorNetworkUnreachable: ErrConnRefused,
}
