#include "totvs.ch"

// Omitted arguments are NIL; missing trailing ones too.
User Function Omitted()
	Args(1, , 3)
	Args()
	Args(, "b")
	Args(1, 2, 3)
	ConOut("builtin", SubStr("abcdef", 3), PadR("x", 3) + "|")
Return

Static Function Args(a, b, c)
	ConOut(ValType(a), ValType(b), ValType(c))
Return
