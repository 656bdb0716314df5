// Command bindings installs only the mail classes (TMailManager,
// TMailMessage, TMailMng) and the legacy functions into a gopher-lua state
// the host already has, without the rest of the runtime, and sends one
// message through the sandbox.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/bindings"
	"github.com/advmail/advmail/mail"
	"github.com/advmail/advmail/mail/sandbox"
)

const script = `
local oServer = TMailManager():New()
oServer:Init("", "smtp.empresa.com.br", "fulano@empresa.com.br", "senha", 0, 25)
local nErr = oServer:SMTPConnect()
if nErr == 0 then
	local oMsg = TMailMessage():New()
	oMsg:Clear()
	oMsg.cFrom = "fulano@empresa.com.br"
	oMsg.cTo = "cliente@example.com"
	oMsg.cSubject = "Classes alone"
	oMsg.cBody = "sent from a bare gopher-lua state"
	nErr = oMsg:Send(oServer)
end
print("Send", nErr, oServer:GetErrorString(nErr))
oServer:SMTPDisconnect()
`

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bindings:", err)
		os.Exit(1)
	}
}

func run() error {
	sb, err := sandbox.Start()
	if err != nil {
		return err
	}
	defer sb.Close()
	cfg := mail.DefaultConfig()

	L := lua.NewState()
	defer L.Close()
	engine := &bindings.Engine{
		Transport: sb.Transport(cfg), // or &mail.Transport{Config: cfg, Dial: dial, Token: tokens}
		Stdout:    os.Stdout,
	}
	bindings.Open(L, engine)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stop := context.AfterFunc(ctx, engine.CloseAll) // unblock mail I/O on cancel
	defer stop()
	L.SetContext(ctx)
	if err := L.DoString(script); err != nil {
		return err
	}
	for _, m := range sb.Captured() {
		fmt.Println("captured:", m.Subject, m.To)
	}
	return nil
}
