// Package serve runs the unattended jobs of an appserver.ini — [OnStart]
// Jobs= and the job sections, as the TOTVS AppServer starts them — on a
// River job queue kept in an embedded SQLite store (one machine, one or
// several processes). See docs/serve.md.
//
// serve sits above package runtime: jobs run on a runtime.Pool per
// environment, each run with globals and AdvPL state of its own
// (runtime.Pool.RunFunc) and KillApp, StartJob, LockByName and
// UnLockByName bound to the server (KillApp() is .T. while the server stops, StartJob
// without lWait queues a job any node can run, named locks live in the
// store).
package serve

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/advmail/advmail/mail"
)

// Defaults of the advmail-only job keys.
const (
	DefaultTimeout     = 30 * time.Minute
	DefaultMaxAttempts = 3
	maxParams          = 64
	maxJobs            = 1000
)

// Config is what advmail serve reads from an appserver.ini.
type Config struct {
	// Path is the ini file, Data its content.
	Path string
	Data []byte
	// Jobs are the jobs of [OnStart] Jobs=, in order.
	Jobs []Job
	// Store is [advmail] JobStore ("" means the default SQLite file).
	Store string
	// HealthMaxAge is [advmail] HealthMaxAge: /healthz fails when a job's
	// last success is older. 0 derives it per job (see Job.MaxAge).
	HealthMaxAge time.Duration
	// Warnings are problems that do not stop the server (Instances=,
	// missing ParmN).
	Warnings []string
}

// Job is one job section.
type Job struct {
	// Name is the section name, as Jobs= spells it, upper-cased.
	Name string
	// Main is the function (U_ optional) or the script path to run.
	Main string
	// Environment is the environment section the job runs in ("": the
	// ini's default).
	Environment string
	// Params are Parm1..ParmN, passed as character arguments.
	Params []string
	// Every is the RefreshRate of [OnStart]: a job not running is started
	// again after it. 0 with no Schedule means the job runs once at start.
	Every time.Duration
	// Schedule is the advmail-only Schedule= cron expression (it replaces
	// RefreshRate), nil when absent.
	Schedule *Cron
	// ScheduleText is Schedule= as written.
	ScheduleText string
	// Timeout is the deadline of one run.
	Timeout time.Duration
	// MaxAttempts is how many times a failed run is tried.
	MaxAttempts int
	// LockKey is the uniqueness key: one live run per LockKey. Without
	// LockKey= it is the mailbox the job reads when its source tells
	// ("pop3://host/account", see defaultLockKey), else Name.
	LockKey string
}

// IsScript reports whether Main names a script file rather than a function.
func (j Job) IsScript() bool { return isScriptPath(j.Main) }

// MaxAge is the age of the last success past which /healthz fails for j:
// limit when set, else three periods plus the timeout for a periodic job,
// else 0 (never stale).
func (j Job) MaxAge(limit time.Duration) time.Duration {
	if limit > 0 {
		return limit
	}
	if j.Every > 0 {
		return 3*j.Every + j.Timeout
	}
	return 0
}

var funcName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// isScriptPath reports whether main is a path: it has a folder separator
// or a script extension.
func isScriptPath(main string) bool {
	if strings.ContainsAny(main, `/\`) {
		return true
	}
	switch strings.ToLower(filepath.Ext(main)) {
	case ".lua", ".prw", ".prx", ".tlpp", ".prg":
		return true
	}
	return false
}

// LoadConfig reads the ini at path (mail.FindConfigPath rules for "").
func LoadConfig(path string) (*Config, error) {
	p, _ := mail.FindConfigPath(path)
	if p == "" {
		return nil, errors.New("serve: no appserver.ini (use --config or $ADVMAIL_CONFIG)")
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return ParseConfig(p, data)
}

// ParseConfig reads the job table from ini data called name, as the
// AppServer does: section and key names in any letter case, Jobs=
// separated by commas or blanks, RefreshRate (seconds) for every job.
func ParseConfig(name string, data []byte) (*Config, error) {
	f, err := mail.LoadINI(name, data)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	c := &Config{Path: name, Data: data}
	adv := f.Section("advmail")
	c.Store = strings.TrimSpace(adv.Key("JobStore"))
	if v := strings.TrimSpace(adv.Key("HealthMaxAge")); v != "" {
		d, err := parseSeconds(v)
		if err != nil {
			return nil, fmt.Errorf("serve: %s: [advmail] HealthMaxAge: %w", name, err)
		}
		c.HealthMaxAge = d
	}
	if !f.HasSection("onstart") {
		return nil, fmt.Errorf("serve: %s: no [OnStart] section", name)
	}
	on := f.Section("onstart")
	var every time.Duration
	if v := strings.TrimSpace(on.Key("RefreshRate")); v != "" {
		if every, err = parseSeconds(v); err != nil {
			return nil, fmt.Errorf("serve: %s: [OnStart] RefreshRate: %w", name, err)
		}
	}
	names := splitJobs(on.Key("Jobs"))
	if len(names) == 0 {
		return nil, fmt.Errorf("serve: %s: [OnStart] Jobs= names no job", name)
	}
	if len(names) > maxJobs {
		return nil, fmt.Errorf("serve: %s: [OnStart] Jobs= names %d jobs, at most %d", name, len(names), maxJobs)
	}
	seen := map[string]bool{}
	var cache sourceCache
	for _, n := range names {
		up := strings.ToUpper(n)
		if seen[up] {
			return nil, fmt.Errorf("serve: %s: [OnStart] Jobs= names %s twice", name, n)
		}
		seen[up] = true
		j, err := parseJob(f, n, every, &c.Warnings)
		if err != nil {
			return nil, fmt.Errorf("serve: %s: %w", name, err)
		}
		if j.LockKey == "" {
			j.LockKey = defaultLockKey(name, f, j, &cache)
		}
		c.Jobs = append(c.Jobs, j)
	}
	return c, nil
}

// splitJobs splits Jobs= on commas and blanks.
func splitJobs(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == ';'
	})
}

// parseJob reads the section of job n.
func parseJob(f *mail.INI, n string, every time.Duration, warn *[]string) (Job, error) {
	if !funcName.MatchString(n) {
		return Job{}, fmt.Errorf("[OnStart] Jobs=: %q is not a valid job name", n)
	}
	if !f.HasSection(n) {
		return Job{}, fmt.Errorf("[OnStart] Jobs= names %s, but there is no [%s] section", n, n)
	}
	s := f.Section(n)
	get := func(k string) string { return strings.TrimSpace(s.Key(k)) }
	j := Job{
		Name:        strings.ToUpper(n),
		Main:        strings.TrimSuffix(get("Main"), "()"),
		Environment: get("Environment"),
		Every:       every,
		Timeout:     DefaultTimeout,
		MaxAttempts: DefaultMaxAttempts,
		LockKey:     get("LockKey"),
	}
	if j.Main == "" {
		return Job{}, fmt.Errorf("[%s]: no Main=", n)
	}
	if !j.IsScript() && !funcName.MatchString(j.Main) {
		return Job{}, fmt.Errorf("[%s] Main=%s: not a function name nor a script path", n, j.Main)
	}
	if v := get("nParms"); v != "" {
		np, err := strconv.Atoi(v)
		if err != nil || np < 0 || np > maxParams {
			return Job{}, fmt.Errorf("[%s] nParms=%s: want a number from 0 to %d", n, v, maxParams)
		}
		for i := 1; i <= np; i++ {
			k := "Parm" + strconv.Itoa(i)
			if !s.HasKey(k) {
				*warn = append(*warn, fmt.Sprintf("[%s] nParms=%d but no %s=: passing \"\"", n, np, k))
			}
			j.Params = append(j.Params, s.Key(k))
		}
	}
	if v := get("Schedule"); v != "" {
		c, err := ParseCron(v)
		if err != nil {
			return Job{}, fmt.Errorf("[%s] Schedule=%s: %w", n, v, err)
		}
		j.Schedule, j.ScheduleText, j.Every = c, v, 0
	}
	if v := get("Timeout"); v != "" {
		d, err := parseSeconds(v)
		if err != nil || d <= 0 {
			return Job{}, fmt.Errorf("[%s] Timeout=%s: want a positive number of seconds or a duration", n, v)
		}
		j.Timeout = d
	}
	if v := get("MaxAttempts"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 100 {
			return Job{}, fmt.Errorf("[%s] MaxAttempts=%s: want a number from 1 to 100", n, v)
		}
		j.MaxAttempts = m
	}
	if s.HasKey("Instances") {
		*warn = append(*warn, fmt.Sprintf("[%s] Instances= is for HTTP jobs in TOTVS: ignored", n))
	}
	return j, nil
}

// parseSeconds reads a number of seconds ("300") or a Go duration ("5m").
func parseSeconds(v string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n < 0 || n > 366*24*3600 {
			return 0, fmt.Errorf("%s: out of range", v)
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s: want seconds or a duration such as 5m", v)
	}
	return d, nil
}

// ScheduleString returns a readable form of j's schedule.
func (j Job) ScheduleString() string {
	switch {
	case j.Schedule != nil:
		return "cron " + j.ScheduleText
	case j.Every > 0:
		return "every " + j.Every.String()
	}
	return "once at start"
}
