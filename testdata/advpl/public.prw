#include "totvs.ch"

// A Public outlives the function that created it; without an initialiser it is .F.
User Function PubVis()
	CriaPub()
	ConOut("pub", cPub)
	Public nSemValor
	ConOut("default", nSemValor)
	Altera()
	ConOut("changed", cPub)
Return

Static Function CriaPub()
	Public cPub := "global"
Return

Static Function Altera()
	cPub := cPub + "!"
Return
