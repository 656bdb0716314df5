package integration

// The .prw twins of the example scripts against the lab, with the same
// server-side checks as their Lua versions, and the TOTVS tstIMAP example
// with only its Init line pointed at the lab.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/runtime"
)

// prwAssets is MV_RELANEX for the twins: the scripts' assets folder as seen
// from this package.
const prwAssets = "../scripts/assets/"

func TestPrwScriptSendSimple(t *testing.T) {
	lab := requireLab(t)
	alice, bob := lab.User(t, "alice"), lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)
	ini := writeINI(t, lab, nil, smtpParams(lab, hostPort(lab, lab.Ports.Submission), false, true, alice, "Bob Brandão <"+bob.Address+">"))
	out := runScript(t, lab, ini, "send_simple.prw")
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

func TestPrwScriptSendAttachments(t *testing.T) {
	lab := requireLab(t)
	alice, bob, carol := lab.User(t, "alice"), lab.User(t, "bob"), lab.User(t, "carol")
	lab.ResetMailboxes(t, alice.Address, bob.Address, carol.Address)
	params := smtpParams(lab, hostPort(lab, lab.Ports.SMTPS), true, false, alice, "Bob Brandão <"+bob.Address+">")
	params["MV_RELCC"] = "Alice <" + alice.Address + ">"
	params["MV_RELBCC"] = carol.Address
	params["MV_PORSMTP"] = strconv.Itoa(lab.Ports.SMTPS)
	params["MV_RELANEX"] = prwAssets
	out := runScript(t, lab, writeINI(t, lab, nil, params), "send_attachments.prw")
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

func TestPrwScriptSendLegacy(t *testing.T) {
	lab := requireLab(t)
	alice, bob := lab.User(t, "alice"), lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)
	params := smtpParams(lab, hostPort(lab, lab.Ports.Submission), false, true, alice, bob.Address)
	params["MV_RELFROM"] = alice.Address
	params["MV_RELANEX"] = prwAssets
	out := runScript(t, lab, writeINI(t, lab, nil, params), "send_legacy.prw")
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

// subscribeInbox subscribes INBOX for the duration of the test:
// GetFolderList lists subscribed folders and Dovecot does not subscribe
// INBOX by itself.
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
		t.Errorf("INBOX holds %d messages after the routine, want %d", n, inbox)
	}
}

func TestPrwScriptTstIMAP(t *testing.T) {
	lab := requireLab(t)
	bob := lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)
	seed(t, lab, bob, simpleMessage("primeira"), simpleMessage("segunda"))
	subscribeInbox(t, lab, bob)
	ini := writeINI(t, lab, map[string]string{"Protocol": "IMAP"}, imapParams(lab, bob))
	out := runScript(t, lab, ini, "tstimap.prw")
	for _, want := range []string{"Pasta: INBOX - total: 2 - não lidas: 2", "Pasta: TSTIMAP - total: 0", "Pasta: Sent", "PASTAS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	checkFoldersKept(t, lab, bob, 2)
}

// initLine is the Init call of the TOTVS tstIMAP example.
var initLine = regexp.MustCompile(`(?m)^(\s*nErro\s*:=\s*oMailManager:Init\().*$`)

// referenceTstIMAP returns ../shared/reference/tstimap.prw (beside the
// checkout), searched for in the ancestors of the working directory.
func referenceTstIMAP(t *testing.T) []byte {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		src, err := os.ReadFile(filepath.Join(dir, "shared", "reference", "tstimap.prw"))
		if err == nil {
			return src
		}
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("shared/reference/tstimap.prw not found above the working directory")
		}
		dir = parent
	}
}

// TestPrwReferenceTstIMAP runs the TOTVS example with only the host,
// account and password of its Init line changed.
func TestPrwReferenceTstIMAP(t *testing.T) {
	lab := requireLab(t)
	bob := lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)
	seed(t, lab, bob, simpleMessage("primeira"))
	subscribeInbox(t, lab, bob)

	src := referenceTstIMAP(t)
	if len(initLine.FindAll(src, -1)) != 1 {
		t.Fatal("the example does not have exactly one Init line")
	}
	call := fmt.Sprintf(`${1} "%s", "", "%s", "%s" )`, hostPort(lab, lab.Ports.IMAP), bob.Login, bob.Password)
	if strings.ContainsAny(bob.Login+bob.Password, `"$`) {
		t.Fatalf("lab user %s cannot be written into an AdvPL string literal", bob.Name)
	}
	edited := initLine.ReplaceAll(src, []byte(call))
	path := filepath.Join(t.TempDir(), "tstimap.prw")
	if err := os.WriteFile(path, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	if d := changedLines(src, edited); len(d) != 1 {
		t.Fatalf("edit changed lines %v, want only the Init line", d)
	}

	ini := writeINI(t, lab, map[string]string{"Protocol": "IMAP"}, nil)
	var out bytes.Buffer
	r, err := runtime.New(runtime.Options{ConfigPath: ini, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	if err := r.DoFile(ctx, path); err != nil {
		t.Fatalf("tstimap.prw: %v\noutput:\n%s", err, out.String())
	}
	t.Logf("tstimap.prw output:\n%s", out.String())
	for _, want := range []string{"-> PASTAS (A)", "(C) [INBOX]", "(C) [TSTIMAP]", "Folder CorrenteTSTIMAP"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "nao foi possivel") || strings.Contains(out.String(), "Erro") {
		t.Errorf("the example reports a failure:\n%s", out.String())
	}
	checkFoldersKept(t, lab, bob, 1)
}

// changedLines returns the 1-based numbers of the lines that differ.
func changedLines(a, b []byte) []int {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	var d []int
	for i := 0; i < max(len(la), len(lb)); i++ {
		if i >= len(la) || i >= len(lb) || !bytes.Equal(la[i], lb[i]) {
			d = append(d, i+1)
		}
	}
	return d
}

func TestPrwScriptIMAPSort(t *testing.T) {
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
	out := runScript(t, lab, writeINI(t, lab, map[string]string{"Protocol": "IMAP"}, imapParams(lab, alice)), "imap_sort.prw")
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

// TestPrwScriptPOPReceiveAttachments checks the ap5mail.ch receive: the
// saved XML contents (the legacy command picks the file names) and that
// exactly the messages with XML were deleted.
func TestPrwScriptPOPReceiveAttachments(t *testing.T) {
	lab := requireLab(t)
	bob := lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)

	xml1 := []byte(`<?xml version="1.0" encoding="UTF-8"?><nfeProc><NFe><emit><xNome>Indústria São João</xNome></emit></NFe></nfeProc>` + "\n")
	xml2 := []byte(`<?xml version="1.0" encoding="UTF-8"?><procEventoNFe><evento><xJust>Cancelamento — ção</xJust></evento></procEventoNFe>` + "\n")
	pdf := assetBytes(t, "relatorio.pdf")
	withXML := simpleMessage("NF-e 1001 autorizada")
	withXML.Attachments = []*mail.Attachment{
		{Name: "35260312345678000190550010000010011000010010-nfe.xml", Data: xml1},
		{Name: "DANFE-1001.pdf", Data: pdf},
	}
	noXML := simpleMessage("Boleto sem XML")
	noXML.Attachments = []*mail.Attachment{{Name: "boleto.pdf", Data: pdf}}
	twoXML := simpleMessage("NF-e 1002 cancelada")
	twoXML.Attachments = []*mail.Attachment{{Name: "Cancelamento 1002.xml", Data: xml2}}
	plain := simpleMessage("Só texto")
	seed(t, lab, bob, withXML, noXML, twoXML, plain)

	dir := t.TempDir()
	params := map[string]string{
		"MV_POPSERV": hostPort(lab, lab.Ports.POP3S),
		"MV_POPUSR":  bob.Login,
		"MV_POPPSW":  bob.Password,
		"MV_POPSSL":  ".T.",
		"MV_XMLDIR":  filepath.ToSlash(dir),
	}
	out := runScript(t, lab, writeINI(t, lab, map[string]string{"Protocol": "IMAP"}, params), "pop_receive_attachments.prw")
	if !strings.Contains(out, "Mensagens na caixa: 4") || !strings.Contains(out, "XMLs salvos: 2 - mensagens apagadas: 2") {
		t.Errorf("output:\n%s", out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var saved [][]byte
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		saved = append(saved, data)
	}
	if len(saved) != 2 || !slices.ContainsFunc(saved, func(b []byte) bool { return bytes.Equal(b, xml1) }) ||
		!slices.ContainsFunc(saved, func(b []byte) bool { return bytes.Equal(b, xml2) }) {
		t.Errorf("saved %d files, want exactly the two XMLs byte-exact", len(saved))
	}
	if got, want := folderSubjects(t, lab, bob, "INBOX"), []string{"Boleto sem XML", "Só texto"}; !slices.Equal(got, want) {
		t.Errorf("INBOX keeps %q, want %q", got, want)
	}
}

func TestPrwScriptTMailMngReceive(t *testing.T) {
	lab := requireLab(t)
	bob := lab.User(t, "bob")
	lab.ResetMailboxes(t, bob.Address)
	m1 := simpleMessage("Pedido 77 — confirmação")
	m2 := simpleMessage("NF-e 2001 com anexo")
	xml := []byte(`<?xml version="1.0"?><NFe><nNF>2001</nNF><xNome>Pães &amp; Doces</xNome></NFe>`)
	m2.Attachments = []*mail.Attachment{{Name: "nfe-2001.xml", Data: xml}}
	seed(t, lab, bob, m1, m2)

	params := imapParams(lab, bob)
	params["MV_MNGSSL"] = "3"
	out := runScript(t, lab, writeINI(t, lab, map[string]string{"Protocol": "IMAP"}, params), "tmailmng_receive.prw")
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
	if n := messageCount(t, lab, bob, "INBOX"); n != 2 {
		t.Errorf("INBOX holds %d messages after the routine, want 2", n)
	}
}

// TestEveryPrwRunsOnTheLab keeps this file in step with the twins.
func TestEveryPrwRunsOnTheLab(t *testing.T) {
	src, err := os.ReadFile("prw_test.go")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(scriptPath("*.prw"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .prw scripts found: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if _, ok := notOnLab[name]; ok {
			continue
		}
		if !bytes.Contains(src, []byte(`"`+name+`"`)) {
			t.Errorf("%s is not run against the lab by any test", name)
		}
	}
}

// notOnLab lists the twins that cannot reach the lab, with the reason.
var notOnLab = map[string]string{
	"send_report.prw": "its Init passes port 587 explicitly (as send_report.lua does), which wins over MV_RELSERV's port",
}
