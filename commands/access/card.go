package access

import (
	"fmt"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
)

// statusIcon is the emoji of a state.
func statusIcon(state string) string {
	switch state {
	case StatePending:
		return "⏳"
	case StateApproved, StateActive, StateApplied:
		return "✅"
	case StateDenied:
		return "❌"
	case StateLapsed:
		// A pending request nobody decided in time.
		return "⌛"
	case StateExpired, StateRevoked:
		// A grant ended, by its deadline or by hand: its credentials are gone.
		return "🔒"
	case StateFailed:
		return "⚠️"
	}
	return "•"
}

// statusLabel is the word shown on the card for a state.
func statusLabel(state string) string {
	switch state {
	case StateApproved, StateActive, StateApplied:
		return "APPROVED"
	case StateLapsed:
		return "EXPIRED"
	case StateExpired:
		// The grant ran out and its credentials were revoked.
		return "REVOKED"
	}
	return strings.ToUpper(state)
}

// stamp formats a time for chat.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// channelLink renders a channel id (C0123…) as a mention and a name as #name.
func channelLink(ch string) string {
	switch {
	case ch == "":
		return "the approvals channel"
	case strings.HasPrefix(ch, "#"):
		return ch
	case strings.ToUpper(ch) == ch && len(ch) > 1 && (ch[0] == 'C' || ch[0] == 'G'):
		return "<#" + ch + ">"
	}
	return "#" + ch
}

func mention(u bot.User) string { return "<@" + u.ID + ">" }

// statusText is the status line of the card.
func statusText(r *AccessRequest, state string) string {
	s := statusIcon(state) + " *" + statusLabel(state) + "*"
	switch state {
	case StatePending:
		s += fmt.Sprintf(" — %d of %d approvals · lapses at %s", len(r.Approvals), r.Required, stamp(r.PendingUntil))
	case StateApproved:
		s += " — issuing credentials · access ends at " + stamp(r.ExpiresAt)
	case StateActive:
		s += " — active until " + stamp(r.ExpiresAt) + " as `" + r.KubeIdentity + "`"
	case StateApplied:
		s += fmt.Sprintf(" — `%s` extended until %s", r.ExtendsID, stamp(r.ExtendedTo))
	case StateDenied:
		if r.Denial != nil {
			s += " by " + mention(r.Denial.User) + " at " + stamp(r.Denial.At)
			if r.Denial.Note != "" {
				s += ": " + bot.UserText(r.Denial.Note).Mrkdwn()
			}
		}
	case StateLapsed:
		s += " — nobody decided by " + stamp(r.PendingUntil)
	case StateExpired:
		s += " — expired at " + stamp(r.EndedAt) + "; credentials revoked"
	case StateRevoked:
		s += " at " + stamp(r.EndedAt)
		if r.EndedBy != nil {
			s += " by " + mention(*r.EndedBy)
		}
		if r.EndReason != "" {
			s += ": " + bot.UserText(r.EndReason).Mrkdwn()
		}
	case StateFailed:
		s += " — credentials could not be issued: " + r.Failure
	}
	return s
}

// card renders a request's root message in the approvals channel.
func (a *Access) card(r *AccessRequest, state string) bot.Message {
	title := "🔐 Access request " + r.ID
	switch {
	case r.BreakGlass:
		title = "🚨 BREAK-GLASS access " + r.ID
	case r.ExtendsID != "":
		title = "⏱️ Extension " + r.ID + " of " + r.ExtendsID
	}
	ticket := "—"
	if r.Ticket != "" {
		ticket = bot.Link(r.Ticket, r.Ticket)
	}
	blocks := []bot.Block{
		bot.Header{Text: title},
		bot.Section{Text: "*Status:* " + statusText(r, state)},
		bot.Fields{Pairs: []bot.Pair{
			{Label: "Requester", Value: mention(r.Requester)},
			{Label: "Service", Value: "`" + r.ServiceName + "` (" + r.Owner + ")"},
			{Label: "Environment", Value: r.Environment},
			{Label: "Level", Value: r.Level + " → ClusterRole `" + r.ClusterRole + "` in `" + r.Namespace + "`"},
			{Label: "Duration", Value: FormatDuration(r.Duration) + " from approval"},
			{Label: "Ticket", Value: ticket},
		}},
		bot.Section{Text: "*Reason:* " + bot.UserText(r.Reason).Mrkdwn()},
	}
	if len(r.Approvals) > 0 {
		var lines []string
		for _, v := range r.Approvals {
			lines = append(lines, fmt.Sprintf("✅ %s (%s) at %s", mention(v.User), v.Role, stamp(v.At)))
		}
		blocks = append(blocks, bot.Section{Text: "*Approvals:*\n" + strings.Join(lines, "\n")})
	}
	if r.BreakGlass {
		if r.FollowUp != nil {
			blocks = append(blocks, bot.Section{Text: fmt.Sprintf("*Follow-up review:* %s by %s at %s — %s",
				r.FollowUp.Verdict, mention(r.FollowUp.User), stamp(r.FollowUp.At), bot.UserText(r.FollowUp.Note))})
		} else {
			blocks = append(blocks, bot.Section{Text: "*Follow-up review:* 🔔 required — a peer or the manager of " + r.Owner + " must review this break-glass use."})
		}
	}
	blocks = append(blocks, bot.Context{Text: a.history(r)})
	if who := whoCanApprove(r); who != "" && state == StatePending {
		blocks = append(blocks, bot.Context{Text: who})
	}
	switch {
	case state == StatePending:
		blocks = append(blocks, bot.Actions{Buttons: []bot.Button{
			approval.ApproveButton(ActionApprove, r.ID),
			approval.DenyButton(ActionDeny, r.ID, "Deny this access request?"),
		}})
	case r.BreakGlass && r.FollowUp == nil:
		blocks = append(blocks, bot.Actions{Buttons: []bot.Button{
			{ActionID: ActionReview, Text: "Review break-glass use", Value: r.ID, Style: bot.StylePrimary},
		}})
	}
	text := fmt.Sprintf("%s: %s asks for %s on %s in %s for %s — %s %s", title, mention(r.Requester), r.Level,
		r.ServiceName, r.Environment, FormatDuration(r.Duration), statusIcon(state), statusLabel(state))
	return bot.Message{Text: text, Blocks: blocks}
}

// history renders the requester's recent requests.
func (a *Access) history(r *AccessRequest) string {
	if len(r.Recent) == 0 {
		return "No earlier access requests by " + mention(r.Requester) + "."
	}
	var parts []string
	for _, s := range r.Recent {
		p := fmt.Sprintf("`%s` %s %s/%s %s %s", s.ID, s.Service, s.Environment, s.Level, statusIcon(s.State), s.State)
		if s.BreakGlass {
			p += " 🚨"
		}
		parts = append(parts, p+" ("+s.Created.UTC().Format("Jan 2")+")")
	}
	return "Recent requests by " + mention(r.Requester) + ": " + strings.Join(parts, " · ")
}

func whoCanApprove(r *AccessRequest) string {
	var who []string
	if len(r.Peers) > 0 {
		var ms []string
		for i, p := range r.Peers {
			if i == 8 {
				ms = append(ms, "…")
				break
			}
			ms = append(ms, "<@"+p+">")
		}
		who = append(who, "peers in "+r.Owner+" ("+strings.Join(ms, ", ")+")")
	} else {
		who = append(who, "peers in "+r.Owner)
	}
	if r.Manager != "" {
		who = append(who, "their manager <@"+r.Manager+">")
	}
	s := "Can approve: " + strings.Join(who, " or ") + "; never the requester."
	if r.Required > 1 {
		s += fmt.Sprintf(" Needs %d different approvers.", r.Required)
	}
	return s
}

// what names a request in a sentence: "view on `checkout` in prod-us".
func what(r *AccessRequest) string {
	return fmt.Sprintf("*%s* on `%s` in *%s*", r.Level, r.ServiceName, r.Environment)
}
