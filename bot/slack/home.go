package slack

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot"
)

// The App Home and link unfurls: app_home_opened and link_shared events
// become jobs (bot.JobHomeOpened, bot.JobUnfurl), buttons on the Home tab
// become the same action jobs as buttons on messages, and the Messenger
// publishes Homes (views.publish) and previews (chat.unfurl).

// homeViewType is the type of a Home tab view in Slack's payloads.
const homeViewType = "home"

// HomeCallbackID marks the views platbot publishes as Homes.
const HomeCallbackID = "platbot.home"

// MaxHomeBlocks is the most blocks Slack takes in a Home view.
const MaxHomeBlocks = 100

var (
	_ bot.HomePublisher = (*Messenger)(nil)
	_ bot.LinkUnfurler  = (*Messenger)(nil)
)

// processHomeActions queues the buttons pressed on a Home tab as action
// jobs, as processBlockActions does for a message: the request has no
// channel and the action no message, so a feature answers by DM (its
// refusals too) and finds the thing the button is about by its value.
func (h *Handler) processHomeActions(ctx context.Context, ic *interaction) ack {
	result := ack{outcome: OutcomeIgnored}
	for _, a := range ic.Actions {
		if a.ActionID == "" || strings.HasPrefix(a.ActionID, linkActionPrefix) {
			continue
		}
		ts := a.ActionTS
		if ts == "" {
			ts = ic.ActionTS
		}
		value := a.Value
		if value == "" && a.SelectedOption != nil {
			value = a.SelectedOption.Value
		}
		req := h.baseRequest(ic)
		req.ID = ActionDeliveryID(ic.User.ID, ts, a.ActionID, "home:"+ic.View.ID)
		act := bot.Action{ID: a.ActionID, Value: value}
		r := h.accept(ctx, bot.JobAction, bot.ActionPayload{Request: req, Action: act}, req)
		if result.outcome == OutcomeIgnored || r.outcome == OutcomeError || (r.outcome == OutcomeAccepted && result.outcome == OutcomeDuplicate) {
			result = r
		}
	}
	return result
}

// processHomeOpened queues the publication of a person's Home when they
// open the Home tab (not the Messages tab), once per event id.
func (h *Handler) processHomeOpened(ctx context.Context, ev *eventEnvelope) ack {
	e := ev.Event
	if e.Tab != homeViewType || e.User == "" {
		return ack{outcome: OutcomeIgnored}
	}
	if ev.EventID == "" {
		return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
	}
	req := &bot.Request{
		ID:        ev.EventID,
		Transport: bot.TransportSlack,
		User:      bot.User{ID: e.User},
		TeamID:    ev.TeamID,
		Received:  h.now(),
	}
	return h.accept(ctx, bot.JobHomeOpened, req, req)
}

// processLinkShared queues the unfurling of the links of a posted message
// whose host is one of the configured unfurl domains (or below one), once
// per event id. Links typed in the composer are not previewed: only the
// links of a message in a conversation are.
func (h *Handler) processLinkShared(ctx context.Context, ev *eventEnvelope) ack {
	e := ev.Event
	if e.User == "" || e.Channel == "" || e.MessageTS == "" || e.Source == "composer" || e.Channel == "COMPOSER" {
		return ack{outcome: OutcomeIgnored}
	}
	var links []string
	for _, l := range e.Links {
		if h.unfurlDomain(l.URL) && len(links) < bot.MaxUnfurlLinks {
			links = append(links, l.URL)
		}
	}
	if len(links) == 0 {
		return ack{outcome: OutcomeIgnored}
	}
	if ev.EventID == "" {
		return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
	}
	req := &bot.Request{
		ID:        ev.EventID,
		Transport: bot.TransportSlack,
		User:      bot.User{ID: e.User},
		TeamID:    ev.TeamID,
		Channel:   e.Channel,
		ThreadTS:  e.ThreadTS,
		Received:  h.now(),
	}
	return h.accept(ctx, bot.JobUnfurl, bot.UnfurlPayload{Request: req, MessageTS: e.MessageTS, Links: links}, req)
}

// unfurlDomain reports whether link is an http(s) URL on a configured
// unfurl domain or a subdomain of one.
func (h *Handler) unfurlDomain(link string) bool {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range h.unfurlDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// NormalizeUnfurlDomains lower-cases domains and checks each is a bare
// host name (no scheme, path or port), as Slack's app_unfurl_domains are.
func NormalizeUnfurlDomains(domains []string) ([]string, error) {
	var out []string
	for _, d := range domains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" || strings.ContainsAny(d, "/:@ ") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
			return nil, fmt.Errorf("unfurl domain %q: want a host name such as github.example.com", d)
		}
		out = append(out, d)
	}
	return out, nil
}

// PublishHome shows a person their Home tab (views.publish) with blocks,
// at most MaxHomeBlocks of them as Slack counts them (a long text or many
// fields make several): beyond that, the Home ends at the last divider
// that fits, so what dividers separate is never cut in the middle, and a
// last line says how many blocks were left out.
func (m *Messenger) PublishHome(ctx context.Context, userID string, blocks []bot.Block) error {
	view := goslack.HomeTabViewRequest{
		Type:       goslack.VTHomeTab,
		CallbackID: HomeCallbackID,
		Blocks:     goslack.Blocks{BlockSet: homeBlocks(blocks, MaxHomeBlocks)},
	}
	if _, err := m.api.PublishViewContext(ctx, goslack.PublishViewContextRequest{UserID: userID, View: view}); err != nil {
		return classify("views.publish", err)
	}
	return nil
}

// homeBlocks renders blocks; when they make more than max Slack blocks,
// it keeps those before the last divider after which the rest no longer
// fits (or, with no such divider, the first max-1), and adds a line
// saying how many were left out.
func homeBlocks(blocks []bot.Block, max int) []goslack.Block {
	var out []goslack.Block
	cut := -1 // len(out) at the last divider that leaves room for the note
	for _, b := range blocks {
		if _, ok := b.(bot.Divider); ok && len(out) <= max-1 {
			cut = len(out)
		}
		out = append(out, renderBlock(b)...)
	}
	if len(out) <= max {
		return out
	}
	if cut <= 0 {
		return limitBlocks(out, max)
	}
	dropped := len(out) - cut
	return append(out[:cut], goslack.NewContextBlock("", mrkdwnText(fmt.Sprintf("… %d more block(s) not shown: your Home is full (Slack shows %d).", dropped, max))))
}

// Unfurl attaches previews to the links of a posted message (chat.unfurl),
// each preview's blocks under its link.
func (m *Messenger) Unfurl(ctx context.Context, channel, messageTS string, previews map[string]bot.Message) error {
	unfurls := make(map[string]goslack.Attachment, len(previews))
	for link, msg := range previews {
		unfurls[link] = goslack.Attachment{
			Fallback: FallbackText(msg),
			Blocks:   goslack.Blocks{BlockSet: RenderBlocks(msg)},
		}
	}
	if _, _, _, err := m.api.UnfurlMessageContext(ctx, channel, messageTS, unfurls); err != nil {
		return classify("chat.unfurl", err)
	}
	return nil
}
