package vault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

func TestClassifyMapsSentinelsKeepingTheText(t *testing.T) {
	errTaken := errors.New("caller: taken")
	errGone := errors.New("caller: gone")
	errDown := errors.New("caller: down")
	classes := map[error]error{ErrExists: errTaken, ErrNotFound: errGone, ErrUnavailable: errDown}

	if Classify(nil, classes) != nil {
		t.Fatal("nil must stay nil")
	}
	plain := errors.New("vault: something else")
	if got := Classify(plain, classes); got != plain {
		t.Fatalf("an unclassified error must come back as it is, got %v", got)
	}
	denied := fmt.Errorf("vault: put: %w", ErrDenied)
	if got := Classify(denied, classes); got != denied {
		t.Fatalf("a sentinel the caller does not map must come back as it is, got %v", got)
	}

	exists := fmt.Errorf("vault: secret/a already holds a secret: %w", ErrExists)
	got := Classify(exists, classes)
	if !errors.Is(got, errTaken) || !errors.Is(got, ErrExists) || errors.Is(got, errGone) || errors.Is(got, errDown) {
		t.Fatalf("Classify(exists) = %v: want the caller's class and the original", got)
	}
	if got.Error() != exists.Error() {
		t.Fatalf("text %q, want the original %q", got.Error(), exists.Error())
	}
}

// The client's own errors are what Classify sees: a Vault nobody listens on
// is ErrUnavailable, mapped to the caller's class with the client's text.
func TestClassifyOnAClientError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	c, err := New(Config{Addr: addr, Token: "t", MaxRetries: -1, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	errDown := errors.New("caller: down")
	perr := c.PutPolicy(context.Background(), "p", `path "x" {}`)
	got := Classify(perr, map[error]error{ErrUnavailable: errDown})
	if !errors.Is(got, errDown) || got.Error() != perr.Error() {
		t.Fatalf("Classify(%v) = %v", perr, got)
	}
}
