#include "totvs.ch"

#command MOSTRA <x,...> => ConOut(<x>)
#command SOMA <v> COM <n> => <v> += <n>
#xcommand LISTA <a> [ROTULO <r>] => ConOut(<"a"> [, <r>])
#xtranslate DOBRA(<x>) => (<x> * 2)
#translate PI_APROX => 3.14

// User #command/#translate rules: list, optional clauses, stringify,
// case-insensitive keywords, four-letter abbreviation for #command;
// substitution is textual: DOBRA(n + 1) is (n + 1 * 2).
User Function Commands()
	Local n := 1
	MOSTRA "a", "b"
	SOMA n COM 5
	ConOut("soma", n)
	ConOut("dobra", DOBRA(n), dobra(n + 1))
	LISTA n ROTULO "rotulo"
	LISTA n
	ConOut("pi", PI_APROX)
	mostra "minusculas"
	MOST "abreviado"
Return
