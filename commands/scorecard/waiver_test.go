package scorecard

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/store"
)

// lastButtons returns the Approve and Deny buttons of the latest waiver
// request posted to the admin channel, and the message they are on.
func lastButtons(t *testing.T, m *bottest.Messenger) (approve, deny bot.Button, ref bot.MessageRef) {
	t.Helper()
	posts := m.Ops("post")
	for i := len(posts) - 1; i >= 0; i-- {
		p := posts[i]
		if p.Channel != "#platform-admins" {
			continue
		}
		for _, b := range p.Msg.Blocks {
			if a, ok := b.(bot.Actions); ok {
				return a.Buttons[0], a.Buttons[1], p.Ref
			}
		}
	}
	t.Fatal("no waiver request with buttons in #platform-admins")
	return
}

func TestWaiverApprovalAndExpiry(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	if r := f.score(t, "payments-service"); r.Grade != grade.GradeB {
		t.Fatalf("before: %s", r.Grade)
	}

	out := f.run(t, "U-DEV", `scorecard waive payments-service has-readme-runbook --days 10 --reason "runbook lives in the wiki until the move"`)
	if !strings.Contains(out, "Asked the platform admins in #platform-admins") {
		t.Fatalf("waive reply: %s", out)
	}
	approve, deny, ref := lastButtons(t, f.m)
	if approve.ActionID != "scorecard:approve" || deny.ActionID != "scorecard:deny" || approve.Value == "" {
		t.Fatalf("buttons = %+v %+v", approve, deny)
	}
	// The request is discussed in a thread under the request message.
	var threaded bool
	for _, p := range f.m.Ops("post") {
		if p.Channel == "#platform-admins" && p.Msg.ThreadTS == ref.TS {
			threaded = true
		}
	}
	if !threaded {
		t.Error("no thread reply under the waiver request")
	}

	// A non-admin cannot decide.
	if out := f.click(t, "U-DEV2", approve, ref); !strings.Contains(out, "You may not admin") {
		t.Fatalf("non-admin approve: %q", out)
	}
	if r := f.score(t, "payments-service"); statusOf(r, "has-readme-runbook") != grade.StatusFail {
		t.Fatal("a non-admin's click waived the check")
	}

	// An admin approves: the check counts as passing until the waiver expires.
	f.m.Reset()
	if out := f.click(t, "U-ADMIN", approve, ref); out != "" {
		t.Fatalf("admin approve replied %q", out)
	}
	if len(f.m.Ops("update")) != 1 || !strings.Contains(f.m.Ops("update")[0].Text(), "Approved by <@U-ADMIN> until 2026-12-10") {
		t.Fatalf("request message not updated: %+v", f.m.Ops("update"))
	}
	for _, b := range f.m.Ops("update")[0].Msg.Blocks {
		if _, ok := b.(bot.Actions); ok {
			t.Fatal("decided request still has buttons")
		}
	}
	if dms := f.m.Ops("dm"); len(dms) != 1 || dms[0].User != "U-DEV" || !strings.Contains(dms[0].Text(), "approved") {
		t.Fatalf("requester DM = %+v", dms)
	}
	r := f.score(t, "payments-service")
	if statusOf(r, "has-readme-runbook") != grade.StatusWaived || r.Grade != grade.GradeA {
		t.Fatalf("after approval: %s %s", statusOf(r, "has-readme-runbook"), r.Grade)
	}
	if out := f.run(t, "U-DEV", "scorecard payments-service"); !strings.Contains(out, "Waived until 2026-12-10") {
		t.Errorf("scorecard does not show the waiver:\n%s", out)
	}

	// A second click decides nothing.
	if out := f.click(t, "U-ADMIN2", deny, ref); !strings.Contains(out, "already approved") {
		t.Fatalf("second decision: %q", out)
	}
	// The decision is audited as waiver decisions always were (the new
	// state as the outcome); the refused clicks as the lifecycle audits
	// them (a denial with the reason the clicker was given).
	var decided, refused int
	for _, e := range f.audit.Events() {
		switch {
		case e.Action != "scorecard.waiver.decide":
		case e.Outcome == WaiverApproved && e.Decision == "allow" && e.Target == "component:default/payments-service":
			decided++
		case e.Outcome == "ok" && e.Decision == "deny" && e.Details["why"] != nil:
			refused++
		}
	}
	if decided != 1 || refused != 1 {
		t.Errorf("decide audit: %d decisions, %d refusals; want 1 and 1: %v", decided, refused, outcomes(f.audit))
	}

	// After ten days the waiver has expired and the gap is back; the expiry
	// job marks it and tells the requester.
	f.clock.Set(testNow.Add(10*24*time.Hour + time.Minute))
	r = f.score(t, "payments-service")
	if statusOf(r, "has-readme-runbook") != grade.StatusFail || r.Grade != grade.GradeB {
		t.Fatalf("after expiry: %s %s", statusOf(r, "has-readme-runbook"), r.Grade)
	}
	f.m.Reset()
	if _, err := f.r.Worker().RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if dms := f.m.Ops("dm"); len(dms) != 1 || !strings.Contains(dms[0].Text(), "expired") {
		t.Fatalf("expiry DM = %+v", f.m.Sent())
	}
	recs, _ := f.st.ListRecords(ctx, storeQuery(KindWaiver, WaiverExpired))
	if len(recs) != 1 {
		t.Fatalf("expired waivers = %d", len(recs))
	}
}

func TestWaiverDeniedAndSelfApproval(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.run(t, "U-ADMIN2", `scorecard waive reports-service no-critical-cves --days 30 --reason "vendor fix due"`)
	approve, deny, ref := lastButtons(t, f.m)
	if out := f.click(t, "U-ADMIN2", approve, ref); !strings.Contains(out, "another platform admin must decide") {
		t.Fatalf("self-approval: %q", out)
	}
	f.m.Reset()
	f.click(t, "U-ADMIN", deny, ref)
	if dms := f.m.Ops("dm"); len(dms) != 1 || !strings.Contains(dms[0].Text(), "denied") {
		t.Fatalf("deny DM = %+v", dms)
	}
	if r := f.score(t, "reports-service"); statusOf(r, "no-critical-cves") != grade.StatusFail {
		t.Fatal("a denied waiver waived the check")
	}
	acts := strings.Join(outcomes(f.audit), " ")
	for _, want := range []string{"scorecard.waiver.request/pending", "scorecard.waiver.decide/denied"} {
		if !strings.Contains(acts, want) {
			t.Errorf("audit lacks %s: %s", want, acts)
		}
	}
}

func TestWaiveValidation(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for text, want := range map[string]string{
		"scorecard waive payments-service":                                      "Usage",
		"scorecard waive paymnts-service has-on-call --days 3 --reason x":       "Did you mean `payments-service`",
		"scorecard waive payments-service has-oncall --days 3 --reason x":       "Did you mean `has-on-call`",
		"scorecard waive payments-service has-on-call --days 400 --reason x":    "from 1 to 90",
		"scorecard waive payments-service has-on-call --days 3":                 "--reason",
		"scorecard waive payments-service has-on-call --days three --reason no": "whole number",
	} {
		if out := f.run(t, "U-DEV", text); !strings.Contains(out, want) {
			t.Errorf("%q → %q, want it to contain %q", text, out, want)
		}
	}
	if len(f.m.Ops("post")) != 0 {
		t.Error("an invalid waiver request reached the admins")
	}
}

// TestWaiverStoredBeforeTheLifecycle: waivers stored before waivers ran on
// bot/approval kept their card in "message" and their decision in
// "approver" and "decided". A pending one is still decided on its card; an
// approved one still waives and names its approver; a denied one reads as
// denied.
func TestWaiverStoredBeforeTheLifecycle(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	card, err := f.m.Post(ctx, "#platform-admins", bot.Message{Text: "Waiver request `w-old1`"})
	if err != nil {
		t.Fatal(err)
	}
	put := func(id, state, data string) {
		t.Helper()
		if _, err := f.st.PutRecord(ctx, store.Record{Kind: KindWaiver, ID: id, State: state, Owner: "U-DEV",
			Key: "component:default/payments-service", Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
	}
	put("w-old1", WaiverPending, `{"id":"w-old1","service":"component:default/payments-service","check":"has-readme-runbook","days":10,`+
		`"reason":"wiki","requester":{"id":"U-DEV","name":"U-DEV"},"requested":"2026-11-29T09:00:00Z",`+
		`"message":{"channel":"`+card.Channel+`","ts":"`+card.TS+`"}}`)
	put("w-old2", WaiverApproved, `{"id":"w-old2","service":"component:default/reports-service","check":"no-critical-cves","days":30,`+
		`"reason":"vendor","requester":{"id":"U-DEV"},"requested":"2026-11-20T09:00:00Z","approver":{"id":"U-ADMIN"},`+
		`"decided":"2026-11-20T10:00:00Z","expires":"2026-12-20T10:00:00Z","message":{"channel":"#platform-admins","ts":"1.1"}}`)
	put("w-old3", WaiverDenied, `{"id":"w-old3","service":"component:default/reports-service","check":"has-on-call","days":3,`+
		`"reason":"no","requester":{"id":"U-DEV"},"requested":"2026-11-20T09:00:00Z","approver":{"id":"U-ADMIN2"},"decided":"2026-11-20T10:00:00Z"}`)

	// The old approved waiver still waives its check and names its approver.
	if r := f.score(t, "reports-service"); statusOf(r, "no-critical-cves") != grade.StatusWaived {
		t.Fatalf("old approved waiver: %s", statusOf(r, "no-critical-cves"))
	}
	w2, _, err := f.s.waivers.Load(ctx, "w-old2")
	if err != nil || len(w2.Approvals) != 1 || w2.Approvals[0].User.ID != "U-ADMIN" || w2.Card.TS != "1.1" || waiverVerdict(w2) != "✅ Approved by <@U-ADMIN> until 2026-12-20." {
		t.Fatalf("old approved waiver read as %+v (%v)", w2, err)
	}
	w3, _, err := f.s.waivers.Load(ctx, "w-old3")
	if err != nil || w3.Denial == nil || w3.Denial.User.ID != "U-ADMIN2" || len(w3.Approvals) != 0 {
		t.Fatalf("old denied waiver read as %+v (%v)", w3, err)
	}

	// The old pending one is decided on the card it was stored with (the
	// click carries no message, so only the stored ref can say where).
	f.m.Reset()
	approve := bot.Button{ActionID: "scorecard:approve", Value: "w-old1"}
	if out := f.click(t, "U-DEV", approve, bot.MessageRef{}); !strings.Contains(out, "another platform admin must decide") {
		t.Fatalf("self-approval of an old waiver: %q", out)
	}
	if out := f.click(t, "U-ADMIN", approve, bot.MessageRef{}); out != "" {
		t.Fatalf("admin approve of an old waiver replied %q", out)
	}
	ups := f.m.Ops("update")
	if len(ups) != 1 || ups[0].Ref != card || !strings.Contains(ups[0].Text(), "Approved by <@U-ADMIN> until 2026-12-10") {
		t.Fatalf("old waiver's card not updated in place: %+v", ups)
	}
	var threaded bool
	for _, p := range f.m.Ops("post") {
		threaded = threaded || (p.Channel == card.Channel && p.Msg.ThreadTS == card.TS && strings.Contains(p.Text(), "Approved by <@U-ADMIN>"))
	}
	if !threaded {
		t.Errorf("no verdict in the old card's thread: %+v", f.m.Ops("post"))
	}
	if dms := f.m.Ops("dm"); len(dms) != 1 || dms[0].User != "U-DEV" || !strings.Contains(dms[0].Text(), "approved") {
		t.Fatalf("requester DM = %+v", dms)
	}
	if r := f.score(t, "payments-service"); statusOf(r, "has-readme-runbook") != grade.StatusWaived {
		t.Fatalf("old waiver approved now: %s", statusOf(r, "has-readme-runbook"))
	}
	if got := f.q.kinds(store.JobQueued); !slices.Contains(got, JobWaiverExpire) {
		t.Fatalf("no expiry scheduled for the old waiver: %v", got)
	}
	// A second click decides nothing.
	if out := f.click(t, "U-ADMIN2", approve, card); !strings.Contains(out, "already approved") {
		t.Fatalf("second decision of an old waiver: %q", out)
	}
}
