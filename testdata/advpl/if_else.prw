#include "totvs.ch"

User Function IfElse()
	Local n
	For n := 1 To 4
		If n == 1
			ConOut("um")
		ElseIf n == 2
			ConOut("dois")
		ElseIf n == 3 .And. .Not. (n == 2)
			ConOut("tres")
		Else
			ConOut("outro")
		EndIf
	Next
	If .F.
		ConOut("never")
	Endif
	if n > 4
		conout("lower case keywords")
	endif
	ConOut("not", !.T., .Not. .F., !.T. .Or. .T., !(.T. .And. .F.))
Return
