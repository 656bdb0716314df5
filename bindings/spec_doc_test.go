package bindings

import (
	"strings"
	"testing"
)

// A member's description must not promise a result of another type than
// the member returns: "returns .F." only on methods whose first result is
// a logical, "returns {}" only on those returning an array, "returns nil"
// only on those documenting nil.
func TestDocsMatchReturns(t *testing.T) {
	for _, c := range Classes() {
		for _, m := range c.Members {
			if m.Kind != KindMethod {
				continue
			}
			first := ""
			if len(m.Returns) > 0 {
				first = m.Returns[0].Type
			}
			name := c.Name + ":" + m.Name
			if strings.Contains(m.Doc, "returns .F.") && first != TypeBool {
				t.Errorf("%s: doc says it returns .F., but its result is %q", name, first)
			}
			if strings.Contains(m.Doc, "returns {}") && first != TypeArray {
				t.Errorf("%s: doc says it returns {}, but its result is %q", name, first)
			}
			if strings.Contains(m.Doc, "returns nil") && !strings.Contains(m.Returns[0].Doc, "nil") {
				t.Errorf("%s: doc says it returns nil, but its result's description does not", name)
			}
		}
	}
}

// The three methods the issue named: their IMAP-only note matches what
// they return without an IMAP session.
func TestIMAPOnlyNotes(t *testing.T) {
	want := map[string]string{
		"GetFolderList": "returns {}",
		"GetMsgHeader":  "returns nil",
		"GetMsgBody":    "returns nil",
	}
	for _, c := range Classes() {
		if c.Name != "TMailManager" {
			continue
		}
		for name, phrase := range want {
			m, ok := c.Member(name)
			if !ok {
				t.Fatalf("TMailManager has no %s", name)
			}
			if !strings.Contains(m.Doc, phrase) || strings.Contains(m.Doc, "returns .F.") {
				t.Errorf("%s doc = %q, want it to say %q", name, m.Doc, phrase)
			}
		}
	}
}
