// Package devsecrets is a local development secret store: the stand-in for
// Vault when none is configured, so golden paths that generate credentials
// work in the shell on a laptop.
//
// Secrets are kept under <data dir>/devsecrets/kv/<mount>/<path>.enc with
// the same path layout as Vault's KV v2 (<mount>/<team>/<service>/<env>/db),
// each file AES-256-GCM encrypted with a key generated on first run into
// <data dir>/devsecrets/key (mode 0600). The file's logical path is the
// additional authenticated data, so a file moved to another path no longer
// decrypts. Policies are written beside them as plain HCL files.
//
// Every message that mentions this store must say it is development-only
// (see Label): it protects secrets at rest on one machine, nothing more.
package devsecrets

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Label is the word every message mentioning this store carries.
const Label = "development-only"

// Description names the store in messages.
const Description = "local development secret store (" + Label + ", not for production)"

// Errors, wrapped by the store's errors.
var (
	// ErrExists means the path already holds a secret written by someone else.
	ErrExists = errors.New("secret already exists")
	// ErrNotFound means no secret is stored at the path.
	ErrNotFound = errors.New("secret not found")
)

const (
	keyFile    = "key"
	fileFormat = byte(1)
)

var segmentRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Store is the encrypted local secret store. It is safe for concurrent use,
// also by several processes sharing the folder (writes are create-once).
type Store struct {
	dir  string
	aead cipher.AEAD
	mu   sync.Mutex
}

// Secret is a stored secret.
type Secret struct {
	Data map[string]string `json:"data"`
	// Owner marks who wrote it (a golden-path run id); see WriteOnce.
	Owner   string    `json:"owner"`
	Created time.Time `json:"created"`
}

// WriteResult says what WriteOnce did.
type WriteResult struct {
	// Created is false when the secret was already written by the same owner.
	Created bool
	Version int
}

// Open opens (or creates) the store under dataDir/devsecrets, generating the
// encryption key on first use.
func Open(dataDir string) (*Store, error) {
	if dataDir == "" {
		return nil, errors.New("devsecrets: need a data folder")
	}
	dir := filepath.Join(dataDir, "devsecrets")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("devsecrets: create %s: %w", dir, err)
	}
	key, err := loadOrCreateKey(filepath.Join(dir, keyFile))
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("devsecrets: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("devsecrets: gcm: %w", err)
	}
	return &Store{dir: dir, aead: aead}, nil
}

// Dir returns the store's folder.
func (s *Store) Dir() string { return s.dir }

func loadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("devsecrets: generate key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			// Another process created it first: use theirs.
			return loadOrCreateKey(path)
		}
		if err != nil {
			return nil, fmt.Errorf("devsecrets: create key %s: %w", path, err)
		}
		_, werr := f.Write([]byte(hex.EncodeToString(key) + "\n"))
		cerr := f.Close()
		if werr != nil || cerr != nil {
			os.Remove(path)
			return nil, fmt.Errorf("devsecrets: write key %s: %w", path, errors.Join(werr, cerr))
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("devsecrets: read key: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("devsecrets: stat key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("devsecrets: key file %s is readable by other users (mode %04o); run chmod 600 on it", path, st.Mode().Perm())
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("devsecrets: key file %s is corrupt (want 64 hex digits); the secrets it encrypted cannot be read without it", path)
	}
	return key, nil
}

// cleanPath checks a logical secret path ("secret/payments/orders-db/dev/db")
// and returns its segments. Paths are confined to the store: no "..", no
// absolute paths, no empty or hidden segments.
func cleanPath(p string) ([]string, error) {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return nil, fmt.Errorf("devsecrets: bad path %q: want segments separated by /", p)
	}
	segs := strings.Split(p, "/")
	for _, s := range segs {
		if !segmentRe.MatchString(s) || s == "." || s == ".." {
			return nil, fmt.Errorf("devsecrets: bad path %q: segment %q must be letters, digits, '.', '_' or '-' and not start with a dot", p, s)
		}
	}
	return segs, nil
}

func (s *Store) file(segs []string) string {
	return filepath.Join(append([]string{s.dir, "kv"}, segs...)...) + ".enc"
}

func aad(p string) []byte { return []byte("platbot-devsecrets:v1:" + p) }

// Read returns the secret at a logical path.
func (s *Store) Read(_ context.Context, p string) (*Secret, error) {
	segs, err := cleanPath(p)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.file(segs))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("devsecrets: %s: %w", p, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("devsecrets: read %s: %w", p, err)
	}
	ns := s.aead.NonceSize()
	if len(b) < 1+ns || b[0] != fileFormat {
		return nil, fmt.Errorf("devsecrets: %s: unknown file format", p)
	}
	plain, err := s.aead.Open(nil, b[1:1+ns], b[1+ns:], aad(p))
	if err != nil {
		return nil, fmt.Errorf("devsecrets: %s: cannot decrypt (wrong key or tampered file)", p)
	}
	var sec Secret
	if err := json.Unmarshal(plain, &sec); err != nil {
		return nil, fmt.Errorf("devsecrets: %s: decode: %w", p, err)
	}
	return &sec, nil
}

// WriteOnce stores data at a logical path unless a secret is already there.
// A secret already written by the same owner is left alone (Created false),
// so a retried or resumed golden-path step never writes twice; one written
// by another owner fails with ErrExists.
func (s *Store) WriteOnce(ctx context.Context, p string, data map[string]string, owner string) (WriteResult, error) {
	segs, err := cleanPath(p)
	if err != nil {
		return WriteResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return WriteResult{}, fmt.Errorf("devsecrets: write %s: %w", p, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if existing, err := s.Read(ctx, p); err == nil {
		if existing.Owner == owner && owner != "" {
			return WriteResult{Created: false, Version: 1}, nil
		}
		return WriteResult{}, fmt.Errorf("devsecrets: %s was written by %q: %w", p, existing.Owner, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return WriteResult{}, err
	}
	plain, err := json.Marshal(Secret{Data: data, Owner: owner, Created: time.Now().UTC()})
	if err != nil {
		return WriteResult{}, fmt.Errorf("devsecrets: encode: %w", err)
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return WriteResult{}, fmt.Errorf("devsecrets: nonce: %w", err)
	}
	out := append([]byte{fileFormat}, nonce...)
	out = s.aead.Seal(out, nonce, plain, aad(p))
	final := s.file(segs)
	if err := createOnce(final, out); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return WriteResult{}, fmt.Errorf("devsecrets: %s was written concurrently: %w", p, ErrExists)
		}
		return WriteResult{}, fmt.Errorf("devsecrets: write %s: %w", p, err)
	}
	return WriteResult{Created: true, Version: 1}, nil
}

// createOnce writes content to a temporary file and links it to path, which
// fails with fs.ErrExist when path exists: an atomic create-if-absent.
func createOnce(path string, content []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}

// PutPolicy stores a policy document (Vault HCL) by name, replacing an
// earlier one; policies hold no secrets and are stored in the clear.
func (s *Store) PutPolicy(_ context.Context, name, rules string) error {
	if !segmentRe.MatchString(name) {
		return fmt.Errorf("devsecrets: bad policy name %q", name)
	}
	dir := filepath.Join(s.dir, "policies")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("devsecrets: policy %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("devsecrets: policy %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(rules)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		return fmt.Errorf("devsecrets: policy %s: %w", name, errors.Join(werr, cerr))
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name+".hcl")); err != nil {
		return fmt.Errorf("devsecrets: policy %s: %w", name, err)
	}
	return nil
}

// Policy returns a stored policy document.
func (s *Store) Policy(_ context.Context, name string) (string, error) {
	if !segmentRe.MatchString(name) {
		return "", fmt.Errorf("devsecrets: bad policy name %q", name)
	}
	b, err := os.ReadFile(filepath.Join(s.dir, "policies", name+".hcl"))
	if err != nil {
		return "", fmt.Errorf("devsecrets: policy %s: %w", name, err)
	}
	return string(b), nil
}
