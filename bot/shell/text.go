package shell

import (
	"bytes"
	"io"
	"regexp"
	"strings"
)

// Slack's message markup, turned into plain terminal text.
var (
	linkRe    = regexp.MustCompile(`<((?:https?|mailto|file):[^|>]+)\|([^>]+)>`)
	bareRe    = regexp.MustCompile(`<((?:https?|mailto|file):[^|>]+)>`)
	userRe    = regexp.MustCompile(`<@([A-Z0-9]+)(?:\|([^>]+))?>`)
	channelRe = regexp.MustCompile(`<#([A-Z0-9]+)(?:\|([^>]+))?>`)
	specialRe = regexp.MustCompile(`<!(here|channel|everyone)(?:\|[^>]*)?>`)
	boldRe    = regexp.MustCompile(`(^|[\s(\[])\*([^*\n]+)\*`)
	italicRe  = regexp.MustCompile(`(^|[\s(\[])_([^_\n]+)_([\s)\].,:;!?]|$)`)
	strikeRe  = regexp.MustCompile(`(^|[\s(\[])~([^~\n]+)~`)
)

var shortcodes = strings.NewReplacer(
	":no_entry:", "⛔", ":white_check_mark:", "✅", ":x:", "❌", ":warning:", "⚠️",
	":hourglass:", "⏳", ":lock:", "🔒", ":rotating_light:", "🚨", ":tada:", "🎉",
)

var entities = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// readable renders Slack mrkdwn as plain text: links become "label (url)",
// mentions "@U123", emphasis marks are dropped, entities unescaped. Code
// spans keep their backticks so identifiers stand out.
func readable(s string) string {
	s = linkRe.ReplaceAllString(s, "$2 ($1)")
	s = bareRe.ReplaceAllString(s, "$1")
	s = userRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := userRe.FindStringSubmatch(m)
		if sub[2] != "" {
			return "@" + sub[2]
		}
		return "@" + sub[1]
	})
	s = channelRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := channelRe.FindStringSubmatch(m)
		if sub[2] != "" {
			return "#" + sub[2]
		}
		return "#" + sub[1]
	})
	s = specialRe.ReplaceAllString(s, "@$1")
	s = boldRe.ReplaceAllString(s, "$1$2")
	s = italicRe.ReplaceAllString(s, "$1$2$3")
	s = strikeRe.ReplaceAllString(s, "$1$2")
	s = shortcodes.Replace(s)
	return entities.Replace(s)
}

// Readable renders Slack markup as plain terminal text (see readable).
func Readable(s string) string { return readable(s) }

// TextWriter writes to W with Slack markup turned into plain text, a line
// at a time (call Flush at the end for an unterminated last line).
type TextWriter struct {
	W   io.Writer
	buf []byte
}

// Write buffers p and writes every complete line, made readable.
func (t *TextWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if _, err := io.WriteString(t.W, readable(string(t.buf[:i]))+"\n"); err != nil {
			return len(p), err
		}
		t.buf = t.buf[i+1:]
	}
}

// Flush writes what is left of an unterminated last line.
func (t *TextWriter) Flush() error {
	if len(t.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(t.W, readable(string(t.buf)))
	t.buf = nil
	return err
}
