#include "totvs.ch"

// A Private is visible in the functions its creator calls and disappears
// when its creator returns; a Private in a callee shadows the caller's.
User Function PrivVis()
	Private cPriv := "de fora"
	Private nNivel := 1
	MostraPriv()
	ConOut("after", cPriv)
	CriaPriv()
	ConOut("gone", Type("cInner"))
	Sombra()
	ConOut("restored", nNivel)
Return

Static Function MostraPriv()
	ConOut("seen", cPriv)
	cPriv := "mudado"
Return

Static Function CriaPriv()
	Private cInner := "x"
	ConOut("inner", Type("cInner"))
	MaisFundo()
Return

Static Function MaisFundo()
	ConOut("deeper", cInner)
Return

Static Function Sombra()
	Private nNivel := 2
	ConOut("shadow", nNivel)
	MaisFundo2()
Return

Static Function MaisFundo2()
	ConOut("shadow seen", nNivel)
Return
