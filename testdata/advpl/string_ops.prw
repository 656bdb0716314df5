#include "totvs.ch"

// "+" concatenates; "-" concatenates moving the left side's trailing blanks to the end.
User Function StrOps()
	Local cA := "ab  "
	Local cB := "cd"
	ConOut("[" + cA + cB + "]")
	ConOut("[" + (cA - cB) + "]")
	ConOut(Len(cA - cB))
	ConOut("[" + ("x" - "y") + "]")
	ConOut("lt", "a" < "b", "abc" < "abd", "b" > "a", "a" <= "a")
	ConOut("[" + Space(2) + "]", Replicate("-", 3))
Return
