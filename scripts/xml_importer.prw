// xml_importer.prw: import supplier XML invoices (NF-e) as they arrive
// (twin of xml_importer.lua). Waits for new mail with IMAP IDLE
// (WaitNewMsgs), asks the server for the unread messages from the
// supplier's domain (SearchMsgs), saves their .xml attachments in MV_XMLDIR
// with the API's safe names (SaveAttach into a folder: never a path built
// from the sender's file name, never an overwrite) and moves each processed
// message to MV_XMLPROC ("Processados"). Both methods are advmail
// extensions (docs/api.md).
//
// It runs until interrupted: Ctrl-C in `advmail run`, the host's cancel, or
// the job being killed end the wait at once. MV_XMLROUND > 0 stops it after
// that many rounds instead (tests, a scheduled run).
//   advmail run --sandbox scripts/xml_importer.prw
//   advmail run --sandbox --call XMLPastas scripts/xml_importer.prw
#include "totvs.ch"

User Function ImportaXML(cFolder)
	Local cServer := SuperGetMV("MV_XMLSRV",   .F., "imap.empresa.com.br")
	Local cUser   := SuperGetMV("MV_XMLUSR",   .F., "nfe@empresa.com.br")
	Local cPass   := SuperGetMV("MV_XMLPSW",   .F., "senha")
	Local nPort   := SuperGetMV("MV_XMLPOR",   .F., 993)
	Local lSSL    := SuperGetMV("MV_XMLSSL",   .F., .T.)
	Local cDomain := SuperGetMV("MV_XMLDOM",   .F., "advmail.sandbox")
	Local cDir    := SuperGetMV("MV_XMLDIR",   .F., "xml_recebidos/")
	Local cProc   := SuperGetMV("MV_XMLPROC",  .F., "Processados")
	Local nWait   := SuperGetMV("MV_XMLWAIT",  .F., 600)
	Local nRounds := SuperGetMV("MV_XMLROUND", .F., 0)
	Local nRound := 0, nTotal := 0, nSaved, nNew, nRet, oServer
	// IMAP SEARCH syntax: unread, sender address containing the domain
	Local cCriteria := 'UNSEEN FROM "@' + cDomain + '"'
	Default cFolder := "INBOX"

	If Right(cDir, 1) != "/" .And. Right(cDir, 1) != "\"
		cDir += "/"
	EndIf
	MakeDir(cDir)

	oServer := TMailManager():New()
	oServer:SetUseSSL(lSSL)
	oServer:Init(cServer, "", cUser, cPass, nPort, 0)
	oServer:SetPOPTimeout(60)
	If (nRet := oServer:IMAPConnect()) != 0
		ConOut("IMAPConnect: " + oServer:GetErrorString(nRet))
		Return .F.
	EndIf
	// UIDs: SearchMsgs, Receive and MoveMsgs agree on them even while
	// messages are moved away
	oServer:SetUseRealID(.T.)
	If !oServer:ChangeFolder(cProc)
		oServer:CreateFolder(cProc)
	EndIf
	If !oServer:ChangeFolder(cFolder)
		ConOut("Pasta não encontrada: " + cFolder)
		oServer:IMAPDisconnect()
		Return .F.
	EndIf
	ConOut("Aguardando XMLs de " + cDomain + " em " + cFolder)

	While .T.
		nSaved := Processa(oServer, cCriteria, cDir, cProc)
		If nSaved == Nil
			Exit
		EndIf
		nTotal += nSaved
		nRound++
		ConOut("Rodada " + cValToChar(nRound) + ": " + cValToChar(nSaved) + " XML(s)")
		If nRounds > 0 .And. nRound >= nRounds
			Exit
		EndIf
		// returns as soon as mail arrives (mail that came in while we were
		// processing counts too), 0 after nWait seconds: search again anyway
		nNew := oServer:WaitNewMsgs(nWait)
		If nNew < 0
			ConOut("WaitNewMsgs: " + oServer:GetErrorString())
			Exit
		ElseIf nNew > 0
			ConOut("Chegaram " + cValToChar(nNew) + " mensagem(ns)")
		EndIf
	EndDo

	oServer:IMAPDisconnect()
	ConOut("XMLs importados: " + cValToChar(nTotal))
Return .T.

// XMLPastas watches several folders at once: one TMailManager waits on one
// folder, so each folder gets its own job (a fresh state with its own
// connection) running U_ImportaXML. MV_XMLPAST lists the folders.
User Function XMLPastas()
	Local aPastas := StrTokArr(SuperGetMV("MV_XMLPAST", .F., "INBOX"), ",")
	Local nI

	For nI := 1 To Len(aPastas)
		StartJob("U_ImportaXML", GetEnvServer(), .F., AllTrim(aPastas[nI]))
		ConOut("Job iniciado para a pasta " + AllTrim(aPastas[nI]))
	Next
Return .T.

// Processa imports what the search finds; it answers the number of XMLs
// saved, or Nil when the search failed.
Static Function Processa(oServer, cCriteria, cDir, cProc)
	Local aMsgs := oServer:SearchMsgs(cCriteria)
	Local aDone := {}, nSaved := 0, nI, nRet, nN, oMessage

	If aMsgs == Nil
		ConOut("SearchMsgs: " + oServer:GetErrorString())
		Return Nil
	EndIf
	oMessage := TMailMessage():New()
	For nI := 1 To Len(aMsgs)
		oMessage:Clear()
		nRet := oMessage:Receive(oServer, aMsgs[nI])
		If nRet != 0
			ConOut("Receive " + cValToChar(aMsgs[nI]) + ": " + oServer:GetErrorString(nRet))
			Loop
		EndIf
		nN := SalvaXML(oMessage, cDir)
		If nN > 0
			nSaved += nN
			aAdd(aDone, aMsgs[nI])
		EndIf
	Next
	// one MOVE for the whole batch; messages without an XML stay (read)
	If Len(aDone) > 0 .And. !oServer:MoveMsgs(aDone, cProc)
		ConOut("MoveMsgs: " + oServer:GetErrorString())
	EndIf
Return nSaved

// SalvaXML saves the XML attachments of the received message; it answers
// how many it saved.
Static Function SalvaXML(oMessage, cDir)
	Local nSaved := 0, nJ, aInfo, cName

	For nJ := 1 To oMessage:GetAttachCount()
		aInfo := oMessage:GetAttachInfo(nJ)
		cName := aInfo[1]
		If Empty(cName)
			cName := aInfo[4]
		EndIf
		If Lower(Right(AllTrim(cName), 4)) == ".xml"
			If oMessage:SaveAttach(nJ, cDir)
				ConOut("XML salvo: " + cName + " (" + oMessage:cSubject + ")")
				nSaved++
			Else
				ConOut("Falha ao salvar " + cName)
			EndIf
		EndIf
	Next
Return nSaved
