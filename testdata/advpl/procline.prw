#include "totvs.ch"

// ProcName/ProcLine name the source's own lines (the Lua keeps them).
User Function ProcL()
	Local aLista := { ;
		1, ;
		2}
	ConOut(ProcName(), ProcLine())
	Quem()
Return

Static Function Quem()
	ConOut(ProcName(), ProcLine(), ProcName(1))
Return
