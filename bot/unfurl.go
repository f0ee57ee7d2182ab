package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/platbot/platbot/store"
)

// JobUnfurl is the job kind of links someone shared in a conversation
// (Slack's link_shared event), payload an UnfurlPayload. The router runs it:
// it asks the registered unfurlers about each link and attaches the
// previews they give through the transport's LinkUnfurler.
const JobUnfurl = "bot.unfurl"

// MaxUnfurlLinks is the most links of one message the router unfurls.
const MaxUnfurlLinks = 10

// UnfurlPayload is the job payload of shared links: who shared them, where
// (Request.Channel) and in which message.
type UnfurlPayload struct {
	Request   *Request `json:"request"`
	MessageTS string   `json:"message_ts"`
	Links     []string `json:"links"`
}

// Unfurler turns a link into a preview for the person who shared it. It
// reports false for a link that is not its own, and also for one pointing
// at something req.User may not read: an unfurl is shown to everyone in
// the conversation, so it must never show more than the sharer could
// already see with a command there.
type Unfurler func(ctx context.Context, req *Request, link string) (Message, bool, error)

type registeredUnfurler struct {
	feature string
	fn      Unfurler
}

// LinkUnfurler is implemented by messengers that can attach previews to a
// posted message's links (Slack's chat.unfurl).
type LinkUnfurler interface {
	Unfurl(ctx context.Context, channel, messageTS string, previews map[string]Message) error
}

// Unfurler registers a link unfurler. Unfurlers are asked in the order
// they were registered; the first that knows a link previews it.
func (g *Registry) Unfurler(u Unfurler) {
	g.router.AddUnfurler(g.current, u)
}

// AddUnfurler adds a link unfurler on behalf of feature (see
// Registry.Unfurler, which features use).
func (r *Router) AddUnfurler(feature string, u Unfurler) {
	r.ext.mu.Lock()
	r.ext.unfurlers = append(r.ext.unfurlers, registeredUnfurler{feature: feature, fn: u})
	r.ext.mu.Unlock()
}

// Previews asks the unfurlers about each link (at most MaxUnfurlLinks) for
// req.User and returns the previews they gave, by link. An unfurler's
// failure is logged and leaves its link bare.
func (r *Router) Previews(ctx context.Context, req *Request, links []string) map[string]Message {
	r.ext.mu.RLock()
	us := append([]registeredUnfurler(nil), r.ext.unfurlers...)
	r.ext.mu.RUnlock()
	out := map[string]Message{}
	for i, link := range links {
		if i == MaxUnfurlLinks {
			break
		}
		if _, done := out[link]; done {
			continue
		}
		for _, u := range us {
			msg, ok, err := u.fn(ctx, req, link)
			if err != nil {
				var ue *UserError
				if !errors.As(err, &ue) {
					r.log.Warn("unfurl failed", "feature", u.feature, "user", req.User.ID, "channel", req.Channel, "err", err)
				}
				continue
			}
			if ok {
				out[link] = msg
				break
			}
		}
	}
	return out
}

// runUnfurlJob previews the links of a JobUnfurl and attaches the
// previews; links nobody previews stay as Slack shows them.
func (r *Router) runUnfurlJob(ctx context.Context, payload json.RawMessage) error {
	var p UnfurlPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.Request == nil {
		return Permanent(fmt.Errorf("decode unfurl: %v", err))
	}
	req := p.Request
	if err := r.Prepare(ctx, req); err != nil {
		return err
	}
	lu, ok := req.Messenger().(LinkUnfurler)
	if !ok {
		return Permanent(fmt.Errorf("unfurl: the %s transport cannot unfurl links", req.Transport))
	}
	previews := r.Previews(ctx, req, p.Links)
	if len(previews) == 0 {
		return nil
	}
	if err := lu.Unfurl(ctx, req.Channel, p.MessageTS, previews); err != nil {
		return fmt.Errorf("unfurl %d link(s) in %s: %w", len(previews), req.Channel, err)
	}
	links := make([]string, 0, len(previews))
	for _, l := range p.Links {
		if _, ok := previews[l]; ok {
			links = append(links, l)
		}
	}
	r.audit(ctx, store.Event{
		ActorID: req.User.ID, ActorName: req.User.Name, Action: "unfurl", Target: req.Channel, Outcome: "ok",
		Details: map[string]any{"request": req.ID, "message": p.MessageTS, "links": links, "transport": req.Transport},
	})
	return nil
}
