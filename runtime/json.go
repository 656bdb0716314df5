package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// JsonObject: JsonObject():New() is an object (ValType "O") whose
// properties are JSON keys, case-sensitive and kept in insertion order:
// o["k"] reads (NIL when absent), o["k"] = v writes. Methods, in any
// letter case: FromJson(cJson) (NIL on success, else an error text),
// ToJson(), GetNames(), HasProperty(cKey), GetJsonObject(cKey),
// GetJsonText(cKey) (the value as text, "null" when absent), Set(cKey,
// xValue), DelName(cKey). JSON objects become JsonObjects, arrays AdvPL
// arrays, null NIL.

// jsonObject is the Go value of a JsonObject.
type jsonObject struct {
	keys []string
	vals map[string]lua.LValue
}

// maxJSONDepth bounds nesting when parsing and serialising.
const maxJSONDepth = 512

func (j *jsonObject) set(k string, v lua.LValue) {
	if _, ok := j.vals[k]; !ok {
		if v == lua.LNil {
			return
		}
		j.keys = append(j.keys, k)
	}
	if v == lua.LNil {
		j.del(k)
		return
	}
	j.vals[k] = v
}

func (j *jsonObject) del(k string) {
	if _, ok := j.vals[k]; !ok {
		return
	}
	delete(j.vals, k)
	for i, n := range j.keys {
		if n == k {
			j.keys = append(j.keys[:i], j.keys[i+1:]...)
			break
		}
	}
}

const jsonMTKey = "advmail.JsonObject"

// newJSON returns a new empty JsonObject value.
func (r *Runtime) newJSON(L *lua.LState) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = &jsonObject{vals: map[string]lua.LValue{}}
	L.SetMetatable(ud, r.jsonMT(L))
	return ud
}

func checkJSON(L *lua.LState) *jsonObject {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if j, ok := ud.Value.(*jsonObject); ok {
			return j
		}
	}
	L.RaiseError("JsonObject method called without an object (use o:Method())")
	return nil
}

// jsonMT returns the metatable of JsonObjects, created once per state.
func (r *Runtime) jsonMT(L *lua.LState) *lua.LTable {
	if mt, ok := L.G.Registry.RawGetString(jsonMTKey).(*lua.LTable); ok {
		return mt
	}
	mt := L.NewTable()
	methods := map[string]lua.LGFunction{
		"new": func(L *lua.LState) int { L.Push(L.Get(1)); return 1 },
		"fromjson": func(L *lua.LState) int {
			j := checkJSON(L)
			v, err := r.parseJSON(L, L.CheckString(2))
			if err != nil {
				L.Push(lua.LString("JsonObject:FromJson: " + err.Error()))
				return 1
			}
			if ud, ok := v.(*lua.LUserData); ok {
				*j = *ud.Value.(*jsonObject)
			} else {
				L.Push(lua.LString("JsonObject:FromJson: the JSON text is not an object"))
				return 1
			}
			L.Push(lua.LNil)
			return 1
		},
		"tojson": func(L *lua.LState) int {
			var b bytes.Buffer
			if err := r.writeJSON(&b, L.Get(1), 0); err != nil {
				L.RaiseError("JsonObject:ToJson: %v", err)
			}
			L.Push(lua.LString(b.String()))
			return 1
		},
		"getnames": func(L *lua.LState) int {
			j := checkJSON(L)
			t := L.CreateTable(len(j.keys), 0)
			for _, k := range j.keys {
				t.Append(lua.LString(k))
			}
			L.Push(t)
			return 1
		},
		"hasproperty": func(L *lua.LState) int {
			_, ok := checkJSON(L).vals[L.CheckString(2)]
			L.Push(lua.LBool(ok))
			return 1
		},
		"getjsonobject": func(L *lua.LState) int {
			v, ok := checkJSON(L).vals[L.CheckString(2)]
			if !ok {
				v = lua.LNil
			}
			L.Push(v)
			return 1
		},
		"getjsontext": func(L *lua.LState) int {
			v, ok := checkJSON(L).vals[L.CheckString(2)]
			if !ok {
				L.Push(lua.LString("null"))
				return 1
			}
			if s, isStr := v.(lua.LString); isStr {
				L.Push(s)
				return 1
			}
			var b bytes.Buffer
			if err := r.writeJSON(&b, v, 0); err != nil {
				L.RaiseError("JsonObject:GetJsonText: %v", err)
			}
			L.Push(lua.LString(b.String()))
			return 1
		},
		"set": func(L *lua.LState) int {
			checkJSON(L).set(L.CheckString(2), L.Get(3))
			return 0
		},
		"delname": func(L *lua.LState) int {
			checkJSON(L).del(L.CheckString(2))
			return 0
		},
	}
	fns := map[string]*lua.LFunction{}
	for k, f := range methods {
		fns[k] = L.NewFunction(f)
	}
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		j := checkJSON(L)
		k := L.Get(2)
		if s, ok := k.(lua.LString); ok {
			if v, ok := j.vals[string(s)]; ok {
				L.Push(v)
				return 1
			}
			if f, ok := fns[strings.ToLower(string(s))]; ok {
				L.Push(f)
				return 1
			}
		}
		L.Push(lua.LNil)
		return 1
	}))
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		j := checkJSON(L)
		j.set(lua.LVAsString(L.Get(2)), L.Get(3))
		return 0
	}))
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("JsonObject"))
		return 1
	}))
	L.G.Registry.RawSetString(jsonMTKey, mt)
	return mt
}

// parseJSON converts JSON text to Lua values.
func (r *Runtime) parseJSON(L *lua.LState, s string) (lua.LValue, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := r.jsonValue(L, dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("text after the JSON value")
	}
	return v, nil
}

func (r *Runtime) jsonValue(L *lua.LState, dec *json.Decoder, depth int) (lua.LValue, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			ud := r.newJSON(L)
			j := ud.Value.(*jsonObject)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := r.jsonValue(L, dec, depth+1)
				if err != nil {
					return nil, err
				}
				if v == lua.LNil {
					if _, ok := j.vals[k]; !ok {
						j.keys = append(j.keys, k)
					}
					j.vals[k] = lua.LNil
					continue
				}
				j.set(k, v)
			}
			_, err := dec.Token()
			return ud, err
		case '[':
			arr := L.NewTable()
			n := 0
			for dec.More() {
				v, err := r.jsonValue(L, dec, depth+1)
				if err != nil {
					return nil, err
				}
				n++
				arr.RawSetInt(n, v)
			}
			if arr.Len() < n {
				r.setLen(arr, n)
			}
			_, err := dec.Token()
			return arr, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return lua.LString(t), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return nil, err
		}
		return lua.LNumber(f), nil
	case bool:
		return lua.LBool(t), nil
	case nil:
		return lua.LNil, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// writeJSON serialises v.
func (r *Runtime) writeJSON(b *bytes.Buffer, v lua.LValue, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("nested too deeply (a cycle?)")
	}
	switch x := v.(type) {
	case *lua.LNilType:
		b.WriteString("null")
	case lua.LBool:
		b.WriteString(strconv.FormatBool(bool(x)))
	case lua.LNumber:
		b.WriteString(numText(float64(x)))
	case lua.LString:
		enc, _ := json.Marshal(string(x))
		b.Write(enc)
	case *lua.LUserData:
		if j, ok := x.Value.(*jsonObject); ok {
			b.WriteByte('{')
			for i, k := range j.keys {
				if i > 0 {
					b.WriteByte(',')
				}
				enc, _ := json.Marshal(k)
				b.Write(enc)
				b.WriteByte(':')
				if err := r.writeJSON(b, j.vals[k], depth+1); err != nil {
					return err
				}
			}
			b.WriteByte('}')
			return nil
		}
		if d, ok := ToDate(v); ok {
			enc, _ := json.Marshal(d.DtoS())
			b.Write(enc)
			return nil
		}
		b.WriteString("null")
	case *lua.LTable:
		b.WriteByte('[')
		for i := 1; i <= r.arrLen(x); i++ {
			if i > 1 {
				b.WriteByte(',')
			}
			if err := r.writeJSON(b, x.RawGetInt(i), depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		if d, ok := ToDate(v); ok {
			enc, _ := json.Marshal(d.DtoS())
			b.Write(enc)
			return nil
		}
		b.WriteString("null")
	}
	return nil
}

// jsonPrelude returns the JsonObject class function.
func jsonPrelude() []preludeFunc {
	return []preludeFunc{
		{spec("JsonObject", "Returns a new JsonObject (see docs/api.md): o:FromJson, o:ToJson, o:GetNames, o:HasProperty, o[\"key\"].",
			r1("oJson", "O", "")), func(c fcall) int { return c.push(c.r.newJSON(c.L)) }},
	}
}
