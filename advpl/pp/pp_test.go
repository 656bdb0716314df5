package pp

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run preprocesses src with the given extra rules prepended and returns the
// output text lines; it fails the test on a fatal error.
func run(t *testing.T, src string, opts Options) (*Output, []string) {
	t.Helper()
	out, err := Process("main.prw", src, opts)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	return out, strings.Split(out.Text, "\n")
}

func errorsOf(out *Output) []string {
	var s []string
	for _, d := range out.Diagnostics {
		if !d.Warning {
			s = append(s, d.String())
		}
	}
	return s
}

func TestLines(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"line comment", "a := 1 // c", []string{"a := 1 "}},
		{"ampersand comment", "a := 1 && c", []string{"a := 1 "}},
		{"star comment", "  * text\nb", []string{"", "b"}},
		{"note comment", "NOTE text\nnote x\nnotes := 1", []string{"", "", "notes := 1"}},
		{"block comment", "a /* x\ny\nz */ b\nc", []string{"a", "", " b", "c"}},
		{"string kept", `a := "x // y" + 'a && b'`, []string{`a := "x // y" + 'a && b'`}},
		{"bracket string", "a := [x // y]\nb := c[1] // z", []string{"a := [x // y]", "b := c[1] "}},
		{"continuation", "a := 1 + ;\n  2\nb", []string{"a := 1 + 2", "", "b"}},
		{"continuation comment", "a := 1 + ; // c\n  2", []string{"a := 1 + 2", ""}},
		{"directive empty", "#define X 1\nX", []string{"", "1"}},
		{"crlf", "a\r\nb\r\n", []string{"a", "b", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, lines := run(t, tc.src, Options{})
			if len(lines) != len(tc.want) {
				t.Fatalf("lines = %q, want %q", lines, tc.want)
			}
			for i := range lines {
				if strings.TrimRight(lines[i], " ") != strings.TrimRight(tc.want[i], " ") {
					t.Errorf("line %d = %q, want %q", i+1, lines[i], tc.want[i])
				}
			}
			if e := errorsOf(out); len(e) > 0 {
				t.Errorf("diagnostics: %v", e)
			}
		})
	}
}

// expand checks the first output line of a single-statement source.
func TestExpand(t *testing.T) {
	tests := []struct {
		name  string
		defs  string
		input string
		want  string
	}{
		{"define object", "#define N 10", "x := N + 1", "x := 10 + 1"},
		{"define case sensitive", "#define N 10", "x := n", "x := n"},
		{"define function", "#define SQ(a,b) (a*b)", "x := SQ(2, y+1)", "x := (2*y+1)"},
		{"undef", "#define N 1\n#undef N", "x := N", "x := N"},
		{"ifdef", "#define A\n#ifdef A\n#ifndef B\n#define R 1\n#else\n#define R 2\n#endif\n#else\n#define R 3\n#endif", "R", "1"},
		{"ifndef else", "#ifdef A\n#define R 1\n#else\n#define R 2\n#endif", "R", "2"},
		{"if expr", "#define V 3\n#if V == 3 .and. !defined(W)\n#define R 1\n#elif 1\n#define R 2\n#endif", "R", "1"},
		{"elif", "#if .F.\n#define R 1\n#elif defined(NOPE) .or. 2 > 1\n#define R 2\n#else\n#define R 3\n#endif", "R", "2"},
		{"regular", "#xcommand SHOW <x> => Out(<x>)", "SHOW a + b", "Out(a + b)"},
		{"list", "#xcommand SHOW <x,...> => Out({<x>})", "SHOW a, f(1,2), c", "Out({a, f(1,2), c})"},
		{"restricted", "#xcommand SET X <v: ON, OFF> => SetX(<\"v\">)", "SET X on", `SetX("on")`},
		{"restricted no match", "#xcommand SET X <v: ON, OFF> => SetX(<\"v\">)", "SET X maybe", "SET X maybe"},
		{"wild", "#xcommand IGN <*x*> => Out(#<x>)", "IGN a b, c", `Out("a b, c")`},
		{"extended", "#xcommand USE <(db)> => DbUse(<(db)>)", `USE c:\data\x.dbf`, `DbUse("c:\data\x.dbf")`},
		{"extended paren", "#xcommand USE <(db)> => DbUse(<(db)>)", "USE (cFile)", "DbUse((cFile))"},
		{"smart string", "#xcommand USE <(db)> => DbUse(<(db)>)", `USE "x.dbf"`, `DbUse("x.dbf")`},
		{"dumb", "#xcommand S <x> => F(#<x>)", "S a+b", `F("a+b")`},
		{"dumb unmatched", "#xcommand S [<x>] => F(#<x>)", "S", `F("")`},
		{"normal list", "#xcommand S <x,...> => F(<\"x\">)", "S a, b", `F("a", "b")`},
		{"blockify", "#xcommand S <x> => F(<{x}>)", "S a+1", "F({|| a+1 })"},
		{"logify", "#xcommand S [<f: FLAG>] => F(<.f.>)", "S FLAG", "F(.T.)"},
		{"logify false", "#xcommand S [<f: FLAG>] => F(<.f.>)", "S", "F(.F.)"},
		{"optional any order", "#xcommand S [A <a>] [B <b>] => F(<a>, <b>)", "S B 2 A 1", "F(1, 2)"},
		{"optional nested", "#xcommand S [A <a> [SAVE <p>]] => F(<a>, <p>)", "S A 1 SAVE 2", "F(1, 2)"},
		{"optional nested absent", "#xcommand S [A <a> [SAVE <p>]] => F(<a>, <p>)", "S A 1", "F(1,)"},
		{"optional result repeat", "#xcommand S <x,...> => [F(<x>);]", "S a, b", "F(a); F(b);"},
		{"optional result omitted", "#xcommand S [TO <x>] => [<x> := ] G()", "S", "G()"},
		{"abbreviation command", "#command DISPLAY <x> => D(<x>)", "DISP 1", "D(1)"},
		{"abbreviation too short", "#command DISPLAY <x> => D(<x>)", "DIS 1", "DIS 1"},
		{"xcommand full word", "#xcommand DISPLAY <x> => D(<x>)", "DISP 1", "DISP 1"},
		{"command case", "#xcommand DISPLAY <x> => D(<x>)", "display 1", "D(1)"},
		{"command whole statement", "#xcommand DISPLAY <x> => D(<x>)", "y := DISPLAY", "y := DISPLAY"},
		{"command after separator", "#xcommand DISPLAY <x> => D(<x>)", "a := 1 ; DISPLAY 2", "a := 1 ; D(2)"},
		{"translate in line", "#xtranslate Twice(<x>) => (<x>*2)", "y := 1 + Twice(a) - 3", "y := 1 + (a*2) - 3"},
		{"translate abbrev", "#translate ABCDEF => 7", "y := ABCD", "y := 7"},
		{"rescan", "#xtranslate A1 => A2\n#xtranslate A2 => A3", "y := A1", "y := A3"},
		{"rescan command define", "#define K 5\n#xcommand S <x> => F(<x>, K)", "S 1", "F(1, 5)"},
		{"newest first", "#xcommand S <x> => Old(<x>)\n#xcommand S <x> => New(<x>)", "S 1", "New(1)"},
		{"escape", "#xcommand S \\[ <x> \\] => F(<x>)", "S [ 1 ]", "F(1)"},
		{"result separator", "#xcommand S <x> => A(<x>) ; B()", "S 1", "A(1) ; B()"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.defs + "\n" + tc.input
			out, lines := run(t, src, Options{})
			n := strings.Count(tc.defs, "\n") + 1
			if got := strings.TrimSpace(lines[n]); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if e := errorsOf(out); len(e) > 0 {
				t.Errorf("diagnostics: %v", e)
			}
		})
	}
}

func TestNonTerminating(t *testing.T) {
	srcs := []string{
		"#xtranslate LOOP => LOOP + 1\nx := LOOP",
		"#define A A\nx := A",
		"#xcommand S <x> => S <x>\nS 1",
	}
	for _, src := range srcs {
		out, _ := run(t, src, Options{})
		e := errorsOf(out)
		if len(e) == 0 || !strings.Contains(e[0], "expansion does not terminate") {
			t.Errorf("%q: diagnostics %v", src, e)
		}
	}
}

// A self-referencing function-like #define on a line with unbalanced
// brackets grows the line each round; it must end in a diagnostic, and
// each round must stay linear (it once scanned to the end of the line
// from every "(", taking 21 s on this fuzz find).
func TestExpansionBounded(t *testing.T) {
	srcs := []string{
		"#define F(a) x := F(Fx := F(F(F(1)a\nx := F(F(F(1)ne // y\n[ a ] && z",
		"#define G(a) G(a) + G(a)\nx := G(1)",
	}
	for _, src := range srcs {
		out, _ := run(t, src, Options{})
		e := errorsOf(out)
		if len(e) == 0 || !strings.Contains(e[0], "expansion") {
			t.Errorf("%q: diagnostics %v", src, e)
		}
	}
}

// TestSourceExpansionBounded: many lines that each stay under the
// per-line budget (a fuzz find: each line costs about 0.6 s, a file of
// them took a minute) hit the budget of the whole source instead.
func TestSourceExpansionBounded(t *testing.T) {
	src := "#define F(0)0!F(0!F(F(F(0)0\n" + strings.Repeat("F(F(F(0)0\n", 40)
	out, _ := run(t, src, Options{})
	e := errorsOf(out)
	if len(e) == 0 || !strings.Contains(e[len(e)-1], "in all") {
		t.Errorf("diagnostics %v", e)
	}
}

func TestDirectiveDiagnostics(t *testing.T) {
	out, lines := run(t, "#foo bar\n  #error boom\n#pragma x\nx", Options{})
	e := errorsOf(out)
	if len(e) != 2 || e[0] != "main.prw:1:1: unknown directive #foo" || e[1] != "main.prw:2:3: #error boom" {
		t.Errorf("diagnostics %v", e)
	}
	if len(lines) != 4 || lines[3] != "x" {
		t.Errorf("lines %q", lines)
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	inc := filepath.Join(dir, "inc")
	for _, d := range []string{src, inc} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(src, "local.ch"), "#define LOC 1\n")
	write(filepath.Join(inc, "Other.CH"), "#define OTH 2\nx := 1\n")
	write(filepath.Join(inc, "cp.ch"), "#define CP \"a\xe9\"\n")
	main := filepath.Join(src, "main.prw")
	tests := []struct {
		name, inc, use, want string
	}{
		{"source dir", `"local.ch"`, "LOC", "1"},
		{"include dirs case-insensitive", `"other.ch"`, "OTH", "2"},
		{"bundled", `<fileio.ch>`, "FO_READWRITE", "2"},
		{"bundled case trimmed", `"TBICONN.CH "`, "RESET ENVIRONMENT", "RpcClearEnv()"},
		{"windows-1252", `"cp.ch"`, "CP", "\"aé\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Process(main, "#include "+tc.inc+"\n"+tc.use, Options{IncludeDirs: []string{inc}})
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(out.Text, "\n")
			if len(lines) != 2 || strings.TrimSpace(lines[1]) != tc.want {
				t.Errorf("lines %q, want %q", lines, tc.want)
			}
			if len(out.Includes) == 0 {
				t.Errorf("no includes recorded")
			}
		})
	}
	// a bundled include's own #include never reads user folders
	write(filepath.Join(inc, "fileio.ch"), "#define FO_READ 99\n")
	out, err := Process(main, "#include \"protheus.ch\"\nFO_READ", Options{IncludeDirs: []string{inc}})
	if err != nil || strings.Split(out.Text, "\n")[1] != "0" {
		t.Errorf("bundled nested include: err %v text %q", err, out.Text)
	}
	out, err = Process(main, `#include "other.ch"`, Options{IncludeDirs: []string{inc}})
	if err != nil || len(out.Diagnostics) != 1 || !out.Diagnostics[0].Warning {
		t.Errorf("code in include: err %v diags %v", err, out.Diagnostics)
	}
	_, err = Process(main, `#include "missing.ch"`, Options{IncludeDirs: []string{inc, "/nowhere"}})
	if err == nil || !strings.Contains(err.Error(), "missing.ch") || !strings.Contains(err.Error(), src) || !strings.Contains(err.Error(), inc) || !strings.Contains(err.Error(), "/nowhere") {
		t.Errorf("missing include error: %v", err)
	}
	rf := func(string) ([]byte, error) { return nil, fs.ErrPermission }
	if _, err := Process(main, `#include "x.ch"`, Options{ReadFile: rf}); err == nil {
		t.Errorf("unreadable include: no error")
	}
	self := func(string) ([]byte, error) { return []byte(`#include "self.ch"`), nil }
	if _, err := Process(main, `#include "self.ch"`, Options{ReadFile: self}); err == nil || !strings.Contains(err.Error(), "depth") {
		t.Errorf("include depth: %v", err)
	}
}

func TestPredefined(t *testing.T) {
	_, lines := run(t, "#ifdef DEBUG\nx := LEVEL\n#endif", Options{Defines: map[string]string{"DEBUG": "", "LEVEL": "3"}})
	if lines[1] != "x := 3" {
		t.Errorf("got %q", lines)
	}
}

func TestBundledCommands(t *testing.T) {
	tests := []struct{ inc, in, want string }{
		{"ap5mail.ch", "CONNECT SMTP SERVER cServer ACCOUNT cAccount PASSWORD cPass RESULT lOk", "lOk := MailSmtpOn(cServer, cAccount, cPass,, .F., .F.)"},
		{"ap5mail.ch", "CONNECT SMTP SERVER cSrv ACCOUNT cU PASSWORD cP TIMEOUT 60 SSL", "MailSmtpOn(cSrv, cU, cP, 60, .F., .T.)"},
		{"ap5mail.ch", "CONNECT POP SERVER cSrv ACCOUNT cU PASSWORD cP RESULT lOk TLS", "lOk := MailPopOn(cSrv, cU, cP,, .T., .F.)"},
		{"ap5mail.ch", "DISCONNECT SMTP SERVER RESULT lOk", "lOk := MailSmtpOff()"},
		{"ap5mail.ch", "DISCONNECT POP SERVER", "MailPopOff()"},
		{"totvsmail.ch", "SEND MAIL FROM cFrom TO cDest ;\n SUBJECT cSubj ; // x\n BODY cBody ATTACHMENT cAnexo RESULT lOk", "lOk := MailSend(cFrom, {cDest}, {}, {}, cSubj, cBody, {cAnexo}, .F., .F., .F.)"},
		{"ap5mail.ch", "SEND MAIL FROM f TO a, b BCC d CC c SUBJECT s BODY b RESULT l FORMAT TEXT TLS", "l := MailSend(f, {a, b}, {c}, {d}, s, b, {}, .T., .T., .F.)"},
		{"ap5mail.ch", "GET MAIL ERROR cErr", "cErr := MailGetErr()"},
		{"ap5mail.ch", "POP MESSAGE COUNT nMsg RESULT lOk", "lOk := PopMsgCount(@nMsg)"},
		{"ap5mail.ch", "RECEIVE MAIL MESSAGE 1 FROM cFrom SUBJECT cSubj BODY cBody ATTACHMENT aAtt SAVE IN \"\\x\\\" DELETE RESULT lOk", "lOk := MailReceive(1, @cFrom,,,, @cSubj, @cBody, aAtt, \"\\x\\\", .T., .F., .F.)"},
		{"tbiconn.ch", "PREPARE ENVIRONMENT EMPRESA \"99\" FILIAL \"01\" TABLES \"SA1\",\"SA2\" MODU \"FAT\"", "RpcSetEnv(\"99\", \"01\",,, \"FAT\",, {\"SA1\", \"SA2\"})"},
		{"tbiconn.ch", "RESET ENVIRONMENT", "RpcClearEnv()"},
		{"topconn.ch", "TCQUERY cQuery NEW ALIAS TRB", "TCQuery(cQuery, \"TRB\")"},
		{"protheus.ch", "DEFINE MSDIALOG oDlg TITLE \"T\" FROM 0,0 TO 10,10 PIXEL", "oDlg := UIStub(\"MSDIALOG\", \"T\")"},
		{"protheus.ch", "ACTIVATE MSDIALOG oDlg CENTERED", "UIActivate(oDlg)"},
		{"protheus.ch", "@ 10,10 SAY \"x\" PICTURE \"@!\" SIZE 10,10", "UIStub(\"SAY\", \"x\")"},
		{"protheus.ch", "@ 10,10 MSGET cVar SIZE 10,10", "UIStub(\"MSGET\", cVar)"},
		{"protheus.ch", "@ 1,2 BMPBUTTON TYPE 1 ACTION Close()", "UIStub(\"BMPBUTTON\", 1)"},
		{"protheus.ch", "DEFINE FONT oFont NAME \"Arial\" SIZE 0,-12 BOLD", "oFont := UIStub(\"FONT\", \"Arial\")"},
		{"totvs.ch", "cX := \"a\" + CRLF", "cX := \"a\" + Chr(13)+Chr(10)"},
		{"parmtype.ch", "PARAMTYPE 0 VAR cX AS CHARACTER OPTIONAL DEFAULT \"a\"", "If cX == NIL ; cX := \"a\" ; EndIf"},
		{"parmtype.ch", "PARAMTYPE 0 VAR cX AS CHARACTER", ""},
		{"colors.ch", "n := CLR_HRED", "n := 255"},
		{"rwmake.ch", "DEFINE SBUTTON FROM 10, 10 TYPE 1 ACTION Close() ENABLE OF oDlg", "UIStub(\"SBUTTON\", NIL)"},
		{"rwmake.ch", "DEFINE SBUTTON oBtn FROM 10, 10 TYPE 1", "oBtn := UIStub(\"SBUTTON\", NIL)"},
		{"rwmake.ch", "DEFINE DIALOG oDlg TITLE cTit FROM 0,0 TO 5,5", "oDlg := UIStub(\"DIALOG\", cTit)"},
		{"rwmake.ch", "ACTIVATE DIALOG oDlg CENTER", "UIActivate(oDlg)"},
		{"rwmake.ch", "@ 1,1 GET cVar PICTURE \"@!\"", "UIStub(\"GET\", cVar)"},
		{"rwmake.ch", "@ 1,1 BUTTON \"Ok\" SIZE 10,10 ACTION Close()", "UIStub(\"BUTTON\", \"Ok\")"},
		{"inkey.ch", "If n == K_ESC", "If n == 27"},
		{"fwmvcdef.ch", "n := MODEL_OPERATION_UPDATE", "n := 4"},
		{"shell.ch", "n := SW_SHOW", "n := 5"},
		{"rptdef.ch", "n := IMP_PDF", "n := 6"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			src := "#include \"" + tc.inc + "\"\n" + tc.in
			out, lines := run(t, src, Options{})
			if got := strings.TrimSpace(lines[1]); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
			if len(lines) != strings.Count(src, "\n")+1 {
				t.Errorf("line count %d", len(lines))
			}
			if e := errorsOf(out); len(e) > 0 {
				t.Errorf("diagnostics: %v", e)
			}
		})
	}
}

func FuzzProcess(f *testing.F) {
	for _, s := range []string{
		"#include \"ap5mail.ch\"\nSEND MAIL FROM a TO b SUBJECT c BODY d",
		"#xcommand S [<a>] [B <b,...>] => F(<a>, [<b>])\nS 1 B 2,3 ;\n /* x */",
		"#define F(a) a+a\nx := F(F(F(1))) // y\n[ a ] && z",
		"#if defined(X) .and. (1 == 1\n#endif\n#xtranslate <x> => <x>\nz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		rf := func(string) ([]byte, error) { return nil, fs.ErrNotExist }
		out, err := Process("f.prw", src, Options{ReadFile: rf})
		if err == nil && strings.Count(out.Text, "\n") != strings.Count(src, "\n") {
			t.Fatalf("line count changed")
		}
	})
}
