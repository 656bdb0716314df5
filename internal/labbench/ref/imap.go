package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// dialIMAPS connects to the lab's IMAPS port and logs in.
func dialIMAPS(e *env) (*imapclient.Client, error) {
	addr, err := e.addr("imaps")
	if err != nil {
		return nil, err
	}
	c, err := imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: e.tls})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if err := c.Login(e.user.Login, e.user.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("login: %w", err)
	}
	return c, nil
}

// cmdHeaders fetches From and Subject of every message of a folder on one
// connection: LOGIN, then SELECT and FETCH pipelined, then LOGOUT.
func cmdHeaders(args []string) error {
	fs := flag.NewFlagSet("headers", flag.ContinueOnError)
	mkEnv := commonFlags(fs)
	folder := fs.String("folder", "INBOX", "folder")
	want := fs.Int("want", -1, "expected number of messages (-1: any)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := mkEnv()
	if err != nil {
		return err
	}
	c, err := dialIMAPS(e)
	if err != nil {
		return err
	}
	defer c.Close()
	sel := c.Select(*folder, &imap.SelectOptions{ReadOnly: true})
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"From", "Subject"}, Peek: true}
	var all imap.SeqSet
	all.AddRange(1, 0)
	fetch := c.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	type row struct {
		uid           imap.UID
		from, subject string
	}
	var rows []row
	for {
		msg := fetch.Next()
		if msg == nil {
			break
		}
		buf, err := msg.Collect()
		if err != nil {
			return fmt.Errorf("fetch: %w", err)
		}
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(buf.FindBodySection(section))))
		if err != nil {
			return fmt.Errorf("message %d header: %w", buf.SeqNum, err)
		}
		mh := mail.Header{Header: message.Header{Header: h}}
		subject, _ := mh.Text("Subject")
		from, _ := mh.Text("From")
		rows = append(rows, row{buf.UID, from, subject})
	}
	if err := fetch.Close(); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	if _, err := sel.Wait(); err != nil {
		return fmt.Errorf("select %s: %w", *folder, err)
	}
	if *want >= 0 && len(rows) != *want {
		return fmt.Errorf("got %d rows, want %d", len(rows), *want)
	}
	fmt.Println(len(rows), "rows")
	return c.Logout().Wait()
}

// cmdMove moves messages 1..n of INBOX to a folder with one MOVE.
func cmdMove(args []string) error {
	fs := flag.NewFlagSet("move", flag.ContinueOnError)
	mkEnv := commonFlags(fs)
	n := fs.Int("n", 1000, "messages to move (1..n)")
	to := fs.String("to", "BenchMoved", "target folder")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := mkEnv()
	if err != nil {
		return err
	}
	c, err := dialIMAPS(e)
	if err != nil {
		return err
	}
	defer c.Close()
	sel := c.Select("INBOX", nil)
	var set imap.SeqSet
	set.AddRange(1, uint32(*n))
	mv := c.Move(set, *to)
	if _, err := sel.Wait(); err != nil {
		return fmt.Errorf("select INBOX: %w", err)
	}
	if _, err := mv.Wait(); err != nil {
		return fmt.Errorf("move: %w", err)
	}
	return c.Logout().Wait()
}

// cmdFolders lists the subscribed folders with their counts in one LIST.
func cmdFolders(args []string) error {
	fs := flag.NewFlagSet("folders", flag.ContinueOnError)
	mkEnv := commonFlags(fs)
	want := fs.Int("want", 0, "minimum number of folders expected")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := mkEnv()
	if err != nil {
		return err
	}
	c, err := dialIMAPS(e)
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := c.List("", "*", &imap.ListOptions{
		SelectSubscribed: true,
		ReturnStatus:     &imap.StatusOptions{NumMessages: true, NumUnseen: true},
	}).Collect()
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	if len(list) < *want {
		return fmt.Errorf("got %d folders, want at least %d", len(list), *want)
	}
	fmt.Println(len(list), "folders")
	return c.Logout().Wait()
}

// cmdSearch prints the UIDs of the unread messages from one sender.
func cmdSearch(args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	mkEnv := commonFlags(fs)
	folder := fs.String("folder", "INBOX", "folder")
	from := fs.String("from", "", "sender")
	want := fs.Int("want", -1, "expected number of UIDs (-1: any)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := mkEnv()
	if err != nil {
		return err
	}
	c, err := dialIMAPS(e)
	if err != nil {
		return err
	}
	defer c.Close()
	sel := c.Select(*folder, &imap.SelectOptions{ReadOnly: true})
	search := c.UIDSearch(&imap.SearchCriteria{
		NotFlag: []imap.Flag{imap.FlagSeen},
		Header:  []imap.SearchCriteriaHeaderField{{Key: "From", Value: *from}},
	}, nil)
	if _, err := sel.Wait(); err != nil {
		return fmt.Errorf("select %s: %w", *folder, err)
	}
	data, err := search.Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	uids := data.AllUIDs()
	if *want >= 0 && len(uids) != *want {
		return fmt.Errorf("got %d UIDs, want %d", len(uids), *want)
	}
	fmt.Println(len(uids), "uids")
	return c.Logout().Wait()
}
