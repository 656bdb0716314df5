package runtime

import (
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The database line. advmail has no Protheus database: table and work-area
// functions raise "file:line: DbSeek needs a database: not available in
// advmail; …". In lenient mode (advmail run --lenient, or [advmail]
// Lenient=1 in the server ini) they behave as on empty tables instead and
// write one warning line per name on stderr.
//
// Blank field values in lenient mode follow the field name's suffix (the
// part after the last "_", upper case):
//   - dates: EMISSAO, DATA, EMIS, VENCTO, VENCREA, and any suffix starting
//     with DT → an empty date;
//   - numbers: VALOR, QUANT, TOTAL, PRECO, PRCVEN, SALDO, DESC, and any
//     suffix starting with VAL, VL, QT or TOT → 0;
//   - logical: suffixes starting with "L" followed by only letters are not
//     guessed (too ambiguous): everything else is a blank string of
//     width 2 for FILIAL, 6 for COD/NUM/DOC, 40 otherwise.

// dbNeeded is the message of a database call outside lenient mode.
const dbNeeded = "needs a database: not available in advmail; a host application can register it (docs/embedding.md)"

// dbLenient reports whether database calls behave as on empty tables.
func (r *Runtime) dbLenient() bool {
	if r.lenient {
		return true
	}
	if r.srv == nil {
		return false
	}
	v, ok := r.srv.get("advmail", "Lenient")
	if !ok {
		return false
	}
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "1", ".T.", "T", "TRUE", "YES", "S", "Y", "ON":
		return true
	}
	return false
}

// dbWarn writes the lenient-mode warning for name once per Runtime.
func (r *Runtime) dbWarn(name string) {
	key := strings.ToLower(name)
	if r.env.dbWarned == nil {
		r.env.dbWarned = map[string]bool{}
	}
	if r.env.dbWarned[key] {
		return
	}
	r.env.dbWarned[key] = true
	fmt.Fprintf(r.stderr, "advmail: warning: %s %s (lenient mode: behaving as on an empty table)\n", name, dbNeeded)
}

// dbCall checks a database call named name: outside lenient mode it
// raises the database error at the caller's line; in lenient mode it
// warns once and returns so that the caller can return its empty result.
func (r *Runtime) dbCall(L *lua.LState, name string) {
	if !r.dbLenient() {
		L.RaiseError("%s %s", name, dbNeeded)
	}
	r.dbWarn(name)
}

// blankField returns the blank value of field in lenient mode.
func (r *Runtime) blankField(field string) lua.LValue {
	f := strings.ToUpper(strings.TrimSpace(field))
	suffix := f
	if i := strings.LastIndex(f, "_"); i >= 0 {
		suffix = f[i+1:]
	}
	switch {
	case isDateSuffix(suffix):
		return r.DateValue(Date{})
	case isNumSuffix(suffix):
		return lua.LNumber(0)
	case suffix == "FILIAL":
		return lua.LString(strings.Repeat(" ", 2))
	case suffix == "COD" || suffix == "NUM" || suffix == "DOC":
		return lua.LString(strings.Repeat(" ", 6))
	}
	return lua.LString(strings.Repeat(" ", 40))
}

func isDateSuffix(s string) bool {
	switch s {
	case "EMISSAO", "DATA", "EMIS", "VENCTO", "VENCREA", "DATE":
		return true
	}
	return strings.HasPrefix(s, "DT")
}

func isNumSuffix(s string) bool {
	switch s {
	case "VALOR", "QUANT", "TOTAL", "PRECO", "PRCVEN", "SALDO", "DESC":
		return true
	}
	for _, p := range []string{"VAL", "VL", "QT", "TOT"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// fieldGet reads ALIAS->FIELD.
func (r *Runtime) fieldGet(L *lua.LState, alias, field string) lua.LValue {
	r.dbCall(L, strings.ToUpper(alias)+"->"+strings.ToUpper(field))
	return r.blankField(field)
}

// fieldSet assigns ALIAS->FIELD := v (discarded in lenient mode).
func (r *Runtime) fieldSet(L *lua.LState, alias, field string, v lua.LValue) {
	r.dbCall(L, strings.ToUpper(alias)+"->"+strings.ToUpper(field))
}

// inAlias evaluates ALIAS->(expr): fn is called with no arguments and its
// first result returned.
func (r *Runtime) inAlias(L *lua.LState, alias string, fn *lua.LFunction) lua.LValue {
	r.dbCall(L, strings.ToUpper(alias)+"->(...)")
	if fn == nil {
		return lua.LNil
	}
	L.Push(fn)
	L.Call(0, 1)
	v := L.Get(-1)
	L.Pop(1)
	return v
}

// dbResult is what a database function returns in lenient mode.
type dbResult func(c fcall) lua.LValue

func dbConst(v lua.LValue) dbResult { return func(fcall) lua.LValue { return v } }

// dbFunctions lists the database functions and their lenient results.
var dbFunctions = []struct {
	name, doc string
	result    dbResult
}{
	{"DbSelectArea", "selects a work area", dbConst(lua.LNil)},
	{"DbSetOrder", "sets the index order", dbConst(lua.LNil)},
	{"DbSeek", "seeks a key: .F.", dbConst(lua.LFalse)},
	{"MsSeek", "seeks a key: .F.", dbConst(lua.LFalse)},
	{"DbSkip", "moves the record pointer", dbConst(lua.LNil)},
	{"DbGoTop", "goes to the first record", dbConst(lua.LNil)},
	{"DbGoBottom", "goes to the last record", dbConst(lua.LNil)},
	{"DbGoTo", "goes to a record number", dbConst(lua.LNil)},
	{"Eof", "end of file: .T.", dbConst(lua.LTrue)},
	{"Bof", "beginning of file: .T.", dbConst(lua.LTrue)},
	{"Found", "last seek found: .F.", dbConst(lua.LFalse)},
	{"Deleted", "record deleted: .F.", dbConst(lua.LFalse)},
	{"RecLock", "locks a record: .T.", dbConst(lua.LTrue)},
	{"MsUnlock", "unlocks a record", dbConst(lua.LNil)},
	{"MsRUnlock", "unlocks a record", dbConst(lua.LNil)},
	{"DbRLock", "locks a record: .T.", dbConst(lua.LTrue)},
	{"DbRUnlock", "unlocks a record", dbConst(lua.LNil)},
	{"DbUnlock", "unlocks the work area", dbConst(lua.LNil)},
	{"DbCloseArea", "closes the work area", dbConst(lua.LNil)},
	{"DbCommit", "commits the work area", dbConst(lua.LNil)},
	{"DbDelete", "deletes the record", dbConst(lua.LNil)},
	{"DbAppend", "appends a record", dbConst(lua.LNil)},
	{"DbEval", "evaluates a block per record (none)", dbConst(lua.LNil)},
	{"DbSetFilter", "sets a filter", dbConst(lua.LNil)},
	{"DbClearFilter", "clears the filter", dbConst(lua.LNil)},
	{"DbUseArea", "opens a table", dbConst(lua.LNil)},
	{"DbStruct", "table structure: {}", func(c fcall) lua.LValue { return c.L.NewTable() }},
	{"ChkFile", "opens a table: .T.", dbConst(lua.LTrue)},
	{"Select", "work area number: 0", dbConst(lua.LNumber(0))},
	{"Alias", "alias of the work area: \"\"", dbConst(lua.LString(""))},
	{"GetNextAlias", "a free alias name", func(c fcall) lua.LValue {
		c.r.env.aliasSeq++
		return lua.LString(fmt.Sprintf("QRY%05d", c.r.env.aliasSeq))
	}},
	{"RecCount", "number of records: 0", dbConst(lua.LNumber(0))},
	{"LastRec", "number of records: 0", dbConst(lua.LNumber(0))},
	{"RecNo", "record number: 0", dbConst(lua.LNumber(0))},
	{"FCount", "number of fields: 0", dbConst(lua.LNumber(0))},
	{"FieldPos", "position of a field: 0", dbConst(lua.LNumber(0))},
	{"FieldName", "name of a field: \"\"", dbConst(lua.LString(""))},
	{"FieldGet", "value of a field: NIL", dbConst(lua.LNil)},
	{"FieldPut", "assigns a field", dbConst(lua.LNil)},
	{"xFilial", "branch of a table: blanks", dbConst(lua.LString("  "))},
	{"Posicione", "value of a field after a seek: blank of the field's type", func(c fcall) lua.LValue {
		if s, ok := c.L.Get(4).(lua.LString); ok {
			return c.r.blankField(string(s))
		}
		return lua.LString("")
	}},
	{"GetArea", "saved work area: an array RestArea accepts", func(c fcall) lua.LValue {
		t := c.L.NewTable()
		t.Append(lua.LString(""))
		t.Append(lua.LNumber(0))
		t.Append(lua.LNumber(0))
		return t
	}},
	{"RestArea", "restores a saved work area", dbConst(lua.LNil)},
	{"RetSqlName", "SQL table name of an alias", func(c fcall) lua.LValue {
		if s, ok := c.L.Get(1).(lua.LString); ok {
			return lua.LString(strings.ToUpper(strings.TrimSpace(string(s))) + "010")
		}
		return lua.LString("")
	}},
	{"RetFullName", "SQL table name of an alias", func(c fcall) lua.LValue {
		if s, ok := c.L.Get(1).(lua.LString); ok {
			return lua.LString(strings.ToUpper(strings.TrimSpace(string(s))) + "010")
		}
		return lua.LString("")
	}},
	{"TCQuery", "runs a query into an alias (empty)", dbConst(lua.LNil)},
	{"TCGenQry", "prepares a query text", func(c fcall) lua.LValue {
		if s, ok := c.L.Get(3).(lua.LString); ok {
			return s
		}
		return lua.LString("")
	}},
	{"TCSqlExec", "runs an SQL statement: 0", dbConst(lua.LNumber(0))},
	{"TCSetField", "sets a query field type", dbConst(lua.LNil)},
	{"TCSqlError", "last SQL error: \"\"", dbConst(lua.LString(""))},
	{"MPSysOpenQuery", "opens a query into an alias (empty)", dbConst(lua.LNil)},
	{"ChangeQuery", "adapts a query to the database", func(c fcall) lua.LValue {
		if s, ok := c.L.Get(1).(lua.LString); ok {
			return s
		}
		return lua.LString("")
	}},
	{"SX2Name", "table description: \"\"", dbConst(lua.LString(""))},
	{"X3Titulo", "field title: \"\"", dbConst(lua.LString(""))},
	{"X3Picture", "field picture: \"\"", dbConst(lua.LString(""))},
	{"GetSX3Cache", "field metadata: NIL", dbConst(lua.LNil)},
	{"ExistCpo", "key exists: .F.", dbConst(lua.LFalse)},
	{"ExistChav", "key is free: .T.", dbConst(lua.LTrue)},
	{"GetSXENum", "next number: \"\"", dbConst(lua.LString(""))},
	{"ConfirmSX8", "confirms a number", dbConst(lua.LNil)},
	{"RollBackSX8", "discards a number", dbConst(lua.LNil)},
}

// dbPrelude returns the database functions as prelude entries.
func dbPrelude() []preludeFunc {
	out := make([]preludeFunc, 0, len(dbFunctions))
	for _, f := range dbFunctions {
		name, result := f.name, f.result
		out = append(out, preludeFunc{
			FuncSpec: spec(name, "Database: raises \"needs a database\"; in lenient mode "+f.doc+".",
				r1("xResult", "U", "the empty-table result in lenient mode"), o("xArgs", "U", "ignored")),
			fn: func(c fcall) int {
				c.r.dbCall(c.L, name)
				return c.push(result(c))
			},
		})
	}
	return out
}
