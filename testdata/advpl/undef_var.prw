#include "totvs.ch"

User Function UndefV()
	Local nX
	ConOut("antes")
	nX := nNaoDeclarada + 1
Return
