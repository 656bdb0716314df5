#include "totvs.ch"

// Calling a function whose body does not compile raises its compile error.
User Function CompCall()
	ConOut("before")
	Quebrada()
	ConOut("not printed")
Return

Static Function Quebrada()
	Local x := (1 +
Return x
