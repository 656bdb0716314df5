#include "totvs.ch"

User Function Blocks()
	Local bSoma := {|a, b| a + b}
	Local aNum := {3, 1, 2}
	Local nSum := 0, cIdx := ""
	Local bLista := {|| ConOut("side"), 99}
	ConOut("eval", Eval(bSoma, 2, 3))
	aEval(aNum, {|x| nSum += x})
	ConOut("aeval", nSum)
	aEval(aNum, {|x, i| cIdx += cValToChar(i)})
	ConOut("index", cIdx)
	ConOut("ascan", aScan(aNum, {|x| x == 2}), aScan(aNum, 1), aScan(aNum, 9))
	aSort(aNum)
	ConOut("asort", aNum[1], aNum[2], aNum[3])
	aSort(aNum, , , {|x, y| x > y})
	ConOut("desc", aNum[1], aNum[2], aNum[3])
	ConOut("list", Eval(bLista))
	ConOut("type", ValType(bSoma), ValType(Eval({|| Nil})))
	ConOut("nested", Eval({|x| Eval({|y| x * y}, 3)}, 4))
Return
