package integration

// WaitNewMsgs against Dovecot: IDLE woken by a message delivered through
// Postfix (submission → LMTP) while waiting, the timeout path and
// cancellation. User grace only (these tests empty her mailbox).

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/runtime"
)

// sendToGrace submits a message from alice to grace over submission.
func sendToGrace(t *testing.T, l *Lab, tr *mail.Transport, id, subject string) error {
	t.Helper()
	alice, grace := l.User(t, "alice"), l.User(t, "grace")
	c, err := mail.DialSMTP(context.Background(), tr, mail.SMTPOptions{Endpoint: endpoint(l, l.Ports.Submission, mail.StartTLS), Timeout: ioTimeout})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Auth(context.Background(), alice.Login, alice.Password); err != nil {
		return err
	}
	m := &mail.Message{From: alice.Address, To: grace.Address, Subject: subject, Body: "aguardando " + id, MessageID: id}
	if err := c.Send(context.Background(), m); err != nil {
		return err
	}
	return c.Quit()
}

func TestWaitNewIDLE(t *testing.T) {
	l := requireLab(t)
	l.ResetMailboxes(t, "grace")
	grace := l.User(t, "grace")
	for _, md := range imapModes(l) {
		t.Run(md.name, func(t *testing.T) {
			tr, trace := labTransport(labConfig(l, nil))
			c := dialIMAP(t, tr, endpoint(l, md.port, md.sec), grace)
			before, err := c.Select("INBOX")
			if err != nil {
				t.Fatal(err)
			}

			// Timeout: nothing arrives.
			start := time.Now()
			n, err := c.WaitNew(context.Background(), 700*time.Millisecond)
			if err != nil || n != 0 {
				t.Fatalf("WaitNew (timeout) = %d, %v; want 0, nil", n, err)
			}
			if took := time.Since(start); took < 700*time.Millisecond || took > 5*time.Second {
				t.Errorf("the timeout took %v", took)
			}

			// Woken by a message delivered through Postfix while waiting.
			id := uniqueID("wait-" + md.name)
			sent := make(chan error, 1)
			time.AfterFunc(300*time.Millisecond, func() { sent <- sendToGrace(t, l, tr, id, "NF-e aguardada "+id) })
			start = time.Now()
			n, err = c.WaitNew(context.Background(), deliveryWait+20*time.Second)
			if err != nil || n != 1 {
				t.Fatalf("WaitNew (delivery) = %d, %v; want 1, nil", n, err)
			}
			if err := <-sent; err != nil {
				t.Fatalf("send: %v", err)
			}
			t.Logf("%s: woken %v after the wait started", md.name, time.Since(start))
			if total, err := c.Count(); err != nil || total != before+1 {
				t.Errorf("Count after the wait = %d, %v; want %d", total, err, before+1)
			}
			if !strings.Contains(trace.String(), " IDLE") || !strings.Contains(trace.String(), "DONE") {
				t.Errorf("no IDLE ... DONE in the trace")
			}
			if strings.Contains(trace.String(), grace.Password) {
				t.Errorf("the password is in the trace")
			}
		})
	}
}

func TestWaitNewCancel(t *testing.T) {
	l := requireLab(t)
	grace := l.User(t, "grace")
	tr, _ := labTransport(labConfig(l, nil))
	c := dialIMAP(t, tr, endpoint(l, l.Ports.IMAPS, mail.ImplicitTLS), grace)
	before, err := c.Count()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var at time.Time
	time.AfterFunc(300*time.Millisecond, func() { at = time.Now(); cancel() })
	n, err := c.WaitNew(ctx, time.Minute)
	late := time.Since(at)
	if mail.CodeOf(err) != mail.ErrCanceled || n != 0 {
		t.Fatalf("WaitNew after cancel = %d, %v; want 0, ErrCanceled", n, err)
	}
	if late > 100*time.Millisecond {
		t.Errorf("WaitNew returned %v after the cancel, want <= 100ms", late)
	}
	// IDLE was ended properly: the next command works.
	if total, err := c.Count(); err != nil || total != before {
		t.Errorf("Count after the cancel = %d, %v; want %d, nil", total, err, before)
	}
	if _, err := c.WaitNew(context.Background(), 0); err != nil {
		t.Errorf("WaitNew(0) after the cancel: %v", err)
	}
}

// checkXMLImporter runs the XML importer example against Dovecot as grace,
// unbounded: the first round imports the seeded NF-e, a second NF-e
// delivered through Postfix while it waits (IDLE) wakes it, and a cancel
// stops it within a second.
func checkXMLImporter(t *testing.T, script string) {
	t.Helper()
	l := requireLab(t)
	grace, alice := l.User(t, "grace"), l.User(t, "alice")
	l.ResetMailboxes(t, grace.Address)
	xml := func(n string) *mail.Attachment {
		return &mail.Attachment{Name: n + "-nfe.xml", ContentType: "application/xml",
			Data: []byte(`<?xml version="1.0"?><nfeProc><NFe><infNFe Id="NFe` + n + `"/></NFe></nfeProc>`)}
	}
	seeded := []*mail.Message{
		{From: "nfe@lab.test", To: grace.Address, Subject: "NF-e 1001", Body: "nota", MessageID: uniqueID("xml1"),
			Attachments: []*mail.Attachment{xml("1001")}},
		{From: "outro@example.org", To: grace.Address, Subject: "NF-e de outro fornecedor", Body: "nota", MessageID: uniqueID("xml2"),
			Attachments: []*mail.Attachment{xml("2002")}},
		{From: "nfe@lab.test", To: grace.Address, Subject: "Aviso sem XML", Body: "aviso", MessageID: uniqueID("xml3")},
	}
	seed(t, l, grace, seeded...)

	dir := t.TempDir()
	ini := writeINI(t, l, map[string]string{"Protocol": "IMAP"}, map[string]string{
		"MV_XMLSRV": l.TLSServerName, "MV_XMLUSR": grace.Login, "MV_XMLPSW": grace.Password,
		"MV_XMLPOR": strconv.Itoa(l.Ports.IMAPS), "MV_XMLSSL": ".T.", "MV_XMLDOM": "lab.test",
		"MV_XMLDIR": filepath.ToSlash(dir), "MV_XMLPROC": "Processados", "MV_XMLWAIT": "60",
		"MV_XMLROUND": "0", "MV_XMLPAST": "INBOX",
	})
	checkParameters(t, ini, script)
	out := new(syncBuffer)
	r, err := runtime.New(runtime.Options{ConfigPath: ini, Stdout: out, Libs: runtime.Libs{Unrestricted: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*scriptTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.DoFile(ctx, scriptPath(script)) }()
	waitOut := func(what string) {
		t.Helper()
		deadline := time.Now().Add(deliveryWait + 20*time.Second)
		for !strings.Contains(out.String(), what) {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("timed out waiting for %q; output:\n%s", what, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitOut("Rodada 1: 1 XML(s)")

	tr, _ := labTransport(labConfig(l, nil))
	c, err := mail.DialSMTP(context.Background(), tr, mail.SMTPOptions{Endpoint: endpoint(l, l.Ports.Submission, mail.StartTLS), Timeout: ioTimeout})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(context.Background(), alice.Login, alice.Password); err != nil {
		t.Fatal(err)
	}
	m := &mail.Message{From: alice.Address, To: grace.Address, Subject: "NF-e 3003 via Postfix", Body: "nota",
		MessageID: uniqueID("xml4"), Attachments: []*mail.Attachment{xml("3003")}}
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	waitOut("Rodada 2: 1 XML(s)")
	if !strings.Contains(out.String(), "Chegaram 1 mensagem(ns)") {
		t.Errorf("the wait did not report one arrival:\n%s", out.String())
	}

	at := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("the importer ended without an error after the cancel")
		}
		if took := time.Since(at); took > time.Second {
			t.Errorf("the importer took %v to stop", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the importer did not stop; output:\n%s", out.String())
	}
	for _, n := range []string{"1001", "3003"} {
		if _, err := os.Stat(filepath.Join(dir, n+"-nfe.xml")); err != nil {
			t.Errorf("NF-e %s not saved: %v", n, err)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 2 {
		t.Errorf("saved %v, want the two supplier XMLs", files)
	}
	if n := messageCount(t, l, grace, "Processados"); n != 2 {
		t.Errorf("Processados holds %d messages, want 2", n)
	}
	inbox := folderSubjects(t, l, grace, "INBOX")
	sort.Strings(inbox)
	if !slices.Equal(inbox, []string{"Aviso sem XML", "NF-e de outro fornecedor"}) {
		t.Errorf("INBOX holds %q, want the other supplier's NF-e and the notice", inbox)
	}
}
