#include "totvs.ch"

#define MAX_ITENS 3
#define SAUDACAO "Olá"
#define DOBRO(x) ((x) * 2)
#define SOMA(a, b) ((a) + (b))

User Function Defines()
	ConOut(MAX_ITENS, SAUDACAO, DOBRO(1 + 2), SOMA(2, 3), SOMA(DOBRO(1), MAX_ITENS))
#ifdef MAX_ITENS
	ConOut("ifdef ok")
#else
	ConOut("ifdef wrong")
#endif
#undef MAX_ITENS
#ifndef MAX_ITENS
	ConOut("undef ok")
#else
	ConOut("undef wrong")
#endif
	ConOut("crlf", Len(CRLF), At(CRLF, "x" + CRLF))
Return
