package bindings

// WaitNewMsgs, the advmail extension that waits for new mail in the
// selected IMAP folder (IDLE, or NOOP polling; see mail.IMAPClient.WaitNew).
// The wait is interrupted by the script's context: the embedding's cancel,
// Ctrl-C in `advmail run` and in the REPL.

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/advmail/advmail/mail"
)

// maxWaitSeconds bounds nSeconds (longer waits are cut to it): a week.
const maxWaitSeconds = 7 * 24 * 3600

const waitDoc = "advmail extension: waits up to nSeconds for new messages in the selected IMAP folder and answers as soon as " +
	"the server announces one (IMAP IDLE when the server offers it, re-issued every 25 minutes; otherwise a NOOP every " +
	"15 seconds). Messages that arrived since the session last talked to the server count as new. nSeconds 0 checks " +
	"once; more than a week is cut to a week. The script's cancellation (the host's cancel, Ctrl-C) ends the wait at " +
	"once and leaves the session usable."

// waitNewMsgsMember is TMailManager:WaitNewMsgs.
var waitNewMsgsMember = Member{Name: "WaitNewMsgs",
	Params: params(req("nSeconds", TypeNum, "how long to wait, in seconds (fractions allowed)")),
	Returns: rets(ret("nNew", TypeNum,
		"messages that arrived (0 when nSeconds passed without mail); -1 on failure: GetErrorString() explains "+
			"(wrong protocol over POP3, no connection, timeout, cancelled)")),
	Doc: waitDoc + " IMAP only: -1 over POP3 (GetErrorString: this needs IMAP)."}

// mngWaitNewMsgsMember is TMailMng:WaitNewMsgs.
var mngWaitNewMsgsMember = Member{Name: "WaitNewMsgs",
	Params: params(
		req("nSeconds", TypeNum, "how long to wait, in whole seconds (TMailMng numbers are whole)"),
		ref("nNew", TypeNum, "by reference: receives the number of messages that arrived (0 on timeout)")),
	Returns: rets(ret("nErr", TypeNum, "0 = success (also on timeout), else an error code for GetErrorString"),
		ret("nNew", TypeNum, "messages that arrived")),
	Doc: waitDoc + " nErr, nNew = oMng:WaitNewMsgs(nSeconds, nNew). IMAP only: error 28 over POP3, 6 without a session."}

// waitDuration reads argument n as a number of seconds.
func waitDuration(c *Call, n int) time.Duration {
	s := c.Num(n)
	if math.IsNaN(s) {
		c.Errorf("argument #%d must be a number of seconds, got NaN", n)
	}
	s = max(0, min(s, maxWaitSeconds))
	return time.Duration(s * float64(time.Second))
}

// waitNew runs the wait on cl, recording a failure.
//
// While it waits, the engine's registration of the session (Engine.Track,
// which Engine.CloseAll uses to abort blocked operations) is swapped for
// one that ends the wait instead: the wait listens to the script's context
// itself and ends IDLE cleanly, so that a cancelled statement (Ctrl-C in
// the REPL) leaves the session usable. When CloseAll comes without the
// script's context being cancelled (a host tearing the runtime down), the
// session is closed afterwards as CloseAll asked.
func (m *manager) waitNew(c *Call, cl *mail.IMAPClient, d time.Duration) (int, error) {
	ctx, cancel := context.WithCancel(c.Ctx())
	defer cancel()
	var closeAll atomic.Bool
	untrackWait := m.e.Track(&waitCloser{func() {
		closeAll.Store(true)
		cancel()
	}})
	if m.recvUntrack != nil {
		m.recvUntrack()
	}
	n, err := cl.WaitNew(ctx, d)
	untrackWait()
	m.recvUntrack = m.e.Track(cl)
	if closeAll.Load() && c.Ctx().Err() == nil {
		cl.Close()
	}
	if err != nil {
		m.record(err)
	}
	return n, err
}

// waitCloser is the io.Closer registered during a wait (a pointer: the
// engine keys its registry by closer).
type waitCloser struct{ end func() }

func (w *waitCloser) Close() error { w.end(); return nil }

// luaWaitNewMsgs is TMailManager:WaitNewMsgs(nSeconds) → nNew or -1.
func (m *manager) luaWaitNewMsgs(c *Call) int {
	d := waitDuration(c, 1)
	cl, ok := m.needIMAP("imap wait for new messages")
	if !ok {
		return c.Push(lua.LNumber(-1))
	}
	n, err := m.waitNew(c, cl, d)
	if err != nil {
		return c.Push(lua.LNumber(-1))
	}
	return c.Push(lua.LNumber(n))
}

// luaWaitNewMsgs is TMailMng:WaitNewMsgs(nSeconds, @nNew) → nErr, nNew.
func (g *mng) luaWaitNewMsgs(c *Call) int {
	const op = "imap wait for new messages"
	d := waitDuration(c, 1)
	if g.imap == nil {
		return c.Push(lua.LNumber(g.noRecv(op, true)), lua.LNumber(0))
	}
	g.syncRecv()
	n, err := g.waitNew(c, g.imap, d)
	if err != nil {
		code := mail.ErrCommandFailed
		var e *mail.Error
		if errors.As(err, &e) && e.Code != 0 {
			code = e.Code
		}
		return c.Push(lua.LNumber(int(code)), lua.LNumber(n))
	}
	return c.Push(lua.LNumber(0), lua.LNumber(n))
}
