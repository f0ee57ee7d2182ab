package access

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/store"
)

func TestRequestApproveDeliverExpire(t *testing.T) {
	h := newHarness(t)

	// The command opens the form with what was typed.
	h.run(rita, "access payments-api prod-us")
	form := h.m.Last()
	if form.Op != "form" || form.Form.ID != "access" {
		t.Fatalf("want the request form, got %s %q", form.Op, form.Text())
	}
	if f := form.Form.Field(fieldService); f.Default != "payments-api" {
		t.Errorf("service default = %q", f.Default)
	}
	if f := form.Form.Field(fieldEnv); f.Default != "prod-us" || len(f.Options) != 1 {
		t.Errorf("environment field = %+v", f)
	}
	if f := form.Form.Field(fieldDuration); f.Default != "1h" || f.Options[len(f.Options)-1].Value != "8h" {
		t.Errorf("duration field = %+v", f)
	}
	if f := form.Form.Field(fieldReason); !f.Required || f.MinLen != ReasonMin || f.MaxLen != ReasonMax {
		t.Errorf("reason field = %+v", f)
	}

	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	r := h.wantState(id, StatePending)
	if !r.ApprovedAt.IsZero() || !r.ExpiresAt.IsZero() {
		t.Error("the clock must not start at request time")
	}
	h.wantSent("respond", "", "posted in <#"+payApprovals+">")

	// One root message in the team's approvals channel with everything an
	// approver needs, and Approve/Deny buttons.
	root := h.wantSent("post", payApprovals, id)
	if root.Msg.ThreadTS != "" {
		t.Fatal("the request must be a root message")
	}
	text := root.Text()
	for _, want := range []string{"<@" + rita + ">", "payments-api", "prod-us", "view", "1h", testReason, "⏳ *PENDING*", "No earlier access requests", "<@" + peter + ">", "<@" + maria + ">"} {
		if !strings.Contains(text, want) {
			t.Errorf("card lacks %q:\n%s", want, text)
		}
	}
	if bs := buttons(root); len(bs) != 2 || bs[0].ActionID != ActionApprove || bs[1].ActionID != ActionDeny || bs[0].Value != id {
		t.Fatalf("buttons = %+v", bs)
	}

	// A peer approves: the clock starts now.
	h.clock.Advance(30 * time.Minute)
	approvedAt := h.clock.Now()
	h.click(peter, payApprovals, ActionApprove, id)
	r = h.wantState(id, StateApproved)
	if !r.ApprovedAt.Equal(approvedAt) || !r.ExpiresAt.Equal(approvedAt.Add(time.Hour)) {
		t.Fatalf("approved at %v until %v, want %v + 1h", r.ApprovedAt, r.ExpiresAt, approvedAt)
	}
	h.wantSent("post", payApprovals, "Approved by <@"+peter+">")
	h.wantSent("dm", "", "was approved by <@"+peter+">")
	if !strings.Contains(h.card(id), "✅ *APPROVED*") {
		t.Errorf("card not updated to approved:\n%s", h.card(id))
	}

	// The issue job creates the ServiceAccount and RoleBinding and DMs the
	// kubeconfig as a file in the requester's DM.
	h.jobs()
	r = h.wantState(id, StateActive)
	if r.KubeIdentity != "system:serviceaccount:payments:platbot-"+id {
		t.Errorf("identity = %q", r.KubeIdentity)
	}
	if !h.cluster.exists(t, "prod-us", "payments", id) || h.cluster.bindingRole(t, "prod-us", "payments", id) != "view" {
		t.Fatal("serviceaccount or rolebinding missing")
	}
	up := h.wantSent("upload", "D-"+rita, "")
	kc, err := clientcmd.Load(up.File.Content)
	if err != nil {
		t.Fatalf("uploaded kubeconfig: %v", err)
	}
	if cur := kc.Contexts[kc.CurrentContext]; cur == nil || cur.Namespace != "payments" || kc.AuthInfos[cur.AuthInfo].Token != h.cluster.Tokens()[0] {
		t.Errorf("kubeconfig context = %+v", cur)
	}
	h.wantSent("dm", "", "Your view access to `payments-api` in *prod-us* is ready")
	h.wantSent("post", payApprovals, "Kubernetes identity `system:serviceaccount:payments:platbot-"+id+"`")

	// Ten minutes before the deadline the requester is warned with Extend.
	h.clock.Advance(49 * time.Minute)
	h.jobs()
	if len(h.sent("dm", "", "ends in")) != 0 {
		t.Fatal("warned too early")
	}
	h.clock.Advance(time.Minute)
	h.jobs()
	warn := h.wantSent("dm", "", "ends in *10m*")
	if bs := buttons(warn); len(bs) != 1 || bs[0].ActionID != ActionExtend || bs[0].Value != id {
		t.Fatalf("warning buttons = %+v", bs)
	}

	// At the deadline the job revokes: objects gone, card and DM say so.
	h.clock.Advance(10 * time.Minute)
	h.jobs()
	r = h.wantState(id, StateExpired)
	if !r.CleanedUp || h.cluster.exists(t, "prod-us", "payments", id) || h.cluster.bindingRole(t, "prod-us", "payments", id) != "" {
		t.Fatal("credentials not revoked at the deadline")
	}
	// An ended grant shows a lock; ⌛ EXPIRED is for requests that lapsed.
	if c := h.card(id); !strings.Contains(c, "🔒 *REVOKED* — expired at ") || strings.Contains(c, "⌛") {
		t.Errorf("card:\n%s", c)
	}
	h.wantSent("dm", "", "ended at")
	h.wantSent("post", payApprovals, "its tokens no longer work")

	// Audit: request, review, grant and expiry with who, why and identity.
	evs, err := h.st.AuditEvents(h.ctx, store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]store.Event{}
	for _, e := range evs {
		if strings.HasPrefix(e.Action, "access.") {
			seen[e.Action] = e
		}
	}
	for action, actor := range map[string]string{"access.request": rita, "access.review": peter, "access.grant": "platbot", "access.expire": "platbot"} {
		e, ok := seen[action]
		if !ok {
			t.Errorf("no %s audit event", action)
			continue
		}
		if e.ActorID != actor || e.Details["reason"] != testReason || e.Details["request"] != id {
			t.Errorf("%s event = %+v", action, e)
		}
	}
	if g := seen["access.grant"]; g.Details["kube_identity"] != "system:serviceaccount:payments:platbot-"+id || g.Details["credential_id"] != "jti-1" {
		t.Errorf("grant event details = %v", g.Details)
	}
	if rep, err := h.st.VerifyAudit(h.ctx); err != nil || !rep.OK {
		t.Errorf("audit chain: %v %v", rep, err)
	}
}

func TestSelfApprovalAndOutsidersRefused(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")

	h.click(rita, payApprovals, ActionApprove, id)
	eph := h.wantSent("ephemeral", payApprovals, "can't review your own")
	if eph.User != rita {
		t.Errorf("ephemeral went to %s", eph.User)
	}
	h.click(olga, payApprovals, ActionApprove, id)
	h.wantSent("ephemeral", payApprovals, "Only peers in group:default/payments or their manager")
	h.click(adam, payApprovals, ActionDeny, id) // admins are not approvers
	h.wantState(id, StatePending)
	h.jobs()
	if h.cluster.exists(t, "prod-us", "payments", id) || len(h.sent("upload", "", "")) != 0 {
		t.Fatal("something was issued without an approval")
	}
	// The refusals are audited as denied reviews.
	evs, _ := h.st.AuditEvents(h.ctx, store.AuditFilter{}, 0)
	denied := 0
	for _, e := range evs {
		if e.Action == "access.review" && e.Decision == "deny" {
			denied++
		}
	}
	if denied != 3 {
		t.Errorf("%d denied reviews audited, want 3", denied)
	}

	// The manager of the team may approve, though not in it.
	h.click(maria, payApprovals, ActionApprove, id)
	r := h.wantState(id, StateApproved)
	if r.Approvals[0].Role != "manager" {
		t.Errorf("role = %q", r.Approvals[0].Role)
	}
	// A click on a decided request explains, and changes nothing.
	h.click(peter, payApprovals, ActionDeny, id)
	h.wantSent("ephemeral", payApprovals, "is already ✅ APPROVED")
	h.wantState(id, StateApproved)
}

func TestPolicyEngineIsConsulted(t *testing.T) {
	h := newHarness(t)
	pol := bottest.NewPolicy()
	pol.Deny(bot.ActionApprove)
	h.r = bot.NewRouter(bot.RouterOptions{Audit: h.st, Queue: h.st, Now: h.clock.Now, Policy: pol, Logger: h.logger()})
	h.r.SetMessenger(bot.TransportShell, h.m)
	h.install()
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.wantState(id, StatePending)
	h.wantSent("ephemeral", payApprovals, "You may not approve")
	var res bot.Resource
	for _, d := range pol.Seen() {
		if d.Action == bot.ActionApprove {
			res = d.Resource
		}
	}
	if res.Owner != "group:default/payments" || res.Ref != "component:default/payments-api" {
		t.Errorf("resource = %+v", res)
	}
	hasTag := false
	for _, tg := range res.Tags {
		hasTag = hasTag || tg == "requester:"+rita
	}
	if !hasTag {
		t.Errorf("resource tags %v lack requester:%s", res.Tags, rita)
	}
	pol.Allow(bot.ActionApprove)
	h.click(peter, payApprovals, ActionApprove, id)
	h.wantState(id, StateApproved)
}

func TestDenyNotifiesAndIssuesNothing(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "edit", "2h")
	h.click(paula, payApprovals, ActionDeny, id)
	h.wantState(id, StateDenied)
	if !strings.Contains(h.card(id), "❌ *DENIED* by <@"+paula+">") {
		t.Errorf("card:\n%s", h.card(id))
	}
	h.wantSent("dm", "", "was denied by <@"+paula+">")
	h.wantSent("post", payApprovals, "denied this request")
	h.jobs()
	if h.cluster.exists(t, "prod-us", "payments", id) {
		t.Fatal("issued after a denial")
	}
}

func TestApproveDenyRace(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 12; i++ {
		id := h.request(rita, "payments-api", "prod-us", "view", "1h")
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, c := range []struct{ user, action string }{{peter, ActionApprove}, {paula, ActionDeny}, {maria, ActionApprove}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if err := h.r.Act(h.ctx, h.req(c.user, payApprovals), bot.Action{ID: c.action, Value: id}); err != nil {
					t.Errorf("click: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		st, r := h.state(id)
		switch st {
		case StateApproved:
			if len(r.Approvals) != 1 || r.Denial != nil {
				t.Fatalf("approved with %d approvals and denial %v", len(r.Approvals), r.Denial)
			}
		case StateDenied:
			if len(r.Approvals) != 0 || r.Denial == nil {
				t.Fatalf("denied with %d approvals", len(r.Approvals))
			}
		default:
			t.Fatalf("state after racing clicks = %q", st)
		}
		// Exactly one decision announced; the losers were told privately.
		decided := len(h.sent("post", payApprovals, "Approved by")) + len(h.sent("post", payApprovals, "denied this request"))
		if decided != 1 {
			t.Fatalf("round %d: %d decisions announced", i, decided)
		}
		if n := len(h.sent("ephemeral", payApprovals, "")); n != 2 {
			t.Fatalf("round %d: %d losers told, want 2:\n%s", i, n, h.dump())
		}
		h.jobs()
		if st == StateApproved && len(h.sent("upload", "D-"+rita, "")) != 1 {
			t.Fatalf("round %d: %d kubeconfigs delivered", i, len(h.sent("upload", "D-"+rita, "")))
		}
		h.m.Reset()
		if st == StateApproved {
			h.run(rita, "access revoke "+id+" done")
			h.m.Reset()
		}
	}
}

func TestTwoApprovalEnvironment(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-eu", "exec", "2h")
	h.wantSent("post", euApprovals, "0 of 2 approvals")

	h.click(peter, euApprovals, ActionApprove, id)
	h.wantState(id, StatePending)
	h.wantSent("post", euApprovals, "1 of 2 approvals")
	if !strings.Contains(h.card(id), "1 of 2 approvals") {
		t.Errorf("card:\n%s", h.card(id))
	}
	// The same approver twice does not count twice.
	h.click(peter, euApprovals, ActionApprove, id)
	h.wantSent("ephemeral", euApprovals, "You already approved")
	h.wantState(id, StatePending)
	h.jobs()
	if h.cluster.exists(t, "prod-eu", "payments", id) {
		t.Fatal("issued after one of two approvals")
	}
	h.click(maria, euApprovals, ActionApprove, id)
	h.wantState(id, StateApproved)
	h.jobs()
	h.wantState(id, StateActive)
	if h.cluster.bindingRole(t, "prod-eu", "payments", id) != "platbot-exec" {
		t.Error("exec level not bound to platbot-exec")
	}

	// Two approvers at once on a fresh request: both count, one grant.
	id2 := h.request(rita, "payments-api", "prod-eu", "view", "1h")
	var wg sync.WaitGroup
	for _, u := range []string{peter, paula} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.r.Act(h.ctx, h.req(u, euApprovals), bot.Action{ID: ActionApprove, Value: id2}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	r := h.wantState(id2, StateApproved)
	if len(r.Approvals) != 2 {
		t.Fatalf("approvals = %d", len(r.Approvals))
	}
}

func TestPendingRequestExpires(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.clock.Advance(23 * time.Hour)
	h.jobs()
	h.wantState(id, StatePending)
	h.clock.Advance(time.Hour)
	h.jobs()
	h.wantState(id, StateLapsed)
	if !strings.Contains(h.card(id), "⌛ *EXPIRED*") || strings.Contains(h.card(id), "[Approve]") {
		t.Errorf("card:\n%s", h.card(id))
	}
	h.wantSent("dm", "", "expired: it was not approved")
	// Approving afterwards does nothing.
	h.click(peter, payApprovals, ActionApprove, id)
	h.wantState(id, StateLapsed)
	h.wantSent("ephemeral", payApprovals, "already ⌛ EXPIRED")
}

// TestLapseAnnouncedOnce: a pending request that Resume lapsed is not
// announced a second time when its queued lapse job runs afterwards.
func TestLapseAnnouncedOnce(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.clock.Advance(25 * time.Hour)
	h.restart() // Resume lapses it; the lapse job is still queued
	h.wantState(id, StateLapsed)
	if h.jobs() == 0 {
		t.Fatal("the queued lapse job did not run")
	}
	if n := len(h.sent("dm", "", "expired: it was not approved")); n != 1 {
		t.Errorf("%d lapse DMs; want 1", n)
	}
	if n := len(h.sent("post", payApprovals, "Nobody decided by")); n != 1 {
		t.Errorf("%d lapse thread replies; want 1", n)
	}
}

func TestRestartDuringGrantRevokesOnTime(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	h.wantState(id, StateActive)

	// platbot restarts halfway: a new instance over the same store file.
	h.clock.Advance(30 * time.Minute)
	h.restart()
	h.jobs()
	h.wantState(id, StateActive)
	if len(h.sent("upload", "", "")) != 0 {
		t.Fatal("a restart re-delivered a kubeconfig that had arrived")
	}
	h.clock.Advance(30 * time.Minute)
	h.jobs()
	h.wantState(id, StateExpired)
	if h.cluster.exists(t, "prod-us", "payments", id) {
		t.Fatal("not revoked at the deadline after a restart")
	}
	h.wantSent("update", payApprovals, "🔒 *REVOKED* — expired at")
}

func TestRestartAfterDeadlineRevokesAtOnce(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	pending := h.request(rita, "payments-api", "prod-us", "edit", "1h")

	// platbot was down over the deadline and the pending request's TTL.
	h.clock.Advance(25 * time.Hour)
	h.restart() // Resume, before any job runs
	h.wantState(id, StateExpired)
	if h.cluster.exists(t, "prod-us", "payments", id) {
		t.Fatal("overdue grant not revoked by Resume")
	}
	h.wantState(pending, StateLapsed)
	h.wantSent("dm", "", "ended at")
	h.jobs() // the old jobs find the work done
	if n := len(h.sent("dm", "", "ended at")); n != 1 {
		t.Errorf("%d end notices", n)
	}
}

func TestRestartBeforeIssueDelivers(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	// Crash before the issue job ran: approved, nothing issued yet.
	h.restart()
	h.jobs()
	h.wantState(id, StateActive)
	if n := len(h.sent("upload", "D-"+rita, "")); n != 1 {
		t.Fatalf("%d kubeconfigs after restart, want 1", n)
	}
}

func TestExtension(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	_, g := h.state(id)
	deadline := g.ExpiresAt

	// Only the holder may extend.
	h.click(paula, "D-"+paula, ActionExtend, id)
	h.wantSent("respond", "", "Only <@"+rita+">")

	h.clock.Advance(50 * time.Minute)
	h.jobs()
	h.click(rita, "D-"+rita, ActionExtend, id)
	form := h.m.Last()
	if form.Op != "form" || form.Form.ID != "access extend" {
		t.Fatalf("want the extend form, got %s", form.Op)
	}
	if opts := form.Form.Field(fieldDuration).Options; opts[len(opts)-1].Value != "1h" {
		t.Errorf("an extension may not be longer than the grant: %+v", opts)
	}
	if errs := h.submit(rita, "access extend "+id, bot.Values{fieldDuration: {"2h"}, fieldReason: {"still debugging payouts"}}); errs == nil {
		t.Fatal("a 2h extension of a 1h grant was accepted")
	}
	if errs := h.submit(rita, "access extend "+id, bot.Values{fieldDuration: {"30m"}, fieldReason: {"still debugging payouts"}}); errs != nil {
		t.Fatal(errs)
	}
	ext := h.lastID()
	if !strings.HasPrefix(ext, "ax-") {
		t.Fatalf("extension id %q", ext)
	}
	h.wantSent("post", payApprovals, "asked to extend this grant by 30m")
	card := h.wantSent("post", payApprovals, "Extension "+ext)
	if bs := buttons(card); len(bs) != 2 {
		t.Fatalf("extension card buttons %+v", bs)
	}
	h.click(rita, payApprovals, ActionApprove, ext)
	h.wantSent("ephemeral", payApprovals, "can't review your own")
	h.click(paula, payApprovals, ActionApprove, ext)
	h.jobs()
	x := h.wantState(ext, StateApplied)
	g = h.wantState(id, StateActive)
	if !g.ExpiresAt.Equal(deadline.Add(30*time.Minute)) || !x.ExtendedTo.Equal(g.ExpiresAt) {
		t.Fatalf("extended to %v, want %v", g.ExpiresAt, deadline.Add(30*time.Minute))
	}
	if n := len(h.sent("upload", "D-"+rita, "")); n != 2 {
		t.Fatalf("%d kubeconfigs, want a new one for the extension", n)
	}
	// The old deadline passes without revoking; the new one revokes.
	h.clock.Advance(11 * time.Minute)
	h.jobs()
	h.wantState(id, StateActive)
	h.clock.Advance(30 * time.Minute)
	h.jobs()
	h.wantState(id, StateExpired)
	if h.cluster.exists(t, "prod-us", "payments", id) {
		t.Fatal("extended grant not revoked")
	}
	evs, _ := h.st.AuditEvents(h.ctx, store.AuditFilter{}, 0)
	found := false
	for _, e := range evs {
		found = found || (e.Action == "access.extend" && e.Details["extension"] == ext)
	}
	if !found {
		t.Error("no access.extend audit event")
	}
}

func TestRevokeAndList(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "4h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()

	h.run(rita, "access list")
	list := h.wantSent("respond", "", "Your access grants").Text()
	if !strings.Contains(list, id) || !strings.Contains(list, "ACTIVE") {
		t.Errorf("list:\n%s", list)
	}
	h.run(olga, "access list")
	if strings.Contains(h.m.Last().Text(), id) {
		t.Error("olga sees rita's grant")
	}
	h.run(adam, "access list")
	if !strings.Contains(h.m.Last().Text(), id) || !strings.Contains(h.m.Last().Text(), "All access grants") {
		t.Errorf("admin list:\n%s", h.m.Last().Text())
	}

	h.run(olga, "access revoke "+id)
	h.wantSent("respond", "", "Only the requester")
	h.wantState(id, StateActive)
	h.run(rita, "access revoke nope")
	h.wantSent("respond", "", "There is no access request `nope`")

	h.run(adam, "access revoke "+id+" incident over")
	r := h.wantState(id, StateRevoked)
	if r.EndedBy.ID != adam || r.EndReason != "incident over" || h.cluster.exists(t, "prod-us", "payments", id) {
		t.Fatalf("revoked by %v (%q), sa exists %v", r.EndedBy, r.EndReason, h.cluster.exists(t, "prod-us", "payments", id))
	}
	if !strings.Contains(h.card(id), "🔒 *REVOKED*") {
		t.Errorf("card:\n%s", h.card(id))
	}
	h.wantSent("dm", "", "was revoked by <@"+adam+">: incident over")
	h.run(rita, "access revoke "+id)
	h.wantSent("respond", "", "already 🔒 REVOKED")
	h.clock.Advance(5 * time.Hour)
	h.jobs()
	h.wantState(id, StateRevoked)

	// The requester withdraws a pending request.
	p := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.run(rita, "access revoke "+p)
	h.wantState(p, StateRevoked)
	h.wantSent("post", payApprovals, "Cancelled by <@"+rita+"> before a decision")
}

func TestRevokeRetriesWhenClusterIsDown(t *testing.T) {
	flaky := &flakyIssuer{}
	h := newHarness(t, func(h *harness, _ *Config) {
		h.issuers = map[string]Issuer{"prod-us": flaky, "prod-eu": flaky}
	})
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	h.wantState(id, StateActive)
	flaky.setDown(true)
	h.run(rita, "access revoke "+id)
	h.wantSent("respond", "", "platbot keeps retrying")
	r := h.wantState(id, StateRevoked)
	if r.CleanedUp {
		t.Fatal("marked cleaned up while the cluster was down")
	}
	flaky.setDown(false)
	h.clock.Advance(time.Minute)
	h.jobs()
	if r = h.wantState(id, StateRevoked); !r.CleanedUp || flaky.revoked() != 1 {
		t.Fatalf("cleanup not retried: cleaned %v, revokes %d", r.CleanedUp, flaky.revoked())
	}
}

func TestIssueFailureIsReported(t *testing.T) {
	flaky := &flakyIssuer{reject: true}
	h := newHarness(t, func(h *harness, _ *Config) {
		h.issuers = map[string]Issuer{"prod-us": flaky, "prod-eu": flaky}
	})
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	r := h.wantState(id, StateFailed)
	if !r.CleanedUp || !strings.Contains(r.Failure, "namespace") {
		t.Fatalf("failure %q cleaned %v", r.Failure, r.CleanedUp)
	}
	h.wantSent("dm", "", "could not be issued")
	if !strings.Contains(h.card(id), "⚠️ *FAILED*") {
		t.Errorf("card:\n%s", h.card(id))
	}
}

func TestTokenCanary(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	h.clock.Advance(50 * time.Minute)
	h.jobs()
	h.click(rita, "D-"+rita, ActionExtend, id)
	if errs := h.submit(rita, "access extend "+id, bot.Values{fieldDuration: {"30m"}, fieldReason: {"need a little longer"}}); errs != nil {
		t.Fatal(errs)
	}
	h.click(peter, payApprovals, ActionApprove, h.lastID())
	h.jobs()
	h.run(rita, "access list")
	h.run(rita, "access revoke "+id+" done")
	tokens := h.cluster.Tokens()
	if len(tokens) != 2 {
		t.Fatalf("%d tokens minted, want 2", len(tokens))
	}

	// Only in uploads to the requester's DM.
	for _, s := range h.m.Sent() {
		blob := s.Text() + s.Msg.Text
		if s.File != nil {
			blob += string(s.File.Content)
		}
		for _, tok := range tokens {
			if strings.Contains(blob, tok) && !(s.Op == "upload" && s.Channel == "D-"+rita) {
				t.Errorf("token appears in a %s to %s", s.Op, s.Channel)
			}
		}
	}
	var audit bytes.Buffer
	if _, err := h.st.ExportAudit(h.ctx, &audit, store.AuditFilter{}); err != nil {
		t.Fatal(err)
	}
	if err := h.st.Close(); err != nil {
		t.Fatal(err)
	}
	var db []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(h.path + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		db = append(db, b...)
	}
	if len(db) == 0 || audit.Len() == 0 {
		t.Fatal("nothing to search")
	}
	for _, tok := range tokens {
		// Also the parts of the JWT, so an encoding change cannot hide it.
		for _, part := range append([]string{tok}, strings.Split(tok, ".")[1:]...) {
			for what, hay := range map[string]string{"store file": string(db), "audit export": audit.String(), "logs": h.logs.String()} {
				if strings.Contains(hay, part) {
					t.Errorf("token (part %.12s…) found in the %s", part, what)
				}
			}
		}
	}
	if !strings.Contains(audit.String(), "system:serviceaccount:payments:platbot-"+id) {
		t.Error("the audit export does not name the Kubernetes identity")
	}
}

// TestDefaultPolicy: with the shipped default policy anyone in the catalog
// may ask, a peer approves, and neither the requester nor an outsider can.
func TestDefaultPolicy(t *testing.T) {
	h := newHarness(t, withDefaultPolicy)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.wantState(id, StatePending)

	h.click(rita, payApprovals, ActionApprove, id)
	h.wantSent("ephemeral", payApprovals, "You can't review your own")
	h.click(olga, payApprovals, ActionApprove, id)
	h.wantSent("ephemeral", payApprovals, "you are not in that team")
	h.wantState(id, StatePending)

	h.click(peter, payApprovals, ActionApprove, id)
	h.wantState(id, StateApproved)
	h.jobs()
	h.wantState(id, StateActive)
	h.run(rita, "access list")
	h.wantSent("respond", "", id)
}
