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

	"github.com/advmail/advmail/mail/sandbox"
)

func TestPrwSendSimple(t *testing.T) {
	r, out := run(t, "send_simple.prw", "")
	if !strings.Contains(out, "mensagem enviada") {
		t.Errorf("output: %s", out)
	}
	c, m := onlyCaptured(t, r)
	if m.Subject != "Pedido de Venda 000123 liberado" || !strings.Contains(m.HTMLBody, "<b>000123</b>") {
		t.Errorf("subject %q body %q", m.Subject, m.HTMLBody)
	}
	if len(c.To) != 1 || c.To[0] != "joao@cliente.com.br" || !strings.Contains(m.To, "João da Silva") {
		t.Errorf("envelope %v, To header %q", c.To, m.To)
	}
}

func TestPrwSendAttachments(t *testing.T) {
	r, out := run(t, "send_attachments.prw", "")
	if !strings.Contains(out, "Relatório enviado para") {
		t.Errorf("output: %s", out)
	}
	c, m := onlyCaptured(t, r)
	if m.Subject != "Relatório de Vendas — Novembro/2026" {
		t.Errorf("subject %q", m.Subject)
	}
	if !strings.Contains(strings.Join(c.To, ","), "auditoria@empresa.com.br") {
		t.Errorf("Bcc missing from the envelope: %v", c.To)
	}
	if bytes.Contains(c.Data, []byte("auditoria@")) {
		t.Error("Bcc address appears in the message")
	}
	pdf, _ := os.ReadFile("assets/relatorio.pdf")
	logo, _ := os.ReadFile("assets/logo.png")
	var sawPDF, sawLogo bool
	for _, a := range m.Attachments {
		switch {
		case a.ContentID == "logo":
			sawLogo = bytes.Equal(a.Data, logo)
		case a.Name == "Relatório de Vendas.pdf":
			sawPDF = bytes.Equal(a.Data, pdf)
		}
	}
	if !sawPDF || !sawLogo {
		t.Errorf("attachments wrong (pdf %v, inline logo %v): %+v", sawPDF, sawLogo, m.Attachments)
	}
	if !bytes.Contains(c.Data, []byte("multipart/related")) {
		t.Error("inline image is not inside multipart/related")
	}
}

func TestPrwSendLegacy(t *testing.T) {
	r, out := run(t, "send_legacy.prw", "")
	if !strings.Contains(out, "Aviso enviado") {
		t.Errorf("output: %s", out)
	}
	_, m := onlyCaptured(t, r)
	if m.Subject != "Aviso de cobrança nº 4711" || m.HTMLBody != "" || !strings.Contains(m.TextBody, "boleto") {
		t.Errorf("subject %q text %q html %q", m.Subject, m.TextBody, m.HTMLBody)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Name != "relatorio.pdf" {
		t.Errorf("attachments %+v", m.Attachments)
	}
}

// checkNoTSTIMAP fails when the sandbox mailbox of user still has TSTIMAP.
func checkNoTSTIMAP(t *testing.T, out string, folders []string) {
	t.Helper()
	for _, f := range folders {
		if f == "TSTIMAP" {
			t.Errorf("TSTIMAP left behind; output:\n%s", out)
		}
	}
}

func TestPrwTstIMAP(t *testing.T) {
	r, out := run(t, "tstimap.prw", "")
	for _, want := range []string{"Pasta: INBOX - total: 4 - não lidas: 4", "Pasta: TSTIMAP", "PASTAS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	checkNoTSTIMAP(t, out, folderNames(t, r.Sandbox(), "seuNomeAntesDo@"))
}

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
	dir := t.TempDir()
	ini := "[Mail]\nProtocol=IMAP\n[Parameters]\nMV_XMLDIR=" + filepath.ToSlash(dir) + "\n"
	r, out := run(t, "pop_receive_attachments.prw", ini)
	if !strings.Contains(out, "XMLs salvos: 1 - mensagens apagadas: 1") {
		t.Errorf("output:\n%s", out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 || !strings.HasSuffix(strings.ToLower(files[0]), ".xml") {
		t.Fatalf("%s holds %v, want only the one XML", dir, files)
	}
	xml, _ := os.ReadFile(files[0])
	if !bytes.Contains(xml, []byte("<nfeProc")) && !bytes.Contains(xml, []byte("<NFe")) {
		t.Errorf("saved XML is not the NF-e: %.200s", xml)
	}
	if got := r.Config().Protocol; got != "IMAP" {
		t.Errorf("Protocol after the routine = %q, want IMAP", got)
	}
	subjects := folderSubjects(t, imapSession(t, r.Sandbox(), "nfe"), "INBOX")
	if len(subjects) != 3 {
		t.Fatalf("INBOX has %d messages, want 3: %q", len(subjects), subjects)
	}
	for _, s := range subjects {
		if strings.HasPrefix(s, "NF-e") {
			t.Errorf("processed message %q still in INBOX", s)
		}
	}
}

func TestPrwIMAPSort(t *testing.T) {
	r, out := run(t, "imap_sort.prw", "")
	if !strings.Contains(out, "Mensagens movidas: 2") {
		t.Errorf("output:\n%s", out)
	}
	c := imapSession(t, r.Sandbox(), "nfe")
	inbox := folderSubjects(t, c, "INBOX")
	notas := folderSubjects(t, c, "Notas Fiscais")
	relatorios := folderSubjects(t, c, "Relatórios")
	if len(inbox) != 2 || len(notas) != 1 || len(relatorios) != 1 {
		t.Fatalf("INBOX %q, Notas Fiscais %q, Relatórios %q", inbox, notas, relatorios)
	}
	if !strings.HasPrefix(notas[0], "NF-e") || !strings.HasPrefix(relatorios[0], "Relatório") {
		t.Errorf("wrong messages moved: %q %q", notas, relatorios)
	}
}

func TestPrwTMailMngReceive(t *testing.T) {
	_, out := run(t, "tmailmng_receive.prw", "")
	for _, want := range []string{"Mensagens: 4", "35240112345678000190550010000012341000012345-nfe.xml", "Total de anexos:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
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

// folderNames lists the folders of user's sandbox mailbox.
func folderNames(t *testing.T, sb *sandbox.Sandbox, user string) []string {
	t.Helper()
	folders, err := imapSession(t, sb, user).Folders(false)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(folders))
	for _, f := range folders {
		names = append(names, f.Name)
	}
	return names
}
