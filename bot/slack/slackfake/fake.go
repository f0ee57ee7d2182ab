// Package slackfake is a recording fake of the Slack Web API on loopback,
// for tests. It speaks the real request and response shapes of the methods
// platbot uses (auth.test, chat.postMessage, chat.update,
// chat.postEphemeral, chat.unfurl, conversations.open, conversations.list,
// conversations.history (with message metadata), views.open,
// views.update, views.publish, users.info, the
// external file upload flow, apps.connections.open with a Socket Mode
// websocket) and of response_url replies, records every call with its
// parameters and parsed blocks, and can inject failures (HTTP 429 with
// Retry-After, 5xx, ok:false errors).
//
// Point the code under test at APIURL() (SLACK_API_URL) and hand out
// ResponseURL(...) as a slash command's response_url. SignedRequest builds
// requests signed the way Slack signs them, for the HTTP endpoints.
package slackfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	goslack "github.com/slack-go/slack"
)

// Method names recorded for calls that are not Web API methods.
const (
	MethodResponseURL = "response_url"
	MethodUpload      = "upload"
)

// Call is one recorded request to the fake.
type Call struct {
	// Method is the Web API method ("chat.postMessage"), MethodResponseURL
	// or MethodUpload.
	Method string
	Path   string
	// Token is the token the call carried (form field or bearer header).
	Token string
	// Params are the form parameters (token removed); JSON is the decoded
	// JSON body. Param reads either.
	Params url.Values
	JSON   map[string]any
	Raw    []byte
	// Blocks are the "blocks" the call sent, parsed as Block Kit.
	Blocks []goslack.Block
	// View is the modal of a views.open or views.update call; ViewID the
	// id of the modal it opened or replaced.
	View   *goslack.ModalViewRequest
	ViewID string
	// Home is the Home tab of a views.publish call, published for HomeUser.
	Home     *goslack.HomeTabViewRequest
	HomeUser string
	// Unfurls are the previews of a chat.unfurl call, by link.
	Unfurls map[string]goslack.Attachment
	// File and Filename are an upload's content.
	File     []byte
	Filename string
	// Status is the HTTP status the fake answered; Error the ok:false code
	// it answered with ("" when the call succeeded).
	Status int
	Error  string
	Time   time.Time
}

// Failed reports whether the fake answered the call with an error.
func (c Call) Failed() bool { return c.Status != http.StatusOK || c.Error != "" }

// Param returns a parameter from the form or the JSON body ("" if absent).
func (c Call) Param(name string) string {
	if c.Params != nil {
		if v, ok := c.Params[name]; ok && len(v) > 0 {
			return v[0]
		}
	}
	if v, ok := c.JSON[name]; ok {
		switch x := v.(type) {
		case string:
			return x
		case bool:
			return strconv.FormatBool(x)
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64)
		case nil:
			return ""
		default:
			b, _ := json.Marshal(x)
			return string(b)
		}
	}
	return ""
}

// Text is the call's "text" parameter.
func (c Call) Text() string { return c.Param("text") }

// Channel is the call's channel ("channel" or "channel_id").
func (c Call) Channel() string {
	if ch := c.Param("channel"); ch != "" {
		return ch
	}
	return c.Param("channel_id")
}

// ThreadTS is the call's "thread_ts".
func (c Call) ThreadTS() string { return c.Param("thread_ts") }

// Failure is an error the fake answers a method with.
type Failure struct {
	// Status is the HTTP status (429, 500 ...); 0 answers 200 with
	// ok:false and Error.
	Status int
	// RetryAfter sets the Retry-After header (seconds), for 429.
	RetryAfter int
	// Error is the ok:false error code (default "fatal_error").
	Error string
	// Times is how many calls fail before the method works again (0 = 1).
	Times int
}

// User is a workspace member users.info knows.
type User struct {
	ID, Name, RealName, Email string
	// Deleted is a deactivated account: users.info answers it with
	// "deleted": true, as Slack does for people who left.
	Deleted bool
}

// Server is the fake. Create it with New and Close it when done.
type Server struct {
	srv *httptest.Server

	mu     sync.Mutex
	calls  []Call
	fails  map[string][]Failure
	users  map[string]User
	seq    int
	notify chan struct{}
	views  map[string]*View
	homes  map[string]goslack.HomeTabViewRequest
	posted []postedMessage
	known  map[string]bool // channels named in any call

	// Hold, when set, is called with every Web API call before it is
	// answered, with the request's context; a call it returns false for
	// is dropped unanswered, as a message is when the poster dies before
	// Slack has it (tests of interrupted posts).
	Hold func(ctx context.Context, c Call) bool

	sock socketState
}

// New starts a fake on a loopback port.
func New() *Server {
	s := &Server{
		fails:  map[string][]Failure{},
		users:  map[string]User{},
		notify: make(chan struct{}),
		views:  map[string]*View{},
		homes:  map[string]goslack.HomeTabViewRequest{},
		known:  map[string]bool{},
	}
	s.sock.init()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/response/", s.serveResponseURL)
	mux.HandleFunc("/upload/", s.serveUpload)
	mux.HandleFunc("/socket", s.serveSocket)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the fake and drops any Socket Mode connection.
func (s *Server) Close() {
	s.DropSocket()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// URL is the fake's base URL.
func (s *Server) URL() string { return s.srv.URL }

// APIURL is the Web API base URL to configure (SLACK_API_URL).
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// ResponseURL returns a response_url for a request; replies to it are
// recorded as MethodResponseURL calls.
func (s *Server) ResponseURL(id string) string { return s.srv.URL + "/response/" + url.PathEscape(id) }

// AddUser makes a user known to users.info.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	s.users[u.ID] = u
	s.mu.Unlock()
}

// View is a modal the fake holds open, as views.open or views.update left
// it. Hash changes with every update; views.update with another hash is
// answered hash_conflict, as Slack does.
type View struct {
	ID   string
	Hash string
	View goslack.ModalViewRequest
}

// View returns the modal with the id.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.views[id]
	if !ok {
		return View{}, false
	}
	return *v, true
}

// ReplaceView replaces an open modal the way Slack applies a
// view_submission answered with response_action "update", and returns it
// with its new hash.
func (s *Server) ReplaceView(id string, view goslack.ModalViewRequest) View {
	hash := s.hash()
	s.mu.Lock()
	defer s.mu.Unlock()
	v := &View{ID: id, Hash: hash, View: view}
	s.views[id] = v
	return *v
}

// Home returns the Home tab last published for a user (views.publish).
func (s *Server) Home(userID string) (goslack.HomeTabViewRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.homes[userID]
	return v, ok
}

func (s *Server) hash() string {
	n := s.next()
	return fmt.Sprintf("%d.%08x", 1700000000+n, n*2654435761)
}

// Fail makes the next call(s) of a method fail.
func (s *Server) Fail(method string, f Failure) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.fails[method] = append(s.fails[method], f)
	s.mu.Unlock()
}

// Calls returns the recorded calls, all of them or those of the given
// methods, in arrival order.
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Succeeded returns the calls of the given methods the fake answered
// successfully.
func (s *Server) Succeeded(methods ...string) []Call {
	var out []Call
	for _, c := range s.Calls(methods...) {
		if !c.Failed() {
			out = append(out, c)
		}
	}
	return out
}

// Last returns the last call of a method.
func (s *Server) Last(method string) (Call, bool) {
	cs := s.Calls(method)
	if len(cs) == 0 {
		return Call{}, false
	}
	return cs[len(cs)-1], true
}

// Wait blocks until at least n calls of the given methods were recorded, or
// ctx ends, and returns them.
func (s *Server) Wait(ctx context.Context, n int, methods ...string) ([]Call, error) {
	for {
		s.mu.Lock()
		ch := s.notify
		s.mu.Unlock()
		if cs := s.Calls(methods...); len(cs) >= n {
			return cs, nil
		}
		select {
		case <-ctx.Done():
			return s.Calls(methods...), fmt.Errorf("slackfake: waiting for %d call(s) of %v: %w", n, methods, ctx.Err())
		case <-ch:
		}
	}
}

// Reset forgets recorded calls and pending failures.
func (s *Server) Reset() {
	s.mu.Lock()
	s.calls = nil
	s.fails = map[string][]Failure{}
	s.mu.Unlock()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) record(c Call) {
	c.Time = time.Now()
	s.mu.Lock()
	s.calls = append(s.calls, c)
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
}

// takeFailure pops a pending failure of a method.
func (s *Server) takeFailure(method string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.fails[method]
	if len(fs) == 0 {
		return Failure{}, false
	}
	f := fs[0]
	f.Times--
	if f.Times <= 0 {
		s.fails[method] = fs[1:]
	} else {
		fs[0] = f
	}
	return f, true
}

func (s *Server) next() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.seq
}

func (s *Server) ts() string {
	n := s.next()
	return fmt.Sprintf("%d.%06d", 1700000000+n, n)
}

// readCall decodes a request's body into a Call.
func readCall(r *http.Request, method string) (Call, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return Call{}, err
	}
	c := Call{Method: method, Path: r.URL.Path, Raw: body}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		c.Token = strings.TrimPrefix(auth, "Bearer ")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &c.JSON); err != nil {
				return c, fmt.Errorf("json body: %w", err)
			}
		}
		if raw, ok := c.JSON["blocks"]; ok {
			b, _ := json.Marshal(raw)
			c.Blocks = parseBlocks(b)
		}
	default:
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return c, fmt.Errorf("form body: %w", err)
		}
		for k, v := range r.URL.Query() {
			q[k] = append(q[k], v...)
		}
		if t := q.Get("token"); t != "" && c.Token == "" {
			c.Token = t
		}
		q.Del("token")
		c.Params = q
		if b := q.Get("blocks"); b != "" {
			c.Blocks = parseBlocks([]byte(b))
		}
	}
	return c, nil
}

func parseBlocks(b []byte) []goslack.Block {
	var bl goslack.Blocks
	if err := json.Unmarshal(b, &bl); err != nil {
		return nil
	}
	return bl.BlockSet
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers a call with an injected failure and records it.
func (s *Server) fail(w http.ResponseWriter, c Call, f Failure) {
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	switch {
	case f.Status != 0 && f.Status != http.StatusOK:
		c.Status = f.Status
		s.record(c)
		http.Error(w, http.StatusText(f.Status), f.Status)
	default:
		code := f.Error
		if code == "" {
			code = "fatal_error"
		}
		c.Status, c.Error = http.StatusOK, code
		s.record(c)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	c, err := readCall(r, method)
	if err != nil {
		c.Status, c.Error = http.StatusOK, "invalid_form_data"
		s.record(c)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	if f, ok := s.takeFailure(method); ok {
		s.fail(w, c, f)
		return
	}
	if ch := c.Channel(); ch != "" {
		s.mu.Lock()
		s.known[ch] = true
		s.mu.Unlock()
	}
	if s.Hold != nil && !s.Hold(r.Context(), c) {
		return
	}
	resp, errCode := s.answer(&c)
	c.Status, c.Error = http.StatusOK, errCode
	s.record(c)
	if errCode != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": errCode})
		return
	}
	resp["ok"] = true
	writeJSON(w, http.StatusOK, resp)
}

// answer builds the success response of a Web API method, or an error code.
func (s *Server) answer(c *Call) (map[string]any, string) {
	switch c.Method {
	case "auth.test":
		return map[string]any{"url": "https://fake.slack.com/", "team": "Fake", "user": "platbot", "team_id": "T0FAKE", "user_id": "U0BOT", "bot_id": "B0BOT"}, ""
	case "chat.postMessage":
		ch := c.Channel()
		if ch == "" {
			return nil, "channel_not_found"
		}
		ts := s.ts()
		msg := map[string]any{"type": "message", "text": c.Text(), "ts": ts, "user": "U0BOT", "bot_id": "B0BOT"}
		if t := c.ThreadTS(); t != "" {
			msg["thread_ts"] = t
		}
		s.mu.Lock()
		s.posted = append(s.posted, postedMessage{channel: ch, ts: ts, text: c.Text(), metadata: c.Param("metadata"), at: time.Now()})
		s.mu.Unlock()
		return map[string]any{"channel": ch, "ts": ts, "message": msg}, ""
	case "conversations.list":
		return map[string]any{"channels": s.channels(), "response_metadata": map[string]any{"next_cursor": ""}}, ""
	case "conversations.history":
		return map[string]any{"messages": s.history(c), "has_more": false}, ""
	case "chat.update":
		if c.Channel() == "" || c.Param("ts") == "" {
			return nil, "message_not_found"
		}
		return map[string]any{"channel": c.Channel(), "ts": c.Param("ts"), "text": c.Text()}, ""
	case "chat.postEphemeral":
		if c.Channel() == "" || c.Param("user") == "" {
			return nil, "user_not_in_channel"
		}
		return map[string]any{"message_ts": s.ts()}, ""
	case "conversations.open":
		users := c.Param("users")
		if users == "" {
			return nil, "users_list_not_supplied"
		}
		return map[string]any{"channel": map[string]any{"id": "D" + strings.ReplaceAll(users, ",", "")}}, ""
	case "views.open":
		var req struct {
			TriggerID string                   `json:"trigger_id"`
			View      goslack.ModalViewRequest `json:"view"`
		}
		if err := json.Unmarshal(c.Raw, &req); err != nil {
			return nil, "invalid_arguments"
		}
		c.View = &req.View
		c.Blocks = req.View.Blocks.BlockSet
		if req.TriggerID == "" {
			return nil, "invalid_trigger_id"
		}
		if len(req.View.PrivateMetadata) > 3000 {
			return nil, "invalid_arguments"
		}
		id := fmt.Sprintf("V%06d", s.next())
		c.ViewID = id
		v := s.ReplaceView(id, req.View)
		return map[string]any{"view": viewJSON(v)}, ""
	case "views.update":
		var req struct {
			ViewID     string                   `json:"view_id"`
			ExternalID string                   `json:"external_id"`
			Hash       string                   `json:"hash"`
			View       goslack.ModalViewRequest `json:"view"`
		}
		if err := json.Unmarshal(c.Raw, &req); err != nil {
			return nil, "invalid_arguments"
		}
		c.View = &req.View
		c.ViewID = req.ViewID
		c.Blocks = req.View.Blocks.BlockSet
		if len(req.View.PrivateMetadata) > 3000 {
			return nil, "invalid_arguments"
		}
		cur, ok := s.View(req.ViewID)
		switch {
		case req.ViewID == "" || !ok:
			return nil, "not_found"
		case req.Hash != "" && req.Hash != cur.Hash:
			return nil, "hash_conflict"
		}
		v := s.ReplaceView(req.ViewID, req.View)
		return map[string]any{"view": viewJSON(v)}, ""
	case "views.publish":
		var req struct {
			UserID string                     `json:"user_id"`
			View   goslack.HomeTabViewRequest `json:"view"`
		}
		if err := json.Unmarshal(c.Raw, &req); err != nil {
			return nil, "invalid_arguments"
		}
		c.Home, c.HomeUser = &req.View, req.UserID
		c.Blocks = req.View.Blocks.BlockSet
		switch {
		case req.UserID == "":
			return nil, "user_not_found"
		case req.View.Type != goslack.VTHomeTab || len(req.View.Blocks.BlockSet) > 100:
			return nil, "invalid_arguments"
		}
		s.mu.Lock()
		s.homes[req.UserID] = req.View
		s.mu.Unlock()
		id := fmt.Sprintf("V%06d", s.next())
		return map[string]any{"view": map[string]any{"id": id, "type": "home", "callback_id": req.View.CallbackID, "blocks": json.RawMessage(mustJSON(req.View.Blocks))}}, ""
	case "chat.unfurl":
		if c.Channel() == "" || c.Param("ts") == "" {
			return nil, "cannot_unfurl_message"
		}
		if err := json.Unmarshal([]byte(c.Param("unfurls")), &c.Unfurls); err != nil || len(c.Unfurls) == 0 {
			return nil, "invalid_unfurls_format"
		}
		return map[string]any{}, ""
	case "users.info":
		s.mu.Lock()
		u, ok := s.users[c.Param("user")]
		s.mu.Unlock()
		if !ok {
			return nil, "user_not_found"
		}
		return map[string]any{"user": map[string]any{
			"id": u.ID, "name": u.Name, "real_name": u.RealName, "deleted": u.Deleted,
			"profile": map[string]any{"email": u.Email, "real_name": u.RealName},
		}}, ""
	case "files.getUploadURLExternal":
		if c.Param("filename") == "" || c.Param("length") == "" {
			return nil, "invalid_arguments"
		}
		id := fmt.Sprintf("F%06d", s.next())
		return map[string]any{"upload_url": s.srv.URL + "/upload/" + id, "file_id": id}, ""
	case "files.completeUploadExternal":
		var files []map[string]any
		if err := json.Unmarshal([]byte(c.Param("files")), &files); err != nil || len(files) == 0 {
			return nil, "invalid_arguments"
		}
		return map[string]any{"files": files}, ""
	case "apps.connections.open":
		return map[string]any{"url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/socket"}, ""
	}
	return nil, "unknown_method"
}

func viewJSON(v View) map[string]any {
	return map[string]any{
		"id": v.ID, "hash": v.Hash, "type": "modal", "callback_id": v.View.CallbackID,
		"private_metadata": v.View.PrivateMetadata, "blocks": json.RawMessage(mustJSON(v.View.Blocks)),
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("null")
	}
	return b
}

func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	c, err := readCall(r, MethodResponseURL)
	if err != nil {
		c.Status = http.StatusBadRequest
		s.record(c)
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if f, ok := s.takeFailure(MethodResponseURL); ok {
		s.fail(w, c, f)
		return
	}
	c.Status = http.StatusOK
	s.record(c)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	c := Call{Method: MethodUpload, Path: r.URL.Path}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		c.Token = strings.TrimPrefix(auth, "Bearer ")
	}
	if f, ok := s.takeFailure(MethodUpload); ok {
		_, _ = io.Copy(io.Discard, r.Body)
		s.fail(w, c, f)
		return
	}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, perr := mr.NextPart()
			if perr != nil {
				break
			}
			data, _ := io.ReadAll(p)
			if p.FormName() == "file" {
				c.File, c.Filename = data, p.FileName()
			}
		}
	}
	if err != nil || c.File == nil {
		c.Status = http.StatusBadRequest
		s.record(c)
		http.Error(w, "no file", http.StatusBadRequest)
		return
	}
	c.Status = http.StatusOK
	s.record(c)
	w.Header().Set("Content-Type", "text/plain")
	_, _ = fmt.Fprintf(w, "OK - %d", len(c.File))
}

// postedMessage is a message chat.postMessage posted, for
// conversations.history.
type postedMessage struct {
	channel, ts, text, metadata string
	at                          time.Time
}

// channels are the channels any call named, as conversations.list lists
// them: the fake's channel ids are what the caller named ("#x" or an id),
// the name is that without "#".
func (s *Server) channels() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.known))
	for ch := range s.known {
		names = append(names, ch)
	}
	sort.Strings(names)
	out := []map[string]any{}
	for _, ch := range names {
		out = append(out, map[string]any{"id": ch, "name": strings.TrimPrefix(ch, "#"), "is_channel": true})
	}
	return out
}

// history answers conversations.history: the channel's posted messages at
// or after "oldest" (a Slack timestamp, compared with when the fake
// received each post), newest first, with their metadata when
// include_all_metadata is set.
func (s *Server) history(c *Call) []map[string]any {
	var oldest time.Time
	if o := c.Param("oldest"); o != "" {
		if f, err := strconv.ParseFloat(o, 64); err == nil {
			oldest = time.Unix(0, int64(f*1e9))
		}
	}
	withMeta := c.Param("include_all_metadata") == "1" || c.Param("include_all_metadata") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for i := len(s.posted) - 1; i >= 0; i-- {
		p := s.posted[i]
		if p.channel != c.Param("channel") || p.at.Before(oldest) {
			continue
		}
		m := map[string]any{"type": "message", "text": p.text, "ts": p.ts, "user": "U0BOT", "bot_id": "B0BOT"}
		if withMeta && p.metadata != "" {
			var md any
			if json.Unmarshal([]byte(p.metadata), &md) == nil {
				m["metadata"] = md
			}
		}
		out = append(out, m)
	}
	return out
}
