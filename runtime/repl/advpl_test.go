package repl

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestAdvPLMode(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"expression prints", "1 + 2\n", "3\n"},
		{"assignment is silent", "aX := {1, 2, 3}\n? Len(aX)\n", "3\n"},
		{"multi-line If", "x := 5\nIf x > 2\n? \"big\"\nEndIf\n", "big\n"},
		{"function definition", "User Function Dbl(n)\nReturn n * 2\nU_Dbl(21)\n", "42\n"},
		{"error names the line", "NoSuchFn()\n", "stdin.prw:1: function NOSUCHFN is not defined"},
		{"string rules", "\"abc\" = \"ab\"\n", ".T.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, out := newREPL(t)
			r.AdvPL = true
			err := r.Run(context.Background(), strings.NewReader(tt.in), out)
			var failed *FailedError
			if err != nil && !errors.As(err, &failed) {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output %q lacks %q", out.String(), tt.want)
			}
		})
	}
}
