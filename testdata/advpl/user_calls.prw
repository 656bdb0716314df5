#include "totvs.ch"

// User Functions are global as U_Name; Static Functions are callable before
// their definition; Return with and without a value.
User Function UCalls()
	ConOut("u", U_UDobro(21), U_udobro(1))
	ConOut("static", Antes(), ValType(SemValor()))
	ConOut("early", Cedo(.T.), Cedo(.F.))
Return

User Function UDobro(n)
Return n * 2

Static Function Antes()
Return "definida depois"

Static Function SemValor()
Return

Static Function Cedo(lSai)
	If lSai
		Return "cedo"
	EndIf
Return "tarde"
