#include "totvs.ch"

// [...] is a string literal except right after an operand, where it indexes.
User Function Brackets()
	Local a := {"x", "y"}
	Local c := [texto com "aspas" e 'apostrofos']
	ConOut(c)
	ConOut(a[2], a[1] + [!])
	ConOut(['simples'], Len([abc]))
	ConOut('dupla "dentro"', "simples 'dentro'")
Return
