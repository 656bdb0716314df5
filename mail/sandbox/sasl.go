package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
)

// saslMechanisms are the mechanisms the sandbox SMTP and IMAP servers offer.
// Every one accepts any credentials: only the user name matters.
var saslMechanisms = []string{"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"}

var errSASLMalformed = errors.New("malformed SASL response")

// newSASLServer returns a server for mech that calls login with the user
// name once the exchange is complete, or nil for an unknown mechanism.
func newSASLServer(mech string, login func(user string) error) sasl.Server {
	switch strings.ToUpper(mech) {
	case "PLAIN":
		return sasl.NewPlainServer(func(identity, user, _ string) error {
			if user == "" {
				user = identity
			}
			return login(user)
		})
	case "LOGIN":
		return &loginServer{login: login}
	case "CRAM-MD5":
		return &cramServer{login: login}
	case "XOAUTH2":
		return &xoauth2Server{login: login}
	}
	return nil
}

// loginServer is the LOGIN mechanism (draft-murchison-sasl-login). A client
// may send the user name as initial response.
type loginServer struct {
	login func(string) error
	step  int
	user  string
}

func (s *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch s.step {
	case 0:
		s.step = 1
		if len(resp) == 0 {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		s.user = string(resp)
		s.step = 2
		return []byte("Password:"), false, nil
	case 2:
		s.step = 3
		return nil, true, s.login(s.user)
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}

// cramServer is CRAM-MD5 (RFC 2195). The digest is not checked: any
// password is accepted.
type cramServer struct {
	login func(string) error
	sent  bool
}

func (s *cramServer) Next(resp []byte) ([]byte, bool, error) {
	if !s.sent {
		if len(resp) != 0 {
			return nil, false, sasl.ErrUnexpectedClientResponse
		}
		s.sent = true
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, false, fmt.Errorf("CRAM-MD5 challenge: %w", err)
		}
		return fmt.Appendf(nil, "<%s.%d@advmail.sandbox>", hex.EncodeToString(b[:]), time.Now().Unix()), false, nil
	}
	i := bytes.LastIndexByte(resp, ' ')
	if i <= 0 {
		return nil, false, errSASLMalformed
	}
	return nil, true, s.login(string(resp[:i]))
}

// xoauth2Server is Google/Microsoft XOAUTH2: the initial response is
// "user=<user>\x01auth=Bearer <token>\x01\x01". Any token is accepted.
type xoauth2Server struct {
	login func(string) error
	asked bool
}

func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if len(resp) == 0 && !s.asked {
		s.asked = true
		return nil, false, nil
	}
	var user, auth string
	for _, f := range strings.Split(string(resp), "\x01") {
		switch {
		case strings.HasPrefix(f, "user="):
			user = strings.TrimPrefix(f, "user=")
		case strings.HasPrefix(f, "auth="):
			auth = strings.TrimPrefix(f, "auth=")
		}
	}
	if user == "" || !strings.HasPrefix(strings.ToLower(auth), "bearer ") {
		return nil, false, errSASLMalformed
	}
	return nil, true, s.login(user)
}
