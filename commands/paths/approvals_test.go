package paths

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/store"
)

// Two admins who both reviewed the approved version and approve a new one
// at the same moment: the approval lifecycle's compare-and-swap lets one
// win; the other is told so, and neither approval is lost or recorded twice.
func TestTemplateApprovalRace(t *testing.T) {
	dir := copyTemplates(t, nil)
	e := newEnv(t, envOptions{templates: dir})
	v1 := e.approved("new-db").Hash
	claim := filepath.Join(dir, "new-db/skeleton/environment/postgres-instance.yaml")
	b, err := os.ReadFile(claim)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(claim, append(b, []byte("# reviewed\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.paths.Reload(e.ctx); err != nil {
		t.Fatal(err)
	}
	cur := e.paths.entry("new-db").Current
	if cur.Hash == v1 {
		t.Fatal("the change made no new version")
	}

	// Both read v1 as the approved version; the first to write wins.
	first, second := e.request(userAdmin, "template approve new-db"), e.request(userAdmin, "template approve new-db")
	second.User = bot.User{ID: "U-admin2", Name: "admin2"}
	if err := e.paths.approve(e.ctx, first, cur, v1, cur.Source); err != nil {
		t.Fatal(err)
	}
	err = e.paths.approve(e.ctx, second, cur, v1, cur.Source)
	var ue *bot.UserError
	if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "Someone approved new-db at the same moment") {
		t.Fatalf("the second approval: %v", err)
	}

	a, state, err := e.paths.approvals.Load(e.ctx, "new-db")
	if err != nil {
		t.Fatal(err)
	}
	if state != approval.StateApproved || a.Hash != cur.Hash || a.ApprovedBy.ID != userAdmin || a.Requester.ID != userAdmin ||
		len(a.History) != 1 || a.History[0].Hash != v1 {
		t.Fatalf("approval record: %s %+v", state, a)
	}
	events, err := e.st.AuditEvents(e.ctx, store.AuditFilter{Action: "paths.template.approve"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	// newEnv's approval of v1, then the winner's of the change.
	if len(events) != 2 {
		t.Fatalf("%d approval audit events, want 2: %+v", len(events), events)
	}
	for _, ev := range events {
		if ev.Decision != "allow" || ev.Outcome != "ok" || ev.Target != "template:default/new-db" || ev.ActorID != userAdmin {
			t.Fatalf("audit event %+v", ev)
		}
	}
}
