package bot

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Sealer encrypts values that must survive a round trip or a restart but may
// never be stored in the clear (secret form fields in job payloads and
// private_metadata, secret parameters of durable runs). aad binds a sealed
// value to its use (e.g. a run id): opening it with another aad fails.
type Sealer interface {
	Seal(plaintext []byte, aad string) (string, error)
	Open(sealed string, aad string) ([]byte, error)
}

// SealKeySize is the length of a Sealer key in bytes (AES-256).
const SealKeySize = 32

// sealPrefix versions the sealed format, so a later key rotation or
// algorithm can tell its values apart.
const sealPrefix = "s1."

// ErrSealed is returned (wrapped) when a sealed value cannot be opened: it
// was sealed with another key (a restart with a per-process key), for
// another use, or was altered.
var ErrSealed = errors.New("sealed value cannot be opened")

// NewSealer returns a Sealer using AES-256-GCM with a random nonce per value;
// key must be SealKeySize bytes.
func NewSealer(key []byte) (Sealer, error) {
	if len(key) != SealKeySize {
		return nil, fmt.Errorf("seal key must be %d bytes, got %d", SealKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return &gcmSealer{aead: aead}, nil
}

// NewRandomSealer returns a Sealer with a fresh random key: values it seals
// cannot be opened after the process exits.
func NewRandomSealer() Sealer {
	key := make([]byte, SealKeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails; it aborts the process instead
	s, err := NewSealer(key)
	if err != nil {
		panic(err) // unreachable: the key has the right size
	}
	return s
}

// ParseSealKey decodes a seal key written as 64 hex digits or as standard
// or URL-safe base64 of 32 bytes (surrounding white space ignored), the way
// a key file holds it.
func ParseSealKey(text string) ([]byte, error) {
	s := strings.TrimSpace(text)
	if len(s) == 2*SealKeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == SealKeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("seal key must be %d random bytes written as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)", SealKeySize)
}

type gcmSealer struct{ aead cipher.AEAD }

// Seal encrypts plaintext bound to aad; the result is printable ASCII.
func (s *gcmSealer) Seal(plaintext []byte, aad string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails; it aborts the process instead
	out := s.aead.Seal(nonce, nonce, plaintext, []byte(aad))
	return sealPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed for the same aad.
func (s *gcmSealer) Open(sealed string, aad string) ([]byte, error) {
	body, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: unknown format", ErrSealed)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, fmt.Errorf("%w: malformed", ErrSealed)
	}
	n := s.aead.NonceSize()
	pt, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("%w: wrong key, wrong use or altered", ErrSealed)
	}
	return pt, nil
}
