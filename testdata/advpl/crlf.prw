#include "totvs.ch"

// CRLF line ends; ";" continuation across CRLF.
User Function CrLf()
	Local c := "a" + ;
		"b"
	ConOut(c, ProcLine(), ProcName())
Return
