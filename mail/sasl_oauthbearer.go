package mail

// OAUTHBEARER (RFC 7628), the standardised way to present an OAuth 2.0
// bearer token over SASL, beside Google's and Microsoft's older XOAUTH2.
//
// Preference: when the server offers both, OAUTHBEARER is used. It is the
// IETF standard (XOAUTH2 is a vendor mechanism that predates it), its
// message is a GS2 header (RFC 5801) whose authorization identity is escaped
// so that a user name cannot break the message apart, and its failure
// exchange is specified (a JSON error challenge answered with %x01, then
// the server's refusal), so every server ends a refused attempt the same
// way. Servers that know only XOAUTH2 (older Exchange Online endpoints)
// still get XOAUTH2; [Mail] AuthOAuthBearer=0 or AuthXOAuth2=0 turns either
// off.
//
// The client is hand-written rather than go-sasl's NewOAuthBearerClient:
// go-sasl answers the error challenge with a client-side error, which makes
// go-smtp and go-imap cancel the exchange with "*" instead of sending the
// %x01 response RFC 7628 section 3.2.3 requires, and it does not escape ","
// and "=" in the authorization identity.

import "strings"

// saslOAuthPreference lists the token mechanisms, preferred first.
var saslOAuthPreference = []string{MechOAuthBearer, MechXOAuth2}

// saslOAuthBearerClient is OAUTHBEARER. On failure the server sends a JSON
// error as a challenge; the client answers %x01 to get the final refusal.
// Detail keeps that JSON.
type saslOAuthBearerClient struct {
	user, token string
	Detail      string
}

// gs2Name escapes a SASL name for a GS2 header (RFC 5801: "=" as "=3D",
// "," as "=2C").
func gs2Name(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

func (a *saslOAuthBearerClient) Start() (string, []byte, error) {
	msg := "n,a=" + gs2Name(a.user) + ",\x01auth=Bearer " + a.token + "\x01\x01"
	return MechOAuthBearer, []byte(msg), nil
}

func (a *saslOAuthBearerClient) Next(challenge []byte) ([]byte, error) {
	if a.Detail != "" {
		return nil, &saslError{MechOAuthBearer, "unexpected second challenge"}
	}
	a.Detail = string(challenge)
	if a.Detail == "" {
		a.Detail = "(empty error challenge)"
	}
	return []byte{0x01}, nil
}

// saslDetail returns the error a token mechanism's server sent as a
// challenge ("" for other mechanisms or when none was sent), prefixed with
// the mechanism name.
func saslDetail(c any) string {
	switch x := c.(type) {
	case *saslXOAuth2Client:
		if x.Detail != "" {
			return "XOAUTH2 error: " + x.Detail
		}
	case *saslOAuthBearerClient:
		if x.Detail != "" {
			return "OAUTHBEARER error: " + x.Detail
		}
	}
	return ""
}
