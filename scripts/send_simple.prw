// send_simple.prw: the most common AdvPL mail routine (twin of send_simple.lua).
//
// Server, account and addresses come from [Parameters] in appserver.ini
// (MV_REL*, read with SuperGetMV); without them the defaults below apply.
//   advmail run --sandbox scripts/send_simple.prw
#include "totvs.ch"

User Function SendSimple()
	Local oServer, oMessage, nRet
	Local cServer   := SuperGetMV("MV_RELSERV", .F., "smtp.empresa.com.br:587")
	Local cAccount  := SuperGetMV("MV_RELACNT", .F., "faturamento@empresa.com.br")
	Local cPassword := SuperGetMV("MV_RELPSW",  .F., "senha")
	Local cFrom     := SuperGetMV("MV_RELFROM", .F., "Faturamento <faturamento@empresa.com.br>")
	Local cTo       := SuperGetMV("MV_RELDEST", .F., "João da Silva <joao@cliente.com.br>")
	Local lAuth     := SuperGetMV("MV_RELAUTH", .F., .T.)
	Local lSSL      := SuperGetMV("MV_RELSSL",  .F., .F.)
	Local lTLS      := SuperGetMV("MV_RELTLS",  .F., .T.)
	Local nTimeout  := SuperGetMV("MV_RELTIME", .F., 60)
	Local nPort     := 0

	// split host:port as Protheus routines do with MV_RELSERV
	If At(":", cServer) > 0
		nPort   := Val(SubStr(cServer, At(":", cServer) + 1))
		cServer := SubStr(cServer, 1, At(":", cServer) - 1)
	EndIf

	oServer := TMailManager():New()
	oServer:SetUseSSL(lSSL)
	oServer:SetUseTLS(lTLS)

	If (nRet := oServer:Init("", cServer, cAccount, cPassword, 0, nPort)) != 0
		ConOut("[SendSimple] Init: " + oServer:GetErrorString(nRet))
		Return .F.
	EndIf

	nRet := oServer:SetSMTPTimeout(nTimeout)

	nRet := oServer:SMTPConnect()
	If nRet != 0
		ConOut("[SendSimple] SMTPConnect: " + oServer:GetErrorString(nRet))
		Return .F.
	EndIf

	If lAuth
		nRet := oServer:SmtpAuth(cAccount, cPassword)
		If nRet != 0
			ConOut("[SendSimple] SMTPAuth: " + oServer:GetErrorString(nRet))
			oServer:SMTPDisconnect()
			Return .F.
		EndIf
	EndIf

	oMessage := TMailMessage():New()
	oMessage:Clear()
	oMessage:cDate    := cValToChar(Date())
	oMessage:cFrom    := cFrom
	oMessage:cTo      := cTo
	oMessage:cSubject := "Pedido de Venda 000123 liberado"
	oMessage:cBody    := "<p>Olá,</p><p>O pedido <b>000123</b> foi liberado para faturamento.</p>"

	nRet := oMessage:Send(oServer)
	If nRet != 0
		ConOut("[SendSimple] Send: " + oServer:GetErrorString(nRet))
		oServer:SMTPDisconnect()
		Return .F.
	EndIf

	ConOut("[SendSimple] mensagem enviada para " + cTo)
	oServer:SMTPDisconnect()
Return .T.
