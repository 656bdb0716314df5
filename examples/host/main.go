// Command erp-mail is an example host: it runs advmail scripts for the
// accounts of an ERP, on real servers or on the sandbox. Run it from its
// folder (the scripts are in scripts/, the library they share in lib/):
//
//	go run . -sandbox
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/bindings"
	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
	advrt "github.com/advmail/advmail/runtime"
)

// tokens is the host's OAuth2 token provider. A real host asks its
// identity provider here (for example an oauth2.TokenSource per user,
// which refreshes and caches access tokens).
type tokens struct {
	mu    sync.Mutex
	cache map[string]string
}

func (t *tokens) Token(ctx context.Context, user string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tok, ok := t.cache[user]; ok {
		return tok, nil
	}
	return "", fmt.Errorf("no OAuth2 grant for %s", user)
}

// dial is the host's dialer: every mail connection goes through it
// (here: a 10 s connect timeout; a host could use a proxy instead).
func dial(ctx context.Context, proto mail.Protocol, ep mail.Endpoint) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	return d.DialContext(ctx, "tcp", ep.Addr(proto))
}

// erpCompany is a host function the scripts call as ERPCompany().
func erpCompany(L *lua.LState) int {
	L.Push(lua.LString("Empresa Ltda"))
	return 1
}

func main() {
	config := flag.String("config", "appserver.ini", "server ini with the [Mail] section (may be absent with -sandbox)")
	useSandbox := flag.Bool("sandbox", false, "send nothing: use the embedded mail system")
	flag.Parse()
	if err := run(*config, *useSandbox); err != nil {
		log.Fatal(err)
	}
}

// run runs every script; it returns an error when the host could not
// start, or when a script failed (after logging why).
func run(config string, useSandbox bool) error {
	var failed []error
	fail := func(err error) {
		failed = append(failed, err)
		var se *advrt.ScriptError
		if errors.As(err, &se) {
			log.Printf("script failed: %s\n%s", se.Message, se.Traceback)
		} else {
			log.Print(err)
		}
	}

	// One sandbox for everything below, when asked.
	var sb *sandbox.Sandbox
	if useSandbox {
		var err error
		if sb, err = sandbox.Start(); err != nil {
			return err
		}
		defer sb.Close()
	}

	opts := advrt.Options{
		ConfigPath:    config,    // [Mail] section; or Config: &mail.Config{…}, or INI: []byte(…)
		Stdout:        os.Stdout, // conout, print
		Stderr:        os.Stderr, // protocol trace (MailTrace=1)
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Dial:          dial, // ignored with a sandbox
		SandboxServer: sb,   // nil: real servers
		Token:         (&tokens{cache: map[string]string{"fulano@empresa.com.br": "ya29.example"}}).Token,
		Libs:          advrt.Libs{LoadDirs: []string{"lib"}}, // restricted; dofile/require also from lib/
	}

	// 1. One script, once, with a time limit.
	r, err := advrt.New(opts)
	if err != nil {
		return err
	}
	if err := r.Register("ERPCompany", erpCompany); err != nil {
		r.Close()
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	if err := r.DoFile(ctx, "scripts/envia_boleto.lua", "000123"); err != nil {
		fail(err)
	}
	cancel()
	r.Close() // closes any connection the script left open

	// 2. The same script for many accounts, four at a time.
	script, err := advrt.Compile("scripts/relatorio.lua")
	if err != nil {
		return err // syntax errors name file:line
	}
	pool, err := advrt.NewPool(opts, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pool.Register("ERPCompany", erpCompany); err != nil {
		return err
	}
	accounts := []string{"filial01@empresa.com.br", "filial02@empresa.com.br", "fulano@empresa.com.br"}
	errs := make([]error, len(accounts))
	var wg sync.WaitGroup
	for i, account := range accounts {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			errs[i] = pool.Run(ctx, script, account)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fail(err)
		}
	}

	// 3. The classes alone, in a gopher-lua state the host already has.
	L := lua.NewState()
	defer L.Close()
	transport := &mail.Transport{Config: mail.DefaultConfig(), Dial: dial}
	if sb != nil {
		transport = sb.Transport(mail.DefaultConfig())
	}
	engine := &bindings.Engine{Transport: transport, Stdout: os.Stdout}
	bindings.Open(L, engine)
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stop := context.AfterFunc(ctx, engine.CloseAll) // unblock mail I/O on cancel
	defer stop()
	L.SetContext(ctx)
	if err := L.DoString(`print("bare state: " .. TMailManager():New():GetErrorString(0))`); err != nil {
		fail(err)
	}

	if sb != nil {
		sb.Summary(os.Stderr)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d script(s) failed", len(failed))
	}
	return nil
}
