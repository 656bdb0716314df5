package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"riverqueue.com/riverui"
)

// healthJob is one job in the /healthz answer.
type healthJob struct {
	Job         string `json:"job"`
	State       string `json:"state"`
	LastSuccess string `json:"last_success,omitempty"`
	MaxAge      string `json:"max_age,omitempty"`
	Stale       bool   `json:"stale"`
}

// Handler serves River's web UI under /jobs/ and /healthz: 200 when every
// job's last success is recent enough (Job.MaxAge), else 503; the body
// lists the jobs as JSON. The UI's background work runs until ctx is done.
func (s *Server) Handler(ctx context.Context) (http.Handler, error) {
	mux := http.NewServeMux()
	endpoints, err := uiEndpoints(s.client)
	if err != nil {
		return nil, err
	}
	ui, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: endpoints,
		Logger:    riverLogger(s.logger),
		Prefix:    "/jobs",
	})
	if err != nil {
		return nil, fmt.Errorf("serve: job UI: %w", err)
	}
	if err := ui.Start(ctx); err != nil {
		return nil, fmt.Errorf("serve: job UI: %w", err)
	}
	mux.Handle("/jobs/", ui)
	mux.Handle("/jobs", http.RedirectHandler("/jobs/", http.StatusMovedPermanently))
	started := time.Now()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		rows, err := listJobs(ctx, s.client, historyLimit)
		if err != nil {
			http.Error(w, "job store: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		now := time.Now()
		body := struct {
			OK   bool        `json:"ok"`
			Node string      `json:"node"`
			Jobs []healthJob `json:"jobs"`
		}{OK: !s.Stopping(), Node: s.node}
		for _, st := range statusFrom(s.cfg, rows) {
			h := healthJob{Job: st.Job, State: st.State, Stale: st.Stale(now, started)}
			if !st.LastSuccess.IsZero() {
				h.LastSuccess = st.LastSuccess.UTC().Format(time.RFC3339)
			}
			if st.MaxAge > 0 {
				h.MaxAge = st.MaxAge.String()
			}
			if h.Stale {
				body.OK = false
			}
			body.Jobs = append(body.Jobs, h)
		}
		w.Header().Set("Content-Type", "application/json")
		if !body.OK {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(body)
	})
	return mux, nil
}
