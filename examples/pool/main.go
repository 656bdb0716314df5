// Command pool runs one compiled script for many accounts, four at a time,
// on a pool of runtimes sharing one sandbox. Run it from its folder:
//
//	go run .
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	advrt "github.com/advmail/advmail/runtime"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pool:", err)
		os.Exit(1)
	}
}

func run() error {
	opts := advrt.Options{
		INI:     []byte("[Mail]\nProtocol=POP3\n"),
		Sandbox: true, // the pool starts one sandbox for all its states
		Stdout:  os.Stdout,
	}
	script, err := advrt.Compile("relatorio.lua") // or CompileString(name, code)
	if err != nil {
		return err
	}
	pool, err := advrt.NewPool(opts, 4)
	if err != nil {
		return err
	}
	defer pool.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		account := fmt.Sprintf("filial%02d@empresa.com.br", i+1)
		wg.Go(func() {
			errs[i] = pool.Run(ctx, script, account) // from any number of goroutines
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	fmt.Println(len(pool.Sandbox().Captured()), "reports captured")
	return nil
}
