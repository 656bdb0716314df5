package runtime

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail/sandbox"
)

// TestSandboxDefaultConfigMissing: in sandbox mode a server ini named by
// its default name and absent means built-in defaults; any other named
// file, and the default name outside the sandbox, must exist.
func TestSandboxDefaultConfigMissing(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("ADVMAIL_CONFIG", "")
	sb, err := sandbox.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{"sandbox default name", Options{ConfigPath: "appserver.ini", Sandbox: true}, false},
		{"shared sandbox default name", Options{ConfigPath: "./appserver.ini", SandboxServer: sb}, false},
		{"sandbox other name", Options{ConfigPath: "erp.ini", SandboxServer: sb}, true},
		{"sandbox default name in a folder", Options{ConfigPath: filepath.Join("conf", "appserver.ini"), SandboxServer: sb}, true},
		{"no sandbox default name", Options{ConfigPath: "appserver.ini"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Stdout, tt.opts.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
			r, err := New(tt.opts)
			if tt.wantErr {
				if err == nil {
					r.Close()
					t.Fatal("New succeeded, want a missing-file error")
				}
				if !strings.Contains(err.Error(), "no such file") {
					t.Errorf("error %q does not say the file is missing", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := r.ServerINI(); got != "appserver.ini" {
				t.Errorf("ServerINI = %q, want appserver.ini", got)
			}
			if got := r.Config().Protocol; got != "POP3" {
				t.Errorf("Protocol = %q, want the default POP3", got)
			}
		})
	}
}

// TestSandboxDefaultConfigPresent: a default-named file that exists is read
// in sandbox mode as elsewhere.
func TestSandboxDefaultConfigPresent(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("appserver.ini", []byte("[Mail]\nProtocol=IMAP\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{ConfigPath: "appserver.ini", Sandbox: true, Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Config().Protocol; got != "IMAP" {
		t.Errorf("Protocol = %q, want IMAP from the file", got)
	}
}

func TestRegisterErrors(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	fn := func(L *lua.LState) int { return 0 }
	if err := r.Register("", fn); err == nil {
		t.Error("Register with an empty name succeeded")
	}
	if err := r.Register("HostNil", nil); err == nil {
		t.Error("Register of a nil function succeeded")
	}
	var inside error
	if err := r.Register("RegisterInside", func(L *lua.LState) int {
		inside = r.Register("Late", fn)
		return 0
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.DoString(context.Background(), `RegisterInside()`); err != nil {
		t.Fatal(err)
	}
	if inside == nil || !strings.Contains(inside.Error(), "a script is running") {
		t.Errorf("Register while running = %v, want a script-is-running error", inside)
	}
	r.Close()
	if err := r.Register("AfterClose", fn); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Register after Close = %v, want a closed error", err)
	}
}
