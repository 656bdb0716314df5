#include "totvs.ch"
#include "tbiconn.ch"

// The Publics of a Protheus thread: dDataBase exists from the start;
// PREPARE ENVIRONMENT sets cEmpAnt, cFilAnt and FunName().
User Function Environment()
	ConOut("ddatabase", ValType(dDataBase), dDataBase == Date())
	dDataBase := dDataBase + 1
	ConOut("moved", dDataBase - Date())
	PREPARE ENVIRONMENT EMPRESA "01" FILIAL "0101" MODULO "FAT" FUNNAME "ENVIRONMENT"
	ConOut("empresa", cEmpAnt, cFilAnt, FunName())
	RESET ENVIRONMENT
Return .T.
