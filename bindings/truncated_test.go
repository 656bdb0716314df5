package bindings

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestGetTruncated: a message beyond the part limit is read with 0 and says
// so in GetTruncated; a whole message says "".
func TestGetTruncated(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@x\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n")
	for range 10005 {
		b.WriteString("--B\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n")
	}
	b.WriteString("--B--\r\n")
	tests := []struct {
		name, msg, want string
	}{
		{"beyond the part limit", b.String(), "MIME parts"},
		{"whole", "From: a@x\r\nSubject: s\r\n\r\nbody\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			L := newState(t, nil)
			L.SetGlobal("msg", lua.LString(tt.msg))
			out := run(t, L, `local m = TMailMessage():New(); local n = m:FromStr(msg); return n, m:GetTruncated()`)
			if len(out) != 2 || out[0].String() != "0" {
				t.Fatalf("FromStr returned %v", out)
			}
			got := out[1].String()
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("GetTruncated() = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}
