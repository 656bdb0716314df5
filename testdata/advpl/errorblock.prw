#include "totvs.ch"

// ErrorBlock turns a runtime error into a Break caught by Recover.
User Function ErrBlk()
	Local oErr, bOld, xVal
	bOld := ErrorBlock({|e| Break(e)})
	Begin Sequence
		xVal := 1 + "a"
		ConOut("not printed")
	Recover Using oErr
		ConOut("caught", ValType(oErr), ValType(oErr:Description), !Empty(oErr:Description))
	End Sequence
	Begin Sequence
		NaoExisteNada()
	Recover Using oErr
		ConOut("undefined caught", ValType(oErr))
	End Sequence
	ErrorBlock(bOld)
	ConOut("block", ValType(bOld))
Return
