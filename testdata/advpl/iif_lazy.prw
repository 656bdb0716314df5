#include "totvs.ch"

// IIf/If evaluate only the chosen branch; .And./.Or. short-circuit.
User Function IIfLazy()
	Private nCalls := 0
	ConOut("iif", IIf(.T., "sim", Conta()))
	ConOut("calls", nCalls)
	ConOut("if", If(1 > 2, Conta(), "nao"))
	ConOut("calls", nCalls)
	ConOut("iif2", IIf(.F., "x", Conta()))
	ConOut("calls", nCalls)
	ConOut("and", .F. .And. Conta() > 0)
	ConOut("or", .T. .Or. Conta() > 0)
	ConOut("calls", nCalls)
	ConOut("nil", IIf(.T., Nil, 1), IIf(.T., .F., .T.))
Return

Static Function Conta()
	nCalls++
Return nCalls
