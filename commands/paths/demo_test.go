package paths

import (
	"strings"
	"testing"
)

// TestDemoModeApprovesTheShippedTemplates: in demo mode the shipped example
// templates run without an admin's approval, and say so wherever they are
// shown; outside demo mode, and for any other template, nothing changes.
func TestDemoModeApprovesTheShippedTemplates(t *testing.T) {
	e := newEnv(t, envOptions{noApprove: true, demoDir: "../../examples/templates"})
	if e.approved("new-db") == nil {
		t.Fatal("new-db is not runnable in demo mode")
	}
	if out := e.reply(userJane, "templates"); !strings.Contains(out, "`/plat new-db`") || !strings.Contains(out, "counts as approved in demo mode") {
		t.Fatalf("/plat templates:\n%s", out)
	}
	if out := e.reply(userJane, "help"); !strings.Contains(out, "new-db") || !strings.Contains(out, "(example template: counts as approved in demo mode)") {
		t.Fatalf("/plat help:\n%s", out)
	}
	f := e.form(userJane, "new-db")
	if !strings.Contains(f.Intro, "this shipped example template counts as approved; no admin approved it") {
		t.Fatalf("form intro %q", f.Intro)
	}
	if errs := e.submit(userJane, f, newDBValues("orders-db")); errs != nil {
		t.Fatalf("field errors %v", errs)
	}
	e.drain()
	if r := e.onlyRun(); r.State != RunSucceeded {
		t.Fatalf("run %s is %s: %s", r.ID, r.State, e.progress(r).Text)
	}

	// An admin's approval is a real one: the demo note goes (from new-db's
	// line; the other shipped templates keep theirs).
	e.command(userAdmin, "template approve new-db")
	out := e.reply(userJane, "templates")
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "`/plat new-db`") && strings.Contains(line, "demo mode") {
			t.Fatalf("after approval:\n%s", out)
		}
	}
	if !strings.Contains(out, "`/plat new-db`") {
		t.Fatalf("after approval, new-db is not listed:\n%s", out)
	}
}

func TestDemoModeApprovesOnlyTheDemoFolder(t *testing.T) {
	// Not in demo mode: waiting for an admin, as before.
	e := newEnv(t, envOptions{noApprove: true})
	if e.approved("new-db") != nil {
		t.Fatal("new-db approved outside demo mode")
	}
	// Demo mode naming another folder approves nothing found elsewhere.
	e = newEnv(t, envOptions{noApprove: true, demoDir: "testdata/backstage"})
	if e.approved("new-db") != nil {
		t.Fatal("a template outside the demo folder counts as approved")
	}
}
