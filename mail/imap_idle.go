package mail

// Waiting for new mail (TMailManager:WaitNewMsgs): IDLE (RFC 2177) when the
// server offers it, NOOP polling otherwise. Either way the new messages are
// seen through the EXISTS responses that imapclient hands to the
// unilateral-data hook installed by dialIMAP (imapWatch below).

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Intervals of WaitNew (variables so that the tests can shorten them).
var (
	// imapIdleReissue is how long one IDLE command runs before WaitNew
	// ends it (DONE) and starts another. RFC 2177 lets a server log out a
	// client idle for 30 minutes and asks clients to re-issue IDLE at least
	// every 29; 25 minutes leaves a margin for slow links and clock drift.
	// (imapclient's own restart, at 28 minutes, therefore never runs.)
	imapIdleReissue = 25 * time.Minute
	// imapPollInterval is the pause between two NOOPs when the server does
	// not offer IDLE: short enough to react within seconds, long enough not
	// to load a shared server (a NOOP costs one round trip).
	imapPollInterval = 15 * time.Second
)

// imapWatch counts the changes of the selected folder's size that the
// server announces (EXISTS, EXPUNGE). Its handlers run on imapclient's
// reader goroutine and never block.
type imapWatch struct {
	changed  chan struct{} // buffered (1): the size changed since the last receive
	expunged atomic.Int64  // EXPUNGE responses seen since the session opened
}

// unilateralHandler returns the hook dialIMAP gives imapclient.
func (c *IMAPClient) unilateralHandler() *imapclient.UnilateralDataHandler {
	c.watch.changed = make(chan struct{}, 1)
	return &imapclient.UnilateralDataHandler{
		Mailbox: func(data *imapclient.UnilateralDataMailbox) {
			if data.NumMessages != nil {
				c.watch.notify()
			}
		},
		Expunge: func(uint32) {
			c.watch.expunged.Add(1)
			c.watch.notify()
		},
	}
}

func (w *imapWatch) notify() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// imapWaitState is the starting point of one WaitNew.
type imapWaitState struct {
	c        *IMAPClient
	base     uint32 // folder size at the start
	expunged int64  // w.expunged at the start
}

// arrived is how many messages arrived since the start: the growth of the
// folder, the messages expunged meanwhile put back.
func (s imapWaitState) arrived() int {
	now := int64(s.c.numMessages()) + s.c.watch.expunged.Load() - s.expunged
	if n := now - int64(s.base); n > 0 {
		return int(n)
	}
	return 0
}

// WaitNew waits up to timeout for new messages in the selected folder
// (INBOX is selected first when none is) and returns how many arrived:
// as soon as the server announces one, or 0 when timeout passes. Messages
// that arrived since the session last heard from the server count as new.
//
// It uses IDLE when the server offers it (IDLE or IMAP4rev2), re-issued
// every imapIdleReissue (25 min); otherwise it polls with NOOP every
// imapPollInterval (15 s). A timeout of 0 or less checks once (NOOP).
//
// Cancelling ctx ends the wait promptly: IDLE is ended with DONE and the
// server's answer read, so the session stays usable; the error is then
// ErrCanceled. Each command of the wait (IDLE start, DONE, NOOP) is bounded
// by the session timeout like any other command; the idle period itself is
// not.
func (c *IMAPClient) WaitNew(ctx context.Context, timeout time.Duration) (int, error) {
	op := "imap wait for new messages"
	if c == nil || c.client == nil {
		return 0, NewError(ErrNoConnection, op, "", errors.New("not connected"))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return 0, NewError(ErrCanceled, op, "", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usable(op); err != nil {
		return 0, err
	}
	if err := c.armed(op, c.ensureSelected); err != nil {
		return 0, err
	}
	op = fmt.Sprintf("imap wait in %q", c.Folder())
	select { // forget the changes already known
	case <-c.watch.changed:
	default:
	}
	s := imapWaitState{c: c, base: c.numMessages(), expunged: c.watch.expunged.Load()}
	deadline := time.Now().Add(timeout)
	if timeout > 0 && (c.caps.Has(imap.CapIdle) || c.caps.Has(imap.CapIMAP4rev2)) {
		return c.idleWait(ctx, op, s, deadline)
	}
	return c.pollWait(ctx, op, s, deadline)
}

// armed runs fn with the per-command watchdog armed and maps its error
// (the body of do, for a caller that already holds c.mu).
func (c *IMAPClient) armed(op string, fn func() error) error {
	c.conn.arm()
	err := fn()
	c.conn.disarm()
	if err != nil {
		return c.finish(op, err)
	}
	if c.conn.abortCause() != nil {
		return c.finish(op, errIMAPClosed)
	}
	return nil
}

// waitEnd is the result of a wait that got no message: ErrCanceled when ctx
// ended it, else 0 (the timeout passed).
func waitEnd(ctx context.Context, op string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, NewError(ErrCanceled, op, "", err)
	}
	return 0, nil
}

// idleWait runs IDLE until a message arrives, the deadline passes or ctx
// is done, re-issuing it every imapIdleReissue.
func (c *IMAPClient) idleWait(ctx context.Context, op string, s imapWaitState, deadline time.Time) (int, error) {
	for {
		var idle *imapclient.IdleCommand
		err := c.armed(op+" (IDLE)", func() error {
			var err error
			idle, err = c.client.Idle()
			return err
		})
		if err != nil {
			return s.arrived(), err
		}
		c.idleUntil(ctx, s, deadline)
		err = c.armed(op+" (DONE)", func() error {
			if err := idle.Close(); err != nil {
				return err
			}
			return idle.Wait()
		})
		if err != nil {
			return s.arrived(), err
		}
		if n := s.arrived(); n > 0 {
			return n, nil
		}
		if ctx.Err() != nil || !time.Now().Before(deadline) {
			return waitEnd(ctx, op)
		}
	}
}

// idleUntil blocks while IDLE runs: until a message arrives, the deadline
// or the re-issue time passes, ctx is done or the connection is lost.
func (c *IMAPClient) idleUntil(ctx context.Context, s imapWaitState, deadline time.Time) {
	timer := time.NewTimer(min(time.Until(deadline), imapIdleReissue))
	defer timer.Stop()
	for {
		select {
		case <-c.watch.changed:
			if s.arrived() > 0 {
				return
			}
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		case <-c.client.Closed():
			return
		}
	}
}

// pollWait sends NOOP every imapPollInterval (and once more at the
// deadline) until a message arrives, the deadline passes or ctx is done.
func (c *IMAPClient) pollWait(ctx context.Context, op string, s imapWaitState, deadline time.Time) (int, error) {
	for {
		if err := c.armed(op+" (NOOP)", func() error { return c.client.Noop().Wait() }); err != nil {
			return s.arrived(), err
		}
		if n := s.arrived(); n > 0 {
			return n, nil
		}
		left := time.Until(deadline)
		if ctx.Err() != nil || left <= 0 {
			return waitEnd(ctx, op)
		}
		timer := time.NewTimer(min(left, imapPollInterval))
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return waitEnd(ctx, op)
		}
	}
}
