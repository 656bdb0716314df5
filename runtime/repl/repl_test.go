package repl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peterh/liner"

	"github.com/advmail/advmail/bindings"
	advrt "github.com/advmail/advmail/runtime"
)

// newREPL returns a REPL over a sandbox runtime whose conout/print output
// goes to the returned buffer, which the REPL's own output shares.
func newREPL(t *testing.T) (*REPL, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	rt, err := advrt.New(advrt.Options{
		Sandbox: true,
		INI:     []byte("[Mail]\nProtocol=IMAP\n"),
		Stdout:  &out,
		Stderr:  io.Discard,
		Libs:    advrt.Libs{Unrestricted: true}, // as advmail repl
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	r := New(rt)
	r.HistoryFile = ""
	return r, &out
}

// session pipes input through Run and returns what it printed. Inputs
// may fail (Run then returns a *FailedError); any other error is fatal.
func session(t *testing.T, r *REPL, out *bytes.Buffer, input string) string {
	t.Helper()
	out.Reset()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var failed *FailedError
	if err := r.Run(ctx, strings.NewReader(input), out); err != nil && !errors.As(err, &failed) {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	return out.String()
}

func TestPipedSession(t *testing.T) {
	r, out := newREPL(t)
	tests := []struct {
		name, input, want string
	}{
		{"expression", "1 + 2\n", "3\n"},
		{"string", `"a" .. "b"` + "\n", "\"ab\"\n"},
		{"several results", "1, 'x', true, nil\n", "1\t\"x\"\ttrue\tnil\n"},
		{"float", "10 / 4\n", "2.5\n"},
		{"statement then global", "x = 40\nx + 2\n", "42\n"},
		{"statement has no output", "y = 1\n", ""},
		{"prelude any case", "alltrim('  a  '), ALLTRIM(' b ')\n", "\"a\"\t\"b\"\n"},
		{"conout", "conout('hi', 1)\n", "hi 1\n"},
		{"equals shorthand", "=2*3\n", "6\n"},
		{"multi-line function", "function add(a, b)\n  local s = a + b\n  return s\nend\nadd(2, 3)\n", "5\n"},
		{"multi-line table", "t = {\n  1,\n  2,\n}\n#t\n", "2\n"},
		{"multi-line long string", "s = [[a\nb]]\n#s\n", "3\n"},
		{"blank lines ignored", "\n\n  \n7\n", "7\n"},
		{"crlf input", "8\r\n", "8\n"},
		{"date", "StoD('20240315')\n", "15/03/2024\n"},
		{"empty date", "StoD('')\n", "(empty date)\n"},
		{"runtime error then continue", "error('boom')\n1\n", "stdin:1: boom\n1\n"},
		{"syntax error with position", "x = = 1\n2\n", "stdin:1: syntax error near '='\n2\n"},
		{"error inside function has traceback", "function f()\n  error('deep')\nend\nf()\n",
			"stdin:2: deep\nstack traceback:\n"},
		{"call nil", "nosuch()\n", "stdin:1: attempt to call a non-function object"},
		{"unterminated string is an error", "s = 'abc\n3\n", "unterminated string\n3\n"},
		{"incomplete at end of input", "x = 1\nfunction g()\n  return 1\n", "stdin: incomplete statement at end of input, started at line 2\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := session(t, r, out, tc.input)
			if !strings.HasPrefix(got, tc.want) && !strings.Contains(got, tc.want) {
				t.Errorf("input %q\ngot:\n%s\nwant (prefix/substring):\n%s", tc.input, got, tc.want)
			}
			if tc.want == "" && got != "" {
				t.Errorf("input %q printed %q, want nothing", tc.input, got)
			}
		})
	}
}

func TestFeedContinuation(t *testing.T) {
	r, out := newREPL(t)
	ctx := context.Background()
	steps := []struct {
		line string
		more bool
	}{
		{"local t = {", true},
		{"  a = 1,", true},
		{"}", false},
		{"if true then", true},
		{"  z = 5", true},
		{"end", false},
		{"return z", false},
	}
	for _, s := range steps {
		more, err := r.Feed(ctx, s.line, out)
		if err != nil {
			t.Fatalf("Feed(%q): %v", s.line, err)
		}
		if more != s.more || r.Pending() != s.more {
			t.Errorf("Feed(%q) more = %v, Pending = %v, want %v", s.line, more, r.Pending(), s.more)
		}
	}
	if got := out.String(); got != "5\n" {
		t.Errorf("output %q, want %q", got, "5\n")
	}
}

func TestRunExitAndCancel(t *testing.T) {
	r, out := newREPL(t)
	err := r.Run(context.Background(), strings.NewReader("1\nos.exit(4)\n2\n"), out)
	var exit *advrt.ExitError
	if !errors.As(err, &exit) || exit.Code != 4 {
		t.Fatalf("Run = %v, want exit status 4", err)
	}
	if out.String() != "1\n" {
		t.Errorf("output %q: the input after os.exit must not run", out.String())
	}

	// Cancelling the context stops a statement that would run forever and
	// ends the session, even with the input still open.
	started := make(chan struct{})
	rt, err := advrt.New(advrt.Options{Stdout: signalWriter{started}, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	loop := New(rt)
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var buf bytes.Buffer
	go func() { done <- loop.Run(ctx, pr, &buf) }()
	if _, err := pw.Write([]byte("conout('started') while true do end\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("statement did not start")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if buf.String() != "interrupted\n" {
		t.Errorf("interrupted statement reported as %q, want \"interrupted\"", buf.String())
	}
}

// signalWriter closes its channel at the first write.
type signalWriter struct{ ch chan struct{} }

func (w signalWriter) Write(p []byte) (int, error) {
	select {
	case <-w.ch:
	default:
		close(w.ch)
	}
	return len(p), nil
}

func TestFormatNestedArrays(t *testing.T) {
	r, out := newREPL(t)
	got := session(t, r, out, `{ {"INBOX", "\\HasNoChildren \\Subscribed", 4, 1, 3}, {"Sent", "", 0, 0, 0}, n = 2 }`+"\n")
	want := `(A) [3]
  [1] (A) [5]
    [1][1] (C) "INBOX"
    [1][2] (C) "\\HasNoChildren \\Subscribed"
    [1][3] (N) 4
    [1][4] (N) 1
    [1][5] (N) 3
  [2] (A) [5]
    [2][1] (C) "Sent"
    [2][2] (C) ""
    [2][3] (N) 0
    [2][4] (N) 0
    [2][5] (N) 0
  ["n"] (N) 2
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	got = session(t, r, out, "a = {true, 1.5, StoD('20240102'), {}}\na[5] = a\na\n")
	for _, w := range []string{"(A) [5]", "[1] (L) true", "[2] (N) 1.5", "[3] (D) 02/01/2024", "[4] (A) [0]", "[5] (A) [recursive: the top]"} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	got = session(t, r, out, "'line1\\nline2'\n")
	if got != "[[\nline1\nline2]]\n" {
		t.Errorf("multi-line string printed as %q", got)
	}
}

func TestFormatQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"tab\there\r\n", `"tab\there\r\n"`},
		{"ação", `"ação"`},
		{"\x00\x7f", `"\0\127"`},
		{"bad\xe9utf8", `"bad\233utf8"`},
	}
	for _, tc := range tests {
		if got := quote(tc.in); got != tc.want {
			t.Errorf("quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := quoteTop("a]]b\nc"); got != "[=[\na]]b\nc]=]" {
		t.Errorf("quoteTop = %q", got)
	}
}

// TestFormatMailObjects runs real mail operations on the sandbox and
// checks how the objects print: no password, ever.
func TestFormatMailObjects(t *testing.T) {
	r, out := newREPL(t)
	const pass = "S3cr3t-pass"
	got := session(t, r, out, `oServer = TMailManager():New()
oServer:SetUseTLS(true)
oServer:Init("imap.empresa.com.br", "smtp.empresa.com.br", "fulano@empresa.com.br", "`+pass+`", 143, 587)
oServer:SMTPConnect()
oServer:SMTPAuth("fulano@empresa.com.br", "`+pass+`")
oServer
`)
	for _, w := range []string{"TMailManager", "smtp.empresa.com.br:587", "imap.empresa.com.br:143", "fulano@empresa.com.br", "tls", "smtp"} {
		if !strings.Contains(got, w) {
			t.Errorf("TMailManager output lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, pass) {
		t.Errorf("password printed:\n%s", got)
	}

	got = session(t, r, out, `oMsg = TMailMessage():New()
oMsg.cFrom = "fulano@empresa.com.br"
oMsg.cTo = "joao@cliente.com.br"
oMsg.cSubject = "Nota fiscal 123"
oMsg.cBody = "<p>segue</p>"
oMsg:Attach("%PDF-1.4 fake", "nota.pdf")
oMsg:Send(oServer)
oMsg
`)
	for _, w := range []string{"0\n", // the result of Attach (0-based index) and of Send
		"TMailMessage", `cFrom     "fulano@empresa.com.br"`, `cTo       "joao@cliente.com.br"`,
		`cSubject  "Nota fiscal 123"`, "attachments [1]", `[1] "nota.pdf"`, "bytes"} {
		if !strings.Contains(got, w) {
			t.Errorf("TMailMessage output lacks %q:\n%s", w, got)
		}
	}

	// Receive it over IMAP and print the folder list and the message.
	got = session(t, r, out, `oImap = TMailManager():New()
oImap:Init("imap.cliente.com.br", "", "joao", "`+pass+`")
oImap:IMAPConnect()
oImap:GetFolderList()
nErr, nNum = oImap:GetNumMsgs(0)
oIn = TMailMessage():New()
oIn:Receive(oImap, nNum)
oIn
oImap
`)
	for _, w := range []string{"(A) [", `(C) "INBOX"`, "[1][3] (N) ", `cSubject  "Nota fiscal 123"`, `"nota.pdf"`, "connected=imap"} {
		if !strings.Contains(got, w) {
			t.Errorf("receive session lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, pass) {
		t.Errorf("password printed:\n%s", got)
	}
	if got := session(t, r, out, "TMailManager\n"); got != "class TMailManager\n" {
		t.Errorf("class printed as %q", got)
	}
}

func TestComplete(t *testing.T) {
	r, out := newREPL(t)
	session(t, r, out, "oServer = TMailManager():New()\noMsg = TMailMessage():New()\nt = {alpha = 1, apply = print}\nsecret_table = {inner = {deep = oMsg}}\n")
	tests := []struct {
		line     string
		head     string
		must     []string // completions that must be present
		only     bool     // must is the complete list
		noneLike string   // no completion may equal this
	}{
		{line: "tmailm", head: "", must: []string{"TMailManager", "TMailMessage"}},
		{line: "x = allt", head: "x = ", must: []string{"AllTrim"}, only: true},
		{line: "oServer:smtpc", head: "oServer:", must: []string{"SMTPConnect"}, only: true},
		{line: "oServer:SMTP", head: "oServer:", must: []string{"SMTPAuth", "SMTPConnect", "SMTPDisconnect"}, only: true},
		{line: "oMsg.csub", head: "oMsg.", must: []string{"cSubject"}, only: true},
		{line: "oMsg:getatt", head: "oMsg:", must: []string{"GetAttach", "GetAttachCount", "GetAttachInfo"}, only: true},
		{line: "oMsg.send", head: "oMsg.", only: true},                                     // methods are not offered after '.'
		{line: "tmailmanager:n", head: "tmailmanager:", must: []string{"New"}, only: true}, // classes in any case
		{line: "TMailManager:n", head: "TMailManager:", must: []string{"New"}, only: true}, // the class
		{line: "t.a", head: "t.", must: []string{"alpha", "apply"}, only: true},
		{line: "t:a", head: "t:", must: []string{"apply"}, only: true},
		{line: "secret_table.inner.deep.cfr", head: "secret_table.inner.deep.", must: []string{"cFrom"}, only: true},
		{line: "string.up", head: "string.", must: []string{"upper"}, only: true},
		{line: "('x')..mails", head: "('x')..", must: []string{"MailSend", "MailSmtpOn"}},
		{line: "nosuch:x", head: "nosuch:x"},
		{line: "func", head: "", must: []string{"function"}},
		{line: "getpvp", head: "", must: []string{"GetPvProfString"}, only: true},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			head, got, tail := r.Complete(tc.line, len([]rune(tc.line)))
			if head != tc.head || tail != "" {
				t.Errorf("head %q tail %q, want %q and \"\"", head, tail, tc.head)
			}
			for _, w := range tc.must {
				if !contains(got, w) {
					t.Errorf("completions %q lack %q", got, w)
				}
			}
			if tc.only && len(got) != len(tc.must) {
				t.Errorf("completions %q, want exactly %q", got, tc.must)
			}
		})
	}

	// The cursor in the middle of the line: the tail is kept.
	head, got, tail := r.Complete("x = allt(c)", 8)
	if head != "x = " || tail != "(c)" || !contains(got, "AllTrim") {
		t.Errorf("mid-line completion: %q %q %q", head, got, tail)
	}
	// Every member of the two classes is offered, in the declared case.
	for obj, cls := range map[string]string{"oServer": "tmailmanager", "oMsg": "tmailmessage"} {
		_, methods, _ := r.Complete(obj+":", len(obj)+1)
		_, props, _ := r.Complete(obj+".", len(obj)+1)
		for _, m := range r.classes[cls].Members {
			list := props
			if m.Kind == bindings.KindMethod {
				list = methods
			}
			if !contains(list, m.Name) {
				t.Errorf("%s: member %s not offered", obj, m.Name)
			}
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestSecretLinesStayOutOfHistory(t *testing.T) {
	r, _ := newREPL(t)
	tests := []struct {
		line   string
		secret bool
	}{
		{`oServer:SMTPAuth("u", "p")`, true},
		{`oServer:init("", "smtp", "u", "p")`, true},
		{`MailSmtpOn("smtp", "u", "p")`, true},
		{`x = "oauth2:abc"`, true},
		{`o.cPass = "HistSecret1"`, true},
		{`cPassword = "HistSecret2"`, true},
		{`local cSenha = "x"`, true},
		{`SuperGetMV("MV_RELPSW")`, true},
		{`oServer:SMTPConnect()`, false},
		{`AllTrim(" a ")`, false},
		{`initial = 1`, false},
	}
	for _, tc := range tests {
		if got := r.secretLine(tc.line); got != tc.secret {
			t.Errorf("secretLine(%q) = %v, want %v", tc.line, got, tc.secret)
		}
	}
}

func TestDefaultHistoryFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir)
	t.Setenv("AppData", dir)
	got := DefaultHistoryFile()
	if !strings.HasPrefix(got, dir) || filepath.Base(got) != "repl_history" || filepath.Base(filepath.Dir(got)) != "advmail" {
		t.Errorf("DefaultHistoryFile() = %q", got)
	}
	if _, err := os.Stat(got); err == nil {
		t.Errorf("DefaultHistoryFile created %s", got)
	}
}

func TestHistoryFile(t *testing.T) {
	r, _ := newREPL(t)
	r.HistoryFile = filepath.Join(t.TempDir(), "cfg", "advmail", "repl_history")
	r.hist.add("1 + 1", false)
	r.hist.add("function f()\n  -- a comment\n  return [[a\nb]]\nend", false)
	r.hist.add(`oServer:SMTPAuth("u", "s3nha")`, true)
	r.hist.add("oServer:SMTPConnect()", false)
	r.saveHistory()
	raw, err := os.ReadFile(r.HistoryFile)
	if err != nil {
		t.Fatalf("history not saved: %v", err)
	}
	// The file mode is checked where Unix permissions exist:
	// TestHistoryFileMode in repl_unix_test.go.
	want := "1 + 1\nfunction f()\x1f  -- a comment\x1f  return [[a\x1fb]]\x1fend\noServer:SMTPConnect()\n"
	if string(raw) != want {
		t.Errorf("history file %q, want %q (no password line)", raw, want)
	}

	r2, _ := newREPL(t)
	r2.HistoryFile = r.HistoryFile
	r2.loadHistory()
	got := r2.hist.lines()
	wantLines := []string{"1 + 1", "function f() -- a comment return [[a b]] end", "oServer:SMTPConnect()"}
	if strings.Join(got, "|") != strings.Join(wantLines, "|") {
		t.Errorf("history read back as %q, want %q", got, wantLines)
	}
	if src := r2.hist.resolve(wantLines[1]); src != "function f()\n  -- a comment\n  return [[a\nb]]\nend" {
		t.Errorf("multi-line entry resolved to %q", src)
	}
	// A history file that cannot be written is ignored.
	r.HistoryFile = filepath.Join(r.HistoryFile, "not-a-dir", "h")
	r.saveHistory()
	r.loadHistory()
}

func TestHistoryRead(t *testing.T) {
	var h history
	long := strings.Repeat("x", maxHistoryLine+1)
	err := h.read(strings.NewReader("a\r\nbad\xff\n\nb\nb\n" + long + "\nafter\n"))
	if err == nil {
		t.Error("a line longer than maxHistoryLine: no error")
	}
	if got := strings.Join(h.lines(), "|"); got != "a|b" {
		t.Errorf("entries %q, want a|b (CR dropped, invalid UTF-8, blank and repeated lines skipped)", got)
	}
	for range historyLimit + 5 {
		h.add(fmt.Sprint(len(h.entries)), false)
	}
	if len(h.entries) != historyLimit {
		t.Errorf("%d entries kept, want %d", len(h.entries), historyLimit)
	}
}

// scriptedPrompter is a prompter that returns lines (or errors) in turn,
// then io.EOF, and records the prompts and the history it is given.
type scriptedPrompter struct {
	inputs  []any // string or error
	prompts []string
	history []string
}

func (p *scriptedPrompter) Prompt(prompt string) (string, error) {
	p.prompts = append(p.prompts, prompt)
	if len(p.inputs) == 0 {
		return "", io.EOF
	}
	in := p.inputs[0]
	p.inputs = p.inputs[1:]
	if err, ok := in.(error); ok {
		return "", err
	}
	return in.(string), nil
}

func (p *scriptedPrompter) AppendHistory(item string) { p.history = append(p.history, item) }

func TestInteractHistory(t *testing.T) {
	r, out := newREPL(t)
	r.HistoryFile = filepath.Join(t.TempDir(), "repl_history")
	p := &scriptedPrompter{inputs: []any{
		"function add(a, b)", "  return a + b", "end", // one entry
		"function lost()", liner.ErrPromptAborted, // cancelled: no entry
		"", // blank: no entry
		`oServer = TMailManager():New()`,
		`oServer:Init("", "smtp.empresa.com.br", "fulano", "s3nha", 0, 587)`, // in memory only
		"add(2, 3)",
		"function add(a, b) return a + b end", // the recalled one-line form: runs the original lines
		"add(20, 3)",
	}}
	out.Reset()
	if err := r.interact(context.Background(), p, out); err != nil {
		t.Fatal(err)
	}
	wantHist := []string{
		"function add(a, b) return a + b end",
		`oServer = TMailManager():New()`,
		`oServer:Init("", "smtp.empresa.com.br", "fulano", "s3nha", 0, 587)`,
		"add(2, 3)",
		"function add(a, b) return a + b end", // used again: the newest entry
		"add(20, 3)",
	}
	if strings.Join(p.history, "\n") != strings.Join(wantHist, "\n") {
		t.Errorf("session history:\n%s\nwant:\n%s", strings.Join(p.history, "\n"), strings.Join(wantHist, "\n"))
	}
	if got := r.hist.entries[0].src; got != "function add(a, b)\n  return a + b\nend" {
		t.Errorf("multi-line entry stored as %q", got)
	}
	wantPrompts := []string{Prompt, ContinuePrompt, ContinuePrompt, Prompt, ContinuePrompt, Prompt}
	if strings.Join(p.prompts[:6], "|") != strings.Join(wantPrompts, "|") {
		t.Errorf("prompts %q, want %q first", p.prompts, wantPrompts)
	}
	if !strings.Contains(out.String(), "5\n") || !strings.Contains(out.String(), "23\n") {
		t.Errorf("output %q lacks 5 and 23", out.String())
	}
	r.saveHistory()
	raw, err := os.ReadFile(r.HistoryFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := "function add(a, b)\x1f  return a + b\x1fend\noServer = TMailManager():New()\nadd(2, 3)\nfunction add(a, b)\x1f  return a + b\x1fend\nadd(20, 3)\n"; string(raw) != want {
		t.Errorf("history file %q, want %q", raw, want)
	}
}

func TestPipedLineNumbers(t *testing.T) {
	input := "x = 1\n" +
		"\n" +
		"error('three')\n" +
		"function f()\n" +
		"  error('five')\n" +
		"end\n" +
		"f()\n" +
		"y = = 2\n" +
		"conout('last')\n"
	r, out := newREPL(t)
	err := r.Run(context.Background(), strings.NewReader(input), out)
	var failed *FailedError
	if !errors.As(err, &failed) || failed.Failed != 3 || failed.Stopped {
		t.Fatalf("Run = %v, want 3 failures, not stopped", err)
	}
	for _, w := range []string{"stdin:3: three\n", "stdin:5: five\n", "stdin:8: syntax error near '='\n", "last\n"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}

	r, out = newREPL(t)
	r.StopOnError = true
	err = r.Run(context.Background(), strings.NewReader(input), out)
	if !errors.As(err, &failed) || failed.Failed != 1 || !failed.Stopped {
		t.Fatalf("StopOnError: Run = %v, want 1 failure, stopped", err)
	}
	if out.String() != "stdin:3: three\n" {
		t.Errorf("StopOnError: output %q", out.String())
	}

	r, out = newREPL(t)
	if err := r.Run(context.Background(), strings.NewReader("x = 1\nx + 1\n"), out); err != nil || out.String() != "2\n" {
		t.Errorf("clean run: %v, %q", err, out.String())
	}

	// AdvPL lines count the same way.
	r, out = newREPL(t)
	r.AdvPL = true
	err = r.Run(context.Background(), strings.NewReader("nX := 1\nIf nX == 1\n  nY := nX + \"a\"\nEndIf\nnX\nIf .T.\n"), out)
	if !errors.As(err, &failed) || failed.Failed != 2 {
		t.Errorf("AdvPL: Run = %v, want 2 failures", err)
	}
	for _, w := range []string{"stdin.prw:3:", "1\n", "stdin.prw: incomplete statement at end of input, started at line 6\n"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("AdvPL output lacks %q:\n%s", w, out)
		}
	}
}

func TestVarInfoShownOnce(t *testing.T) {
	const dump = "-> t (A) [1]\n     t[1] (N) [7]\n"
	r, out := newREPL(t)
	session(t, r, out, "t = {7}\n")
	tests := []struct{ input, want string }{
		{`VarInfo("t", t)`, dump},
		{`varinfo("t", t, 0, true)`, dump},
		{`x = VarInfo("t", t)`, dump},
	}
	for _, tc := range tests {
		if got := session(t, r, out, tc.input+"\n"); got != tc.want {
			t.Errorf("%s printed %q, want %q", tc.input, got, tc.want)
		}
	}
	// Without its own echo, the REPL shows the returned string.
	if got := session(t, r, out, `VarInfo("t", t, 0, false, false)`+"\n"); !strings.Contains(got, "t[1] (N) [7]") || strings.Count(got, "t[1]") != 1 {
		t.Errorf("VarInfo without echo printed %q", got)
	}

	r.AdvPL = true
	for _, in := range []string{`VarInfo("t", {7})`, `VARINFO("t", {7}, 0, .T.)`} {
		if got := session(t, r, out, in+"\n"); got != dump {
			t.Errorf("AdvPL %s printed %q, want %q", in, got, dump)
		}
	}
	if got := session(t, r, out, `VarInfo("t", {7}, 0, .F., .F.)`+"\n"); strings.Count(got, "t[1]") != 1 {
		t.Errorf("AdvPL VarInfo without echo printed %q", got)
	}
}
