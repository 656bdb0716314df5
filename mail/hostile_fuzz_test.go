package mail

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// imapScriptConn returns the client end of a pipe whose server sends
// script, then hangs up; what the client writes is discarded.
func imapScriptConn(script []byte) net.Conn {
	cli, srv := net.Pipe()
	go io.Copy(io.Discard, srv)
	go func() {
		srv.Write(script)
		srv.Close()
	}()
	return cli
}

// imapFuzzLogin is what a server sends up to a successful LOGIN (tag T1).
const imapFuzzLogin = "* OK [CAPABILITY IMAP4rev1] fuzz\r\nT1 OK [CAPABILITY IMAP4rev1] in\r\n"

// FuzzIMAPResponse feeds arbitrary server responses, through the guard, to
// imapclient after a login: Select, Fetch, FetchStructure and Folders must
// return (no panic, no hang) with *Error values.
func FuzzIMAPResponse(f *testing.F) {
	f.Add([]byte("* 1 EXISTS\r\nT2 OK [READ-WRITE] done\r\n* 1 FETCH (UID 1 BODY[] {5}\r\nhello)\r\nT3 OK done\r\n"))
	f.Add([]byte("* 1 EXISTS\r\nT2 OK done\r\n* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1) \"mixed\"))\r\nT3 OK done\r\n"))
	f.Add([]byte("* 1 EXISTS\r\nT2 OK done\r\n* 1 FETCH (BODYSTRUCTURE " + strings.Repeat("(", 300) + "\r\n"))
	f.Add([]byte("* LIST () \"/\" {5}\r\nINBOX\r\nT2 OK done\r\n"))
	f.Add([]byte("* STATUS INBOX (MESSAGES 1 UNSEEN x)\r\nT2 OK done\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		script := append([]byte(imapFuzzLogin), data...)
		tr := &Transport{Config: DefaultConfig(), Dial: func(context.Context, Protocol, Endpoint) (net.Conn, error) {
			return imapScriptConn(script), nil
		}}
		c, err := DialIMAP(context.Background(), tr, IMAPOptions{Endpoint: Endpoint{Host: "fuzz.invalid"}, Timeout: 2 * time.Second}, "u", "p")
		fuzzIsError(t, "DialIMAP", err)
		if err != nil {
			return
		}
		defer c.Close()
		_, err = c.Select("INBOX")
		fuzzIsError(t, "Select", err)
		_, err = c.Fetch(1, false)
		fuzzIsError(t, "Fetch", err)
		_, err = c.FetchStructure(1, false)
		fuzzIsError(t, "FetchStructure", err)
		_, err = c.Folders(false)
		fuzzIsError(t, "Folders", err)
	})
}

// FuzzIMAPGuard: the guard never panics, and accepts what it accepted when
// the same bytes come in other chunks.
func FuzzIMAPGuard(f *testing.F) {
	f.Add([]byte("* 1 FETCH (BODY[] {3}\r\n(((\r\n)\r\n"), 2)
	f.Add([]byte("* LIST () \"/\" {70000}\r\n"), 5)
	f.Add([]byte("* OK \"((((\\\"\" ((x))\r\n"), 1)
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		var whole imapGuard
		errWhole := whole.scan(data)
		var parts imapGuard
		var errParts error
		if split <= 0 {
			split = 1
		}
		for rest := data; len(rest) > 0 && errParts == nil; {
			n := min(split, len(rest))
			errParts = parts.scan(rest[:n])
			rest = rest[n:]
		}
		if (errWhole == nil) != (errParts == nil) {
			t.Fatalf("whole: %v, in chunks of %d: %v", errWhole, split, errParts)
		}
	})
}

// FuzzParseAddressList: no panic; an accepted list gives addresses without
// control characters whose envelope form is an RFC 5321 mailbox.
func FuzzParseAddressList(f *testing.F) {
	for _, s := range []string{
		`"victim@evil.com"@y.com`, `"@evil.com:victim"@y.com`, `"a b"@y.com`, `<a@b> <evil@x.com>`,
		"a@b\r\nRCPT TO:<x@y>", `João <j@x.com.br>; "Silva, A" <a@b>, c@d (Comment)`, "a@x.com;\r\n b@y.com",
		`=?utf-8?q?Jo=C3=A3o?= <j@x>`, `Fulano (TI) <f@x>`, `"\"q\\\\"@x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addrs, err := ParseAddressList(s)
		if err != nil {
			if CodeOf(err) != ErrInvalidArgument {
				t.Fatalf("code %v for %q", CodeOf(err), s)
			}
			return
		}
		for _, a := range addrs {
			if strings.ContainsAny(a.Address, "\r\n\x00") {
				t.Fatalf("address %q from %q", a.Address, s)
			}
			env, err := EnvelopeAddress(a.Address)
			if err != nil {
				continue
			}
			if !smtpMailbox(env) {
				t.Fatalf("envelope %q (from %q) is not a mailbox", env, a.Address)
			}
		}
	})
}

// FuzzDecodeHeader: header decoding (IMAP header blocks and MIME values)
// never panics and yields valid UTF-8 without line breaks.
func FuzzDecodeHeader(f *testing.F) {
	f.Add([]byte("Subject: =?windows-1252?Q?=93x=94?=\r\n fold\r\nFrom: a@b\r\n\r\n"))
	f.Add([]byte("Subject: =?utf-8?B?w6k=?= \xe9\r\n\tx\r\n"))
	f.Add([]byte("X: =?iso-2022-jp?B?GyRCJEgbKEI=?=\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, h := range imapParseHeader(raw) {
			if !utf8.ValidString(h.Value) {
				t.Fatalf("invalid UTF-8 in %q: %q", h.Name, h.Value)
			}
		}
		v := decodeHeaderValue(string(raw))
		if !utf8.ValidString(v) {
			t.Fatalf("decodeHeaderValue(%q) = %q", raw, v)
		}
	})
}

// fuzzIsError fails t when err is not nil and not an *Error.
func fuzzIsError(t *testing.T, what string, err error) {
	t.Helper()
	var e *Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("%s: %v (%T) is not an *Error", what, err, err)
	}
}
