#include "totvs.ch"

// Without --call the Main Function runs, even after a User Function.
User Function NaoEsta()
	ConOut("wrong entry point")
Return

Main Function Principal()
	ConOut("main", U_NaoEstaValor())
Return

User Function NaoEstaValor()
Return "ok"
