#include "totvs.ch"

// Fonte salvo em Windows-1252: acentuação.
User Function Acentos()
	Local cTexto := "Ação: situação crítica"
	ConOut(cTexto)
	ConOut(Len("ação"), Upper("é") == "É", SubStr("João", 3, 1))
	ConOut("Relatório de Vendas – Novembro")
Return
