#include "totvs.ch"

// "@var" passes a variable by reference, to Static and User Functions.
User Function ByRef()
	Local n := 1
	Local a := {1, 2}
	Local c := "a"
	Incr(@n)
	ConOut("n", n)
	Incr(n)
	ConOut("n still", n)
	Cresce(@a)
	ConOut("len", Len(a))
	Cresce(a)
	ConOut("len by value", Len(a))
	Troca(@a)
	ConOut("replaced", Len(a), a[1])
	Troca2(a)
	ConOut("kept", Len(a), a[1])
	Dois(@n, @c)
	ConOut("two", n, c)
	U_RefDobra(@n)
	ConOut("user", n)
	If Incr(@n) == Nil .And. n == 41
		ConOut("in expr", n)
	EndIf
Return

User Function RefDobra(nX)
	nX := nX * 2
Return

Static Function Incr(x)
	x++
Return

Static Function Cresce(aX)
	aAdd(aX, Len(aX) + 1)
Return

Static Function Troca(aX)
	aX := {"novo"}
Return

Static Function Troca2(aX)
	aX := {"outro", "array"}
Return

Static Function Dois(nX, cX)
	nX *= 10
	cX += "b"
Return
