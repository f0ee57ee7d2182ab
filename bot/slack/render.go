package slack

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot"
)

// Slack Block Kit limits the renderer enforces. Lengths are counted as
// Slack counts them, in UTF-16 code units.
const (
	MaxMessageBlocks  = 50    // blocks per message
	MaxModalBlocks    = 100   // blocks per modal
	MaxSectionText    = 3000  // characters of a section's text
	MaxFieldText      = 2000  // characters of one section field
	MaxSectionFields  = 10    // fields per section
	MaxActionElements = 25    // elements per actions block
	MaxPlainText      = 150   // header text, input labels, placeholders
	MaxButtonText     = 75    // button text
	MaxOptionText     = 75    // option text
	MaxOptionValue    = 150   // option value
	MaxOptions        = 100   // options per static select
	MaxModalTitle     = 24    // modal title and submit/close text
	MaxHint           = 2000  // input hint
	MaxContextText    = 3000  // one context element
	MaxButtonValue    = 2000  // button value
	MaxID             = 255   // action_id and block_id
	MaxURL            = 3000  // button URL
	MaxFallbackText   = 40000 // a message's top-level text
	MaxTextInput      = 3000  // plain_text_input min/max length
	MaxPrivateMeta    = 3000  // a view's private_metadata
	maxConfirmTitle   = 100
	maxConfirmText    = 300
	maxConfirmButton  = 30
	zeroWidthSpace    = "\u200b"
	linkActionPrefix  = "platbot:link"
	formCallbackID    = "platbot:form"
	defaultModalTitle = "platbot"
)

// slackLen is the length of s as Slack counts it (UTF-16 code units).
func slackLen(s string) int {
	n := 0
	for _, r := range s {
		// Invalid bytes decode as U+FFFD: one unit, as Slack shows them.
		n += utf16.RuneLen(r)
	}
	return n
}

// cutLen returns the longest prefix of s whose slackLen is at most n.
func cutLen(s string, n int) string {
	used := 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if used+w > n {
			return s[:i]
		}
		used += w
	}
	return s
}

// truncate shortens s to at most n units, ending it with "…" when cut.
func truncate(s string, n int) string {
	if slackLen(s) <= n {
		return s
	}
	if n <= 1 {
		return cutLen(s, n)
	}
	return cutLen(s, n-1) + "…"
}

// splitText cuts s into pieces of at most n units each, preferring to cut
// at a line break, then at a space, in the second half of a piece. Line
// breaks at the cuts and at the end are dropped; blank pieces are skipped.
func splitText(s string, n int) []string {
	var out []string
	add := func(p string) {
		if p = strings.TrimRight(p, "\n"); strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	for {
		head := cutLen(s, n)
		if len(head) == len(s) {
			add(s)
			return out
		}
		cut := len(head)
		if i := strings.LastIndexByte(head, '\n'); i >= len(head)/2 {
			cut = i + 1
		} else if i := strings.LastIndexByte(head, ' '); i >= len(head)/2 {
			cut = i + 1
		}
		if cut == 0 { // n too small for even one rune: take one anyway
			_, cut = utf8.DecodeRuneInString(s)
		}
		add(s[:cut])
		s = s[cut:]
	}
}

func plainText(s string, n int) *goslack.TextBlockObject {
	s = truncate(strings.TrimSpace(s), n)
	if s == "" {
		s = zeroWidthSpace
	}
	return goslack.NewTextBlockObject(goslack.PlainTextType, s, true, false)
}

func mrkdwnText(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.MarkdownType, s, false, false)
}

// escapeMrkdwn escapes the three characters Slack's mrkdwn treats as control
// characters, so plain text (code, labels) shows as typed. User text is
// escaped once, by bot.UserText, before it reaches the renderer.
func escapeMrkdwn(s string) string { return bot.EscapeMrkdwn(s) }

// FallbackText is the top-level text of a message: bot.MrkdwnText, cut to
// Slack's limit. Slack shows it in notifications and where blocks cannot be
// shown.
func FallbackText(msg bot.Message) string {
	t := bot.MrkdwnText(msg)
	if strings.TrimSpace(t) == "" {
		t = zeroWidthSpace
	}
	return truncate(t, MaxFallbackText)
}

// RenderBlocks renders a message's blocks as Block Kit within Slack's limits:
// long sections are split, fields and buttons are spread over several
// blocks, labels are cut, and past MaxMessageBlocks the rest is replaced by
// a context block saying how many were not shown. A message without blocks
// renders as nil: its text alone is the message.
func RenderBlocks(msg bot.Message) []goslack.Block {
	var out []goslack.Block
	for _, b := range msg.Blocks {
		out = append(out, renderBlock(b)...)
	}
	return limitBlocks(out, MaxMessageBlocks)
}

// limitBlocks keeps at most max blocks, the last being a context block that
// counts the ones left out.
func limitBlocks(out []goslack.Block, max int) []goslack.Block {
	if len(out) <= max {
		return out
	}
	dropped := len(out) - (max - 1)
	out = out[:max-1]
	return append(out, goslack.NewContextBlock("", mrkdwnText(fmt.Sprintf("… %d more not shown", dropped))))
}

func renderBlock(b bot.Block) []goslack.Block {
	switch v := b.(type) {
	case *bot.Header:
		if v != nil {
			return renderBlock(*v)
		}
	case *bot.Section:
		if v != nil {
			return renderBlock(*v)
		}
	case *bot.Fields:
		if v != nil {
			return renderBlock(*v)
		}
	case *bot.Context:
		if v != nil {
			return renderBlock(*v)
		}
	case *bot.Divider:
		return []goslack.Block{goslack.NewDividerBlock()}
	case *bot.Actions:
		if v != nil {
			return renderBlock(*v)
		}
	case *bot.Code:
		if v != nil {
			return renderBlock(*v)
		}
	case bot.Header:
		if strings.TrimSpace(v.Text) == "" {
			return nil
		}
		return []goslack.Block{goslack.NewHeaderBlock(plainText(v.Text, MaxPlainText))}
	case bot.Section:
		return renderSection(v.Text, v.Accessory)
	case bot.Fields:
		return renderFields(v.Pairs)
	case bot.Context:
		if strings.TrimSpace(v.Text) == "" {
			return nil
		}
		return []goslack.Block{goslack.NewContextBlock("", mrkdwnText(truncate(v.Text, MaxContextText)))}
	case bot.Divider:
		return []goslack.Block{goslack.NewDividerBlock()}
	case bot.Actions:
		return renderActions(v.Buttons)
	case bot.Code:
		return renderCode(v.Text)
	}
	return nil
}

func renderSection(text string, acc *bot.Button) []goslack.Block {
	chunks := splitText(text, MaxSectionText)
	if len(chunks) == 0 {
		if acc == nil {
			return nil
		}
		chunks = []string{zeroWidthSpace}
	}
	out := make([]goslack.Block, 0, len(chunks))
	for i, c := range chunks {
		var a *goslack.Accessory
		if i == 0 && acc != nil {
			a = goslack.NewAccessory(renderButton(*acc, 0))
		}
		out = append(out, goslack.NewSectionBlock(mrkdwnText(c), nil, a))
	}
	return out
}

func renderFields(pairs []bot.Pair) []goslack.Block {
	var out []goslack.Block
	var fields []*goslack.TextBlockObject
	for _, p := range pairs {
		t := p.Value
		if p.Label != "" {
			t = "*" + escapeMrkdwn(p.Label) + "*\n" + p.Value
		}
		if strings.TrimSpace(t) == "" {
			t = zeroWidthSpace
		}
		fields = append(fields, mrkdwnText(truncate(t, MaxFieldText)))
		if len(fields) == MaxSectionFields {
			out = append(out, goslack.NewSectionBlock(nil, fields, nil))
			fields = nil
		}
	}
	if len(fields) > 0 {
		out = append(out, goslack.NewSectionBlock(nil, fields, nil))
	}
	return out
}

func renderCode(text string) []goslack.Block {
	const fence = "```"
	chunks := splitText(escapeMrkdwn(text), MaxSectionText-2*len(fence)-2)
	out := make([]goslack.Block, 0, len(chunks))
	for _, c := range chunks {
		out = append(out, goslack.NewSectionBlock(mrkdwnText(fence+"\n"+c+"\n"+fence), nil, nil))
	}
	return out
}

// renderActions spreads buttons over actions blocks of at most
// MaxActionElements, starting a new block where an action id would repeat
// (Slack requires them unique within a block).
func renderActions(buttons []bot.Button) []goslack.Block {
	var out []goslack.Block
	var els []goslack.BlockElement
	seen := map[string]bool{}
	flush := func() {
		if len(els) > 0 {
			out = append(out, goslack.NewActionBlock("", els...))
		}
		els, seen = nil, map[string]bool{}
	}
	for i, b := range buttons {
		el := renderButton(b, i)
		if len(els) == MaxActionElements || (el.ActionID != "" && seen[el.ActionID]) {
			flush()
		}
		seen[el.ActionID] = true
		els = append(els, el)
	}
	flush()
	return out
}

// renderButton renders a button. A link button without an action id gets a
// "platbot:link" one, whose clicks the handler acknowledges and ignores.
func renderButton(b bot.Button, idx int) *goslack.ButtonBlockElement {
	id := b.ActionID
	if id == "" && b.URL != "" {
		id = fmt.Sprintf("%s:%d", linkActionPrefix, idx)
	}
	text := b.Text
	if strings.TrimSpace(text) == "" {
		text = b.ActionID
	}
	el := goslack.NewButtonBlockElement(cutLen(id, MaxID), cutLen(b.Value, MaxButtonValue), plainText(text, MaxButtonText))
	// Only an http(s) URL is linked (bot.LinkURL); any other is dropped, and
	// the button stays an acknowledged no-op rather than failing the message.
	if u, ok := bot.LinkURL(b.URL); ok && slackLen(u) <= MaxURL {
		el.URL = u
	}
	switch b.Style {
	case bot.StylePrimary:
		el.Style = goslack.StylePrimary
	case bot.StyleDanger:
		el.Style = goslack.StyleDanger
	}
	if b.Confirm != "" {
		confirm := goslack.NewConfirmationBlockObject(
			plainText("Are you sure?", maxConfirmTitle),
			mrkdwnText(truncate(b.Confirm, maxConfirmText)),
			plainText(truncate(text, maxConfirmButton), maxConfirmButton),
			plainText("Cancel", maxConfirmButton),
		)
		if b.Style == bot.StyleDanger {
			confirm.Style = goslack.StyleDanger
		}
		el.Confirm = confirm
	}
	return el
}
