package main

import (
	"runtime/debug"
	"strings"
)

// formatVersion renders the version line of advmail version from the
// -ldflags version (may be "") and the build info (may be nil):
//
//	v1.4.0 (commit 3f2a9c1d0b7e, go1.26.8)
//	v0.0.0-20261207101500-3f2a9c1d0b7e+dirty (commit 3f2a9c1d0b7e, modified, go1.26.8)
//	dev (go1.26.8)
//
// The version is the -ldflags one, else the module version ("dev" for a
// plain go build outside a tagged checkout); the commit and its
// modified flag come from the vcs.revision and vcs.modified settings Go
// records when it builds from a git checkout.
func formatVersion(ldflags string, bi *debug.BuildInfo) string {
	v := ldflags
	var details []string
	if bi != nil {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		var rev string
		var modified bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" {
			details = append(details, "commit "+shortRevision(rev))
			if modified {
				details = append(details, "modified")
			}
		}
		if bi.GoVersion != "" {
			details = append(details, bi.GoVersion)
		}
	}
	if v == "" {
		v = "dev"
	}
	if len(details) == 0 {
		return v
	}
	return v + " (" + strings.Join(details, ", ") + ")"
}

// shortRevision shortens a commit hash to 12 characters, as go version -m
// users and git log --abbrev=12 see it.
func shortRevision(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
