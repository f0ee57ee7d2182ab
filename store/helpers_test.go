package store

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/bottest/stdtest"
)

var testKey = []byte("test-audit-key-0123456789abcdef")

// testChainKey keys the audit chain of test stores.
var testChainKey = mustChainKey("test-audit-chain-key-0123456789a")

func mustChainKey(key string) *FileChainKey {
	k, err := NewFileChainKey([]byte(key))
	if err != nil {
		panic(err)
	}
	return k
}

// openTest opens a store in a fresh temp folder with the test audit and
// chain keys and a clock; it is closed when the test ends.
func openTest(t testing.TB, opts ...Option) (*Store, *stdtest.Clock, string) {
	t.Helper()
	c := stdtest.NewClock(time.Time{})
	path := filepath.Join(t.TempDir(), "platbot.db")
	all := append([]Option{WithAuditKey(testKey), WithChainKey(testChainKey), WithClock(c.Now),
		WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil)))}, opts...)
	s, err := Open(context.Background(), path, all...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, c, path
}

// testWriter sends log output to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// exec runs raw SQL through the writer (tests tampering with the tables).
func exec(t *testing.T, s *Store, q string, args ...any) {
	t.Helper()
	err := s.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(q, args...)
		return err
	})
	if err != nil {
		t.Fatalf("exec %q: %v", q, err)
	}
}
