package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// dialSubmission connects to the submission port, STARTTLS, AUTH PLAIN.
func dialSubmission(e *env) (*smtp.Client, error) {
	addr, err := e.addr("submission")
	if err != nil {
		return nil, err
	}
	c, err := smtp.DialStartTLS(addr, e.tls)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if err := c.Hello("client.lab.test"); err != nil {
		c.Close()
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", e.user.Login, e.user.Password)); err != nil {
		c.Close()
		return nil, fmt.Errorf("AUTH: %w", err)
	}
	return c, nil
}

// textMessage builds a plain text message with a body of size bytes.
func textMessage(from, to, subject string, size int) ([]byte, error) {
	var b bytes.Buffer
	var h mail.Header
	h.SetDate(time.Now())
	h.SetAddressList("From", []*mail.Address{{Address: from}})
	h.SetAddressList("To", []*mail.Address{{Address: to}})
	h.SetSubject(subject)
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	w, err := mail.CreateSingleInlineWriter(&b, h)
	if err != nil {
		return nil, err
	}
	line := strings.Repeat("relatorio de vendas ", 4)[:75] + "\r\n"
	for n := 0; n < size; n += len(line) {
		io.WriteString(w, line)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// cmdSend sends n messages of size bytes to the user over one session.
func cmdSend(args []string) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	mkEnv := commonFlags(fs)
	n := fs.Int("n", 300, "messages")
	size := fs.Int("size", 20<<10, "body size in bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := mkEnv()
	if err != nil {
		return err
	}
	c, err := dialSubmission(e)
	if err != nil {
		return err
	}
	defer c.Close()
	for i := 1; i <= *n; i++ {
		msg, err := textMessage(e.user.Address, e.user.Address, fmt.Sprintf("Relatorio %d", i), *size)
		if err != nil {
			return err
		}
		if err := c.SendMail(e.user.Address, []string{e.user.Address}, bytes.NewReader(msg)); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	return c.Quit()
}

// cmdBig sends one message with a file attached to the user, waits for it
// over POP3S, saves the attachment into -out and deletes the message;
// everything streams.
func cmdBig(args []string) error {
	fs := flag.NewFlagSet("big", flag.ContinueOnError)
	mkEnv := commonFlags(fs)
	file := fs.String("file", "", "file to attach")
	out := fs.String("out", "", "directory the received attachment is saved in")
	wait := fs.Duration("wait", 120*time.Second, "how long to wait for delivery")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || *out == "" {
		return fmt.Errorf("-file and -out are required")
	}
	e, err := mkEnv()
	if err != nil {
		return err
	}
	if err := sendFile(e, *file); err != nil {
		return err
	}
	saved, err := receiveFile(e, *out, *wait)
	if err != nil {
		return err
	}
	a, err := os.Stat(*file)
	if err != nil {
		return err
	}
	b, err := os.Stat(saved)
	if err != nil {
		return err
	}
	if a.Size() != b.Size() {
		return fmt.Errorf("saved %d bytes, sent %d", b.Size(), a.Size())
	}
	fmt.Println(b.Size(), "bytes")
	return nil
}

func sendFile(e *env, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	c, err := dialSubmission(e)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(e.user.Address, nil); err != nil {
		return fmt.Errorf("MAIL: %w", err)
	}
	if err := c.Rcpt(e.user.Address, nil); err != nil {
		return fmt.Errorf("RCPT: %w", err)
	}
	wc, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	var h mail.Header
	h.SetDate(time.Now())
	h.SetAddressList("From", []*mail.Address{{Address: e.user.Address}})
	h.SetAddressList("To", []*mail.Address{{Address: e.user.Address}})
	h.SetSubject("Big attachment")
	mw, err := mail.CreateWriter(wc, h)
	if err != nil {
		return err
	}
	var th mail.InlineHeader
	th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	tw, err := mw.CreateSingleInline(th)
	if err != nil {
		return err
	}
	io.WriteString(tw, "See the attachment.\r\n")
	if err := tw.Close(); err != nil {
		return err
	}
	var ah mail.AttachmentHeader
	ah.SetContentType("application/octet-stream", nil)
	ah.SetFilename(filepath.Base(path))
	aw, err := mw.CreateAttachment(ah)
	if err != nil {
		return err
	}
	if _, err := io.Copy(aw, f); err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	if err := aw.Close(); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	if err := wc.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	return c.Quit()
}

// receiveFile polls POP3S until a message is there, then streams its
// attachment into dir and deletes the message.
func receiveFile(e *env, dir string, wait time.Duration) (string, error) {
	deadline := time.Now().Add(wait)
	for {
		p, err := dialPOP(e, true)
		if err != nil {
			return "", err
		}
		n, err := p.login(e)
		if err != nil {
			p.conn.Close()
			return "", err
		}
		if n == 0 {
			p.quit()
			if time.Now().After(deadline) {
				return "", errNoMessage
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		var saved string
		err = p.retrDeleAll(1, func(_ int, r io.Reader) error {
			return readMessage(r, func(h message.Header, body io.Reader) error {
				ah := mail.AttachmentHeader{Header: h}
				name, _ := ah.Filename()
				if name == "" {
					_, err := io.Copy(io.Discard, body)
					return err
				}
				saved = filepath.Join(dir, filepath.Base(name))
				f, err := os.Create(saved)
				if err != nil {
					return err
				}
				if _, err := io.Copy(f, body); err != nil {
					f.Close()
					return err
				}
				return f.Close()
			})
		})
		if err != nil {
			p.conn.Close()
			return "", err
		}
		if err := p.quit(); err != nil {
			return "", fmt.Errorf("QUIT: %w", err)
		}
		if saved == "" {
			return "", fmt.Errorf("the message had no attachment")
		}
		return saved, nil
	}
}
