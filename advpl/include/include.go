// Package include holds the .ch include files bundled with advmail. They are
// advmail's own, written from the documented command forms of the language.
package include

import (
	"embed"
	"sort"
	"strings"
)

//go:embed ch/*.ch
var files embed.FS

// Open returns the content of the bundled include name, matched ignoring
// letter case and surrounding blanks ("TBICONN.CH ").
func Open(name string) (string, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" || strings.ContainsAny(name, "/\\") {
		return "", false
	}
	b, err := files.ReadFile("ch/" + name)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// Names returns the names of the bundled includes, sorted.
func Names() []string {
	entries, err := files.ReadDir("ch")
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}
