package access

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/store"
)

// Two platbot replicas share one database (PostgreSQL, README.md): a job
// taken over from a replica that seemed dead can run on both at once. The
// per-process lock of a grant does not reach the other replica, so the
// compare-and-swap decides, and only the replica whose write made a change
// announces and audits it.

// hookIssuer runs before, once, at the start of its first Issue: the
// moment between a replica reading a request and writing its next state.
type hookIssuer struct {
	Issuer
	mu     sync.Mutex
	before func()
}

func (h *hookIssuer) Issue(ctx context.Context, g kube.Grant) (*kube.Credentials, error) {
	h.mu.Lock()
	f := h.before
	h.before = nil
	h.mu.Unlock()
	if f != nil {
		f()
	}
	return h.Issuer.Issue(ctx, g)
}

// secondReplica starts another platbot process's access feature over the
// harness's store and cluster, posting to the same messenger, and makes the
// harness's own replica run do, on its next Issue in env, before it issues.
// msgr, when not nil, is the messenger of the second replica's jobs.
func (h *harness) secondReplica(env string, msgr bot.Messenger, do func(b *Access)) *Access {
	h.t.Helper()
	r := bot.NewRouter(bot.RouterOptions{Audit: h.st, Queue: h.st, Now: h.clock.Now, Logger: h.logger(), Policy: bot.AllowAll{}})
	r.SetMessenger(bot.TransportShell, h.m)
	b, err := New(h.a.cfg, Deps{Store: h.st, Catalog: h.cat, Issuers: maps.Clone(h.issuers), Messenger: msgr, Logger: h.logger(), Now: h.clock.Now})
	if err != nil {
		h.t.Fatalf("second replica: %v", err)
	}
	if err := bot.NewRegistry(r, nil).Install(b); err != nil {
		h.t.Fatalf("second replica: %v", err)
	}
	h.a.issuers[env] = &hookIssuer{Issuer: h.issuers[env], before: func() { do(b) }}
	return b
}

// auditCount counts the audit events of action about request id.
func (h *harness) auditCount(action, id string) int {
	h.t.Helper()
	evs, err := h.st.AuditEvents(h.ctx, store.AuditFilter{}, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == action && e.Details["request"] == id {
			n++
		}
	}
	return n
}

// TestIssueOnTwoReplicasAnnouncesOnce: the issue job of one approved
// request running on two replicas at once starts the grant once: one
// "credentials sent" reply in the thread, one access.grant audit event and
// one kubeconfig.
func TestIssueOnTwoReplicasAnnouncesOnce(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.secondReplica("prod-us", nil, func(b *Access) {
		if err := b.issue(h.ctx, id); err != nil {
			t.Errorf("second replica: issue: %v", err)
		}
	})
	if h.jobs() == 0 {
		t.Fatal("no issue job ran")
	}
	h.wantState(id, StateActive)
	if n := len(h.sent("post", payApprovals, "Credentials sent to <@"+rita+">")); n != 1 {
		t.Errorf("%d \"credentials sent\" thread replies; want 1:\n%s", n, h.dump())
	}
	if n := h.auditCount("access.grant", id); n != 1 {
		t.Errorf("%d access.grant audit events; want 1", n)
	}
	// The replica that started the grant delivered it; the other, finding
	// it delivered, sends no second kubeconfig.
	if n := len(h.sent("dm", "", "is ready")); n != 1 {
		t.Errorf("%d \"is ready\" DMs; want 1:\n%s", n, h.dump())
	}
	if n := len(h.sent("upload", "D-"+rita, "")); n != 1 {
		t.Errorf("%d kubeconfigs uploaded; want 1", n)
	}
}

// TestExtensionOnTwoReplicasAnnouncesOnce: an approved extension applied
// by two replicas at once extends the grant once and is announced once.
func TestExtensionOnTwoReplicasAnnouncesOnce(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	_, g := h.state(id)
	deadline := g.ExpiresAt
	h.clock.Advance(50 * time.Minute)
	h.jobs()
	if errs := h.submit(rita, "access extend "+id, bot.Values{fieldDuration: {"30m"}, fieldReason: {"still debugging payouts"}}); errs != nil {
		t.Fatal(errs)
	}
	ext := h.lastID()
	h.click(paula, payApprovals, ActionApprove, ext)
	h.secondReplica("prod-us", nil, func(b *Access) {
		if err := b.issue(h.ctx, ext); err != nil {
			t.Errorf("second replica: apply extension: %v", err)
		}
	})
	h.jobs()
	h.wantState(ext, StateApplied)
	g = h.wantState(id, StateActive)
	if !g.ExpiresAt.Equal(deadline.Add(30 * time.Minute)) {
		t.Errorf("grant ends at %v; want %v (extended once)", g.ExpiresAt, deadline.Add(30*time.Minute))
	}
	if n := len(h.sent("post", payApprovals, "Extended by 30m")); n != 1 {
		t.Errorf("%d \"extended\" replies in the grant's thread; want 1:\n%s", n, h.dump())
	}
	if n := len(h.sent("post", payApprovals, "`"+id+"` now ends at")); n != 1 {
		t.Errorf("%d \"now ends at\" replies in the extension's thread; want 1", n)
	}
	if n := h.auditCount("access.extend", id); n != 1 {
		t.Errorf("%d access.extend audit events; want 1", n)
	}
}

// noDMs is a messenger whose direct messages fail: a replica that stops
// between starting a grant and delivering it.
type noDMs struct{ bot.Messenger }

func (noDMs) DM(context.Context, string, bot.Message) (bot.MessageRef, error) {
	return bot.MessageRef{}, errors.New("slack: connection reset")
}

// TestIssueDeliversWhenTheOtherReplicaDidNot: when the replica that
// started the grant could not deliver it, the other run of the job does.
func TestIssueDeliversWhenTheOtherReplicaDidNot(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.secondReplica("prod-us", noDMs{h.m}, func(b *Access) {
		if err := b.issue(h.ctx, id); err == nil {
			t.Error("second replica: delivered without DMs")
		}
	})
	h.jobs()
	r := h.wantState(id, StateActive)
	if r.Deliveries != 1 || !r.DeliveredFor.Equal(r.ExpiresAt) {
		t.Errorf("deliveries %d for %v; want 1 for %v", r.Deliveries, r.DeliveredFor, r.ExpiresAt)
	}
	if n := len(h.sent("dm", "", "is ready")); n != 1 {
		t.Errorf("%d \"is ready\" DMs; want 1:\n%s", n, h.dump())
	}
	if n := len(h.sent("post", payApprovals, "Credentials sent to <@"+rita+">")); n != 1 {
		t.Errorf("%d \"credentials sent\" thread replies; want 1", n)
	}
	if n := h.auditCount("access.grant", id); n != 1 {
		t.Errorf("%d access.grant audit events; want 1", n)
	}
}
