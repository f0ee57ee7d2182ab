// Package bot holds the chat side of platbot: the shapes every transport and
// feature share (Request, Message, Form, Command), the router that turns a
// request into a policy-checked, audited command run, and the durable job
// worker that runs slow work after Slack has been answered.
//
// bot knows Slack and the shell (in its sub-packages), never Vault, GitHub or
// Kubernetes: features reach those through interfaces of their own.
package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Transport names.
const (
	TransportSlack = "slack"
	TransportShell = "shell"
)

// User is the person behind a request, as the transport knows them.
type User struct {
	ID    string `json:"id"`              // Slack user id, or the shell's --as name
	Name  string `json:"name,omitempty"`  // display name
	Email string `json:"email,omitempty"` // profile email, where the transport knows it
}

// String renders the user for logs and audit lines.
func (u User) String() string {
	if u.Name != "" && u.Name != u.ID {
		return u.Name + " (" + u.ID + ")"
	}
	return u.ID
}

// Request is one command invocation, form submission or button click. A
// transport builds it; the router and the feature consume it. It is
// serialisable so deferred work can be persisted as a job and resumed after a
// restart.
type Request struct {
	// ID identifies this delivery; repeated deliveries of the same Slack event
	// carry the same ID, so it doubles as the idempotency key.
	ID          string    `json:"id"`
	Transport   string    `json:"transport"`
	User        User      `json:"user"`
	TeamID      string    `json:"team_id,omitempty"`
	Channel     string    `json:"channel,omitempty"`
	ThreadTS    string    `json:"thread_ts,omitempty"`
	Text        string    `json:"text,omitempty"`    // everything after "/plat"
	Command     string    `json:"command,omitempty"` // resolved command name, e.g. "catalog search"
	Args        []string  `json:"args,omitempty"`    // words after the command name
	Flags       Flags     `json:"flags,omitempty"`   // --name value / --bool flags
	ResponseURL string    `json:"response_url,omitempty"`
	TriggerID   string    `json:"trigger_id,omitempty"`
	Received    time.Time `json:"received"`
	// FormValues are the values entered so far when a form is rebuilt: on a
	// Dispatch change, a page change, validation and submission. nil when
	// the form is first opened.
	// Never serialised: secret values must not reach a job payload in the
	// clear (the router seals them and sets FormValues again when it runs).
	FormValues Values `json:"-"`

	msgr Messenger
}

// Flags holds "--name value" and "--flag" words of a command line.
type Flags map[string]string

// Has reports whether the flag was given.
func (f Flags) Has(name string) bool { _, ok := f[name]; return ok }

// Bind attaches the messenger the request answers through. Transports and
// the router call it; features never need to.
func (r *Request) Bind(m Messenger) { r.msgr = m }

// Messenger returns the messenger of the request's transport.
func (r *Request) Messenger() Messenger { return r.msgr }

// Reply answers the requester where they asked: the slash command's
// response_url (ephemeral unless msg.InChannel) in Slack, standard output in
// the shell.
func (r *Request) Reply(ctx context.Context, msg Message) error {
	if r.msgr == nil {
		return fmt.Errorf("reply: request %s has no messenger bound", r.ID)
	}
	return r.msgr.Respond(ctx, r, msg)
}

// Replyf is Reply with a plain formatted text.
func (r *Request) Replyf(ctx context.Context, format string, args ...any) error {
	return r.Reply(ctx, Message{Text: fmt.Sprintf(format, args...)})
}

// Arg returns the i-th argument or "".
func (r *Request) Arg(i int) string {
	if i < len(r.Args) {
		return r.Args[i]
	}
	return ""
}

// Marshal encodes the request for a job payload.
func (r *Request) Marshal() []byte {
	b, _ := json.Marshal(r)
	return b
}

// UnmarshalRequest decodes a request from a job payload.
func UnmarshalRequest(b []byte) (*Request, error) {
	var r Request
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode request: %w", err)
	}
	return &r, nil
}

// MessageRef points at a posted message so it can be updated or replied to.
type MessageRef struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// ThreadTS is the root of the thread the message is in ("" for a root).
	ThreadTS string `json:"thread_ts,omitempty"`
}

// Zero reports whether the ref points nowhere.
func (m MessageRef) Zero() bool { return m.Channel == "" && m.TS == "" }

// Thread returns the ref of the thread root this message belongs to.
func (m MessageRef) Thread() string {
	if m.ThreadTS != "" {
		return m.ThreadTS
	}
	return m.TS
}

// File is an attachment: a chart, a kubeconfig.
type File struct {
	Name    string
	Title   string
	Content []byte
	// Comment is posted with the file.
	Comment string
}

// Messenger is everything a feature can do in chat. Slack implements it with
// Block Kit and the Web API, the shell with text on standard output, tests
// with a recording fake. Features speak only to this interface, so every
// flow works in every transport.
type Messenger interface {
	// Respond answers a request in place (see Request.Reply).
	Respond(ctx context.Context, req *Request, msg Message) error
	// Post sends a new root message (or a thread reply when msg.ThreadTS is set).
	Post(ctx context.Context, channel string, msg Message) (MessageRef, error)
	// Update replaces a posted message in place.
	Update(ctx context.Context, ref MessageRef, msg Message) error
	// Ephemeral shows a message to one user in a channel.
	Ephemeral(ctx context.Context, channel, userID string, msg Message) error
	// DM sends a direct message to a user.
	DM(ctx context.Context, userID string, msg Message) (MessageRef, error)
	// OpenForm shows a form to the requester: a modal in Slack (views.open
	// with the request's trigger id), prompts in the shell. Its submission
	// comes back through Router.ValidateForm / Router.SubmitForm.
	OpenForm(ctx context.Context, req *Request, form *Form) error
	// Upload attaches a file to a channel (and thread, when set).
	Upload(ctx context.Context, channel, threadTS string, f File) error
}

// Message is a transport-neutral rich message.
type Message struct {
	// Text is the notification text and the whole message when Blocks is
	// empty: Slack mrkdwn, user text in it wrapped in UserText (see text.go).
	Text   string  `json:"text,omitempty"`
	Blocks []Block `json:"-"`
	// ThreadTS posts the message as a reply in that thread.
	ThreadTS string `json:"thread_ts,omitempty"`
	// InChannel makes a Respond visible to the whole channel.
	InChannel bool `json:"in_channel,omitempty"`
	// Broadcast also shows a thread reply in the channel.
	Broadcast bool `json:"broadcast,omitempty"`
	// Metadata, when set, is attached to a posted message so that the
	// poster can find it again (MessageFinder).
	Metadata *Metadata `json:"metadata,omitempty"`
}

// Metadata marks a posted message: an event type and a key (Slack's
// message metadata, event_payload {"key": Key}).
type Metadata struct {
	EventType string `json:"event_type"`
	Key       string `json:"key"`
}

// Block is one piece of a Message: Header, Section, Fields, Context, Divider,
// Actions or Code.
type Block interface{ block() }

// Header is a large title line, plain text.
type Header struct{ Text string }

// Section is a paragraph of markdown-ish text (Slack mrkdwn: *bold*, _it_,
// `code`, links made with Link, user text wrapped in UserText).
type Section struct {
	Text string
	// Accessory is an optional button shown beside the text.
	Accessory *Button
}

// Fields is a two-column list of label/value pairs.
type Fields struct{ Pairs []Pair }

// Pair is one label/value of Fields: the label plain text, the value mrkdwn.
type Pair struct{ Label, Value string }

// Context is small grey mrkdwn text.
type Context struct{ Text string }

// Divider is a horizontal rule.
type Divider struct{}

// Actions is a row of buttons.
type Actions struct{ Buttons []Button }

// Code is a preformatted block of plain text.
type Code struct{ Text string }

func (Header) block()  {}
func (Section) block() {}
func (Fields) block()  {}
func (Context) block() {}
func (Divider) block() {}
func (Actions) block() {}
func (Code) block()    {}

// Button styles.
const (
	StyleDefault = ""
	StylePrimary = "primary"
	StyleDanger  = "danger"
)

// Button is a clickable action. Clicking it delivers an Action to the
// handler registered for the ActionID's prefix (the part before the first
// ':'; see Router.HandleAction).
type Button struct {
	ActionID string
	Text     string
	Value    string
	Style    string
	// Confirm, when set, asks "are you sure?" with this text first.
	Confirm string
	// URL makes the button a link instead of an action.
	URL string
}

// Action is a button click delivered to a feature.
type Action struct {
	ID    string `json:"id"`
	Value string `json:"value"`
	// Message is the message that carried the button.
	Message MessageRef `json:"message"`
}

// PlainText renders a message as text, its mrkdwn parts as written. The
// shell prints MrkdwnText made readable, and Slack's notification text is
// MrkdwnText.
func PlainText(m Message) string { return flatten(m, func(s string) string { return s }) }

// flatten writes a message's blocks as lines of text, passing the
// plain-text parts (header, labels, button texts, code) through plain.
func flatten(m Message, plain func(string) string) string {
	if len(m.Blocks) == 0 {
		return m.Text
	}
	var b strings.Builder
	for _, bl := range m.Blocks {
		switch v := bl.(type) {
		case Header:
			b.WriteString("== " + plain(v.Text) + " ==\n")
		case Section:
			b.WriteString(v.Text + "\n")
			if v.Accessory != nil {
				b.WriteString("  [" + plain(v.Accessory.Text) + "]\n")
			}
		case Fields:
			for _, p := range v.Pairs {
				b.WriteString("  " + plain(p.Label) + ": " + p.Value + "\n")
			}
		case Context:
			b.WriteString("  " + v.Text + "\n")
		case Divider:
			b.WriteString("----\n")
		case Actions:
			for _, bt := range v.Buttons {
				b.WriteString("  [" + plain(bt.Text) + "]")
			}
			b.WriteString("\n")
		case Code:
			b.WriteString(plain(v.Text) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// FieldErrors maps a form field id to the problem with its value. As an error
// it is shown on the fields (Slack's response_action: errors; the shell
// re-asks those fields).
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+f[k])
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// UserError is an error whose text is written for the user who caused it and
// is shown to them as is.
type UserError struct {
	Msg string
	// Blocks, when set, render the message richly (Msg stays the fallback).
	Blocks []Block
}

func (e *UserError) Error() string { return e.Msg }

// Errorf returns a UserError.
func Errorf(format string, args ...any) error { return &UserError{Msg: fmt.Sprintf(format, args...)} }

// OpenForm shows a form to the requester; its submission reaches the
// command named by form.ID (the request's command when empty).
func (r *Request) OpenForm(ctx context.Context, f *Form) error {
	if r.msgr == nil {
		return fmt.Errorf("open form: request %s has no messenger bound", r.ID)
	}
	if f.ID == "" {
		f.ID = r.Command
	}
	return r.msgr.OpenForm(ctx, r, f)
}
