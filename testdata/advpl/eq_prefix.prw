#include "totvs.ch"

// "=" compares strings with the prefix rule (SET EXACT OFF); "==" is exact.
User Function EqPrefix()
	ConOut("eq1", "abc" = "ab")
	ConOut("eq2", "ab" = "abc")
	ConOut("eq3", "abc" = "")
	ConOut("eq4", "" = "abc")
	ConOut("eq5", "abc " = "abc")
	ConOut("eq6", "abc" = "abc ")
	ConOut("ex1", "abc" == "ab")
	ConOut("ex2", "abc" == "abc")
	ConOut("ex3", "abc " == "abc")
	ConOut("ne1", "abc" != "ab")
	ConOut("ne2", "ab" <> "abc")
	ConOut("ne3", "ab" # "ab")
	ConOut("ne4", "abc" # "")
	ConOut("num", 1 = 1.0, 2 == 2, 3 != 4)
	ConOut("log", .T. == .T., .T. != .F.)
Return
