#include "totvs.ch"

// Default sets a parameter only when it is NIL; several per line.
User Function DefVal()
	Mostra()
	Mostra("x")
	Mostra(, 5)
	Mostra("y", 0)
Return

Static Function Mostra(cA, nB)
	Default cA := "padrao", nB := 1
	ConOut(cA, nB)
Return
