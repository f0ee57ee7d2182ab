package paths

import (
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
)

// A cache's name is no catalog entity's: it may be a catalog entity's name
// and is unique only for the same service and environment (another run
// using it for another environment or service does not count), while
// new-db's (like new-service's) names stay unique across the catalog and
// every run.
func TestCacheNameIsUniquePerServiceAndEnvironment(t *testing.T) {
	e := newEnv(t, envOptions{cat: newCatalog(t, catalogtest.Component("payments-db", "group:default/payments"))})
	e.approve(t, "new-cache")
	// A run in flight: jane's sessions cache of orders-service in staging.
	start := func(template string, v bot.Values) *Run {
		t.Helper()
		tpl := e.approved(template)
		req := e.request(userJane, "")
		id := e.paths.identify(e.ctx, req.User)
		params, owner := e.paths.params(id, tpl, v)
		r := e.paths.newRun(req, id, tpl, params, nil, owner)
		r.State = RunRunning
		rec, err := e.paths.record(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.PutRecord(e.ctx, rec); err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := start("new-cache", newCacheValues("orders-service", "sessions", "staging"))
	nameError := func(template string, v bot.Values) string {
		t.Helper()
		errs := e.submit(userJane, e.form(userJane, template), v)
		return errs["name"]
	}
	for _, v := range []bot.Values{
		newCacheValues("orders-service", "sessions", "prod-us"),
		newCacheValues("orders-service", "payments-db", "staging"),
		newCacheValues("orders-service", "orders", "staging"),
	} {
		if msg := nameError("new-cache", v); strings.Contains(msg, "already") {
			t.Errorf("%v: name refused: %s", v, msg)
		}
	}
	want := "run " + first.ID + " (by jane (U-jane), running) already creates sessions for component:default/orders-service in staging"
	if msg := nameError("new-cache", newCacheValues("orders-service", "sessions", "staging")); !strings.Contains(msg, want) {
		t.Errorf("the same cache again: name error %q, want %q", msg, want)
	}

	// new-db: a catalog entity's name, and a name another run creates,
	// are refused; a cache's name is not one.
	db := func(name string) bot.Values { return newDBValues(name, "dev") }
	if msg := nameError("new-db", db("payments-db")); !strings.Contains(msg, "payments-db already exists in the catalog") {
		t.Errorf("new-db named like a catalog entity: name error %q", msg)
	}
	other := start("new-db", db("ledger-api"))
	if msg := nameError("new-db", db("ledger-api")); !strings.Contains(msg, "run "+other.ID+" (by jane (U-jane), running) already creates ledger-api") {
		t.Errorf("new-db named like another run's: name error %q", msg)
	}
	if msg := nameError("new-db", db("sessions")); strings.Contains(msg, "already") {
		t.Errorf("new-db named like a cache: name error %q", msg)
	}
}
