#include "totvs.ch"

// Dates: date + n, date - n, date - date (days), CToD/DToS/StoD.
User Function Dates()
	Local dIni := CToD("30/11/2026")
	Local dFim := CToD("01/01/2027")
	ConOut("plus", dIni + 1)
	ConOut("minus", dIni - 30)
	ConOut("days", dFim - dIni)
	ConOut("dtos", DToS(dIni), DToS(dIni + 2))
	ConOut("stod", StoD("20260229") == CToD(""), StoD("20280229"))
	ConOut("type", ValType(dIni), ValType(Date()), ValType(Date() + 1), ValType(dFim - dIni))
	ConOut("today", Date() - Date(), (Date() + 1) - Date())
	ConOut("parts", Day(dIni), Month(dIni + 1), Year(dIni + 32))
	ConOut("cmp", dIni < dFim, dIni == CToD("30/11/26"), Empty(CToD("")))
Return
