// Command ref is the lab benchmark's bare Go reference client and harness.
// The workload subcommands do each benchmark job with go-imap v2, go-smtp
// and go-message and the fewest round trips (no Lua); the harness
// subcommands seed mailboxes, measure one run of any command through the
// counting proxy, and print the markdown table.
//
//	ref seed     -folder F -n N ...          append N generated messages (IMAP, no proxy)
//	ref measure  -out FILE -workload W -side S -- CMD ARGS...
//	ref report   FILE                        markdown table of medians
//	ref headers | pop | move | send | folders | search | big  (workloads)
//
// Every subcommand reads the lab description (-lab, default
// $ADVMAIL_LAB_ENV, else testdata/maillab/run/lab.json) for ports, users
// and the CA; workloads connect to the lab's TLS server name at the lab
// port plus -offset (the bench points them at the proxy that way).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
)

// lab is the part of lab.json the tools read.
type lab struct {
	Host          string         `json:"host"`
	TLSServerName string         `json:"tls_server_name"`
	Domain        string         `json:"domain"`
	CAFile        string         `json:"ca_file"`
	Ports         map[string]int `json:"ports"`
	Users         []labUser      `json:"users"`
}

type labUser struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	Login    string `json:"login"`
	Password string `json:"password"`
}

// env is what a workload needs: the lab, the user and where to connect.
type env struct {
	lab    *lab
	user   labUser
	offset int
	tls    *tls.Config
}

// addr is the address of the lab service named port ("imaps", "pop3s"...),
// shifted by the offset.
func (e *env) addr(port string) (string, error) {
	p, ok := e.lab.Ports[port]
	if !ok {
		return "", fmt.Errorf("lab.json has no %q port", port)
	}
	return e.lab.TLSServerName + ":" + strconv.Itoa(p+e.offset), nil
}

func loadLab(path string) (*lab, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read lab description: %w", err)
	}
	var l lab
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if l.TLSServerName == "" || len(l.Ports) == 0 {
		return nil, fmt.Errorf("%s: no tls_server_name or ports", path)
	}
	return &l, nil
}

func defaultLabPath() string {
	if p := os.Getenv("ADVMAIL_LAB_ENV"); p != "" {
		return p
	}
	return "testdata/maillab/run/lab.json"
}

// commonFlags registers -lab, -user and -offset on fs and returns a
// function that builds the env after parsing (with the lab CA loaded when
// the subcommand connects over TLS).
func commonFlags(fs *flag.FlagSet) func(tlsToo ...bool) (*env, error) {
	labPath := fs.String("lab", defaultLabPath(), "lab description (lab.json)")
	user := fs.String("user", "frank", "lab user")
	offset := fs.Int("offset", 0, "added to every lab port (the counting proxy's ports)")
	return func(tlsToo ...bool) (*env, error) {
		l, err := loadLab(*labPath)
		if err != nil {
			return nil, err
		}
		e := &env{lab: l, offset: *offset}
		for _, u := range l.Users {
			if u.Name == *user {
				e.user = u
			}
		}
		if e.user.Login == "" {
			return nil, fmt.Errorf("no lab user %q", *user)
		}
		if len(tlsToo) > 0 && !tlsToo[0] {
			return e, nil
		}
		pem, err := os.ReadFile(l.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read lab CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no certificate", l.CAFile)
		}
		e.tls = &tls.Config{RootCAs: pool, ServerName: l.TLSServerName, MinVersion: tls.VersionTLS12}
		return e, nil
	}
}

// subcommand runs one subcommand with its arguments.
type subcommand func(args []string) error

var subcommands = map[string]subcommand{
	"seed":    cmdSeed,
	"measure": cmdMeasure,
	"report":  cmdReport,
	"headers": cmdHeaders,
	"pop":     cmdPOP,
	"move":    cmdMove,
	"send":    cmdSend,
	"folders": cmdFolders,
	"search":  cmdSearch,
	"big":     cmdBig,
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ref seed|measure|report|headers|pop|move|send|folders|search|big [flags]")
		os.Exit(2)
	}
	run, ok := subcommands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "ref: unknown subcommand %q\n", os.Args[1])
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "ref %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
