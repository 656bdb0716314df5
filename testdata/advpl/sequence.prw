#include "totvs.ch"

// Begin Sequence / Break / Recover Using, also from a called function,
// and Exit, Loop and Return inside a sequence.
User Function Seq()
	Local xRes, i, cOut := ""
	Begin Sequence
		ConOut("before break")
		Break("motivo")
		ConOut("not printed")
	Recover Using xRes
		ConOut("recovered", xRes)
	End Sequence
	ConOut("after")

	Begin Sequence
		ConOut("no break")
	Recover
		ConOut("not printed")
	End Sequence

	Begin Sequence
		Lanca()
		ConOut("not printed")
	Recover Using xRes
		ConOut("from callee", xRes)
	End Sequence

	Begin Sequence
		Break()
	End Sequence
	ConOut("no recover")

	For i := 1 To 5
		Begin Sequence
			If i == 2
				Loop
			EndIf
			If i == 4
				Exit
			EndIf
			cOut += cValToChar(i)
		End Sequence
	Next
	ConOut("loop", cOut, i)
	ConOut("return", Retorna())
Return

Static Function Lanca()
	Break("de dentro")
Return

Static Function Retorna()
	Begin Sequence
		Return "cedo"
	End Sequence
Return "tarde"
