package webhook

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"time"
)

// The keys of the Secret that holds the webhook's certificates.
const (
	// KeyCABundle holds, as PEM, the CA that signs the serving certificate, first, then the
	// CA it replaced while certificates that CA signed may still be served: the webhook
	// configuration's caBundle.
	KeyCABundle = "ca.crt"
	// KeyCAKey is the current CA's private key.
	KeyCAKey = "ca.key"
	// KeyCert and KeyKey are the serving certificate and its key (kubernetes.io/tls).
	KeyCert = "tls.crt"
	KeyKey  = "tls.key"
)

// How long the certificates live, and how long before they expire they are renewed: a
// third of a serving certificate's life, a year of the CA's, so that a replica that cannot
// reach the API server for weeks still serves a valid one.
const (
	caLifetime      = 5 * 365 * 24 * time.Hour
	caRenewBefore   = 365 * 24 * time.Hour
	certLifetime    = 365 * 24 * time.Hour
	certRenewBefore = certLifetime / 3
	// clockSkew backdates new certificates, for API servers whose clocks run behind.
	clockSkew = time.Hour
)

// Certificates are the webhook's certificates as the Secret holds them, parsed.
type Certificates struct {
	// CAs are the trusted CAs: the current one first.
	CAs    []*x509.Certificate
	caKey  *ecdsa.PrivateKey
	cert   *x509.Certificate
	serve  tls.Certificate
	bundle []byte
}

// Bundle is the PEM of the trusted CAs: the webhook configuration's caBundle.
func (c *Certificates) Bundle() []byte { return c.bundle }

// Serving is the certificate the webhook server presents.
func (c *Certificates) Serving() *tls.Certificate { return &c.serve }

// RenewAt is when the certificates are next due to be renewed; until the configuration
// trusts a new CA, the serving certificate may wait past it.
func (c *Certificates) RenewAt() time.Time {
	return earliest(c.cert.NotAfter.Add(-certRenewBefore), c.CAs[0].NotAfter.Add(-caRenewBefore))
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Keep decides the Secret's data at now, for a webhook served under dnsNames whose
// configuration trusts the CAs of the PEM bundle trusted (its caBundle): the data as it is
// while it holds a serving certificate for those names, signed by its current CA, with a
// third of its life left, and a CA with a year of its own; else renewed. A new CA is put at
// the head of the bundle, and the CA it replaces stays behind it until it expires, so
// that certificates the old CA signed keep verifying; a serving certificate is signed by
// the new CA only once the configuration trusts it, unless no usable certificate is left
// to serve meanwhile. So the API server never meets a certificate it cannot verify, and a
// renewal never makes the webhook, whose failure policy is Fail, refuse Risk writes. It
// reports whether the data changed, and parses what it returns.
func Keep(data map[string][]byte, dnsNames []string, trusted []byte, now time.Time) (map[string][]byte, *Certificates, bool, error) {
	current, err := Parse(data)
	if err == nil && current.fresh(dnsNames, now) {
		return data, current, false, nil
	}
	var cas []*x509.Certificate
	var caKey *ecdsa.PrivateKey
	if current != nil {
		cas, caKey = current.CAs, current.caKey
	}
	if caKey == nil || !now.Add(caRenewBefore).Before(cas[0].NotAfter) {
		ca, key, err := newCA(now)
		if err != nil {
			return nil, nil, false, err
		}
		cas, caKey = append([]*x509.Certificate{ca}, cas...), key
	}
	cas = slices.DeleteFunc(cas, func(ca *x509.Certificate) bool { return !now.Before(ca.NotAfter) })
	certPEM, keyPEM := data[KeyCert], data[KeyKey]
	usable := err == nil && current.serves(dnsNames, now) && slices.ContainsFunc(cas, func(ca *x509.Certificate) bool {
		return current.cert.CheckSignatureFrom(ca) == nil
	})
	if !usable || (current.cert.CheckSignatureFrom(cas[0]) != nil || !now.Before(current.RenewAt())) && trusts(trusted, cas[0]) {
		if certPEM, keyPEM, err = newServingCert(cas[0], caKey, dnsNames, now); err != nil {
			return nil, nil, false, err
		}
	}
	caKeyDER, err := x509.MarshalECPrivateKey(caKey)
	if err != nil {
		return nil, nil, false, err
	}
	var bundle bytes.Buffer
	for _, ca := range cas {
		_ = pem.Encode(&bundle, &pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
	}
	renewed := map[string][]byte{
		KeyCABundle: bundle.Bytes(),
		KeyCAKey:    pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: caKeyDER}),
		KeyCert:     certPEM,
		KeyKey:      keyPEM,
	}
	parsed, err := Parse(renewed)
	if err != nil {
		return nil, nil, false, fmt.Errorf("the certificates just made do not parse: %w", err)
	}
	return renewed, parsed, !maps.EqualFunc(data, renewed, bytes.Equal), nil
}

// serves reports whether the serving certificate is for dnsNames and valid at now.
func (c *Certificates) serves(dnsNames []string, now time.Time) bool {
	names := slices.Clone(c.cert.DNSNames)
	want := slices.Clone(dnsNames)
	slices.Sort(names)
	slices.Sort(want)
	return slices.Equal(names, want) && !now.Before(c.cert.NotBefore) && now.Before(c.cert.NotAfter)
}

// fresh reports whether the certificates serve dnsNames and need no renewal at now.
func (c *Certificates) fresh(dnsNames []string, now time.Time) bool {
	return c.serves(dnsNames, now) && now.Before(c.RenewAt()) && c.cert.CheckSignatureFrom(c.CAs[0]) == nil
}

// trusts reports whether the PEM bundle holds ca.
func trusts(bundle []byte, ca *x509.Certificate) bool {
	for rest := bundle; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return false
		}
		if bytes.Equal(block.Bytes, ca.Raw) {
			return true
		}
	}
}

// Parse reads the Secret's data. With an error, the Certificates returned (when not nil)
// hold the CAs and CA key that could be read, so that a broken serving certificate is
// renewed under the CA that clients already trust.
func Parse(data map[string][]byte) (*Certificates, error) {
	c := &Certificates{}
	for rest := data[KeyCABundle]; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		ca, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", KeyCABundle, err)
		}
		c.CAs = append(c.CAs, ca)
	}
	if len(c.CAs) == 0 {
		return nil, errors.New("no CA")
	}
	block, _ := pem.Decode(data[KeyCAKey])
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM key", KeyCAKey)
	}
	caKey, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", KeyCAKey, err)
	}
	if !caKey.PublicKey.Equal(c.CAs[0].PublicKey) {
		return nil, fmt.Errorf("%s is not the key of the first CA of %s", KeyCAKey, KeyCABundle)
	}
	c.caKey = caKey
	c.bundle = data[KeyCABundle]
	if c.serve, err = tls.X509KeyPair(data[KeyCert], data[KeyKey]); err != nil {
		return c, fmt.Errorf("%s and %s: %w", KeyCert, KeyKey, err)
	}
	if c.cert, err = x509.ParseCertificate(c.serve.Certificate[0]); err != nil {
		return c, fmt.Errorf("%s: %w", KeyCert, err)
	}
	c.serve.Leaf = c.cert
	return c, nil
}

func newCA(now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "isms-operator webhook CA " + now.UTC().Format(time.RFC3339)},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	return ca, key, err
}

func newServingCert(ca *x509.Certificate, caKey *ecdsa.PrivateKey, dnsNames []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	template := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: dnsNames[0]},
		DNSNames:     dnsNames,
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     earliest(now.Add(certLifetime), ca.NotAfter),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}
