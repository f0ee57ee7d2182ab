package bot

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// Message text comes in two kinds, told apart by type:
//
//   - string: markup the bot wrote itself. Message.Text, Section.Text,
//     Pair.Value, Context.Text and Button.Confirm are Slack mrkdwn, so
//     "*bold*", "<@U123>" mentions of ids the bot resolved and links made
//     with Link are meant. Header.Text, Pair.Label, Button.Text and Code.Text
//     are plain text: the Slack renderer escapes them wherever they land in
//     mrkdwn (code blocks, the notification text).
//   - UserText: anything a person typed — a reason, a ticket field, a
//     description, a name a team chose in the catalog. Formatted into a
//     message it is escaped once, here, so it shows as typed and can never
//     ping (<!channel>, <!here>, <@U…>) or show a link under a false label
//     (<https://evil|trusted>).
//
// The rule for features: a value that did not come from the bot's own code
// or configuration is wrapped in UserText before it reaches a message, and
// links come only from Link.

// UserText is text a person typed. Formatted with any fmt verb it writes
// its Slack mrkdwn form (see Mrkdwn), so fmt.Sprintf("*Reason:* %s",
// UserText(r.Reason)) is safe to post; concatenate with Mrkdwn(). A pull
// request body or other GitHub markdown takes Markdown() instead.
type UserText string

// Mrkdwn is the text escaped for Slack mrkdwn: "&", "<" and ">" become
// entities, so Slack shows them and parses no mention, link or command.
func (t UserText) Mrkdwn() string { return EscapeMrkdwn(string(t)) }

// Format implements fmt.Formatter: every verb formats Mrkdwn(), so user
// text interpolated into a message is escaped without the caller asking.
func (t UserText) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), t.Mrkdwn())
}

// EscapeMrkdwn escapes the three characters Slack's mrkdwn treats as control
// characters. It is the single escape of the message layer; features wrap
// user text in UserText rather than calling it.
func EscapeMrkdwn(s string) string { return mrkdwnEscaper.Replace(s) }

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Markdown is the text for GitHub-flavoured markdown (a pull request body
// or comment), shown as typed wherever a template puts it, inside a code
// span or not. A word joiner (U+2060), invisible, goes after every "@"
// (so "@user" and "@org/team" notify nobody), "<" (no HTML, no <url>
// autolink), "&" (no entity turning into an "@" or a "<") and "]" (no
// [label](url) link or image, no [label]: url definition), and before a
// line's first character when that would start a heading, quote, list,
// table or code fence.
func (t UserText) Markdown() string {
	lines := strings.Split(markdownEscaper.Replace(string(t)), "\n")
	for i, l := range lines {
		if rest := strings.TrimLeft(l, " \t"); rest != "" && strings.ContainsRune(markdownLineStart, rune(rest[0])) {
			lines[i] = l[:len(l)-len(rest)] + wordJoiner + rest
		}
	}
	return strings.Join(lines, "\n")
}

const (
	wordJoiner        = "\u2060"
	markdownLineStart = "#>-+*|=~`"
)

var markdownEscaper = strings.NewReplacer("@", "@"+wordJoiner, "<", "<"+wordJoiner, "&", "&"+wordJoiner, "]", "]"+wordJoiner)

// Link is a Slack mrkdwn link the bot builds: "<url|label>" when rawURL is
// an absolute http or https URL with a host (see LinkURL) or a file: URL
// with a path (the local GitOps repository the shell publishes to), else
// the label alone. The label is plain text (escaped here); an empty label
// shows the URL. Characters that would end the link early ("|", ">" and
// spaces) are never let through from the URL: a URL holding them is not
// linked.
func Link(rawURL, label string) string {
	if label == "" {
		label = rawURL
	}
	u, ok := LinkURL(rawURL)
	if !ok {
		u, ok = checkURL(rawURL, func(u *url.URL) bool { return u.Scheme == "file" && u.Path != "" })
	}
	if !ok {
		return EscapeMrkdwn(label)
	}
	return "<" + EscapeMrkdwn(u) + "|" + EscapeMrkdwn(label) + ">"
}

// LinkURL reports whether rawURL may be linked or put on a button: an
// absolute http(s) URL with a host and no space, control character, "|",
// "<" or ">". It returns the URL trimmed of surrounding space.
func LinkURL(rawURL string) (string, bool) {
	return checkURL(rawURL, func(u *url.URL) bool { return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" })
}

func checkURL(rawURL string, ok func(*url.URL) bool) (string, bool) {
	s := strings.TrimSpace(rawURL)
	if s == "" || strings.ContainsAny(s, "|<> \t\r\n") {
		return "", false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", false
		}
	}
	u, err := url.Parse(s)
	if err != nil || !ok(u) {
		return "", false
	}
	return s, true
}

// MrkdwnText is the message as one mrkdwn text: PlainText with its
// plain-text parts (header, labels, button texts, code) escaped. Slack shows
// it in notifications and where blocks cannot be shown, and parses it, so a
// header holding a team's title must not ping there either.
func MrkdwnText(m Message) string { return flatten(m, EscapeMrkdwn) }

// Money renders an amount the way every platbot message does: the currency
// symbol first, whole units with thousands separators from 10 up
// ("$12,345"), cents below ("$9.87"), a minus sign before the symbol.
func Money(symbol string, v float64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	if v < 9.995 {
		return sign + symbol + strconv.FormatFloat(v, 'f', 2, 64)
	}
	return sign + symbol + Thousands(int64(math.Round(v)))
}

// Thousands renders n with comma separators: 1234567 → "1,234,567".
func Thousands(n int64) string {
	d := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(d, "-")
	d = strings.TrimPrefix(d, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
