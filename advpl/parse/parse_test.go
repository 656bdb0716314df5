package parse

import (
	"strings"
	"testing"

	"github.com/advmail/advmail/advpl/ast"
)

func TestLexBrackets(t *testing.T) {
	toks, d := lex("x := [abc] + a[1] + 'q' + \"r\" .and. .T. + .5")
	if len(d) > 0 {
		t.Fatal(d)
	}
	var kinds []string
	for _, tk := range toks {
		kinds = append(kinds, tk.String())
	}
	got := strings.Join(kinds, " ")
	want := "'x' ':=' string [abc] '+' 'a' '[' number 1 ']' '+' string 'q' '+' string \"r\" '.and.' '.T.' '+' number .5 end of file"
	if got != want {
		t.Errorf("tokens:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseFunctions(t *testing.T) {
	src := "Static x := 1\nUser Function A(p)\nReturn p\nStatic Function B() as Numeric\nReturn 1\nMain Function C\nReturn\nClass T From U\nData d\nEndClass\nMethod M(a) Class T\nReturn Self\n"
	r := Parse(src, Options{})
	if len(r.Diags) > 0 {
		t.Fatal(r.Diags)
	}
	var got []string
	for _, f := range r.File.Funcs {
		got = append(got, f.Kind+":"+f.Name)
	}
	if strings.Join(got, ",") != "user:A,static:B,main:C,method:M" {
		t.Errorf("funcs = %v", got)
	}
	if len(r.File.Classes) != 1 || r.File.Classes[0].Parent != "U" || r.File.Classes[0].Data[0] != "d" {
		t.Errorf("classes = %+v", r.File.Classes)
	}
	if len(r.File.Top) != 1 {
		t.Errorf("top = %v", r.File.Top)
	}
	if _, ok := r.File.Funcs[0].Body[0].(*ast.Return); !ok || !r.File.Funcs[0].HasReturn {
		t.Errorf("body = %#v", r.File.Funcs[0].Body)
	}
}

func TestRecovery(t *testing.T) {
	r := Parse("Function A()\nx := (\nReturn\nFunction B()\nReturn 1\n", Options{})
	if len(r.Diags) != 1 || r.Diags[0].Line != 2 || r.Diags[0].Func != "A" {
		t.Fatalf("diags = %+v", r.Diags)
	}
	if r.File.Funcs[0].Err == "" || r.File.Funcs[1].Err != "" || len(r.File.Funcs) != 2 {
		t.Errorf("funcs = %+v %+v", r.File.Funcs[0], r.File.Funcs[1])
	}
}

func FuzzParse(f *testing.F) {
	f.Add("User Function A(x)\nIf x\n? {|a| a[1]}\nElseIf .F.\nEndIf\nReturn x:y(@z, , 1)\n")
	f.Add("Function B()\nWhile (n := f()) != 0\nn++\nEnd\nSA1->(dbSkip())\nReturn &c.d\n")
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 20000 {
			return
		}
		r := Parse(src, Options{})
		if r == nil || r.File == nil {
			t.Fatal("nil result")
		}
		Parse(src, Options{Repl: true})
		ParseExpr(src)
	})
}
