package serve

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The served example of scripts/serve runs: each job of its appserver.ini
// is queued once on a temporary store, and both write what they should.
func TestServeExampleScripts(t *testing.T) {
	ini, err := filepath.Abs(filepath.Join("..", "scripts", "serve", "appserver.ini"))
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	s := testServer(t, ini, filepath.Join(t.TempDir(), "jobs.db"), "example", newProbe(), time.Second, out)
	want := map[string]string{
		"HEARTBEAT": "[HEARTBEAT] HEARTBEAT: company 01 branch 0101\n",
		"REPORT":    "[REPORT] REPORT: run at ",
	}
	if len(s.cfg.Jobs) != len(want) {
		t.Fatalf("the example has %d jobs, the test knows %d", len(s.cfg.Jobs), len(want))
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer stopServer(t, s)
	for _, j := range s.cfg.Jobs {
		// the insert is skipped when the periodic HEARTBEAT run is live
		if _, err := s.client.Insert(ctx, jobArgs{Job: j.Name, LockKey: j.LockKey}, s.insertOpts(j)); err != nil {
			t.Fatalf("queue %s: %v", j.Name, err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		done := 0
		for _, line := range want {
			if strings.Contains(out.String(), line) {
				done++
			}
		}
		if done == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the example jobs did not all run; output:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	sts, err := Status(ctx, s.cfg, s.opts.Store)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.LastError != "" {
			t.Errorf("job %s: last error %s", st.Job, st.LastError)
		}
	}
}

// Two runs of one job on one node start from a fresh state: what the
// first run leaves in its globals is gone in the second, the server's
// KillApp is bound in each, and StartJob with lWait runs the function at
// once in a state of its own and returns its result.
func TestServeFreshRuns(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"appserver.ini": "[OnStart]\nJobs=FRESH\nRefreshRate=1\n[FRESH]\nMain=U_FRESH\nEnvironment=P12\nTimeout=30\n" +
			"[P12]\nSourcePath=apo\nRootPath=.\n",
		"apo/fresh.prw": "#include \"totvs.ch\"\n" +
			"Static nRuns := 0\n" +
			"User Function Fresh()\n" +
			"\tnRuns++\n" +
			"\tLeave(cValToChar(nRuns) + \":\" + Type(\"cLeft\") + \":\" + cValToChar(KillApp()) + \":\" + StartJob(\"U_CHILD\", GetEnvServer(), .T., \"c\"))\n" +
			"\tPublic cLeft := \"x\"\n" +
			"Return .T.\n" +
			"User Function Child(cArg)\n" +
			"\tnRuns++\n" +
			"Return cArg + cValToChar(nRuns)\n",
	})
	p := newProbe()
	out := &syncBuffer{}
	s := testServer(t, filepath.Join(dir, "appserver.ini"), filepath.Join(dir, "jobs.db"), "node-a", p, time.Second, out)
	s.workers = 1 // one state in the pool: both runs use it
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	timeout := time.After(60 * time.Second)
	for len(got) < 2 {
		select {
		case m := <-p.ended:
			got = append(got, m)
		case <-timeout:
			t.Fatalf("ended: %v; output:\n%s", got, out.String())
		}
	}
	stopServer(t, s)
	for i, m := range got {
		if m != "1:U:.F.:c1" {
			t.Errorf("run %d saw %q, want 1:U:.F.:c1 (a fresh Static, no Public left, KillApp .F., an inline StartJob in a state of its own)", i+1, m)
		}
	}
}
