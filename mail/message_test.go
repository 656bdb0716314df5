package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gomessage "github.com/emersion/go-message"
)

// wantAttachment describes an expected parsed attachment. Data is compared
// exactly when set, else by SHA-256 and size.
type wantAttachment struct {
	Name, ContentType, Disposition, DispositionName, ContentID, Location string
	Data                                                                 string
	SHA256                                                               string
	Size                                                                 int
}

type wantMessage struct {
	From, To, Cc, Bcc, ReplyTo string
	Subject, Date, MessageID   string
	XMailer                    string
	Priority                   int
	ConfirmRead                bool
	BodyType                   string
	TextBody, HTMLBody         string
	Headers                    map[string]string // name (any case) -> decoded value
	Attachments                []wantAttachment
}

var corpus = map[string]wantMessage{
	"iso-8859-1.eml": {
		From:      "José Araújo <faturamento@distribuidora.com.br>",
		To:        "Compras <compras@empresa.com.br>",
		Subject:   "Cotação de preços - Açúcar e Café",
		Date:      "Tue, 12 Mar 2024 09:14:58 -0300",
		MessageID: "20240312091458.4F2A1@distribuidora.com.br",
		XMailer:   "Microsoft Outlook 16.0",
		BodyType:  "text/plain",
		TextBody: "Prezados,\r\n\r\nSegue a cotação solicitada:\r\n\r\n" +
			"Açúcar cristal (saco 50 kg): R$ 189,90\r\nCafé torrado e moído (pacote 500 g): R$ 17,45\r\n\r\n" +
			"Observação: preços válidos até o fim do mês, sujeitos à disponibilidade de estoque.\r\n\r\n" +
			"Atenciosamente,\r\nJosé Araújo\r\n",
		Headers: map[string]string{
			"Received": "from mail.distribuidora.com.br (mail.distribuidora.com.br [200.150.1.10]) " +
				"by mx.empresa.com.br with ESMTP id 4Xk2P1 for <compras@empresa.com.br>; Tue, 12 Mar 2024 09:15:02 -0300",
			"return-path:": "<faturamento@distribuidora.com.br>",
			"Content-Type": `text/plain; charset="ISO-8859-1"`,
		},
	},
	"windows-1252.eml": {
		From:        "Promoções “Verão” Ltda <vendas@loja.com.br>",
		To:          "cliente@gmail.com",
		Subject:     "“Black Friday” – até 70% off € confira!",
		Date:        "Fri, 29 Nov 2024 06:00:00 -0300",
		MessageID:   "bf2024.0001@loja.com.br",
		Priority:    1, // Importance: High
		ConfirmRead: true,
		BodyType:    "text/html",
		HTMLBody:    "<html><body><p>Pre&ccedil;os imperd&iacute;veis – só hoje!</p><p>€ 100 de desconto na primeira compra.</p></body></html>\r\n",
	},
	"nested.eml": {
		From:      "Maria Souza <maria.souza@empresa.com.br>",
		To:        "Financeiro <financeiro@empresa.com.br>, diretoria@empresa.com.br",
		Cc:        "João Pereira <joao.pereira@empresa.com.br>",
		Subject:   "Relatório mensal de despesas",
		Date:      "Fri, 1 Mar 2024 17:42:10 -0300",
		MessageID: "a1b2c3d4-e5f6-7890-abcd-ef1234567890@empresa.com.br",
		XMailer:   "Mozilla Thunderbird",
		BodyType:  "text/html",
		TextBody:  "Olá equipe,\r\n\r\nSegue o relatório de fevereiro. Total: R$ 12.345,67.\r\n\r\nMaria\r\n",
		HTMLBody: "<html><body><p>Olá equipe,</p><p>Segue o relatório de fevereiro. Total: <b>R$ 12.345,67</b>.</p>" +
			"<p><img src=\"cid:grafico@empresa\"></p><p>Maria</p></body></html>\r\n",
		Headers: map[string]string{"Content-Language": "pt-BR"},
		Attachments: []wantAttachment{
			{Name: "grafico.png", ContentType: "image/png", Disposition: "inline", DispositionName: "grafico.png",
				ContentID: "grafico@empresa", SHA256: "43739c566e26fd7cb88f69d3864ea34740372f5ee99acac169e090beffbce5c6", Size: 68},
			{Name: "despesas-fev.pdf", ContentType: "application/pdf", Disposition: "attachment", DispositionName: "despesas-fev.pdf",
				SHA256: "8ce6b02aab3d8d5555df9e26934d9ee9988a63d2e6bc3a9edb444f5493d6a6a8", Size: 163},
		},
	},
	"forwarded.eml": {
		From:      "Suporte TI <suporte@empresa.com.br>",
		To:        "auditoria@empresa.com.br",
		Subject:   "Fwd: Alerta de acesso",
		Date:      "Mon, 04 Mar 2024 08:00:00 -0300",
		MessageID: "fwd-20240304@empresa.com.br",
		BodyType:  "text/plain",
		TextBody:  "Encaminho a mensagem original em anexo.\n",
		Attachments: []wantAttachment{
			{Name: "Alerta_ acesso não autorizado.eml", ContentType: "message/rfc822", Disposition: "inline",
				Data: "From: Sistema <noreply@sistema.com.br>\nTo: suporte@empresa.com.br\n" +
					"Subject: =?UTF-8?Q?Alerta:_acesso_n=C3=A3o_autorizado?=\nDate: Sun, 03 Mar 2024 23:59:59 -0300\n" +
					"Message-ID: <alerta-991@sistema.com.br>\nContent-Type: text/plain; charset=UTF-8\n\n" +
					"Tentativa de acesso bloqueada."},
			{Name: "original.eml", ContentType: "message/rfc822", Disposition: "attachment", DispositionName: "original.eml",
				Data: "From: financeiro@empresa.com.br\nTo: suporte@empresa.com.br\nSubject: Senha expirada\n\nMinha senha expirou."},
		},
	},
	"rfc2231.eml": {
		From:      "Planejamento <planejamento@fabrica.com.br>",
		To:        "gerencia@fabrica.com.br",
		Subject:   "Arquivos do fechamento",
		Date:      "Thu, 28 Mar 2024 18:30:00 -0300",
		MessageID: "fechamento-0328@fabrica.com.br",
		BodyType:  "text/plain",
		TextBody:  "Arquivos em anexo.",
		Attachments: []wantAttachment{
			{Name: "Relatório de Produção - Março.pdf", ContentType: "application/pdf", Disposition: "attachment",
				DispositionName: "Relatório de Produção - Março.pdf",
				SHA256:          "390d02af42d52bc51a5f0288b360cf03c64ee5c6283a89ee418f23b16a169a58", Size: 159},
			{Name: "observações.txt", ContentType: "text/plain", Disposition: "attachment", DispositionName: "observações.txt",
				Data: "Entrega prevista para 15/03.\r\nConfirmar recebimento até sexta."},
			{Name: "planilha_de_custos_consolidados_primeiro_trimestre_2024.xlsx",
				ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Disposition: "attachment",
				DispositionName: "planilha_de_custos_consolidados_primeiro_trimestre_2024.xlsx",
				Data:            "PK\x03\x04 fake xlsx content"},
			{Name: "orçamento–v2.zip", ContentType: "application/octet-stream", Disposition: "attachment",
				Data: "PK\x03\x04 fake zip"},
		},
	},
	"no-charset-8bit.eml": {
		From:     "Fábio Gonçalves <fabio@filial.com.br>",
		To:       "recepcao@filial.com.br",
		Subject:  "Reunião amanhã",
		Date:     "Wed, 10 Apr 2024 16:20:00 -0300",
		BodyType: "text/plain",
		TextBody: "Olá, a reunião será às 14h na sala de conferência.\r\nPreço do café: € 2,50 – pago na recepção.\r\nAté logo.\r\n",
		Headers:  map[string]string{"X-Origem": "Filial São José"},
	},
	"broken-base64.eml": {
		From:     "Sistema Legado <legado@empresa.com.br>",
		To:       "ti@empresa.com.br",
		Subject:  "Exportacao noturna",
		Date:     "Sat, 13 Apr 2024 02:00:00 -0300",
		BodyType: "text/plain",
		TextBody: "Exportacao concluida com avisos.",
		Attachments: []wantAttachment{
			// garbage inside and no padding: everything still decodes
			{Name: "pedidos.txt", ContentType: "text/plain", Disposition: "attachment", DispositionName: "pedidos.txt",
				Data: "Pedido 4711: 10 caixas\nPedido 4712: 5 caixas\n"},
			// two encodings glued together
			{Name: "notas.dat", ContentType: "application/octet-stream", Disposition: "attachment", DispositionName: "notas.dat",
				Data: "abc12xyz"},
			// unknown transfer encoding: raw
			{Name: "legado.uue", ContentType: "application/octet-stream", Disposition: "attachment", DispositionName: "legado.uue",
				Data: "begin 644 legado.txt\r\nend"},
			// truncated message, no closing delimiter, cut inside a quantum
			{Name: "fim.txt", ContentType: "text/plain", Disposition: "attachment", DispositionName: "fim.txt",
				Data: "Fim do arqui"},
		},
	},
	"folded-headers.eml": {
		From:      "Departamento de Recursos Humanos da Empresa Exemplo <rh@empresa.com.br>",
		To:        "Ana <ana@empresa.com.br>, Bruno <bruno@empresa.com.br>, Carla <carla@empresa.com.br>",
		Subject:   "Comunicado importante: alteração no horário de funcionamento durante o período de férias coletivas",
		Date:      "Mon, 15 Jul 2024 10:00:00 -0300",
		MessageID: "rh-comunicado-15@empresa.com.br",
		BodyType:  "text/plain",
		TextBody:  "Prezados colaboradores,\n\nDurante as férias coletivas o expediente será das 8h às 14h.\n",
		Headers: map[string]string{
			"X-Workflow-ID:": "WF-2024-000123",
			"x-long-header":  "part one part two part three",
			"X-Spaced-Name":  "spaced value",
			"Content-Type":   `text/plain; charset="utf-8"`,
		},
	},
	"inline-image.eml": {
		From:      "Comercial <comercial@empresa.com.br>",
		To:        "cliente@cliente.com.br",
		Subject:   "Proposta comercial",
		Date:      "Tue, 16 Apr 2024 11:05:00 -0300",
		MessageID: "DM6PR01MB1234.namprd01.prod.outlook.com",
		Priority:  2,
		BodyType:  "text/html",
		TextBody:  "Segue nossa proposta.\r\n[cid:image001.png@01DA7B2C.3E4F5A60]\r\n",
		HTMLBody:  "<html><body><p>Segue nossa proposta.</p><img src=\"cid:image001.png@01DA7B2C.3E4F5A60\"><img src=\"banner.jpg\"></body></html>\r\n",
		Attachments: []wantAttachment{
			{Name: "image001.png", ContentType: "image/png", Disposition: "inline", ContentID: "image001.png@01DA7B2C.3E4F5A60",
				SHA256: "43739c566e26fd7cb88f69d3864ea34740372f5ee99acac169e090beffbce5c6", Size: 68},
			{ContentType: "image/jpeg", Disposition: "inline", Location: "banner.jpg",
				Data: "\xff\xd8\xff\xe0 fake jpeg \xff\xd9"},
		},
	},
	"nfe.eml": {
		From:      "NF-e Distribuidora Exemplo <nfe@distribuidoraexemplo.com.br>",
		To:        "xml@cliente.com.br",
		Cc:        "compras@cliente.com.br",
		Subject:   "NF-e Nº 000.123 - Série 001 - DISTRIBUIDORA EXEMPLO LTDA",
		Date:      "Tue, 12 Mar 2024 10:15:00 -0300",
		MessageID: "1710248100000.12345@protheus.distribuidoraexemplo.com.br",
		XMailer:   "TOTVS Protheus",
		BodyType:  "text/html",
		HTMLBody: "<html><body>Prezado cliente,<br>segue em anexo o XML e o DANFE da Nota Fiscal Eletrônica nº 000.123." +
			"<br>Chave de acesso: 3524 0312 3456 7800 0199 5500 1000 0001 2310 0000 1234</body></html>",
		Attachments: []wantAttachment{
			{Name: "35240312345678000199550010000001231000001234-nfe.xml", ContentType: "text/xml", Disposition: "attachment",
				DispositionName: "35240312345678000199550010000001231000001234-nfe.xml",
				SHA256:          "1b54f143a2f19bf543be98eae523951c7561ca67da94362522eb29fceb5e2229", Size: 502},
			{Name: "DANFE_000123.pdf", ContentType: "application/pdf", Disposition: "attachment", DispositionName: "DANFE_000123.pdf",
				SHA256: "990672ae66074bc733cf7195de6ee2d01a8ae675f12d9c39683cfdfe4484ec9b", Size: 157},
		},
	},
	"mbox-plain.eml": {
		From:     "sender@example.org",
		To:       `"Silva, Ana" <ana@example.org>, bob@example.org`,
		Bcc:      "arquivo@example.org",
		Subject:  "Teste simples",
		Date:     "15 Apr 2024 09:00 -0300",
		BodyType: "text/plain",
		TextBody: "Linha 1\nLinha 2\n",
	},
}

func TestParseCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "messages", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	seen := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			want, ok := corpus[name]
			if !ok {
				t.Fatalf("%s has no expected values in the corpus table", name)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkMessage(t, m, want)
		})
	}
	for name := range corpus {
		if !seen[name] {
			t.Errorf("corpus table names %s, which is not in testdata/messages", name)
		}
	}
}

func checkMessage(t *testing.T, m *Message, want wantMessage) {
	t.Helper()
	fields := []struct{ name, got, want string }{
		{"From", m.From, want.From}, {"To", m.To, want.To}, {"Cc", m.Cc, want.Cc}, {"Bcc", m.Bcc, want.Bcc},
		{"ReplyTo", m.ReplyTo, want.ReplyTo}, {"Subject", m.Subject, want.Subject}, {"Date", m.Date, want.Date},
		{"MessageID", m.MessageID, want.MessageID}, {"XMailer", m.XMailer, want.XMailer},
		{"BodyType", m.BodyType, want.BodyType}, {"TextBody", m.TextBody, want.TextBody}, {"HTMLBody", m.HTMLBody, want.HTMLBody},
	}
	for _, f := range fields {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	if m.Priority != want.Priority {
		t.Errorf("Priority = %d, want %d", m.Priority, want.Priority)
	}
	if m.ConfirmRead != want.ConfirmRead {
		t.Errorf("ConfirmRead = %v, want %v", m.ConfirmRead, want.ConfirmRead)
	}
	wantBody := want.HTMLBody
	if want.BodyType == "text/plain" {
		wantBody = want.TextBody
	}
	if m.Body != wantBody {
		t.Errorf("Body = %q, want %q", m.Body, wantBody)
	}
	for name, v := range want.Headers {
		got, ok := m.Header(name)
		if !ok || got != v {
			t.Errorf("Header(%q) = %q, %v; want %q", name, got, ok, v)
		}
	}
	if len(m.Attachments) != len(want.Attachments) {
		t.Fatalf("%d attachments, want %d: %+v", len(m.Attachments), len(want.Attachments), m.Attachments)
	}
	for i, wa := range want.Attachments {
		a := m.Attachments[i]
		got := wantAttachment{Name: a.Name, ContentType: a.ContentType, Disposition: a.Disposition,
			DispositionName: a.DispositionName, ContentID: a.ContentID, Location: a.Location}
		meta := wa
		meta.Data, meta.SHA256, meta.Size = "", "", 0
		if got != meta {
			t.Errorf("attachment %d = %+v, want %+v", i+1, got, meta)
		}
		if wa.SHA256 != "" {
			sum := sha256.Sum256(a.Data)
			if hex.EncodeToString(sum[:]) != wa.SHA256 || len(a.Data) != wa.Size {
				t.Errorf("attachment %d data: %d bytes sha256 %x, want %d bytes %s", i+1, len(a.Data), sum, wa.Size, wa.SHA256)
			}
		} else if string(a.Data) != wa.Data {
			t.Errorf("attachment %d data = %q, want %q", i+1, a.Data, wa.Data)
		}
	}
}

func TestHeaderLookup(t *testing.T) {
	m := &Message{Headers: []Header{{"X-WF-Id", "first"}, {"Subject", "s"}, {"x-wf-id", "second"}}}
	for _, name := range []string{"X-WF-ID", "x-wf-id", "X-WF-ID:", " x-wf-id : "} {
		if v, ok := m.Header(name); !ok || v != "first" {
			t.Errorf("Header(%q) = %q, %v; want first", name, v, ok)
		}
	}
	if v, ok := m.Header("X-Missing"); ok || v != "" {
		t.Errorf("Header(X-Missing) = %q, %v", v, ok)
	}
}

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		in   string
		want []string // "name|addr"
	}{
		{"", nil},
		{" ; , ", nil},
		{"a@x.com", []string{"|a@x.com"}},
		{"a@x.com; b@y.com;", []string{"|a@x.com", "|b@y.com"}},
		{"a@x.com, b@y.com ,  ", []string{"|a@x.com", "|b@y.com"}},
		{"a@x.com;;b@y.com", []string{"|a@x.com", "|b@y.com"}},
		{"João da Silva <j@x.com.br>", []string{"João da Silva|j@x.com.br"}},
		{`"Silva, João" <j@x.com.br>; Ana <ana@y.com>`, []string{"Silva, João|j@x.com.br", "Ana|ana@y.com"}},
		{`"Pereira; Lima" <p@x.com>`, []string{"Pereira; Lima|p@x.com"}},
		{"=?ISO-8859-1?Q?Jos=E9?= <jose@x.com>", []string{"José|jose@x.com"}},
		{`"=?utf-8?q?Jo=C3=A3o?=" <j@x.com>`, []string{"João|j@x.com"}},
		{"<only@x.com>", []string{"|only@x.com"}},
		{"J. Silva <js@x.com>", []string{"J. Silva|js@x.com"}},
		{"Fulano (TI) <f@x.com>", []string{"Fulano|f@x.com"}}, // (TI) is a comment
		{`"unterminated <u@x.com>`, []string{"unterminated|u@x.com"}},
		{"a@x.com;\r\n b@y.com", []string{"|a@x.com", "|b@y.com"}},
		{"Jos\xe9 <jose@x.com>", []string{"José|jose@x.com"}}, // Windows-1252 bytes
	}
	for _, tt := range tests {
		got, err := ParseAddressList(tt.in)
		if err != nil {
			t.Errorf("ParseAddressList(%q): %v", tt.in, err)
			continue
		}
		var s []string
		for _, a := range got {
			s = append(s, a.Name+"|"+a.Address)
		}
		if strings.Join(s, ",") != strings.Join(tt.want, ",") {
			t.Errorf("ParseAddressList(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func TestParseAddressListErrors(t *testing.T) {
	for _, tt := range []struct{ in, bad string }{
		{"a@x.com; fulano; b@y.com", "fulano"},
		{"Name j@x.com", "Name j@x.com"},
		{"ok@x.com, <broken@>", "<broken@>"},
		{"a@x.com, b@", "b@"},
	} {
		_, err := ParseAddressList(tt.in)
		if CodeOf(err) != ErrInvalidArgument {
			t.Errorf("ParseAddressList(%q) error %v, want code ErrInvalidArgument", tt.in, err)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.bad)) {
			t.Errorf("ParseAddressList(%q) error %q does not name %q", tt.in, err, tt.bad)
		}
	}
}

func TestRecipientsAndSender(t *testing.T) {
	m := &Message{
		From: "Ana <ana@x.com>, outra@x.com",
		To:   "b@y.com; C <c@y.com>;",
		Cc:   "B@Y.com, d@y.com",
		Bcc:  "e@z.com; c@y.com",
	}
	got, err := m.Recipients()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"b@y.com", "c@y.com", "d@y.com", "e@z.com"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Recipients = %q, want %q", got, want)
	}
	if s, err := m.Sender(); err != nil || s != "ana@x.com" {
		t.Errorf("Sender = %q, %v", s, err)
	}

	for _, tt := range []struct {
		m    Message
		code Code
	}{
		{Message{From: "a@x.com"}, ErrNoRecipients},
		{Message{From: "a@x.com", Cc: "bad entry"}, ErrInvalidArgument},
		{Message{From: "a@x.com", To: "ok@x.com", Bcc: "nope"}, ErrInvalidArgument},
	} {
		if _, err := tt.m.Recipients(); CodeOf(err) != tt.code {
			t.Errorf("Recipients(%+v) error %v, want code %d", tt.m, err, tt.code)
		}
	}
	for _, from := range []string{"", "  ;", "not an address"} {
		m := Message{From: from, To: "a@x.com"}
		if _, err := m.Sender(); CodeOf(err) != ErrInvalidArgument {
			t.Errorf("Sender(From=%q) error %v, want ErrInvalidArgument", from, err)
		}
	}
}

func TestAttachmentAddHeader(t *testing.T) {
	var a Attachment
	for _, line := range []string{"Content-ID: <logo>", "Content-Type: image/gif;\r\n", "X-Note:value with: colon"} {
		if err := a.AddHeader(line); err != nil {
			t.Errorf("AddHeader(%q): %v", line, err)
		}
	}
	want := []Header{{"Content-ID", "<logo>"}, {"Content-Type", "image/gif;"}, {"X-Note", "value with: colon"}}
	if fmt.Sprint(a.Headers) != fmt.Sprint(want) {
		t.Errorf("Headers = %q, want %q", a.Headers, want)
	}
	for _, line := range []string{"no colon here", "X-A: b\r\nBcc: evil@x.com", "Bad Name: v", ": empty name", "X-Nul: a\x00b"} {
		if err := a.AddHeader(line); CodeOf(err) != ErrInvalidArgument {
			t.Errorf("AddHeader(%q) error %v, want ErrInvalidArgument", line, err)
		}
	}
	if len(a.Headers) != 3 {
		t.Errorf("failed AddHeader calls changed Headers: %q", a.Headers)
	}
}

// readEntity parses built bytes with go-message, independently of Parse.
func readEntity(t *testing.T, b []byte) *gomessage.Entity {
	t.Helper()
	e, err := gomessage.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("go-message cannot read the built message: %v\n%s", err, b)
	}
	return e
}

// mimeTree renders the structure of e as "type[child,child]", consuming it.
func mimeTree(t *testing.T, e *gomessage.Entity) string {
	t.Helper()
	mt, _, err := e.Header.ContentType()
	if err != nil {
		t.Fatalf("Content-Type %q: %v", e.Header.Get("Content-Type"), err)
	}
	mr := e.MultipartReader()
	if mr == nil {
		if _, err := io.Copy(io.Discard, e.Body); err != nil {
			t.Fatalf("reading %s part: %v", mt, err)
		}
		return mt
	}
	var kids []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part of %s: %v", mt, err)
		}
		kids = append(kids, mimeTree(t, p))
	}
	return mt + "[" + strings.Join(kids, ",") + "]"
}

func TestBuildStructure(t *testing.T) {
	logo := func() *Attachment {
		a := &Attachment{Name: "logo.png", Data: []byte("png"), Disposition: "attachment"}
		if err := a.AddHeader("Content-ID: <logo>"); err != nil {
			t.Fatal(err)
		}
		return a
	}
	pdf := func() *Attachment { return &Attachment{Name: "doc.pdf", Data: []byte("%PDF")} }
	tests := []struct {
		name string
		m    *Message
		want string
	}{
		{"plain", &Message{BodyType: "text/plain", Body: "oi"}, "text/plain"},
		{"plain text alias", &Message{BodyType: "text", Body: "oi"}, "text/plain"},
		{"html default", &Message{Body: "<p>oi</p>"}, "multipart/alternative[text/plain,text/html]"},
		{"html with attachment", &Message{Body: "<p>oi</p>", Attachments: []*Attachment{pdf()}},
			"multipart/mixed[multipart/alternative[text/plain,text/html],application/pdf]"},
		{"html with inline", &Message{Body: `<img src="cid:logo">`, Attachments: []*Attachment{logo()}},
			"multipart/related[multipart/alternative[text/plain,text/html],image/png]"},
		{"html with inline and attachment", &Message{Body: `<img src="cid:logo">`, Attachments: []*Attachment{pdf(), logo()}},
			"multipart/mixed[multipart/related[multipart/alternative[text/plain,text/html],image/png],application/pdf]"},
		{"plain with inline", &Message{BodyType: "text/plain", Body: "oi", Attachments: []*Attachment{logo()}},
			"multipart/mixed[text/plain,image/png]"},
		{"content-id field", &Message{Body: "x", Attachments: []*Attachment{{Name: "a.gif", ContentID: "a", Data: []byte("g")}}},
			"multipart/related[multipart/alternative[text/plain,text/html],image/gif]"},
		{"attachment with content-id field stays attachment", &Message{Body: "x",
			Attachments: []*Attachment{{Name: "a.gif", ContentID: "a", Disposition: "attachment", Data: []byte("g")}}},
			"multipart/mixed[multipart/alternative[text/plain,text/html],image/gif]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.m.From, tt.m.To = "a@x.com", "b@y.com"
			b, err := tt.m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if got := mimeTree(t, readEntity(t, b)); got != tt.want {
				t.Errorf("structure %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBuildHeaders(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	m := &Message{
		From:        "João da Silva <joao@x.com.br>",
		To:          "Ana <ana@y.com>; bob@y.com;",
		Cc:          `"Souza, Carla" <carla@y.com>`,
		Bcc:         "Oculto <segredo@z.com>",
		ReplyTo:     "respostas@x.com.br",
		Subject:     "Relatório de março – ação\r\nnecessária",
		Body:        "<p>oi</p>",
		Priority:    1,
		ConfirmRead: true,
		Date:        "25/11/2026",
		Headers: []Header{
			{"X-WF-ID", "WF-123"},
			{"X-Origem", "Filial São José"},
			{"Content-Type", "text/html"}, // ignored: the structure is generated
			{"X-Mailer", "Protheus"},      // replaces the default
		},
	}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	if bytes.Contains(bytes.ToLower(b), []byte("bcc")) || bytes.Contains(b, []byte("segredo")) {
		t.Errorf("Bcc leaked into the message:\n%s", b)
	}
	if !isASCII(string(b)) {
		t.Errorf("built message is not 7-bit:\n%s", b)
	}
	for _, line := range strings.Split(string(b), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line longer than 998: %q", line)
		}
	}
	if bytes.Contains(bytes.ReplaceAll(b, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("bare LF in the built message")
	}

	e := readEntity(t, b)
	h := e.Header
	raw := func(k string) string { return h.Get(k) }
	text := func(k string) string {
		v, err := h.Text(k)
		if err != nil {
			t.Errorf("decode %s: %v", k, err)
		}
		return v
	}
	if !strings.HasPrefix(raw("Subject"), "=?utf-8?q?") {
		t.Errorf("Subject not RFC 2047 encoded: %q", raw("Subject"))
	}
	if got := text("Subject"); got != "Relatório de março – ação necessária" {
		t.Errorf("Subject = %q", got)
	}
	wantAddr := map[string]string{
		"From":                        "João da Silva|joao@x.com.br",
		"To":                          "Ana|ana@y.com, |bob@y.com",
		"Cc":                          "Souza, Carla|carla@y.com",
		"Reply-To":                    "|respostas@x.com.br",
		"Disposition-Notification-To": "|respostas@x.com.br",
	}
	for k, want := range wantAddr {
		addrs, err := (&netmail.AddressParser{WordDecoder: &mime.WordDecoder{}}).ParseList(raw(k))
		if err != nil {
			t.Errorf("%s %q: %v", k, raw(k), err)
			continue
		}
		var s []string
		for _, a := range addrs {
			s = append(s, a.Name+"|"+a.Address)
		}
		if got := strings.Join(s, ", "); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(raw("From"), "=?utf-8?q?Jo=C3=A3o_da_Silva?=") {
		t.Errorf("From name not RFC 2047 encoded: %q", raw("From"))
	}
	for k, want := range map[string]string{
		"X-Priority": "1 (Highest)", "Importance": "high", "X-Mailer": "Protheus", "X-WF-ID": "WF-123",
		"MIME-Version": "1.0",
	} {
		if got := raw(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if got := raw("X-Origem"); !strings.HasPrefix(got, "=?utf-8?") || text("X-Origem") != "Filial São José" {
		t.Errorf("X-Origem = %q", got)
	}
	if n := len(h.Values("Content-Type")); n != 1 {
		t.Errorf("%d Content-Type headers", n)
	}
	id := raw("Message-ID")
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") || strings.Count(id, "@") != 1 || strings.ContainsAny(id, " \t") {
		t.Errorf("Message-ID = %q", id)
	}
	d, err := netmail.ParseDate(raw("Date"))
	if err != nil {
		t.Fatalf("Date %q: %v", raw("Date"), err)
	}
	if d.Before(before) || d.After(after) {
		t.Errorf("Date %v not generated now (between %v and %v)", d, before, after)
	}
	// Names keep the case they were given.
	for _, name := range []string{"Message-ID: ", "MIME-Version: ", "X-WF-ID: "} {
		if !bytes.Contains(b, []byte("\r\n"+name)) {
			t.Errorf("header %q not written as given", name)
		}
	}
}

func TestBuildDefaults(t *testing.T) {
	m := &Message{From: "a@x.com", To: "b@y.com", Date: "Tue, 12 Mar 2024 09:14:58 -0300", MessageID: "<given@x.com>",
		ConfirmRead: true, Priority: 5}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	h := readEntity(t, b).Header
	for k, want := range map[string]string{
		"Date": "Tue, 12 Mar 2024 09:14:58 -0300", "Message-Id": "<given@x.com>", "X-Mailer": DefaultXMailer,
		"X-Priority": "5 (Lowest)", "Importance": "low", "Disposition-Notification-To": "a@x.com",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	m = &Message{From: "a@x.com", To: "b@y.com", Priority: 3}
	b, err = m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	h = readEntity(t, b).Header
	if h.Get("X-Priority") != "3 (Normal)" || h.Has("Importance") || h.Has("Disposition-Notification-To") {
		t.Errorf("priority 3 headers: X-Priority %q Importance %q DNT %q", h.Get("X-Priority"), h.Get("Importance"), h.Get("Disposition-Notification-To"))
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		code Code
	}{
		{"custom header CRLF", Message{From: "a@x.com", Headers: []Header{{"X-A", "v\r\nBcc: x@y.com"}}}, ErrInvalidArgument},
		{"custom header bad name", Message{From: "a@x.com", Headers: []Header{{"X A", "v"}}}, ErrInvalidArgument},
		{"bad From", Message{From: "not an address"}, ErrInvalidArgument},
		{"bad To", Message{From: "a@x.com", To: "ok@x.com; broken"}, ErrInvalidArgument},
		{"bad Bcc", Message{From: "a@x.com", Bcc: "broken"}, ErrInvalidArgument},
		{"bad body type", Message{From: "a@x.com", BodyType: "application/pdf"}, ErrInvalidArgument},
		{"bad Message-ID", Message{From: "a@x.com", MessageID: "has space@x"}, ErrInvalidArgument},
		{"attachment header CRLF", Message{From: "a@x.com", Attachments: []*Attachment{{Name: "a.txt",
			Headers: []Header{{"X-A", "a\nb"}}}}}, ErrInvalidArgument},
		{"attachment bad type", Message{From: "a@x.com", Attachments: []*Attachment{{Name: "a.txt", ContentType: "not a type!"}}}, ErrInvalidArgument},
	}
	for _, tt := range tests {
		b, err := tt.m.Bytes()
		if CodeOf(err) != tt.code || b != nil {
			t.Errorf("%s: Bytes() = %d bytes, %v; want code %d", tt.name, len(b), err, tt.code)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("%s: error %T is not *Error", tt.name, err)
		}
		var buf bytes.Buffer
		if n, err := tt.m.WriteTo(&buf); CodeOf(err) != tt.code || n != 0 || buf.Len() != 0 {
			t.Errorf("%s: WriteTo = %d, %v (wrote %d bytes)", tt.name, n, err, buf.Len())
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriteTo(t *testing.T) {
	m := &Message{From: "a@x.com", To: "b@y.com", Subject: "s", Body: "b", BodyType: "text"}
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("WriteTo = %d, %v (buffer %d)", n, err, buf.Len())
	}
	if _, err := m.WriteTo(failWriter{}); err == nil {
		t.Error("WriteTo to a failing writer succeeded")
	} else if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("WriteTo error %v does not wrap the write error", err)
	}
}

func TestRoundTrip(t *testing.T) {
	binary := make([]byte, 3000)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	longName := "Relatório de Produção Consolidado das Filiais São Paulo e Fortaleza – março de 2024.pdf"
	// as bindings attach a file: type guessed from the name, disposition set
	renamed := &Attachment{Name: "tmp123.bin", ContentType: "application/octet-stream", Disposition: "attachment",
		Data: []byte("%PDF-1.7 renamed")}
	if err := renamed.AddHeader(`Content-Disposition: attachment; filename="Nota Fiscal.pdf"`); err != nil {
		t.Fatal(err)
	}
	retyped := &Attachment{Name: "anim", Data: []byte("GIF89a")}
	if err := retyped.AddHeader("Content-Type: image/gif;"); err != nil {
		t.Fatal(err)
	}
	logo := &Attachment{Name: "logo.png", Data: []byte("\x89PNG fake"), Disposition: "attachment"}
	for _, l := range []string{"Content-ID: <logo>", "Content-Location: logo.png", "X-Attachment-Id: 42"} {
		if err := logo.AddHeader(l); err != nil {
			t.Fatal(err)
		}
	}
	attached := "From: x@y.com\r\nSubject: Mensagem original\r\n\r\nTexto da mensagem original.\r\n"
	m := &Message{
		From:    "João da Silva <joao@x.com.br>",
		To:      "Ana Conceição <ana@y.com>; bob@y.com",
		Bcc:     "segredo@z.com",
		Subject: "Ação: relatório de março (ç, ã, é) – 100% ✓",
		Body: "<html><body><h1>Relatório</h1><p>Olá,<br>segue o relatório &amp; anexos.</p>" +
			`<img src="cid:logo"><p>Visite <a href="https://x.com.br">o site</a>.</p></body></html>`,
		Attachments: []*Attachment{
			{Name: "dados.bin", Data: binary},
			{Name: longName, Data: []byte("%PDF-1.4 long")},
			{Name: "ç.txt", Data: []byte("texto\n")},
			renamed,
			retyped,
			logo,
			{Name: "encaminhada.eml", Data: []byte(attached)},
		},
	}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if got := mimeTree(t, readEntity(t, b)); got != "multipart/mixed[multipart/related[multipart/alternative[text/plain,text/html],image/png],"+
		"application/octet-stream,application/pdf,text/plain,application/pdf,image/gif,message/rfc822]" {
		t.Errorf("structure %s", got)
	}
	checkRelated(t, b)
	checkFilenames(t, b, map[string]string{
		"dados.bin": "dados.bin", longName: longName, "ç.txt": "ç.txt", "Nota Fiscal.pdf": "Nota Fiscal.pdf",
	})
	if bytes.Contains(b, []byte("segredo")) {
		t.Error("Bcc leaked")
	}

	p, err := Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != m.Subject {
		t.Errorf("Subject = %q, want %q", p.Subject, m.Subject)
	}
	if p.From != "João da Silva <joao@x.com.br>" || p.To != "Ana Conceição <ana@y.com>, bob@y.com" || p.Bcc != "" {
		t.Errorf("addresses From %q To %q Bcc %q", p.From, p.To, p.Bcc)
	}
	if p.HTMLBody != m.Body || p.Body != m.Body || p.BodyType != "text/html" {
		t.Errorf("HTML body %q (type %q)", p.HTMLBody, p.BodyType)
	}
	if want := "Relatório\r\n\r\nOlá,\r\nsegue o relatório & anexos.\r\n\r\nVisite o site <https://x.com.br>."; p.TextBody != want {
		t.Errorf("text alternative %q, want %q", p.TextBody, want)
	}
	want := []wantAttachment{
		{Name: "logo.png", ContentType: "image/png", Disposition: "inline", DispositionName: "logo.png", ContentID: "logo",
			Location: "logo.png", Data: "\x89PNG fake"},
		{Name: "dados.bin", ContentType: "application/octet-stream", Disposition: "attachment", DispositionName: "dados.bin", Data: string(binary)},
		{Name: longName, ContentType: "application/pdf", Disposition: "attachment", DispositionName: longName, Data: "%PDF-1.4 long"},
		{Name: "ç.txt", ContentType: "text/plain", Disposition: "attachment", DispositionName: "ç.txt", Data: "texto\n"},
		{Name: "Nota Fiscal.pdf", ContentType: "application/pdf", Disposition: "attachment", DispositionName: "Nota Fiscal.pdf", Data: "%PDF-1.7 renamed"},
		{Name: "anim", ContentType: "image/gif", Disposition: "attachment", DispositionName: "anim", Data: "GIF89a"},
		{Name: "encaminhada.eml", ContentType: "message/rfc822", Disposition: "attachment", DispositionName: "encaminhada.eml",
			Data: strings.TrimSuffix(attached, "\r\n")},
	}
	if len(p.Attachments) != len(want) {
		t.Fatalf("%d attachments, want %d", len(p.Attachments), len(want))
	}
	for i, w := range want {
		a := p.Attachments[i]
		got := wantAttachment{a.Name, a.ContentType, a.Disposition, a.DispositionName, a.ContentID, a.Location, string(a.Data), "", 0}
		if got != w {
			t.Errorf("attachment %d:\n got %+v\nwant %+v", i+1, got, w)
		}
	}

	// A parsed message can be built again (Load then Send).
	b2, err := p.Bytes()
	if err != nil {
		t.Fatalf("rebuild parsed message: %v", err)
	}
	p2, err := Parse(bytes.NewReader(b2))
	if err != nil {
		t.Fatal(err)
	}
	if p2.Subject != p.Subject || p2.HTMLBody != p.HTMLBody || p2.To != p.To || len(p2.Attachments) != len(p.Attachments) {
		t.Errorf("second round trip differs: %q %q %d", p2.Subject, p2.To, len(p2.Attachments))
	}
	for i := range p2.Attachments {
		if !bytes.Equal(p2.Attachments[i].Data, p.Attachments[i].Data) || p2.Attachments[i].Name != p.Attachments[i].Name {
			t.Errorf("second round trip attachment %d differs", i+1)
		}
	}
}

// checkRelated checks with go-message that the inline part sits in a
// multipart/related of type multipart/alternative, with its Content-ID.
func checkRelated(t *testing.T, b []byte) {
	t.Helper()
	e := readEntity(t, b)
	found := false
	err := e.Walk(func(path []int, p *gomessage.Entity, err error) error {
		if err != nil {
			return err
		}
		mt, params, _ := p.Header.ContentType()
		if mt == "multipart/related" && params["type"] != "multipart/alternative" {
			t.Errorf("multipart/related type=%q", params["type"])
		}
		if p.Header.Get("Content-Id") != "" {
			found = true
			disp, _, _ := p.Header.ContentDisposition()
			if len(path) != 2 || path[0] != 0 || path[1] == 0 || p.Header.Get("Content-Id") != "<logo>" || disp != "inline" ||
				p.Header.Get("X-Attachment-Id") != "42" || p.Header.Get("Content-Location") != "logo.png" {
				t.Errorf("inline part at %v: Content-ID %q disposition %q", path, p.Header.Get("Content-Id"), disp)
			}
		}
		return nil
	})
	if err != nil || !found {
		t.Errorf("walk: %v, inline part found: %v", err, found)
	}
}

// checkFilenames decodes the file names of the built parts with go-message
// and the standard library (RFC 2231 filename, RFC 2047 name).
func checkFilenames(t *testing.T, b []byte, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	err := readEntity(t, b).Walk(func(path []int, p *gomessage.Entity, err error) error {
		if err != nil {
			return err
		}
		_, cd, err := p.Header.ContentDisposition()
		if err != nil || cd["filename"] == "" {
			return nil
		}
		_, ct, _ := p.Header.ContentType()
		got[cd["filename"]] = ct["name"]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for filename, name := range want {
		if got[filename] != name {
			t.Errorf("file %q: Content-Type name %q, want %q (all: %q)", filename, got[filename], name, got)
		}
	}
}

func TestBuildWindows1252Input(t *testing.T) {
	// Scripts saved in Windows-1252 hand over bytes that are not UTF-8.
	m := &Message{From: "Jos\xe9 <jose@x.com>", To: "a@x.com", Subject: "Promo\xe7\xe3o \x80 10", Body: "Pre\xe7o", BodyType: "text",
		Attachments: []*Attachment{{Name: "relat\xf3rio.txt", Data: []byte("\xe7")}}}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "Promoção € 10" || p.From != "José <jose@x.com>" || p.TextBody != "Preço" ||
		len(p.Attachments) != 1 || p.Attachments[0].Name != "relatório.txt" || string(p.Attachments[0].Data) != "\xe7" {
		t.Errorf("got subject %q from %q body %q attachments %+v", p.Subject, p.From, p.TextBody, p.Attachments)
	}
}

func TestBuildBodyEncoding(t *testing.T) {
	long := strings.Repeat("palavra ", 40) + "\n" + strings.Repeat("x", 200)
	tests := []struct {
		name, body, bodyType, enc string
	}{
		{"ascii", "Hello\nworld", "text", "quoted-printable"},
		{"accents", "Olá, ação concluída.\r\nAtt.", "text", "quoted-printable"},
		{"long lines", long, "text", "quoted-printable"},
		{"mostly non-ASCII", strings.Repeat("日本語のテキスト", 10), "text", "base64"},
		{"html", "<p>Olá</p>", "text/html", "quoted-printable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Message{From: "a@x.com", To: "b@y.com", Body: tt.body, BodyType: tt.bodyType}
			b, err := m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			encs := map[string]bool{}
			readEntity(t, b).Walk(func(_ []int, p *gomessage.Entity, err error) error {
				if mt, params, _ := p.Header.ContentType(); strings.HasPrefix(mt, "text/") {
					encs[p.Header.Get("Content-Transfer-Encoding")] = true
					if params["charset"] != "utf-8" {
						t.Errorf("%s charset %q", mt, params["charset"])
					}
				}
				return nil
			})
			if len(encs) != 1 || !encs[tt.enc] {
				if !(tt.bodyType == "text/html" && encs[tt.enc]) {
					t.Errorf("encodings %v, want %s", encs, tt.enc)
				}
			}
			p, err := Parse(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			want := crlf(tt.body)
			got := p.TextBody
			if tt.bodyType == "text/html" {
				got = p.HTMLBody
			}
			if got != want {
				t.Errorf("body = %q, want %q", got, want)
			}
		})
	}
}

func TestFoldField(t *testing.T) {
	words := strings.Repeat("palavra ", 50)
	tests := []struct {
		name, value string
		exact       bool // unfolding gives the value back
		max         int  // longest line allowed
	}{
		{"Subject", "short", true, 76},
		{"Subject", strings.TrimSpace(words), true, 76},
		{"To", strings.Repeat("Fulano de Tal <fulano@empresa.com.br>, ", 30), true, 76},
		{"X-Long", strings.Repeat("x", 100), true, 998},
		{"X-Huge", strings.Repeat("y", 3000), false, 998},
		{"X-Empty", "", true, 76},
	}
	for _, tt := range tests {
		raw := string(foldField(tt.name, tt.value))
		if !strings.HasSuffix(raw, "\r\n") {
			t.Errorf("%s: no final CRLF", tt.name)
		}
		lines := strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n")
		for i, l := range lines {
			if len(l) > tt.max {
				t.Errorf("%s: line %d has %d characters", tt.name, i, len(l))
			}
			if i > 0 && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "\t") {
				t.Errorf("%s: continuation line %q does not start with a blank", tt.name, l)
			}
		}
		if unfolded := strings.ReplaceAll(strings.TrimSuffix(raw, "\r\n"), "\r\n", ""); tt.exact && unfolded != tt.name+": "+tt.value {
			t.Errorf("%s: unfolds to %q", tt.name, unfolded)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>Olá <b>mundo</b></p>", "Olá mundo"},
		{"linha 1<br>linha 2<BR/>linha 3", "linha 1\nlinha 2\nlinha 3"},
		{"<html><head><title>T</title><style>p{color:red}</style></head><body><script>alert(1)</script>texto</body></html>", "texto"},
		{"<ul><li>um</li><li>dois</li></ul>", "- um\n- dois"},
		{"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>", "a\tb\nc\td"},
		{`<a href="https://x.com">site</a> e <a href="mailto:a@x.com">a@x.com</a>`, "site <https://x.com> e a@x.com"},
		{"R$ 1.000,00 &amp; 5 &lt; 6&nbsp;&eacute;", "R$ 1.000,00 & 5 < 6 é"},
		{"a<!-- comentário -->b", "ab"},
		{"<p>um</p>\n\n\n<p>dois</p>", "um\n\ndois"},
		{"2 < 3 e 4 > 1", "2 < 3 e 4 > 1"},
		{`<img src="cid:logo" alt="Logo da empresa">`, "Logo da empresa"},
		{"<pre>a  b\n  c</pre>", "a  b\nc"},
		{"<h1>Título</h1><p>um<br>dois</p><div>três</div><div>quatro</div>", "Título\n\num\ndois\n\ntrês\nquatro"},
		{"sem fim <b", "sem fim"},
		{"<SCRIPT>x</script >depois", "depois"},
	}
	for _, tt := range tests {
		if got := htmlToText(tt.in); got != tt.want {
			t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTypeByName(t *testing.T) {
	for name, want := range map[string]string{
		"a.pdf": "application/pdf", "NFE.XML": "application/xml", `C:\dir\img.JPG`: "image/jpeg",
		"planilha.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"x.unknownext":  "application/octet-stream", "noext": "application/octet-stream", "": "application/octet-stream",
	} {
		if got := typeByName(name); got != want {
			t.Errorf("typeByName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestParseParamHeader(t *testing.T) {
	tests := []struct {
		in    string
		value string
		want  map[string]string
	}{
		{`attachment; filename="a b.pdf"`, "attachment", map[string]string{"filename": "a b.pdf"}},
		{`Attachment; FILENAME=a.pdf;`, "attachment", map[string]string{"filename": "a.pdf"}},
		{`inline; filename=relatorio final.pdf; size=10`, "inline", map[string]string{"filename": "relatorio final.pdf", "size": "10"}},
		{`attachment; filename="C:\temp\a.pdf"`, "attachment", map[string]string{"filename": `C:\temp\a.pdf`}},
		{`attachment; filename="say \"hi\".txt"`, "attachment", map[string]string{"filename": `say "hi".txt`}},
		{`attachment; filename*=utf-8''%E2%82%AC%20100.txt; filename="fallback.txt"`, "attachment", map[string]string{"filename": "€ 100.txt"}},
		{`attachment; filename*=iso-8859-1'pt'S%E3o.txt`, "attachment", map[string]string{"filename": "São.txt"}},
		{`attachment; filename*0*=utf-8''a%C3; filename*1*=%A7b.txt`, "attachment", map[string]string{"filename": "açb.txt"}},
		{`attachment; filename*2=c; filename*0=a; filename*1=b`, "attachment", map[string]string{"filename": "abc"}},
		{`attachment; filename*=bogus-charset''abc`, "attachment", map[string]string{"filename": "abc"}},
		{`attachment; filename*=utf-8''%ZZ`, "attachment", map[string]string{"filename": "%ZZ"}},
		{`text/plain; charset="iso-8859-1"; name="=?ISO-8859-1?Q?Cota=E7=E3o.txt?="`, "text/plain",
			map[string]string{"charset": "iso-8859-1", "name": "Cotação.txt"}},
		{`application/pdf; name="unterminated`, "application/pdf", map[string]string{"name": "unterminated"}},
		{`image/gif;`, "image/gif", map[string]string{}},
		{`text/plain charset=iso-8859-1`, "text/plain", map[string]string{"charset": "iso-8859-1"}},
		{`attachment filename="a b.txt"; size=3`, "attachment", map[string]string{"filename": "a b.txt", "size": "3"}},
		{`; a=1`, "", map[string]string{"a": "1"}},
		{``, "", map[string]string{}},
		{`multipart/mixed; boundary="x"; boundary="y"`, "multipart/mixed", map[string]string{"boundary": "x"}},
	}
	for _, tt := range tests {
		value, params := parseParamHeader(tt.in)
		if value != tt.value || fmt.Sprint(params) != fmt.Sprint(tt.want) {
			t.Errorf("parseParamHeader(%q) = %q %q, want %q %q", tt.in, value, params, tt.value, tt.want)
		}
	}
}

func TestDecoders(t *testing.T) {
	b64 := []struct{ in, want string }{
		{"SGVsbG8=", "Hello"},
		{"SGVs\r\nbG8", "Hello"},
		{"SGVs bG8=\n", "Hello"},
		{"SG!!Vs#bG8=", "Hello"},
		{"SGk=SGk=", "HiHi"},
		{"S", ""},
		{"", ""},
	}
	for _, tt := range b64 {
		if got := string(decodeBase64([]byte(tt.in))); got != tt.want {
			t.Errorf("decodeBase64(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	qp := []struct{ in, want string }{
		{"Ol=C3=A1", "Olá"},
		{"soft=\r\nbreak", "softbreak"},
		{"soft=  \nbreak", "softbreak"},
		{"trailing   \r\nspace", "trailing\r\nspace"},
		{"bad =ZZ escape", "bad =ZZ escape"},
		{"lower =c3=a1", "lower á"},
		{"end=", "end"},
		{"=4", "=4"},
	}
	for _, tt := range qp {
		if got := string(decodeQP([]byte(tt.in))); got != tt.want {
			t.Errorf("decodeQP(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	cs := []struct{ in, charset, want string }{
		{"ol\xe1", "", "olá"},
		{"olá", "", "olá"},
		{"ol\xe1", "utf-8", "olá"},
		{"olá ol\xe1", "utf-8", "olá olá"}, // stray Latin-1 byte in UTF-8 text
		{"olá ol\xe1", "", "olÃ¡ olá"},     // no charset and not UTF-8: all Windows-1252
		{"\x93ok\x94", "iso-8859-1", "“ok”"},
		{"\x93ok\x94", "windows-1252", "“ok”"},
		{"\xa4", "iso-8859-15", "€"},
		{"\xe0\xa4", "koi8-r", "Ю╓"},
		{"ol\xe1", "x-no-such-charset", "olá"},
		{"\xff\xfeo\x00k\x00", "utf-16", "ok"},
	}
	for _, tt := range cs {
		if got := decodeText([]byte(tt.in), tt.charset); got != tt.want {
			t.Errorf("decodeText(%q, %q) = %q, want %q", tt.in, tt.charset, got, tt.want)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	deep := "Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
	for i := 1; i <= 200; i++ {
		deep += fmt.Sprintf("--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	deep += "--b200\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n"
	tests := []struct {
		name string
		in   string
		code Code                 // expected error code, OK for success
		chk  func(*Message) error // extra checks on success
	}{
		{"empty", "", ErrMalformedMessage, nil},
		{"not a message", "just some text\nwithout headers\n", ErrMalformedMessage, nil},
		{"byte order mark", "\ufeffSubject: bom\r\n\r\nx", OK, func(m *Message) error {
			if m.Subject != "bom" || m.TextBody != "x" {
				return fmt.Errorf("subject %q body %q", m.Subject, m.TextBody)
			}
			return nil
		}},
		{"header only", "Subject: only\r\n", OK, func(m *Message) error {
			if m.Subject != "only" || m.Body != "" {
				return fmt.Errorf("subject %q body %q", m.Subject, m.Body)
			}
			return nil
		}},
		{"LF only and no blank line", "Subject: a\nFrom: b@c.d", OK, func(m *Message) error {
			if m.From != "b@c.d" {
				return fmt.Errorf("from %q", m.From)
			}
			return nil
		}},
		{"garbage header line skipped", "Subject: s\r\nthis is not a header\r\nX-After: yes\r\n\r\nbody", OK, func(m *Message) error {
			if v, _ := m.Header("X-After"); v != "yes" || m.TextBody != "body" {
				return fmt.Errorf("X-After %q body %q", v, m.TextBody)
			}
			return nil
		}},
		{"multipart without boundary parameter", "Content-Type: multipart/mixed\r\n\r\n--xyz\r\nContent-Type: text/plain\r\n\r\nhello\r\n--xyz--\r\n", OK,
			func(m *Message) error {
				if m.TextBody != "hello" {
					return fmt.Errorf("body %q", m.TextBody)
				}
				return nil
			}},
		{"multipart with no delimiter", "Content-Type: multipart/mixed; boundary=zz\r\n\r\njust text\r\n", OK, func(m *Message) error {
			if m.TextBody != "just text\r\n" {
				return fmt.Errorf("body %q", m.TextBody)
			}
			return nil
		}},
		{"nested too deep", deep, OK, func(m *Message) error {
			if m.TextBody != "" || len(m.Attachments) != 0 {
				return fmt.Errorf("content below the depth limit was kept: %q", m.TextBody)
			}
			return nil
		}},
		{"unknown charset and encoding", "Content-Type: text/plain; charset=x-martian\r\nContent-Transfer-Encoding: x-rot13\r\n\r\nol\xe1", OK,
			func(m *Message) error {
				if m.TextBody != "olá" {
					return fmt.Errorf("body %q", m.TextBody)
				}
				return nil
			}},
		{"bad encoded words", "Subject: =?utf-8?q?ok?= =?bogus?x?zz?= =?utf-8?b?!!!?= =?utf-8?q?=0D=0Aline?=\r\n\r\n", OK,
			func(m *Message) error {
				if m.Subject != "ok =?bogus?x?zz?= =?utf-8?b?!!!?=   line" {
					return fmt.Errorf("subject %q", m.Subject)
				}
				return nil
			}},
		{"group and broken addresses", "From: broken <<>>\r\nTo: undisclosed-recipients:;\r\nCc: Equipe: a@x.com, b@x.com;\r\n\r\n", OK,
			func(m *Message) error {
				if m.From != "broken <<>>" || m.To != "" || m.Cc != "a@x.com, b@x.com" {
					return fmt.Errorf("from %q to %q cc %q", m.From, m.To, m.Cc)
				}
				return nil
			}},
		{"digest defaults to message/rfc822", "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: one\r\n\r\nbody\r\n--d--\r\n", OK,
			func(m *Message) error {
				if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "message/rfc822" || m.Attachments[0].Name != "one.eml" {
					return fmt.Errorf("attachments %+v", m.Attachments)
				}
				return nil
			}},
		{"headerless part", "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nplain words first\r\n--q--", OK, func(m *Message) error {
			if m.TextBody != "plain words first" {
				return fmt.Errorf("body %q", m.TextBody)
			}
			return nil
		}},
		{"text parts around an image are joined", "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nantes\r\n--q\r\n" +
			"Content-Type: image/png\r\nContent-Disposition: inline\r\n\r\npng\r\n--q\r\n\r\ndepois\r\n--q--", OK, func(m *Message) error {
			if m.TextBody != "antes\r\ndepois" || len(m.Attachments) != 1 {
				return fmt.Errorf("body %q, %d attachments", m.TextBody, len(m.Attachments))
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var (
				m   *Message
				err error
			)
			go func() {
				defer close(done)
				m, err = Parse(strings.NewReader(tt.in))
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Parse did not return within 10s")
			}
			if CodeOf(err) != tt.code {
				t.Fatalf("Parse error %v, want code %d", err, tt.code)
			}
			if err == nil && tt.chk != nil {
				if cerr := tt.chk(m); cerr != nil {
					t.Error(cerr)
				}
			}
		})
	}
	if _, err := Parse(nil); CodeOf(err) != ErrInvalidArgument {
		t.Errorf("Parse(nil) error %v", err)
	}
	if _, err := Parse(io.MultiReader(strings.NewReader("Subject: x\r\n"), errReader{})); err == nil {
		t.Error("Parse of a failing reader succeeded")
	} else if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Parse error %v does not wrap the read error", err)
	}
}

// TestParseLarge feeds inputs that would take quadratic time to a naive
// parser: each must be parsed (and the result rebuilt) within the bound.
func TestParseLarge(t *testing.T) {
	var manyParts strings.Builder
	manyParts.WriteString("Content-Type: multipart/mixed; boundary=p\r\n\r\n")
	for i := 0; i < maxParts+500; i++ {
		manyParts.WriteString("--p\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n")
	}
	var params strings.Builder
	params.WriteString("Content-Type: application/pdf")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&params, "; name*%d*=%%41; p%d=v", i, i)
	}
	params.WriteString("\r\nContent-Disposition: attachment\r\n\r\nbody")
	tests := []struct {
		name string
		in   string
		chk  func(*Message) error
	}{
		{"folded header", "Subject: a\r\n" + strings.Repeat(" b\r\n", 200000) + "\r\n", func(m *Message) error {
			if len(m.Subject) != 1+2*200000 {
				return fmt.Errorf("subject length %d", len(m.Subject))
			}
			return nil
		}},
		{"many parts", manyParts.String(), func(m *Message) error {
			if len(m.Attachments) != maxParts-1 {
				return fmt.Errorf("%d attachments, want %d", len(m.Attachments), maxParts-1)
			}
			return nil
		}},
		{"many parameters", params.String(), func(m *Message) error {
			if len(m.Attachments) != 1 || m.Attachments[0].Name != strings.Repeat("A", maxContinuations) {
				return fmt.Errorf("attachments %d", len(m.Attachments))
			}
			return nil
		}},
		{"many addresses", "To: " + strings.Repeat("a@x.com, ", 100000) + "\r\n\r\n", func(m *Message) error {
			if len(m.To) != len(strings.Repeat("a@x.com, ", 100000))-2 {
				return fmt.Errorf("To length %d", len(m.To))
			}
			return nil
		}},
		{"html blanks", "Content-Type: text/html\r\n\r\n<pre>" + strings.Repeat(" ", 100000) + strings.Repeat("<p>", 50000) +
			strings.Repeat("<script>", 20000) + strings.Repeat("<a href=x>", 20000), nil},
		{"many boundaries lines", "Content-Type: multipart/mixed; boundary=q\r\n\r\n" + strings.Repeat("--q\r\n", 100000), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				m, err := Parse(strings.NewReader(tt.in))
				if err == nil && tt.chk != nil {
					err = tt.chk(m)
				}
				if err == nil {
					_, err = m.Bytes()
					if CodeOf(err) == ErrInvalidArgument {
						err = nil
					}
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Error(err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("Parse and rebuild did not return within 20s")
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrClosedPipe }

// corpusSeeds returns the corpus messages for the fuzzer.
func corpusSeeds(f *testing.F) [][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", "messages", "*.eml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no corpus: %v", err)
	}
	sort.Strings(files)
	var out [][]byte
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, b := range corpusSeeds(f) {
		f.Add(b)
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n--a--"))
	f.Add([]byte("Content-Disposition: attachment; filename*0*=utf-8''%C3; filename*1*=%A7\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD"))
	f.Add([]byte("Subject: =?windows-1252?Q?=93x=94?=\r\nFrom: \"a, b\" <a@b>; c@d,\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(bytes.NewReader(data))
		if err != nil {
			if CodeOf(err) != ErrMalformedMessage || m != nil {
				t.Fatalf("Parse error %v (message %v)", err, m != nil)
			}
			return
		}
		for _, s := range []string{m.From, m.To, m.Cc, m.Bcc, m.ReplyTo, m.Subject, m.Date, m.MessageID, m.TextBody, m.HTMLBody} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
		}
		for _, h := range m.Headers {
			if !utf8.ValidString(h.Value) || strings.ContainsAny(h.Value, "\r\n") {
				t.Fatalf("header %q = %q", h.Name, h.Value)
			}
		}
		for _, a := range m.Attachments {
			if !utf8.ValidString(a.Name) || !utf8.ValidString(a.DispositionName) {
				t.Fatalf("attachment name %q / %q", a.Name, a.DispositionName)
			}
		}
		if m.Body != m.HTMLBody && m.Body != m.TextBody {
			t.Fatal("Body is neither the HTML nor the text body")
		}
		// A parsed message either fails to build with a clean error or
		// builds into something Parse reads again.
		b, err := m.Bytes()
		if err != nil {
			if c := CodeOf(err); c != ErrInvalidArgument && c != ErrMalformedMessage {
				t.Fatalf("rebuild error %v", err)
			}
			return
		}
		m2, err := Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("cannot parse the rebuilt message: %v\n%s", err, b)
		}
		if len(m2.Attachments) != len(m.Attachments) {
			t.Fatalf("rebuilt message has %d attachments, want %d", len(m2.Attachments), len(m.Attachments))
		}
	})
}

// TestStoredBytesKeepsBcc: a stored message keeps its Bcc for a later send;
// a sent one never shows it.
func TestStoredBytesKeepsBcc(t *testing.T) {
	m := &Message{From: "a@example.com", To: "b@example.com", Bcc: "Oculto <c@example.com>", Subject: "s", Body: "x"}
	sent, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sent, []byte("c@example.com")) {
		t.Errorf("Bytes shows the Bcc:\n%s", sent)
	}
	stored, err := m.StoredBytes()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(bytes.NewReader(stored))
	if err != nil {
		t.Fatal(err)
	}
	rcpts, err := p.Recipients()
	if err != nil || len(rcpts) != 2 || rcpts[1] != "c@example.com" {
		t.Errorf("recipients of the stored message = %v, %v", rcpts, err)
	}
	again, err := p.Bytes()
	if err != nil || bytes.Contains(again, []byte("c@example.com")) {
		t.Errorf("the reloaded message sends its Bcc in the headers (%v):\n%s", err, again)
	}
}
