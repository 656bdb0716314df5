#include "totvs.ch"

User Function DoCase()
	ConOut(Classe(-1), Classe(0), Classe(5), Classe(50))
	ConOut(Primeiro(3))
Return

Static Function Classe(n)
	Local c
	Do Case
	Case n < 0
		c := "neg"
	Case n == 0
		c := "zero"
	Case n < 10
		c := "small"
	Otherwise
		c := "big"
	EndCase
Return c

// Only the first true Case runs.
Static Function Primeiro(n)
	Local c := ""
	Do Case
		Case n > 0
			c += "a"
		Case n > 1
			c += "b"
	EndCase
	Do Case
		Case n > 10
			c += "c"
	EndCase
Return c
