package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ChainKey keys the audit hash chain and signs its anchors. Its secret must
// live outside the database (a key file with its own permissions, or a
// Vault transit key): someone who can rewrite the database but does not hold
// the key can then no longer recompute a consistent chain.
//
// The store calls MAC once at Open to derive the key that chains the rows
// (so appending stays a local HMAC-SHA256, fast enough for the group-commit
// writer), and once per anchor (see Anchorer). MAC must be deterministic:
// the same data always gives the same digest.
type ChainKey interface {
	// KeyID names the key without revealing it; it is recorded in the
	// chain's boundary record and in every anchor.
	KeyID() string
	// MAC returns a keyed digest of data.
	MAC(ctx context.Context, data []byte) ([]byte, error)
}

// ErrNoChainKey is returned when the audit chain is keyed but the store was
// opened without WithChainKey.
var ErrNoChainKey = errors.New("the audit chain is keyed: open the store with its chain key (WithChainKey)")

// Labels the row key and the boundary MAC are derived under, so one
// ChainKey never produces the same digest for two purposes.
const (
	rowKeyLabel   = "platbot-audit-chain-row-key-v1"
	anchorLabel   = "platbot-audit-anchor-v1"
	boundaryLabel = "platbot-audit-boundary-v1"
	keyIDLabel    = "platbot-audit-chain-key-id-v1"
)

// WithChainKey keys the audit chain with k. Open derives the row key with
// one call to k.MAC; a store opened on a log that is not keyed yet records
// the boundary (the current head, from which rows are keyed) on Open.
// Without it, a store appends unkeyed rows to a log that was never keyed
// and refuses to append to a keyed one (ErrNoChainKey).
func WithChainKey(k ChainKey) Option {
	return func(s *Store) { s.chainKey = k }
}

// chainKeySize is the length of a chain key file's key.
const chainKeySize = 32

// FileChainKey is a ChainKey held in a local file: 32 random bytes, hex.
type FileChainKey struct {
	key []byte
	id  string
}

// KeyID returns "file:" and a fingerprint of the key (a keyed digest of a
// fixed label, which reveals nothing about the key).
func (k *FileChainKey) KeyID() string { return k.id }

// MAC returns HMAC-SHA256 of data under the key.
func (k *FileChainKey) MAC(_ context.Context, data []byte) ([]byte, error) {
	m := hmac.New(sha256.New, k.key)
	m.Write(data)
	return m.Sum(nil), nil
}

// NewFileChainKey returns the chain key held in key (for tests and callers
// that hold the bytes already); it must be 32 bytes.
func NewFileChainKey(key []byte) (*FileChainKey, error) {
	if len(key) != chainKeySize {
		return nil, fmt.Errorf("chain key is %d bytes, want %d", len(key), chainKeySize)
	}
	k := &FileChainKey{key: append([]byte(nil), key...)}
	fp, _ := k.MAC(context.Background(), []byte(keyIDLabel))
	k.id = "file:" + hex.EncodeToString(fp[:8])
	return k, nil
}

// LoadChainKeyFile reads the chain key at path. When the file does not exist
// and create is true it generates one (mode 0600, its folder 0700); when
// create is false a missing file is an error that says so. A key file that
// its group or others may read or write is refused, as is one that is not a
// regular file.
func LoadChainKeyFile(path string, create bool) (*FileChainKey, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, fmt.Errorf("audit chain key %s does not exist: verifying needs the key the log was written with (audit.chainKeyFile, PLATBOT_AUDIT_CHAIN_KEY_FILE)", path)
		}
		return createChainKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("audit chain key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("audit chain key %s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("audit chain key %s has mode %04o: it must be readable by its owner only (chmod 600 %s)", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit chain key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != chainKeySize {
		return nil, fmt.Errorf("audit chain key %s is corrupt: want %d bytes as hex on one line", path, chainKeySize)
	}
	return NewFileChainKey(key)
}

func createChainKeyFile(path string) (*FileChainKey, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit chain key: create folder: %w", err)
	}
	key := make([]byte, chainKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("audit chain key: generate: %w", err)
	}
	// O_EXCL: two processes starting together must not write two keys.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadChainKeyFile(path, false)
	}
	if err != nil {
		return nil, fmt.Errorf("audit chain key: %w", err)
	}
	_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
	serr := f.Sync()
	if cerr := f.Close(); werr == nil && serr == nil {
		werr = cerr
	} else if werr == nil {
		werr = serr
	}
	if werr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("audit chain key: write %s: %w", path, werr)
	}
	return NewFileChainKey(key)
}

// labelled encodes a label and fields unambiguously ("<label>\n" then each
// field as "<byte length>:<bytes>\n"), the input of the boundary and anchor
// MACs.
func labelled(label string, fields ...string) []byte {
	var b bytes.Buffer
	b.WriteString(label)
	b.WriteByte('\n')
	for _, f := range fields {
		fmt.Fprintf(&b, "%d:%s\n", len(f), f)
	}
	return b.Bytes()
}
