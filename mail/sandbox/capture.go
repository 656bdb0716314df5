package sandbox

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode every charset go-message knows
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/advmail/advmail/mail"
)

// describe returns the decoded subject and the attachment file names of a
// raw message, with the engine's parser when it can read the message and
// with go-message directly otherwise. It never fails: what cannot be read is
// left empty.
func describe(data []byte) (subject string, attachments []string) {
	if m, err := mail.Parse(bytes.NewReader(data)); err == nil && m != nil {
		for _, a := range m.Attachments {
			name := a.Name
			if name == "" {
				name = a.DispositionName
			}
			if name != "" {
				attachments = append(attachments, name)
			}
		}
		return m.Subject, attachments
	}
	return describeFallback(data)
}

// describeFallback walks the message with go-message's mail reader; when
// even that fails it returns the raw Subject header.
func describeFallback(data []byte) (subject string, attachments []string) {
	r, err := gomail.CreateReader(bytes.NewReader(data))
	if r == nil {
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return "", nil
		}
		return h.Get("Subject"), nil
	}
	defer r.Close()
	if subject, err = r.Header.Subject(); err != nil {
		subject = r.Header.Get("Subject")
	}
	for {
		p, err := r.NextPart()
		if p == nil || (err != nil && !message.IsUnknownCharset(err)) {
			break
		}
		if name := partName(p); name != "" {
			attachments = append(attachments, name)
		}
	}
	return subject, attachments
}

// partName returns the file name of a part, "" for a body part.
func partName(p *gomail.Part) string {
	var name string
	switch h := p.Header.(type) {
	case *gomail.AttachmentHeader:
		name, _ = h.Filename()
		if name == "" {
			if _, params, err := h.ContentType(); err == nil {
				name = params["name"]
			}
		}
	case *gomail.InlineHeader:
		if _, params, err := h.ContentDisposition(); err == nil {
			name = params["filename"]
		}
		if name == "" {
			if _, params, err := h.ContentType(); err == nil {
				name = params["name"]
			}
		}
	}
	return name
}

// splitRecipients sorts the envelope recipients of a message the way its
// reader sees them: those its To header names, those its Cc header names,
// and the envelope-only ones (Bcc). Addresses match in any letter case.
// When the header cannot be read every recipient counts as To.
func splitRecipients(data []byte, envelope []string) (to, cc, bcc []string) {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return append([]string(nil), envelope...), nil, nil
	}
	inTo := headerAddresses(h, "To")
	inCc := headerAddresses(h, "Cc")
	for _, rcpt := range envelope {
		key := strings.ToLower(strings.TrimSpace(rcpt))
		switch {
		case inTo[key]:
			to = append(to, rcpt)
		case inCc[key]:
			cc = append(cc, rcpt)
		default:
			bcc = append(bcc, rcpt)
		}
	}
	return to, cc, bcc
}

// headerAddresses returns the lower-case addresses of every field named
// key, parsed with go-message (which decodes RFC 2047 display names) or,
// when that fails, with the engine's more lenient list parser.
func headerAddresses(h textproto.Header, key string) map[string]bool {
	out := make(map[string]bool)
	for _, v := range h.Values(key) {
		if list, err := gomail.ParseAddressList(v); err == nil {
			for _, a := range list {
				out[strings.ToLower(a.Address)] = true
			}
			continue
		}
		list, _ := mail.ParseAddressList(v)
		for _, a := range list {
			out[strings.ToLower(a.Address)] = true
		}
	}
	return out
}
