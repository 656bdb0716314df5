// Command files runs a tenant's script with its file access confined to
// the tenant's folders: templates read-only, spool read-write. Run it from
// its folder:
//
//	go run .
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	advrt "github.com/advmail/advmail/runtime"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "files:", err)
		os.Exit(1)
	}
}

func run() error {
	if err := os.MkdirAll(filepath.Join("tenant1", "spool"), 0o755); err != nil {
		return err
	}
	r, err := advrt.New(advrt.Options{
		Files: &advrt.FileAccess{Dirs: []advrt.FileDir{
			{Path: "tenant1/templates"},          // read-only
			{Path: "tenant1/spool", Write: true}, // read-write
		}},
		// or Files: &advrt.FileAccess{Deny: true}: no file access at all
		INI:    []byte{}, // no server ini: built-in defaults
		Stdout: os.Stdout,
		Stderr: os.Stdout, // refusals are explained on Stderr
	})
	if err != nil {
		return err
	}
	defer r.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return r.DoFile(ctx, "tenant.lua")
}
