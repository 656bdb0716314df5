package integration

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/advmail/advmail/mail"
)

// richContent is what a rich test message carries, for comparison after delivery.
type richContent struct {
	subject, html string
	inlineCID     string
	logo          []byte
	files         map[string]*mail.Attachment // by decoded file name
}

// Names of the rich message's attachments.
const (
	blobName     = "relatorio-vendas-2026.pdf"
	xmlName      = "NFe35260312345678000190550010000012341000012345.xml"
	accentedName = "Relatório Anual de Operações — Março 2026 (versão final, revisão nº 3) ção.txt"
)

// newRichContent builds the content of a rich message: an accented subject
// carrying token, an HTML body referring to an inline image, a PDF-like
// binary blob holding all 256 byte values, an XML with accents and a text
// file whose accented name needs RFC 2231 continuations.
func newRichContent(t *testing.T, token string) richContent {
	var blob bytes.Buffer
	blob.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	for i := 0; i < 64; i++ {
		for b := 0; b < 256; b++ {
			blob.WriteByte(byte(b + i)) // every byte value, in shifting order
		}
	}
	blob.WriteString("\n%%EOF\r\n\x00\xff")
	xml := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<nfeProc versao="4.00"><NFe><infNFe Id="NFe35260312345678000190550010000012341000012345">` + "\n" +
		`  <emit><xNome>Indústria de Calçados São João Ltda</xNome><xMun>São Paulo</xMun></emit>` + "\n" +
		`  <dest><xNome>Comércio Açaí &amp; Cia — filial Goiânia</xNome></dest>` + "\n" +
		`  <det nItem="1"><prod><xProd>Sandália couro nº 38 – edição ção</xProd><vProd>1234.56</vProd></prod></det>` + "\n" +
		`</infNFe></NFe></nfeProc>` + "\n"
	text := "Conteúdo do relatório: ação, emoção, pão, ñandú, ÅÄÖ, 漢字.\r\nSegunda linha.\r\n"
	c := richContent{
		subject:   "Relatório de Vendas — Março/2026 ção [" + token + "]",
		inlineCID: "logo." + token + "@advmail.test",
		logo:      assetBytes(t, "logo.png"),
		files: map[string]*mail.Attachment{
			blobName:     {Name: blobName, ContentType: "application/pdf", Data: blob.Bytes()},
			xmlName:      {Name: xmlName, ContentType: "application/xml", Data: []byte(xml)},
			accentedName: {Name: accentedName, ContentType: "text/plain", Data: []byte(text)},
		},
	}
	c.html = `<html><body><p>Prezado João,</p><p>Segue o relatório de março — ação nº 42, “aspas” e ç.</p>` +
		`<p><img src="cid:` + c.inlineCID + `" alt="logo"/></p></body></html>`
	return c
}

// message returns the content as a message with the given addresses.
func (c richContent) message(from, to, cc, bcc, id string) *mail.Message {
	m := &mail.Message{
		From: from, To: to, Cc: cc, Bcc: bcc,
		Subject: c.subject, Body: c.html, BodyType: "text/html", MessageID: id,
	}
	for _, name := range []string{blobName, xmlName, accentedName} {
		a := *c.files[name]
		m.Attachments = append(m.Attachments, &a)
	}
	m.Attachments = append(m.Attachments, &mail.Attachment{Name: "logo.png", ContentType: "image/png", ContentID: c.inlineCID, Data: c.logo})
	return m
}

// check compares a delivered copy with the content sent.
func (c richContent) check(t *testing.T, how string, f fetched, id string) {
	t.Helper()
	m := f.msg
	if m.MessageID != id {
		t.Errorf("%s: Message-ID %q, want %q", how, m.MessageID, id)
	}
	if m.Subject != c.subject {
		t.Errorf("%s: subject %q, want %q", how, m.Subject, c.subject)
	}
	if got, want := normalize(m.HTMLBody), normalize(c.html); got != want {
		t.Errorf("%s: HTML body\n got %q\nwant %q", how, got, want)
	}
	for _, want := range []string{"Prezado João,", "Segue o relatório de março — ação nº 42, “aspas” e ç."} {
		if !strings.Contains(m.TextBody, want) {
			t.Errorf("%s: text alternative lacks %q: %q", how, want, m.TextBody)
		}
	}
	if !strings.Contains(string(f.raw), "filename*0*=utf-8''") {
		t.Errorf("%s: the accented file name is not sent as RFC 2231 continuations:\n%s", how, f.raw)
	}
	seen := map[string]bool{}
	for _, a := range m.Attachments {
		if a.ContentID != "" {
			if a.ContentID != c.inlineCID || a.Disposition != "inline" || !bytes.Equal(a.Data, c.logo) {
				t.Errorf("%s: inline part cid %q disposition %q (%d bytes), want cid %q inline (%d bytes)",
					how, a.ContentID, a.Disposition, len(a.Data), c.inlineCID, len(c.logo))
			}
			seen["cid"] = true
			continue
		}
		want, ok := c.files[a.Name]
		if !ok {
			t.Errorf("%s: unexpected attachment %q (%s, %d bytes)", how, a.Name, a.ContentType, len(a.Data))
			continue
		}
		seen[a.Name] = true
		if a.ContentType != want.ContentType || a.Disposition != "attachment" {
			t.Errorf("%s: %q is %s/%s, want %s/attachment", how, a.Name, a.ContentType, a.Disposition, want.ContentType)
		}
		if !bytes.Equal(a.Data, want.Data) {
			t.Errorf("%s: %q differs: %d bytes, want %d (first difference at %d)", how, a.Name, len(a.Data), len(want.Data), firstDiff(a.Data, want.Data))
		}
	}
	if len(seen) != len(c.files)+1 {
		t.Errorf("%s: got parts %v, want the 3 files and the inline image", how, seen)
	}
	if !strings.Contains(string(f.raw), "multipart/related") {
		t.Errorf("%s: the inline image is not in a multipart/related", how)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// hasBccField reports whether a header section has a Bcc field.
func hasBccField(header string) bool {
	for _, line := range strings.Split(header, "\r\n") {
		if len(line) >= 4 && strings.EqualFold(line[:4], "bcc:") {
			return true
		}
	}
	return false
}

// onlyMechanism returns a config mutation allowing just mech for AUTH.
func onlyMechanism(mech string) func(*mail.Config) {
	return func(c *mail.Config) {
		c.AuthPlain = mech == mail.MechPlain
		c.AuthLogin = mech == mail.MechLogin
		c.AuthCramMD5 = mech == mail.MechCRAMMD5
		c.AuthNTLM = mech == mail.MechNTLM
		c.AuthXOAuth2 = false
	}
}

// authCommand finds the mechanism of the AUTH / AUTHENTICATE command in a
// trace (the argument after it is redacted by the engine).
var authCommand = regexp.MustCompile(`(?m)\b(?:AUTH|AUTHENTICATE) ([A-Z0-9-]+)(?: \[redacted\])?$`)

func traceMechanisms(trace string) []string {
	var out []string
	for _, m := range authCommand.FindAllStringSubmatch(trace, -1) {
		out = append(out, m[1])
	}
	return out
}

// checkNoSecrets fails when a password shows up in a protocol trace.
func checkNoSecrets(t *testing.T, trace string, users ...LabUser) {
	t.Helper()
	for _, u := range users {
		if strings.Contains(trace, u.Password) {
			t.Errorf("the trace shows %s's password", u.Name)
		}
	}
}

// TestSendAndReceive sends one rich message per SMTP mode and AUTH
// mechanism (To bob, Cc alice, Bcc carol) with certificate verification on,
// and reads the same message back over POP3+STLS, POP3S, IMAP+STARTTLS and
// IMAPS, comparing everything that was sent.
func TestSendAndReceive(t *testing.T) {
	l := requireLab(t)
	alice, bob, carol := l.User(t, "alice"), l.User(t, "bob"), l.User(t, "carol")

	type sendMode struct {
		name     string
		port     int
		sec      mail.Security
		auth     bool
		only     string // the one AUTH mechanism allowed, "" for all
		wantMech string // mechanism the trace must show
	}
	modes := []sendMode{
		{"port25-plain-noauth", l.Ports.SMTP, mail.Plain, false, "", ""},
		// All mechanisms allowed: the strongest offered wins (CRAM-MD5).
		{"submission-starttls-auth", l.Ports.Submission, mail.StartTLS, true, "", mail.MechCRAMMD5},
		{"smtps-auth", l.Ports.SMTPS, mail.ImplicitTLS, true, "", mail.MechCRAMMD5},
	}
	for _, mech := range l.AuthMechanisms {
		modes = append(modes,
			sendMode{"submission-" + mech, l.Ports.Submission, mail.StartTLS, true, mech, mech},
			sendMode{"smtps-" + mech, l.Ports.SMTPS, mail.ImplicitTLS, true, mech, mech})
	}
	for _, sm := range modes {
		t.Run(sm.name, func(t *testing.T) {
			l.ResetMailboxes(t, alice.Address, bob.Address, carol.Address)
			var mutate func(*mail.Config)
			if sm.only != "" {
				mutate = onlyMechanism(sm.only)
			}
			tr, trace := labTransport(labConfig(l, mutate))

			content := newRichContent(t, sm.name)
			id := uniqueID(sm.name)
			msg := content.message(
				`"Alice Araújo" <`+alice.Address+`>`,
				"Bob Brandão <"+bob.Address+">",
				"Alice <"+alice.Address+">",
				"Carol Conceição <"+carol.Address+">",
				id)

			c := dialSMTP(t, tr, endpoint(l, sm.port, sm.sec))
			if c.Security() != sm.sec {
				t.Fatalf("session security %s, want %s", c.Security(), sm.sec)
			}
			if sm.auth {
				if err := c.Auth(t.Context(), alice.Login, alice.Password); err != nil {
					t.Fatalf("Auth: %v", err)
				}
			}
			if err := c.Send(t.Context(), msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if err := c.Quit(); err != nil {
				t.Errorf("Quit: %v", err)
			}
			got := traceMechanisms(trace.String())
			switch {
			case !sm.auth && len(got) != 0:
				t.Errorf("AUTH was sent on the unauthenticated session: %v", got)
			case sm.auth && !slices.Equal(got, []string{sm.wantMech}):
				t.Errorf("AUTH mechanisms used %v, want [%s]\ntrace:\n%s", got, sm.wantMech, trace)
			}
			checkNoSecrets(t, trace.String(), alice)

			for _, u := range []LabUser{bob, alice, carol} {
				waitDelivered(t, l, u, id)
			}
			for _, md := range popModes(l) {
				f := popFetch(t, l, tr, md, bob, id)
				content.check(t, md.name, f, id)
				checkNotBcc(t, md.name, f, carol)
			}
			for _, md := range imapModes(l) {
				f := imapFetch(t, l, tr, md, bob, id)
				content.check(t, md.name, f, id)
				checkNotBcc(t, md.name, f, carol)
			}
			// The Bcc recipient got the same message, still without a Bcc field.
			f := imapFetch(t, l, tr, imapModes(l)[1], carol, id)
			content.check(t, "carol imaps", f, id)
			if hasBccField(f.header()) {
				t.Errorf("carol's copy has a Bcc field:\n%s", f.header())
			}
			// The message is stored once per recipient, no more.
			for _, u := range []LabUser{bob, alice, carol} {
				if n := len(searchHeader(t, l, u, "INBOX", "Message-ID", id)); n != 1 {
					t.Errorf("%s has %d copies, want 1", u.Address, n)
				}
			}
		})
	}
}

// checkNotBcc checks that a copy delivered to a visible recipient shows
// neither a Bcc field nor the Bcc address.
func checkNotBcc(t *testing.T, how string, f fetched, bcc LabUser) {
	t.Helper()
	if hasBccField(f.header()) {
		t.Errorf("%s: delivered header has a Bcc field:\n%s", how, f.header())
	}
	if strings.Contains(strings.ToLower(string(f.raw)), bcc.Name+"@") || strings.Contains(string(f.raw), "Conceição") {
		t.Errorf("%s: the Bcc recipient %s shows in the delivered message:\n%s", how, bcc.Address, f.header())
	}
}

// TestSendPlainText sends a text/plain message over each TLS submission
// mode and checks the text body byte for byte (CRLF aside) over IMAPS and POP3S.
func TestSendPlainText(t *testing.T) {
	l := requireLab(t)
	alice, bob := l.User(t, "alice"), l.User(t, "bob")
	body := "Olá Bob,\n\nsegue a posição do estoque: 12 ações, 3 pães, 1 maçã.\nLinha com ponto:\n.\n..fim\n\n-- \nAlice\n"
	for _, sm := range []mode{
		{"submission", l.Ports.Submission, mail.StartTLS},
		{"smtps", l.Ports.SMTPS, mail.ImplicitTLS},
	} {
		t.Run(sm.name, func(t *testing.T) {
			l.ResetMailboxes(t, bob.Address)
			tr, _ := labTransport(labConfig(l, nil))
			id := uniqueID("text-" + sm.name)
			subject := fmt.Sprintf("Posição do estoque — ação ç [%s]", sm.name)
			c := dialSMTP(t, tr, endpoint(l, sm.port, sm.sec))
			if err := c.Auth(t.Context(), alice.Login, alice.Password); err != nil {
				t.Fatalf("Auth: %v", err)
			}
			m := &mail.Message{From: alice.Address, To: bob.Address, Subject: subject, Body: body, BodyType: "text/plain", MessageID: id}
			if err := c.Send(t.Context(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			c.Quit()
			waitDelivered(t, l, bob, id)
			for _, f := range []fetched{
				imapFetch(t, l, tr, imapModes(l)[1], bob, id),
				popFetch(t, l, tr, popModes(l)[1], bob, id),
			} {
				if f.msg.Subject != subject || f.msg.HTMLBody != "" || normalize(f.msg.TextBody) != normalize(body) {
					t.Errorf("subject %q html %q text\n%q, want %q and text\n%q", f.msg.Subject, f.msg.HTMLBody, f.msg.TextBody, subject, body)
				}
				if len(f.msg.Attachments) != 0 {
					t.Errorf("unexpected attachments %v", f.msg.Attachments)
				}
			}
		})
	}
}

// TestReceiveAuthMechanisms logs into POP3 and IMAP with each mechanism the
// engine uses there, as carol, whose password has spaces, quotes and '@'.
func TestReceiveAuthMechanisms(t *testing.T) {
	l := requireLab(t)
	carol := l.User(t, "carol")
	l.ResetMailboxes(t, carol.Address)
	id := uniqueID("receive-auth")
	seed(t, l, carol, &mail.Message{From: "x@example.org", To: carol.Address, Subject: "auth", Body: "x", BodyType: "text/plain", MessageID: id})

	type tc struct {
		name   string
		only   string // "" with none: every SASL mechanism disabled
		none   bool
		want   []string // AUTH/AUTHENTICATE mechanisms in the trace
		marker string   // another trace line that must appear, e.g. "LOGIN [redacted]"
	}
	imapCases := []tc{}
	for _, mech := range l.AuthMechanisms {
		c := tc{name: mech, only: mech, want: []string{mech}}
		if mech == mail.MechLogin {
			c.want, c.marker = nil, "LOGIN [redacted]" // the IMAP LOGIN command
		}
		imapCases = append(imapCases, c)
	}
	popCases := []tc{
		{name: "PLAIN", only: mail.MechPlain, want: []string{"PLAIN"}},
		{name: "LOGIN", only: mail.MechLogin, want: []string{"LOGIN"}},
		{name: "USER-PASS", none: true, marker: "PASS [redacted]"},
	}
	configFor := func(c tc) *mail.Config {
		if c.none {
			return labConfig(l, onlyMechanism(""))
		}
		return labConfig(l, onlyMechanism(c.only))
	}
	check := func(t *testing.T, c tc, trace string) {
		t.Helper()
		if got := traceMechanisms(trace); !slices.Equal(got, c.want) {
			t.Errorf("mechanisms %v, want %v\n%s", got, c.want, trace)
		}
		if c.marker != "" && !strings.Contains(trace, c.marker) {
			t.Errorf("trace lacks %q:\n%s", c.marker, trace)
		}
		checkNoSecrets(t, trace, carol)
	}
	for _, md := range imapModes(l) {
		for _, c := range imapCases {
			t.Run(md.name+"/"+c.name, func(t *testing.T) {
				tr, trace := labTransport(configFor(c))
				s := dialIMAP(t, tr, endpoint(l, md.port, md.sec), carol)
				if seq := imapFind(t, s, "INBOX", id); seq != 1 {
					t.Errorf("seeded message at %d, want 1", seq)
				}
				s.Logout()
				check(t, c, trace.String())
			})
		}
	}
	for _, md := range popModes(l) {
		for _, c := range popCases {
			t.Run(md.name+"/"+c.name, func(t *testing.T) {
				tr, trace := labTransport(configFor(c))
				s := dialPOP3(t, tr, endpoint(l, md.port, md.sec), carol)
				if n, _, err := s.Stat(); err != nil || n != 1 {
					t.Errorf("STAT = %d, %v; want 1 message", n, err)
				}
				s.Quit()
				check(t, c, trace.String())
			})
		}
	}
}
