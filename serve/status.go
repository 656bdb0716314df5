package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// historyLimit bounds the runs read from the store for a status view.
const historyLimit = 2000

// JobStatus is the state of one job as the store records it.
type JobStatus struct {
	Job      string
	Schedule string
	// State is the state of the latest run ("never run" when none).
	State   string
	Node    string
	Attempt int
	// Start and End are those of the latest run that started.
	Start, End time.Time
	LastError  string
	// Next is when the next run is due (zero when unknown).
	Next time.Time
	// LastSuccess is when the latest successful run ended.
	LastSuccess time.Time
	// MaxAge is the health limit of the job (0: none).
	MaxAge time.Duration
}

// Stale reports whether the job's last success is older than its limit
// at now (a job that never succeeded is stale once the limit has passed
// since since).
func (st JobStatus) Stale(now, since time.Time) bool {
	if st.MaxAge <= 0 {
		return false
	}
	ref := st.LastSuccess
	if ref.IsZero() {
		ref = since
	}
	return now.Sub(ref) > st.MaxAge
}

// listJobs returns the latest job-section and StartJob runs, newest first.
func listJobs(ctx context.Context, c engine, limit int) ([]*rivertype.JobRow, error) {
	res, err := c.JobList(ctx, river.NewJobListParams().Kinds(kindJob).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit))
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return res.Jobs, nil
}

// decodeJobArgs decodes the args of a job-section run.
func decodeJobArgs(r *rivertype.JobRow) (jobArgs, bool) {
	var a jobArgs
	if r.Kind != kindJob || json.Unmarshal(r.EncodedArgs, &a) != nil {
		return a, false
	}
	return a, true
}

// Status reads the status of every job of cfg from store.
func Status(ctx context.Context, cfg *Config, store *Store) ([]JobStatus, error) {
	c, err := store.newClient(&river.Config{})
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	rows, err := listJobs(ctx, c, historyLimit)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	return statusFrom(cfg, rows), nil
}

// statusFrom builds the status of cfg's jobs from runs, newest first.
func statusFrom(cfg *Config, rows []*rivertype.JobRow) []JobStatus {
	byJob := map[string][]*rivertype.JobRow{}
	for _, r := range rows {
		if a, ok := decodeJobArgs(r); ok {
			byJob[a.Job] = append(byJob[a.Job], r)
		}
	}
	out := make([]JobStatus, 0, len(cfg.Jobs))
	for _, j := range cfg.Jobs {
		st := JobStatus{Job: j.Name, Schedule: j.ScheduleString(), State: "never run", MaxAge: j.MaxAge(cfg.HealthMaxAge)}
		runs := byJob[j.Name]
		started := false
		for _, r := range runs {
			switch r.State {
			case rivertype.JobStateScheduled, rivertype.JobStateAvailable, rivertype.JobStateRetryable, rivertype.JobStatePending:
				if st.Next.IsZero() || r.ScheduledAt.Before(st.Next) {
					st.Next = r.ScheduledAt
				}
			}
			if r.State == rivertype.JobStateCompleted && st.LastSuccess.IsZero() && r.FinalizedAt != nil {
				st.LastSuccess = *r.FinalizedAt
			}
			if !started && r.AttemptedAt != nil {
				started = true
				st.State, st.Attempt = string(r.State), r.Attempt
				st.Start = *r.AttemptedAt
				if len(r.AttemptedBy) > 0 {
					st.Node = r.AttemptedBy[len(r.AttemptedBy)-1]
				}
				if r.FinalizedAt != nil {
					st.End = *r.FinalizedAt
				}
			}
			if st.LastError == "" && len(r.Errors) > 0 {
				st.LastError = r.Errors[len(r.Errors)-1].Error
			}
		}
		if !started && len(runs) > 0 {
			st.State = string(runs[0].State)
		}
		if st.Next.IsZero() {
			switch {
			case j.Schedule != nil:
				st.Next = j.Schedule.Next(time.Now())
			case j.Every > 0 && !st.Start.IsZero() && !st.End.IsZero():
				st.Next = st.Start.Add(j.Every)
			}
		}
		out = append(out, st)
	}
	return out
}

// WriteStatus writes sts as a table.
func WriteStatus(w io.Writer, sts []JobStatus, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSCHEDULE\tSTATE\tNODE\tATTEMPT\tLAST START\tLAST END\tNEXT RUN\tLAST SUCCESS\tLAST ERROR")
	for _, st := range sts {
		attempt := "-"
		if st.Attempt > 0 {
			attempt = fmt.Sprint(st.Attempt)
		}
		age := "-"
		if !st.LastSuccess.IsZero() {
			age = now.Sub(st.LastSuccess).Round(time.Second).String() + " ago"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Job, st.Schedule, st.State, orDash(st.Node),
			attempt, stamp(st.Start), stamp(st.End), stamp(st.Next), age, orDash(oneLine(st.LastError, 60)))
	}
	return tw.Flush()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine shortens s to its first line and at most n runes.
func oneLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
