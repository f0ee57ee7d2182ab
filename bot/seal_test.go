package bot

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestSealerRoundTripAndBinding(t *testing.T) {
	key := bytes.Repeat([]byte{7}, SealKeySize)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Seal([]byte("hunter2"), "run-1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Seal([]byte("hunter2"), "run-1")
	if a == b {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	if strings.Contains(a, "hunter2") {
		t.Fatalf("sealed value shows the plaintext: %s", a)
	}
	got, err := s.Open(a, "run-1")
	if err != nil || string(got) != "hunter2" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(a, "run-2"); !errors.Is(err, ErrSealed) {
		t.Fatalf("Open with another aad: %v, want ErrSealed", err)
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, SealKeySize))
	if _, err := other.Open(a, "run-1"); !errors.Is(err, ErrSealed) {
		t.Fatalf("Open with another key: %v, want ErrSealed", err)
	}
	tampered := []byte(a)
	tampered[len(tampered)-3] ^= 1
	if _, err := s.Open(string(tampered), "run-1"); !errors.Is(err, ErrSealed) {
		t.Fatalf("Open of an altered value: %v, want ErrSealed", err)
	}
	for _, bad := range []string{"", "hunter2", "s1.", "s1.!!!"} {
		if _, err := s.Open(bad, "run-1"); !errors.Is(err, ErrSealed) {
			t.Errorf("Open(%q): %v, want ErrSealed", bad, err)
		}
	}
}

func TestNewSealerRejectsShortKey(t *testing.T) {
	if _, err := NewSealer(make([]byte, 16)); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("NewSealer(16 bytes) = %v, want a size error", err)
	}
}

func TestParseSealKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, SealKeySize)
	for _, text := range []string{
		hex.EncodeToString(key) + "\n",
		base64.StdEncoding.EncodeToString(key),
		"  " + base64.RawURLEncoding.EncodeToString(key) + "  ",
	} {
		got, err := ParseSealKey(text)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseSealKey(%q) = %x, %v", text, got, err)
		}
	}
	for _, bad := range []string{"", "short", base64.StdEncoding.EncodeToString(key[:16])} {
		if _, err := ParseSealKey(bad); err == nil {
			t.Errorf("ParseSealKey(%q) accepted", bad)
		}
	}
}

func TestRandomSealersDiffer(t *testing.T) {
	a, b := NewRandomSealer(), NewRandomSealer()
	v, _ := a.Seal([]byte("x"), "")
	if _, err := b.Open(v, ""); err == nil {
		t.Fatal("two random sealers share a key")
	}
}
