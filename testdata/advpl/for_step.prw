#include "totvs.ch"

// For with Step (negative too); the limit is evaluated on every iteration;
// the counter ends one step past the limit.
User Function ForStep()
	Local i, cOut := "", nLim := 3, nPasso := -2
	For i := 1 To 3
	Next
	ConOut("end", i)
	For i := 10 To 1 Step -3
		cOut += cValToChar(i) + " "
	Next
	ConOut("down", AllTrim(cOut), i)
	cOut := ""
	For i := 1 To 10 Step 4
		cOut += cValToChar(i) + " "
	Next
	ConOut("up", AllTrim(cOut), i)
	cOut := ""
	For i := 1 To nLim
		cOut += cValToChar(i) + " "
		If i == 1
			nLim := 5
		EndIf
	Next
	ConOut("limit", AllTrim(cOut), i)
	cOut := ""
	For i := 6 To 1 Step nPasso
		cOut += cValToChar(i) + " "
	Next
	ConOut("var step", AllTrim(cOut), i)
	For i := 5 To 1
		ConOut("never")
	Next
	ConOut("none", i)
	For i := 1 To 10
		If i == 4
			Exit
		EndIf
	Next
	ConOut("exit", i)
Return
