package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/advmail/advmail/internal/labbench/proxy"
)

// sample is one measured run: a line of the results file.
type sample struct {
	workload, side string
	ms             float64
	rssKB          int64
	roundTrips     int
	conns          int
	note           string
}

func (s sample) line() string {
	return fmt.Sprintf("%s\t%s\t%.1f\t%d\t%d\t%d\t%s\n", s.workload, s.side, s.ms, s.rssKB, s.roundTrips, s.conns, s.note)
}

func parseSample(line string) (sample, error) {
	f := strings.Split(line, "\t")
	if len(f) != 7 {
		return sample{}, fmt.Errorf("want 7 tab-separated fields, got %d", len(f))
	}
	s := sample{workload: f[0], side: f[1], note: f[6]}
	var err error
	if s.ms, err = strconv.ParseFloat(f[2], 64); err != nil {
		return s, err
	}
	if s.rssKB, err = strconv.ParseInt(f[3], 10, 64); err != nil {
		return s, err
	}
	if s.roundTrips, err = strconv.Atoi(f[4]); err != nil {
		return s, err
	}
	if s.conns, err = strconv.Atoi(f[5]); err != nil {
		return s, err
	}
	return s, nil
}

// cmdMeasure starts a counting proxy in front of every lab port (at port
// plus -offset), runs the command after "--", and appends one sample to
// -out: wall time from start to exit, the child's peak RSS, and the round
// trips and connections the proxies saw.
func cmdMeasure(args []string) error {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	mkEnv := commonFlags(fs)
	out := fs.String("out", "", "results file to append to")
	workload := fs.String("workload", "", "workload name")
	side := fs.String("side", "", "advmail or bare")
	note := fs.String("note", "", "note for the table (n/a rows)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *workload == "" || *side == "" {
		return fmt.Errorf("-out, -workload and -side are required")
	}
	if *side == "na" {
		return appendSample(*out, sample{workload: *workload, side: "na", note: *note})
	}
	cmdArgs := fs.Args()
	if len(cmdArgs) == 0 {
		return fmt.Errorf("no command after the flags")
	}
	e, err := mkEnv(false)
	if err != nil {
		return err
	}
	if e.offset == 0 {
		return fmt.Errorf("-offset must be set: the proxies listen at lab port + offset")
	}
	var proxies []*proxy.Proxy
	defer func() {
		for _, p := range proxies {
			p.Close()
		}
	}()
	for name, port := range e.lab.Ports {
		if name == "lmtp" {
			continue
		}
		p, err := proxy.Listen(net.JoinHostPort(e.lab.Host, strconv.Itoa(port+e.offset)),
			net.JoinHostPort(e.lab.Host, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		proxies = append(proxies, p)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(cmdArgs[0], cmdArgs[1:]...)
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmdArgs[0], err)
	}
	err = cmd.Wait()
	elapsed := time.Since(start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ref measure: %s: %v\n%s", strings.Join(cmdArgs, " "), err, tail(stderr.String(), 2000))
		// A failed run is a result too (a limit the engine has): it is
		// recorded with its error and the table shows it.
		return appendSample(*out, sample{workload: *workload, side: *side, ms: -1, rssKB: peakRSSKB(cmd.ProcessState), note: firstLine(stderr.String())})
	}
	s := sample{workload: *workload, side: *side, ms: float64(elapsed.Microseconds()) / 1000, rssKB: peakRSSKB(cmd.ProcessState), note: *note}
	for _, p := range proxies {
		st := p.Stats()
		s.roundTrips += st.RoundTrips
		s.conns += st.Conns
	}
	return appendSample(*out, s)
}

// firstLine is the first non-empty line of s, without tabs, at most 120
// bytes.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(strings.ReplaceAll(l, "\t", " ")); l != "" {
			if len(l) > 120 {
				l = l[:120]
			}
			return l
		}
	}
	return "failed"
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func appendSample(path string, s sample) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open results: %w", err)
	}
	if _, err := f.WriteString(s.line()); err != nil {
		f.Close()
		return fmt.Errorf("write results: %w", err)
	}
	return f.Close()
}

// cmdReport prints the markdown table of a results file.
func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("want one results file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("open results: %w", err)
	}
	defer f.Close()
	var samples []sample
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if sc.Text() == "" {
			continue
		}
		s, err := parseSample(sc.Text())
		if err != nil {
			return fmt.Errorf("%s:%d: %w", fs.Arg(0), n, err)
		}
		samples = append(samples, s)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read results: %w", err)
	}
	_, err = io.WriteString(os.Stdout, table(samples))
	return err
}

// table renders the samples as markdown, one row per workload in order of
// first appearance. The ratio is the median of the ratios of the runs
// paired by order (advmail run i over bare run i).
func table(samples []sample) string {
	var order []string
	by := map[string]map[string][]sample{}
	for _, s := range samples {
		if by[s.workload] == nil {
			by[s.workload] = map[string][]sample{}
			order = append(order, s.workload)
		}
		by[s.workload][s.side] = append(by[s.workload][s.side], s)
	}
	var b strings.Builder
	b.WriteString("| workload | advmail median | bare median | ratio | peak RSS advmail | peak RSS bare | round trips (conns) advmail | bare | runs |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, w := range order {
		a, r := by[w]["advmail"], by[w]["bare"]
		if na := by[w]["na"]; len(na) > 0 && len(a) == 0 {
			fmt.Fprintf(&b, "| %s | n/a (%s) | | | | | | | 0 |\n", w, na[0].note)
			continue
		}
		if fa, fr := failed(a), failed(r); fa != "" || fr != "" {
			fmt.Fprintf(&b, "| %s | %s | %s | – | %s | %s | %s | %s | %d |\n", w, orCell(fa, a), orCell(fr, r),
				rssCell(a), rssCell(r), rtCell(a), rtCell(r), max(len(a), len(r)))
			continue
		}
		n := min(len(a), len(r))
		var ratios []float64
		for i := 0; i < n; i++ {
			if r[i].ms > 0 {
				ratios = append(ratios, a[i].ms/r[i].ms)
			}
		}
		ratio := "–"
		if len(ratios) > 0 {
			ratio = fmt.Sprintf("%.2f×", median(ratios))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", w,
			msCell(a), msCell(r), ratio, rssCell(a), rssCell(r), rtCell(a), rtCell(r), n)
	}
	return b.String()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func pick(ss []sample, f func(sample) float64) []float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	return v
}

func msCell(ss []sample) string {
	if len(ss) == 0 {
		return "–"
	}
	m := median(pick(ss, func(s sample) float64 { return s.ms }))
	if m >= 10000 {
		return fmt.Sprintf("%.1f s", m/1000)
	}
	return fmt.Sprintf("%.1f ms", m)
}

func rssCell(ss []sample) string {
	if len(ss) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MB", median(pick(ss, func(s sample) float64 { return float64(s.rssKB) }))/1024)
}

func rtCell(ss []sample) string {
	if len(ss) == 0 {
		return "–"
	}
	rt := median(pick(ss, func(s sample) float64 { return float64(s.roundTrips) }))
	c := median(pick(ss, func(s sample) float64 { return float64(s.conns) }))
	return fmt.Sprintf("%g (%g)", rt, c)
}

// failed is the error of the first failed run of ss, "" when none failed.
func failed(ss []sample) string {
	for _, s := range ss {
		if s.ms < 0 {
			return s.note
		}
	}
	return ""
}

func orCell(fail string, ss []sample) string {
	if fail != "" {
		return "failed: " + strings.ReplaceAll(fail, "|", "/")
	}
	return msCell(ss)
}
