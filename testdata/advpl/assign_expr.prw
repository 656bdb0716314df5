#include "totvs.ch"

// := inside expressions, compound assignment, ++ and --.
User Function AssignX()
	Local n, x := 5, c := "a", m
	If (n := Dobro(4)) > 0
		ConOut("n", n)
	EndIf
	x += 3
	ConOut("+=", x)
	x -= 1
	ConOut("-=", x)
	x *= 2
	ConOut("*=", x)
	x /= 7
	ConOut("/=", x)
	x++
	ConOut("++", x)
	x--
	ConOut("--", x)
	ConOut("pre", ++x, x)
	ConOut("post", x++, x)
	c += "b"
	ConOut("c", c)
	n := m := 1
	ConOut("chain", n, m)
	While (x := x - 1) > 0
	EndDo
	ConOut("while", x)
Return

Static Function Dobro(n)
Return n * 2
