#include "totvs.ch"

// With the default ErrorBlock a runtime error is not caught by Recover:
// it ends the program at file:line, as in Protheus.
User Function SeqNoBlk()
	Local xVal
	Begin Sequence
		xVal := 1 + "a"
	Recover
		ConOut("not printed")
	End Sequence
	ConOut("not printed either")
Return
