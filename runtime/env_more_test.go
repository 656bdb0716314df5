package runtime

import "testing"

func TestExtenso(t *testing.T) {
	cases := []struct {
		v    float64
		qty  bool
		want string
	}{
		{1, false, "UM REAL"},
		{0.01, false, "UM CENTAVO"},
		{0.5, false, "CINQUENTA CENTAVOS"},
		{100, false, "CEM REAIS"},
		{101, false, "CENTO E UM REAIS"},
		{1000, false, "MIL REAIS"},
		{1001, false, "MIL E UM REAIS"},
		{1234.56, false, "MIL DUZENTOS E TRINTA E QUATRO REAIS E CINQUENTA E SEIS CENTAVOS"},
		{2000000, false, "DOIS MILHÕES DE REAIS"},
		{1000000, false, "UM MILHÃO DE REAIS"},
		{1500, false, "MIL E QUINHENTOS REAIS"},
		{21, true, "VINTE E UM"},
		{0, false, "ZERO REAIS"},
	}
	for _, tc := range cases {
		if got := extenso(tc.v, tc.qty); got != tc.want {
			t.Errorf("Extenso(%v, %v) = %q, want %q", tc.v, tc.qty, got, tc.want)
		}
	}
}

func TestMoreFunctions(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	cases := []struct{ code, want string }{
		{`return Round(2.345, 2)`, "2.35"},
		{`return Round(-2.5, 0)`, "-3"},
		{`return NoRound(2.349, 2)`, "2.34"},
		{`return NoRound(2.349)`, "2.34"},
		{`return Int(-3.7)`, "-3"},
		{`local n = Randomize(1, 3); return n >= 1 and n < 3`, "true"},
		{`return ElapTime("23:59:00", "00:01:30")`, "00:02:30"},
		{`return ElapTime("08:00:00", "17:30:15")`, "09:30:15"},
		{`return DoW(StoD("20261125"))`, "4"},
		{`return CDoW(StoD("20261129"))`, "Domingo"},
		{`return CMonth(StoD("20260315"))`, "Março"},
		{`return MesExtenso(12)`, "Dezembro"},
		{`return MesExtenso()`, "Novembro"},
		{`return MesExtenso(StoD("20260101"))`, "Janeiro"},
		{`return Extenso(1.5)`, "UM REAL E CINQUENTA CENTAVOS"},
		{`local a = {1, 2, 3}; aIns(a, 2); return tostring(a[2]) .. a[3] .. Len(a)`, "nil23"},
		{`return Eval(function(a, b) return a + b end, 2, 3)`, "5"},
		{`local s = 0; aEval({1, 2, 3}, function(x, i) s = s + x * i end); return s`, "14"},
		{`return #Separa("a;;b", ";")`, "3"},
		{`return #Separa("a;;b", ";", false)`, "2"},
		{`return Separa("1,2")[2]`, "2"},
		{`return FwNoAccent("Ação São Paulo")`, "Acao Sao Paulo"},
		{`return NoAcento("é")`, "e"},
		{`return FwCutOff("a\r\nb\tc", true)`, "a b c"},
		{`return EncodeUTF8("olá")`, "olá"},
		{`return EncodeUTF8("ol\225")`, "olá"},
		{`return DecodeUTF8("olá")`, "olá"},
	}
	for _, tc := range cases {
		vs := evalLua(t, r, tc.code)
		if len(vs) == 0 || vs[0].String() != tc.want {
			t.Errorf("%s = %v, want %s", tc.code, vs, tc.want)
		}
	}
}
