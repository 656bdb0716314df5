package mail

import (
	"slices"
	"testing"
)

func TestINI(t *testing.T) {
	f, err := LoadINI("a.ini", []byte("top=1\n[General]\nName = ERP01\n[Mail]\nProtocol=IMAP\nEmpty=\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Sections(), []string{"default", "general", "mail"}; !slices.Equal(got, want) {
		t.Errorf("Sections = %q, want %q", got, want)
	}
	lookups := []struct {
		section, key, want string
		ok                 bool
	}{
		{"GENERAL", "name", "ERP01", true},
		{"mail", "PROTOCOL", "IMAP", true},
		{"Mail", "Empty", "", true},
		{"Mail", "Missing", "", false},
		{"Nowhere", "Protocol", "", false},
		{"default", "top", "1", true},
	}
	for _, tt := range lookups {
		got, ok := f.Lookup(tt.section, tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%q, %q) = %q, %v; want %q, %v", tt.section, tt.key, got, ok, tt.want, tt.ok)
		}
	}
	if s := f.Section("mail"); s.Name() != "mail" || !slices.Equal(s.Keys(), []string{"protocol", "empty"}) {
		t.Errorf("Section(mail) = %q with keys %q", s.Name(), s.Keys())
	}
	if !f.HasSection("Mail") || f.HasSection("Nowhere") {
		t.Error("HasSection wrong")
	}
	// A missing section, and a nil file, read as empty.
	missing := f.Section("Nowhere")
	if missing != nil || missing.HasKey("x") || missing.Key("x") != "" || missing.Keys() != nil || missing.Name() != "" {
		t.Error("a missing section is not empty")
	}
	var none *INI
	if none.Sections() != nil || none.Section("mail") != nil {
		t.Error("a nil *INI is not empty")
	}
	if _, err := ConfigFromINI("none", none); err != nil {
		t.Errorf("ConfigFromINI(nil) = %v", err)
	}
}

func TestINIOnlySections(t *testing.T) {
	f, err := LoadINI("b.ini", []byte("[A]\nk=v\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Sections(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("Sections = %q, want [a] (an empty default section is not listed)", got)
	}
}
