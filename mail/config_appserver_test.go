package mail

import (
	"strings"
	"testing"
)

// realAppserverINI is shaped like the appserver.ini of a Protheus shop on
// Windows: a UTF-8 BOM, CRLF line endings, ';' comments, keys in mixed
// letter case and, above all, Windows folders ending in a backslash right
// before another key or section header.
var realAppserverINI = "\ufeff" + strings.Join([]string{
	"; AppServer Protheus 12 - produção",
	"[General]",
	"InstallPath=C:\\TOTVS\\Protheus\\",
	"ConsoleLog=1",
	"MAXSTRINGSIZE=10",
	"",
	"[Drivers]",
	"Active=TCP",
	"",
	"[TCP]",
	"TYPE=TCPIP",
	"Port=1234",
	"",
	"; ambiente de produção",
	"[P12_PRODUCAO]",
	"SourcePath=C:\\TOTVS\\Protheus\\apo\\",
	"RootPath=C:\\TOTVS\\Protheus_Data\\",
	"StartPath=\\system\\",
	"RpoDb=top",
	"DBAlias=P12PRD ; alias do DBAccess",
	"",
	"[P12_TESTE]",
	"sourcepath=C:\\TOTVS\\Protheus\\apo_teste\\",
	"ROOTPATH=D:\\TOTVS\\Protheus_Data_Teste\\",
	"StartPath=\\system\\",
	"[Mail]",
	"protocol=imap",
	"AUTHNTLM=0",
	"AuthLogin=1",
	"TLSVersion=1.2",
	"CAFile=\\\\fileserver\\certs\\ca.pem",
	"MailTraceFile=C:\\TOTVS\\logs\\mail.log",
	"EhloName=ERP01",
	"",
	"[Parameters]",
	"MV_XMLDIR=C:\\xml\\recebidos\\",
	"MV_POPUSR=nfe@empresa.com.br",
	"mv_relserv=smtp.empresa.com.br:587",
	"MV_SPOOL=\\spool\\",
	"[OnStart]",
	"Jobs=JOB_NFE",
	"RefreshRate=60",
	"",
	"[JOB_NFE]",
	"Main=U_JOBNFE",
	"Environment=P12_PRODUCAO",
	"",
}, "\r\n")

func TestLoadINIRealAppserverINI(t *testing.T) {
	f, err := LoadINI("appserver.ini", []byte(realAppserverINI))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		section, key, want string
	}{
		{"general", "InstallPath", `C:\TOTVS\Protheus\`},
		{"General", "MaxStringSize", "10"},
		{"TCP", "Port", "1234"},
		{"p12_producao", "SourcePath", `C:\TOTVS\Protheus\apo\`},
		{"P12_PRODUCAO", "RootPath", `C:\TOTVS\Protheus_Data\`},
		{"P12_PRODUCAO", "StartPath", `\system\`},
		{"P12_PRODUCAO", "RpoDb", "top"},
		{"P12_PRODUCAO", "DBAlias", "P12PRD"},
		{"P12_TESTE", "RootPath", `D:\TOTVS\Protheus_Data_Teste\`},
		{"P12_TESTE", "StartPath", `\system\`},
		{"MAIL", "Protocol", "imap"},
		{"Mail", "CAFile", `\\fileserver\certs\ca.pem`},
		{"parameters", "MV_XMLDIR", `C:\xml\recebidos\`},
		{"Parameters", "mv_popusr", "nfe@empresa.com.br"},
		{"Parameters", "MV_RELSERV", "smtp.empresa.com.br:587"},
		{"Parameters", "MV_SPOOL", `\spool\`},
		{"ONSTART", "Jobs", "JOB_NFE"},
		{"OnStart", "RefreshRate", "60"},
		{"job_nfe", "Environment", "P12_PRODUCAO"},
	}
	for _, tt := range tests {
		s := f.Section(tt.section)
		if s == nil {
			t.Errorf("[%s] missing", tt.section)
			continue
		}
		if !s.HasKey(tt.key) {
			t.Errorf("[%s] %s missing", tt.section, tt.key)
			continue
		}
		if got := s.Key(tt.key); got != tt.want {
			t.Errorf("[%s] %s = %q, want %q", tt.section, tt.key, got, tt.want)
		}
	}
	// Every section survives; no key swallowed the header after it.
	if got, want := len(f.Sections()), 9; got != want {
		t.Errorf("%d sections %v, want %d", got, f.Sections(), want)
	}
}

func TestParseConfigRealAppserverINI(t *testing.T) {
	c, err := ParseConfig("appserver.ini", []byte(realAppserverINI))
	if err != nil {
		t.Fatal(err)
	}
	if c.Protocol != "IMAP" || c.AuthNTLM || !c.AuthLogin || c.HeloName != "ERP01" ||
		c.CAFile != `\\fileserver\certs\ca.pem` || c.TraceFile != `C:\TOTVS\logs\mail.log` {
		t.Errorf("config from a real appserver.ini: %+v", c)
	}
}

// TestLoadINITrailingBackslash is the defect itself, in its smallest forms:
// a value ending in '\' is the whole value, on any line ending.
func TestLoadINITrailingBackslash(t *testing.T) {
	for _, eol := range []string{"\n", "\r\n"} {
		data := strings.Join([]string{"[Env]", `StartPath=\system\`, "[Mail]", `Dir=C:\x\ `, "Protocol=IMAP", `Last=\`}, eol)
		f, err := LoadINI("a.ini", []byte(data))
		if err != nil {
			t.Fatalf("eol %q: %v", eol, err)
		}
		for _, kv := range [][3]string{{"Env", "StartPath", `\system\`}, {"Mail", "Dir", `C:\x\`}, {"Mail", "Protocol", "IMAP"}, {"Mail", "Last", `\`}} {
			if got := f.Section(kv[0]).Key(kv[1]); got != kv[2] {
				t.Errorf("eol %q: [%s] %s = %q, want %q", eol, kv[0], kv[1], got, kv[2])
			}
		}
	}
}

func TestLoadINIOpenQuote(t *testing.T) {
	tests := []struct {
		ini     string
		wantErr string // "" means it loads
	}{
		{"[A]\nk=`abc\n[Mail]\nProtocol=IMAP\n", "a.ini:2: value opens `"},
		{"[A]\nk=\"\"\"abc\nProtocol=IMAP\n", "a.ini:2: value opens \"\"\""},
		{"[A]\nk=`abc`\n", ""},
		{"[A]\nk=a`b\n", ""},
		{"[A]\nk=\"quoted\"\n", ""},
	}
	for _, tt := range tests {
		_, err := LoadINI("a.ini", []byte(tt.ini))
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("LoadINI(%q) = %v, want no error", tt.ini, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("LoadINI(%q) = %v, want an error containing %q", tt.ini, err, tt.wantErr)
		}
	}
}
