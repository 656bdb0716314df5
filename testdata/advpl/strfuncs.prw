#include "totvs.ch"

// String functions routines use around mail.
User Function StrFuncs()
	Local cServer := "smtp.empresa.com.br:587"
	Local nPos := At(":", cServer)
	ConOut(SubStr(cServer, 1, nPos - 1), Val(SubStr(cServer, nPos + 1)))
	ConOut("[" + AllTrim("  x  ") + "]", "[" + RTrim("y  ") + "]", "[" + LTrim("  z") + "]")
	ConOut(StrTran("a;b;c", ";", ","), Left("abcdef", 2), Right("abcdef", 3))
	ConOut(Len(StrTokArr("a;b;c", ";")), Lower("ABC"), PadL("7", 3, "0"))
	ConOut(cValToChar(12.5), cValToChar(.F.), cValToChar(CToD("25/12/2026")))
	ConOut(Empty(""), Empty("  "), Empty(0), Empty({}), Empty(Nil), Empty("a"))
Return
