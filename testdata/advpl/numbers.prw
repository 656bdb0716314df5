#include "totvs.ch"

User Function Numbers()
	ConOut("arit", 2 + 3 * 4, (2 + 3) * 4, 10 / 4, 10 - 2 - 3)
	ConOut("mod", 7 % 3, 10 % 5)
	ConOut("pow", 2 ** 3, 2 ^ 10)
	ConOut("neg", -5 + 2, - (3))
	ConOut("cmp", 1 < 2, 2 <= 2, 3 > 4, 4 >= 5)
	ConOut("str", "[" + Str(12, 5) + "]", StrZero(7, 3), Val("42") + 1)
Return
