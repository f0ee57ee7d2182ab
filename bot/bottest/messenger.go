// Package bottest is the test kit of features and of the bot itself: a
// recording Messenger (bot.Messenger in memory), the one fake Clock of the
// test tree and a LogBuffer (both from bot/bottest/stdtest, which the
// store's in-package tests use directly), a recording Auditor, an
// allow/deny recording Policy, and a Harness that wires a router over a
// real store with all of them, driven like a transport (Run, Click,
// RunJobs). The fake catalog is commands/catalog/catalogtest. Tests that
// must prove the Slack wire format drive the Slack HTTP transport against
// the fake Slack Web API in bot/slack/slackfake instead.
package bottest

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/platbot/platbot/bot"
)

// Sent is one recorded call.
type Sent struct {
	Op      string // respond, post, update, ephemeral, dm, form, upload
	Channel string
	User    string
	Ref     bot.MessageRef
	Msg     bot.Message
	Form    *bot.Form
	File    *bot.File
}

// Text is the message rendered as plain text (or the form title, or file name).
func (s Sent) Text() string {
	switch {
	case s.Form != nil:
		return s.Form.Title
	case s.File != nil:
		return s.File.Name
	}
	return bot.PlainText(s.Msg)
}

// Messenger records every call. It is safe for concurrent use.
type Messenger struct {
	mu   sync.Mutex
	sent []Sent
	seq  int
}

// NewMessenger returns an empty recording messenger.
func NewMessenger() *Messenger { return &Messenger{} }

var _ bot.Messenger = (*Messenger)(nil)

func (m *Messenger) add(s Sent) bot.MessageRef {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.Ref.Zero() && s.Op != "update" {
		m.seq++
		s.Ref = bot.MessageRef{Channel: s.Channel, TS: fmt.Sprintf("1700000000.%06d", m.seq), ThreadTS: s.Msg.ThreadTS}
	}
	m.sent = append(m.sent, s)
	return s.Ref
}

// Respond records a reply to a request.
func (m *Messenger) Respond(_ context.Context, req *bot.Request, msg bot.Message) error {
	m.add(Sent{Op: "respond", Channel: req.Channel, User: req.User.ID, Msg: msg})
	return nil
}

// Post records a new message.
func (m *Messenger) Post(_ context.Context, channel string, msg bot.Message) (bot.MessageRef, error) {
	return m.add(Sent{Op: "post", Channel: channel, Msg: msg}), nil
}

// Update records an in-place edit.
func (m *Messenger) Update(_ context.Context, ref bot.MessageRef, msg bot.Message) error {
	m.add(Sent{Op: "update", Channel: ref.Channel, Ref: ref, Msg: msg})
	return nil
}

// Ephemeral records a message shown to one user.
func (m *Messenger) Ephemeral(_ context.Context, channel, userID string, msg bot.Message) error {
	m.add(Sent{Op: "ephemeral", Channel: channel, User: userID, Msg: msg})
	return nil
}

// DM records a direct message.
func (m *Messenger) DM(_ context.Context, userID string, msg bot.Message) (bot.MessageRef, error) {
	return m.add(Sent{Op: "dm", Channel: "D-" + userID, User: userID, Msg: msg}), nil
}

// OpenForm records a form.
func (m *Messenger) OpenForm(_ context.Context, req *bot.Request, form *bot.Form) error {
	m.add(Sent{Op: "form", Channel: req.Channel, User: req.User.ID, Form: form})
	return nil
}

// Upload records a file.
func (m *Messenger) Upload(_ context.Context, channel, threadTS string, f bot.File) error {
	m.add(Sent{Op: "upload", Channel: channel, Msg: bot.Message{ThreadTS: threadTS, Text: f.Comment}, File: &f})
	return nil
}

// Sent returns a copy of everything recorded so far.
func (m *Messenger) Sent() []Sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Sent(nil), m.sent...)
}

// Ops returns the recorded calls of one operation.
func (m *Messenger) Ops(op string) []Sent {
	var out []Sent
	for _, s := range m.Sent() {
		if s.Op == op {
			out = append(out, s)
		}
	}
	return out
}

// Last returns the last recorded call (zero Sent when none).
func (m *Messenger) Last() Sent {
	s := m.Sent()
	if len(s) == 0 {
		return Sent{}
	}
	return s[len(s)-1]
}

// AllText joins the plain text of every recorded call, for "appears nowhere" checks.
func (m *Messenger) AllText() string {
	var b strings.Builder
	for _, s := range m.Sent() {
		b.WriteString(s.Text())
		b.WriteString("\n")
		if s.File != nil {
			b.Write(s.File.Content)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Reset forgets everything recorded.
func (m *Messenger) Reset() {
	m.mu.Lock()
	m.sent = nil
	m.mu.Unlock()
}

// NewRequest builds a shell-like request from a user id and the text after
// "/plat", bound to m. The router normally parses Text into Command and Args;
// tests that call a handler directly pass them already split.
func (m *Messenger) NewRequest(userID, command string, args ...string) *bot.Request {
	req := &bot.Request{
		ID:        fmt.Sprintf("test-%s-%s", userID, command),
		Transport: bot.TransportShell,
		User:      bot.User{ID: userID, Name: userID},
		Channel:   "C-test",
		Command:   command,
		Args:      args,
		Text:      strings.TrimSpace(command + " " + strings.Join(args, " ")),
		Flags:     bot.Flags{},
	}
	req.Bind(m)
	return req
}
