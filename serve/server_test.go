package serve

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// probe counts the runs of test jobs and how many run at once.
type probe struct {
	running, maxRunning, runs atomic.Int32
	mu                        sync.Mutex
	starts                    []time.Time
	ended                     chan string
}

func newProbe() *probe { return &probe{ended: make(chan string, 100)} }

func (p *probe) funcs() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"Enter": func(L *lua.LState) int {
			n := p.running.Add(1)
			for {
				m := p.maxRunning.Load()
				if n <= m || p.maxRunning.CompareAndSwap(m, n) {
					break
				}
			}
			p.runs.Add(1)
			p.mu.Lock()
			p.starts = append(p.starts, time.Now())
			p.mu.Unlock()
			return 0
		},
		"Leave": func(L *lua.LState) int {
			p.running.Add(-1)
			select {
			case p.ended <- L.OptString(1, ""):
			default:
			}
			return 0
		},
	}
}

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testServer opens the store at db and builds a server for the ini at
// path.
func testServer(t *testing.T, path, db, node string, p *probe, grace time.Duration, out *syncBuffer) *Server {
	t.Helper()
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	store, err := OpenStore(context.Background(), "sqlite:"+db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if out == nil {
		out = &syncBuffer{}
	}
	s, err := New(Options{Config: cfg, Store: store, Node: node, Stdout: out, Stderr: out,
		Grace: grace, PollInterval: 100 * time.Millisecond, Funcs: p.funcs()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func stopServer(t *testing.T, s *Server) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Stop(ctx); err != nil {
		t.Errorf("stop %s: %v", s.Node(), err)
	}
	return time.Since(start)
}

// Two servers on one store, a 1 s RefreshRate and jobs slower than it:
// runs follow one another, never two at once for the LockKey.
func TestServeNoOverlap(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"appserver.ini": "[OnStart]\nJobs=IMPA,IMPB\nRefreshRate=1\n" +
			"[IMPA]\nMain=slow.lua\nTimeout=20\nLockKey=pop3:lab:erin\n" +
			"[IMPB]\nMain=slow.lua\nTimeout=20\nLockKey=pop3:lab:erin\n",
		"slow.lua": "Enter()\nconout('working')\nSleep(700)\nLeave()\n",
	})
	ini, db := filepath.Join(dir, "appserver.ini"), filepath.Join(dir, "jobs.db")
	p := newProbe()
	out := &syncBuffer{}
	a := testServer(t, ini, db, "node-a", p, 5*time.Second, out)
	b := testServer(t, ini, db, "node-b", p, 5*time.Second, out)
	ctx := context.Background()
	for _, s := range []*Server{a, b} {
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for p.runs.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	stopServer(t, a)
	stopServer(t, b)
	if n := p.runs.Load(); n < 4 {
		t.Errorf("%d runs in 30 s, want at least 4", n)
	}
	if m := p.maxRunning.Load(); m != 1 {
		t.Errorf("%d runs at once for one LockKey, want 1", m)
	}
	if !strings.Contains(out.String(), "] working\n") {
		t.Errorf("console output not prefixed with the job name:\n%s", out.String())
	}
}

// Stop lets a job that loops on KillApp() end by itself, and cancels one
// that ignores it once the grace period is over.
func TestServeShutdown(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"appserver.ini": "[OnStart]\nJobs=LOOP,DEAF\n" +
			"[LOOP]\nMain=loop.lua\nTimeout=60\n" +
			"[DEAF]\nMain=deaf.lua\nTimeout=60\n",
		"loop.lua": "Enter()\nwhile not KillApp() do Sleep(50) end\nLeave('loop')\n",
		"deaf.lua": "Enter()\nSleep(120000)\nLeave('deaf')\n",
	})
	p := newProbe()
	s := testServer(t, filepath.Join(dir, "appserver.ini"), filepath.Join(dir, "jobs.db"), "node-a", p, time.Second, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for p.running.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if p.running.Load() != 2 {
		t.Fatalf("%d jobs running, want 2", p.running.Load())
	}
	took := stopServer(t, s)
	if took > 15*time.Second {
		t.Errorf("stop took %v with a 1 s grace period", took)
	}
	got := map[string]bool{}
	for len(p.ended) > 0 {
		got[<-p.ended] = true
	}
	if !got["loop"] {
		t.Error("the job looping on KillApp() did not end by itself")
	}
	if got["deaf"] {
		t.Error("the job ignoring KillApp() was not cancelled (it ran to its end)")
	}
	if p.running.Load() != 1 { // deaf never reached Leave
		t.Errorf("running = %d after stop, want 1 (the cancelled job)", p.running.Load())
	}
}

// A RefreshRate job keeps its schedule across a stop and a start: the
// new server waits for the rest of the period instead of running at once.
func TestServeKeepsSchedule(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"appserver.ini": "[OnStart]\nJobs=TICK\nRefreshRate=5\n[TICK]\nMain=tick.lua\n",
		"tick.lua":      "Enter()\nLeave()\n",
	})
	ini, db := filepath.Join(dir, "appserver.ini"), filepath.Join(dir, "jobs.db")
	p := newProbe()
	a := testServer(t, ini, db, "node-a", p, time.Second, nil)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for p.runs.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stopServer(t, a)
	if p.runs.Load() != 1 {
		t.Fatalf("%d runs, want 1", p.runs.Load())
	}
	b := testServer(t, ini, db, "node-b", p, time.Second, nil)
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for p.runs.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stopServer(t, b)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.starts) < 2 {
		t.Fatalf("%d runs after the restart, want 2", len(p.starts))
	}
	if gap := p.starts[1].Sub(p.starts[0]); gap < 4*time.Second {
		t.Errorf("second run %v after the first, want about the 5 s period", gap)
	}
}

// A function Main among the AdvPL and Lua sources under SourcePath gets
// its ParmN; StartJob without lWait queues a job that runs the named
// function with its parameters; LockByName holds across servers of one
// store and is released when the run ends.
func TestServeFunctionsStartJobLocks(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"appserver.ini": "[OnStart]\nJobs=MAIN\n[MAIN]\nMain=U_ROTINA\nEnvironment=P12\nnParms=2\nParm1=01\nParm2=0101\nTimeout=30\n" +
			"[P12]\nSourcePath=apo\nRootPath=.\n",
		"apo/rotina.prw": "#include \"totvs.ch\"\n" +
			"User Function Rotina(cEmp, cFil)\n" +
			"\tIf !LockByName(\"IMPORT\")\n\t\tReturn .F.\n\tEndIf\n" +
			"\tConOut(\"main \" + cEmp + \"/\" + cFil)\n" +
			"\tStartJob(\"U_FILHO\", GetEnvServer(), .F., \"x\", 42, .T.)\n" +
			"\tLeave(\"main:\" + cValToChar(LockByName(\"IMPORT\")))\n" +
			"Return .T.\n",
		"apo/filho.lua": "function U_FILHO(a, n, l)\n  Leave(string.format('child:%s:%d:%s', a, n, tostring(l)))\nend\n",
	})
	p := newProbe()
	out := &syncBuffer{}
	s := testServer(t, filepath.Join(dir, "appserver.ini"), filepath.Join(dir, "jobs.db"), "node-a", p, time.Second, out)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	timeout := time.After(30 * time.Second)
	for len(got) < 2 {
		select {
		case m := <-p.ended:
			got[m] = true
		case <-timeout:
			t.Fatalf("ended: %v; output:\n%s", got, out.String())
		}
	}
	stopServer(t, s)
	// the job holds IMPORT (taking it again is refused) until it ends
	for _, want := range []string{"main:.F.", "child:x:42:true"} {
		if !got[want] {
			t.Errorf("no run ended with %q (got %v)", want, got)
		}
	}
	if !strings.Contains(out.String(), "[MAIN] main 01/0101\n") {
		t.Errorf("output:\n%s", out.String())
	}
	ok, err := s.opts.Store.Lock(context.Background(), "IMPORT", "test", time.Now().Add(time.Minute))
	if err != nil || !ok {
		t.Errorf("IMPORT still held after the job ended: %v, %v", ok, err)
	}
}
