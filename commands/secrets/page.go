package secrets

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/platbot/platbot/bot/httpguard"
)

//go:embed static/seal.js static/seal.css
var staticFiles embed.FS

// Prefix is where the lead mounts Handler on the serve mux.
const Prefix = "/seal/"

// maxBody bounds a submission's body.
const maxBody = 16 << 10

// maxPageInFlight bounds the sealing page's requests served at once; one
// more is answered 503 before anything is read.
const maxPageInFlight = 64

// contentSecurityPolicy lets the page run only its own script, talk only to
// platbot, submit only to platbot, and never be framed.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; img-src 'self'"

// Handler serves the sealing page: GET|HEAD /seal/<token> shows it,
// POST /seal/<token> takes a ciphertext (JSON {"ciphertext": "vault:v1:…"}),
// and /seal/static/ serves its script and style sheet. Mount it at Prefix.
// At most maxPageInFlight requests are served at once.
func (s *Secrets) Handler() http.Handler {
	return httpguard.Wrap(http.HandlerFunc(s.serveHTTP), s.inflight, func(r *http.Request) {
		s.metrics.requests.WithLabelValues("busy").Inc()
		s.log.Warn("sealing page: request refused, too many in flight", "limit", s.inflight.Cap(), "remote", r.RemoteAddr)
	})
}

func (s *Secrets) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	defer func() {
		if v := recover(); v != nil {
			// Never log the panic's value: it could hold request data.
			s.log.Error("the sealing page panicked; nothing was stored", "path_kind", pathKind(r.URL.Path))
			writeJSONOrPage(w, r, &refusal{status: http.StatusInternalServerError, title: "Something went wrong",
				msg: "platbot could not handle this request. Nothing was stored. Try again, or ask the platform team."})
		}
	}()

	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	if rest == r.URL.Path {
		rest = strings.TrimPrefix(r.URL.Path, "/")
	}
	if name, ok := strings.CutPrefix(rest, "static/"); ok {
		s.serveStatic(w, r, name)
		return
	}
	if rest == "" || strings.Contains(rest, "/") {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.servePage(w, r, rest)
	case http.MethodPost:
		s.serveSeal(w, r, rest)
	default:
		h.Set("Allow", "GET, HEAD, POST")
		writeJSONOrPage(w, r, &refusal{status: http.StatusMethodNotAllowed, title: "Method not allowed",
			msg: "This page takes GET to show it and POST to seal a value."})
	}
}

func pathKind(p string) string {
	if strings.Contains(p, "/static/") {
		return "static"
	}
	return "seal"
}

func (s *Secrets) serveStatic(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if name != "seal.js" && name != "seal.css" {
		http.NotFound(w, r)
		return
	}
	b, err := staticFiles.ReadFile("static/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := "text/css; charset=utf-8"
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Write(b)
}

func (s *Secrets) servePage(w http.ResponseWriter, r *http.Request, token string) {
	_, remote := s.limit.proxies.client(r)
	info, err := s.page(r.Context(), token, remote)
	if err != nil {
		writePage(w, refusalOf(err))
		return
	}
	ch := info.change
	data := pageData{
		Title:       "Seal a secret",
		User:        ch.Requester.String(),
		Op:          ch.Op,
		Service:     ch.Target.Service,
		Env:         ch.Target.Env,
		Name:        ch.Target.Name,
		Description: ch.Description,
		Destination: s.kv.Mount() + "/" + ch.Target.Path,
		Store:       s.storeLabel(),
		Sealer:      s.sealer.PageLabel(),
		Expires:     formatTime(ch.Expires),
		ExpiresIn:   expiresIn(ch.Expires.Sub(s.now())),
		Key:         base64.StdEncoding.EncodeToString(info.key.DER),
		KeyVersion:  info.key.Version,
		Binding:     ch.ID,
		MaxBytes:    maxValueBytes(info.key.Bits, ch.ID),
		DevOnly:     s.devOnly(),
		DevLabel:    DevLabel,
	}
	if ch.Op == OpRotate {
		data.Title = "Rotate a secret"
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, data); err != nil {
		s.log.Error("render the sealing page", "err", err)
		writePage(w, &refusal{status: http.StatusInternalServerError, title: "Something went wrong", msg: "The page could not be shown. Nothing was stored."})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// submission is the body the page posts.
type submission struct {
	Ciphertext string `json:"ciphertext"`
}

func (s *Secrets) serveSeal(w http.ResponseWriter, r *http.Request, token string) {
	key, remote := s.limit.proxies.client(r)
	if !s.limit.allow(key) {
		s.metrics.requests.WithLabelValues("rate_limited").Inc()
		s.log.Debug("sealing page: too many submissions", "remote", remote)
		w.Header().Set("Retry-After", "60")
		writeJSON(w, &refusal{status: http.StatusTooManyRequests, title: "Too many attempts",
			msg: "Too many submissions came from your address in the last minute. Nothing was stored; the link still works. Wait a minute and try again."})
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		writeJSON(w, &refusal{status: http.StatusUnsupportedMediaType, title: "This page needs JavaScript",
			msg: "The value is encrypted in your browser before it is sent, which needs JavaScript. Nothing was sent or stored."})
		return
	}
	body, err := httpguard.ReadBody(w, r, maxBody, nil)
	if err != nil {
		if errors.Is(err, httpguard.ErrTooLarge) {
			writeJSON(w, &refusal{status: http.StatusRequestEntityTooLarge, title: "Too large", msg: "The submission is larger than a sealed value can be. Nothing was stored."})
			return
		}
		writeJSON(w, &refusal{status: http.StatusBadRequest, title: "Incomplete submission", msg: "The submission did not arrive whole. Nothing was stored; try again."})
		return
	}
	var sub submission
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sub); err != nil {
		zero(body)
		writeJSON(w, &refusal{status: http.StatusBadRequest, title: "That is not an encrypted value",
			msg: "The page sends {\"ciphertext\": \"vault:v1:…\"}; this was something else. Nothing was stored."})
		return
	}
	zero(body)
	res, err := s.seal(r.Context(), token, sub.Ciphertext, remote)
	if err != nil {
		writeJSON(w, refusalOf(err))
		return
	}
	s.metrics.requests.WithLabelValues("sealed").Inc()
	t := res.change.Target
	msg := "Sealed: " + t.Name + " for " + t.Service + " (" + t.Env + ") is stored as version " + strconv.Itoa(res.version) +
		" in the " + s.storeLabel() + ". platbot tells you in Slack when the pull request is open. You can close this page."
	writeJSONStatus(w, http.StatusOK, map[string]any{"ok": true, "title": "Sealed", "message": msg, "version": res.version})
}

// refusalOf turns any error into what the page says: a refusal as is,
// anything else as a generic failure (its text goes to the log only).
func refusalOf(err error) *refusal {
	var r *refusal
	if errors.As(err, &r) {
		return r
	}
	return &refusal{status: http.StatusInternalServerError, title: "Something went wrong",
		msg: "platbot could not handle this request. Nothing was stored; try again in a minute."}
}

func writeJSON(w http.ResponseWriter, r *refusal) {
	writeJSONStatus(w, r.status, map[string]any{"ok": false, "title": r.title, "message": r.msg})
}

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeJSONOrPage(w http.ResponseWriter, r *http.Request, ref *refusal) {
	if r.Method == http.MethodPost {
		writeJSON(w, ref)
		return
	}
	writePage(w, ref)
}

func writePage(w http.ResponseWriter, r *refusal) {
	var buf bytes.Buffer
	if err := errorTmpl.Execute(&buf, r.view()); err != nil {
		http.Error(w, r.title, r.status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(r.status)
	w.Write(buf.Bytes())
}

func (r *refusal) view() map[string]string {
	return map[string]string{"Title": r.title, "Message": r.msg}
}

type pageData struct {
	Title, User, Op, Service, Env, Name, Description string
	Destination, Store, Sealer, Expires, ExpiresIn   string
	Key                                              string
	KeyVersion                                       int
	Binding                                          string
	MaxBytes                                         int
	DevOnly                                          bool
	DevLabel                                         string
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>{{.Title}} · platbot</title>
<link rel="stylesheet" href="/seal/static/seal.css">
</head>
<body>
<main>
<h1>{{.Title}}: {{.Name}}</h1>
{{if .DevOnly}}<p class="dev" id="dev-only"><strong>{{.DevLabel}}</strong>: no Vault is configured. The value goes to the {{.Store}}, encrypted with a local key. Do not use production secrets here.</p>{{end}}
<p>This one-time link was issued to <strong id="seal-user">{{.User}}</strong>. If that is not you, close this page and tell them.</p>
<dl>
<dt>Service</dt><dd id="seal-service">{{.Service}}</dd>
<dt>Environment</dt><dd id="seal-env">{{.Env}}</dd>
<dt>Name</dt><dd id="seal-name">{{.Name}}</dd>
{{if .Description}}<dt>Description</dt><dd>{{.Description}}</dd>{{end}}
<dt>Stored at</dt><dd>{{.Destination}}</dd>
<dt>Link expires</dt><dd>{{.Expires}} (in {{.ExpiresIn}})</dd>
</dl>
<form id="seal-form" method="post" autocomplete="off" data-key="{{.Key}}" data-key-version="{{.KeyVersion}}" data-binding="{{.Binding}}" data-max-bytes="{{.MaxBytes}}">
<label for="secret-value">Value of {{.Name}}</label>
<input id="secret-value" type="password" autocomplete="off" autocapitalize="off" spellcheck="false" required>
<div id="seal-count"></div>
<button id="seal-submit" type="submit">Encrypt and seal</button>
</form>
<p id="seal-status" role="status" aria-live="polite"></p>
<noscript><p class="error">This page needs JavaScript: your browser encrypts the value before it is sent. Nothing is sent without it.</p></noscript>
<p class="note">Your browser encrypts the value with the public key of {{.Sealer}} (RSA-OAEP, SHA-256) and sends only the ciphertext; platbot has it decrypted and writes it straight to the {{.Store}}. It never passes through Slack, logs, platbot's database or a pull request. The link works once.</p>
</main>
<script src="/seal/static/seal.js"></script>
</body>
</html>
`))

var errorTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>{{.Title}} · platbot</title>
<link rel="stylesheet" href="/seal/static/seal.css">
</head>
<body>
<main>
<h1 id="seal-error">{{.Title}}</h1>
<p>{{.Message}}</p>
</main>
</body>
</html>
`))
