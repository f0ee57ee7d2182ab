package secrets

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/vault"
)

// ---- Vault ----

// VaultKV stores values in Vault KV v2 at <mount>/<path>, as
// {"value": "..."} for sealed secrets.
func VaultKV(c *vault.Client, mount string) KV {
	if mount == "" {
		mount = "secret"
	}
	return &vaultKV{c: c, mount: mount}
}

type vaultKV struct {
	c     *vault.Client
	mount string
}

func (v *vaultKV) Mount() string         { return v.mount }
func (v *vaultKV) Describe() string      { return "Vault at " + v.c.Addr() }
func (v *vaultKV) DevelopmentOnly() bool { return false }

func anyMap(data map[string]string) map[string]any {
	out := make(map[string]any, len(data))
	for k, x := range data {
		out[k] = x
	}
	return out
}

// vaultClasses are the Vault errors this feature tells apart.
var vaultClasses = map[error]error{
	vault.ErrVersionMismatch: ErrVersionMismatch,
	vault.ErrNotFound:        ErrNotFound,
	vault.ErrBadCiphertext:   ErrBadCiphertext,
}

func mapVault(err error) error { return vault.Classify(err, vaultClasses) }

func (v *vaultKV) Put(ctx context.Context, path string, data map[string]string, cas int) (int, error) {
	n, err := v.c.PutKV(ctx, v.mount, path, anyMap(data), cas)
	return n, mapVault(err)
}

func (v *vaultKV) Patch(ctx context.Context, path string, data map[string]string, cas int) (int, error) {
	n, err := v.c.PatchKV(ctx, v.mount, path, anyMap(data), cas)
	return n, mapVault(err)
}

func (v *vaultKV) Info(ctx context.Context, path string) (*KVInfo, error) {
	i, err := v.c.KVInfo(ctx, v.mount, path)
	if err != nil {
		return nil, mapVault(err)
	}
	return &KVInfo{Version: i.CurrentVersion, Created: i.Created, Updated: i.Updated, GeneratedBy: i.CustomMetadata[vault.MarkerKey], Deleted: i.Deleted}, nil
}

func (v *vaultKV) List(ctx context.Context, dir string) ([]string, error) {
	names, err := v.c.ListKV(ctx, v.mount, dir)
	return names, mapVault(err)
}

// VaultSealer is a Vault transit key (created as rsa-4096 when missing);
// Vault decrypts, so platbot never holds the private key.
func VaultSealer(c *vault.Client, mount, key string) Sealer {
	return &vaultSealer{c: c, mount: mount, key: key}
}

type vaultSealer struct {
	c          *vault.Client
	mount, key string

	mu      sync.Mutex
	cached  *SealKey
	fetched time.Time
}

func (v *vaultSealer) Describe() string {
	return "Vault transit key " + strings.Trim(v.mount, "/") + "/keys/" + v.key + " at " + v.c.Addr()
}
func (v *vaultSealer) PageLabel() string     { return "Vault's transit key " + v.key }
func (v *vaultSealer) DevelopmentOnly() bool { return false }

// PublicKey returns the key's latest public key, cached for a minute so a
// rotated transit key is picked up soon.
func (v *vaultSealer) PublicKey(ctx context.Context) (*SealKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cached != nil && time.Since(v.fetched) < time.Minute {
		return v.cached, nil
	}
	k, err := v.c.EnsureTransitKey(ctx, v.mount, v.key)
	if err != nil {
		return nil, err
	}
	v.cached, v.fetched = &SealKey{DER: k.PublicKeyDER, Version: k.LatestVersion, Bits: k.PublicKey.N.BitLen()}, time.Now()
	return v.cached, nil
}

func (v *vaultSealer) Decrypt(ctx context.Context, ciphertext string) ([]byte, error) {
	b, err := v.c.TransitDecrypt(ctx, v.mount, v.key, ciphertext)
	return b, mapVault(err)
}

// ---- development-only ----

// DevSealKeyFile is the development key's file in the data folder.
const DevSealKeyFile = "secrets/seal-key.pem"

// DevSealer is an RSA-4096 key generated on first use into
// <dataDir>/secrets/seal-key.pem (mode 0600): the development-only stand-in
// for a Vault transit key. Ciphertexts use Vault's "vault:v1:" form.
func DevSealer(dataDir string) (Sealer, error) {
	p := filepath.Join(dataDir, DevSealKeyFile)
	key, err := loadOrCreateRSA(p)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("secrets: encode the development key: %w", err)
	}
	return &devSealer{key: key, der: der}, nil
}

type devSealer struct {
	key *rsa.PrivateKey
	der []byte
}

// Describe names the key in messages: never its file (a server path has
// no place in Slack).
func (d *devSealer) Describe() string {
	return "a local development key (" + DevLabel + ")"
}
func (d *devSealer) PageLabel() string     { return "platbot's local " + DevLabel + " key" }
func (d *devSealer) DevelopmentOnly() bool { return true }

func (d *devSealer) PublicKey(context.Context) (*SealKey, error) {
	return &SealKey{DER: d.der, Version: 1, Bits: d.key.N.BitLen()}, nil
}

var devCiphertextRe = regexp.MustCompile(`^vault:v1:([A-Za-z0-9+/]+={0,2})$`)

func (d *devSealer) Decrypt(_ context.Context, ciphertext string) ([]byte, error) {
	m := devCiphertextRe.FindStringSubmatch(ciphertext)
	if m == nil {
		return nil, fmt.Errorf("secrets: not a vault:v1 ciphertext of the development key: %w", ErrBadCiphertext)
	}
	ct, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		return nil, fmt.Errorf("secrets: ciphertext is not base64: %w", ErrBadCiphertext)
	}
	plain, err := rsa.DecryptOAEP(sha256.New(), nil, d.key, ct, nil)
	if err != nil {
		return nil, fmt.Errorf("secrets: decrypt with the development key: %w", ErrBadCiphertext)
	}
	return plain, nil
}

func loadOrCreateRSA(p string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return nil, fmt.Errorf("secrets: create %s: %w", filepath.Dir(p), err)
		}
		key, err := rsa.GenerateKey(rand.Reader, 4096)
		if err != nil {
			return nil, fmt.Errorf("secrets: generate the development key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("secrets: encode the development key: %w", err)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return loadOrCreateRSA(p) // another process won the race
		}
		if err != nil {
			return nil, fmt.Errorf("secrets: create the development key %s: %w", p, err)
		}
		werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if cerr := f.Close(); werr != nil || cerr != nil {
			os.Remove(p)
			return nil, fmt.Errorf("secrets: write the development key %s: %w", p, errors.Join(werr, cerr))
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: read the development key: %w", err)
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("secrets: stat the development key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secrets: the development key %s is readable by other users (mode %04o); run chmod 600 on it", p, st.Mode().Perm())
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("secrets: the development key %s is not a PEM private key; delete it to make a new one (values sealed with it stay readable: they are in the store)", p)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("secrets: the development key %s: %w", p, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok || rk.N.BitLen() < 2048 {
		return nil, fmt.Errorf("secrets: the development key %s is not an RSA key of at least 2048 bits", p)
	}
	return rk, nil
}

// DevKV keeps values in the local development-only store
// (integrations/devsecrets), which writes each path once: version 1 lives at
// <mount>/<path> (where the golden paths put theirs) and version N > 1 at
// <mount>/<path>.v<N>.
func DevKV(s *devsecrets.Store, mount string) KV {
	if mount == "" {
		mount = "secret"
	}
	return &devKV{s: s, mount: mount}
}

type devKV struct {
	s     *devsecrets.Store
	mount string
	mu    sync.Mutex
}

// devOwnerPrefix marks values this feature wrote (others were generated by
// a golden path).
const devOwnerPrefix = "platbot-secrets/"

func (d *devKV) Mount() string         { return d.mount }
func (d *devKV) Describe() string      { return devsecrets.Description }
func (d *devKV) DevelopmentOnly() bool { return true }

func (d *devKV) logical(path string, version int) string {
	p := d.mount + "/" + path
	if version > 1 {
		p += ".v" + strconv.Itoa(version)
	}
	return p
}

// file is where devsecrets keeps a logical path (its documented layout).
func (d *devKV) file(logical string) string {
	return filepath.Join(d.s.Dir(), "kv", filepath.FromSlash(logical)+".enc")
}

func (d *devKV) current(path string) (int, time.Time, error) {
	v, mod := 0, time.Time{}
	for {
		st, err := os.Stat(d.file(d.logical(path, v+1)))
		if errors.Is(err, fs.ErrNotExist) {
			return v, mod, nil
		}
		if err != nil {
			return 0, time.Time{}, fmt.Errorf("secrets: %s: %w", d.logical(path, v+1), err)
		}
		v, mod = v+1, st.ModTime()
	}
}

func (d *devKV) Put(ctx context.Context, path string, data map[string]string, cas int) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.put(ctx, path, data, cas)
}

func (d *devKV) put(ctx context.Context, path string, data map[string]string, cas int) (int, error) {
	cur, _, err := d.current(path)
	if err != nil {
		return 0, err
	}
	if cur != cas {
		return 0, fmt.Errorf("secrets: %s/%s is at version %d, not %d: %w", d.mount, path, cur, cas, ErrVersionMismatch)
	}
	owner := devOwnerPrefix + strconv.Itoa(cas+1)
	if _, err := d.s.WriteOnce(ctx, d.logical(path, cas+1), data, owner); err != nil {
		if errors.Is(err, devsecrets.ErrExists) {
			return 0, errors.Join(ErrVersionMismatch, err)
		}
		return 0, err
	}
	return cas + 1, nil
}

func (d *devKV) Patch(ctx context.Context, path string, data map[string]string, cas int) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur, _, err := d.current(path)
	if err != nil {
		return 0, err
	}
	if cur == 0 {
		return 0, fmt.Errorf("secrets: %s/%s: %w", d.mount, path, ErrNotFound)
	}
	old, err := d.s.Read(ctx, d.logical(path, cur))
	if err != nil {
		return 0, err
	}
	merged := make(map[string]string, len(old.Data)+len(data))
	for k, v := range old.Data {
		merged[k] = v
	}
	for k, v := range data {
		merged[k] = v
	}
	return d.put(ctx, path, merged, cas)
}

func (d *devKV) Info(ctx context.Context, path string) (*KVInfo, error) {
	cur, mod, err := d.current(path)
	if err != nil {
		return nil, err
	}
	if cur == 0 {
		return nil, fmt.Errorf("secrets: %s/%s: %w", d.mount, path, ErrNotFound)
	}
	info := &KVInfo{Version: cur, Updated: mod}
	first, err := d.s.Read(ctx, d.logical(path, 1))
	if err != nil {
		return nil, err
	}
	info.Created = first.Created
	if !strings.HasPrefix(first.Owner, devOwnerPrefix) {
		info.GeneratedBy = first.Owner
	}
	return info, nil
}

var devVersionRe = regexp.MustCompile(`\.v[0-9]+$`)

func (d *devKV) List(_ context.Context, dir string) ([]string, error) {
	folder := filepath.Join(d.s.Dir(), "kv", filepath.FromSlash(d.mount+"/"+strings.Trim(dir, "/")))
	entries, err := os.ReadDir(folder)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: list %s: %w", dir, err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		switch {
		case strings.HasPrefix(n, "."):
		case e.IsDir():
			seen[n+"/"] = true
		case strings.HasSuffix(n, ".enc"):
			n = strings.TrimSuffix(n, ".enc")
			if !devVersionRe.MatchString(n) {
				seen[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}
