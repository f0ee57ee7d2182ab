package slackfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sign returns the X-Slack-Request-Timestamp and X-Slack-Signature values
// Slack would send with body at time ts.
func Sign(secret string, body []byte, ts time.Time) (timestamp, signature string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return timestamp, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest builds a POST of body to target signed with secret at ts,
// the way Slack sends it: form-encoded for commands and interactions, JSON
// for paths ending in "/events". A target that is a path ("/slack/commands")
// gives a server-side request for calling a handler's ServeHTTP directly; a
// full URL gives a client request for http.Client.Do. Like
// httptest.NewRequest it panics on a malformed target.
func SignedRequest(secret, target string, body []byte, ts time.Time) *http.Request {
	var req *http.Request
	if strings.HasPrefix(target, "/") {
		req = httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	} else {
		var err error
		req, err = http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			panic("slackfake: bad target URL: " + err.Error())
		}
	}
	ct := "application/x-www-form-urlencoded"
	if strings.HasSuffix(strings.TrimRight(pathOf(target), "/"), "/events") {
		ct = "application/json"
	}
	req.Header.Set("Content-Type", ct)
	timestamp, sig := Sign(secret, body, ts)
	req.Header.Set("X-Slack-Request-Timestamp", timestamp)
	req.Header.Set("X-Slack-Signature", sig)
	return req
}

func pathOf(target string) string {
	if u, err := url.Parse(target); err == nil {
		return u.Path
	}
	return target
}

// CommandBody is the form body of a slash command. Fields not given get
// plausible values: command "/plat", team "T0FAKE", channel "C0FAKE",
// user_name = user_id.
func CommandBody(fields map[string]string) []byte {
	q := url.Values{
		"command": {"/plat"}, "team_id": {"T0FAKE"}, "team_domain": {"fake"},
		"channel_id": {"C0FAKE"}, "channel_name": {"general"}, "api_app_id": {"A0FAKE"},
	}
	for k, v := range fields {
		q.Set(k, v)
	}
	if q.Get("user_name") == "" {
		q.Set("user_name", q.Get("user_id"))
	}
	return []byte(q.Encode())
}

// InteractionBody is the form body of an interactivity request: payload=
// the JSON of p (a []byte, string or json.RawMessage is used as is). It
// panics when p cannot be encoded as JSON.
func InteractionBody(p any) []byte {
	var raw []byte
	switch v := p.(type) {
	case []byte:
		raw = v
	case json.RawMessage:
		raw = v
	case string:
		raw = []byte(v)
	default:
		var err error
		if raw, err = json.Marshal(p); err != nil {
			panic("slackfake: encode interaction: " + err.Error())
		}
	}
	return []byte(url.Values{"payload": {string(raw)}}.Encode())
}

// BareCommand is the baseline of the HTTP benchmarks: a plain net/http
// handler that reads a slash command's body (at most 64 KiB), parses the
// form and answers 200, doing none of the bot's work.
func BareCommand(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if _, err := url.ParseQuery(string(body)); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
}
