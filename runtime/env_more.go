package runtime

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// More everyday functions: numbers, dates in Portuguese, numbers in words,
// arrays and blocks, accents and encodings. Text inside advmail is UTF-8:
// EncodeUTF8 converts Windows-1252 bytes when its argument is not valid
// UTF-8 and DecodeUTF8 returns its argument as it is.

var monthsPT = []string{"Janeiro", "Fevereiro", "Março", "Abril", "Maio", "Junho", "Julho",
	"Agosto", "Setembro", "Outubro", "Novembro", "Dezembro"}

var weekdaysPT = []string{"Domingo", "Segunda-feira", "Terça-feira", "Quarta-feira", "Quinta-feira", "Sexta-feira", "Sábado"}

// morePrelude returns the functions of this file.
func morePrelude() []preludeFunc {
	return []preludeFunc{
		{spec("Round", "Rounds half away from zero to nDec decimals.", r1("nValue", "N", ""), p("nValue", "N", ""), p("nDec", "N", "decimals")), fnRound},
		{spec("NoRound", "Truncates to nDec decimals (default 2).", r1("nValue", "N", ""), p("nValue", "N", ""), o("nDec", "N", "decimals")), fnNoRound},
		{spec("Int", "Returns the integer part (towards zero).", r1("nValue", "N", ""), p("nValue", "N", "")),
			func(c fcall) int { return c.push(lua.LNumber(math.Trunc(c.num(1)))) }},
		{spec("Randomize", "Returns a random integer in [nLow, nHigh).", r1("nValue", "N", ""), p("nLow", "N", ""), p("nHigh", "N", "")), fnRandomize},
		{spec("ElapTime", "Returns the time between two HH:MM:SS times as HH:MM:SS (across midnight when cEnd < cStart).",
			r1("cElapsed", "C", ""), p("cStart", "C", "HH:MM:SS"), p("cEnd", "C", "HH:MM:SS")), fnElapTime},
		{spec("DoW", "Returns the day of the week, 1 (Sunday) to 7 (0 when empty).", r1("nDay", "N", ""), p("dDate", "D", "")), fnDoW},
		{spec("CDoW", "Returns the name of the day of the week in Portuguese (\"\" when empty).", r1("cDay", "C", ""), p("dDate", "D", "")), fnCDoW},
		{spec("CMonth", "Returns the name of the month in Portuguese (\"\" when empty).", r1("cMonth", "C", ""), p("dDate", "D", "")), fnCMonth},
		{spec("MesExtenso", "Returns the name of a month (a number 1-12 or a date) in Portuguese; without argument, of today.",
			r1("cMonth", "C", ""), o("xMonth", "U", "month number or date")), fnMesExtenso},
		{spec("Extenso", "Writes a value in Portuguese words, upper case, as reais and centavos (lQuantidade: a plain number).",
			r1("cWords", "C", ""), p("nValue", "N", ""), o("lQuantidade", "L", "no currency")), fnExtenso},
		{spec("aIns", "Inserts a NIL at nPos, shifting the rest right; the last element is dropped (Len is unchanged).",
			r1("aArray", "A", ""), p("aArray", "A", ""), p("nPos", "N", "")), fnAIns},
		{spec("Eval", "Calls a code block with the arguments and returns its result.", r1("xResult", "U", ""),
			p("bBlock", "B", ""), o("xArgs", "U", "")), fnEval},
		{spec("aEval", "Calls bBlock(x, i) for each element (from nStart, nCount of them) and returns the array.",
			r1("aArray", "A", ""), p("aArray", "A", ""), p("bBlock", "B", ""), o("nStart", "N", ""), o("nCount", "N", "")), fnAEval},
		{spec("Separa", "Splits text at every cSep (default \",\"), keeping empty items unless lEmpty is .F.",
			r1("aItems", "A", ""), p("cText", "C", ""), o("cSep", "C", ""), o("lEmpty", "L", "")), fnSepara},
		{spec("FwNoAccent", "Removes accents (á→a, ç→c, …).", r1("cText", "C", ""), p("cText", "C", "")), accentFn},
		{spec("NoAcento", "Removes accents (á→a, ç→c, …).", r1("cText", "C", ""), p("cText", "C", "")), accentFn},
		{spec("FwCutOff", "Replaces CR, LF and tabs with blanks; with lAccent also removes accents.",
			r1("cText", "C", ""), p("cText", "C", ""), o("lAccent", "L", "")), fnFwCutOff},
		{spec("EncodeUTF8", "Returns the text as UTF-8 (Windows-1252 bytes are converted).", r1("cText", "C", ""), p("cText", "C", "")), fnEncodeUTF8},
		{spec("DecodeUTF8", "Returns the text (advmail strings are already UTF-8).", r1("cText", "C", ""), p("cText", "C", "")), identity},
	}
}

func fnRound(c fcall) int {
	digits, neg := roundText(c.num(1), max(min(c.optInt(2, 0), 15), 0))
	f, _ := strconv.ParseFloat(digits, 64)
	if neg {
		f = -f
	}
	return c.push(lua.LNumber(f))
}

func fnNoRound(c fcall) int {
	dec := max(min(c.optInt(2, 2), 15), 0)
	s := strconv.FormatFloat(c.num(1), 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > dec {
		s = s[:i+1+dec]
	}
	f, _ := strconv.ParseFloat(strings.TrimSuffix(s, "."), 64)
	return c.push(lua.LNumber(f))
}

func fnRandomize(c fcall) int {
	lo, hi := c.integer(1), c.integer(2)
	if hi <= lo {
		return c.push(lua.LNumber(lo))
	}
	return c.push(lua.LNumber(lo + rand.IntN(hi-lo)))
}

func clockSeconds(s string) int {
	parts := strings.Split(strings.TrimSpace(s), ":")
	total := 0
	for i := 0; i < 3; i++ {
		total *= 60
		if i < len(parts) {
			n, _ := strconv.Atoi(parts[i])
			total += n
		}
	}
	return total
}

func fnElapTime(c fcall) int {
	d := clockSeconds(c.str(2)) - clockSeconds(c.str(1))
	if d < 0 {
		d += 24 * 3600
	}
	return c.pushStr(time.Date(2000, 1, 1, 0, 0, d, 0, time.UTC).Format("15:04:05"))
}

func fnDoW(c fcall) int {
	d := c.date(1)
	if d.IsZero() {
		return c.push(lua.LNumber(0))
	}
	return c.push(lua.LNumber(int(d.t.Weekday()) + 1))
}

func fnCDoW(c fcall) int {
	d := c.date(1)
	if d.IsZero() {
		return c.pushStr("")
	}
	return c.pushStr(weekdaysPT[d.t.Weekday()])
}

func fnCMonth(c fcall) int {
	d := c.date(1)
	if d.IsZero() {
		return c.pushStr("")
	}
	return c.pushStr(monthsPT[d.t.Month()-1])
}

func fnMesExtenso(c fcall) int {
	m := int(c.r.now().Month())
	switch v := c.L.Get(1).(type) {
	case lua.LNumber:
		m = int(v)
	case lua.LString:
		m = int(val(string(v)))
	case *lua.LNilType:
	default:
		if d, ok := ToDate(v); ok {
			if d.IsZero() {
				return c.pushStr("")
			}
			m = int(d.t.Month())
		}
	}
	if m < 1 || m > 12 {
		return c.pushStr("")
	}
	return c.pushStr(monthsPT[m-1])
}

var (
	unitsPT    = []string{"zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove", "dez", "onze", "doze", "treze", "quatorze", "quinze", "dezesseis", "dezessete", "dezoito", "dezenove"}
	tensPT     = []string{"", "", "vinte", "trinta", "quarenta", "cinquenta", "sessenta", "setenta", "oitenta", "noventa"}
	hundredsPT = []string{"", "cento", "duzentos", "trezentos", "quatrocentos", "quinhentos", "seiscentos", "setecentos", "oitocentos", "novecentos"}
)

// words999 writes 1..999 in Portuguese.
func words999(n int) string {
	if n == 100 {
		return "cem"
	}
	var parts []string
	if h := n / 100; h > 0 {
		parts = append(parts, hundredsPT[h])
	}
	r := n % 100
	switch {
	case r == 0:
	case r < 20:
		parts = append(parts, unitsPT[r])
	default:
		parts = append(parts, tensPT[r/10])
		if r%10 > 0 {
			parts = append(parts, unitsPT[r%10])
		}
	}
	return strings.Join(parts, " e ")
}

// numberWords writes a non-negative integer (< 10^15) in Portuguese.
func numberWords(n int64) string {
	if n == 0 {
		return "zero"
	}
	scales := []struct{ one, many string }{{"", ""}, {"mil", "mil"}, {"milhão", "milhões"}, {"bilhão", "bilhões"}, {"trilhão", "trilhões"}}
	var groups []int
	for v := n; v > 0; v /= 1000 {
		groups = append(groups, int(v%1000))
	}
	var out []string
	for i := len(groups) - 1; i >= 0; i-- {
		g := groups[i]
		if g == 0 {
			continue
		}
		var w string
		switch {
		case i == 0:
			w = words999(g)
		case i == 1 && g == 1:
			w = "mil"
		case g == 1:
			w = "um " + scales[i].one
		default:
			w = words999(g) + " " + scales[i].many
		}
		if len(out) > 0 && i == 0 && (g < 100 || g%100 == 0) {
			w = "e " + w
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// extenso writes a value as Portuguese words: reais and centavos, or a
// plain quantity.
func extenso(v float64, quantity bool) string {
	digits, _ := roundText(math.Abs(v), 2)
	ip, fp, _ := strings.Cut(digits, ".")
	whole, _ := strconv.ParseInt(ip, 10, 64)
	cents, _ := strconv.Atoi(fp)
	if whole >= 1e15 {
		return ""
	}
	if quantity {
		s := numberWords(whole)
		if cents > 0 {
			s += " vírgula " + numberWords(int64(cents))
		}
		return upper(s)
	}
	var parts []string
	if whole > 0 {
		w := numberWords(whole)
		unit := "reais"
		if whole == 1 {
			unit = "real"
		} else if whole%1000000 == 0 {
			unit = "de reais"
		}
		parts = append(parts, w+" "+unit)
	}
	if cents > 0 {
		unit := "centavos"
		if cents == 1 {
			unit = "centavo"
		}
		parts = append(parts, numberWords(int64(cents))+" "+unit)
	}
	if len(parts) == 0 {
		return upper("zero reais")
	}
	return upper(strings.Join(parts, " e "))
}

func fnExtenso(c fcall) int { return c.pushStr(extenso(c.num(1), c.optBool(2, false))) }

func fnAIns(c fcall) int {
	t := c.table(1)
	pos := c.integer(2)
	l := c.r.arrLen(t)
	if pos < 1 || pos > l {
		return c.push(t)
	}
	for i := l; i > pos; i-- {
		t.RawSetInt(i, t.RawGetInt(i-1))
	}
	t.RawSetInt(pos, lua.LNil)
	c.r.setLen(t, l)
	return c.push(t)
}

func fnEval(c fcall) int {
	fn, ok := c.L.Get(1).(*lua.LFunction)
	if !ok {
		c.argError(1, "code block")
	}
	top := c.L.GetTop()
	c.L.Push(fn)
	for i := 2; i <= top; i++ {
		c.L.Push(c.L.Get(i))
	}
	c.L.Call(top-1, 1)
	return 1
}

func fnAEval(c fcall) int {
	t := c.table(1)
	fn, ok := c.L.Get(2).(*lua.LFunction)
	if !ok {
		c.argError(2, "code block")
	}
	l := c.r.arrLen(t)
	start := max(c.optInt(3, 1), 1)
	end := l
	if c.L.Get(4) != lua.LNil {
		end = min(start+c.integer(4)-1, l)
	}
	for i := start; i <= end; i++ {
		c.L.Push(fn)
		c.L.Push(t.RawGetInt(i))
		c.L.Push(lua.LNumber(i))
		c.L.Call(2, 0)
	}
	return c.push(t)
}

func fnSepara(c fcall) int {
	s, sep := c.str(1), c.optStr(2, ",")
	keep := c.optBool(3, true)
	var items []string
	if sep == "" {
		items = []string{s}
	} else {
		items = strings.Split(s, sep)
	}
	out := items[:0]
	for _, it := range items {
		if keep || it != "" {
			out = append(out, it)
		}
	}
	return c.push(c.strings(out))
}

// accentMap maps accented letters to their base letters.
var accentMap = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ã", "a", "ä", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ó", "o", "ò", "o", "ô", "o", "õ", "o", "ö", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "ç", "c", "ñ", "n",
	"Á", "A", "À", "A", "Â", "A", "Ã", "A", "Ä", "A", "É", "E", "È", "E", "Ê", "E", "Ë", "E",
	"Í", "I", "Ì", "I", "Î", "I", "Ï", "I", "Ó", "O", "Ò", "O", "Ô", "O", "Õ", "O", "Ö", "O",
	"Ú", "U", "Ù", "U", "Û", "U", "Ü", "U", "Ç", "C", "Ñ", "N", "º", "o", "ª", "a")

func accentFn(c fcall) int { return c.pushStr(accentMap.Replace(c.str(1))) }

func fnFwCutOff(c fcall) int {
	s := strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ", "\t", " ").Replace(c.str(1))
	if c.optBool(2, false) {
		s = accentMap.Replace(s)
	}
	return c.pushStr(s)
}

func fnEncodeUTF8(c fcall) int {
	s := c.str(1)
	if utf8.ValidString(s) {
		return c.pushStr(s)
	}
	return c.pushStr(string(DecodeWindows1252([]byte(s))))
}
