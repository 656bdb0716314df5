#include "totvs.ch"

User Function WhileT()
	Local n := 0
	Do While n < 3
		n++
	EndDo
	ConOut("dowhile", n)
	While n > 0
		n -= 2
	EndDo
	ConOut("while", n)
	While .F.
		ConOut("never")
	EndDo
	ConOut("done")
Return
