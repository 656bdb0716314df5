#include "totvs.ch"

Static nArquivo := 10

// File-level and function-level Statics keep their value between calls.
User Function Statics()
	ConOut("c1", Contador())
	ConOut("c2", Contador())
	ConOut("c3", Contador())
	SomaArq()
	SomaArq()
	ConOut("file", nArquivo)
	ConOut("other", Outro(), Outro())
Return

Static Function Contador()
	Static nChamadas := 0
	nChamadas++
Return nChamadas

Static Function Outro()
	Static nChamadas := 100
	nChamadas += 1
Return nChamadas

Static Function SomaArq()
	nArquivo += 1
Return
