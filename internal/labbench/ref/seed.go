package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// seedMessage is generated message i of a seed: one of 50 senders (or the
// target sender every targetEvery messages), an encoded subject and a
// plain text body of about size bytes.
func seedMessage(i, size, targetEvery int, domain string) []byte {
	var b bytes.Buffer
	from := fmt.Sprintf("Remetente %02d <sender%02d@%s>", i%50, i%50, domain)
	if targetEvery > 0 && i%targetEvery == 0 {
		from = "Fornecedor Alvo <target@" + domain + ">"
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: frank@%s\r\n", from, domain)
	fmt.Fprintf(&b, "Subject: =?UTF-8?Q?Nota_fiscal_n=C2=BA_%d?=\r\n", i)
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <seed-%d@%s>\r\n", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z), i, domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
	line := strings.Repeat("lorem ipsum dolor sit amet ", 3)[:72] + "\r\n"
	for n := 0; n < size; n += len(line) {
		b.WriteString(line)
	}
	return b.Bytes()
}

// seedFlags: in a targeted seed the target's messages alternate unread and
// read, and every other message is read, so "unread from the target" is a
// real selection; otherwise every message is unread.
func seedFlags(i, targetEvery int) []imap.Flag {
	if targetEvery == 0 {
		return nil
	}
	if i%targetEvery == 0 {
		if (i/targetEvery)%2 == 0 {
			return nil
		}
		return []imap.Flag{imap.FlagSeen}
	}
	if i%2 == 0 {
		return []imap.Flag{imap.FlagSeen}
	}
	return nil
}

// cmdSeed appends generated messages to a folder (or to -folders folders
// named by the -folder pattern), directly on the lab's IMAP port,
// pipelining the APPENDs.
func cmdSeed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	mkEnv := commonFlags(fs)
	folder := fs.String("folder", "INBOX", "folder, or a pattern with %d (1-based) when -folders > 0")
	folders := fs.Int("folders", 0, "number of folders to create from the -folder pattern")
	n := fs.Int("n", 100, "messages per folder")
	size := fs.Int("size", 1024, "approximate body size in bytes")
	targetEvery := fs.Int("target-every", 0, "every K-th message comes from target@ (search seeds; flags vary)")
	maildir := fs.String("maildir", "", "write the messages as files into this Maildir++ root instead of APPENDing them (then run doveadm force-resync)")
	create := fs.Bool("create", false, "create the folder(s) first")
	subscribe := fs.Bool("subscribe", false, "subscribe the folder(s)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 0 || *n > 1_000_000 || *size < 0 || *size > 64<<20 || *folders < 0 || *folders > 100_000 {
		return fmt.Errorf("-n, -size or -folders out of range")
	}
	e, err := mkEnv()
	if err != nil {
		return err
	}
	names := []string{*folder}
	if *folders > 0 {
		names = names[:0]
		for i := 1; i <= *folders; i++ {
			names = append(names, fmt.Sprintf(*folder, i))
		}
	}
	if *maildir != "" {
		for _, name := range names {
			if err := writeMaildir(*maildir, name, *n, *size, *targetEvery, e.lab.Domain); err != nil {
				return err
			}
		}
		return nil
	}
	c, err := dialIMAPS(e)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, name := range names {
		if *create {
			if err := c.Create(name, nil).Wait(); err != nil {
				return fmt.Errorf("create %s: %w", name, err)
			}
		}
		if *subscribe {
			if err := c.Subscribe(name).Wait(); err != nil {
				return fmt.Errorf("subscribe %s: %w", name, err)
			}
		}
		if err := appendAll(c, name, *n, *size, *targetEvery, e.lab.Domain); err != nil {
			return err
		}
	}
	return c.Logout().Wait()
}

// appendAll appends n messages to folder in windows of pipelined APPENDs.
func appendAll(c *imapclient.Client, folder string, n, size, targetEvery int, domain string) error {
	const window = 64
	pending := make([]*imapclient.AppendCommand, 0, window)
	flush := func() error {
		for _, cmd := range pending {
			if _, err := cmd.Wait(); err != nil {
				return fmt.Errorf("append to %s: %w", folder, err)
			}
		}
		pending = pending[:0]
		return nil
	}
	for i := 1; i <= n; i++ {
		msg := seedMessage(i, size, targetEvery, domain)
		cmd := c.Append(folder, int64(len(msg)), &imap.AppendOptions{Flags: seedFlags(i, targetEvery)})
		if _, err := cmd.Write(msg); err != nil {
			return fmt.Errorf("append to %s: %w", folder, err)
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("append to %s: %w", folder, err)
		}
		pending = append(pending, cmd)
		if len(pending) == window {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// writeMaildir writes n generated messages as files into the cur directory
// of folder under the Maildir++ root (INBOX is the root itself), creating
// the folder's directories. Dovecot picks them up at its next sync.
func writeMaildir(root, folder string, n, size, targetEvery int, domain string) error {
	dir := root
	if !strings.EqualFold(folder, "INBOX") {
		dir = filepath.Join(root, "."+strings.ReplaceAll(folder, "/", "."))
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return fmt.Errorf("seed maildir: %w", err)
		}
	}
	if dir != root {
		if err := os.WriteFile(filepath.Join(dir, "maildirfolder"), nil, 0o600); err != nil {
			return fmt.Errorf("seed maildir: %w", err)
		}
	}
	now := time.Now()
	for i := 1; i <= n; i++ {
		msg := seedMessage(i, size, targetEvery, domain)
		info := ""
		if len(seedFlags(i, targetEvery)) > 0 {
			info = "S"
		}
		name := fmt.Sprintf("%d.M%dP%dQ%d.bench,S=%d:2,%s", now.Unix(), now.Nanosecond()/1000, os.Getpid(), i, len(msg), info)
		if err := os.WriteFile(filepath.Join(dir, "cur", name), msg, 0o600); err != nil {
			return fmt.Errorf("seed maildir: %w", err)
		}
	}
	return nil
}
