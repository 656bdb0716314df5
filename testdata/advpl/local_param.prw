#include "totvs.ch"

// A Local with a parameter's name is accepted, as TOTVS's compiler does.
User Function LocParam()
	ConOut(Dup("a"))
	ConOut(Mesmo(5))
Return

Static Function Dup(cTexto)
	Local cTexto := cTexto + "b"
Return cTexto

Static Function Mesmo(nVal)
	Local nVal := nVal * 2, nOutro := 1
Return nVal + nOutro
