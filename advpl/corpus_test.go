package advpl

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func corpusFiles(t *testing.T) []string {
	files := []string{"/work/shared/reference/tstimap.prw", "../../shared/reference/tstimap.prw"}
	for _, pat := range []string{"../scripts/*.prw", "../testdata/advpl/*.prw", "../testdata/advpl/*/*.prw", "../scripts/*.tlpp"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	var out []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatal("no corpus files found")
	}
	return out
}

func TestCorpusCompiles(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Compile(f, src, Options{})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			for _, d := range r.Diagnostics {
				if d.Warning {
					continue
				}
				if strings.HasSuffix(f, "reference/tstimap.prw") {
					t.Errorf("diagnostic: %s", d)
				} else {
					// command forms come from the bundled includes (pp's part)
					t.Logf("diagnostic: %s", d)
				}
			}
			luaCompiles(t, f, r.Lua)
			if got, want := strings.Count(r.Lua, "\n"), strings.Count(Decode(src), "\n"); got < want || got > want+1 {
				t.Errorf("Lua has %d lines, source %d", got, want)
			}
		})
	}
}

func TestTstImap(t *testing.T) {
	src, err := os.ReadFile("/work/shared/reference/tstimap.prw")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Compile("tstimap.prw", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range r.Functions {
		names = append(names, f.Name+"/"+f.Kind)
	}
	if len(names) == 0 || names[0] != "U_TSTIMAP/user" {
		t.Errorf("functions = %v", names)
	}
	if !strings.Contains(r.Lua, "R.refcall(S.getfolderlist") && !strings.Contains(r.Lua, "R.refcall(F.getfolderlist") {
		t.Errorf("by-reference call to GetFolderList not generated")
	}
}

// TestLinePreservation checks that each statement stays on its source line.
func TestLinePreservation(t *testing.T) {
	src := `User Function T()
  Local a := 1

  If a == 1
    Mark1()
  ElseIf a == 2
    Mark2()
  Else
    Mark3()
  EndIf
  For a := 1 To 3
    Mark4()
  Next
  While .F.
    Mark5()
  EndDo
  Begin Sequence
    Mark6()
  Recover
    Mark7()
  End Sequence
  Do Case
  Case a == 1
    Mark8()
  EndCase
Return Mark9()

Static Function G()
  Mark10()
Return
`
	r := mustCompile(t, src)
	lines := strings.Split(r.Lua, "\n")
	re := regexp.MustCompile(`mark(\d+)`)
	srcLines := strings.Split(src, "\n")
	for i, l := range srcLines {
		m := regexp.MustCompile(`Mark(\d+)`).FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if i >= len(lines) || !strings.Contains(lines[i], "mark"+m[1]+"(") {
			t.Errorf("source line %d (%s) not on Lua line %d: %q", i+1, m[0], i+1, lines[min(i, len(lines)-1)])
		}
	}
	if n := len(re.FindAllString(r.Lua, -1)); n != 10 {
		t.Errorf("found %d marks, want 10", n)
	}
	luaCompiles(t, "lines", r.Lua)
}

func TestDiagnostics(t *testing.T) {
	tests := []struct {
		name, src, want string
		failed          []string
	}{
		{"missing endif", "User Function A()\nIf x\nReturn\nUser Function B()\nReturn .T.\n",
			"t.prw:4:1: unexpected 'User', expected ElseIf or Else or EndIf or End", []string{"U_A"}},
		{"bad token", "Function A()\nx := 1 +* 2\nReturn\n", "t.prw:2:9: unexpected '*', expected expression", []string{"A"}},
		{"stray endif", "Function A()\nEndIf\nReturn\n", "t.prw:2:1: unexpected 'EndIf', expected statement", []string{"A"}},
		{"file level", "x := 1\nFunction A()\nReturn\n", "t.prw:1:1: unexpected 'x', expected Function", nil},
		{"unclosed paren", "Function A()\nF(1\nReturn\nFunction B()\nReturn\n", "t.prw:2:4: unexpected end of line, expected ',' or ')'", []string{"A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustCompile(t, tt.src)
			if len(r.Diagnostics) == 0 {
				t.Fatalf("no diagnostics")
			}
			if got := r.Diagnostics[0].String(); got != tt.want {
				t.Errorf("diagnostic = %q, want %q", got, tt.want)
			}
			var failed []string
			for _, f := range r.Functions {
				if f.Failed {
					failed = append(failed, f.Name)
				}
			}
			if fmt.Sprint(failed) != fmt.Sprint(tt.failed) {
				t.Errorf("failed = %v, want %v", failed, tt.failed)
			}
			if len(tt.failed) > 0 && !strings.Contains(r.Lua, `R.fail("t.prw:`) {
				t.Errorf("no R.fail in %s", r.Lua)
			}
			luaCompiles(t, tt.name, r.Lua)
		})
	}
}

func TestLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("User Function Big(p1, p2)\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "Local v%d := %d\n", i, i)
	}
	b.WriteString("Local aBig := {")
	for i := 0; i < 5000; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d", i)
	}
	b.WriteString("}\nLocal nSum := 0")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, " + v%d", i%300)
	}
	b.WriteString("\nx := ")
	for i := 0; i < 400; i++ {
		b.WriteString("(")
	}
	b.WriteString("1")
	for i := 0; i < 400; i++ {
		b.WriteString(")")
	}
	b.WriteString("\nReturn v299 + nSum\n")
	r := mustCompile(t, b.String())
	if len(r.Diagnostics) > 0 {
		t.Fatalf("diagnostics: %v", r.Diagnostics[0])
	}
	if !strings.Contains(r.Lua, "local V = {};") || !strings.Contains(r.Lua, "V.v299") {
		t.Errorf("locals were not spilled")
	}
	luaCompiles(t, "limits", r.Lua)
}

func TestManyParams(t *testing.T) {
	var ps []string
	for i := 0; i < 250; i++ {
		ps = append(ps, fmt.Sprintf("p%d", i))
	}
	src := "Function A(" + strings.Join(ps, ", ") + ")\nReturn p249\n"
	r := mustCompile(t, src)
	if !strings.Contains(r.Lua, "V.p249 = select(130, ...);") {
		t.Errorf("parameters past 180 not read from ...: %.300s", r.Lua)
	}
	luaCompiles(t, "params", r.Lua)
}

func TestDeepNesting(t *testing.T) {
	src := "Function A()\nx := " + strings.Repeat("(", 2000) + "1" + strings.Repeat(")", 2000) + "\nReturn\n"
	r := mustCompile(t, src)
	if len(r.Diagnostics) == 0 || !strings.Contains(r.Diagnostics[0].Msg, "nesting") {
		t.Fatalf("want a nesting diagnostic, got %v", r.Diagnostics)
	}
	src = "Function A()\n" + strings.Repeat("If x\n", 1000) + "\nReturn\n"
	r = mustCompile(t, src)
	if len(r.Diagnostics) == 0 {
		t.Fatalf("want a diagnostic for 1000 nested Ifs")
	}
}
