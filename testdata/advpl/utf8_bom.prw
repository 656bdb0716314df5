#include "totvs.ch"

// UTF-8 with a BOM.
User Function ComBom()
	ConOut("Olá", Len("Olá"), ProcLine())
Return
