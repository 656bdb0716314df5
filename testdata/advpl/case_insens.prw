#include "totvs.ch"

// Identifiers ignore letter case: variables, functions, keywords, members.
USER FUNCTION CaseIns()
	LOCAL cServer := "smtp"
	CSERVER := CSERVER + ".x"
	ConOut(cserver)
	conout(UPPER("abc"), upper("def"), Upper("g"))
	CONOUT(MINHAFUNC(), minhafunc(), MinhaFunc())
	ConOut(U_CASEOUTRA(), u_caseoutra())
	IF LEN({1, 2}) == 2
		ConOut("keywords")
	ENDIF
RETURN

static function MinhaFunc()
return "ok"

User Function CaseOutra()
Return "u"
