package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// certValidity is how long the sandbox CA and its leaves are valid. A sandbox
// lives as long as one advmail run, so a day is plenty.
const certValidity = 24 * time.Hour

// authority is the sandbox CA. It issues, on demand, a leaf certificate for
// whatever name a client asks for, and caches it.
type authority struct {
	cert      *x509.Certificate
	key       *ecdsa.PrivateKey
	pool      *x509.CertPool
	notBefore time.Time
	notAfter  time.Time

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
	// dialed maps the local address of a connection opened by Sandbox.Dial
	// to the host the engine asked for, so that a client that sends no SNI
	// (an IP address host) still gets a leaf for that address.
	dialed map[string]string
}

// newAuthority generates the CA: ECDSA P-256, valid for certValidity.
func newAuthority() (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("sandbox CA: generate key: %w", err)
	}
	now := time.Now()
	a := &authority{
		key:       key,
		notBefore: now.Add(-time.Hour), // tolerate a slightly skewed clock
		notAfter:  now.Add(certValidity),
		leaves:    make(map[string]*tls.Certificate),
		dialed:    make(map[string]string),
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "advmail sandbox CA", Organization: []string{"advmail sandbox"}},
		NotBefore:             a.notBefore,
		NotAfter:              a.notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("sandbox CA: create certificate: %w", err)
	}
	if a.cert, err = x509.ParseCertificate(der); err != nil {
		return nil, fmt.Errorf("sandbox CA: parse certificate: %w", err)
	}
	a.pool = x509.NewCertPool()
	a.pool.AddCert(a.cert)
	return a, nil
}

func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("sandbox CA: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// serverTLS returns the tls.Config every sandbox server uses.
func (a *authority) serverTLS() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: a.getCertificate,
	}
}

// remember records that the connection whose client side has local address
// addr was dialed for host.
func (a *authority) remember(addr, host string) {
	a.mu.Lock()
	a.dialed[addr] = host
	a.mu.Unlock()
}

// forget drops what remember recorded for addr.
func (a *authority) forget(addr string) {
	a.mu.Lock()
	delete(a.dialed, addr)
	a.mu.Unlock()
}

// getCertificate picks the name to certify: the SNI name, else the host the
// engine dialed (IP hosts send no SNI), else "localhost".
func (a *authority) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	if name == "" && hello.Conn != nil {
		a.mu.Lock()
		name = a.dialed[hello.Conn.RemoteAddr().String()]
		a.mu.Unlock()
	}
	return a.leaf(name)
}

// leaf returns the (cached) leaf certificate for name.
func (a *authority) leaf(name string) (*tls.Certificate, error) {
	name = strings.ToLower(strings.TrimSuffix(strings.Trim(name, "[]"), "."))
	if name == "" {
		name = "localhost"
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.leaves[name]; ok {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("sandbox CA: generate leaf key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name, Organization: []string{"advmail sandbox"}},
		NotBefore:    a.notBefore,
		NotAfter:     a.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	if name == "localhost" {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return nil, fmt.Errorf("sandbox CA: issue certificate for %q: %w", name, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("sandbox CA: parse certificate for %q: %w", name, err)
	}
	c := &tls.Certificate{
		Certificate: [][]byte{der, a.cert.Raw},
		PrivateKey:  key,
		Leaf:        leaf,
	}
	a.leaves[name] = c
	return c, nil
}
