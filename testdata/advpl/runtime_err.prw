#include "totvs.ch"

// A runtime error with the default ErrorBlock ends the program at file:line.
User Function RtErr()
	Local xVal
	ConOut("antes")
	Calcula()
Return

Static Function Calcula()
	Local n := 1
	Return n + "a"
