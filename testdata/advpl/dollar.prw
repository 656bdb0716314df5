#include "totvs.ch"

// "$" is "is a substring of"; it is case-sensitive.
User Function Dollar()
	Local cLista := "NFE;CTE;MDFE"
	ConOut("in1", "b" $ "abc")
	ConOut("in2", "d" $ "abc")
	ConOut("in3", "B" $ "abc")
	ConOut("in4", "CTE" $ cLista)
	ConOut("in5", !("NFCE" $ cLista))
	ConOut("in6", "abc" $ "abc")
Return
