package integration

// Every example script of scripts/ run against the lab through the real
// runtime (appserver.ini written per test, [Mail] CAFile = lab CA), its
// effects checked on the server with doveadm and separate IMAP sessions.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/runtime"
)

// scriptTimeout bounds one script run.
const scriptTimeout = 60 * time.Second

// scriptPath is the path of an example script; the scripts find their
// assets next to themselves through arg[0].
func scriptPath(name string) string { return filepath.Join("..", "scripts", name) }

// writeINI writes an appserver.ini into a temporary directory: [Mail] with
// the lab CA and the given keys, [Parameters] with params. It returns the path.
func writeINI(t *testing.T, l *Lab, mailKeys, params map[string]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("[Mail]\nCAFile=" + l.CAFile + "\nMailTrace=0\n")
	writeKeys(&b, mailKeys)
	b.WriteString("\n[Parameters]\n")
	writeKeys(&b, params)
	path := filepath.Join(t.TempDir(), "appserver.ini")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeKeys(b *strings.Builder, kv map[string]string) {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "%s=%s\n", k, kv[k])
	}
}

// runScript runs an example script with the server ini at iniPath and
// returns its output; a script error fails the test.
func runScript(t *testing.T, lab *Lab, iniPath, script string) string {
	t.Helper()
	var out bytes.Buffer
	r, err := runtime.New(runtime.Options{
		ConfigPath: iniPath,
		Stdout:     &out,
		Libs:       runtime.Libs{Unrestricted: true},
	})
	if err != nil {
		t.Fatalf("runtime.New(%s): %v", iniPath, err)
	}
	defer r.Close()
	checkParameters(t, iniPath, script)
	if cfg := r.Config(); cfg.CAFile != lab.CAFile {
		t.Fatalf("the runtime did not read CAFile from %s: %+v", iniPath, cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	if err := r.DoFile(ctx, scriptPath(script)); err != nil {
		t.Fatalf("%s: %v\noutput:\n%s", script, err, out.String())
	}
	t.Logf("%s output:\n%s", script, out.String())
	return out.String()
}

// superGetMV finds the parameters a script reads.
var superGetMV = regexp.MustCompile(`(?i)SuperGetMV\(\s*"(MV_[A-Z0-9_]+)"`)

// checkParameters fails unless the ini's [Parameters] gives every MV_* the
// script reads: a default would point the script at empresa.com.br.
func checkParameters(t *testing.T, iniPath, script string) {
	t.Helper()
	src, err := os.ReadFile(scriptPath(script))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(iniPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := mail.LoadINI(iniPath, data)
	if err != nil {
		t.Fatal(err)
	}
	params := f.Section("Parameters")
	for _, m := range superGetMV.FindAllStringSubmatch(string(src), -1) {
		if !params.HasKey(m[1]) {
			t.Errorf("%s reads %s, which the test's [Parameters] does not set", script, m[1])
		}
	}
}

// TestEveryScriptRunsOnTheLab keeps this file in step with scripts/.
func TestEveryScriptRunsOnTheLab(t *testing.T) {
	src, err := os.ReadFile("scripts_test.go")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(scriptPath("*.lua"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts found: %v", err)
	}
	for _, f := range files {
		if !bytes.Contains(src, []byte(`"`+filepath.Base(f)+`"`)) {
			t.Errorf("%s is not run against the lab by any test", filepath.Base(f))
		}
	}
}

// smtpParams are the MV_REL* parameters of the send scripts.
func smtpParams(lab *Lab, server string, ssl, tls bool, from LabUser, dest string) map[string]string {
	return map[string]string{
		"MV_RELSERV": server,
		"MV_RELACNT": from.Login,
		"MV_RELPSW":  from.Password,
		"MV_RELFROM": "Faturamento Lab <" + from.Address + ">",
		"MV_RELDEST": dest,
		"MV_RELAUTH": ".T.",
		"MV_RELSSL":  logical(ssl),
		"MV_RELTLS":  logical(tls),
		"MV_RELTIME": "30",
	}
}

func logical(b bool) string {
	if b {
		return ".T."
	}
	return ".F."
}

// hostPort is "localhost:port": the scripts pass the host name on to TLS
// verification, and the lab certificate is for localhost.
func hostPort(lab *Lab, port int) string { return lab.TLSServerName + ":" + strconv.Itoa(port) }

// fetchBySubject waits for a message with subject in user's INBOX and
// returns it, read over a separate IMAPS session.
func fetchBySubject(t *testing.T, lab *Lab, u LabUser, subject string) fetched {
	t.Helper()
	waitHeader(t, lab, u, "INBOX", "Subject", subject)
	tr, _ := labTransport(labConfig(lab, nil))
	c := dialIMAP(t, tr, endpoint(lab, lab.Ports.IMAPS, mail.ImplicitTLS), u)
	var seqs []uint32
	err := c.FetchAllHeaders("INBOX", []string{"Subject"}, func(r mail.HeaderRow) {
		if r.Headers[0].Value == subject {
			seqs = append(seqs, r.SeqNum)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 1 {
		t.Fatalf("%s has %d messages with subject %q, want 1", u.Address, len(seqs), subject)
	}
	raw, err := c.Fetch(seqs[0], false)
	if err != nil {
		t.Fatal(err)
	}
	c.Logout()
	return parse(t, raw)
}

// The checks below serve an example script and its .prw twin (prw_test.go):
// each runs the script it is given against the lab and checks the server.

// withParams adds extra (the twins' own parameters; nil for none) to params.
func withParams(params, extra map[string]string) map[string]string {
	for k, v := range extra {
		params[k] = v
	}
	return params
}

func checkSendSimple(t *testing.T, script string) {
	t.Helper()
	lab := requireLab(t)
	alice, bob := lab.User(t, "alice"), lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)
	ini := writeINI(t, lab, nil, smtpParams(lab, hostPort(lab, lab.Ports.Submission), false, true, alice, "Bob Brandão <"+bob.Address+">"))
	out := runScript(t, lab, ini, script)
	if !strings.Contains(out, "mensagem enviada para") {
		t.Errorf("output:\n%s", out)
	}
	f := fetchBySubject(t, lab, bob, "Pedido de Venda 000123 liberado")
	if !strings.Contains(f.msg.HTMLBody, "<b>000123</b>") || !strings.Contains(f.msg.HTMLBody, "Olá") {
		t.Errorf("HTML body %q", f.msg.HTMLBody)
	}
	if !strings.Contains(f.msg.From, alice.Address) || !strings.Contains(f.msg.To, "Bob Brandão") {
		t.Errorf("From %q To %q", f.msg.From, f.msg.To)
	}
	if n := messageCount(t, lab, bob, "INBOX"); n != 1 {
		t.Errorf("bob's INBOX holds %d messages, want 1", n)
	}
}

func checkSendAttachments(t *testing.T, script string, extra map[string]string) {
	t.Helper()
	lab := requireLab(t)
	alice, bob, carol := lab.User(t, "alice"), lab.User(t, "bob"), lab.User(t, "carol")
	lab.ResetMailboxes(t, alice.Address, bob.Address, carol.Address)
	params := smtpParams(lab, hostPort(lab, lab.Ports.SMTPS), true, false, alice, "Bob Brandão <"+bob.Address+">")
	params["MV_RELCC"] = "Alice <" + alice.Address + ">"
	params["MV_RELBCC"] = carol.Address
	params["MV_PORSMTP"] = strconv.Itoa(lab.Ports.SMTPS)
	out := runScript(t, lab, writeINI(t, lab, nil, withParams(params, extra)), script)
	if !strings.Contains(out, "Relatório enviado") {
		t.Errorf("output:\n%s", out)
	}
	const subject = "Relatório de Vendas — Novembro/2026"
	pdf, logo := assetBytes(t, "relatorio.pdf"), assetBytes(t, "logo.png")
	for _, u := range []LabUser{bob, alice, carol} {
		f := fetchBySubject(t, lab, u, subject)
		var sawPDF, sawLogo bool
		for _, a := range f.msg.Attachments {
			switch {
			case a.ContentID == "logo":
				sawLogo = bytes.Equal(a.Data, logo) && a.Disposition == "inline"
			case a.Name == "Relatório de Vendas.pdf":
				sawPDF = bytes.Equal(a.Data, pdf) && a.ContentType == "application/pdf"
			default:
				t.Errorf("%s: unexpected attachment %q", u.Name, a.Name)
			}
		}
		if !sawPDF || !sawLogo {
			t.Errorf("%s: PDF byte-exact %v, inline logo byte-exact %v: %+v", u.Name, sawPDF, sawLogo, f.msg.Attachments)
		}
		if !strings.Contains(f.msg.HTMLBody, `src="cid:logo"`) || !strings.Contains(f.msg.HTMLBody, "Prezado João") {
			t.Errorf("%s: HTML body %q", u.Name, f.msg.HTMLBody)
		}
		if hasBccField(f.header()) {
			t.Errorf("%s: Bcc field delivered:\n%s", u.Name, f.header())
		}
		if u != carol && strings.Contains(string(f.raw), "carol@") {
			t.Errorf("%s: the Bcc address shows in the delivered message", u.Name)
		}
	}
}

func checkSendLegacy(t *testing.T, script string, extra map[string]string) {
	t.Helper()
	lab := requireLab(t)
	alice, bob := lab.User(t, "alice"), lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)
	params := smtpParams(lab, hostPort(lab, lab.Ports.Submission), false, true, alice, bob.Address)
	params["MV_RELFROM"] = alice.Address
	out := runScript(t, lab, writeINI(t, lab, nil, withParams(params, extra)), script)
	if !strings.Contains(out, "Aviso enviado para "+bob.Address) {
		t.Errorf("output:\n%s", out)
	}
	f := fetchBySubject(t, lab, bob, "Aviso de cobrança nº 4711")
	if f.msg.HTMLBody != "" || !strings.Contains(f.msg.TextBody, "segue o boleto em anexo") {
		t.Errorf("text %q html %q", f.msg.TextBody, f.msg.HTMLBody)
	}
	pdf := assetBytes(t, "relatorio.pdf")
	if len(f.msg.Attachments) != 1 || f.msg.Attachments[0].Name != "relatorio.pdf" || !bytes.Equal(f.msg.Attachments[0].Data, pdf) {
		t.Errorf("attachments %+v, want relatorio.pdf byte-exact", f.msg.Attachments)
	}
}

func TestScriptSendSimple(t *testing.T)      { checkSendSimple(t, "send_simple.lua") }
func TestScriptSendAttachments(t *testing.T) { checkSendAttachments(t, "send_attachments.lua", nil) }
func TestScriptSendLegacy(t *testing.T)      { checkSendLegacy(t, "send_legacy.lua", nil) }

// TestScriptSendReport: the report is written under the server path
// \spool\ (here the folder of the config file, no RootPath configured)
// and arrives byte-exact with its Transform'ed values.
func TestScriptSendReport(t *testing.T) {
	lab := requireLab(t)
	alice, bob := lab.User(t, "alice"), lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)
	ini := writeINI(t, lab, nil, smtpParams(lab, hostPort(lab, lab.Ports.Submission), false, true, alice, bob.Address))
	out := runScript(t, lab, ini, "send_report.lua")
	if !strings.Contains(out, "relatório enviado") {
		t.Errorf("output:\n%s", out)
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(ini), "spool", "relatorios", "vendas_*.txt"))
	if len(files) != 1 {
		t.Fatalf("report files: %v", files)
	}
	report, _ := os.ReadFile(files[0])
	f := fetchBySubject(t, lab, bob, "Relatório de vendas - total R$ 1.333.333,79")
	if len(f.msg.Attachments) != 1 || !bytes.Equal(f.msg.Attachments[0].Data, report) ||
		!bytes.Contains(report, []byte("  1.234.567,89")) {
		t.Errorf("attachments %+v, want the report byte-exact", f.msg.Attachments)
	}
}

// imapParams are the MV_IMAP* parameters for user over IMAPS.
func imapParams(lab *Lab, u LabUser) map[string]string {
	return map[string]string{
		"MV_IMAPSRV": lab.TLSServerName,
		"MV_IMAPUSR": u.Login,
		"MV_IMAPPSW": u.Password,
		"MV_IMAPPOR": strconv.Itoa(lab.Ports.IMAPS),
		"MV_IMAPSSL": ".T.",
	}
}

func simpleMessage(subject string) *mail.Message {
	return &mail.Message{
		From: "Remetente <remetente@example.org>", To: "destino@lab.test",
		Subject: subject, Body: "corpo de " + subject, BodyType: "text/plain",
		MessageID: uniqueID("seed"),
	}
}

// subscribeInbox subscribes INBOX for the duration of the test:
// GetFolderList lists subscribed folders and Dovecot does not subscribe
// INBOX by itself (a mail client would).
func subscribeInbox(t *testing.T, lab *Lab, u LabUser) {
	t.Helper()
	lab.Doveadm(t, "mailbox", "subscribe", "-u", u.Address, "INBOX")
	t.Cleanup(func() { lab.Doveadm(t, "mailbox", "unsubscribe", "-u", u.Address, "INBOX") })
}

// checkFoldersKept fails when TSTIMAP is left behind or a standard mailbox
// or an INBOX message is gone.
func checkFoldersKept(t *testing.T, lab *Lab, u LabUser, inbox int) {
	t.Helper()
	boxes := mailboxes(t, lab, u)
	if slices.Contains(boxes, "TSTIMAP") {
		t.Errorf("TSTIMAP left behind: %v", boxes)
	}
	for _, want := range []string{"INBOX", "Sent", "Drafts", "Trash", "Junk"} {
		if !slices.Contains(boxes, want) {
			t.Errorf("mailbox %s is gone: %v", want, boxes)
		}
	}
	if n := messageCount(t, lab, u, "INBOX"); n != inbox {
		t.Errorf("INBOX holds %d messages after the script, want %d", n, inbox)
	}
}

func checkTstIMAP(t *testing.T, script string) {
	t.Helper()
	lab := requireLab(t)
	bob := lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)
	seed(t, lab, bob, simpleMessage("primeira"), simpleMessage("segunda"))
	subscribeInbox(t, lab, bob)
	ini := writeINI(t, lab, map[string]string{"Protocol": "IMAP"}, imapParams(lab, bob))
	out := runScript(t, lab, ini, script)
	for _, want := range []string{"Pasta: INBOX - total: 2 - não lidas: 2", "Pasta: TSTIMAP - total: 0", "Pasta: Sent", "PASTAS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	checkFoldersKept(t, lab, bob, 2)
}

// checkIMAPSort with countFolders also counts each folder with doveadm.
func checkIMAPSort(t *testing.T, script string, countFolders bool) {
	t.Helper()
	lab := requireLab(t)
	alice := lab.User(t, "alice")
	lab.ResetMailboxes(t, alice.Address)
	seed(t, lab, alice,
		simpleMessage("NF-e 123 emitida para Açaí Ltda"),
		simpleMessage("Outro assunto"),
		simpleMessage("Relatório mensal de vendas — março"),
		simpleMessage("nota fiscal 456 cancelada"),
		simpleMessage("Reunião de segunda"),
		simpleMessage("RELATORIO semanal"),
	)
	out := runScript(t, lab, writeINI(t, lab, map[string]string{"Protocol": "IMAP"}, imapParams(lab, alice)), script)
	if !strings.Contains(out, "Mensagens na INBOX: 6") || !strings.Contains(out, "Mensagens movidas: 4") {
		t.Errorf("output:\n%s", out)
	}
	want := map[string][]string{
		"INBOX":         {"Outro assunto", "Reunião de segunda"},
		"Notas Fiscais": {"NF-e 123 emitida para Açaí Ltda", "nota fiscal 456 cancelada"},
		"Relatórios":    {"Relatório mensal de vendas — março", "RELATORIO semanal"},
	}
	boxes := mailboxes(t, lab, alice)
	for folder, subjects := range want {
		if !slices.Contains(boxes, folder) {
			t.Errorf("mailbox %q missing: %v", folder, boxes)
			continue
		}
		if countFolders {
			if n := messageCount(t, lab, alice, folder); n != len(subjects) {
				t.Errorf("doveadm: %s holds %d messages, want %d", folder, n, len(subjects))
			}
		}
		got := folderSubjects(t, lab, alice, folder)
		sort.Strings(got)
		sort.Strings(subjects)
		if !slices.Equal(got, subjects) {
			t.Errorf("%s holds %q, want %q", folder, got, subjects)
		}
	}
	subscribed := doveadmLines(t, lab, "mailbox", "list", "-u", alice.Address, "-s")
	for _, f := range []string{"Notas Fiscais", "Relatórios"} {
		if !slices.Contains(subscribed, f) {
			t.Errorf("%s not subscribed: %v", f, subscribed)
		}
	}
}

func TestScriptTstIMAP(t *testing.T)  { checkTstIMAP(t, "tstimap.lua") }
func TestScriptIMAPSort(t *testing.T) { checkIMAPSort(t, "imap_sort.lua", true) }

// TestScriptXMLImporter: checks in wait_test.go (user grace).
func TestScriptXMLImporter(t *testing.T) { checkXMLImporter(t, "xml_importer.lua") }

// seedPOPInbox resets bob's INBOX to four messages: "NF-e 1001 autorizada"
// with the XML it returns and a PDF, "Boleto sem XML" with a PDF only,
// "NF-e 1002 cancelada" with the attachments cancel, and "Só texto".
func seedPOPInbox(t *testing.T, lab *Lab, cancel ...*mail.Attachment) (LabUser, []byte) {
	t.Helper()
	bob := lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)
	xml1 := []byte(`<?xml version="1.0" encoding="UTF-8"?><nfeProc><NFe><emit><xNome>Indústria São João</xNome></emit></NFe></nfeProc>` + "\n")
	pdf := assetBytes(t, "relatorio.pdf")
	withXML := simpleMessage("NF-e 1001 autorizada")
	withXML.Attachments = []*mail.Attachment{
		{Name: "35260312345678000190550010000010011000010010-nfe.xml", Data: xml1},
		{Name: "DANFE-1001.pdf", Data: pdf},
	}
	noXML := simpleMessage("Boleto sem XML")
	noXML.Attachments = []*mail.Attachment{{Name: "boleto.pdf", Data: pdf}}
	twoXML := simpleMessage("NF-e 1002 cancelada")
	twoXML.Attachments = cancel
	plain := simpleMessage("Só texto")
	seed(t, lab, bob, withXML, noXML, twoXML, plain)
	return bob, xml1
}

func TestScriptPOPReceiveAttachments(t *testing.T) {
	lab := requireLab(t)
	xml2 := []byte(`<?xml version="1.0" encoding="UTF-8"?><procEventoNFe><evento><xJust>Cancelamento por erro de digitação — ção</xJust></evento></procEventoNFe>` + "\n")
	xml3 := []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><NFe><xNome>Caf` + "\xe9" + ` Ltda</xNome></NFe>` + "\n")
	bob, xml1 := seedPOPInbox(t, lab,
		&mail.Attachment{Name: "Cancelamento São Paulo nº 1002.xml", Data: xml2},
		&mail.Attachment{Name: "1002-nfe.XML", Data: xml3},
	)

	dir := t.TempDir()
	params := map[string]string{
		"MV_POPSERV": lab.TLSServerName,
		"MV_POPUSR":  bob.Login,
		"MV_POPPSW":  bob.Password,
		"MV_POPPORT": strconv.Itoa(lab.Ports.POP3S),
		"MV_POPSSL":  ".T.",
		"MV_XMLDIR":  filepath.ToSlash(dir),
	}
	ini := writeINI(t, lab, map[string]string{"Protocol": "IMAP"}, params)
	out := runScript(t, lab, ini, "pop_receive_attachments.lua")
	if !strings.Contains(out, "Mensagens na caixa: 4") || !strings.Contains(out, "XMLs salvos: 3 - mensagens apagadas: 2") {
		t.Errorf("output:\n%s", out)
	}
	wantFiles := map[string][]byte{
		"35260312345678000190550010000010011000010010-nfe.xml": xml1,
		"Cancelamento São Paulo nº 1002.xml":                   xml2,
		"1002-nfe.XML":                                         xml3,
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(wantFiles) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("saved %q, want the %d XML files", names, len(wantFiles))
	}
	for name, data := range wantFiles {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("XML not saved: %v", err)
		} else if !bytes.Equal(got, data) {
			t.Errorf("%s: saved %d bytes differ from the %d sent", name, len(got), len(data))
		}
	}
	// Exactly the messages that carried XML are gone (QUIT committed the DELEs).
	if n := messageCount(t, lab, bob, "INBOX"); n != 2 {
		t.Errorf("INBOX holds %d messages, want 2", n)
	}
	got := folderSubjects(t, lab, bob, "INBOX")
	if want := []string{"Boleto sem XML", "Só texto"}; !slices.Equal(got, want) {
		t.Errorf("INBOX keeps %q, want %q", got, want)
	}
	// The script switched [Mail] Protocol to POP3 and restored it.
	cfg, err := mail.LoadConfig(ini)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Protocol != "IMAP" {
		t.Errorf("Protocol in %s after the script = %q, want IMAP", ini, cfg.Protocol)
	}
}

// seedTMailMng resets bob's INBOX to the two messages that
// checkTMailMngReceive expects and returns bob and the XML attachment.
func seedTMailMng(t *testing.T, lab *Lab) (LabUser, []byte) {
	t.Helper()
	bob := lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)
	m1 := simpleMessage("Pedido 77 — confirmação")
	m2 := simpleMessage("NF-e 2001 com anexo")
	xml := []byte(`<?xml version="1.0"?><NFe><nNF>2001</nNF><xNome>Pães &amp; Doces</xNome></NFe>`)
	m2.Attachments = []*mail.Attachment{{Name: "nfe-2001.xml", Data: xml}}
	seed(t, lab, bob, m1, m2)
	return bob, xml
}

// checkTMailMngReceive runs script against bob's INBOX seeded by
// seedTMailMng, with TMailMng SSL number ssl (3 implicit TLS, 6 STARTTLS)
// on IMAP port port.
func checkTMailMngReceive(t *testing.T, lab *Lab, bob LabUser, xml []byte, script string, ssl, port int) {
	t.Helper()
	params := imapParams(lab, bob)
	params["MV_MNGSSL"] = strconv.Itoa(ssl)
	params["MV_IMAPPOR"] = strconv.Itoa(port)
	out := runScript(t, lab, writeINI(t, lab, map[string]string{"Protocol": "IMAP"}, params), script)
	for _, want := range []string{
		"Conectado: .T. pasta INBOX",
		"Mensagens: 2",
		"001 | Remetente <remetente@example.org> | Pedido 77 — confirmação | anexos: 0",
		"002 | Remetente <remetente@example.org> | NF-e 2001 com anexo | anexos: 1",
		fmt.Sprintf("nfe-2001.xml (application/xml, %d bytes)", len(xml)),
		"Total de anexos: 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Receiving does not remove anything from the server.
	if n := messageCount(t, lab, bob, "INBOX"); n != 2 {
		t.Errorf("INBOX holds %d messages after the script, want 2", n)
	}
}

func TestScriptTMailMngReceive(t *testing.T) {
	lab := requireLab(t)
	bob, xml := seedTMailMng(t, lab)
	for _, tc := range []struct {
		name string
		ssl  int // TMailMng SSL number: 3 implicit TLS, 6 STARTTLS
		port int
	}{
		{"imaps", 3, lab.Ports.IMAPS},
		{"imap+STARTTLS", 6, lab.Ports.IMAP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkTMailMngReceive(t, lab, bob, xml, "tmailmng_receive.lua", tc.ssl, tc.port)
		})
	}
}
