package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	lua "github.com/yuin/gopher-lua"

	advrt "github.com/advmail/advmail/runtime"
)

// Job kinds in the store.
const (
	kindJob  = "advmail_job"      // a job section of the ini
	kindCall = "advmail_startjob" // StartJob without lWait
)

// DefaultGrace is how long a stopping server lets running jobs finish
// before it cancels them.
const DefaultGrace = 30 * time.Second

// liveStates are the states in which a job holds its LockKey: a second
// insert with the same key is skipped while one is in any of them.
var liveStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRunning,
	rivertype.JobStateRetryable,
	rivertype.JobStateScheduled,
}

// jobArgs are the arguments of a job-section run. Only LockKey takes part
// in uniqueness: one live run per key, whatever the section.
type jobArgs struct {
	Job     string `json:"job"`
	LockKey string `json:"lock_key" river:"unique"`
}

// Kind implements river.JobArgs.
func (jobArgs) Kind() string { return kindJob }

// callArgs are the arguments of a job queued by StartJob.
type callArgs struct {
	Func   string `json:"func"`
	Env    string `json:"env,omitempty"`
	Params []any  `json:"params,omitempty"`
	Parent string `json:"parent"` // the job section whose sources it uses
}

// Kind implements river.JobArgs.
func (callArgs) Kind() string { return kindCall }

// Options configures a Server.
type Options struct {
	// Config is the job table (LoadConfig).
	Config *Config
	// Store is the job store (OpenStore). The Server does not close it.
	Store *Store
	// Node names this process in the store; "" is host:pid.
	Node string
	// Stdout receives the jobs' console output, each line prefixed with
	// "[JOB] "; Stderr their error output. nil means os.Stdout/os.Stderr.
	Stdout, Stderr io.Writer
	// Logger receives one line at the start and one at the end of each
	// run. nil discards them.
	Logger *slog.Logger
	// Grace is how long Stop lets running jobs finish before cancelling
	// them; 0 means DefaultGrace.
	Grace time.Duration
	// Workers is how many jobs run at once on this node, and the number
	// of states of the runtime.Pool of each environment jobs run in; 0
	// means the number of jobs plus 4 (for StartJob).
	Workers int
	// PollInterval is how often the store is polled for work; 0 means 1s.
	PollInterval time.Duration
	// Runtime, when set, adjusts the options of the runtime.Pool jobs
	// run on (a sandbox, a dialer); it is called once per environment.
	Runtime func(*advrt.Options)
	// Funcs are host functions registered in every state of the pools.
	Funcs map[string]lua.LGFunction
}

// Server runs the jobs of a Config on a River client.
type Server struct {
	opts     Options
	cfg      *Config
	jobs     map[string]Job
	node     string
	client   engine
	stopping atomic.Bool
	stdout   io.Writer
	stderr   io.Writer
	logger   *slog.Logger
	outMu    sync.Mutex
	rescue   time.Duration
	gate     batchGate
	workers  int

	poolMu      sync.Mutex
	pools       map[string]*advrt.Pool // per environment, see pool
	poolsClosed bool
}

// NodeName returns the default node name: host:pid.
func NodeName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return h + ":" + strconv.Itoa(os.Getpid())
}

// New builds a Server; Start runs it.
func New(opts Options) (*Server, error) {
	if opts.Config == nil || opts.Store == nil {
		return nil, errors.New("serve: New needs a Config and a Store")
	}
	s := &Server{opts: opts, cfg: opts.Config, jobs: map[string]Job{}, node: opts.Node,
		stdout: opts.Stdout, stderr: opts.Stderr, logger: opts.Logger}
	if s.node == "" {
		s.node = NodeName()
	}
	if s.stdout == nil {
		s.stdout = os.Stdout
	}
	if s.stderr == nil {
		s.stderr = os.Stderr
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.opts.Grace <= 0 {
		s.opts.Grace = DefaultGrace
	}
	maxTimeout := time.Duration(0)
	for _, j := range s.cfg.Jobs {
		s.jobs[j.Name] = j
		maxTimeout = max(maxTimeout, j.Timeout)
	}
	if maxTimeout == 0 {
		maxTimeout = DefaultTimeout
	}
	s.rescue = RescueAfter(maxTimeout)
	workers := opts.Workers
	if workers <= 0 {
		workers = len(s.cfg.Jobs) + 4
	}
	s.workers = workers
	poll := opts.PollInterval
	if poll <= 0 {
		poll = time.Second
	}
	w := river.NewWorkers()
	if err := river.AddWorkerSafely(w, &jobWorker{s: s}); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if err := river.AddWorkerSafely(w, &callWorker{s: s}); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	client, err := s.opts.Store.newClient(&river.Config{
		ID:                   s.node,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		Workers:              w,
		PeriodicJobs:         s.periodicJobs(),
		JobTimeout:           maxTimeout,
		RescueStuckJobsAfter: s.rescue,
		SoftStopTimeout:      s.opts.Grace,
		FetchPollInterval:    poll,
		FetchCooldown:        min(poll, 100*time.Millisecond),
		MaxAttempts:          DefaultMaxAttempts,
		Logger:               riverLogger(opts.Logger),
	})
	if err != nil {
		return nil, fmt.Errorf("serve: job engine: %w", err)
	}
	s.client = client
	return s, nil
}

// RescueAfter is the stuck-job rescue window for jobs whose longest
// timeout is timeout: just above it (a tenth more, at least 5 s), so
// that a run whose node died is re-run soon, and never while a live
// node can still be running it (the run is cancelled at its timeout).
func RescueAfter(timeout time.Duration) time.Duration {
	return timeout + max(5*time.Second, timeout/10)
}

// Node returns the node name of s.
func (s *Server) Node() string { return s.node }

// Stopping reports whether Stop has been called (what KillApp returns).
func (s *Server) Stopping() bool { return s.stopping.Load() }

// Start starts taking work and inserts the jobs that run once at start.
func (s *Server) Start(ctx context.Context) error {
	for _, w := range s.cfg.Warnings {
		s.logger.Warn("serve: " + w)
	}
	s.poolMu.Lock()
	s.poolsClosed = false // a Server stopped by Stop may start again
	s.poolMu.Unlock()
	s.stopping.Store(false)
	if err := s.client.Start(ctx); err != nil {
		return fmt.Errorf("serve: start: %w", err)
	}
	for _, j := range s.cfg.Jobs {
		if j.Every > 0 || j.Schedule != nil {
			continue
		}
		if _, err := s.client.Insert(ctx, jobArgs{Job: j.Name, LockKey: j.LockKey}, s.insertOpts(j)); err != nil {
			return fmt.Errorf("serve: start job %s: %w", j.Name, err)
		}
	}
	return nil
}

// Stop stops taking work, lets running jobs finish within the grace
// period, then cancels them (KillApp returns .T. from the start of Stop).
// ctx bounds the whole stop.
func (s *Server) Stop(ctx context.Context) error {
	s.stopping.Store(true)
	err := s.client.Stop(ctx)
	if cerr := s.closePools(); cerr != nil {
		s.logger.Warn("serve: close runtimes: " + cerr.Error())
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("serve: stop: %w", err)
	}
	return nil
}

// Run starts s, runs until ctx is done, then stops it.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), s.opts.Grace+10*time.Second)
	defer cancel()
	return s.Stop(stopCtx)
}

// insertOpts are the insert options of a run of j.
func (s *Server) insertOpts(j Job) *river.InsertOpts {
	return &river.InsertOpts{
		MaxAttempts: j.MaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: liveStates},
	}
}

// periodicJobs are River periodic jobs for the jobs with RefreshRate or
// Schedule.
func (s *Server) periodicJobs() []*river.PeriodicJob {
	var out []*river.PeriodicJob
	for _, j := range s.cfg.Jobs {
		var sched river.PeriodicSchedule
		switch {
		case j.Schedule != nil:
			sched = j.Schedule
		case j.Every > 0:
			sched = &keptInterval{s: s, job: j.Name, every: j.Every}
		default:
			continue
		}
		out = append(out, river.NewPeriodicJob(sched, func() (river.JobArgs, *river.InsertOpts) {
			if !s.gate.pass(j.LockKey, time.Now()) {
				return nil, nil // another job of the key is in this batch
			}
			return jobArgs{Job: j.Name, LockKey: j.LockKey}, s.insertOpts(j)
		}, &river.PeriodicJobOpts{ID: "advmail:" + j.Name}))
	}
	return out
}

// batchGate lets one periodic job per LockKey into an insert batch:
// River inserts the periodic jobs due at one moment together, and a
// batch may not hold a unique key twice. The job left out would have been
// skipped as a duplicate anyway.
type batchGate struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// batchWindow is how close two constructor calls must be to count as
// one batch.
const batchWindow = 250 * time.Millisecond

// pass reports whether a job of key may join the batch being built at now.
func (g *batchGate) pass(key string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		g.last = map[string]time.Time{}
	}
	if t, ok := g.last[key]; ok && now.Sub(t) < batchWindow && now.Sub(t) >= 0 {
		return false
	}
	g.last[key] = now
	return true
}

// keptInterval is a RefreshRate schedule that survives restarts: its
// first run comes one period after the last run recorded in the store
// (at once when that is past or there is none).
type keptInterval struct {
	s     *Server
	job   string
	every time.Duration
	mu    sync.Mutex
	begun bool
}

// Next implements river.PeriodicSchedule.
func (k *keptInterval) Next(t time.Time) time.Time {
	k.mu.Lock()
	first := !k.begun
	k.begun = true
	k.mu.Unlock()
	if !first {
		return t.Add(k.every)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	last, err := k.s.lastRun(ctx, k.job)
	if err != nil || last.IsZero() {
		return t
	}
	if next := last.Add(k.every); next.After(t) {
		return next
	}
	return t
}

// lastRun returns when the last run of job was created in the store.
func (s *Server) lastRun(ctx context.Context, job string) (time.Time, error) {
	rows, err := listJobs(ctx, s.client, 500)
	if err != nil {
		return time.Time{}, err
	}
	for _, r := range rows {
		if a, ok := decodeJobArgs(r); ok && a.Job == job {
			return r.CreatedAt, nil
		}
	}
	return time.Time{}, nil
}

// jobWorker runs job-section jobs.
type jobWorker struct {
	river.WorkerDefaults[jobArgs]
	s *Server
}

// Timeout implements river.Worker: the job's Timeout.
func (w *jobWorker) Timeout(job *river.Job[jobArgs]) time.Duration {
	if j, ok := w.s.jobs[job.Args.Job]; ok {
		return j.Timeout
	}
	return 0
}

// Work implements river.Worker.
func (w *jobWorker) Work(ctx context.Context, job *river.Job[jobArgs]) error {
	j, ok := w.s.jobs[job.Args.Job]
	if !ok {
		return river.JobCancel(fmt.Errorf("job %s is not in the ini of node %s", job.Args.Job, w.s.node))
	}
	return w.s.execute(ctx, j, job.JobRow, nil)
}

// callWorker runs jobs queued by StartJob.
type callWorker struct {
	river.WorkerDefaults[callArgs]
	s *Server
}

// Timeout implements river.Worker: the parent job's Timeout.
func (w *callWorker) Timeout(job *river.Job[callArgs]) time.Duration {
	if j, ok := w.s.jobs[job.Args.Parent]; ok {
		return j.Timeout
	}
	return 0
}

// Work implements river.Worker.
func (w *callWorker) Work(ctx context.Context, job *river.Job[callArgs]) error {
	j, ok := w.s.jobs[job.Args.Parent]
	if !ok {
		return river.JobCancel(fmt.Errorf("StartJob %s: job %s is not in the ini of node %s", job.Args.Func, job.Args.Parent, w.s.node))
	}
	j.Main = job.Args.Func
	if job.Args.Env != "" {
		j.Environment = job.Args.Env
	}
	return w.s.execute(ctx, j, job.JobRow, &job.Args)
}

// execute runs one attempt of j, logging its start and end.
func (s *Server) execute(ctx context.Context, j Job, row *rivertype.JobRow, call *callArgs) error {
	name := j.Name
	if call != nil {
		name = j.Name + ">" + call.Func
	}
	start := time.Now()
	s.logger.Info("job start", "job", name, "node", s.node, "attempt", row.Attempt, "id", row.ID)
	err := s.runJob(ctx, j, row, call)
	result := "ok"
	if err != nil {
		result = err.Error()
	}
	s.logger.Info("job end", "job", name, "node", s.node, "attempt", row.Attempt, "id", row.ID,
		"duration", time.Since(start).Round(time.Millisecond), "result", result)
	return err
}

// riverLogger is the engine's own logger: warnings and errors of l, or
// of $ADVMAIL_SERVE_DEBUG's stderr handler when set.
func riverLogger(l *slog.Logger) *slog.Logger {
	if os.Getenv("ADVMAIL_SERVE_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

// levelFilter passes records of at least min to h.
type levelFilter struct {
	slog.Handler
	min slog.Level
}

// Enabled implements slog.Handler.
func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}
