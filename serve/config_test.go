package serve

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name     string
		ini      string
		want     []Job
		warnings int
	}{
		{
			name: "totvs keys in any case",
			ini: `[onstart]
jobs=JOB1, job2
REFRESHRATE=120
[Job1]
MAIN=U_XMLIMP
environment=P12
NPARMS=2
parm1=01
PARM2=0101
[JOB2]
Main=jobs/report.lua
`,
			want: []Job{
				{Name: "JOB1", Main: "U_XMLIMP", Environment: "P12", Params: []string{"01", "0101"}, Every: 120 * time.Second,
					Timeout: DefaultTimeout, MaxAttempts: DefaultMaxAttempts, LockKey: "JOB1"},
				{Name: "JOB2", Main: "jobs/report.lua", Every: 120 * time.Second,
					Timeout: DefaultTimeout, MaxAttempts: DefaultMaxAttempts, LockKey: "JOB2"},
			},
		},
		{
			name: "no RefreshRate: once at start; blanks separate Jobs",
			ini:  "[OnStart]\nJobs=A B\n[A]\nMain=XMLIMP()\n[B]\nMain=rotinas/x.prw\n",
			want: []Job{
				{Name: "A", Main: "XMLIMP", Timeout: DefaultTimeout, MaxAttempts: DefaultMaxAttempts, LockKey: "A"},
				{Name: "B", Main: "rotinas/x.prw", Timeout: DefaultTimeout, MaxAttempts: DefaultMaxAttempts, LockKey: "B"},
			},
		},
		{
			name: "advmail keys",
			ini: `[OnStart]
Jobs=IMP
RefreshRate=60
[IMP]
Main=U_IMP
Schedule=*/5 * * * *
Timeout=90
MaxAttempts=5
LockKey=pop3:mail.example.com:nfe
`,
			want: []Job{{Name: "IMP", Main: "U_IMP", ScheduleText: "*/5 * * * *", Timeout: 90 * time.Second,
				MaxAttempts: 5, LockKey: "pop3:mail.example.com:nfe"}},
		},
		{
			name: "Instances ignored, missing ParmN warned",
			ini:  "[OnStart]\nJobs=H\n[H]\nMain=U_H\nInstances=1,5\nnParms=2\nParm1=x\n",
			want: []Job{{Name: "H", Main: "U_H", Params: []string{"x", ""}, Timeout: DefaultTimeout,
				MaxAttempts: DefaultMaxAttempts, LockKey: "H"}},
			warnings: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig("appserver.ini", []byte(tt.ini))
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.Jobs {
				if (c.Jobs[i].Schedule != nil) != (tt.want[i].ScheduleText != "") {
					t.Errorf("job %d: schedule %v, want %q", i, c.Jobs[i].Schedule, tt.want[i].ScheduleText)
				}
				c.Jobs[i].Schedule = nil
			}
			if !reflect.DeepEqual(c.Jobs, tt.want) {
				t.Errorf("jobs\n got %+v\nwant %+v", c.Jobs, tt.want)
			}
			if len(c.Warnings) != tt.warnings {
				t.Errorf("warnings %q, want %d", c.Warnings, tt.warnings)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, ini, want string
	}{
		{"no OnStart", "[A]\nMain=X\n", "no [OnStart]"},
		{"no jobs", "[OnStart]\nJobs=\n", "names no job"},
		{"missing section", "[OnStart]\nJobs=A\n", "no [A] section"},
		{"bad job name", "[OnStart]\nJobs=A-B\n[A-B]\nMain=X\n", "not a valid job name"},
		{"bad main", "[OnStart]\nJobs=A\n[A]\nMain=U_X Y\n", "not a function name"},
		{"no main", "[OnStart]\nJobs=A\n[A]\nEnvironment=P12\n", "no Main="},
		{"twice", "[OnStart]\nJobs=A,a\n[A]\nMain=X\n", "twice"},
		{"bad nParms", "[OnStart]\nJobs=A\n[A]\nMain=X\nnParms=two\n", "nParms=two"},
		{"bad RefreshRate", "[OnStart]\nJobs=A\nRefreshRate=soon\n[A]\nMain=X\n", "RefreshRate"},
		{"bad Schedule", "[OnStart]\nJobs=A\n[A]\nMain=X\nSchedule=61 * * * *\n", "Schedule="},
		{"bad Timeout", "[OnStart]\nJobs=A\n[A]\nMain=X\nTimeout=0\n", "Timeout="},
		{"bad MaxAttempts", "[OnStart]\nJobs=A\n[A]\nMain=X\nMaxAttempts=0\n", "MaxAttempts="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("appserver.ini", []byte(tt.ini))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCronNext(t *testing.T) {
	base := time.Date(2026, 12, 7, 10, 2, 30, 0, time.Local) // a Monday
	tests := []struct {
		expr string
		want time.Time
	}{
		{"*/5 * * * *", time.Date(2026, 12, 7, 10, 5, 0, 0, time.Local)},
		{"0 22 * * 1-5", time.Date(2026, 12, 7, 22, 0, 0, 0, time.Local)},
		{"30 6 1 * *", time.Date(2027, 1, 1, 6, 30, 0, 0, time.Local)},
		{"0 0 * * 0", time.Date(2026, 12, 13, 0, 0, 0, 0, time.Local)},
		{"0 0 * * 7", time.Date(2026, 12, 13, 0, 0, 0, 0, time.Local)},
		{"@hourly", time.Date(2026, 12, 7, 11, 0, 0, 0, time.Local)},
		{"@every 90s", base.Add(90 * time.Second)},
		{"0 12 29 2 *", time.Date(2028, 2, 29, 12, 0, 0, 0, time.Local)},
	}
	for _, tt := range tests {
		c, err := ParseCron(tt.expr)
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		if got := c.Next(base); !got.Equal(tt.want) {
			t.Errorf("%s: Next = %v, want %v", tt.expr, got, tt.want)
		}
	}
	for _, bad := range []string{"* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "5-1 * * * *", "@every 1ms", "x * * * *"} {
		if _, err := ParseCron(bad); err == nil {
			t.Errorf("ParseCron(%q) succeeded", bad)
		}
	}
}

func TestWithEnvironment(t *testing.T) {
	tests := []struct{ in, want string }{
		{"[Mail]\nX=1\n", "[Mail]\nX=1\n\n[advmail]\nEnvironment=P12"},
		{"[advmail]\nenvironment=OLD\n[P12]\n", "[advmail]\nEnvironment=P12\n[P12]\n"},
		{"[ADVMAIL]\nLenient=1\n[P12]\n", "[ADVMAIL]\nLenient=1\nEnvironment=P12\n[P12]\n"},
		{"[advmail]\r\nLenient=1", "[advmail]\r\nLenient=1\r\nEnvironment=P12"},
	}
	for _, tt := range tests {
		if got := string(withEnvironment([]byte(tt.in), "P12")); got != tt.want {
			t.Errorf("withEnvironment(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStorePath(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/var/state")
	tests := []struct{ in, want, err string }{
		{in: "", want: "/var/state/advmail/jobs.db"},
		{in: "sqlite:/tmp/x.db", want: "/tmp/x.db"},
		{in: "SQLite:///tmp/y.db", want: "/tmp/y.db"},
		{in: "postgres://u@h/db", err: "PostgreSQL store, not a file"},
		{in: "mysql://x", err: "want sqlite:PATH"},
		{in: "sqlite:", err: "names no file"},
	}
	for _, tt := range tests {
		got, err := StorePath(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("StorePath(%q) error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("StorePath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if err := checkLocalPath(`\\server\share\jobs.db`); err == nil {
		t.Error("a UNC path was accepted")
	}
	if err := checkLocalPath(t.TempDir() + "/jobs.db"); err != nil {
		t.Errorf("a local path was refused: %v", err)
	}
}

// TestDefaultLockKey: without LockKey= a job's key is the mailbox its
// source reads when that can be known, else the section name; two jobs
// reading one mailbox get one key.
func TestDefaultLockKey(t *testing.T) {
	files := map[string]string{
		"apo/xmlimp.prw": `#include "totvs.ch"
User Function XmlImp(cEmp)
	Local oServer := TMailManager():New()
	// the mailbox of the supplier invoices
	oServer:Init("POP.Example.com:995", "", "NFE@example.com", "secret", 995, 0)
	oServer:PopConnect()
Return .T.

User Function Other()
	MailPopOn("other.example.com", "someone", "x")
Return .T.
`,
		"apo/imapmove.prw": `User Function ImapMove()
	Local cHost := GetMV("MV_IMAPSRV")
	Local cUser := SuperGetMV("MV_IMAPUSR", .F., "unused")
	oServer := TMailManager():New()
	oServer:Init(cHost, "", cUser, "pw", 993, 0)
	oServer:IMAPConnect()
Return .T.
`,
		"apo/legacy.prw": `#include "ap5mail.ch"
User Function Legacy()
	Local cAcc := GetNewPar("MV_NOSUCH", "caixa@example.com")
	CONNECT POP SERVER "pop.example.com" ACCOUNT cAcc PASSWORD "x" RESULT lOk
Return .T.
`,
		"apo/dynamic.prw": `User Function Dynamic(cHost)
	oServer := TMailManager():New()
	oServer:Init(cHost, "", "user", "pw", 110, 0)
	oServer:PopConnect()
Return .T.
`,
		"apo/two.prw": `User Function TwoBoxes()
	MailPopOn("a.example.com", "x", "p")
	MailPopOn("b.example.com", "x", "p")
Return .T.
`,
		"apo/sender.prw": `User Function Sender()
	oServer := TMailManager():New()
	oServer:Init("", "smtp.example.com", "user", "pw", 0, 587)
	oServer:SmtpConnect()
Return .T.
`,
		"apo/both.prw": `User Function Both()
	oServer:Init("mail.example.com", "", "user", "pw", 0, 0)
	oServer:PopConnect()
	oServer:IMAPConnect()
Return .T.
`,
		"apo/broken.prw": "User Function Broken()\n\toServer:Init(\"a.example.com\", \"\", \"u\"\n\toServer:PopConnect(\n\tMailPopOn()\n\tCONNECT POP SERVER ACCOUNT PASSWORD\n",
		"apo/quotes.prw": "User Function Quotes()\n\tMailPopOn('pop.example.com\", \"x')\n",
		"jobs/imp.lua": `-- the same mailbox as U_XMLIMP, from Lua
local oServer = TMailManager():New()
oServer:Init("pop.example.com", "", "nfe@example.com", "secret", 995, 0)
if oServer:PopConnect() ~= 0 then return end
`,
	}
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		main, extra, want string
	}{
		{"U_XMLIMP", "", "pop3://pop.example.com/nfe@example.com"},
		{"jobs/imp.lua", "", "pop3://pop.example.com/nfe@example.com"},
		{"other", "", "pop3://other.example.com/someone"},
		{"U_IMAPMOVE", "", "imap://imap.example.com/xml@example.com"},
		{"U_LEGACY", "", "pop3://pop.example.com/caixa@example.com"},
		{"U_DYNAMIC", "", "J"},
		{"U_TWOBOXES", "", "J"},
		{"U_SENDER", "", "J"},
		{"U_BOTH", "", "J"},
		{"U_NOSUCH", "", "J"},
		{"U_BROKEN", "", "J"},
		{"U_QUOTES", "", "J"},
		{"jobs/missing.lua", "", "J"},
		{"U_XMLIMP", "LockKey=shared\n", "shared"},
	}
	for _, tt := range tests {
		t.Run(tt.main+tt.extra, func(t *testing.T) {
			ini := "[OnStart]\nJobs=J\n[J]\nMain=" + tt.main + "\nEnvironment=P12\n" + tt.extra +
				"[P12]\nSourcePath=apo\n[Parameters]\nMV_IMAPSRV=IMAP.example.com\nMV_IMAPUSR=xml@example.com\n"
			c, err := ParseConfig(filepath.Join(dir, "appserver.ini"), []byte(ini))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Jobs[0].LockKey; got != tt.want {
				t.Errorf("LockKey %q, want %q", got, tt.want)
			}
		})
	}
}
