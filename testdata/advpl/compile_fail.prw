#include "totvs.ch"

// A function whose body does not compile does not sink the file: a path
// that avoids it still runs.
User Function CompFail()
	ConOut("runs")
	If .F.
		Quebrada()
	EndIf
	ConOut("still runs")
Return

Static Function Quebrada()
	Local x := (1 +
Return x
