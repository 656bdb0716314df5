// Package labbench holds the lab benchmark's instruments: the counting
// proxy (internal/labbench/proxy), the bare Go reference client and
// measuring harness (internal/labbench/ref) and an empty Go program
// (internal/labbench/empty) for the start-up row. The benchmark itself is
// testdata/maillab/bench.sh; this package only tests the instruments.
package labbench
