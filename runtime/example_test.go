package runtime_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/bindings"
	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
	"github.com/advmail/advmail/runtime"
)

// A host runs a script with an in-memory configuration, on the sandbox,
// with a host function and a time limit.
func ExampleNew() {
	cfg := mail.DefaultConfig()
	cfg.Protocol = "IMAP"

	r, err := runtime.New(runtime.Options{
		Config:  cfg,       // or ConfigPath: "/etc/advmail/appserver.ini"
		Sandbox: true,      // or Dial: a custom dialer, to reach real servers
		Stdout:  os.Stdout, // conout and print
		Logger:  slog.New(slog.DiscardHandler),
		// Libs: the zero value is the restricted set (no os.execute,
		// io.popen, os.exit; dofile only next to the script).
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	// A host function, callable from the script in any letter case.
	if err := r.Register("HostRecipient", func(L *lua.LState) int {
		L.Push(lua.LString("financeiro@empresa.com.br"))
		return 1
	}); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = r.DoString(ctx, `
local oServer = TMailManager():New()
oServer:SetUseTLS(true)
oServer:Init("", "smtp.empresa.com.br", "fulano@empresa.com.br", "senha", 0, 587)
local nErr = oServer:SMTPConnect()
if nErr == 0 then nErr = oServer:SMTPAuth("fulano@empresa.com.br", "senha") end
if nErr ~= 0 then error(oServer:GetErrorString(nErr)) end
local oMsg = TMailMessage():New()
oMsg.cFrom = "fulano@empresa.com.br"
oMsg.cTo = hostrecipient()
oMsg.cSubject = "Fechamento"
oMsg.cBody = "ok"
conout("Send", oMsg:Send(oServer))
oServer:SMTPDisconnect()
conout("Protocol", GetPvProfString("Mail", "Protocol", ""))
`)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range r.Sandbox().Captured() {
		fmt.Println(m.To, m.Subject)
	}
	// Output:
	// Send 0
	// Protocol IMAP
	// [financeiro@empresa.com.br] Fechamento
}

// A token provider supplies OAuth2 access tokens: a script that logs in
// with the password "oauth2:" gets a fresh token from the host, sent with
// XOAUTH2.
func ExampleOptions_token() {
	r, err := runtime.New(runtime.Options{
		INI:     []byte("[Mail]\nAuthXOAuth2=1\n"),
		Sandbox: true, // its SMTP server offers XOAUTH2
		Stdout:  os.Stdout,
		Token: func(ctx context.Context, user string) (string, error) {
			fmt.Println("token requested for", user)
			return "ya29.fresh-access-token", nil // e.g. from golang.org/x/oauth2
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	err = r.DoString(context.Background(), `
local oServer = TMailManager():New()
oServer:SetUseTLS(true)
oServer:Init("", "smtp.office365.com", "fulano@empresa.com.br", "oauth2:", 0, 587)
conout("SMTPConnect", oServer:SMTPConnect())
conout("SMTPAuth", oServer:SMTPAuth("fulano@empresa.com.br", "oauth2:"))
oServer:SMTPDisconnect()
`)
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// SMTPConnect 0
	// token requested for fulano@empresa.com.br
	// SMTPAuth 0
}

// A script compiled once runs many times, here on one Runtime.
func ExampleCompile() {
	script, err := runtime.CompileString("greet.lua", `
local cName = ...
conout("Olá, " .. AllTrim(cName) .. " (" .. arg[0] .. ")")
`)
	if err != nil {
		log.Fatal(err)
	}
	r, err := runtime.New(runtime.Options{INI: []byte{}, Stdout: os.Stdout})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for _, name := range []string{"  Fulano ", "Beltrano"} {
		if err := r.Run(context.Background(), script, name); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// Olá, Fulano (greet.lua)
	// Olá, Beltrano (greet.lua)
}

// A pool runs one compiled script for many accounts at once. Here its
// states share a sandbox the host started; with real servers, leave
// SandboxServer out and set ConfigPath (and Dial or Token as needed).
func ExamplePool() {
	sb, err := sandbox.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()

	pool, err := runtime.NewPool(runtime.Options{INI: []byte{}, SandboxServer: sb}, 4)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	script, err := runtime.CompileString("report.lua", `
local cUser, cBranch = ...
local oServer = TMailManager():New()
oServer:SetUseTLS(true)
oServer:Init("", "smtp.empresa.com.br", cUser, "senha", 0, 587)
local nErr = oServer:SMTPConnect()
if nErr == 0 then nErr = oServer:SMTPAuth(cUser, "senha") end
if nErr ~= 0 then error(oServer:GetErrorString(nErr)) end
local oMsg = TMailMessage():New()
oMsg.cFrom = cUser
oMsg.cTo = "matriz@empresa.com.br"
oMsg.cSubject = "Relatório da filial " .. cBranch
oMsg.cBody = "anexo"
nErr = oMsg:Send(oServer)
oServer:SMTPDisconnect()
if nErr ~= 0 then error(oServer:GetErrorString(nErr)) end
`)
	if err != nil {
		log.Fatal(err)
	}

	var wg sync.WaitGroup
	for i := 1; i <= 10; i++ {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			user := fmt.Sprintf("filial%02d@empresa.com.br", i)
			if err := pool.Run(ctx, script, user, fmt.Sprintf("%02d", i)); err != nil {
				fmt.Println(user, err)
			}
		})
	}
	wg.Wait()

	var subjects []string
	for _, m := range sb.Captured() {
		subjects = append(subjects, m.Subject)
	}
	slices.Sort(subjects)
	fmt.Println(len(subjects), "messages:", subjects[0], "…", subjects[len(subjects)-1])
	// Output:
	// 10 messages: Relatório da filial 01 … Relatório da filial 10
}

// A host with its own gopher-lua state installs only the mail classes and
// the legacy functions, without the runtime and its prelude.
func Example_bindingsOpen() {
	sb, err := sandbox.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()

	L := lua.NewState()
	defer L.Close()
	engine := &bindings.Engine{Transport: sb.Transport(mail.DefaultConfig()), Stdout: os.Stdout}
	bindings.Open(L, engine)

	// Scripts run under a context; on cancellation close the connections
	// so that a blocked mail operation returns at once.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stop := context.AfterFunc(ctx, engine.CloseAll)
	defer stop()
	L.SetContext(ctx)

	err = L.DoString(`
local oServer = tmailmanager():new()
oServer:SetUseSSL(true)
oServer:Init("pop.empresa.com.br", "", "fulano@empresa.com.br", "senha", 995, 0)
print("PopConnect " .. oServer:PopConnect())
local nErr, nCount = oServer:GetNumMsgs()
print("messages " .. nCount)
oServer:PopDisconnect()
`)
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// PopConnect 0
	// messages 4
}
