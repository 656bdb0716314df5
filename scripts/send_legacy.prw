// send_legacy.prw: the legacy ap5mail.ch commands (twin of send_legacy.lua).
//
// The attachment is read from MV_RELANEX (default: the example assets).
//   advmail run --sandbox scripts/send_legacy.prw
#include "totvs.ch"
#include "ap5mail.ch"

User Function EnvLegado()
	Local lOk := .F., cErr := ""
	Local cServer   := SuperGetMV("MV_RELSERV", .F., "smtp.empresa.com.br:587")
	Local cAccount  := SuperGetMV("MV_RELACNT", .F., "faturamento@empresa.com.br")
	Local cPassword := SuperGetMV("MV_RELPSW",  .F., "senha")
	Local cFrom     := SuperGetMV("MV_RELFROM", .F., "faturamento@empresa.com.br")
	Local cTo       := SuperGetMV("MV_RELDEST", .F., "joao@cliente.com.br")
	Local lAuth     := SuperGetMV("MV_RELAUTH", .F., .T.)
	Local lTLS      := SuperGetMV("MV_RELTLS",  .F., .T.)
	Local lSSL      := SuperGetMV("MV_RELSSL",  .F., .F.)
	Local cAnexo    := PastaAnexos() + "relatorio.pdf"

	If lTLS
		CONNECT SMTP SERVER cServer ACCOUNT cAccount PASSWORD cPassword ;
			TIMEOUT 60 RESULT lOk TLS
	ElseIf lSSL
		CONNECT SMTP SERVER cServer ACCOUNT cAccount PASSWORD cPassword ;
			TIMEOUT 60 RESULT lOk SSL
	Else
		CONNECT SMTP SERVER cServer ACCOUNT cAccount PASSWORD cPassword ;
			TIMEOUT 60 RESULT lOk
	EndIf
	If !lOk
		GET MAIL ERROR cErr
		ConOut("Erro ao conectar: " + cErr)
		Return .F.
	EndIf

	If lAuth
		If !MailAuth(cAccount, cPassword)
			GET MAIL ERROR cErr
			ConOut("Erro de autenticação: " + cErr)
			DISCONNECT SMTP SERVER
			Return .F.
		EndIf
	EndIf

	SEND MAIL FROM cFrom ;
		TO cTo ;
		SUBJECT "Aviso de cobrança nº 4711" ;
		BODY "Prezado cliente, segue o boleto em anexo." ;
		FORMAT TEXT ;
		ATTACHMENT cAnexo ;
		RESULT lOk
	If !lOk
		GET MAIL ERROR cErr
		ConOut("Erro no envio: " + cErr)
		DISCONNECT SMTP SERVER
		Return .F.
	EndIf
	ConOut("Aviso enviado para " + cTo)

	DISCONNECT SMTP SERVER RESULT lOk
Return .T.

// PastaAnexos returns MV_RELANEX, or the example assets folder found from
// the current folder (scripts/ or the repository root).
Static Function PastaAnexos()
	Local cDir := SuperGetMV("MV_RELANEX", .F., "")
	If Empty(cDir)
		cDir := IIf(File("assets/relatorio.pdf"), "assets/", "scripts/assets/")
	EndIf
Return cDir
