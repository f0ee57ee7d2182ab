package vault

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"
)

// TransitKeyType is the type of the keys EnsureTransitKey creates: RSA keys
// whose public half Vault hands out, so a browser can encrypt to them with
// WebCrypto (RSA-OAEP, SHA-256) and only Vault can decrypt.
const TransitKeyType = "rsa-4096"

// minRSABits is the modulus size of TransitKeyType.
const minRSABits = 4096

// ErrBadCiphertext means Vault could not decrypt a ciphertext: it was
// tampered with, made for another key or version, or is not in Vault's
// "vault:v<N>:<base64>" form.
var ErrBadCiphertext = errors.New("ciphertext cannot be decrypted")

// ErrNotFound means the path or key does not exist.
var ErrNotFound = errors.New("not found")

// TransitKey is the public side of a transit encryption key.
type TransitKey struct {
	// Mount and Name locate the key (transit/keys/<Name>).
	Mount, Name string
	// Type is Vault's key type, e.g. "rsa-4096".
	Type string
	// LatestVersion is the version new ciphertexts should name ("vault:v<N>:").
	LatestVersion int
	// PublicKey is the latest version's public key.
	PublicKey *rsa.PublicKey
	// PublicKeyDER is PublicKey as PKIX/SPKI DER, what WebCrypto's
	// importKey("spki", ...) takes.
	PublicKeyDER []byte
}

var transitNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

func transitPath(mount, what, name string) (string, error) {
	mount = strings.Trim(mount, "/")
	if mount == "" {
		mount = "transit"
	}
	if !transitNameRe.MatchString(name) {
		return "", fmt.Errorf("vault: transit key name %q: want letters, digits, '.', '_' or '-'", name)
	}
	return mount + "/" + what + "/" + name, nil
}

// readKey reads mount/keys/name (GET transit/keys/<name>) and returns its
// path and Vault's data about it; a missing key fails with ErrNotFound.
func (c *Client) readKey(ctx context.Context, mount, name string) (string, map[string]any, error) {
	p, err := transitPath(mount, "keys", name)
	if err != nil {
		return "", nil, err
	}
	sec, err := c.api.Logical().ReadWithContext(ctx, p)
	if err != nil {
		return "", nil, c.wrap("read transit key "+p, err)
	}
	if sec == nil || sec.Data == nil {
		return "", nil, fmt.Errorf("vault: transit key %s: %w", p, ErrNotFound)
	}
	return p, sec.Data, nil
}

// createKey creates the transit key mount/keys/name of type typ.
func (c *Client) createKey(ctx context.Context, mount, name, typ string) error {
	p, err := transitPath(mount, "keys", name)
	if err != nil {
		return err
	}
	if _, err := c.api.Logical().WriteWithContext(ctx, p, map[string]any{"type": typ}); err != nil {
		return c.wrap("create transit key "+p, err)
	}
	c.log.Info("created transit key", "key", p, "type", typ)
	return nil
}

// EnsureTransitKey returns the transit key mount/keys/name, creating it as
// an rsa-4096 key when it does not exist. An existing key of another type
// (not RSA, or a smaller RSA key) is an error naming the key and its type.
func (c *Client) EnsureTransitKey(ctx context.Context, mount, name string) (*TransitKey, error) {
	k, err := c.ReadTransitKey(ctx, mount, name)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if err := c.createKey(ctx, mount, name, TransitKeyType); err != nil {
		return nil, err
	}
	return c.ReadTransitKey(ctx, mount, name)
}

// ReadTransitKey reads mount/keys/name (GET transit/keys/<name>) and returns
// its latest version's RSA public key. A missing key fails with ErrNotFound;
// a key that is not of TransitKeyType (an AES key, or rsa-2048/rsa-3072)
// is refused with an error naming the key and its type.
func (c *Client) ReadTransitKey(ctx context.Context, mount, name string) (*TransitKey, error) {
	p, data, err := c.readKey(ctx, mount, name)
	if err != nil {
		return nil, err
	}
	typ, _ := data["type"].(string)
	switch {
	case !strings.HasPrefix(typ, "rsa-"):
		return nil, fmt.Errorf("vault: transit key %s is of type %q; browser-side encryption needs an RSA key of type %s", p, typ, TransitKeyType)
	case typ != TransitKeyType:
		return nil, fmt.Errorf("vault: transit key %s is of type %q, smaller than the %s the sealing page requires; create a new %s key (or name one in transit_key) instead", p, typ, TransitKeyType, TransitKeyType)
	}
	latest, err := intOf(data["latest_version"])
	if err != nil || latest < 1 {
		return nil, fmt.Errorf("vault: transit key %s: no usable latest_version in Vault's answer", p)
	}
	keys, _ := data["keys"].(map[string]any)
	entry, _ := keys[strconv.Itoa(latest)].(map[string]any)
	pemText, _ := entry["public_key"].(string)
	if pemText == "" {
		return nil, fmt.Errorf("vault: transit key %s version %d: Vault returned no public key", p, latest)
	}
	pub, der, err := parseRSAPublicKey(pemText)
	if err != nil {
		return nil, fmt.Errorf("vault: transit key %s version %d: %w", p, latest, err)
	}
	if bits := pub.N.BitLen(); bits < minRSABits {
		return nil, fmt.Errorf("vault: transit key %s (type %q) version %d has a %d-bit public key; the sealing page requires %d bits", p, typ, latest, bits, minRSABits)
	}
	return &TransitKey{Mount: strings.Trim(mount, "/"), Name: name, Type: typ, LatestVersion: latest, PublicKey: pub, PublicKeyDER: der}, nil
}

// TransitDecrypt asks Vault to decrypt a ciphertext made for the transit
// key (POST transit/decrypt/<name>) and returns the plaintext. The caller
// owns the returned bytes and should zero them when done. Neither the
// ciphertext nor the plaintext ever appears in the returned errors; a
// ciphertext Vault refuses fails with ErrBadCiphertext.
func (c *Client) TransitDecrypt(ctx context.Context, mount, name, ciphertext string) ([]byte, error) {
	p, err := transitPath(mount, "decrypt", name)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(ciphertext, "vault:v") {
		return nil, fmt.Errorf("vault: decrypt with %s: not a \"vault:v<N>:<base64>\" ciphertext: %w", p, ErrBadCiphertext)
	}
	sec, err := c.api.Logical().WriteWithContext(ctx, p, map[string]any{"ciphertext": ciphertext})
	if err != nil {
		if refusedCiphertext(err) {
			return nil, fmt.Errorf("vault: decrypt with %s: Vault refused the ciphertext: %w", p, ErrBadCiphertext)
		}
		return nil, c.wrap("decrypt with "+p, err)
	}
	if sec == nil || sec.Data == nil {
		return nil, fmt.Errorf("vault: decrypt with %s: empty answer", p)
	}
	var b64 string
	switch v := sec.Data["plaintext"].(type) {
	case string:
		b64 = v
	case json.Number:
		b64 = v.String()
	}
	out, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("vault: decrypt with %s: the plaintext Vault returned is not base64", p)
	}
	delete(sec.Data, "plaintext")
	return out, nil
}

// refusedCiphertext reports whether Vault's answer to a decrypt says the
// ciphertext is bad: a 400, or the 500 Vault answers when RSA-OAEP
// decryption fails (a tampered ciphertext, or one made for another key).
func refusedCiphertext(err error) bool {
	var re *vaultapi.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	if re.StatusCode == 400 {
		return true
	}
	for _, e := range re.Errors {
		e = strings.ToLower(e)
		for _, s := range []string{"decrypt the ciphertext", "decryption error", "invalid ciphertext", "invalid version"} {
			if strings.Contains(e, s) {
				return true
			}
		}
	}
	return false
}

func parseRSAPublicKey(pemText string) (*rsa.PublicKey, []byte, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, nil, errors.New("public key is not PEM")
	}
	var pub *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("parse public key: %w", err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, nil, fmt.Errorf("public key is a %T, not RSA", k)
		}
		pub = rk
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("parse public key: %w", err)
		}
		pub = k
	default:
		return nil, nil, fmt.Errorf("unexpected PEM block %q", block.Type)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("encode public key: %w", err)
	}
	return pub, der, nil
}

func intOf(v any) (int, error) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return int(n), err
	case float64:
		return int(x), nil
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case string:
		return strconv.Atoi(x)
	}
	return 0, fmt.Errorf("not a number: %T", v)
}

// HMACKey is a transit key used for keyed digests (POST
// transit/hmac/<name>) at a pinned key version, so rotating the transit key
// does not change the digests already made. It has the methods of the
// store's ChainKey (the audit chain's key).
type HMACKey struct {
	c       *Client
	mount   string
	name    string
	version int
}

// EnsureHMACKey returns mount/keys/name as an HMACKey at version (1 when
// 0), creating the key (Vault's default type, aes256-gcm96) when it does not
// exist. A version above the key's latest is an error.
func (c *Client) EnsureHMACKey(ctx context.Context, mount, name string, version int) (*HMACKey, error) {
	k, err := c.ReadHMACKey(ctx, mount, name, version)
	if !errors.Is(err, ErrNotFound) {
		return k, err
	}
	if err := c.createKey(ctx, mount, name, "aes256-gcm96"); err != nil {
		return nil, err
	}
	return c.ReadHMACKey(ctx, mount, name, version)
}

// ReadHMACKey returns the existing transit key mount/keys/name as an
// HMACKey at version (1 when 0). A missing key fails with ErrNotFound; a
// version above the key's latest is an error.
func (c *Client) ReadHMACKey(ctx context.Context, mount, name string, version int) (*HMACKey, error) {
	if version <= 0 {
		version = 1
	}
	p, data, err := c.readKey(ctx, mount, name)
	if err != nil {
		return nil, err
	}
	latest, err := intOf(data["latest_version"])
	if err != nil || latest < 1 {
		return nil, fmt.Errorf("vault: transit key %s: no usable latest_version in Vault's answer", p)
	}
	if version > latest {
		return nil, fmt.Errorf("vault: transit key %s has no version %d (latest is %d)", p, version, latest)
	}
	m := strings.Trim(mount, "/")
	if m == "" {
		m = "transit"
	}
	return &HMACKey{c: c, mount: m, name: name, version: version}, nil
}

// KeyID names the key and version: "vault-transit:<mount>/<name>@v<version>".
func (k *HMACKey) KeyID() string {
	return fmt.Sprintf("vault-transit:%s/%s@v%d", k.mount, k.name, k.version)
}

// MAC returns Vault's HMAC-SHA256 of data under the key's pinned version.
func (k *HMACKey) MAC(ctx context.Context, data []byte) ([]byte, error) {
	return k.c.TransitHMAC(ctx, k.mount, k.name, k.version, data)
}

// TransitHMAC asks Vault for the HMAC-SHA256 of data under version of the
// transit key (POST transit/hmac/<name>/sha2-256) and returns the raw
// digest. The data never appears in the returned errors.
func (c *Client) TransitHMAC(ctx context.Context, mount, name string, version int, data []byte) ([]byte, error) {
	p, err := transitPath(mount, "hmac", name)
	if err != nil {
		return nil, err
	}
	sec, err := c.api.Logical().WriteWithContext(ctx, p+"/sha2-256", map[string]any{
		"input":       base64.StdEncoding.EncodeToString(data),
		"key_version": version,
	})
	if err != nil {
		return nil, c.wrap("hmac with "+p, err)
	}
	var out string
	if sec != nil && sec.Data != nil {
		out, _ = sec.Data["hmac"].(string)
	}
	prefix := fmt.Sprintf("vault:v%d:", version)
	if !strings.HasPrefix(out, prefix) {
		return nil, fmt.Errorf("vault: hmac with %s: want a %q digest in Vault's answer", p, prefix+"<base64>")
	}
	mac, err := base64.StdEncoding.DecodeString(out[len(prefix):])
	if err != nil || len(mac) == 0 {
		return nil, fmt.Errorf("vault: hmac with %s: the digest Vault returned is not base64", p)
	}
	return mac, nil
}
