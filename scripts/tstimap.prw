// tstimap.prw: IMAP folder management with TMailManager (twin of
// tstimap.lua). The TOTVS example itself is ../shared/reference/tstimap.prw;
// this version reads server and account from [Parameters] (MV_IMAP*), with
// the example's literals as defaults.
//   advmail run --sandbox scripts/tstimap.prw
#include "totvs.ch"

User Function TstIMAP2()
	Local nErro, aTemp, sFolder, nI
	Local aStPastas := {}
	Local cServer := SuperGetMV("MV_IMAPSRV", .F., "imap.microsiga.com.br")
	Local cUser   := SuperGetMV("MV_IMAPUSR", .F., "seuNomeAntesDo@")
	Local cPass   := SuperGetMV("MV_IMAPPSW", .F., "senhadoemail")
	Local nPort   := SuperGetMV("MV_IMAPPOR", .F., 0)
	Local lSSL    := SuperGetMV("MV_IMAPSSL", .F., .F.)
	Private oMailManager

	oMailManager := TMailManager():New()
	oMailManager:SetUseSSL(lSSL)
	nErro := oMailManager:Init(cServer, "", cUser, cPass, nPort)
	If nErro != 0
		ConOut(oMailManager:GetErrorString(nErro))
		Return .F.
	EndIf

	// needs [MAIL] Protocol=IMAP in the server ini (IMAPConnect speaks IMAP anyway)
	nErro := oMailManager:IMAPConnect()
	If nErro != 0
		ConOut(oMailManager:GetErrorString(nErro))
		Return .F.
	EndIf

	oMailManager:SetUseRealID(.T.)

	If !oMailManager:ChangeFolder("TSTIMAP")
		If !oMailManager:CreateFolder("TSTIMAP")
			ConOut("Erro na criação da pasta TSTIMAP")
			oMailManager:IMAPDisconnect()
			Return .F.
		ElseIf !oMailManager:SetFolderSubscribe("TSTIMAP", .T.)
			ConOut("Erro na assinatura da pasta TSTIMAP")
			oMailManager:IMAPDisconnect()
			Return .F.
		EndIf
	EndIf

	// rows: [1] name, [2] status, [3] total msgs, [4] read msgs, [5] unread msgs
	ListaPastas(@aStPastas)
	VarInfo("PASTAS", aStPastas)

	sFolder := oMailManager:GetFolder()
	If !oMailManager:DeleteFolder(sFolder)
		ConOut("Erro ao apagar a pasta " + sFolder)
		oMailManager:IMAPDisconnect()
		Return .F.
	EndIf

	oMailManager:IMAPDisconnect()
Return .T.

// ListaPastas fills aStPastas (by reference) with {name, total, unread}.
Static Function ListaPastas(aStPastas)
	Local aTemp := oMailManager:GetFolderList()
	Local nI
	For nI := 1 To Len(aTemp)
		aAdd(aStPastas, {aTemp[nI][1], aTemp[nI][3], aTemp[nI][5]})
		ConOut("Pasta: " + aTemp[nI][1] + " - total: " + cValToChar(aTemp[nI][3]) + ;
			" - não lidas: " + cValToChar(aTemp[nI][5]))
	Next
Return .T.
