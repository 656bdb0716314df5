package runtime

import "testing"

func TestTransform(t *testing.T) {
	cases := []struct {
		v    any
		pic  string
		want string
	}{
		{1234567.891, "@E 999,999,999.99", "  1.234.567,89"},
		{1234567.891, "999,999,999.99", "  1,234,567.89"},
		{0.5, "@E 999,999.99", "      0,50"},
		{-1234.5, "@E 999,999.99", " -1.234,50"},
		{0.0, "@Z 999.99", "      "},
		{12.0, "999", " 12"},
		{12345.0, "999", "***"},
		{-5.0, "@( 999.99", "(5.00)"},
		{1234.5, "", "1234.5"},
		{"01310100", "@R 99.999-999", "01.310-100"},
		{"12345678000190", "@R 99.999.999/9999-99", "12.345.678/0001-90"},
		{"abc", "@!", "ABC"},
		{"abc", "@! XXXX", "ABC "},
		{"joão", "@!", "JOÃO"},
		{true, "", "T"},
	}
	for _, tc := range cases {
		var p = parsePicture(tc.pic)
		var got string
		switch v := tc.v.(type) {
		case float64:
			got = transformNumber(v, p)
		case string:
			got = transformText(v, p)
		case bool:
			got = "F"
			if v {
				got = "T"
			}
		}
		if got != tc.want {
			t.Errorf("Transform(%v, %q) = %q, want %q", tc.v, tc.pic, got, tc.want)
		}
	}
}
