package mail

import (
	"strings"

	"gopkg.in/ini.v1"
)

// INI is a parsed ini file, as LoadINI reads it: section and key names
// match in any letter case, and values are one line each. It hides the ini
// library advmail uses, so that the library can change without changing
// this API. A nil *INI is an empty file.
type INI struct {
	f *ini.File
}

// Section returns the section called name, in any letter case, or nil when
// the file has none (the methods of a nil *INISection report an empty
// section).
func (f *INI) Section(name string) *INISection {
	if f == nil || f.f == nil {
		return nil
	}
	s, err := f.f.GetSection(name)
	if err != nil {
		return nil
	}
	return &INISection{s: s}
}

// HasSection reports whether the file has a section called name.
func (f *INI) HasSection(name string) bool { return f.Section(name) != nil }

// Sections returns the names of the sections in file order, in lower case.
// Keys written before the first header form a section called "default",
// listed only when it has keys.
func (f *INI) Sections() []string {
	if f == nil || f.f == nil {
		return nil
	}
	var names []string
	for _, s := range f.f.Sections() {
		if strings.EqualFold(s.Name(), ini.DefaultSection) && len(s.Keys()) == 0 {
			continue
		}
		names = append(names, s.Name())
	}
	return names
}

// Lookup returns the value of key in section, both in any letter case, and
// whether the key is present.
func (f *INI) Lookup(section, key string) (string, bool) {
	s := f.Section(section)
	if !s.HasKey(key) {
		return "", false
	}
	return s.Key(key), true
}

// INISection is one section of an INI.
type INISection struct {
	s *ini.Section
}

// Name returns the section's name, in lower case.
func (s *INISection) Name() string {
	if s == nil {
		return ""
	}
	return s.s.Name()
}

// HasKey reports whether the section has key, in any letter case.
func (s *INISection) HasKey(key string) bool {
	return s != nil && s.s.HasKey(key)
}

// Key returns the value of key as written (blanks around it removed), ""
// when the section has no such key.
func (s *INISection) Key(key string) string {
	if !s.HasKey(key) {
		return ""
	}
	return s.s.Key(key).String()
}

// Keys returns the section's key names in file order, in lower case.
func (s *INISection) Keys() []string {
	if s == nil {
		return nil
	}
	return s.s.KeyStrings()
}
