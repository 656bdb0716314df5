package sandbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/quotedprintable"
	"strings"
	"time"
)

// sampleDomain is the domain of the sample messages' addresses.
const sampleDomain = "advmail.sandbox"

// Sample file names, exported to tests through the messages themselves.
const (
	samplePDFName   = "DANFE-000001234.pdf"
	sampleXMLName   = "35240112345678000190550010000012341000012345-nfe.xml"
	sampleImageName = "logo.png"
)

// sample is one message put in every new INBOX.
type sample struct {
	data []byte
	date time.Time
}

// sampleMessages returns the messages every new mailbox starts with:
// a plain-text welcome, an ISO-8859-1 report, an NF-e with a PDF and an XML
// attachment, and an HTML newsletter with an inline image.
func sampleMessages(user string, now time.Time) []sample {
	to := user + "@" + sampleDomain
	id := func(kind string) string {
		return fmt.Sprintf("<%s.%s.%d@%s>", kind, user, now.UnixNano(), sampleDomain)
	}
	date := func(ago time.Duration) (string, time.Time) {
		t := now.Add(-ago).Truncate(time.Second)
		return t.Format(time.RFC1123Z), t
	}
	var out []sample

	// 1. Plain text welcome, UTF-8.
	d, t := date(4 * time.Hour)
	out = append(out, sample{date: t, data: crlf(`From: advmail sandbox <sandbox@` + sampleDomain + `>
To: ` + to + `
Subject: Bem-vindo ao sandbox do advmail
Date: ` + d + `
Message-ID: ` + id("welcome") + `
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Olá!

Esta é a caixa postal "` + user + `" do sandbox do advmail. Tudo o que os
scripts enviarem por SMTP para ` + user + `@qualquer.dominio chega aqui, e pode
ser lido por POP3 e por IMAP com qualquer senha. Nenhuma mensagem sai
desta máquina.

Welcome! This is a local test mailbox: any password works.
`)})

	// 2. ISO-8859-1 subject (RFC 2047) and body (quoted-printable).
	d, t = date(3 * time.Hour)
	out = append(out, sample{date: t, data: crlf(`From: =?ISO-8859-1?Q?Jo=E3o_Vendas?= <joao.vendas@` + sampleDomain + `>
To: ` + to + `
Subject: =?ISO-8859-1?Q?Relat=F3rio_de_Vendas_-_Mar=E7o?=
Date: ` + d + `
Message-ID: ` + id("relatorio") + `
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

` + qpLatin1(`Bom dia,

Segue o relatório de vendas de março:

  Região        Pedidos    Total
  São Paulo        132     R$ 45.210,00
  Paraná            57     R$ 18.730,50
  Goiás             21     R$  6.902,75

Atenção: os valores de ações promocionais estão incluídos.

Atenciosamente,
João
`))})

	// 3. NF-e with a PDF (DANFE) and the XML.
	d, t = date(2 * time.Hour)
	out = append(out, sample{date: t, data: crlf(`From: Faturamento Empresa Exemplo <nfe@` + sampleDomain + `>
To: ` + to + `
Subject: NF-e 1234 - Empresa Exemplo Ltda
Date: ` + d + `
Message-ID: ` + id("nfe") + `
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_nfe_boundary"

This is a multi-part message in MIME format.

--=_nfe_boundary
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Prezado cliente,

Segue a Nota Fiscal eletrônica nº 1234, série 1, em anexo (DANFE em PDF e
arquivo XML).

Chave de acesso: 3524 0112 3456 7800 0190 5500 1000 0012 3410 0001 2345

--=_nfe_boundary
Content-Type: application/pdf; name="` + samplePDFName + `"
Content-Disposition: attachment; filename="` + samplePDFName + `"
Content-Transfer-Encoding: base64

` + base64Lines(samplePDF()) + `
--=_nfe_boundary
Content-Type: application/xml; name="` + sampleXMLName + `"
Content-Disposition: attachment; filename="` + sampleXMLName + `"
Content-Transfer-Encoding: base64

` + base64Lines(crlf(sampleNFeXML)) + `
--=_nfe_boundary--
`)})

	// 4. HTML with an inline image (multipart/related).
	d, t = date(1 * time.Hour)
	out = append(out, sample{date: t, data: crlf(`From: Marketing <marketing@` + sampleDomain + `>
To: ` + to + `
Subject: =?UTF-8?B?` + base64.StdEncoding.EncodeToString([]byte("Promoção de inverno ❄")) + `?=
Date: ` + d + `
Message-ID: ` + id("html") + `
MIME-Version: 1.0
Content-Type: multipart/related; boundary="=_rel_boundary"; type="multipart/alternative"

--=_rel_boundary
Content-Type: multipart/alternative; boundary="=_alt_boundary"

--=_alt_boundary
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Promoção de inverno: 20% de desconto em toda a loja.

--=_alt_boundary
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: 8bit

<html><body>
<p><img src="cid:logo@` + sampleDomain + `" alt="logo" width="32" height="32"></p>
<h1>Promoção de inverno</h1>
<p><b>20%</b> de desconto em toda a loja.</p>
</body></html>

--=_alt_boundary--

--=_rel_boundary
Content-Type: image/png; name="` + sampleImageName + `"
Content-Transfer-Encoding: base64
Content-ID: <logo@` + sampleDomain + `>
Content-Disposition: inline; filename="` + sampleImageName + `"

` + base64Lines(samplePNG()) + `
--=_rel_boundary--
`)})
	return out
}

// crlf turns the LF line ends of s into CRLF.
func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n"))
}

// toCRLF normalises bare LF (and bare CR) line ends of a message to CRLF, as
// IMAP and POP3 clients expect.
func toCRLF(b []byte) []byte {
	if !bytes.ContainsAny(b, "\r\n") {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/32)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	return out
}

// qpLatin1 encodes UTF-8 text s as ISO-8859-1 quoted-printable.
func qpLatin1(s string) string {
	latin := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		latin = append(latin, byte(r))
	}
	var b strings.Builder
	w := quotedprintable.NewWriter(&b)
	w.Write(latin)
	w.Close()
	return b.String()
}

// base64Lines encodes data in base64 lines of 76 characters.
func base64Lines(data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\n")
	return b.String()
}

// samplePNG draws a small 32x32 logo.
func samplePNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			c := color.RGBA{0x1e, 0x63, 0xb5, 0xff}
			if (x-16)*(x-16)+(y-16)*(y-16) < 100 {
				c = color.RGBA{0xff, 0xc1, 0x07, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // encoding an in-memory RGBA image cannot fail
	}
	return b.Bytes()
}

// samplePDF builds a minimal one-page PDF with a correct xref table.
func samplePDF() []byte {
	content := "BT /F1 14 Tf 72 760 Td (DANFE - NF-e 1234 - Empresa Exemplo Ltda) Tj ET\n" +
		"BT /F1 10 Tf 72 740 Td (Documento de exemplo do sandbox do advmail) Tj ET\n"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(content), content),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// sampleNFeXML is an abridged NF-e (layout 4.00) document.
const sampleNFeXML = `<?xml version="1.0" encoding="UTF-8"?>
<nfeProc xmlns="http://www.portalfiscal.inf.br/nfe" versao="4.00">
  <NFe>
    <infNFe Id="NFe35240112345678000190550010000012341000012345" versao="4.00">
      <ide>
        <cUF>35</cUF>
        <natOp>VENDA DE MERCADORIA</natOp>
        <mod>55</mod>
        <serie>1</serie>
        <nNF>1234</nNF>
        <dhEmi>2024-01-15T10:30:00-03:00</dhEmi>
        <tpNF>1</tpNF>
      </ide>
      <emit>
        <CNPJ>12345678000190</CNPJ>
        <xNome>EMPRESA EXEMPLO LTDA</xNome>
        <enderEmit><xMun>SAO PAULO</xMun><UF>SP</UF></enderEmit>
      </emit>
      <dest>
        <CNPJ>98765432000110</CNPJ>
        <xNome>CLIENTE EXEMPLO S.A.</xNome>
      </dest>
      <det nItem="1">
        <prod>
          <cProd>0001</cProd>
          <xProd>PRODUTO DE TESTE</xProd>
          <NCM>84713012</NCM>
          <CFOP>5102</CFOP>
          <uCom>UN</uCom>
          <qCom>2.0000</qCom>
          <vUnCom>50.00</vUnCom>
          <vProd>100.00</vProd>
        </prod>
      </det>
      <total>
        <ICMSTot><vProd>100.00</vProd><vNF>100.00</vNF></ICMSTot>
      </total>
    </infNFe>
  </NFe>
  <protNFe versao="4.00">
    <infProt>
      <chNFe>35240112345678000190550010000012341000012345</chNFe>
      <cStat>100</cStat>
      <xMotivo>Autorizado o uso da NF-e</xMotivo>
    </infProt>
  </protNFe>
</nfeProc>
`
