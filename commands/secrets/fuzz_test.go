package secrets

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/store"
)

// fuzzCanary stands for a secret value in submissions: no answer or log
// line may repeat it.
const fuzzCanary = "s3cr3t-canary-value"

// fuzzSealer is the sealing page over the development backends, with a
// 2048-bit key written up front (generating the 4096-bit default for every
// fuzzing worker would take most of the time budget).
type fuzzSealer struct {
	sec    *Secrets
	kv     KV
	msgr   *bottest.Messenger
	logs   *bottest.LogBuffer
	target Target
	seq    int
}

func newFuzzSealer(f *testing.F) *fuzzSealer {
	dir := f.TempDir()
	dataDir := filepath.Join(dir, "data")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		f.Fatal(err)
	}
	keyFile := filepath.Join(dataDir, DevSealKeyFile)
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		f.Fatal(err)
	}
	fs := &fuzzSealer{logs: &bottest.LogBuffer{}, msgr: bottest.NewMessenger()}
	log := slog.New(slog.NewTextHandler(fs.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "platbot.db"), store.WithAuditKey([]byte("0123456789abcdef0123456789abcdef")), store.WithLogger(log))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	cfg := DefaultConfig()
	cfg.DataDir = dataDir
	var sealer Sealer
	dev, err := devsecrets.Open(dataDir)
	if err != nil {
		f.Fatal(err)
	}
	fs.kv, sealer, err = NewBackends(cfg, nil, dev, log)
	if err != nil {
		f.Fatal(err)
	}
	cat := newCatalog(f)
	fs.sec, err = New(cfg, Deps{Store: st, Catalog: cat, KV: fs.kv, Sealer: sealer, Publisher: failingPublisher{}, Logger: log})
	if err != nil {
		f.Fatal(err)
	}
	r := bot.NewRouter(bot.RouterOptions{Policy: teamPolicy(cat), Audit: st, Queue: st, Logger: log, Version: "test"})
	r.SetMessenger(bot.TransportShell, fs.msgr)
	install(f, fs.sec, r)
	svc, ok := cat.Get("orders-service")
	if !ok {
		f.Fatal("no orders-service in the test catalog")
	}
	if fs.target, err = fs.sec.targetOf(svc, "dev", "STRIPE_KEY", true); err != nil {
		f.Fatal(err)
	}
	return fs
}

// link issues a fresh one-time link for the target and returns its token.
func (fs *fuzzSealer) link(t *testing.T) string {
	fs.seq++
	req := &bot.Request{ID: fmt.Sprintf("fuzz-%d", fs.seq), Transport: bot.TransportShell, User: bot.User{ID: userJane, Name: "jane"}, Channel: "C-dev", Flags: bot.Flags{}}
	req.Bind(fs.msgr)
	if err := fs.sec.sendLink(context.Background(), req, OpAdd, fs.target, "fuzzing", 0); err != nil {
		t.Fatal(err)
	}
	for i := len(fs.msgr.Sent()) - 1; i >= 0; i-- {
		if l := linkIn(fs.msgr.Sent()[i].Text()); l != "" {
			return tokenOf(l)
		}
	}
	t.Fatal("no link sent")
	return ""
}

// FuzzSealSubmission posts arbitrary submissions to the sealing page: any
// token (or a fresh, valid one), content type and body. No submission can
// carry a ciphertext of the link's binding, so each must be refused: a
// JSON answer with a 4xx status (or 503), a title and a message, nothing
// in the KV store, and neither the answer nor the log may repeat the token
// or a value the submission carried.
func FuzzSealSubmission(f *testing.F) {
	f.Add(true, "", "application/json", []byte(`{"ciphertext":"vault:v1:`+strings.Repeat("QUJD", 86)+`"}`))
	f.Add(true, "", "application/json; charset=utf-8", []byte(`{"ciphertext":"vault:v1:czNjcjN0LWNhbmFyeS12YWx1ZQ=="}`))
	f.Add(true, "", "application/json", []byte(`{"ciphertext":"`+fuzzCanary+`"}`))
	f.Add(true, "", "application/json", []byte(`{"ciphertext":"vault:v1:x","value":"`+fuzzCanary+`"}`))
	f.Add(true, "", "application/x-www-form-urlencoded", []byte("value="+fuzzCanary))
	f.Add(true, "", "application/json", []byte(`{"ciphertext":"vault:v2:AAAA"}{"ciphertext":"`+fuzzCanary+`"}`))
	f.Add(false, "0123456789abcdef01234567.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "application/json", []byte(`{"ciphertext":"vault:v1:AAAA"}`))
	f.Add(false, "../static/seal.js", "application/json", []byte(`{}`))
	f.Add(false, "", "text/plain", []byte(fuzzCanary))
	fs := newFuzzSealer(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, useLink bool, token, contentType string, body []byte) {
		if useLink {
			token = fs.link(t)
		}
		logStart := len(fs.logs.String())
		fs.seq++
		req := &http.Request{
			Method: http.MethodPost, URL: &url.URL{Path: Prefix + token}, Header: http.Header{"Content-Type": {contentType}},
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
			// A new address each time: the per-address limit is not under test.
			RemoteAddr: fmt.Sprintf("10.%d.%d.%d:40000", fs.seq>>16&255, fs.seq>>8&255, fs.seq&255),
		}
		req = req.WithContext(ctx)
		rec := httptest.NewRecorder()
		fs.sec.Handler().ServeHTTP(rec, req)

		switch {
		case rec.Code == http.StatusNotFound && (token == "" || strings.Contains(token, "/")):
			return // not a sealing link at all
		case rec.Code >= 400 && rec.Code < 500, rec.Code == http.StatusServiceUnavailable:
		default:
			t.Fatalf("answered %d: %s", rec.Code, rec.Body)
		}
		var answer struct {
			OK             bool
			Title, Message string
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.OK || answer.Title == "" || answer.Message == "" {
			t.Fatalf("answer %d is not a JSON refusal: %q", rec.Code, rec.Body)
		}
		out := rec.Body.String() + fs.logs.String()[logStart:]
		if useLink && strings.Contains(out, token) {
			t.Fatalf("the token is in the answer or the log: %s", out)
		}
		if bytes.Contains(body, []byte(fuzzCanary)) && strings.Contains(out, fuzzCanary) {
			t.Fatalf("the submitted value is in the answer or the log: %s", out)
		}
		if _, err := fs.kv.Info(ctx, fs.target.Path); !errors.Is(err, ErrNotFound) {
			t.Fatalf("something was stored (or the store failed): %v", err)
		}
	})
}
