package runtime

import "testing"

func TestJsonObject(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	cases := []struct{ code, want string }{
		{`local o = JsonObject():New(); o["nome"] = "João"; o["valor"] = 10.5; o["ok"] = true; return o:ToJson()`,
			`{"nome":"João","valor":10.5,"ok":true}`},
		{`local o = JsonObject():New(); return tostring(o:FromJson('{"a":1,"b":{"c":[1,"x",null,{"d":false}]},"A":2}'))`, "nil"},
		{`local o = JsonObject():New(); o:FromJson('{"a":1,"b":{"c":[1,"x",null,{"d":false}]},"A":2}'); return o:ToJson()`,
			`{"a":1,"b":{"c":[1,"x",null,{"d":false}]},"A":2}`},
		{`local o = JsonObject():New(); o:FromJson('{"a":1,"A":2}'); return o["a"] + o["A"] * 10`, "21"},
		{`local o = JsonObject():New(); o:FromJson('{"b":{"c":[1,{"d":"z"}]}}'); return o["b"]["c"][2]["d"]`, "z"},
		{`local o = JsonObject():New(); o:FromJson('{"x":1,"y":2}'); return table.concat(o:GetNames(), ",")`, "x,y"},
		{`local o = JsonObject():New(); o:FromJson('{"x":1}'); return tostring(o:HasProperty("x")) .. tostring(o:hasproperty("X"))`, "truefalse"},
		{`local o = JsonObject():New(); o:FromJson('{"b":{"c":1}}'); return o:GetJsonObject("b"):ToJson()`, `{"c":1}`},
		{`local o = JsonObject():New(); o:FromJson('{"b":[1,2]}'); return o:GetJsonText("b") .. o:GetJsonText("zz")`, `[1,2]null`},
		{`local o = JsonObject():New(); local e = o:FromJson('{"a":'); return ValType(e)`, "C"},
		{`local o = JsonObject():New(); return ValType(o:FromJson('[1]'))`, "C"},
		{`local o = JsonObject():New(); o:Set("k", {1, 2}); o:TOJSON(); return o:tojson()`, `{"k":[1,2]}`},
		{`local o = JsonObject():New(); local i = JsonObject():New(); i["x"] = "a\"b"; o["in"] = i; return o:ToJson()`, `{"in":{"x":"a\"b"}}`},
		{`return ValType(JsonObject():New())`, "O"},
		{`local o = JsonObject():New(); o:FromJson(string.rep("[", 2000)); return "ok"`, "ok"},
	}
	for _, tc := range cases {
		vs := evalLua(t, r, tc.code)
		if len(vs) == 0 || vs[0].String() != tc.want {
			t.Errorf("%s = %v, want %s", tc.code, vs, tc.want)
		}
	}
}
