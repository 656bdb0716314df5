//go:build unix

package integration

// Helpers of the advmail serve kill tests (serve_test.go): the advmail
// binary built once, serve processes in their own process groups with
// their output collected line by line, a fresh PostgreSQL database per
// test, River's record of a job read back from the store, and the POP3 and
// IMAP sessions of a user read from Dovecot's log.

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // the "sqlite" driver the SQLite job store uses
)

// buildAdvmail builds ./cmd/advmail into a temporary folder of t and
// returns the binary's path.
func buildAdvmail(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "advmail")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/advmail")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/advmail: %v\n%s", err, out)
	}
	return bin
}

// outLines collects the lines of a process's output as they come.
type outLines struct {
	mu    sync.Mutex
	lines []string
	done  chan struct{} // closed at EOF
}

func newOutLines(r io.Reader) *outLines {
	o := &outLines{done: make(chan struct{})}
	go func() {
		defer close(o.done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			o.mu.Lock()
			o.lines = append(o.lines, sc.Text())
			o.mu.Unlock()
		}
	}()
	return o
}

// snapshot returns the lines read so far.
func (o *outLines) snapshot() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.lines...)
}

// serveProc is one advmail serve process.
type serveProc struct {
	node   string
	cmd    *exec.Cmd
	stdout *outLines
	stderr *outLines
	exited chan struct{} // closed when Wait returns
	err    error         // Wait's result, set before exited closes
}

// startServe starts `advmail serve --config ini --node node --grace grace`
// in a process group of its own; the group is killed at cleanup if it is
// still running.
func startServe(t *testing.T, bin, ini, node string, grace time.Duration) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config", ini, "--node", node, "--grace", grace.String())
	cmd.Dir = filepath.Dir(ini)
	cmd.Env = append(os.Environ(), "ADVMAIL_CONFIG=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start advmail serve --node %s: %v", node, err)
	}
	p := &serveProc{node: node, cmd: cmd, stdout: newOutLines(stdout), stderr: newOutLines(stderr), exited: make(chan struct{})}
	go func() {
		// Wait after the pipes are drained, as os/exec asks.
		<-p.stdout.done
		<-p.stderr.done
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("advmail serve --node %s: still running 10s after SIGKILL", node)
		}
	})
	return p
}

// running reports whether the process has not exited.
func (p *serveProc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL to the process group (kill -9: no shutdown at all).
func (p *serveProc) kill() {
	if p.running() {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// terminate sends SIGTERM to the process only.
func (p *serveProc) terminate() error {
	return p.cmd.Process.Signal(syscall.SIGTERM)
}

// waitExit waits for the process to exit, at most d.
func (p *serveProc) waitExit(d time.Duration) error {
	select {
	case <-p.exited:
		return p.err
	case <-time.After(d):
		return fmt.Errorf("advmail serve --node %s still running after %v", p.node, d)
	}
}

// transcript is the process's output, for failure messages.
func (p *serveProc) transcript() string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- node %s stdout ---\n%s\n", p.node, strings.Join(p.stdout.snapshot(), "\n"))
	fmt.Fprintf(&b, "--- node %s stderr ---\n%s\n", p.node, strings.Join(p.stderr.snapshot(), "\n"))
	return b.String()
}

// waitFor polls cond every 50 ms until it holds or ctx ends; it returns
// ctx's error in that case.
func waitFor(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// slogField returns the value of key in a log/slog text line, "" when
// absent.
func slogField(line, key string) string {
	re := regexp.MustCompile(`(?:^| )` + regexp.QuoteMeta(key) + `=("(?:[^"\\]|\\.)*"|\S*)`)
	m := re.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return strings.Trim(m[1], `"`)
}

// jobLines returns the "job start" or "job end" lines (msg) of job among
// lines.
func jobLines(lines []string, msg, job string) []string {
	var out []string
	for _, l := range lines {
		if slogField(l, "msg") == msg && slogField(l, "job") == job {
			out = append(out, l)
		}
	}
	return out
}

// pgBaseDSN returns $ADVMAIL_PG_DSN. Without it the test is skipped,
// except in CI (CI=true or ADVMAIL_LAB=required) where it fails.
func pgBaseDSN(t *testing.T) string {
	t.Helper()
	if dsn := os.Getenv("ADVMAIL_PG_DSN"); dsn != "" {
		return dsn
	}
	msg := "ADVMAIL_PG_DSN is not set: start the PostgreSQL lab with `bash testdata/pglab/start.sh` and " +
		"`export ADVMAIL_PG_DSN=$(cat testdata/pglab/run/dsn)`"
	if os.Getenv("CI") == "true" || os.Getenv(labModeEnv) == "required" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// freshPGDatabase creates a database of its own for t on the server of
// $ADVMAIL_PG_DSN (dropped at cleanup) and returns its DSN.
func freshPGDatabase(t *testing.T) string {
	t.Helper()
	base := pgBaseDSN(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("ADVMAIL_PG_DSN: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "advmail_serve_" + hex.EncodeToString(b)
	run := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return fmt.Errorf("connect to ADVMAIL_PG_DSN: %w", err)
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := run("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := run("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// storeJob reads River's record of job id from the store named by
// setting (sqlite:PATH or a postgres:// DSN), through River's own client.
func storeJob(ctx context.Context, setting string, id int64) (*rivertype.JobRow, error) {
	if path, ok := strings.CutPrefix(setting, "sqlite:"); ok {
		db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?_pragma=busy_timeout(20000)")
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		defer db.Close()
		c, err := river.NewClient(riversqlite.New(db), &river.Config{})
		if err != nil {
			return nil, fmt.Errorf("river client on %s: %w", path, err)
		}
		return c.JobGet(ctx, id)
	}
	pool, err := pgxpool.New(ctx, setting)
	if err != nil {
		return nil, fmt.Errorf("connect to the job store: %w", err)
	}
	defer pool.Close()
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return c.JobGet(ctx, id)
}

// mailSession is one POP3 or IMAP session of Dovecot's log.
type mailSession struct {
	id         string // Dovecot's session id
	login      string // the Login line
	disconnect string // the Disconnected line, "" while open
}

// logOffset returns the size of the file at path (where new lines will
// start).
func logOffset(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("Dovecot log: %v", err)
	}
	return fi.Size()
}

// logSessions reads Dovecot's log at path from offset and returns the
// sessions of user over proto ("pop3" or "imap"), in login order, and the
// overlaps: for each login made while another session of the same kind
// was still open, a description. Dovecot writes the Login line when the
// login process hands the connection over and the Disconnected line when
// the mail process ends the session; the log is in event order.
func logSessions(path string, offset int64, proto, user string) ([]*mailSession, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("Dovecot log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, nil, fmt.Errorf("Dovecot log: %w", err)
	}
	login := regexp.MustCompile(` ` + proto + `-login: Info: Login: user=<` + regexp.QuoteMeta(user) + `>,.* session=<([^>]+)>`)
	end := regexp.MustCompile(` ` + proto + `\(` + regexp.QuoteMeta(user) + `\)<[0-9]+><([^>]+)>: Info: Disconnected`)
	var all []*mailSession
	open := map[string]*mailSession{}
	var overlaps []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if m := login.FindStringSubmatch(line); m != nil {
			for _, o := range open {
				overlaps = append(overlaps, fmt.Sprintf("%q\n  while open: %q", line, o.login))
			}
			s := &mailSession{id: m[1], login: line}
			all = append(all, s)
			open[s.id] = s
		} else if m := end.FindStringSubmatch(line); m != nil {
			if s, ok := open[m[1]]; ok {
				s.disconnect = line
				delete(open, m[1])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("Dovecot log: %w", err)
	}
	return all, overlaps, nil
}

// openSessions returns the sessions not yet disconnected.
func openSessions(ss []*mailSession) []*mailSession {
	var out []*mailSession
	for _, s := range ss {
		if s.disconnect == "" {
			out = append(out, s)
		}
	}
	return out
}
