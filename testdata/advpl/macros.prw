#include "totvs.ch"

// Macros see memvars (Private/Public), are compiled at run time.
User Function Macros()
	Private cVar := "nValor"
	Private nValor := 42
	Private cExpr := "nValor * 2"
	Private cNome := "Valor"
	Private cPre := "n"
	Private cBlk := "{|x| x + 1}"
	Private bBlk
	ConOut("m1", &cVar)
	ConOut("m2", &(cExpr))
	ConOut("m3", &("U_MacroX()"))
	ConOut("m4", &("n" + cNome))
	ConOut("m5", &cPre.Valor)
	ConOut("m6", &cVar.)
	&cVar := 7
	ConOut("m7", nValor)
	bBlk := &cBlk
	ConOut("m8", Eval(bBlk, 1))
	ConOut("m9", &("Upper('abc') + 'd'"))
Return

User Function MacroX()
Return "chamada"
