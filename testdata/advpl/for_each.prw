#include "totvs.ch"

User Function ForEach()
	Local aNomes := {"ana", "bia", "caio"}
	Local aVazio := {}
	Local cNome, cOut := "", aPar, nTotal := 0
	For Each cNome In aNomes
		cOut += Upper(cNome) + ";"
	Next
	ConOut(cOut)
	For Each cNome In aVazio
		ConOut("never")
	Next
	For Each aPar In {{"a", 1}, {"b", 2}, {"c", 3}}
		If aPar[1] == "b"
			Loop
		EndIf
		nTotal += aPar[2]
	Next
	ConOut("total", nTotal)
Return
