package labbench

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// build compiles the benchmark's tools into a temporary directory.
func build(t *testing.T) (ref, empty string) {
	t.Helper()
	dir := t.TempDir()
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	ref, empty = filepath.Join(dir, "ref"+exe), filepath.Join(dir, "empty"+exe)
	for pkg, out := range map[string]string{"./ref": ref, "./empty": empty} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	return ref, empty
}

func TestBenchScriptSyntax(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("the lab benchmark needs bash:", err)
	}
	if b, err := exec.Command(bash, "-n", "../../testdata/maillab/bench.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n bench.sh: %v\n%s", err, b)
	}
}

// freePort returns a port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestMeasure runs the harness end to end on a fake lab: a loopback server
// that answers one line, a child that talks to it through the proxy, and a
// failing child. It checks the recorded samples and the table.
func TestMeasure(t *testing.T) {
	ref, empty := build(t)
	srv, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		for {
			c, err := srv.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write([]byte("+OK hi\r\n"))
				b := make([]byte, 64)
				if n, _ := c.Read(b); n > 0 {
					c.Write([]byte("+OK bye\r\n"))
				}
			}()
		}
	}()
	dir := t.TempDir()
	port := srv.Addr().(*net.TCPAddr).Port
	offset := freePort(t) - port
	ca := filepath.Join(dir, "ca.pem") // measure does not read it
	lab, _ := json.Marshal(map[string]any{
		"host": "127.0.0.1", "tls_server_name": "localhost", "domain": "lab.test", "ca_file": ca,
		"ports": map[string]int{"pop3": port},
		"users": []map[string]string{{"name": "frank", "login": "frank@lab.test", "password": "x"}},
	})
	labFile := filepath.Join(dir, "lab.json")
	if err := os.WriteFile(labFile, lab, 0o644); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results.tsv")
	measure := func(workload, side string, cmd ...string) {
		t.Helper()
		args := append([]string{"measure", "-lab", labFile, "-offset", itoa(offset), "-out", results, "-workload", workload, "-side", side, "--"}, cmd...)
		if b, err := exec.Command(ref, args...).CombinedOutput(); err != nil {
			t.Fatalf("ref measure: %v\n%s", err, b)
		}
	}
	// The child: one greeting, one command, one reply through the proxy.
	talk := "exec 3<>/dev/tcp/127.0.0.1/" + itoa(port+offset) + "; head -n 1 <&3 >/dev/null; printf 'QUIT\\r\\n' >&3; head -n 1 <&3 >/dev/null"
	measure("talk", "advmail", "bash", "-c", talk)
	measure("talk", "bare", empty)
	measure("fail", "advmail", "bash", "-c", "echo broken >&2; exit 3")
	b, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 {
		t.Fatalf("results:\n%s\nwant 3 lines", b)
	}
	talkFields := strings.Split(lines[0], "\t")
	if talkFields[0] != "talk" || talkFields[1] != "advmail" || talkFields[4] != "1" || talkFields[5] != "1" {
		t.Errorf("talk sample %q: want 1 round trip over 1 connection", lines[0])
	}
	if f := strings.Split(lines[1], "\t"); f[4] != "0" || f[5] != "0" || f[3] == "0" {
		t.Errorf("empty program sample %q: want no traffic and a peak RSS", lines[1])
	}
	if f := strings.Split(lines[2], "\t"); f[2] != "-1.0" || f[6] != "broken" {
		t.Errorf("failed sample %q: want ms -1 and the error line", lines[2])
	}
	out, err := exec.Command(ref, "report", results).CombinedOutput()
	if err != nil {
		t.Fatalf("ref report: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "| talk | ") || !strings.Contains(string(out), "| 1 (1) | 0 (0) | 1 |") ||
		!strings.Contains(string(out), "| fail | failed: broken |") {
		t.Errorf("report:\n%s", out)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
