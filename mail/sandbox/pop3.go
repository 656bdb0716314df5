package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/advmail/advmail/mail/pop3server"
)

// pipeListener hands in-process connections (net.Pipe) to the IMAP server,
// so that POP3 sessions can use it without a socket.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial returns the client end of a new in-process connection.
func (l *pipeListener) dial() (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, net.ErrClosed
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "sandbox" }

// popBackend serves the shared store over POP3: each POP3 session is an
// in-process IMAP session on the user's INBOX.
type popBackend struct{ sb *Sandbox }

func (b popBackend) Login(user, _ string) (pop3server.Mailbox, error) {
	acct, err := b.sb.store.account(user)
	if err != nil {
		return nil, err
	}
	conn, err := b.sb.imapPipe.dial()
	if err != nil {
		return nil, fmt.Errorf("sandbox pop3: %w", err)
	}
	c := imapclient.New(conn, nil)
	m := &popMailbox{c: c}
	if err := m.open(acct.name); err != nil {
		c.Close()
		return nil, fmt.Errorf("sandbox pop3: open %s: %w", acct.name, err)
	}
	return m, nil
}

// LoginAPOP accepts any APOP digest, like every sandbox login.
func (b popBackend) LoginAPOP(user, _, _ string) (pop3server.Mailbox, error) {
	return b.Login(user, "")
}

var _ pop3server.APOPBackend = popBackend{}

// popMailbox is the INBOX of one POP3 session, as listed at login.
type popMailbox struct {
	c    *imapclient.Client
	msgs []pop3server.Message
	uids []imap.UID
}

var _ pop3server.Mailbox = (*popMailbox)(nil)

func (m *popMailbox) open(user string) error {
	if err := m.c.Login(user, "sandbox").Wait(); err != nil {
		return err
	}
	sel, err := m.c.Select("INBOX", nil).Wait()
	if err != nil {
		return err
	}
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0) // 1:*
	bufs, err := m.c.Fetch(all, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return err
	}
	for _, b := range bufs {
		m.uids = append(m.uids, b.UID)
		m.msgs = append(m.msgs, pop3server.Message{
			UID:  strconv.FormatUint(uint64(sel.UIDValidity), 10) + "." + strconv.FormatUint(uint64(b.UID), 10),
			Size: b.RFC822Size,
		})
	}
	return nil
}

func (m *popMailbox) Messages() ([]pop3server.Message, error) { return m.msgs, nil }

func (m *popMailbox) Open(i int) (io.ReadCloser, error) {
	if i < 0 || i >= len(m.uids) {
		return nil, fmt.Errorf("sandbox pop3: no message %d", i+1)
	}
	section := &imap.FetchItemBodySection{Peek: true}
	bufs, err := m.c.Fetch(imap.UIDSetNum(m.uids[i]), &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		return nil, fmt.Errorf("sandbox pop3: fetch message %d: %w", i+1, err)
	}
	for _, b := range bufs {
		if b.UID == m.uids[i] {
			if data := b.FindBodySection(section); data != nil {
				return io.NopCloser(bytes.NewReader(data)), nil
			}
		}
	}
	return nil, fmt.Errorf("sandbox pop3: message %d was deleted by another session", i+1)
}

func (m *popMailbox) Delete(indexes []int) error {
	var uids imap.UIDSet
	for _, i := range indexes {
		if i < 0 || i >= len(m.uids) {
			return fmt.Errorf("sandbox pop3: no message %d", i+1)
		}
		uids.AddNum(m.uids[i])
	}
	if len(uids) == 0 {
		return nil
	}
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := m.c.Store(uids, store, nil).Close(); err != nil {
		return fmt.Errorf("sandbox pop3: flag deleted: %w", err)
	}
	if err := m.c.UIDExpunge(uids).Close(); err != nil {
		return fmt.Errorf("sandbox pop3: expunge: %w", err)
	}
	return nil
}

// Close logs out of the IMAP session; it never expunges anything Delete did
// not name.
func (m *popMailbox) Close() error {
	m.c.Logout().Wait() // the server closes the pipe after BYE
	m.c.Close()
	return nil
}
