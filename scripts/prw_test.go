package scripts_test

// The .prw twins of the example scripts run on the sandbox with the same
// server-side checks as their Lua versions, and the TOTVS tstIMAP example
// runs unchanged.

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrwSendSimple(t *testing.T) { checkSendSimple(t, "send_simple.prw") }

func TestPrwSendAttachments(t *testing.T) {
	checkSendAttachments(t, "send_attachments.prw", "Relatório enviado para")
}

func TestPrwSendLegacy(t *testing.T) { checkSendLegacy(t, "send_legacy.prw") }
func TestPrwTstIMAP(t *testing.T)    { checkTstIMAP(t, "tstimap.prw") }

// TestReferenceTstIMAP runs the TOTVS example exactly as published.
func TestReferenceTstIMAP(t *testing.T) {
	ref := findReference(t, "tstimap.prw")
	src, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte("fun\xe7oes")) {
		t.Fatalf("%s is not the Windows-1252 TOTVS example", ref)
	}
	r, out := run(t, ref, "[Mail]\nProtocol=IMAP\n")
	for _, want := range []string{"-> PASTAS (A)", "(C) [INBOX]", "(C) [TSTIMAP]", "Folder CorrenteTSTIMAP"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"Erro", "nao foi possivel"} {
		if strings.Contains(out, bad) {
			t.Errorf("output reports a failure (%q):\n%s", bad, out)
		}
	}
	checkNoTSTIMAP(t, out, folderNames(t, r.Sandbox(), "seuNomeAntesDo@"))
}

// findReference looks for shared/reference/NAME in the ancestors of the
// working directory (the reference folder sits beside the checkout).
func findReference(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "reference", name)
		if _, err := os.Stat(p); err == nil {
			return p
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("shared/reference/%s not found above the working directory", name)
		}
		dir = parent
	}
}

func TestPrwPOPReceiveAttachments(t *testing.T) {
	checkPOPReceiveAttachments(t, "pop_receive_attachments.prw", "*")
}

func TestPrwIMAPSort(t *testing.T)        { checkIMAPSort(t, "imap_sort.prw") }
func TestPrwTMailMngReceive(t *testing.T) { checkTMailMngReceive(t, "tmailmng_receive.prw") }
func TestPrwXMLImporter(t *testing.T)     { checkImporterBounded(t, "xml_importer.prw") }
func TestPrwXMLImporterUntilCancelled(t *testing.T) {
	checkImporterUntilCancelled(t, "xml_importer.prw")
}

func TestPrwSendReport(t *testing.T) {
	root := t.TempDir()
	ini := "[advmail]\nEnvironment=producao\n[producao]\nRootPath=" + root + "\n"
	r, out := run(t, "send_report.prw", ini)
	if !strings.Contains(out, "relatório enviado") {
		t.Fatalf("output:\n%s", out)
	}
	_, m := onlyCaptured(t, r)
	if m.Subject != "Relatório de vendas - total R$ 1.333.333,79" || len(m.Attachments) != 1 ||
		!strings.Contains(string(m.Attachments[0].Data), "  1.234.567,89") {
		t.Errorf("subject %q attachments %+v", m.Subject, m.Attachments)
	}
}

// TestEveryScriptHasPrwTwin keeps the .prw twins in step with the Lua
// scripts, and this file in step with the twins.
func TestEveryScriptHasPrwTwin(t *testing.T) {
	src, err := os.ReadFile("prw_test.go")
	if err != nil {
		t.Fatal(err)
	}
	luas, _ := filepath.Glob("*.lua")
	if len(luas) == 0 {
		t.Fatal("no Lua scripts found")
	}
	for _, f := range luas {
		twin := strings.TrimSuffix(f, ".lua") + ".prw"
		if _, err := os.Stat(twin); err != nil {
			t.Errorf("%s has no .prw twin: %v", f, err)
		}
	}
	prws, _ := filepath.Glob("*.prw")
	for _, f := range prws {
		if !bytes.Contains(src, []byte(`"`+f+`"`)) {
			t.Errorf("%s is not run by any test", f)
		}
	}
}
