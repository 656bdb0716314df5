#include "totvs.ch"

#command MOSTRA <x> [ROTULO <r>] => ConOut(<r>, <x>)

// ";" at the end of a line continues an expression, a call and a command.
User Function Contin()
	Local cTexto := "um " + ;
		"dois " + ;
		"tres"
	Local nSoma := Soma(1, ;
		2, ;
		3)
	ConOut(cTexto)
	ConOut("soma", nSoma)
	MOSTRA 1 + ;
		2 ;
		ROTULO "cmd"
	If nSoma > 5 .And. ;
			Len(cTexto) > 3
		ConOut("if ok")
	EndIf
	nSoma := 0; nSoma += 2; ConOut("same line", nSoma)
Return

Static Function Soma(a, b, c)
Return a + b + c
