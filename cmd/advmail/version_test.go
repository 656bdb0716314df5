package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	const rev = "3f2a9c1d0b7e5a4f3e2d1c0b9a8f7e6d5c4b3a21"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name, ldflags string
		bi            *debug.BuildInfo
		want          string
	}{
		{"no build info", "", nil, "dev"},
		{"ldflags wins", "v1.4.0", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.3.0"}}, "v1.4.0 (go1.26.8)"},
		{"module version", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.3.0"}}, "v1.3.0 (go1.26.8)"},
		{"devel is dev", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "dev (go1.26.8)"},
		{"clean checkout", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.3.0"}, Settings: vcs("false")},
			"v1.3.0 (commit 3f2a9c1d0b7e, go1.26.8)"},
		{"modified checkout", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")},
			"dev (commit 3f2a9c1d0b7e, modified, go1.26.8)"},
		{"short revision", "", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}, "dev (commit abc)"},
	}
	for _, tt := range tests {
		if got := formatVersion(tt.ldflags, tt.bi); got != tt.want {
			t.Errorf("%s: formatVersion = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestVersionStringFromBuildInfo checks the line of this very binary: it
// names the Go version the test was built with, and the commit whenever
// Go recorded one.
func TestVersionStringFromBuildInfo(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build info in the test binary")
	}
	got := versionString()
	if !strings.Contains(got, bi.GoVersion) {
		t.Errorf("versionString() = %q, lacks %q", got, bi.GoVersion)
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && !strings.Contains(got, "commit "+shortRevision(s.Value)) {
			t.Errorf("versionString() = %q, lacks the commit %s", got, s.Value)
		}
	}
}
