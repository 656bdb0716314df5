package stubs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmail/advmail/bindings"
	advrt "github.com/advmail/advmail/runtime"
)

func TestSpellings(t *testing.T) {
	tests := []struct {
		name string
		want []string // must all be among the spellings
	}{
		{"SMTPAuth", []string{"SMTPAuth", "smtpauth", "SMTPAUTH", "SmtpAuth", "smtpAuth"}},
		{"SMTPConnect", []string{"SmtpConnect", "smtpConnect", "SMTPCONNECT"}},
		{"SMTPDisconnect", []string{"smtpDisconnect", "SmtpDisconnect"}},
		{"POPConnect", []string{"PopConnect", "popConnect", "POPConnect"}},
		{"SetSMTPTimeout", []string{"SetSmtpTimeOut", "SetSmtpTimeout", "setSMTPTimeout", "setSmtpTimeout"}},
		{"GetErrorString", []string{"getErrorString", "geterrorstring", "GETERRORSTRING"}},
		{"IMAPStore", []string{"ImapStore", "imapStore"}},
		{"nXPriority", []string{"nxpriority", "NXPRIORITY", "nXPriority"}},
		{"Send2", []string{"send2", "SEND2"}},
	}
	for _, tt := range tests {
		got := Spellings(tt.name)
		if got[0] != tt.name {
			t.Errorf("Spellings(%q)[0] = %q, want the declared name first", tt.name, got[0])
		}
		seen := map[string]bool{}
		for _, s := range got {
			if seen[s] {
				t.Errorf("Spellings(%q) repeats %q", tt.name, s)
			}
			seen[s] = true
			if !strings.EqualFold(s, tt.name) {
				t.Errorf("Spellings(%q) has %q, not a letter-case variant", tt.name, s)
			}
		}
		for _, w := range tt.want {
			if !seen[w] {
				t.Errorf("Spellings(%q) = %v, lacks %q", tt.name, got, w)
			}
		}
	}
}

// Every spelling the stubs declare is defined in the class's stub file,
// with the same parameters, and resolves at run time on a real object.
func TestStubSpellingsDeclaredAndAccepted(t *testing.T) {
	files := fileMap(t)
	rt, err := advrt.New(advrt.Options{Sandbox: true, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	var lua strings.Builder
	for _, c := range bindings.Classes() {
		src := files[c.Name+".lua"]
		fmt.Fprintf(&lua, "local o = %s():New()\n", c.Name)
		for _, m := range c.Members {
			for _, sp := range Spellings(m.Name) {
				switch m.Kind {
				case bindings.KindMethod:
					checkFunc(t, c.Name+".lua", src, c.Name+":"+sp, m.Params, m.Returns)
					fmt.Fprintf(&lua, "assert(type(o[%q]) == 'function', '%s:%s does not resolve')\n", sp, c.Name, sp)
				case bindings.KindProperty:
					if !strings.Contains(src, "---@field "+sp+" ") {
						t.Errorf("%s.lua lacks @field %s", c.Name, sp)
					}
					fmt.Fprintf(&lua, "assert(type(o[%q]) == type(o[%q]), '%s.%s does not resolve')\n", sp, m.Name, c.Name, sp)
				}
			}
		}
	}
	if err := rt.DoString(context.Background(), lua.String()); err != nil {
		t.Fatalf("a declared spelling is not accepted at run time: %v", err)
	}
	for _, w := range []string{"function TMailManager:SmtpAuth(", "function TMailManager:PopConnect(", "function TMailManager:SetSmtpTimeOut("} {
		if !strings.Contains(files["TMailManager.lua"], w) {
			t.Errorf("TMailManager.lua lacks %q", w)
		}
	}
}

// The example .luarc.json names the stub folder relative to the folder
// advmail stubs ran in (where the user copies the file), and absolutely
// when the folder is elsewhere.
func TestLuaRCLibraryIsRelative(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	if _, err := Write("types"); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(work, "types", ".luarc.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"workspace.library": [
    "types"
  ]`) {
		t.Errorf(".luarc.json library is not the relative \"types\":\n%s", raw)
	}
	outside := filepath.Join(t.TempDir(), "stubs")
	if _, err := Write(outside); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(filepath.Join(outside, ".luarc.json"))
	if !strings.Contains(string(raw), filepath.ToSlash(outside)) {
		t.Errorf(".luarc.json for a folder outside the current one should name it absolutely:\n%s", raw)
	}
}
