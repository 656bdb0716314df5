// send_report.prw: a sales report written under the server's RootPath
// (\spool\), with values formatted by Transform, sent as an attachment
// (twin of send_report.lua).
//   advmail run --sandbox scripts/send_report.prw
#include "totvs.ch"

User Function SendReport()
	Local oServer, oMessage, nRet, nI, nTotal, cLine, nHandle
	Local cServer  := SuperGetMV("MV_RELSERV", .F., "smtp.empresa.com.br")
	Local cAccount := SuperGetMV("MV_RELACNT", .F., "relatorios@empresa.com.br")
	Local cPass    := SuperGetMV("MV_RELPSW",  .F., "senha")
	Local cTo      := SuperGetMV("MV_RELDEST", .F., "diretoria@empresa.com.br")
	Local nTimeout := GetMV("MV_RELTIME", .F., 60)
	Local nPort    := 587
	Local cDir     := "\spool\relatorios\"
	Local cFile    := cDir + "vendas_" + DtoS(Date()) + ".txt"
	Local aVendas  := { ;
		{ "000001", "Distribuidora Alfa Ltda", 1234567.891 }, ;
		{ "000002", "Comercial Beta S/A",       98765.4 }, ;
		{ "000003", "Gama Importadora",           0.5 } }

	If !ExistDir(cDir)
		MakeDir(cDir)
	EndIf
	nHandle := FCreate(cFile)
	If nHandle < 0
		ConOut("[SendReport] FCreate " + cFile + ": erro " + cValToChar(FError()))
		Return .F.
	EndIf
	FWrite(nHandle, PadR("Cliente", 8) + PadR("Nome", 26) + PadL("Valor", 16) + Chr(13) + Chr(10))
	nTotal := 0
	For nI := 1 To Len(aVendas)
		cLine := PadR(aVendas[nI][1], 8) + PadR(aVendas[nI][2], 26) + ;
			Transform(aVendas[nI][3], "@E 999,999,999.99") + Chr(13) + Chr(10)
		FWrite(nHandle, cLine)
		nTotal += aVendas[nI][3]
	Next nI
	FWrite(nHandle, PadR("Total", 34) + Transform(nTotal, "@E 999,999,999.99") + Chr(13) + Chr(10))
	FWrite(nHandle, "CEP da matriz: " + Transform("01310100", "@R 99.999-999") + Chr(13) + Chr(10))
	FClose(nHandle)

	// split host:port as Protheus routines do with MV_RELSERV
	If At(":", cServer) > 0
		nPort   := Val(SubStr(cServer, At(":", cServer) + 1))
		cServer := SubStr(cServer, 1, At(":", cServer) - 1)
	EndIf

	oServer := TMailManager():New()
	oServer:SetUseTLS(.T.)
	nRet := oServer:Init("", cServer, cAccount, cPass, 0, nPort)
	If nRet == 0
		nRet := oServer:SetSMTPTimeout(nTimeout)
	EndIf
	If nRet == 0
		nRet := oServer:SMTPConnect()
	EndIf
	If nRet != 0
		ConOut("[SendReport] SMTP: " + oServer:GetErrorString(nRet))
		Return .F.
	EndIf
	nRet := oServer:SmtpAuth(cAccount, cPass)
	If nRet != 0
		ConOut("[SendReport] SMTPAuth: " + oServer:GetErrorString(nRet))
		oServer:SMTPDisconnect()
		Return .F.
	EndIf

	oMessage := TMailMessage():New()
	oMessage:Clear()
	oMessage:cFrom    := cAccount
	oMessage:cTo      := cTo
	oMessage:cSubject := "Relatório de vendas - total R$ " + AllTrim(Transform(nTotal, "@E 999,999,999.99"))
	oMessage:cBody    := "<p>Segue o relatório de vendas.</p>"
	If oMessage:AttachFile(cFile) < 0
		ConOut("[SendReport] AttachFile " + cFile + " falhou")
		oServer:SMTPDisconnect()
		Return .F.
	EndIf
	nRet := oMessage:Send(oServer)
	oServer:SMTPDisconnect()
	If nRet != 0
		ConOut("[SendReport] Send: " + oServer:GetErrorString(nRet))
		Return .F.
	EndIf
	ConOut("[SendReport] relatório enviado: " + cFile)
Return .T.
