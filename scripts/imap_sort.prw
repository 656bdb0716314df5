// imap_sort.prw: sort an IMAP inbox into folders by subject (twin of
// imap_sort.lua). NF-e messages go to "Notas Fiscais", reports to
// "Relatórios"; everything else stays in INBOX.
//   advmail run --sandbox scripts/imap_sort.prw
#include "totvs.ch"

Static aRegras := { ;
	{"NF-E",        "Notas Fiscais"}, ;
	{"NOTA FISCAL", "Notas Fiscais"}, ;
	{"RELATÓRIO",   "Relatórios"}, ;
	{"RELATORIO",   "Relatórios"} }

User Function OrdenaCaixa()
	Local oServer, oMessage, nRet, nNumMsgs := 0, nI, cSubject, cDestino
	Local cServer := SuperGetMV("MV_IMAPSRV", .F., "imap.empresa.com.br")
	Local cUser   := SuperGetMV("MV_IMAPUSR", .F., "nfe@empresa.com.br")
	Local cPass   := SuperGetMV("MV_IMAPPSW", .F., "senha")
	Local nPort   := SuperGetMV("MV_IMAPPOR", .F., 993)
	Local lSSL    := SuperGetMV("MV_IMAPSSL", .F., .T.)
	Local nMoved  := 0
	Local aPastas := {}

	oServer := TMailManager():New()
	oServer:SetUseSSL(lSSL)
	nRet := oServer:Init(cServer, "", cUser, cPass, nPort, 0)
	oServer:SetPOPTimeout(60)
	If (nRet := oServer:IMAPConnect()) != 0
		ConOut("IMAPConnect: " + oServer:GetErrorString(nRet))
		Return .F.
	EndIf
	// sequence numbers (not UIDs): walk from the last message to the first so
	// that moving one does not renumber the ones still to be read
	oServer:SetUseRealID(.F.)

	If !oServer:ChangeFolder("INBOX")
		ConOut("INBOX não encontrada")
		oServer:IMAPDisconnect()
		Return .F.
	EndIf

	oServer:GetNumMsgs(@nNumMsgs)
	ConOut("Mensagens na INBOX: " + cValToChar(nNumMsgs))

	oMessage := TMailMessage():New()
	For nI := nNumMsgs To 1 Step -1
		oMessage:Clear()
		nRet := oMessage:Receive(oServer, nI)
		If nRet != 0
			ConOut("Receive " + cValToChar(nI) + ": " + oServer:GetErrorString(nRet))
			Loop
		EndIf
		cSubject := Upper(oMessage:cSubject)
		cDestino := Destino(cSubject)
		If Empty(cDestino)
			Loop
		EndIf
		If aScan(aPastas, {|c| c == cDestino}) == 0
			// create the folder when it does not exist yet
			If !oServer:ChangeFolder(cDestino)
				oServer:CreateFolder(cDestino)
				oServer:SetFolderSubscribe(cDestino, .T.)
			EndIf
			oServer:ChangeFolder("INBOX")
			aAdd(aPastas, cDestino)
		EndIf
		If oServer:MoveMsg(nI, cDestino)
			ConOut("Movida para " + cDestino + ": " + oMessage:cSubject)
			nMoved++
		Else
			ConOut("Falha ao mover: " + oMessage:cSubject)
		EndIf
	Next

	ConOut("Mensagens movidas: " + cValToChar(nMoved))
	oServer:IMAPDisconnect()
Return .T.

// Destino returns the folder of the first rule whose text is in cSubject.
Static Function Destino(cSubject)
	Local nJ := aScan(aRegras, {|aR| aR[1] $ cSubject})
Return IIf(nJ > 0, aRegras[nJ][2], "")
