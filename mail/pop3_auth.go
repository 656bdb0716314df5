package mail

// POP3 SASL mechanisms beyond PLAIN and LOGIN: CRAM-MD5 and the OAuth2
// token mechanisms (OAUTHBEARER, XOAUTH2). The POP3 AUTH exchange itself
// (RFC 5034) is POP3Client.sasl; the CRAM-MD5 answer is the hand-written
// RFC 2195 computation shared with SMTP and IMAP (saslCRAMMD5Client).
//
// Choice, as for SMTP and IMAP (sasl.go): an "oauth2:" password uses
// OAUTHBEARER, else XOAUTH2 (saslOAuthPreference), among those the server
// lists in CAPA SASL and [Mail] allows (AuthOAuthBearer, AuthXOAuth2); any
// other password uses CRAM-MD5 when offered and AuthCramMD5 allows it,
// then PLAIN, LOGIN, APOP and USER/PASS as before.

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// authCRAMMD5 runs AUTH CRAM-MD5 (RFC 2195 over RFC 5034): the server's
// one challenge is answered "user hex(HMAC-MD5(password, challenge))", so
// the password never travels.
func (c *POP3Client) authCRAMMD5(user, pass string) error {
	sc := &saslCRAMMD5Client{user: user, pass: pass}
	return c.sasl(MechCRAMMD5, nil, func(_ int, challenge []byte) ([]byte, error) {
		return sc.Next(challenge)
	})
}

// authOAuth authenticates with an OAuth2 access token (token "" asks
// Transport.Token) by the preferred token mechanism the server offers and
// [Mail] allows.
func (c *POP3Client) authOAuth(op string, cfg *Config, user, token string) error {
	var mech string
	for _, m := range saslOAuthPreference {
		if c.hasSASL(m) && saslAllowed(cfg, m) {
			mech = m
			break
		}
	}
	if mech == "" {
		return NewError(ErrNoAuthMechanism, op, "", fmt.Errorf(
			"the password is an OAuth2 token (oauth2:), which needs OAUTHBEARER or XOAUTH2 offered by the server and allowed by [Mail] AuthOAuthBearer/AuthXOAuth2 (SASL: %s)",
			strings.Join(c.caps["SASL"], " ")))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(c.dc.timeout.Load()))
	tok, err := saslToken(ctx, c.t, op+" "+mech, user, token)
	cancel()
	if err != nil {
		return err
	}
	if err := CheckLine("OAuth2 token", tok); err != nil {
		return err
	}
	if mech == MechXOAuth2 {
		err = c.authXOAuth2(user, tok)
	} else {
		err = c.authOAuthBearer(user, tok)
	}
	return redactAuthError(err, tok)
}

// authOAuthBearer runs AUTH OAUTHBEARER (RFC 7628). A refused token gets
// a JSON error challenge, answered %x01 as the RFC requires; the server's
// -ERR follows and the JSON is kept as the error's detail.
func (c *POP3Client) authOAuthBearer(user, token string) error {
	sc := &saslOAuthBearerClient{user: user, token: token}
	_, ir, _ := sc.Start()
	err := c.sasl(MechOAuthBearer, ir, func(_ int, challenge []byte) ([]byte, error) {
		return sc.Next(challenge)
	})
	if e, ok := err.(*Error); ok && e.Code == ErrAuthFailed && e.Err == nil && sc.Detail != "" {
		e.Err = fmt.Errorf("server said: %s", clip(sc.Detail))
	}
	return err
}
