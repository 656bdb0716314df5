package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/advmail/advmail/serve"
)

// The serve and jobs commands are added here, before help (this file's
// init runs after main.go's, which builds the command list).
func init() {
	extra := []command{
		{name: "serve", args: "[--config FILE] [--http ADDR] [--grace DURATION] [--node NAME]",
			summary: "run the [OnStart] jobs of an appserver.ini unattended (see docs/serve.md)", about: serveAbout, run: cmdServe},
		{name: "jobs", args: "[--config FILE]",
			summary: "show the state of the served jobs from the job store", about: jobsAbout, run: cmdJobs},
	}
	at := len(commands)
	for i, c := range commands {
		if c.name == "help" {
			at = i
			break
		}
	}
	commands = append(commands[:at], append(extra, commands[at:]...)...)
}

var serveAbout = []string{
	"Runs every job of [OnStart] Jobs= as the TOTVS AppServer does: Main= (a function among the sources under",
	"the environment's SourcePath, U_ optional, or a script path), Environment=, nParms=/ParmN=, RefreshRate=.",
	"advmail-only job keys: Schedule= (cron), Timeout=, MaxAttempts=, LockKey= (default: the mailbox the job",
	"reads, pop3://host/account, when its source tells; else the section name). One run per LockKey at a time.",
	"Jobs live in a River queue in [advmail] JobStore=:",
	"  sqlite:PATH          (default: advmail/jobs.db in the user's state folder; not on a network share)",
	"                       several advmail serve processes on one machine share it",
	"  postgres://…         scale out: the same command on every machine, one shared queue; River elects",
	"                       the leader that inserts the periodic jobs, any node runs them",
	"Delivery is at least once: a run whose node died is run again, so routines must be safe to repeat.",
	"SIGTERM or Ctrl-C stops taking work, lets running jobs finish within --grace, then cancels them;",
	"KillApp() returns .T. meanwhile. --http serves River's web UI under /jobs and /healthz (503 when a",
	"job's last success is older than [advmail] HealthMaxAge, by default 3 RefreshRate periods plus its",
	"Timeout). See docs/serve.md.",
}

var jobsAbout = []string{
	"Prints a table per job of the ini: schedule, state, node, attempt, last start and end, next run,",
	"age of the last success and last error, read from the job store (any machine sharing it).",
}

func cmdServe(ctx context.Context, e *env, args []string) int {
	fs := flagSet("serve")
	config := fs.String("config", "", "the appserver.ini `FILE` (default: $ADVMAIL_CONFIG, then ./appserver.ini)")
	addr := fs.String("http", "", "serve River's web UI under /jobs and /healthz on `ADDR` (host:port, e.g. 127.0.0.1:8080)")
	grace := fs.Duration("grace", serve.DefaultGrace, "how long running jobs may take to finish at shutdown (`DURATION`)")
	node := fs.String("node", "", "the `NAME` of this process in the job store (default: host:pid)")
	if code, done := parseFlags(e, fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(e, fs, "takes no arguments")
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	cfg, err := serve.LoadConfig(*config)
	if err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	store, err := serve.OpenStore(ctx, cfg.Store)
	if err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	defer store.Close()
	srv, err := serve.New(serve.Options{Config: cfg, Store: store, Node: *node,
		Stdout: e.stdout, Stderr: e.stderr, Logger: logger, Grace: *grace})
	if err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	if *addr != "" {
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			fmt.Fprintf(e.stderr, "advmail: --http: %v\n", err)
			return exitScript
		}
		h, err := srv.Handler(ctx)
		if err != nil {
			ln.Close()
			fmt.Fprintf(e.stderr, "advmail: --http: %v\n", err)
			return exitScript
		}
		hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln)
		defer hs.Close()
		logger.Info("serve: http", "addr", ln.Addr().String())
	}
	logger.Info("serve: started", "node", srv.Node(), "store", store.Path, "jobs", len(cfg.Jobs))
	if err := srv.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	logger.Info("serve: stopped", "node", srv.Node())
	return exitOK
}

func cmdJobs(ctx context.Context, e *env, args []string) int {
	fs := flagSet("jobs")
	config := fs.String("config", "", "the appserver.ini `FILE` (default: $ADVMAIL_CONFIG, then ./appserver.ini)")
	if code, done := parseFlags(e, fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(e, fs, "takes no arguments")
	}
	cfg, err := serve.LoadConfig(*config)
	if err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	store, err := serve.OpenStore(ctx, cfg.Store)
	if err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	defer store.Close()
	sts, err := serve.Status(ctx, cfg, store)
	if err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	if err := serve.WriteStatus(e.stdout, sts, time.Now()); err != nil {
		fmt.Fprintf(e.stderr, "advmail: %v\n", err)
		return exitScript
	}
	return exitOK
}
