package mail

// SASL clients and mechanism choice shared by the SMTP (and any other) client.
//
// PLAIN comes from go-sasl. The LOGIN, CRAM-MD5, XOAUTH2 and NTLM clients
// below are hand-written on purpose:
//   - go-sasl's LOGIN client sends the user name as an initial response and
//     then demands that the one challenge it gets be exactly "Password:".
//     Office 365 and other strict servers ignore (or refuse) an initial
//     response for LOGIN and ask "Username:" first; others word their
//     prompts differently ("User Name", localized text...). Ours sends no
//     initial response and answers the user name to the first challenge and
//     the password to the second, whatever their text.
//   - go-sasl has no CRAM-MD5 or XOAUTH2 client, and NTLM needs the
//     go-ntlmssp messages wrapped in a sasl.Client.
//
// Every Next below returns a non-nil response or an error: go-smtp treats a
// nil response to a 334 challenge as "done", which would report success.

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"

	ntlmssp "github.com/Azure/go-ntlmssp"
	"github.com/emersion/go-sasl"
)

// SASL mechanism names, as servers advertise them.
const (
	MechXOAuth2 = "XOAUTH2"
	// MechOAuthBearer is RFC 7628's OAUTHBEARER (sasl_oauthbearer.go).
	MechOAuthBearer = "OAUTHBEARER"
	MechCRAMMD5     = "CRAM-MD5"
	MechNTLM        = "NTLM"
	MechPlain       = "PLAIN"
	MechLogin       = "LOGIN"
)

// OAuth2Prefix marks a password that is an OAuth2 access token:
// "oauth2:<token>" authenticates with OAUTHBEARER or XOAUTH2 (saslOAuthPreference)
// using that token, and an empty token ("oauth2:") asks Transport.Token for
// a fresh one.
const OAuth2Prefix = "oauth2:"

// saslPreference lists the password mechanisms strongest first (OAUTHBEARER
// and XOAUTH2 are chosen only for oauth2: passwords, and then alone: see
// saslOAuthPreference).
var saslPreference = []string{MechCRAMMD5, MechNTLM, MechPlain, MechLogin}

// saslAllowed reports whether cfg allows mech.
func saslAllowed(cfg *Config, mech string) bool {
	switch mech {
	case MechXOAuth2:
		return cfg.AuthXOAuth2
	case MechOAuthBearer:
		return cfg.AuthOAuthBearer
	case MechCRAMMD5:
		return cfg.AuthCramMD5
	case MechNTLM:
		return cfg.AuthNTLM
	case MechPlain:
		return cfg.AuthPlain
	case MechLogin:
		return cfg.AuthLogin
	}
	return false
}

// saslMechanisms returns the mechanisms to try, strongest first: those both
// offered by the server (names in any case) and allowed by cfg. With oauth
// (an oauth2: password) only the token mechanisms qualify, in
// saslOAuthPreference order. allowed lists what cfg
// allows among the candidates, for error messages.
func saslMechanisms(cfg *Config, offered []string, oauth bool) (use, allowed []string) {
	candidates := saslPreference
	if oauth {
		candidates = saslOAuthPreference
	}
	has := make(map[string]bool, len(offered))
	for _, m := range offered {
		has[strings.ToUpper(m)] = true
	}
	for _, m := range candidates {
		if !saslAllowed(cfg, m) {
			continue
		}
		allowed = append(allowed, m)
		if has[m] {
			use = append(use, m)
		}
	}
	return use, allowed
}

// saslNoMechanism is the ErrNoAuthMechanism error naming what the server
// offers and what the configuration allows.
func saslNoMechanism(op string, offered, allowed []string, oauth bool) *Error {
	list := func(l []string) string {
		if len(l) == 0 {
			return "none"
		}
		return strings.Join(l, " ")
	}
	what := "[Mail] allows"
	if oauth {
		what = "the password is an OAuth2 token (oauth2:), which needs OAUTHBEARER or XOAUTH2; [Mail] allows"
	}
	reply := fmt.Sprintf("the server offers AUTH %s; %s %s", list(offered), what, list(allowed))
	return NewError(ErrNoAuthMechanism, op, reply, nil)
}

// saslOAuth2 reports whether pass asks for XOAUTH2 and returns the token
// written after the prefix (empty when the token source must be asked).
func saslOAuth2(pass string) (token string, ok bool) {
	if len(pass) >= len(OAuth2Prefix) && strings.EqualFold(pass[:len(OAuth2Prefix)], OAuth2Prefix) {
		return pass[len(OAuth2Prefix):], true
	}
	return "", false
}

// saslToken returns token, or a fresh one from t.Token when token is empty.
func saslToken(ctx context.Context, t *Transport, op, user, token string) (string, error) {
	if token != "" {
		return token, nil
	}
	if t == nil || t.Token == nil {
		return "", NewError(ErrInvalidArgument, op, "the password \"oauth2:\" has no token and no OAuth2 token source is configured", nil)
	}
	tok, err := t.Token(ctx, user)
	if err != nil {
		if e, ok := err.(*Error); ok {
			return "", e
		}
		return "", NewError(ErrAuthFailed, op, "could not obtain an OAuth2 access token", err)
	}
	if tok == "" {
		return "", NewError(ErrAuthFailed, op, "the OAuth2 token source returned an empty token", nil)
	}
	return tok, nil
}

// newSASLClient returns the client for mech. secret is the password, or the
// access token for XOAUTH2.
func newSASLClient(mech, user, secret string) (sasl.Client, error) {
	switch strings.ToUpper(mech) {
	case MechPlain:
		return sasl.NewPlainClient("", user, secret), nil
	case MechLogin:
		return &saslLoginClient{user: user, pass: secret}, nil
	case MechCRAMMD5:
		return &saslCRAMMD5Client{user: user, pass: secret}, nil
	case MechXOAuth2:
		return &saslXOAuth2Client{user: user, token: secret}, nil
	case MechOAuthBearer:
		return &saslOAuthBearerClient{user: user, token: secret}, nil
	case MechNTLM:
		return &saslNTLMClient{user: user, pass: secret}, nil
	}
	return nil, fmt.Errorf("sasl: unsupported mechanism %q", mech)
}

// saslError is a failure of a client-side mechanism (a challenge it cannot
// answer), as opposed to a refusal by the server.
type saslError struct {
	mech string
	msg  string
}

func (e *saslError) Error() string { return "sasl " + e.mech + ": " + e.msg }

// saslLoginClient is the LOGIN mechanism, challenge-agnostic: user name to
// the first challenge, password to the second.
type saslLoginClient struct {
	user, pass string
	step       int
}

func (a *saslLoginClient) Start() (string, []byte, error) { return MechLogin, nil, nil }

func (a *saslLoginClient) Next(challenge []byte) ([]byte, error) {
	a.step++
	switch a.step {
	case 1:
		return []byte(a.user), nil
	case 2:
		return []byte(a.pass), nil
	}
	return nil, &saslError{MechLogin, "unexpected third challenge"}
}

// saslCRAMMD5Client is CRAM-MD5 (RFC 2195): "user hex(HMAC-MD5(password, challenge))".
type saslCRAMMD5Client struct {
	user, pass string
	done       bool
}

func (a *saslCRAMMD5Client) Start() (string, []byte, error) { return MechCRAMMD5, nil, nil }

func (a *saslCRAMMD5Client) Next(challenge []byte) ([]byte, error) {
	if a.done {
		return nil, &saslError{MechCRAMMD5, "unexpected second challenge"}
	}
	a.done = true
	if len(challenge) == 0 {
		return nil, &saslError{MechCRAMMD5, "empty challenge"}
	}
	mac := hmac.New(md5.New, []byte(a.pass))
	mac.Write(challenge)
	return []byte(a.user + " " + hex.EncodeToString(mac.Sum(nil))), nil
}

// saslXOAuth2Client is Google's and Microsoft's XOAUTH2. On failure the
// server sends a JSON error as a challenge; the client answers with an empty
// response to get the final error reply. Detail keeps that JSON.
type saslXOAuth2Client struct {
	user, token string
	Detail      string
}

func (a *saslXOAuth2Client) Start() (string, []byte, error) {
	return MechXOAuth2, []byte("user=" + a.user + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}

func (a *saslXOAuth2Client) Next(challenge []byte) ([]byte, error) {
	if a.Detail != "" {
		return nil, &saslError{MechXOAuth2, "unexpected second challenge"}
	}
	a.Detail = string(challenge)
	if a.Detail == "" {
		a.Detail = "(empty error challenge)"
	}
	return []byte{}, nil
}

// saslNTLMClient is NTLM (MS-NLMP via go-ntlmssp): NEGOTIATE as the initial
// response, AUTHENTICATE in answer to the CHALLENGE. The user name may be
// "user@domain" or "DOMAIN\user".
type saslNTLMClient struct {
	user, pass string
	resent     bool // NEGOTIATE sent again after an empty challenge
	done       bool
}

func (a *saslNTLMClient) Start() (string, []byte, error) {
	neg, err := ntlmssp.NewNegotiateMessage("", "")
	if err != nil {
		return "", nil, &saslError{MechNTLM, err.Error()}
	}
	return MechNTLM, neg, nil
}

func (a *saslNTLMClient) Next(challenge []byte) ([]byte, error) {
	if a.done {
		return nil, &saslError{MechNTLM, "unexpected second challenge"}
	}
	if len(challenge) == 0 && !a.resent {
		// A server that ignored the initial response asks for it again.
		a.resent = true
		_, neg, err := a.Start()
		return neg, err
	}
	a.done = true
	msg, err := ntlmssp.NewAuthenticateMessage(challenge, a.user, a.pass, nil)
	if err != nil {
		return nil, &saslError{MechNTLM, err.Error()}
	}
	return msg, nil
}
