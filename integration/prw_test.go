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
	"strings"
	"testing"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/runtime"
)

// prwAssets is MV_RELANEX for the twins: the scripts' assets folder as seen
// from this package.
const prwAssets = "../scripts/assets/"

// prwParams are the parameters the send twins read beyond their Lua versions.
var prwParams = map[string]string{"MV_RELANEX": prwAssets}

func TestPrwScriptSendSimple(t *testing.T) { checkSendSimple(t, "send_simple.prw") }

func TestPrwScriptSendAttachments(t *testing.T) {
	checkSendAttachments(t, "send_attachments.prw", prwParams)
}

func TestPrwScriptSendLegacy(t *testing.T) { checkSendLegacy(t, "send_legacy.prw", prwParams) }
func TestPrwScriptTstIMAP(t *testing.T)    { checkTstIMAP(t, "tstimap.prw") }

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

func TestPrwScriptIMAPSort(t *testing.T) { checkIMAPSort(t, "imap_sort.prw", false) }

// TestPrwScriptXMLImporter: checks in wait_test.go (user grace).
func TestPrwScriptXMLImporter(t *testing.T) { checkXMLImporter(t, "xml_importer.prw") }

// TestPrwScriptPOPReceiveAttachments checks the ap5mail.ch receive: the
// saved XML contents (the legacy command picks the file names) and that
// exactly the messages with XML were deleted.
func TestPrwScriptPOPReceiveAttachments(t *testing.T) {
	lab := requireLab(t)
	xml2 := []byte(`<?xml version="1.0" encoding="UTF-8"?><procEventoNFe><evento><xJust>Cancelamento — ção</xJust></evento></procEventoNFe>` + "\n")
	bob, xml1 := seedPOPInbox(t, lab, &mail.Attachment{Name: "Cancelamento 1002.xml", Data: xml2})

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
	bob, xml := seedTMailMng(t, lab)
	checkTMailMngReceive(t, lab, bob, xml, "tmailmng_receive.prw", 3, lab.Ports.IMAPS)
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
