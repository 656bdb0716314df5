package mail

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// errTestBadCredentials is what the test servers answer to wrong credentials.
var errTestBadCredentials = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}

// testLoginServer is a LOGIN server that asks with the given prompts and
// refuses an initial response, like strict servers do.
type testLoginServer struct {
	prompts    [2]string
	user, pass string
	step       int
	gotUser    string
}

func (s *testLoginServer) Next(resp []byte) ([]byte, bool, error) {
	s.step++
	switch s.step {
	case 1:
		if resp != nil {
			return nil, false, &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 4}, Message: "no initial response with LOGIN"}
		}
		return []byte(s.prompts[0]), false, nil
	case 2:
		s.gotUser = string(resp)
		return []byte(s.prompts[1]), false, nil
	case 3:
		if s.gotUser != s.user || string(resp) != s.pass {
			return nil, false, errTestBadCredentials
		}
		return nil, true, nil
	}
	return nil, false, errors.New("LOGIN: too many steps")
}

// testCRAMMD5Server verifies a CRAM-MD5 answer against the password.
type testCRAMMD5Server struct {
	user, pass string
	challenge  string
	sent       bool
}

func (s *testCRAMMD5Server) Next(resp []byte) ([]byte, bool, error) {
	if !s.sent {
		s.sent = true
		s.challenge = "<1896.697170952@postoffice.example.net>"
		return []byte(s.challenge), false, nil
	}
	user, digest, ok := strings.Cut(string(resp), " ")
	mac := hmac.New(md5.New, []byte(s.pass))
	mac.Write([]byte(s.challenge))
	if !ok || user != s.user || digest != hex.EncodeToString(mac.Sum(nil)) {
		return nil, false, errTestBadCredentials
	}
	return nil, true, nil
}

// testXOAuth2Server checks the XOAUTH2 initial response; on a bad token it
// sends the JSON error challenge, then fails on the client's empty answer.
type testXOAuth2Server struct {
	user, token string
	failed      bool
}

func (s *testXOAuth2Server) Next(resp []byte) ([]byte, bool, error) {
	if s.failed {
		if len(resp) != 0 {
			return nil, false, errors.New("XOAUTH2: expected an empty response after the error challenge")
		}
		return nil, false, errTestBadCredentials
	}
	want := "user=" + s.user + "\x01auth=Bearer " + s.token + "\x01\x01"
	if string(resp) == want {
		return nil, true, nil
	}
	s.failed = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.example.com/"}`), false, nil
}

// testNTLMServer answers NEGOTIATE with a CHALLENGE and decodes the
// AUTHENTICATE message, accepting it when user and domain match.
type testNTLMServer struct {
	user, domain        string
	gotUser, gotDomain  string
	negotiated, checked bool
}

func (s *testNTLMServer) Next(resp []byte) ([]byte, bool, error) {
	if !s.negotiated {
		if len(resp) < 12 || !bytes.HasPrefix(resp, []byte("NTLMSSP\x00")) || binary.LittleEndian.Uint32(resp[8:]) != 1 {
			return nil, false, fmt.Errorf("NTLM: expected a NEGOTIATE message, got %q", resp)
		}
		s.negotiated = true
		return testNTLMChallenge(), false, nil
	}
	user, domain, err := testNTLMParseAuthenticate(resp)
	if err != nil {
		return nil, false, err
	}
	s.gotUser, s.gotDomain, s.checked = user, domain, true
	if user != s.user || domain != s.domain {
		return nil, false, errTestBadCredentials
	}
	return nil, true, nil
}

// testNTLMChallenge builds an NTLM CHALLENGE (type 2) message for domain
// EXAMPLE with target info.
func testNTLMChallenge() []byte {
	const (
		flagUnicode    = 1 << 0
		flagReqTarget  = 1 << 2
		flagNTLM       = 1 << 9
		flagAlwaysSign = 1 << 15
		flagExtSec     = 1 << 19
		flagTargetInfo = 1 << 23
	)
	target := testUTF16("EXAMPLE")
	var info bytes.Buffer
	binary.Write(&info, binary.LittleEndian, uint16(2)) // MsvAvNbDomainName
	binary.Write(&info, binary.LittleEndian, uint16(len(target)))
	info.Write(target)
	binary.Write(&info, binary.LittleEndian, uint32(0)) // MsvAvEOL

	var b bytes.Buffer
	b.WriteString("NTLMSSP\x00")
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	le(uint32(2))
	const payload = 48
	le(uint16(len(target)))
	le(uint16(len(target)))
	le(uint32(payload))
	le(uint32(flagUnicode | flagReqTarget | flagNTLM | flagAlwaysSign | flagExtSec | flagTargetInfo))
	b.WriteString("\x01\x23\x45\x67\x89\xab\xcd\xef") // server challenge
	b.Write(make([]byte, 8))                          // reserved
	le(uint16(info.Len()))
	le(uint16(info.Len()))
	le(uint32(payload + len(target)))
	b.Write(target)
	b.Write(info.Bytes())
	return b.Bytes()
}

// testNTLMParseAuthenticate extracts user and domain from an AUTHENTICATE
// (type 3) message and checks that it carries an NTLMv2 response.
func testNTLMParseAuthenticate(m []byte) (user, domain string, err error) {
	if len(m) < 64 || !bytes.HasPrefix(m, []byte("NTLMSSP\x00")) || binary.LittleEndian.Uint32(m[8:]) != 3 {
		return "", "", fmt.Errorf("NTLM: not an AUTHENTICATE message")
	}
	field := func(at int) ([]byte, error) {
		n := int(binary.LittleEndian.Uint16(m[at:]))
		off := int(binary.LittleEndian.Uint32(m[at+4:]))
		if off+n > len(m) {
			return nil, fmt.Errorf("NTLM: field at %d out of range", at)
		}
		return m[off : off+n], nil
	}
	nt, err := field(20)
	if err != nil {
		return "", "", err
	}
	if len(nt) < 16+28 {
		return "", "", fmt.Errorf("NTLM: NT response of %d bytes is not NTLMv2", len(nt))
	}
	d, err := field(28)
	if err != nil {
		return "", "", err
	}
	u, err := field(36)
	if err != nil {
		return "", "", err
	}
	return testFromUTF16(u), testFromUTF16(d), nil
}

func testUTF16(s string) []byte {
	var b bytes.Buffer
	for _, r := range utf16.Encode([]rune(s)) {
		binary.Write(&b, binary.LittleEndian, r)
	}
	return b.Bytes()
}

func testFromUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// runSASL drives client c against server s the way an SMTP exchange does
// (initial response, challenges, responses) and returns the server's verdict.
func runSASL(t *testing.T, c sasl.Client, s sasl.Server) error {
	t.Helper()
	_, resp, err := c.Start()
	if err != nil {
		return err
	}
	for i := 0; i < 10; i++ {
		challenge, done, err := s.Next(resp)
		if err != nil || done {
			return err
		}
		resp, err = c.Next(challenge)
		if err != nil {
			return err
		}
		if resp == nil {
			return errors.New("client returned a nil response to a challenge")
		}
	}
	return errors.New("exchange does not end")
}

func TestSASLLoginAnswersWhateverTheChallenge(t *testing.T) {
	tests := []struct {
		name    string
		prompts [2]string
	}{
		{"standard", [2]string{"Username:", "Password:"}},
		{"lower case", [2]string{"username:", "password:"}},
		{"localized", [2]string{"Nome do usuário", "Senha"}},
		{"empty prompts", [2]string{"", ""}},
		{"swapped-looking", [2]string{"Password:", "Username:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &testLoginServer{prompts: tt.prompts, user: "fulano@empresa.com.br", pass: "s3nh@"}
			c, _ := newSASLClient(MechLogin, "fulano@empresa.com.br", "s3nh@")
			if err := runSASL(t, c, srv); err != nil {
				t.Fatalf("LOGIN with prompts %q: %v", tt.prompts, err)
			}
		})
	}
	c, _ := newSASLClient(MechLogin, "u", "p")
	c.Next([]byte("a"))
	c.Next([]byte("b"))
	if _, err := c.Next([]byte("c")); err == nil {
		t.Error("a third LOGIN challenge must be an error")
	}
}

func TestSASLCRAMMD5(t *testing.T) {
	// RFC 2195 example.
	c, _ := newSASLClient(MechCRAMMD5, "tim", "tanstaaftanstaaf")
	mech, ir, err := c.Start()
	if mech != MechCRAMMD5 || ir != nil || err != nil {
		t.Fatalf("Start = %q, %q, %v", mech, ir, err)
	}
	resp, err := c.Next([]byte("<1896.697170952@postoffice.reston.mci.net>"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "tim b913a602c7eda7a495b4e6e7334d3890"; string(resp) != want {
		t.Errorf("response = %q, want %q", resp, want)
	}
	if _, err := c.Next([]byte("again")); err == nil {
		t.Error("a second CRAM-MD5 challenge must be an error")
	}
	if err := runSASL(t, &saslCRAMMD5Client{user: "tim", pass: "wrong"}, &testCRAMMD5Server{user: "tim", pass: "right"}); !errors.Is(err, errTestBadCredentials) {
		t.Errorf("wrong password: %v, want refusal", err)
	}
}

func TestSASLXOAuth2(t *testing.T) {
	c, _ := newSASLClient(MechXOAuth2, "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")
	_, ir, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	// The example of Google's XOAUTH2 documentation.
	want := "user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"
	if string(ir) != want {
		t.Errorf("initial response = %q, want %q", ir, want)
	}
	bad := &saslXOAuth2Client{user: "u", token: "expired"}
	if err := runSASL(t, bad, &testXOAuth2Server{user: "u", token: "fresh"}); !errors.Is(err, errTestBadCredentials) {
		t.Fatalf("bad token: %v, want refusal", err)
	}
	if !strings.Contains(bad.Detail, `"status":"401"`) {
		t.Errorf("error challenge not kept: %q", bad.Detail)
	}
}

func TestSASLNTLM(t *testing.T) {
	tests := []struct {
		login, user, domain string
	}{
		{`EXAMPLE\alice`, "alice", "EXAMPLE"},
		{"alice@example.com", "alice@example.com", ""},
		{"alice", "alice", ""},
	}
	for _, tt := range tests {
		t.Run(tt.login, func(t *testing.T) {
			srv := &testNTLMServer{user: tt.user, domain: tt.domain}
			c, _ := newSASLClient(MechNTLM, tt.login, "Passw0rd")
			if err := runSASL(t, c, srv); err != nil {
				t.Fatalf("NTLM: %v (server saw user %q domain %q)", err, srv.gotUser, srv.gotDomain)
			}
			if !srv.checked {
				t.Fatal("the server never decoded an AUTHENTICATE message")
			}
		})
	}
	// A server that ignores the initial response sends an empty challenge:
	// the client sends NEGOTIATE again, once.
	c := &saslNTLMClient{user: "u", pass: "p"}
	resp, err := c.Next(nil)
	if err != nil || !bytes.HasPrefix(resp, []byte("NTLMSSP\x00\x01")) {
		t.Errorf("empty challenge: %q, %v; want NEGOTIATE", resp, err)
	}
	if _, err := c.Next(nil); err == nil {
		t.Error("a second empty challenge must be an error")
	}
	if _, err := (&saslNTLMClient{user: "u", pass: "p"}).Next([]byte("garbage")); err == nil {
		t.Error("a malformed CHALLENGE must be an error")
	}
}

func TestSASLMechanisms(t *testing.T) {
	all := []string{"login", "PLAIN", "XOAUTH2", "NTLM", "CRAM-MD5", "GSSAPI"}
	tests := []struct {
		name    string
		offered []string
		oauth   bool
		cfg     func(*Config)
		want    []string
	}{
		{"strongest first", all, false, nil, []string{"CRAM-MD5", "NTLM", "PLAIN", "LOGIN"}},
		{"config filters", all, false, func(c *Config) { c.AuthCramMD5, c.AuthNTLM = false, false }, []string{"PLAIN", "LOGIN"}},
		{"server filters", []string{"LOGIN", "PLAIN"}, false, nil, []string{"PLAIN", "LOGIN"}},
		{"oauth only XOAUTH2", all, true, nil, []string{"XOAUTH2"}},
		{"oauth not offered", []string{"PLAIN", "LOGIN"}, true, nil, nil},
		{"oauth not allowed", all, true, func(c *Config) { c.AuthXOAuth2 = false }, nil},
		{"password never XOAUTH2", []string{"XOAUTH2"}, false, nil, nil},
		{"nothing in common", []string{"CRAM-MD5"}, false, func(c *Config) { c.AuthCramMD5 = false }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			got, _ := saslMechanisms(cfg, tt.offered, tt.oauth)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	e := saslNoMechanism("smtp auth", []string{"CRAM-MD5"}, []string{"PLAIN", "LOGIN"}, false)
	if e.Code != ErrNoAuthMechanism || !strings.Contains(e.Error(), "CRAM-MD5") || !strings.Contains(e.Error(), "PLAIN LOGIN") {
		t.Errorf("no-mechanism error does not name offered and allowed: %v", e)
	}
}

func TestSASLOAuth2Password(t *testing.T) {
	for _, tt := range []struct {
		pass, token string
		ok          bool
	}{
		{"oauth2:abc", "abc", true},
		{"OAuth2:abc", "abc", true},
		{"oauth2:", "", true},
		{"oauth2", "", false},
		{"secret", "", false},
	} {
		token, ok := saslOAuth2(tt.pass)
		if token != tt.token || ok != tt.ok {
			t.Errorf("saslOAuth2(%q) = %q, %v; want %q, %v", tt.pass, token, ok, tt.token, tt.ok)
		}
	}
	ctx := context.Background()
	if _, err := saslToken(ctx, &Transport{}, "op", "u", ""); CodeOf(err) != ErrInvalidArgument {
		t.Errorf("no token source: %v, want ErrInvalidArgument", err)
	}
	tr := &Transport{Token: func(_ context.Context, user string) (string, error) { return "tok-" + user, nil }}
	if tok, err := saslToken(ctx, tr, "op", "bob", ""); tok != "tok-bob" || err != nil {
		t.Errorf("token hook: %q, %v", tok, err)
	}
	if tok, err := saslToken(ctx, tr, "op", "bob", "given"); tok != "given" || err != nil {
		t.Errorf("given token: %q, %v", tok, err)
	}
	failing := &Transport{Token: func(context.Context, string) (string, error) { return "", errors.New("refresh token revoked") }}
	if _, err := saslToken(ctx, failing, "op", "bob", ""); CodeOf(err) != ErrAuthFailed || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("failing hook: %v, want ErrAuthFailed with the cause", err)
	}
}
