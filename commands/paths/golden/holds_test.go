package golden

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/store"
)

// holdKey: a dry run holds nothing; a run holds its key, and another run
// wanting the same key in the same scope is refused with the holder
// (even when both write at once, compare-and-swap lets one win); the same
// key in another scope is free; a retried run keeps its hold; a cancelled
// or vanished run's hold goes.
func TestHoldKey(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "platbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	run := func(id string) {
		t.Helper()
		if _, err := st.PutRecord(ctx, store.Record{Kind: RunKind, ID: id, State: "running", Data: json.RawMessage(`{"requester":{"name":"jane"}}`)}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const scope, key = "endpoints:component:default/orders-api", "POST /orders/{}/refunds"
	for _, id := range []string{"ra", "rb", "rc"} {
		run(id)
	}
	if err := holdKey(ctx, st, scope, "ra", key, "POST /orders/{id}/refunds to orders-api", false, now); err != nil {
		t.Fatal(err)
	}
	if err := holdKey(ctx, st, scope, "rb", key, "the same", false, now); err != nil {
		t.Fatalf("a dry run held the key: %v", err)
	}

	// rb and rc write at once: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, id := range []string{"rb", "rc"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = holdKey(ctx, st, scope, id, key, "POST /orders/{id}/refunds to orders-api", true, now)
		}()
	}
	wg.Wait()
	var held *heldBy
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("both or neither of two runs holding the same key won: %v", errs)
	}
	winner, loser := "rb", "rc"
	if errs[0] != nil {
		winner, loser = "rc", "rb"
	}
	for _, e := range errs {
		if e != nil && (!errors.As(e, &held) || held.hold.Run != winner) {
			t.Fatalf("loser's error %v", e)
		}
	}
	if got := heldText(ctx, st, held.hold); got != "run "+winner+" (by jane; running, its pull request not opened yet; see `/plat run "+winner+"`)" {
		t.Errorf("heldText = %q", got)
	}
	if err := holdKey(ctx, st, scope, winner, key, "x", true, now); err != nil {
		t.Fatalf("a retried run lost its hold: %v", err)
	}
	if err := holdKey(ctx, st, "endpoints:component:default/refunds-api", loser, key, "x", false, now); err != nil {
		t.Fatalf("the key in another scope: %v", err)
	}
	if err := holdKey(ctx, st, scope, loser, "GET /orders/{}/refunds", "x", false, now); err != nil {
		t.Fatalf("another key in the scope: %v", err)
	}

	if _, err := st.TransitionRecord(ctx, RunKind, winner, []string{"running"}, RunCancelled, nil); err != nil {
		t.Fatal(err)
	}
	if err := holdKey(ctx, st, scope, loser, key, "x", true, now); err != nil {
		t.Fatalf("a cancelled run's hold still counts: %v", err)
	}
	if err := st.DeleteRecord(ctx, RunKind, loser); err != nil {
		t.Fatal(err)
	}
	if err := holdKey(ctx, st, scope, "ra", key, "x", false, now); err != nil {
		t.Fatalf("a vanished run's hold still counts: %v", err)
	}
	// Without a store (a render) nothing is held.
	if err := holdKey(ctx, nil, scope, "ra", key, "x", true, now); err != nil {
		t.Fatalf("without a store: %v", err)
	}
}
