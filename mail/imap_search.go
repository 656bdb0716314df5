package mail

import (
	"errors"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Search runs SEARCH (UID SEARCH when uid) on the selected folder (INBOX
// when none) and returns the matching sequence numbers or UIDs, ascending
// and without duplicates; an empty slice when nothing matches.
//
// It is one command: with RETURN (ALL) (ESEARCH, RFC 4731) when the server
// offers ESEARCH or IMAP4rev2, so that the answer is a compact set, plain
// SEARCH otherwise. Strings that are not ASCII go out as literals with
// CHARSET UTF-8 (go-imap adds it except on IMAP4rev2 servers, whose
// default is UTF-8). RECENT, NEW and OLD cost one more command first, a
// UID FETCH of the flags, because go-imap cannot send the obsolete \Recent
// as a search key: the recent messages are then named by UID.
func (c *IMAPClient) Search(criteria *imap.SearchCriteria, uid bool) ([]uint32, error) {
	const op = "imap search"
	if criteria == nil {
		return nil, NewError(ErrInvalidArgument, op, "", errors.New("no criteria"))
	}
	var out []uint32
	err := c.do(op, func() error {
		if err := c.ensureSelected(); err != nil {
			return err
		}
		crit := criteria
		if searchHasRecent(criteria) {
			recent, err := c.recentUIDs()
			if err != nil {
				return err
			}
			crit = searchReplaceRecent(criteria, recent)
		}
		var opts *imap.SearchOptions
		if c.caps.Has(imap.CapESearch) || c.caps.Has(imap.CapIMAP4rev2) {
			opts = &imap.SearchOptions{ReturnAll: true}
		}
		var cmd *imapclient.SearchCommand
		if uid {
			cmd = c.client.UIDSearch(crit, opts)
		} else {
			cmd = c.client.Search(crit, opts)
		}
		data, err := cmd.Wait()
		if err != nil {
			return imapStatusErr(op, err, ErrCommandFailed)
		}
		out = searchNums(data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// searchNums returns the numbers of a SEARCH/ESEARCH answer, sorted and
// unique. A set with * (a server bug) yields nothing rather than a panic.
func searchNums(data *imap.SearchData) []uint32 {
	out := []uint32{}
	switch all := data.All.(type) {
	case imap.SeqSet:
		if nums, ok := all.Nums(); ok {
			out = append(out, nums...)
		}
	case imap.UIDSet:
		if uids, ok := all.Nums(); ok {
			for _, u := range uids {
				out = append(out, uint32(u))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// recentUIDs returns the UIDs of the messages flagged \Recent.
func (c *IMAPClient) recentUIDs() (imap.UIDSet, error) {
	var set imap.UIDSet
	msgs, err := c.client.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		return nil, imapStatusErr("imap search (recent messages)", err, ErrCommandFailed)
	}
	for _, m := range msgs {
		for _, f := range m.Flags {
			if isRecent(f) && m.UID != 0 {
				set.AddNum(m.UID)
			}
		}
	}
	return set, nil
}

func isRecent(f imap.Flag) bool { return strings.EqualFold(string(f), string(flagRecent)) }

// searchHasRecent reports whether \Recent appears anywhere in c.
func searchHasRecent(c *imap.SearchCriteria) bool {
	if slices.ContainsFunc(c.Flag, isRecent) || slices.ContainsFunc(c.NotFlag, isRecent) {
		return true
	}
	for i := range c.Not {
		if searchHasRecent(&c.Not[i]) {
			return true
		}
	}
	for i := range c.Or {
		if searchHasRecent(&c.Or[i][0]) || searchHasRecent(&c.Or[i][1]) {
			return true
		}
	}
	return false
}

// searchReplaceRecent returns a copy of c where \Recent is the UID set of
// the recent messages (c is not changed).
func searchReplaceRecent(c *imap.SearchCriteria, recent imap.UIDSet) *imap.SearchCriteria {
	out := *c
	out.Flag = slices.DeleteFunc(slices.Clone(c.Flag), isRecent)
	out.NotFlag = slices.DeleteFunc(slices.Clone(c.NotFlag), isRecent)
	out.UID = slices.Clone(c.UID)
	out.Not = make([]imap.SearchCriteria, 0, len(c.Not)+1)
	for i := range c.Not {
		out.Not = append(out.Not, *searchReplaceRecent(&c.Not[i], recent))
	}
	out.Or = make([][2]imap.SearchCriteria, 0, len(c.Or))
	for i := range c.Or {
		out.Or = append(out.Or, [2]imap.SearchCriteria{
			*searchReplaceRecent(&c.Or[i][0], recent),
			*searchReplaceRecent(&c.Or[i][1], recent),
		})
	}
	if slices.ContainsFunc(c.Flag, isRecent) {
		if len(recent) == 0 {
			out.Not = append(out.Not, imap.SearchCriteria{}) // NOT ALL: nothing
		} else {
			out.UID = append(out.UID, recent)
		}
	}
	if slices.ContainsFunc(c.NotFlag, isRecent) && len(recent) > 0 {
		out.Not = append(out.Not, imap.SearchCriteria{UID: []imap.UIDSet{recent}})
	}
	out.Flag, out.NotFlag, out.UID = orNil(out.Flag), orNil(out.NotFlag), orNil(out.UID)
	out.Not, out.Or = orNil(out.Not), orNil(out.Or)
	return &out
}

// orNil returns nil for an empty slice.
func orNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
