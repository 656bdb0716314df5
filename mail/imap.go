package mail

import (
	"context"
	"time"
)

// IMAPOptions configures an IMAP session.
type IMAPOptions struct {
	Endpoint
	// Timeout bounds the dial and each command. 0 means 60s.
	Timeout time.Duration
}

// FolderInfo is one row of a folder list.
type FolderInfo struct {
	Name       string   // decoded UTF-8 name (modified UTF-7 on the wire)
	Attributes []string // e.g. \Noselect, \HasChildren, \Sent
	Subscribed bool
	Total      int // messages
	Seen       int // read messages
	Unseen     int // unread messages
}

// HeaderRow is the requested header fields of one message (StartGetAllMsgHeader).
type HeaderRow struct {
	SeqNum  uint32
	UID     uint32
	Headers []Header // in the order requested; missing fields have empty values
}

// BodyPart describes one MIME part of a message (GetMsgBody).
type BodyPart struct {
	Section     string // IMAP part number, "1", "1.2", ...
	ContentType string // "text/plain"
	Charset     string
	Encoding    string // transfer encoding
	Disposition string
	FileName    string
	ContentID   string
	Size        int64
}

// IMAPClient is an IMAP session (go-imap v2 imapclient underneath).
// Message ids are UIDs when uid is true, sequence numbers otherwise.
type IMAPClient struct {
	t *Transport
}

// DialIMAP connects (STARTTLS when asked; an error if not offered) and logs in.
func DialIMAP(ctx context.Context, t *Transport, o IMAPOptions, user, pass string) (*IMAPClient, error) {
	return nil, NewError(ErrUnsupported, "imap", "", errNotImplemented)
}

// SetTimeout changes the per-command timeout.
func (c *IMAPClient) SetTimeout(d time.Duration) {}

// Select opens folder read-write and returns its message count.
func (c *IMAPClient) Select(folder string) (int, error) { return 0, errNotImplemented }

// Folder returns the selected folder ("" when none).
func (c *IMAPClient) Folder() string { return "" }

// Unselect leaves the selected folder without expunging.
func (c *IMAPClient) Unselect() error { return errNotImplemented }

// Create creates folder.
func (c *IMAPClient) Create(folder string) error { return errNotImplemented }

// Delete deletes folder (leaving it first if it is selected).
func (c *IMAPClient) Delete(folder string) error { return errNotImplemented }

// Rename renames a folder.
func (c *IMAPClient) Rename(from, to string) error { return errNotImplemented }

// Subscribe subscribes (on=true) or unsubscribes folder.
func (c *IMAPClient) Subscribe(folder string, on bool) error { return errNotImplemented }

// Folders lists folders with their counts, in one LIST-STATUS round trip
// when the server offers it. subscribedOnly restricts to subscribed folders.
func (c *IMAPClient) Folders(subscribedOnly bool) ([]FolderInfo, error) {
	return nil, errNotImplemented
}

// Count returns the number of messages in the selected folder.
func (c *IMAPClient) Count() (int, error) { return 0, errNotImplemented }

// Fetch returns the full raw message (BODY.PEEK[]); it does not set \Seen.
func (c *IMAPClient) Fetch(id uint32, uid bool) ([]byte, error) { return nil, errNotImplemented }

// FetchHeader returns all header fields of a message, decoded.
func (c *IMAPClient) FetchHeader(id uint32, uid bool) ([]Header, error) {
	return nil, errNotImplemented
}

// FetchStructure returns the MIME parts of a message.
func (c *IMAPClient) FetchStructure(id uint32, uid bool) ([]BodyPart, error) {
	return nil, errNotImplemented
}

// FetchAllHeaders fetches the named header fields of every message of folder
// in one FETCH, streaming rows to fn as they arrive.
func (c *IMAPClient) FetchAllHeaders(folder string, names []string, fn func(HeaderRow)) error {
	return errNotImplemented
}

// Copy copies messages to dest in one command.
func (c *IMAPClient) Copy(ids []uint32, uid bool, dest string) error { return errNotImplemented }

// Move moves messages to dest: MOVE when offered, else COPY + STORE \Deleted
// + UID EXPUNGE of exactly those UIDs (never a folder-wide EXPUNGE; without
// UIDPLUS it refuses rather than expunging other messages).
func (c *IMAPClient) Move(ids []uint32, uid bool, dest string) error { return errNotImplemented }

// DeleteMsgs flags messages \Deleted and expunges exactly those UIDs.
func (c *IMAPClient) DeleteMsgs(ids []uint32, uid bool) error { return errNotImplemented }

// SetFlags adds IMAP flags (e.g. \Seen) to messages.
func (c *IMAPClient) SetFlags(ids []uint32, uid bool, flags []string) error { return errNotImplemented }

// Expunge permanently removes \Deleted messages of folder (Purge).
func (c *IMAPClient) Expunge(folder string) error { return errNotImplemented }

// Append stores a raw message in folder.
func (c *IMAPClient) Append(folder string, data []byte, flags []string) error {
	return errNotImplemented
}

// Logout logs out and closes.
func (c *IMAPClient) Logout() error { return nil }

// Close closes the connection at once (used on cancellation).
func (c *IMAPClient) Close() error { return nil }
