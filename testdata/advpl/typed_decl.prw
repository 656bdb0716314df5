#include "totvs.ch"

// TLPP-style typed declarations: the type is ignored.
User Function Typed()
	Local cNome as Character
	Local nTotal as Numeric := 0
	Local aItens as Array
	Local lOk As Logical := .T.
	cNome := "tipado"
	aItens := {1, 2}
	nTotal := Soma(aItens)
	ConOut(cNome, nTotal, lOk, ValType(aItens))
Return

Static Function Soma(aValores as Array) as Numeric
	Local nI as Numeric, nRet as Numeric := 0
	For nI := 1 To Len(aValores)
		nRet += aValores[nI]
	Next
Return nRet
