#include "totvs.ch"

// Array literals keep their length with NIL elements; a[i, j] is a[i][j].
User Function Arrays()
	Local a := {1, Nil, 3}
	Local b := {Nil, Nil}
	Local c := {1, Nil}
	Local d := {}
	Local m := {{1, 2}, {3, 4}}
	Local i := 2
	ConOut("len", Len(a), Len(b), Len(c), Len(d))
	ConOut("index", m[2, 1], m[2][2], m[1, i], m[i][i - 1])
	m[1, 1] := 10
	m[2][2] += 1
	ConOut("set", m[1][1], m[2, 2])
	ConOut("nil", ValType(a[2]), a[2] == Nil)
	aAdd(c, Nil)
	ConOut("aadd nil", Len(c))
	aSize(d, 4)
	ConOut("asize", Len(d), ValType(d[4]))
	aDel(a, 1)
	ConOut("adel", Len(a), a[2], ValType(a[3]))
	d := aClone(m)
	d[1][1] := 99
	ConOut("aclone", m[1][1], d[1][1])
	ConOut("atail", aTail(m)[1], Len({{}, {}, {}}))
Return
