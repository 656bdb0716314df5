package scripts_test

// The XML importer example (xml_importer.lua and its .prw twin) on the
// sandbox: a bounded run processes the supplier's NF-e, and an unbounded
// run wakes up for a message delivered while it waits and stops promptly
// when cancelled.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
	"github.com/advmail/advmail/runtime"
)

// importerINI configures the importer for the sandbox mailbox "nfe".
func importerINI(dir, extra string) string {
	return "[Parameters]\nMV_XMLDIR=" + filepath.ToSlash(dir) + "\nMV_XMLWAIT=30\n" + extra
}

// checkImporterBounded runs one round: the sample NF-e's XML is saved and
// the message moved to Processados; the other sample messages stay.
func checkImporterBounded(t *testing.T, script string) {
	t.Helper()
	dir := t.TempDir()
	r, out := run(t, script, importerINI(dir, "MV_XMLROUND=1\n"))
	for _, want := range []string{"Rodada 1: 1 XML(s)", "XMLs importados: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 || !strings.HasSuffix(files[0], "-nfe.xml") {
		t.Fatalf("%s holds %v, want the one NF-e XML", dir, files)
	}
	if xml, _ := os.ReadFile(files[0]); !bytes.Contains(xml, []byte("<nfeProc")) && !bytes.Contains(xml, []byte("<NFe")) {
		t.Errorf("saved file is not the NF-e: %.200s", xml)
	}
	c := imapSession(t, r.Sandbox(), "nfe")
	proc := folderSubjects(t, c, "Processados")
	inbox := folderSubjects(t, c, "INBOX")
	if len(proc) != 1 || !strings.HasPrefix(proc[0], "NF-e") || len(inbox) != 3 {
		t.Errorf("Processados %q, INBOX %q; want the NF-e moved, 3 left", proc, inbox)
	}
}

// supplierNFe is a new NF-e from the supplier's domain with an XML whose
// file name tries to leave the folder.
func supplierNFe(t *testing.T, n string) []byte {
	t.Helper()
	m := &mail.Message{
		From: "Faturamento <nfe@advmail.sandbox>", To: "nfe@empresa.com.br",
		Subject: "NF-e " + n + " - Fornecedor", Body: "Segue a nota " + n, BodyType: "text/plain",
		Attachments: []*mail.Attachment{{Name: "../../" + n + "-nfe.xml", ContentType: "application/xml",
			Data: []byte(`<?xml version="1.0"?><nfeProc><NFe><infNFe Id="NFe` + n + `"/></NFe></nfeProc>`)}},
	}
	data, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkImporterUntilCancelled runs the importer unbounded: after its first
// round it waits; a new NF-e appended meanwhile wakes it, gets imported,
// and cancelling the run then ends it within a second.
func checkImporterUntilCancelled(t *testing.T, script string) {
	t.Helper()
	dir := t.TempDir()
	var out syncBuffer
	sb, err := sandbox.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	r, err := runtime.New(runtime.Options{INI: []byte(importerINI(dir, "")), SandboxServer: sb, Stdout: &out,
		Libs: runtime.Libs{Unrestricted: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.DoFile(ctx, script) }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; output:\n%s", what, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("the first round", func() bool { return strings.Contains(out.String(), "Rodada 1:") })
	c, err := mail.DialIMAP(context.Background(), sb.Transport(mail.DefaultConfig()),
		mail.IMAPOptions{Endpoint: mail.Endpoint{Host: "imap.check", Security: mail.ImplicitTLS}}, "nfe", "x")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout()
	if err := c.Append("INBOX", supplierNFe(t, "99887766"), nil); err != nil {
		t.Fatal(err)
	}
	waitFor("the second round", func() bool { return strings.Contains(out.String(), "Rodada 2: 1 XML(s)") })
	// "Chegaram 1", or 2 on the sandbox: go-imap's memory server sends each
	// EXPUNGE of the MOVE twice, which leaves the session's count one short.
	if !strings.Contains(out.String(), "Chegaram ") {
		t.Errorf("the wait did not report the arrival:\n%s", out.String())
	}

	cancelled := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "cancel") {
			t.Errorf("DoFile after the cancel: %v, want a cancellation", err)
		}
		if took := time.Since(cancelled); took > time.Second {
			t.Errorf("the importer took %v to stop", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the importer did not stop after the cancel; output:\n%s", out.String())
	}

	// Both XMLs are in the folder under safe names (the "../../" is gone).
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 2 {
		t.Fatalf("%s holds %v, want 2 XMLs", dir, files)
	}
	if _, err := os.Stat(filepath.Join(dir, "99887766-nfe.xml")); err != nil {
		t.Errorf("the new NF-e is not saved under its safe name: %v (files %v)", err, files)
	}
	if n, err := c.Select("Processados"); err != nil || n != 2 {
		t.Errorf("Processados holds %d messages (%v), want 2", n, err)
	}
}

// syncBuffer is a bytes.Buffer safe for a script writing while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// U_XMLPastas starts one job per folder of MV_XMLPAST; each job runs the
// importer on its folder with its own connection.
func TestPrwXMLImporterJobs(t *testing.T) {
	dir := t.TempDir()
	var out syncBuffer
	ini := importerINI(dir, "MV_XMLROUND=1\nMV_XMLPAST=INBOX, Sent\n")
	r, err := runtime.New(runtime.Options{INI: []byte(ini), Sandbox: true, Stdout: &out, Libs: runtime.Libs{Unrestricted: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if _, err := r.RunAdvPL(context.Background(), []string{"xml_importer.prw"}, "XMLPastas"); err != nil {
		t.Fatalf("U_XMLPastas: %v\n%s", err, out.String())
	}
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(out.String(), "XMLs importados:") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the two jobs did not finish:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"Job iniciado para a pasta INBOX", "Job iniciado para a pasta Sent",
		"Aguardando XMLs de advmail.sandbox em INBOX", "Aguardando XMLs de advmail.sandbox em Sent"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.xml")); len(files) != 1 {
		t.Errorf("saved %v, want the INBOX NF-e only", files)
	}
}
