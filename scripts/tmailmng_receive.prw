// tmailmng_receive.prw: receive over IMAP with the newer TMailMng class
// (twin of tmailmng_receive.lua).
//
// TMailMng():New(nProtocol, nServerSSL, nSMTPSSL): nProtocol 0 = POP3, 1 = IMAP;
// SSL numbers: 0 none, 1..3 implicit TLS (SSL), 4..6 STARTTLS (TLS) — see docs/api.md.
//   advmail run --sandbox scripts/tmailmng_receive.prw
#include "totvs.ch"

User Function RecebeMng()
	Local oMng, oMessage, nRet, nNumMsgs := 0, nI, nJ, aInfo
	Local nTotalAnexos := 0

	oMng := TMailMng():New(1, SuperGetMV("MV_MNGSSL", .F., 3), 6)
	oMng:cUser       := SuperGetMV("MV_IMAPUSR", .F., "nfe@empresa.com.br")
	oMng:cPass       := SuperGetMV("MV_IMAPPSW", .F., "senha")
	oMng:cSrvAddr    := SuperGetMV("MV_IMAPSRV", .F., "imap.empresa.com.br")
	oMng:nSrvPort    := SuperGetMV("MV_IMAPPOR", .F., 993)
	oMng:nSrvTimeout := 60
	oMng:lUseRealID  := .F.

	nRet := oMng:Connect()
	If nRet != 0
		ConOut("Connect: " + oMng:GetErrorString(nRet))
		Return .F.
	EndIf
	ConOut("Conectado: " + cValToChar(oMng:lConnected) + " pasta " + oMng:cCurrentFolder)

	nRet := oMng:GetNumMsgs(@nNumMsgs)
	If nRet != 0
		ConOut("GetNumMsgs: " + oMng:GetErrorString(nRet))
		oMng:Disconnect()
		Return .F.
	EndIf
	ConOut("Mensagens: " + cValToChar(nNumMsgs))

	oMessage := TMailMessage():New()
	For nI := 1 To nNumMsgs
		oMessage:Clear()
		nRet := oMessage:Receive2(oMng, nI)
		If nRet != 0
			ConOut("Receive2 " + cValToChar(nI) + ": " + oMng:GetErrorString(nRet))
			Loop
		EndIf
		ConOut(StrZero(nI, 3) + " | " + oMessage:cFrom + " | " + oMessage:cSubject + ;
			" | anexos: " + cValToChar(oMessage:GetAttachCount()))
		For nJ := 1 To oMessage:GetAttachCount()
			aInfo := oMessage:GetAttachInfo(nJ)
			ConOut("      " + aInfo[1] + " (" + aInfo[2] + ", " + cValToChar(aInfo[7]) + " bytes)")
			nTotalAnexos++
		Next
	Next

	ConOut("Total de anexos: " + cValToChar(nTotalAnexos))
	oMng:Disconnect()
Return .T.
