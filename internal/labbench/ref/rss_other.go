//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package main

import "os"

// peakRSSKB is unknown on this system: the benchmark runs on the Linux lab.
func peakRSSKB(*os.ProcessState) int64 { return 0 }
