package sandbox

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// delim is the hierarchy delimiter of imapmemserver.
const delim = '/'

// The special-use folders every new mailbox gets, subscribed.
var specialFolders = []struct {
	name string
	attr imap.MailboxAttr
}{
	{"Sent", imap.MailboxAttrSent},
	{"Drafts", imap.MailboxAttrDrafts},
	{"Trash", imap.MailboxAttrTrash},
}

// mailboxName returns the sandbox mailbox an address or login names: its
// lower-cased local part ("Fulano@Empresa.com.br", "fulano" and "fulano@"
// are all "fulano"). It returns "" when nothing is left.
func mailboxName(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	s = strings.Trim(s, `"`)
	return strings.ToLower(strings.TrimSpace(s))
}

// store is the shared in-memory mail store: one imapmemserver user per
// mailbox, created on first use (login or delivery) with sample messages.
type store struct {
	mu       sync.Mutex
	accounts map[string]*account
}

func newStore() *store {
	return &store{accounts: make(map[string]*account)}
}

// account returns the account for login, creating it when new.
func (st *store) account(login string) (*account, error) {
	name := mailboxName(login)
	if name == "" {
		return nil, fmt.Errorf("sandbox: empty user name %q", login)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if a, ok := st.accounts[name]; ok {
		return a, nil
	}
	a := &account{
		name:    name,
		user:    imapmemserver.NewUser(name, ""),
		folders: make(map[string]*folderMeta),
	}
	if err := a.setup(time.Now()); err != nil {
		return nil, err
	}
	st.accounts[name] = a
	return a, nil
}

// folderMeta is what the sandbox tracks about a folder beyond what
// imapmemserver exposes: its subscription and special use, so that LIST
// can show \Sent, \Drafts and \Trash.
type folderMeta struct {
	subscribed bool
	special    []imap.MailboxAttr
}

// account is one mailbox owner. Folder changes go through its methods so
// that folders stays in step with the imapmemserver user.
type account struct {
	name string
	user *imapmemserver.User

	mu      sync.Mutex
	folders map[string]*folderMeta
}

// setup creates INBOX and the special-use folders, all subscribed, and puts
// the sample messages in INBOX.
func (a *account) setup(now time.Time) error {
	if err := a.create("INBOX", nil); err != nil {
		return err
	}
	if err := a.subscribe("INBOX", true); err != nil {
		return err
	}
	for _, f := range specialFolders {
		if err := a.create(f.name, &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{f.attr}}); err != nil {
			return err
		}
		if err := a.subscribe(f.name, true); err != nil {
			return err
		}
	}
	for _, s := range sampleMessages(a.name, now) {
		if err := a.deliver(s.data, s.date); err != nil {
			return fmt.Errorf("sandbox: sample message for %s: %w", a.name, err)
		}
	}
	return nil
}

// deliver appends data to INBOX (recreating INBOX if a client deleted it).
func (a *account) deliver(data []byte, date time.Time) error {
	if _, err := a.user.Status("INBOX", &imap.StatusOptions{}); err != nil {
		if err := a.create("INBOX", nil); err != nil {
			return err
		}
		if err := a.subscribe("INBOX", true); err != nil {
			return err
		}
	}
	_, err := a.user.Append("INBOX", bytes.NewReader(data), &imap.AppendOptions{Time: date})
	return err
}

func (a *account) create(name string, options *imap.CreateOptions) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	name = strings.TrimRight(name, string(delim))
	if err := a.user.Create(name, options); err != nil {
		return err
	}
	m := &folderMeta{}
	if options != nil {
		m.special = append(m.special, options.SpecialUse...)
	}
	a.folders[name] = m
	return nil
}

func (a *account) delete(name string) error {
	if name == "INBOX" {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "INBOX cannot be deleted"}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.user.Delete(name); err != nil {
		return err
	}
	delete(a.folders, name)
	return nil
}

// rename renames a folder. Renaming INBOX moves its messages to the new
// folder and leaves an empty INBOX, as RFC 3501 says.
func (a *account) rename(from, to string, options *imap.RenameOptions) error {
	a.mu.Lock()
	to = strings.TrimRight(to, string(delim))
	if err := a.user.Rename(from, to, options); err != nil {
		a.mu.Unlock()
		return err
	}
	m := a.folders[from]
	if m == nil {
		m = &folderMeta{}
	}
	delete(a.folders, from)
	a.folders[to] = m
	a.mu.Unlock()
	if from == "INBOX" {
		if err := a.create("INBOX", nil); err != nil {
			return err
		}
		return a.subscribe("INBOX", true)
	}
	return nil
}

func (a *account) subscribe(name string, on bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var err error
	if on {
		err = a.user.Subscribe(name)
	} else {
		err = a.user.Unsubscribe(name)
	}
	if err != nil {
		return err
	}
	if m := a.folders[name]; m != nil {
		m.subscribed = on
	}
	return nil
}

// list answers LIST and LSUB like imapmemserver does, adding the special-use
// attributes (always, as most servers do), \HasChildren/\HasNoChildren
// (CHILDREN) and STATUS for LIST-STATUS.
func (a *account) list(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 {
		return w.WriteList(&imap.ListData{
			Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect},
			Delim: delim,
		})
	}
	if options == nil {
		options = &imap.ListOptions{}
	}
	a.mu.Lock()
	var rows []imap.ListData
	for name, m := range a.folders {
		match := false
		for _, p := range patterns {
			if imapserver.MatchList(name, delim, ref, p) {
				match = true
				break
			}
		}
		if !match || (options.SelectSubscribed && !m.subscribed) || (options.SelectSpecialUse && len(m.special) == 0) {
			continue
		}
		row := imap.ListData{Mailbox: name, Delim: delim}
		if a.hasChildrenLocked(name) {
			row.Attrs = append(row.Attrs, imap.MailboxAttrHasChildren)
		} else {
			row.Attrs = append(row.Attrs, imap.MailboxAttrHasNoChildren)
		}
		if m.subscribed {
			row.Attrs = append(row.Attrs, imap.MailboxAttrSubscribed)
		}
		row.Attrs = append(row.Attrs, m.special...)
		rows = append(rows, row)
	}
	a.mu.Unlock()

	sort.Slice(rows, func(i, j int) bool { return rows[i].Mailbox < rows[j].Mailbox })
	for i := range rows {
		if options.ReturnStatus != nil {
			st, err := a.user.Status(rows[i].Mailbox, options.ReturnStatus)
			if err != nil {
				continue // deleted meanwhile
			}
			rows[i].Status = st
		}
		if err := w.WriteList(&rows[i]); err != nil {
			return err
		}
	}
	return nil
}

// hasChildrenLocked reports whether a folder below name exists (CHILDREN).
func (a *account) hasChildrenLocked(name string) bool {
	prefix := name + string(delim)
	for other := range a.folders {
		if strings.HasPrefix(other, prefix) {
			return true
		}
	}
	return false
}

// imapSession is an imapmemserver session whose Login accepts any password
// and creates unknown users, and whose folder operations keep the account's
// folder metadata current.
type imapSession struct {
	*imapmemserver.UserSession // nil until logged in

	store *store
	acct  *account
}

var (
	_ imapserver.SessionIMAP4rev2 = (*imapSession)(nil)
	_ imapserver.SessionSASL      = (*imapSession)(nil)
)

func (s *imapSession) Login(username, password string) error {
	if s.acct != nil {
		return &imap.Error{Type: imap.StatusResponseTypeBad, Text: "Already logged in"}
	}
	a, err := s.store.account(username)
	if err != nil {
		return imapserver.ErrAuthFailed
	}
	s.acct = a
	s.UserSession = imapmemserver.NewUserSession(a.user)
	return nil
}

func (s *imapSession) Close() error {
	if s.UserSession == nil {
		return nil
	}
	return s.UserSession.Close()
}

// AuthenticateMechanisms lists the SASL mechanisms offered; all accept any
// credentials.
func (s *imapSession) AuthenticateMechanisms() []string { return saslMechanisms }

// Authenticate returns the SASL server for mech.
func (s *imapSession) Authenticate(mech string) (sasl.Server, error) {
	srv := newSASLServer(mech, func(user string) error { return s.Login(user, "") })
	if srv == nil {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
	}
	return srv, nil
}

func (s *imapSession) Create(name string, options *imap.CreateOptions) error {
	return s.acct.create(name, options)
}

func (s *imapSession) Delete(name string) error { return s.acct.delete(name) }

func (s *imapSession) Rename(name, newName string, options *imap.RenameOptions) error {
	return s.acct.rename(name, newName, options)
}

func (s *imapSession) Subscribe(name string) error { return s.acct.subscribe(name, true) }

func (s *imapSession) Unsubscribe(name string) error { return s.acct.subscribe(name, false) }

func (s *imapSession) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	return s.acct.list(w, ref, patterns, options)
}
