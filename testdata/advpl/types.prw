#include "totvs.ch"

// Type() evaluates a string and sees only memvars; ValType() takes a value.
User Function Types()
	Local cLocal := "x"
	Private cP := "x", nP := 1, aP := {}, bP := {|| 1}
	Private dP := CToD("01/01/2026"), lP := .T., oP := TMailMessage():New(), uP := Nil
	ConOut("type", Type("cP"), Type("nP"), Type("aP"), Type("bP"), Type("dP"), Type("lP"), Type("oP"))
	ConOut("undef", Type("uP"), Type("naoExiste"), Type("cLocal"))
	ConOut("expr", Type("1 + 1"), Type('"a" + "b"'), Type("nP > 0"))
	ConOut("valtype", ValType("x"), ValType(1), ValType(.T.), ValType(Nil), ValType({}), ValType({|| 1}), ValType(Date()), ValType(oP))
	ConOut("local", ValType(cLocal))
Return
