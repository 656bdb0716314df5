// heartbeat.prw: a served User Function. It receives Parm1/Parm2 as
// character arguments, takes a named lock held in the job store (across
// every advmail serve sharing it) and works in short steps, checking
// KillApp() so that a stopping server ends it cleanly.
#include "totvs.ch"

User Function Heartbeat(cEmp, cFil)
	Local nStep

	If !LockByName("HEARTBEAT", .T., .T.)
		ConOut("HEARTBEAT: already running elsewhere")
		Return .F.
	EndIf
	ConOut("HEARTBEAT: company " + cEmp + " branch " + cFil)
	For nStep := 1 To 5
		If KillApp()
			ConOut("HEARTBEAT: server stopping, leaving at step " + cValToChar(nStep))
			Exit
		EndIf
		Sleep(200)
	Next
	UnLockByName("HEARTBEAT", .T., .T.)
Return .T.
