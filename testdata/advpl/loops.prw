#include "totvs.ch"

// Loop and Exit act on the innermost loop.
User Function Loops()
	Local i, j, cOut := ""
	For i := 1 To 3
		For j := 1 To 3
			If j == 2
				Loop
			EndIf
			If i == 3
				Exit
			EndIf
			cOut += cValToChar(i) + cValToChar(j) + " "
		Next
		cOut += "| "
	Next
	ConOut(AllTrim(cOut))

	i := 0
	cOut := ""
	While i < 10
		i++
		If i % 2 == 0
			Loop
		EndIf
		If i == 7
			Exit
		EndIf
		cOut += cValToChar(i)
	EndDo
	ConOut("while", cOut, i)

	cOut := ""
	For i := 1 To 2
		j := 0
		While .T.
			j++
			If j > 3
				Exit
			EndIf
			If j == 2
				Loop
			EndIf
			cOut += cValToChar(i * 10 + j) + " "
		EndDo
	Next
	ConOut("mixed", AllTrim(cOut))
Return
