package main

import (
	"strings"
	"testing"
)

func TestSampleLineRoundTrip(t *testing.T) {
	s := sample{workload: "pop3s", side: "bare", ms: 12.5, rssKB: 9000, roundTrips: 6, conns: 1, note: "x"}
	got, err := parseSample(strings.TrimSuffix(s.line(), "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got != s {
		t.Errorf("parse(line(%+v)) = %+v", s, got)
	}
	for _, bad := range []string{"", "a\tb", "w\ts\tx\t1\t1\t1\t", "w\ts\t1\t1\t1\tz\t"} {
		if _, err := parseSample(bad); err == nil {
			t.Errorf("parseSample(%q) succeeded, want an error", bad)
		}
	}
}

func TestTable(t *testing.T) {
	samples := []sample{
		{workload: "w1", side: "advmail", ms: 30, rssKB: 20480, roundTrips: 9, conns: 2},
		{workload: "w1", side: "bare", ms: 10, rssKB: 10240, roundTrips: 4, conns: 1},
		{workload: "w1", side: "bare", ms: 20, rssKB: 10240, roundTrips: 4, conns: 1},
		{workload: "w1", side: "advmail", ms: 50, rssKB: 20480, roundTrips: 9, conns: 2},
		{workload: "w1", side: "advmail", ms: 40, rssKB: 40960, roundTrips: 11, conns: 2},
		{workload: "w1", side: "bare", ms: 40, rssKB: 10240, roundTrips: 4, conns: 1},
		{workload: "search", side: "na", note: "SearchMsgs not built"},
		{workload: "big", side: "advmail", ms: -1, note: "message too large"},
		{workload: "big", side: "bare", ms: 100, rssKB: 1024, roundTrips: 3, conns: 1},
	}
	got := table(samples)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	want := []string{
		"| workload | advmail median | bare median | ratio | peak RSS advmail | peak RSS bare | round trips (conns) advmail | bare | runs |",
		"|---|---|---|---|---|---|---|---|---|",
		// ratios 30/10, 50/20, 40/40 -> median 2.5
		"| w1 | 40.0 ms | 20.0 ms | 2.50× | 20.0 MB | 10.0 MB | 9 (2) | 4 (1) | 3 |",
		"| search | n/a (SearchMsgs not built) | | | | | | | 0 |",
		"| big | failed: message too large | 100.0 ms | – | 0.0 MB | 1.0 MB | 0 (0) | 3 (1) | 1 |",
	}
	if len(lines) != len(want) {
		t.Fatalf("table has %d lines, want %d:\n%s", len(lines), len(want), got)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %g, want %g", tt.in, got, tt.want)
		}
	}
}

func TestSeedMessage(t *testing.T) {
	m := string(seedMessage(200, 1000, 100, "lab.test"))
	if !strings.Contains(m, "From: Fornecedor Alvo <target@lab.test>\r\n") {
		t.Errorf("message 200 of a target-every-100 seed is not from the target:\n%s", m[:200])
	}
	if len(m) < 1000 || len(m) > 1400 {
		t.Errorf("message size %d, want about 1000 bytes of body plus headers", len(m))
	}
	// Target messages alternate unread (even multiples) and read.
	if f := seedFlags(200, 100); len(f) != 0 {
		t.Errorf("seedFlags(200, 100) = %v, want unread", f)
	}
	if f := seedFlags(100, 100); len(f) != 1 {
		t.Errorf("seedFlags(100, 100) = %v, want \\Seen", f)
	}
	if f := seedFlags(7, 0); len(f) != 0 {
		t.Errorf("seedFlags without a target = %v, want unread", f)
	}
}
