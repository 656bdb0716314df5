package runtime

import (
	"bytes"
	"unicode/utf8"
)

// cp1252High maps the bytes 0x80–0x9F of Windows-1252 to Unicode. The five
// bytes the code page leaves undefined map to the C1 control with the same
// value, as the WHATWG encoding standard does. Every other byte is Latin-1.
var cp1252High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, // 80–87
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F, // 88–8F
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, // 90–97
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178, // 98–9F
}

// DecodeWindows1252 converts Windows-1252 text to UTF-8.
func DecodeWindows1252(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/4)
	for _, c := range b {
		switch {
		case c < 0x80:
			out = append(out, c)
		case c < 0xA0:
			out = utf8.AppendRune(out, cp1252High[c-0x80])
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return out
}

// SourceText returns script source as UTF-8 ready to compile: a UTF-8 byte
// order mark is dropped, text that is not valid UTF-8 is taken to be
// Windows-1252 (the usual encoding of AdvPL sources) and converted, and a
// first line starting with "#" (a shebang) is blanked so line numbers stay
// right.
func SourceText(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(b) {
		b = DecodeWindows1252(b)
	}
	if len(b) > 0 && b[0] == '#' {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			return nil
		}
		b = b[nl:]
	}
	return b
}
