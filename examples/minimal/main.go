// Command minimal is the smallest advmail host: it runs one script with a
// host function and a time limit, then a line of Lua, an expression and a
// function the script defined. Run it from its folder:
//
//	go run . -sandbox
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"

	advrt "github.com/advmail/advmail/runtime"
)

func main() {
	config := flag.String("config", "appserver.ini", "server ini with the [Mail] section")
	sandbox := flag.Bool("sandbox", false, "send nothing: use the embedded mail system")
	flag.Parse()
	if err := run(*config, *sandbox); err != nil {
		var se *advrt.ScriptError
		if errors.As(err, &se) {
			fmt.Fprintf(os.Stderr, "minimal: %s\n%s\n", se.Message, se.Traceback)
		} else {
			fmt.Fprintln(os.Stderr, "minimal:", err)
		}
		os.Exit(1)
	}
}

func run(config string, sandbox bool) error {
	r, err := advrt.New(advrt.Options{
		ConfigPath: config,
		Sandbox:    sandbox,
		Stdout:     os.Stdout,
		Logger:     slog.Default(),
	})
	if err != nil {
		return err
	}
	defer r.Close()

	if err := r.Register("ERPCompany", func(L *lua.LState) int {
		L.Push(lua.LString("Empresa Ltda"))
		return 1
	}); err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := r.DoFile(ctx, "envia.lua", "000123"); err != nil { // arg[0], arg[1]; also the chunk's ...
		return err
	}
	if err := r.DoString(ctx, `conout(AllTrim("  x  "))`); err != nil {
		return err
	}
	vals, err := r.Eval(ctx, "expr", `return 1 + 1`)
	if err != nil {
		return err
	}
	fmt.Println("1 + 1 =", vals[0])
	vals, err = r.Call(ctx, r.State().GetGlobal("MinhaFuncao"), lua.LString("x"))
	if err != nil {
		return err
	}
	fmt.Println("MinhaFuncao:", vals[0])

	return r.SandboxReport(os.Stdout, "") // nothing outside sandbox mode
}
