package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"
	lua "github.com/yuin/gopher-lua"
)

// pgDSN returns $ADVMAIL_PG_DSN. Without it the test is skipped, except
// in CI (CI=true or ADVMAIL_LAB=required) where it fails.
func pgDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("ADVMAIL_PG_DSN")
	if dsn != "" {
		return dsn
	}
	msg := "ADVMAIL_PG_DSN is not set: run `bash testdata/pglab/start.sh` and " +
		"`export ADVMAIL_PG_DSN=$(cat testdata/pglab/run/dsn)`"
	if os.Getenv("CI") == "true" || os.Getenv("ADVMAIL_LAB") == "required" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// freshDatabase creates a database of its own for the test on the
// server of $ADVMAIL_PG_DSN, dropped at the end, and returns its DSN.
func freshDatabase(t *testing.T) string {
	t.Helper()
	base := pgDSN(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("ADVMAIL_PG_DSN: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "advmail_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to ADVMAIL_PG_DSN: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// openPG opens the store at dsn, closed at the end of the test.
func openPG(t *testing.T, dsn string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := OpenStore(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestIsPostgres(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"postgres://u@h/db", true},
		{" PostgreSQL://u@h/db", true},
		{"sqlite:/tmp/x.db", false},
		{"", false},
		{"postgres:/x", false},
	}
	for _, tt := range tests {
		if got := isPostgres(tt.in); got != tt.want {
			t.Errorf("isPostgres(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := redactDSN("postgres://u:secret@h:5432/db?sslmode=disable"); strings.Contains(got, "secret") {
		t.Errorf("redactDSN kept the password: %s", got)
	}
	if lockKeyID("pop3:a") == lockKeyID("pop3:b") || lockKeyID("x") != lockKeyID("x") {
		t.Error("lockKeyID is not a stable per-key hash")
	}
}

func TestPGStoreBadDSN(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Nothing listens on port 1: a clear error, no hang, no password shown.
	_, err := OpenStore(ctx, "postgres://u:secret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("a store on a closed port was opened")
	}
	if strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "job store") {
		t.Errorf("error %q: want the job store named without its password", err)
	}
}

// Two nodes open (and migrate) one fresh database at once; the named
// locks behave as on SQLite.
func TestPGStoreOpenLocks(t *testing.T) {
	dsn := freshDatabase(t)
	u, _ := url.Parse(dsn)
	u.User = url.UserPassword(u.User.Username(), "hunter2") // trust auth ignores it
	var wg sync.WaitGroup
	stores := make([]*Store, 2)
	errs := make([]error, 2)
	for i := range stores {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			stores[i], errs[i] = OpenStore(ctx, u.String())
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	a, b := stores[0], stores[1]
	if strings.Contains(a.Path, "hunter2") || !strings.HasPrefix(a.Path, "postgres://") {
		t.Errorf("Store.Path = %q: want the DSN without its password", a.Path)
	}
	ctx := context.Background()
	later := time.Now().Add(time.Minute)
	steps := []struct {
		name  string
		do    func() (bool, error)
		want  bool
		store *Store
	}{
		{"a locks", func() (bool, error) { return a.Lock(ctx, "L", "a", later) }, true, a},
		{"b is refused", func() (bool, error) { return b.Lock(ctx, "L", "b", later) }, false, b},
		{"a again is refused", func() (bool, error) { return a.Lock(ctx, "L", "a", later) }, false, a},
		{"b cannot unlock", func() (bool, error) { return b.Unlock(ctx, "L", "b") }, false, b},
		{"a unlocks", func() (bool, error) { return a.Unlock(ctx, "L", "a") }, true, a},
		{"b locks", func() (bool, error) { return b.Lock(ctx, "L", "b", time.Now().Add(-time.Second)) }, true, b},
		{"an expired lock is taken", func() (bool, error) { return a.Lock(ctx, "L", "a", later) }, true, a},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil || got != st.want {
			t.Fatalf("%s: %v, %v; want %v", st.name, got, err, st.want)
		}
	}
	if err := a.UnlockAll(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Lock(ctx, "L", "b", later); err != nil || !ok {
		t.Fatalf("lock after UnlockAll: %v, %v", ok, err)
	}
}

// The advisory lock of a LockKey has one holder at a time, across nodes;
// the middleware snoozes a run whose lock is held instead of running it.
func TestPGAdvisoryLock(t *testing.T) {
	dsn := freshDatabase(t)
	a, b := openPG(t, dsn), openPG(t, dsn)
	ctx := context.Background()
	la, err := tryAdvisoryLock(ctx, a.pg.pool, "pop3:lab:henry")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tryAdvisoryLock(ctx, b.pg.pool, "pop3:lab:henry"); !errors.Is(err, errLockHeld) {
		t.Fatalf("second holder on another node: %v, want errLockHeld", err)
	}
	if _, err := tryAdvisoryLock(ctx, a.pg.pool, "pop3:lab:henry"); !errors.Is(err, errLockHeld) {
		t.Fatalf("second holder on the same node: %v, want errLockHeld", err)
	}
	lo, err := tryAdvisoryLock(ctx, b.pg.pool, "imap:lab:henry")
	if err != nil {
		t.Fatalf("another key: %v", err)
	}
	lo.release()

	mw := &advisoryLock{pool: b.pg.pool, snooze: time.Second}
	row := &rivertype.JobRow{Kind: kindJob, EncodedArgs: []byte(`{"job":"IMP","lock_key":"pop3:lab:henry"}`)}
	ran := false
	inner := func(context.Context) error { ran = true; return nil }
	err = mw.Work(ctx, row, inner)
	var snooze *rivertype.JobSnoozeError
	if !errors.As(err, &snooze) || ran {
		t.Fatalf("run with its lock held: ran %v, err %v; want a snooze", ran, err)
	}
	la.release()
	if err := mw.Work(ctx, row, inner); err != nil || !ran {
		t.Fatalf("run after release: ran %v, err %v", ran, err)
	}
	// The middleware released the lock at the end of the run.
	l, err := tryAdvisoryLock(ctx, a.pg.pool, "pop3:lab:henry")
	if err != nil {
		t.Fatalf("lock after the run: %v", err)
	}
	l.release()
	// StartJob runs carry no LockKey: they run unfenced.
	ran = false
	call := &rivertype.JobRow{Kind: kindCall, EncodedArgs: []byte(`{"func":"U_X","parent":"IMP"}`)}
	if err := mw.Work(ctx, call, inner); err != nil || !ran {
		t.Fatalf("StartJob run: ran %v, err %v", ran, err)
	}
}

// keyProbe counts runs per key and the most that ran at once per key.
type keyProbe struct {
	mu      sync.Mutex
	running map[string]int
	max     map[string]int
	runs    map[string]int
	total   atomic.Int32
}

func newKeyProbe() *keyProbe {
	return &keyProbe{running: map[string]int{}, max: map[string]int{}, runs: map[string]int{}}
}

func (p *keyProbe) funcs() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"Enter": func(L *lua.LState) int {
			k := L.CheckString(1)
			p.mu.Lock()
			p.running[k]++
			p.runs[k]++
			p.max[k] = max(p.max[k], p.running[k])
			p.mu.Unlock()
			p.total.Add(1)
			return 0
		},
		"Leave": func(L *lua.LState) int {
			k := L.CheckString(1)
			p.mu.Lock()
			p.running[k]--
			p.mu.Unlock()
			return 0
		},
	}
}

func (p *keyProbe) get(k string) (runs, most int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runs[k], p.max[k]
}

// Two serve instances on one PostgreSQL database, a 1 s RefreshRate:
// slow jobs sharing a LockKey never overlap, a quick job runs every
// period, and a job whose advisory lock is held elsewhere waits for it.
func TestPGServeNoOverlap(t *testing.T) {
	dsn := freshDatabase(t)
	dir := t.TempDir()
	files := map[string]string{
		"appserver.ini": "[OnStart]\nJobs=IMPA,IMPB,TICK,HELD\nRefreshRate=1\n" +
			"[IMPA]\nMain=slow.lua\nTimeout=20\nLockKey=pop3:lab:henry\n" +
			"[IMPB]\nMain=slow.lua\nTimeout=20\nLockKey=pop3:lab:henry\n" +
			"[TICK]\nMain=tick.lua\nTimeout=20\nLockKey=tick\n" +
			"[HELD]\nMain=held.lua\nTimeout=20\nLockKey=held\n",
		"slow.lua": "Enter('henry')\nSleep(700)\nLeave('henry')\n",
		"tick.lua": "Enter('tick')\nSleep(100)\nLeave('tick')\n",
		"held.lua": "Enter('held')\nLeave('held')\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := LoadConfig(filepath.Join(dir, "appserver.ini"))
	if err != nil {
		t.Fatal(err)
	}
	p := newKeyProbe()
	out := &strings.Builder{}
	var outMu sync.Mutex
	w := writerFunc(func(b []byte) (int, error) { outMu.Lock(); defer outMu.Unlock(); return out.Write(b) })
	ctx := context.Background()
	holder := openPG(t, dsn)
	held, err := tryAdvisoryLock(ctx, holder.pg.pool, "held")
	if err != nil {
		t.Fatal(err)
	}
	var servers []*Server
	for _, node := range []string{"node-a", "node-b"} {
		s, err := New(Options{Config: cfg, Store: openPG(t, dsn), Node: node, Stdout: w, Stderr: w,
			Grace: 5 * time.Second, PollInterval: 100 * time.Millisecond, Funcs: p.funcs()})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	defer func() {
		for _, s := range servers {
			stopServer(t, s)
		}
	}()

	// Wait for the first quick run (leader election), then count the
	// quick runs of the next 6 periods.
	deadline := time.Now().Add(30 * time.Second)
	for n, _ := p.get("tick"); n == 0; n, _ = p.get("tick") {
		if time.Now().After(deadline) {
			t.Fatal("no run of TICK in 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	first, _ := p.get("tick")
	time.Sleep(6 * time.Second)
	if n, _ := p.get("held"); n != 0 {
		t.Errorf("HELD ran %d times while its advisory lock was held elsewhere", n)
	}
	held.release()
	ticks, _ := p.get("tick")
	if ticks-first < 4 {
		t.Errorf("TICK ran %d times in 6 periods of 1 s, want at least 4", ticks-first)
	}
	for n, _ := p.get("held"); n == 0; n, _ = p.get("held") {
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatal("HELD did not run after its advisory lock was released")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for n, _ := p.get("henry"); n < 4; n, _ = p.get("henry") {
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("%d runs of the pop3:lab:henry jobs, want at least 4", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, k := range []string{"henry", "tick", "held"} {
		if _, most := p.get(k); most != 1 {
			t.Errorf("%d runs of LockKey %s at once, want 1", most, k)
		}
	}
}

// writerFunc is an io.Writer from a function.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
