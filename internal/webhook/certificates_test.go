package webhook

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"
)

var (
	webhookNames = []string{"isms-operator-webhook.isms-system.svc", "isms-operator-webhook.isms-system.svc.cluster.local"}
	installed    = time.Date(2026, time.November, 30, 9, 0, 0, 0, time.UTC)
)

// verifies fails the test unless the serving certificate verifies, at now, for every name,
// against the bundle the API server is given.
func verifies(t *testing.T, c *Certificates, bundle []byte, now time.Time) {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(bundle) {
		t.Fatal("the bundle holds no certificate")
	}
	for _, name := range webhookNames {
		if _, err := c.Serving().Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, CurrentTime: now}); err != nil {
			t.Errorf("the serving certificate does not verify for %s at %s: %v", name, now.Format(time.DateOnly), err)
		}
	}
}

func keep(t *testing.T, data map[string][]byte, names []string, trusted []byte, now time.Time) (map[string][]byte, *Certificates, bool) {
	t.Helper()
	data, c, changed, err := Keep(data, names, trusted, now)
	if err != nil {
		t.Fatal(err)
	}
	return data, c, changed
}

// TestKeepMakesAndRenewsWithoutAGap follows the certificates through their life: made at
// install, kept while fresh, the serving certificate renewed in the last third of its
// life, and the CA renewed a year before it expires in two steps, so that at every step
// what is served verifies against the caBundle written before it.
func TestKeepMakesAndRenewsWithoutAGap(t *testing.T) {
	data, c, changed := keep(t, nil, webhookNames, nil, installed)
	if !changed {
		t.Fatal("nothing was made from an empty Secret")
	}
	verifies(t, c, c.Bundle(), installed)
	trusted := c.Bundle() // the keeper writes it into the webhook configuration

	if again, _, changed := keep(t, data, webhookNames, trusted, installed.Add(time.Hour)); changed || !bytes.Equal(again[KeyCert], data[KeyCert]) {
		t.Fatal("fresh certificates were renewed")
	}

	// Eight months on, the serving certificate is in the last third of its life.
	later := installed.Add(245 * 24 * time.Hour)
	renewed, c, changed := keep(t, data, webhookNames, trusted, later)
	if !changed || bytes.Equal(renewed[KeyCert], data[KeyCert]) || !bytes.Equal(renewed[KeyCABundle], data[KeyCABundle]) {
		t.Fatal("the serving certificate was not renewed under the same CA")
	}
	verifies(t, c, trusted, later)
	data = renewed

	// Renew the serving certificate every eight months until the CA has a year left.
	for now := later; ; {
		now = now.Add(245 * 24 * time.Hour)
		next, c, _ := keep(t, data, webhookNames, trusted, now)
		if len(c.CAs) > 1 {
			// The CA was renewed: the new CA heads the bundle, the old one stays, and the
			// old serving certificate is still served until the configuration trusts the new CA.
			if !bytes.Equal(next[KeyCert], data[KeyCert]) {
				t.Fatal("a certificate was signed by a CA the webhook configuration does not trust yet")
			}
			verifies(t, c, trusted, now)
			verifies(t, c, c.Bundle(), now)
			trusted = c.Bundle()
			final, c, changed := keep(t, next, webhookNames, trusted, now)
			if !changed || bytes.Equal(final[KeyCert], next[KeyCert]) || c.Serving().Leaf.CheckSignatureFrom(c.CAs[0]) != nil {
				t.Fatal("once the configuration trusts the new CA, the serving certificate was not signed by it")
			}
			verifies(t, c, trusted, now)
			if !now.Add(caRenewBefore).After(c.CAs[1].NotAfter) || now.After(c.CAs[1].NotAfter) {
				t.Errorf("the CA was renewed at %s, not in the year before it expires (%s)", now, c.CAs[1].NotAfter)
			}
			return
		}
		verifies(t, c, trusted, now)
		data = next
		if now.After(installed.Add(caLifetime)) {
			t.Fatal("the CA was never renewed")
		}
	}
}

func TestKeepRepairsWhatItCannotUse(t *testing.T) {
	data, c, _ := keep(t, nil, webhookNames, nil, installed)
	trusted := c.Bundle()

	t.Run("a serving certificate that does not parse is replaced under the same CA", func(t *testing.T) {
		broken := map[string][]byte{KeyCABundle: data[KeyCABundle], KeyCAKey: data[KeyCAKey], KeyCert: []byte("garbage"), KeyKey: data[KeyKey]}
		repaired, c, changed := keep(t, broken, webhookNames, trusted, installed)
		if !changed || !bytes.Equal(repaired[KeyCABundle], data[KeyCABundle]) {
			t.Fatal("not repaired under the CA clients already trust")
		}
		verifies(t, c, trusted, installed)
	})
	t.Run("new names get a new certificate", func(t *testing.T) {
		names := []string{"isms-webhook.trust-system.svc", "isms-webhook.trust-system.svc.cluster.local"}
		renamed, c, changed := keep(t, data, names, trusted, installed)
		if !changed || bytes.Equal(renamed[KeyCert], data[KeyCert]) {
			t.Fatal("the certificate was kept for other names")
		}
		if got := c.Serving().Leaf.DNSNames; len(got) != 2 || got[0] != names[0] {
			t.Errorf("names = %v, want %v", got, names)
		}
	})
	t.Run("everything expired: a new CA, the expired one dropped, and a certificate at once", func(t *testing.T) {
		now := installed.Add(caLifetime + time.Hour)
		_, c, changed := keep(t, data, webhookNames, trusted, now)
		if !changed || len(c.CAs) != 1 || !now.Before(c.CAs[0].NotAfter) {
			t.Fatalf("CAs %d, changed %v", len(c.CAs), changed)
		}
		verifies(t, c, c.Bundle(), now)
	})
	t.Run("a CA key that is not the CA's: everything made again", func(t *testing.T) {
		other, _, _ := keep(t, nil, webhookNames, nil, installed)
		mixed := map[string][]byte{KeyCABundle: data[KeyCABundle], KeyCAKey: other[KeyCAKey], KeyCert: data[KeyCert], KeyKey: data[KeyKey]}
		_, c, changed := keep(t, mixed, webhookNames, trusted, installed)
		if !changed {
			t.Fatal("kept a CA whose key does not match it")
		}
		verifies(t, c, c.Bundle(), installed)
	})
}
