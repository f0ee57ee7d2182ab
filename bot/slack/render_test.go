package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot"
)

// roundTrip marshals blocks and parses them back as Slack would receive them.
func roundTrip(t *testing.T, blocks []goslack.Block) []goslack.Block {
	t.Helper()
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var out goslack.Blocks
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("blocks do not parse back: %v", err)
	}
	return out.BlockSet
}

func TestRenderMessageBlockLimit(t *testing.T) {
	var blocks []bot.Block
	for i := 0; i < 60; i++ {
		blocks = append(blocks, bot.Section{Text: fmt.Sprintf("line %d", i)})
	}
	out := roundTrip(t, RenderBlocks(bot.Message{Blocks: blocks}))
	if len(out) != MaxMessageBlocks {
		t.Fatalf("blocks = %d, want %d", len(out), MaxMessageBlocks)
	}
	if s := out[48].(*goslack.SectionBlock); s.Text.Text != "line 48" {
		t.Fatalf("block 48 = %q", s.Text.Text)
	}
	last, ok := out[49].(*goslack.ContextBlock)
	if !ok {
		t.Fatalf("last block is %T, want context", out[49])
	}
	if txt := last.ContextElements.Elements[0].(*goslack.TextBlockObject).Text; txt != "… 11 more not shown" {
		t.Fatalf("last block says %q", txt)
	}
	if got := RenderBlocks(bot.Message{Blocks: blocks[:50]}); len(got) != 50 {
		t.Fatalf("exactly 50 blocks rendered as %d", len(got))
	}
}

func TestRenderLongSectionSplits(t *testing.T) {
	text := strings.Repeat("word ", 1000) // 5000 characters
	out := RenderBlocks(bot.Message{Blocks: []bot.Block{bot.Section{Text: text}}})
	if len(out) != 2 {
		t.Fatalf("sections = %d, want 2", len(out))
	}
	var joined string
	for _, b := range out {
		s := b.(*goslack.SectionBlock).Text.Text
		if slackLen(s) > MaxSectionText {
			t.Fatalf("section of %d characters", slackLen(s))
		}
		joined += s
	}
	if joined != text {
		t.Fatal("text lost or changed in the split")
	}

	// Lines are kept whole where possible, and emoji count as Slack counts them.
	lines := strings.Repeat("🚀 deployed checkout-service to production\n", 120)
	for _, b := range RenderBlocks(bot.Message{Blocks: []bot.Block{bot.Section{Text: lines}}}) {
		s := b.(*goslack.SectionBlock).Text.Text
		if slackLen(s) > MaxSectionText || !strings.HasSuffix(s, "production") {
			t.Fatalf("chunk of %d units ends %q", slackLen(s), s[len(s)-12:])
		}
	}
	// One huge word is cut hard.
	out = RenderBlocks(bot.Message{Blocks: []bot.Block{bot.Section{Text: strings.Repeat("é", 7000)}}})
	if len(out) != 3 {
		t.Fatalf("hard split = %d sections", len(out))
	}
}

func TestRenderFieldsButtonsLabels(t *testing.T) {
	var pairs []bot.Pair
	for i := 0; i < 25; i++ {
		pairs = append(pairs, bot.Pair{Label: fmt.Sprintf("k%d", i), Value: strings.Repeat("v", 2500)})
	}
	var buttons []bot.Button
	for i := 0; i < 30; i++ {
		buttons = append(buttons, bot.Button{ActionID: fmt.Sprintf("act:%d", i), Text: strings.Repeat("B", 100), Value: "x"})
	}
	buttons = append(buttons, bot.Button{ActionID: "act:0", Text: "again"}, bot.Button{Text: "Docs", URL: "https://example.com/docs"})
	msg := bot.Message{Blocks: []bot.Block{
		bot.Header{Text: strings.Repeat("H", 200)},
		bot.Fields{Pairs: pairs},
		bot.Actions{Buttons: buttons},
		bot.Code{Text: "if a < b && c > d {\n}"},
		&bot.Context{Text: "pointer blocks work too"},
		bot.Section{}, // empty: dropped
		bot.Header{},  // empty: dropped
		bot.Actions{}, // empty: dropped
	}}
	out := roundTrip(t, RenderBlocks(msg))
	kinds := make([]string, len(out))
	for i, b := range out {
		kinds[i] = string(b.BlockType())
	}
	if got := strings.Join(kinds, " "); got != "header section section section actions actions section context" {
		t.Fatalf("blocks = %s", got)
	}
	if h := out[0].(*goslack.HeaderBlock).Text.Text; slackLen(h) != MaxPlainText || !strings.HasSuffix(h, "…") {
		t.Fatalf("header of %d", slackLen(h))
	}
	for i, n := range []int{10, 10, 5} {
		f := out[1+i].(*goslack.SectionBlock).Fields
		if len(f) != n || slackLen(f[0].Text) > MaxFieldText {
			t.Fatalf("fields block %d has %d fields (first %d long)", i, len(f), slackLen(f[0].Text))
		}
	}
	a1 := out[4].(*goslack.ActionBlock).Elements.ElementSet
	a2 := out[5].(*goslack.ActionBlock).Elements.ElementSet
	if len(a1) != MaxActionElements || len(a2) != 7 {
		t.Fatalf("actions split %d + %d", len(a1), len(a2))
	}
	b0 := a1[0].(*goslack.ButtonBlockElement)
	if slackLen(b0.Text.Text) != MaxButtonText {
		t.Fatalf("button text of %d", slackLen(b0.Text.Text))
	}
	link := a2[6].(*goslack.ButtonBlockElement)
	if link.URL != "https://example.com/docs" || !strings.HasPrefix(link.ActionID, linkActionPrefix) {
		t.Fatalf("link button = %+v", link)
	}
	code := out[6].(*goslack.SectionBlock).Text.Text
	if code != "```\nif a &lt; b &amp;&amp; c &gt; d {\n}\n```" {
		t.Fatalf("code = %q", code)
	}

	// Duplicate action ids never share a block.
	dup := RenderBlocks(bot.Message{Blocks: []bot.Block{bot.Actions{Buttons: []bot.Button{{ActionID: "a", Text: "1"}, {ActionID: "a", Text: "2"}}}}})
	if len(dup) != 2 {
		t.Fatalf("duplicate ids rendered in %d blocks", len(dup))
	}
}

func TestFallbackText(t *testing.T) {
	msg := bot.Message{Text: "ignored when blocks", Blocks: []bot.Block{bot.Header{Text: "T"}, bot.Section{Text: "body"}}}
	if FallbackText(msg) != bot.PlainText(msg) {
		t.Fatalf("fallback %q != PlainText %q", FallbackText(msg), bot.PlainText(msg))
	}
	if got := FallbackText(bot.Message{Text: strings.Repeat("x", 50000)}); slackLen(got) != MaxFallbackText {
		t.Fatalf("fallback of %d", slackLen(got))
	}
	if got := FallbackText(bot.Message{}); got == "" {
		t.Fatal("empty fallback")
	}
}

func manyOptions(n int) []bot.Option {
	opts := make([]bot.Option, n)
	for i := range opts {
		opts[i] = bot.Option{Value: fmt.Sprintf("svc-%03d", i), Label: fmt.Sprintf("Service %d", i)}
	}
	return opts
}

func TestRenderModalLimits(t *testing.T) {
	form := &bot.Form{
		Title: "Request production access please",
		Fields: []bot.Field{
			{ID: "service", Label: "Service", Kind: bot.FieldSelect, Options: manyOptions(150), Help: "The service you need.", Default: "svc-007"},
			{ID: "services", Label: "Services", Kind: bot.FieldMultiSelect, Options: manyOptions(150)},
			{ID: "env", Label: strings.Repeat("L", 300), Kind: bot.FieldSelect, Options: manyOptions(100)},
			{ID: "long", Label: "Long", Kind: bot.FieldText, MaxLen: 10000, MinLen: 5000, Default: strings.Repeat("d", 4000)},
		},
	}
	v := RenderModal(form, `{"form_id":"access"}`)
	if slackLen(v.Title.Text) > MaxModalTitle || v.Title.Text != "Request production acce…" {
		t.Fatalf("title %q", v.Title.Text)
	}
	blocks := roundTrip(t, v.Blocks.BlockSet)
	svc := blocks[0].(*goslack.InputBlock)
	el, ok := svc.Element.(*goslack.PlainTextInputBlockElement)
	if !ok || el.ActionID != actText || el.InitialValue != "svc-007" {
		t.Fatalf("150-option select rendered as %T %+v", svc.Element, svc.Element)
	}
	if !strings.HasPrefix(svc.Hint.Text, "The service you need.\nType one of: svc-000, svc-001") || slackLen(svc.Hint.Text) > MaxHint {
		t.Fatalf("hint = %q", svc.Hint.Text[:80])
	}
	if el := blocks[1].(*goslack.InputBlock).Element.(*goslack.PlainTextInputBlockElement); el.ActionID != actCSV {
		t.Fatalf("150-option multi-select = %+v", el)
	}
	env := blocks[2].(*goslack.InputBlock)
	if sel := env.Element.(*goslack.SelectBlockElement); len(sel.Options) != MaxOptions {
		t.Fatalf("100 options = %d", len(sel.Options))
	}
	if slackLen(env.Label.Text) != MaxPlainText {
		t.Fatalf("label of %d", slackLen(env.Label.Text))
	}
	long := blocks[3].(*goslack.InputBlock).Element.(*goslack.PlainTextInputBlockElement)
	if long.MaxLength != MaxTextInput || long.MinLength != 0 || len(long.InitialValue) != 3000 {
		t.Fatalf("long text = max %d min %d initial %d", long.MaxLength, long.MinLength, len(long.InitialValue))
	}

	// More than 100 blocks: cut, with a count of what was left out.
	big := &bot.Form{Title: "Big", Intro: "intro"}
	for i := 0; i < 120; i++ {
		big.Fields = append(big.Fields, bot.Field{ID: fmt.Sprintf("f%d", i), Label: "F", Kind: bot.FieldText})
	}
	bv := RenderModal(big, "")
	if n := len(bv.Blocks.BlockSet); n != MaxModalBlocks {
		t.Fatalf("modal blocks = %d", n)
	}
	last := bv.Blocks.BlockSet[MaxModalBlocks-1].(*goslack.ContextBlock)
	if txt := last.ContextElements.Elements[0].(*goslack.TextBlockObject).Text; txt != "… 22 more not shown" {
		t.Fatalf("last = %q", txt)
	}
}

func TestValuesFromState(t *testing.T) {
	raw := `{
		"a": {"text": {"type": "plain_text_input", "value": "hello"}},
		"b": {"text": {"type": "plain_text_input", "value": null}},
		"c": {"csv": {"type": "plain_text_input", "value": "svc-1, svc-2,\nsvc-3,,"}},
		"d": {"select": {"type": "static_select", "selected_option": null}},
		"e": {"bool": {"type": "checkboxes", "selected_options": [{"value": "true"}]}},
		"f": {"number": {"type": "number_input", "value": "2.5"}},
		"g": {"user": {"type": "users_select", "selected_user": "U1"}},
		"h": {"x": {"type": "datepicker", "selected_date": "2024-01-02"}},
		"i": {"x": {"type": "multi_users_select", "selected_users": ["U1", "U2"]}}
	}`
	var state map[string]map[string]stateValue
	if err := json.Unmarshal([]byte(raw), &state); err != nil {
		t.Fatal(err)
	}
	v := valuesFromState(state)
	want := map[string]string{"a": "hello", "b": "", "c": "svc-1|svc-2|svc-3", "d": "", "e": "true", "f": "2.5", "g": "U1", "h": "2024-01-02", "i": "U1|U2"}
	for k, w := range want {
		vals, ok := v[k]
		if !ok {
			t.Errorf("%s missing", k)
		}
		if got := strings.Join(vals, "|"); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
}

func TestFormMetadata(t *testing.T) {
	req := &bot.Request{Args: []string{"a"}, Flags: bot.Flags{}, Channel: "C1", ResponseURL: "https://hooks.slack.com/commands/" + strings.Repeat("r", 100)}
	s, err := encodeFormMeta(req, "new-db")
	if err != nil || strings.Contains(s, `"flags"`) || !strings.Contains(s, "hooks.slack.com") {
		t.Fatalf("meta = %s, %v", s, err)
	}
	// Too long with the response URL: the URL goes, the arguments stay.
	req.Args = []string{strings.Repeat("x", 2900)}
	s, err = encodeFormMeta(req, "new-db")
	if err != nil || len(s) > MaxPrivateMeta || strings.Contains(s, "hooks.slack.com") {
		t.Fatalf("meta of %d: %v", len(s), err)
	}
	m, err := decodeFormMeta(s)
	if err != nil || m.Args[0] != req.Args[0] || m.Channel != "C1" {
		t.Fatalf("decoded %+v, %v", m, err)
	}
	if _, err := decodeFormMeta(`{"args":["x"]}`); err == nil {
		t.Fatal("metadata without a form id decoded")
	}
}

func TestCommandLine(t *testing.T) {
	for in, want := range map[string]string{
		"<@U0BOT> ping now":           "ping now",
		"<@U0BOT|platbot>: new-db":    "new-db",
		"  /plat  scorecard checkout": "scorecard checkout",
		"plat help":                   "help",
		"platbot:new-db":              "new-db",
		"<@U0BOT>":                    "",
		"/plat":                       "",
		"ping <@U0OTHER>":             "ping <@U0OTHER>",
	} {
		if got := commandLine(in); got != want {
			t.Errorf("commandLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitAndTruncate(t *testing.T) {
	if got := truncate("héllo wörld", 5); got != "héll…" {
		t.Fatalf("truncate = %q", got)
	}
	if got := truncate("😀😀😀", 4); got != "😀…" {
		t.Fatalf("truncate emoji = %q", got)
	}
	if got := splitText("", 10); len(got) != 0 {
		t.Fatalf("split empty = %q", got)
	}
	for _, n := range []int{2, 3, 7, 50} {
		for _, p := range splitText(strings.Repeat("ab😀 c\n", 40), n) {
			if slackLen(p) > n || p == "" {
				t.Fatalf("piece %q for n=%d", p, n)
			}
		}
	}
}

// TestRenderUserTextEscapedOnce: user text reaches Slack escaped exactly
// once, in blocks and in the notification text, while mentions and links
// the bot built stay live and plain parts (headers, labels, code) are
// escaped only where Slack parses them as mrkdwn.
func TestRenderUserTextEscapedOnce(t *testing.T) {
	const hostile = "<!channel> <!here> <@U123> <https://evil|trusted> & done"
	const escaped = "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil|trusted&gt; &amp; done"
	u := bot.UserText(hostile)
	msg := bot.Message{Blocks: []bot.Block{
		bot.Header{Text: "Q&A <!here>"},
		bot.Section{Text: fmt.Sprintf("<@U0BOT> for %s: *Reason:* %s", bot.Link("https://wiki.example.com/a?x=1&y=2", "R&D wiki"), u)},
		bot.Fields{Pairs: []bot.Pair{{Label: "Ticket & notes", Value: u.Mrkdwn()}}},
		bot.Context{Text: "by <@U0BOT> · " + u.Mrkdwn()},
		bot.Code{Text: hostile},
		bot.Actions{Buttons: []bot.Button{{ActionID: "x", Text: "Deny", Confirm: fmt.Sprintf("Deny %s?", u)}}},
	}}
	blocks := roundTrip(t, RenderBlocks(msg))
	if h := blocks[0].(*goslack.HeaderBlock).Text; h.Type != goslack.PlainTextType || h.Text != "Q&A <!here>" {
		t.Fatalf("header is plain text as written, got %+v", h)
	}
	sec := blocks[1].(*goslack.SectionBlock).Text.Text
	if want := "<@U0BOT> for <https://wiki.example.com/a?x=1&amp;y=2|R&amp;D wiki>: *Reason:* " + escaped; sec != want {
		t.Fatalf("section =\n%q\nwant\n%q", sec, want)
	}
	if f := blocks[2].(*goslack.SectionBlock).Fields[0].Text; f != "*Ticket &amp; notes*\n"+escaped {
		t.Fatalf("field = %q", f)
	}
	if c := blocks[3].(*goslack.ContextBlock).ContextElements.Elements[0].(*goslack.TextBlockObject).Text; c != "by <@U0BOT> · "+escaped {
		t.Fatalf("context = %q", c)
	}
	if code := blocks[4].(*goslack.SectionBlock).Text.Text; code != "```\n"+escaped+"\n```" {
		t.Fatalf("code = %q", code)
	}
	if cf := blocks[5].(*goslack.ActionBlock).Elements.ElementSet[0].(*goslack.ButtonBlockElement).Confirm.Text.Text; cf != "Deny "+escaped+"?" {
		t.Fatalf("confirm = %q", cf)
	}
	fb := FallbackText(msg)
	for _, live := range []string{"<!channel>", "<!here>", "<@U123>", "<https://evil", "&amp;amp;", "&amp;lt;"} {
		if strings.Contains(fb, live) {
			t.Errorf("fallback text holds %q:\n%s", live, fb)
		}
	}
	for _, want := range []string{"== Q&amp;A &lt;!here&gt; ==", "<@U0BOT> for <https://wiki.example.com/a?x=1&amp;y=2|R&amp;D wiki>", escaped} {
		if !strings.Contains(fb, want) {
			t.Errorf("fallback text lacks %q:\n%s", want, fb)
		}
	}
}

func TestRenderButtonURLOnlyHTTP(t *testing.T) {
	for url, want := range map[string]string{
		"https://example.com/docs": "https://example.com/docs",
		"javascript:alert(1)":      "",
		"https://evil|trusted":     "",
		"ftp://example.com/x":      "",
	} {
		el := renderButton(bot.Button{Text: "Docs", URL: url}, 0)
		if el.URL != want {
			t.Errorf("button URL %q rendered as %q, want %q", url, el.URL, want)
		}
	}
}
