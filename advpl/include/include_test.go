package include

import (
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	for _, name := range []string{"protheus.ch", "TBICONN.CH ", " Ap5Mail.ch"} {
		s, ok := Open(name)
		if !ok || !strings.Contains(s, "advmail's own") {
			t.Errorf("Open(%q) = %v", name, ok)
		}
	}
	for _, name := range []string{"", "nope.ch", "../include.go", "ch/protheus.ch"} {
		if _, ok := Open(name); ok {
			t.Errorf("Open(%q) found", name)
		}
	}
}

func TestNames(t *testing.T) {
	want := []string{"protheus.ch", "totvs.ch", "rwmake.ch", "ap5mail.ch", "totvsmail.ch", "tbiconn.ch", "tbicode.ch", "topconn.ch", "fileio.ch", "colors.ch", "font.ch", "rptdef.ch", "fwprintsetup.ch", "xmlxfun.ch", "fwmvcdef.ch", "apwebsrv.ch", "parmtype.ch", "shell.ch", "dbinfo.ch", "msobject.ch", "inkey.ch"}
	names := strings.Join(Names(), " ")
	for _, w := range want {
		if !strings.Contains(names, w) {
			t.Errorf("Names() lacks %s", w)
		}
	}
}
