package access

import (
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
)

// TestUserTextNeverPings: a reason, a ticket field, a revoke reason and a
// review note typed as Slack markup arrive on the approvals card, in its
// thread and in the DMs as text — no @channel, no mention, no link under
// a false label — and the shell prints them as typed.
func TestUserTextNeverPings(t *testing.T) {
	h := newHarness(t)
	v := values("payments-api", "prod-us", "view", "1h", bottest.Hostile)
	v.Set(fieldTicket, "https://tickets.example.com/OPS-1><!channel>|trusted")
	if errs := h.submit(rita, "access payments-api prod-us", v); errs != nil {
		t.Fatal(errs)
	}
	id := h.lastID()
	card := h.wantSent("post", payApprovals, "Access request "+id)
	bottest.CheckHostile(t, card)
	if wire := card.Wire(); !strings.Contains(wire, "https://tickets.example.com/OPS-1&gt;&lt;!channel&gt;|trusted") {
		t.Errorf("a ticket that is no plain URL is shown as escaped text, not linked:\n%s", wire)
	}

	h.run(rita, "access revoke "+id+" "+bottest.Hostile)
	h.wantState(id, StateRevoked)
	for _, s := range []bottest.Sent{
		h.wantSent("post", payApprovals, "Cancelled by"),
		h.wantSent("update", payApprovals, "REVOKED"),
	} {
		bottest.CheckHostile(t, s)
	}

	// A granted request revoked with a hostile reason: thread, card and DM.
	v = values("payments-api", "prod-us", "view", "1h", testReason)
	v.Set(fieldTicket, "https://jira.example.com/browse/OPS-123?a=1&b=2")
	if errs := h.submit(rita, "access payments-api prod-us", v); errs != nil {
		t.Fatal(errs)
	}
	id = h.lastID()
	card = h.wantSent("post", payApprovals, "Access request "+id)
	if want := "<https://jira.example.com/browse/OPS-123?a=1&amp;b=2|https://jira.example.com/browse/OPS-123?a=1&amp;b=2>"; !strings.Contains(card.Wire(), want) {
		t.Errorf("a valid ticket URL is linked as %s:\n%s", want, card.Wire())
	}
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	if st, r := h.state(id); st != StateActive {
		t.Fatalf("%s is %s: %s\n%s", id, st, r.Failure, h.logs.String())
	}
	h.run(adam, "access revoke "+id+" "+bottest.Hostile)
	h.wantState(id, StateRevoked)
	for _, s := range []bottest.Sent{
		h.wantSent("post", payApprovals, "Revoked by"),
		h.wantSent("dm", "D-"+rita, "was revoked by"),
		h.wantSent("update", payApprovals, "REVOKED"),
	} {
		bottest.CheckHostile(t, s)
	}

	// Break-glass: the broadcast reason, the review form's intro, the
	// review note in the thread and the DM.
	bg := values("payments-api", "prod-us", "view", "30m", bottest.Hostile)
	bg.Set(fieldConfirm, "true")
	if errs := h.submit(rita, "access payments-api prod-us --break-glass", bg); errs != nil {
		t.Fatal(errs)
	}
	id = h.lastID()
	bottest.CheckHostile(t, h.wantSent("post", payApprovals, "BREAK-GLASS access "+id))
	bottest.CheckHostile(t, h.wantSent("post", payApprovals, "without approval"))
	h.click(peter, payApprovals, ActionReview, id)
	f := h.m.Last().Form
	if f == nil || !strings.Contains(f.Intro, bottest.HostileMrkdwn) || strings.Contains(f.Intro, "<!channel>") {
		t.Fatalf("review form intro does not show the reason escaped: %+v", f)
	}
	if errs := h.submit(peter, "access review "+id, bot.Values{fieldVerdict: {VerdictJustified}, fieldNote: {bottest.Hostile}}); errs != nil {
		t.Fatal(errs)
	}
	bottest.CheckHostile(t, h.wantSent("post", payApprovals, "Follow-up review by"))
	bottest.CheckHostile(t, h.wantSent("dm", "D-"+rita, "was reviewed by"))
	bottest.CheckHostile(t, h.wantSent("update", payApprovals, "Follow-up review"))

	// Ids and service names typed on the command line are echoed as text.
	h.run(rita, "access revoke <!channel>")
	h.run(rita, "access <!here> prod-us")
	wire := allWire(h.m)
	for _, want := range []string{"There is no access request `&lt;!channel&gt;`", "There is no service `&lt;!here&gt;`"} {
		if !strings.Contains(wire, want) {
			t.Errorf("no answer %q", want)
		}
	}
	if strings.Contains(wire, "<!channel>") || strings.Contains(wire, "<!here>") {
		t.Errorf("an answer carries live markup:\n%s", wire)
	}

	// Nothing the feature sent anywhere carries the markup live.
	carrying := h.m.CarryingHostile()
	if len(carrying) < 10 {
		t.Fatalf("only %d messages carry the user text; sent:\n%s", len(carrying), h.dump())
	}
	for _, s := range carrying {
		if w := s.Wire(); strings.Contains(w, "<!channel>") || strings.Contains(w, "<@U123>") || strings.Contains(w, "<https://evil") {
			t.Errorf("%s to %s carries live markup:\n%s", s.Op, s.Channel, w)
		}
	}
}

// allWire joins what Slack would receive for every recorded message.
func allWire(m *bottest.Messenger) string {
	var b strings.Builder
	for _, s := range m.Sent() {
		if s.Form == nil {
			b.WriteString(s.Wire())
		}
	}
	return b.String()
}
