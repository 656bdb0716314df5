// send_attachments.prw: an invoice e-mail with a PDF attachment and an inline
// logo referenced from the HTML body as cid:logo (twin of send_attachments.lua).
//
// The files are read from MV_RELANEX (default: the example assets; a
// Protheus routine would use a folder under RootPath).
//   advmail run --sandbox scripts/send_attachments.prw
#include "totvs.ch"

User Function SendInvoice()
	Local oServer, oMessage, nRet, nIdx, nI
	Local cServer   := SuperGetMV("MV_RELSERV", .F., "smtp.empresa.com.br")
	Local cAccount  := SuperGetMV("MV_RELACNT", .F., "faturamento@empresa.com.br")
	Local cPassword := SuperGetMV("MV_RELPSW",  .F., "senha")
	Local cFrom     := SuperGetMV("MV_RELFROM", .F., "Faturamento Empresa <faturamento@empresa.com.br>")
	Local cTo       := SuperGetMV("MV_RELDEST", .F., "João da Silva <joao@cliente.com.br>; compras@cliente.com.br")
	Local cCc       := SuperGetMV("MV_RELCC",   .F., "Financeiro <financeiro@empresa.com.br>")
	Local cBcc      := SuperGetMV("MV_RELBCC",  .F., "auditoria@empresa.com.br")
	Local lAuth     := SuperGetMV("MV_RELAUTH", .F., .T.)
	Local lSSL      := SuperGetMV("MV_RELSSL",  .F., .T.)
	Local lTLS      := SuperGetMV("MV_RELTLS",  .F., .F.)
	Local nPort     := SuperGetMV("MV_PORSMTP", .F., 465)
	Local cDir      := PastaAnexos()
	Local aFiles    := {cDir + "relatorio.pdf"}

	If At(":", cServer) > 0
		nPort   := Val(SubStr(cServer, At(":", cServer) + 1))
		cServer := SubStr(cServer, 1, At(":", cServer) - 1)
	EndIf

	oServer := TMailManager():New()
	oServer:SetUseSSL(lSSL)
	oServer:SetUseTLS(lTLS)
	nRet := oServer:Init("", cServer, cAccount, cPassword, 0, nPort)
	If nRet != 0
		ConOut("Init: " + oServer:GetErrorString(nRet))
		Return .F.
	EndIf
	oServer:SetSMTPTimeout(60)

	nRet := oServer:SMTPConnect()
	If nRet != 0
		ConOut("SMTPConnect: " + StrZero(nRet, 6) + " " + oServer:GetErrorString(nRet))
		Return .F.
	EndIf
	If lAuth
		nRet := oServer:SMTPAuth(cAccount, cPassword)
		If nRet != 0
			ConOut("SMTPAuth: " + oServer:GetErrorString(nRet))
			oServer:SMTPDisconnect()
			Return .F.
		EndIf
	EndIf

	oMessage := TMailMessage():New()
	oMessage:Clear()
	oMessage:cFrom    := cFrom
	oMessage:cTo      := cTo
	oMessage:cCc      := cCc
	oMessage:cBcc     := cBcc
	oMessage:cSubject := "Relatório de Vendas — Novembro/2026"
	oMessage:MsgBodyType("text/html")
	oMessage:cBody    := '<html><body><img src="cid:logo" alt="Empresa"/>' + ;
		"<p>Prezado João,</p>" + ;
		"<p>Segue em anexo o relatório de vendas do mês.</p>" + ;
		"<p>Atenciosamente,<br/>Faturamento</p></body></html>"

	// inline image: AttachFile returns the 0-based index, -1 on error
	nIdx := oMessage:AttachFile(cDir + "logo.png")
	If nIdx < 0
		ConOut("AttachFile: logo.png not found")
		Return .F.
	EndIf
	oMessage:AddAttHTag("Content-ID: <logo>")

	For nI := 1 To Len(aFiles)
		If oMessage:AttachFile(aFiles[nI]) < 0
			ConOut("AttachFile: " + aFiles[nI] + " not found")
			Return .F.
		EndIf
		oMessage:AddAttHTag('Content-Disposition: attachment; filename="Relatório de Vendas.pdf"')
	Next

	nRet := oMessage:Send(oServer)
	If nRet != 0
		ConOut("Send: " + oServer:GetErrorString(nRet))
		oServer:SMTPDisconnect()
		Return .F.
	EndIf
	ConOut("Relatório enviado para " + cTo)

	oServer:SMTPDisconnect()
Return .T.

// PastaAnexos returns MV_RELANEX, or the example assets folder found from
// the current folder (scripts/ or the repository root).
Static Function PastaAnexos()
	Local cDir := SuperGetMV("MV_RELANEX", .F., "")
	If Empty(cDir)
		cDir := IIf(File("assets/relatorio.pdf"), "assets/", "scripts/assets/")
	EndIf
Return cDir
