// pop_receive_attachments.prw: pull XML invoices (NF-e) out of a POP box
// with the ap5mail.ch commands (twin of pop_receive_attachments.lua).
//
// Attachments are saved in MV_XMLDIR; the ones that are not XML are erased
// again, and the messages that carried an XML are received a second time
// with DELETE, which marks them; DISCONNECT POP SERVER (QUIT) commits that.
//   advmail run --sandbox scripts/pop_receive_attachments.prw
#include "totvs.ch"
#include "ap5mail.ch"

User Function RecebeXML()
	Local lOk := .F., cErr := "", nMsgs := 0, nI, nJ, lXml
	Local cFrom := "", cSubject := "", aFiles := {}
	Local cServer := SuperGetMV("MV_POPSERV", .F., "pop.empresa.com.br")
	Local cUser   := SuperGetMV("MV_POPUSR",  .F., "nfe@empresa.com.br")
	Local cPass   := SuperGetMV("MV_POPPSW",  .F., "senha")
	Local lSSL    := SuperGetMV("MV_POPSSL",  .F., .T.)
	Local cDir    := SuperGetMV("MV_XMLDIR",  .F., "xml_recebidos/")
	Local nSaved := 0, nDeleted := 0

	If Right(cDir, 1) != "/" .And. Right(cDir, 1) != "\"
		cDir += "/"
	EndIf
	MakeDir(cDir)

	If lSSL
		CONNECT POP SERVER cServer ACCOUNT cUser PASSWORD cPass TIMEOUT 60 RESULT lOk SSL
	Else
		CONNECT POP SERVER cServer ACCOUNT cUser PASSWORD cPass TIMEOUT 60 RESULT lOk
	EndIf
	If !lOk
		GET MAIL ERROR cErr
		ConOut("CONNECT POP SERVER: " + cErr)
		Return .F.
	EndIf

	POP MESSAGE COUNT nMsgs RESULT lOk
	ConOut("Mensagens na caixa: " + cValToChar(nMsgs))

	For nI := 1 To nMsgs
		aFiles := {}
		RECEIVE MAIL MESSAGE nI FROM cFrom SUBJECT cSubject ;
			ATTACHMENT aFiles SAVE IN cDir RESULT lOk
		If !lOk
			GET MAIL ERROR cErr
			ConOut("Receive " + cValToChar(nI) + ": " + cErr)
			Loop
		EndIf
		lXml := .F.
		For nJ := 1 To Len(aFiles)
			If Lower(Right(aFiles[nJ], 4)) == ".xml"
				ConOut("XML salvo: " + aFiles[nJ] + " (" + cSubject + ")")
				nSaved++
				lXml := .T.
			Else
				FErase(aFiles[nJ])
			EndIf
		Next
		If lXml
			RECEIVE MAIL MESSAGE nI DELETE RESULT lOk
			If lOk
				nDeleted++
			EndIf
		EndIf
	Next

	DISCONNECT POP SERVER RESULT lOk
	ConOut("XMLs salvos: " + cValToChar(nSaved) + " - mensagens apagadas: " + cValToChar(nDeleted))
Return .T.
