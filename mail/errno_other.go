//go:build !windows

package mail

// platformErrnoCodes maps this OS's own socket error numbers to codes:
// none beyond the Unix errno values unixErrnoCode knows.
var platformErrnoCodes map[uintptr]Code
