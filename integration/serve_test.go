//go:build unix

package integration

// advmail serve under kill -9, against the lab (issue 14): two `advmail
// serve` processes share one job store (SQLite, or PostgreSQL from
// $ADVMAIL_PG_DSN) and one job that empties erin's mailbox — a POP3
// import, or an IMAP move into Processados — over 200 messages with
// unique Message-IDs. The process running the job is killed with SIGKILL
// in the middle; the other must take the job over as its next attempt
// once River's rescuer finds it stuck, and finish it. Then every
// Message-ID is saved exactly once, the mailbox is empty, and Dovecot's
// log (pop3_lock_session=no: nothing on the server serializes sessions)
// never shows two sessions of erin at once.

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/serve"
)

const (
	// serveMessages is how many messages are seeded.
	serveMessages = 200
	// serveJobTimeout is the job's Timeout=; the rescue window is
	// serve.RescueAfter of it.
	serveJobTimeout = 15 * time.Second
	// servePauseMillis is the job's pause between messages, so that a run
	// lasts a few seconds and can be killed in its middle.
	servePauseMillis = 20
	// serveKillAt is the progress (messages done) at which the node
	// running the job is killed.
	serveKillAt = 40
	// serveGrace is the survivor's --grace.
	serveGrace = 5 * time.Second
	// serveCaseLimit bounds one case: River's rescuer looks for stuck
	// jobs every 30 s, so a rescue comes at most about 30 s after the
	// rescue window has passed.
	serveCaseLimit = 110 * time.Second
)

// serveKind is one of the two served jobs.
type serveKind struct {
	name   string // subtest name
	job    string // job section
	script string // under testdata/serve
	proto  string // Dovecot service: "pop3" or "imap"
	port   func(*Lab) int
	folder string // IMAP: the folder messages are moved to
}

var serveKinds = []serveKind{
	{name: "pop", job: "POPIMP", script: "pop_import.lua", proto: "pop3", port: func(l *Lab) int { return l.Ports.POP3S }},
	{name: "imap", job: "IMAPMOVE", script: "imap_move.lua", proto: "imap", port: func(l *Lab) int { return l.Ports.IMAPS }, folder: "Processados"},
}

func TestServeKill9(t *testing.T) {
	l := requireLab(t)
	erin := l.User(t, "erin")
	bin := buildAdvmail(t)
	stores := []struct {
		name    string
		setting func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "jobs.db") }},
		{"postgres", freshPGDatabase},
	}
	for _, st := range stores {
		for _, k := range serveKinds {
			t.Run(st.name+"/"+k.name, func(t *testing.T) {
				serveKillCase(t, l, erin, bin, st.setting(t), k)
			})
		}
	}
}

// progressLine matches the job's progress lines on a node's stdout.
var progressLine = regexp.MustCompile(`^\[([A-Z]+)\] imported ([0-9]+)$`)

// serveKillCase runs one case: seed, two nodes, kill -9 the busy one, let
// the other finish, check everything.
func serveKillCase(t *testing.T, l *Lab, u LabUser, bin, store string, k serveKind) {
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), serveCaseLimit)
	defer cancel()

	l.ResetMailboxes(t, u.Address)
	stamp := time.Now().UnixNano()
	ids := make([]string, serveMessages)
	msgs := make([]*mail.Message, serveMessages)
	for i := range ids {
		ids[i] = fmt.Sprintf("serve-%s-%03d-%d@client.lab.test", k.name, i+1, stamp)
		msgs[i] = &mail.Message{From: "fornecedor@example.org", To: u.Address, Subject: fmt.Sprintf("NF-e %03d", i+1),
			Body: "nota " + strconv.Itoa(i+1), BodyType: "text/plain", MessageID: ids[i]}
	}
	seed(t, l, u, msgs...)
	t.Logf("seeded %d messages in %v", serveMessages, time.Since(begin).Round(time.Millisecond))

	dir := t.TempDir()
	saved := filepath.Join(dir, "saved")
	if err := os.Mkdir(saved, 0o755); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "serve", k.script))
	if err != nil {
		t.Fatal(err)
	}
	ini := filepath.Join(dir, "appserver.ini")
	writeServeINI(t, ini, l, u, store, script, saved, k)

	dovecotLog := l.Logs["dovecot"]
	if dovecotLog == "" {
		t.Fatal("lab.json names no Dovecot log (logs.dovecot)")
	}
	offset := logOffset(t, dovecotLog)

	nodes := []*serveProc{
		startServe(t, bin, ini, "n1", serveGrace),
		startServe(t, bin, ini, "n2", serveGrace),
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range nodes {
				t.Log(p.transcript())
			}
		}
	})

	// Wait until one node is in the middle of the job.
	var victim, survivor *serveProc
	err = waitFor(ctx, func() bool {
		for i, p := range nodes {
			if !p.running() {
				return true
			}
			for _, line := range p.stdout.snapshot() {
				if m := progressLine.FindStringSubmatch(line); m != nil && m[1] == k.job {
					if n, _ := strconv.Atoi(m[2]); n >= serveKillAt {
						victim, survivor = p, nodes[1-i]
						return true
					}
				}
			}
		}
		return false
	})
	for _, p := range nodes {
		if !p.running() {
			t.Fatalf("node %s exited before the kill: %v", p.node, p.err)
		}
	}
	if err != nil {
		t.Fatalf("no node reported %d messages done within %v: %v", serveKillAt, serveCaseLimit, err)
	}
	victim.kill()
	killedAt := time.Now()
	if err := victim.waitExit(10 * time.Second); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("node %s after SIGKILL: %v, want killed", victim.node, err)
	}
	done := doneCount(victim, k.job)
	if done >= serveMessages {
		t.Fatalf("node %s was killed after the whole job (%d messages done), not in its middle", victim.node, done)
	}
	t.Logf("killed node %s at %v, %d messages done", victim.node, killedAt.Sub(begin).Round(time.Millisecond), done)

	// The killed run: its id, and when it started.
	starts := jobLines(victim.stderr.snapshot(), "job start", k.job)
	if len(starts) != 1 {
		t.Fatalf("node %s logged %d starts of %s, want 1 (the killed run):\n%s", victim.node, len(starts), k.job, strings.Join(starts, "\n"))
	}
	if a := slogField(starts[0], "attempt"); a != "1" {
		t.Fatalf("the killed run is attempt %s, want 1: %s", a, starts[0])
	}
	id, err := strconv.ParseInt(slogField(starts[0], "id"), 10, 64)
	if err != nil {
		t.Fatalf("job start line without an id: %s", starts[0])
	}
	firstStart, err := time.Parse(time.RFC3339Nano, slogField(starts[0], "time"))
	if err != nil {
		t.Fatalf("job start line without a time: %s", starts[0])
	}
	if s := jobLines(survivor.stderr.snapshot(), "job start", k.job); len(s) > 0 {
		t.Fatalf("node %s started %s while node %s was running it:\n%s", survivor.node, k.job, victim.node, strings.Join(s, "\n"))
	}

	// The survivor takes the killed run over as its next attempt.
	idField := strconv.FormatInt(id, 10)
	var end string
	err = waitFor(ctx, func() bool {
		if !survivor.running() {
			return true
		}
		for _, line := range jobLines(survivor.stderr.snapshot(), "job end", k.job) {
			if slogField(line, "id") == idField {
				end = line
				return true
			}
		}
		return false
	})
	if !survivor.running() {
		t.Fatalf("node %s exited: %v", survivor.node, survivor.err)
	}
	if err != nil {
		t.Fatalf("job %d was not finished by node %s within %v of the start: %v", id, survivor.node, serveCaseLimit, err)
	}
	doneAt := time.Now()
	if r := slogField(end, "result"); r != "ok" {
		t.Fatalf("the later attempt of job %d failed: %s", id, end)
	}
	if a := slogField(end, "attempt"); a != "2" {
		t.Errorf("job %d finished as attempt %s, want 2: %s", id, a, end)
	}
	t.Logf("job %d finished by node %s %v after the kill", id, survivor.node, doneAt.Sub(killedAt).Round(time.Millisecond))

	// SIGTERM: the survivor exits cleanly within its grace period.
	if err := survivor.terminate(); err != nil {
		t.Fatalf("SIGTERM node %s: %v", survivor.node, err)
	}
	if err := survivor.waitExit(serveGrace + 10*time.Second); err != nil {
		t.Fatalf("node %s after SIGTERM: %v", survivor.node, err)
	}

	// River's record: one job, rescued, completed by the survivor.
	row, err := storeJob(ctx, store, id)
	if err != nil {
		t.Fatalf("job %d in the store: %v", id, err)
	}
	checkRescuedRow(t, row, victim.node, survivor.node, firstStart)

	// Dovecot: never two sessions of erin at once.
	sessions := checkSessions(ctx, t, dovecotLog, offset, k.proto, u.Address)

	// Every Message-ID saved exactly once.
	checkSaved(t, saved, ids, append(victim.stdout.snapshot(), survivor.stdout.snapshot()...), k.job, k.proto == "pop3")

	// The mailbox.
	if n := messageCount(t, l, u, "INBOX"); n != 0 {
		t.Errorf("INBOX holds %d messages after the job, want 0", n)
	}
	if k.folder != "" {
		checkFolderIDs(t, l, u, k.folder, ids)
	}

	// advmail jobs reads the same store.
	jobs := exec.CommandContext(ctx, bin, "jobs", "--config", ini)
	jobs.Env = append(os.Environ(), "ADVMAIL_CONFIG=")
	out, err := jobs.CombinedOutput()
	if err != nil {
		t.Errorf("advmail jobs: %v\n%s", err, out)
	} else if !regexp.MustCompile(`(?m)^` + k.job + `\s+every 1s\s+completed\s`).Match(out) {
		t.Errorf("advmail jobs does not show %s completed:\n%s", k.job, out)
	}
	t.Logf("%d %s sessions of %s, none overlapping; case took %v", len(sessions), k.proto, u.Address, time.Since(begin).Round(time.Millisecond))
}

// writeServeINI writes the appserver.ini of a case.
func writeServeINI(t *testing.T, path string, l *Lab, u LabUser, store, script, saved string, k serveKind) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[OnStart]\nJobs=%s\nRefreshRate=1\n\n", k.job)
	fmt.Fprintf(&b, "[%s]\nMain=%s\nnParms=7\n", k.job, script)
	params := []string{saved, l.TLSServerName, u.Login, u.Password, strconv.Itoa(k.port(l)), strconv.Itoa(servePauseMillis), k.folder}
	for i, p := range params {
		if strings.ContainsAny(p, ";\r\n") {
			t.Fatalf("parameter %d (%q) cannot be written to an ini", i+1, p)
		}
		fmt.Fprintf(&b, "Parm%d=%s\n", i+1, p)
	}
	fmt.Fprintf(&b, "Timeout=%d\nMaxAttempts=3\nLockKey=%s:%s:%s\n\n", int(serveJobTimeout/time.Second), k.proto, l.TLSServerName, u.Login)
	fmt.Fprintf(&b, "[advmail]\nJobStore=%s\n\n", store)
	fmt.Fprintf(&b, "[Mail]\nCAFile=%s\nMailTrace=0\n", l.CAFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// doneCount returns the last progress a node reported for job.
func doneCount(p *serveProc, job string) int {
	n := 0
	for _, line := range p.stdout.snapshot() {
		if m := progressLine.FindStringSubmatch(line); m != nil && m[1] == job {
			n, _ = strconv.Atoi(m[2])
		}
	}
	return n
}

// checkRescuedRow checks River's record of the killed job: completed at
// its second attempt, by the survivor after the victim, the first
// attempt's error being the rescue, which came no earlier than the job's
// timeout after the first start (a run is never taken over while a live
// node may still be running it).
func checkRescuedRow(t *testing.T, row *rivertype.JobRow, victim, survivor string, firstStart time.Time) {
	t.Helper()
	if row.State != rivertype.JobStateCompleted {
		t.Errorf("job %d is %s in the store, want completed", row.ID, row.State)
	}
	if row.Attempt != 2 {
		t.Errorf("job %d: attempt %d, want 2", row.ID, row.Attempt)
	}
	if want := []string{victim, survivor}; !slices.Equal(row.AttemptedBy, want) {
		t.Errorf("job %d attempted by %q, want %q", row.ID, row.AttemptedBy, want)
	}
	if len(row.Errors) != 1 || !strings.Contains(row.Errors[0].Error, "Stuck job rescued") {
		t.Errorf("job %d errors %+v, want the one rescue of the killed attempt", row.ID, row.Errors)
		return
	}
	rescuedAfter := row.Errors[0].At.Sub(firstStart)
	if rescuedAfter < serveJobTimeout {
		t.Errorf("job %d rescued %v after its first start, before its timeout %v", row.ID, rescuedAfter, serveJobTimeout)
	}
	t.Logf("job %d: rescued %v after its first start (window %v, River's rescuer runs every 30s)", row.ID,
		rescuedAfter.Round(time.Millisecond), serve.RescueAfter(serveJobTimeout))
}

// checkSessions waits (bounded by ctx) until every session of user in
// Dovecot's log since offset has ended, then checks that none overlapped
// another and that the killed one is among them. It returns the sessions.
func checkSessions(ctx context.Context, t *testing.T, path string, offset int64, proto, user string) []*mailSession {
	t.Helper()
	var sessions []*mailSession
	var overlaps []string
	var readErr error
	waitErr := waitFor(ctx, func() bool {
		sessions, overlaps, readErr = logSessions(path, offset, proto, user)
		return readErr != nil || len(openSessions(sessions)) == 0
	})
	if readErr != nil {
		t.Fatal(readErr)
	}
	if waitErr != nil {
		for _, s := range openSessions(sessions) {
			t.Errorf("session still open in %s after the nodes stopped: %s", path, s.login)
		}
	}
	for _, o := range overlaps {
		t.Errorf("two concurrent %s sessions of %s in %s:\n  %s", proto, user, path, o)
	}
	unclean := 0
	for _, s := range sessions {
		if s.disconnect != "" && !strings.Contains(s.disconnect, "Logged out") {
			unclean++
		}
	}
	if len(sessions) < 2 || unclean == 0 {
		t.Errorf("%s: %d %s sessions of %s, %d ended without logging out; want the killed one and the later attempt's at least",
			path, len(sessions), proto, user, unclean)
	}
	return sessions
}

// checkSaved checks the output folder: one complete file per seeded
// Message-ID, named after it, no other; and the nodes' output: no
// Message-ID reported saved twice (a run killed between saving a message
// and printing so may leave one saved without a report, found "already"
// imported by the next attempt). With redo (POP3: the killed run's
// deletions were never committed) the later attempt must have found the
// killed run's messages already imported.
func checkSaved(t *testing.T, dir string, ids []string, out []string, job string, redo bool) {
	t.Helper()
	want := map[string]string{}
	for _, id := range ids {
		want[hex.EncodeToString([]byte(id))+".eml"] = id
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, parts := 0, 0
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".part") {
			parts++ // the killed run's unfinished file, at most one
			continue
		}
		id, ok := want[name]
		if !ok {
			t.Errorf("unexpected file %s in the output folder", name)
			continue
		}
		got++
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.Parse(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if m.MessageID != id {
			t.Errorf("%s holds Message-ID %q, want %q", name, m.MessageID, id)
		}
	}
	if got != len(ids) {
		t.Errorf("%d of the %d messages saved", got, len(ids))
	}
	if parts > 1 {
		t.Errorf("%d unfinished .part files, want at most the killed run's one", parts)
	}
	savedLine := regexp.MustCompile(`^\[` + job + `\] (saved|already) (\S+)$`)
	saved, already := map[string]int{}, map[string]int{}
	for _, line := range out {
		if m := savedLine.FindStringSubmatch(line); m != nil {
			if m[1] == "saved" {
				saved[m[2]]++
			} else {
				already[m[2]]++
			}
		}
	}
	unreported := 0
	for _, id := range ids {
		switch n := saved[id]; {
		case n > 1:
			t.Errorf("Message-ID %s saved %d times", id, n)
		case n == 0:
			unreported++
			if already[id] == 0 {
				t.Errorf("Message-ID %s never reported saved nor already imported", id)
			}
		}
	}
	if unreported > 1 {
		t.Errorf("%d Message-IDs saved without a report, want at most the one the kill cut off", unreported)
	}
	if redo && len(already) == 0 {
		t.Errorf("no message found already imported: the later attempt did not see the killed run's work")
	}
}

// checkFolderIDs checks that folder holds exactly one message per id.
func checkFolderIDs(t *testing.T, l *Lab, u LabUser, folder string, ids []string) {
	t.Helper()
	tr, _ := labTransport(labConfig(l, nil))
	c := dialIMAP(t, tr, endpoint(l, l.Ports.IMAPS, mail.ImplicitTLS), u)
	count := map[string]int{}
	err := c.FetchAllHeaders(folder, []string{"Message-ID"}, func(r mail.HeaderRow) {
		count[strings.Trim(strings.TrimSpace(r.Headers[0].Value), "<>")]++
	})
	if err != nil {
		t.Fatalf("fetch Message-IDs of %s: %v", folder, err)
	}
	if err := c.Logout(); err != nil {
		t.Errorf("logout: %v", err)
	}
	total := 0
	for _, n := range count {
		total += n
	}
	if total != len(ids) {
		t.Errorf("%s holds %d messages, want %d", folder, total, len(ids))
	}
	for _, id := range ids {
		if n := count[id]; n != 1 {
			t.Errorf("%s holds Message-ID %s %d times, want once", folder, id, n)
		}
	}
}
