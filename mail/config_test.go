package mail

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name  string
		ini   string
		check func(t *testing.T, c *Config)
	}{
		{"empty file gives defaults", "", func(t *testing.T, c *Config) {
			if c.Protocol != "POP3" || !c.AuthLogin || !c.AuthPlain || !c.AuthNTLM || !c.ExtendSMTP {
				t.Errorf("defaults wrong: %+v", c)
			}
			if c.MinTLSVersion != tls.VersionTLS12 {
				t.Errorf("MinTLSVersion = %x", c.MinTLSVersion)
			}
		}},
		{"keys in any case", "[MAIL]\nprotocol=imap\nAUTHLOGIN=0\nauthplain=1\nExtendSmtp=0\n", func(t *testing.T, c *Config) {
			if c.Protocol != "IMAP" || c.AuthLogin || !c.AuthPlain || c.ExtendSMTP {
				t.Errorf("got %+v", c)
			}
		}},
		{"tls versions", "[Mail]\nTLSVersion=3\nSSLVersion=3\n", func(t *testing.T, c *Config) {
			if c.MinTLSVersion != tls.VersionTLS13 {
				t.Errorf("MinTLSVersion = %x, want TLS 1.3", c.MinTLSVersion)
			}
		}},
		{"tls version literal", "[Mail]\nTLSVersion=1.1\n", func(t *testing.T, c *Config) {
			if c.MinTLSVersion != tls.VersionTLS11 {
				t.Errorf("MinTLSVersion = %x, want TLS 1.1", c.MinTLSVersion)
			}
		}},
		{"advmail keys", "[Mail]\nCAFile=/x/ca.pem\nTLSInsecureHosts=a.test, B.test\nEhloName=erp01\nMailTrace=1\nMailTraceFile=t.log\nTryProtocols=1\n", func(t *testing.T, c *Config) {
			if c.CAFile != "/x/ca.pem" || c.HeloName != "erp01" || !c.Trace || c.TraceFile != "t.log" || !c.TryProtocols {
				t.Errorf("got %+v", c)
			}
			if !c.Insecure("b.TEST") || !c.Insecure("a.test") || c.Insecure("c.test") {
				t.Errorf("Insecure wrong for %v", c.InsecureHosts)
			}
		}},
		{"comments and other sections", "; comment\n# other\n[General]\nX=1\n[Mail]\nProtocol=IMAP ; trailing\n", func(t *testing.T, c *Config) {
			if c.Protocol != "IMAP" {
				t.Errorf("Protocol = %q", c.Protocol)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig("appserver.ini", []byte(tt.ini))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		ini, want string
	}{
		{"[Mail]\nProtocol=IMAP\nthis line is wrong\n", "my.ini:3: expected key=value"},
		{"[Mail\nProtocol=IMAP\n", "my.ini:1: malformed section header"},
		{"[Mail]\nAuthLogin=maybe\n", "AuthLogin"},
		{"[Mail]\nTLSVersion=9\n", "TLSVersion"},
	}
	for _, tt := range tests {
		_, err := ParseConfig("my.ini", []byte(tt.ini))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseConfig(%q) error = %v, want it to contain %q", tt.ini, err, tt.want)
		}
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "nope.ini"))
	if err == nil || !strings.Contains(err.Error(), "nope.ini") {
		t.Fatalf("error = %v, want one naming the file", err)
	}
}

func TestFindConfigPath(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	t.Setenv("ADVMAIL_CONFIG", "")
	if p, explicit := FindConfigPath(""); p != "" || explicit {
		t.Errorf("no config: got %q %v", p, explicit)
	}
	os.WriteFile("appserver.ini", []byte("[Mail]\n"), 0o644)
	if p, explicit := FindConfigPath(""); p != "appserver.ini" || explicit {
		t.Errorf("./appserver.ini: got %q %v", p, explicit)
	}
	t.Setenv("ADVMAIL_CONFIG", "/etc/x.ini")
	if p, explicit := FindConfigPath(""); p != "/etc/x.ini" || !explicit {
		t.Errorf("env: got %q %v", p, explicit)
	}
	if p, explicit := FindConfigPath("flag.ini"); p != "flag.ini" || !explicit {
		t.Errorf("flag: got %q %v", p, explicit)
	}
}
