// Package scripts_test runs every example script on the sandbox and checks
// its effects on the server side, not only its own output.
package scripts_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
	"github.com/advmail/advmail/runtime"
)

// run executes script on a fresh sandbox runtime with the given server ini
// and returns the runtime (open, for server-side checks) and the output.
func run(t *testing.T, script, ini string) (*runtime.Runtime, string) {
	t.Helper()
	var out bytes.Buffer
	r, err := runtime.New(runtime.Options{
		INI:     []byte(ini),
		Sandbox: true,
		Stdout:  &out,
		Libs:    runtime.Libs{Unrestricted: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.DoFile(ctx, script); err != nil {
		t.Fatalf("%s: %v\noutput:\n%s", script, err, out.String())
	}
	return r, out.String()
}

// imapSession logs into the sandbox as user.
func imapSession(t *testing.T, sb *sandbox.Sandbox, user string) *mail.IMAPClient {
	t.Helper()
	c, err := mail.DialIMAP(context.Background(), sb.Transport(mail.DefaultConfig()),
		mail.IMAPOptions{Endpoint: mail.Endpoint{Host: "imap.check", Security: mail.ImplicitTLS}}, user, "x")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Logout() })
	return c
}

// folderSubjects returns the decoded subjects of the messages of folder.
func folderSubjects(t *testing.T, c *mail.IMAPClient, folder string) []string {
	t.Helper()
	n, err := c.Select(folder)
	if err != nil {
		t.Fatalf("select %s: %v", folder, err)
	}
	var subjects []string
	for i := 1; i <= n; i++ {
		raw, err := c.Fetch(uint32(i), false)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.Parse(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, m.Subject)
	}
	return subjects
}

func onlyCaptured(t *testing.T, r *runtime.Runtime) (sandbox.Captured, *mail.Message) {
	t.Helper()
	got := r.Sandbox().Captured()
	if len(got) != 1 {
		t.Fatalf("captured %d messages, want 1", len(got))
	}
	m, err := mail.Parse(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	return got[0], m
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

// checkNoTSTIMAP fails when the sandbox mailbox of user still has TSTIMAP.
func checkNoTSTIMAP(t *testing.T, out string, folders []string) {
	t.Helper()
	for _, f := range folders {
		if f == "TSTIMAP" {
			t.Errorf("TSTIMAP left behind; output:\n%s", out)
		}
	}
}

// The checks below serve an example script and its .prw twin (prw_test.go):
// each runs the script it is given and checks its effects on the sandbox.

func checkSendSimple(t *testing.T, script string) {
	t.Helper()
	r, out := run(t, script, "")
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

// checkSendAttachments also wants wantOut in the output ("" wants nothing).
func checkSendAttachments(t *testing.T, script, wantOut string) {
	t.Helper()
	r, out := run(t, script, "")
	if !strings.Contains(out, wantOut) {
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

func checkSendLegacy(t *testing.T, script string) {
	t.Helper()
	r, out := run(t, script, "")
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

func checkTstIMAP(t *testing.T, script string) {
	t.Helper()
	r, out := run(t, script, "")
	for _, want := range []string{"Pasta: INBOX - total: 4 - não lidas: 4", "Pasta: TSTIMAP", "PASTAS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	checkNoTSTIMAP(t, out, folderNames(t, r.Sandbox(), "seuNomeAntesDo@"))
}

// checkPOPReceiveAttachments wants exactly one file in MV_XMLDIR matching
// saved, and that one an XML: "*.xml" lets other files be, "*" does not.
func checkPOPReceiveAttachments(t *testing.T, script, saved string) {
	t.Helper()
	dir := t.TempDir()
	ini := "[Mail]\nProtocol=IMAP\n[Parameters]\nMV_XMLDIR=" + filepath.ToSlash(dir) + "\n"
	r, out := run(t, script, ini)
	if !strings.Contains(out, "XMLs salvos: 1 - mensagens apagadas: 1") {
		t.Errorf("output:\n%s", out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, saved))
	if len(files) != 1 || !strings.HasSuffix(strings.ToLower(files[0]), ".xml") {
		t.Fatalf("%s holds %v as %s, want only the one XML", dir, files, saved)
	}
	xml, _ := os.ReadFile(files[0])
	if !bytes.Contains(xml, []byte("<nfeProc")) && !bytes.Contains(xml, []byte("<NFe")) {
		t.Errorf("saved XML is not the NF-e: %.200s", xml)
	}
	// The script restored [Mail] Protocol after switching it to POP3.
	if got := r.Config().Protocol; got != "IMAP" {
		t.Errorf("Protocol after the script = %q, want IMAP restored", got)
	}
	// Exactly the processed message was deleted.
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

func checkIMAPSort(t *testing.T, script string) {
	t.Helper()
	r, out := run(t, script, "")
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

func checkTMailMngReceive(t *testing.T, script string) {
	t.Helper()
	_, out := run(t, script, "")
	for _, want := range []string{"Mensagens: 4", "35240112345678000190550010000012341000012345-nfe.xml", "Total de anexos:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSendSimple(t *testing.T)      { checkSendSimple(t, "send_simple.lua") }
func TestSendAttachments(t *testing.T) { checkSendAttachments(t, "send_attachments.lua", "") }
func TestSendLegacy(t *testing.T)      { checkSendLegacy(t, "send_legacy.lua") }
func TestTstIMAP(t *testing.T)         { checkTstIMAP(t, "tstimap.lua") }

func TestPOPReceiveAttachments(t *testing.T) {
	checkPOPReceiveAttachments(t, "pop_receive_attachments.lua", "*.xml")
}

func TestSendReportFromServerPath(t *testing.T) {
	root := t.TempDir()
	ini := "[advmail]\nEnvironment=producao\n[producao]\nRootPath=" + root + "\nStartPath=\\system\\\n" +
		"[Parameters]\nMV_RELTIME=120\n[ParameterTypes]\nMV_RELTIME=N\n"
	r, out := run(t, "send_report.lua", ini)
	if !strings.Contains(out, "relatório enviado") {
		t.Fatalf("output:\n%s", out)
	}
	files, _ := filepath.Glob(filepath.Join(root, "spool", "relatorios", "vendas_*.txt"))
	if len(files) != 1 {
		t.Fatalf("report files under RootPath: %v", files)
	}
	report, _ := os.ReadFile(files[0])
	for _, want := range []string{"  1.234.567,89", "     98.765,40", "          0,50", "  1.333.333,79", "01.310-100"} {
		if !bytes.Contains(report, []byte(want)) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	_, m := onlyCaptured(t, r)
	if m.Subject != "Relatório de vendas - total R$ 1.333.333,79" {
		t.Errorf("subject %q", m.Subject)
	}
	if len(m.Attachments) != 1 || !bytes.Equal(m.Attachments[0].Data, report) ||
		m.Attachments[0].Name != filepath.Base(files[0]) {
		t.Errorf("attachment does not carry the report: %+v", m.Attachments)
	}
}

// TestPOPReceiveKeepsExistingFiles: an XML of the same name saved earlier
// is not overwritten; the new one gets a numbered name.
func TestPOPReceiveKeepsExistingFiles(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "35240112345678000190550010000012341000012345-nfe.xml")
	if err := os.WriteFile(old, []byte("anterior"), 0o644); err != nil {
		t.Fatal(err)
	}
	ini := "[Parameters]\nMV_XMLDIR=" + filepath.ToSlash(dir) + "\n"
	_, out := run(t, "pop_receive_attachments.lua", ini)
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) != 2 {
		t.Fatalf("files %v, want the old one and a numbered new one\n%s", files, out)
	}
	if b, _ := os.ReadFile(old); string(b) != "anterior" {
		t.Errorf("existing XML overwritten: %.80s", b)
	}
	if !strings.Contains(out, "-nfe-2.xml") {
		t.Errorf("output does not name the numbered file:\n%s", out)
	}
}

func TestIMAPSort(t *testing.T)        { checkIMAPSort(t, "imap_sort.lua") }
func TestTMailMngReceive(t *testing.T) { checkTMailMngReceive(t, "tmailmng_receive.lua") }

// The XML importer (checks in xml_importer_test.go).
func TestXMLImporter(t *testing.T)               { checkImporterBounded(t, "xml_importer.lua") }
func TestXMLImporterUntilCancelled(t *testing.T) { checkImporterUntilCancelled(t, "xml_importer.lua") }

// TestEveryScriptIsTested keeps this file in step with the directory.
func TestEveryScriptIsTested(t *testing.T) {
	src, err := os.ReadFile("scripts_test.go")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.lua")
	for _, f := range files {
		if !bytes.Contains(src, []byte(`"`+f+`"`)) {
			t.Errorf("%s is not run by any test", f)
		}
	}
}
