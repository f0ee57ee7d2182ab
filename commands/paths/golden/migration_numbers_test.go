package golden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/store"
)

// runStep is the migration step of run id, its input from the template's
// parameters (name from migration), so a refusal names the form's field.
func runStep(id, name string) *actions.StepContext {
	sc := migrationStep(map[string]any{"database": "resource:default/orders-db", "name": name})
	sc.Run.ID = id
	sc.RawInput = map[string]any{"database": "${{ parameters.database }}", "name": "${{ parameters.migration }}"}
	return sc
}

func numberOf(t *testing.T, out map[string]any) string {
	t.Helper()
	n, _ := out["number"].(string)
	return n
}

// Runs in flight for the same database never take the same number: each
// holds the number it took in the store (compare-and-swap), the next run
// numbers after the base branch and every hold, a retried run gets its
// own number again, a dry run holds nothing, and a hold goes once its run
// is cancelled or the base branch reaches its number.
func TestMigrationNumbersOfRunsInFlight(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "platbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files, merge := gitopsRepo(t, map[string]string{
		"databases/orders-db/migrations/0001_init.sql":       "\n",
		"databases/orders-db/migrations/0002_add_orders.sql": "\n",
	})
	a := migration{d: actions.Deps{Catalog: migrationCatalog(t), GitOpsFiles: files, Records: st}}
	run := func(id string) {
		t.Helper()
		if _, err := st.PutRecord(ctx, store.Record{Kind: RunKind, ID: id, State: "running", Data: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	holds := func() []hold {
		t.Helper()
		rec, err := st.GetRecord(ctx, MigrationNumbersKind, "resource:default/orders-db")
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		var h holdSet
		if err := json.Unmarshal(rec.Data, &h); err != nil {
			t.Fatal(err)
		}
		return h.Holds
	}

	// Five runs started at once, none published: five different numbers
	// after the base branch's 0002.
	ids := []string{"ra", "rb", "rc", "rd", "re"}
	got := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, id := range ids {
		run(id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := a.Run(ctx, runStep(id, fmt.Sprintf("change %d", i)))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("run %s: %v", id, err)
				return
			}
			got[id] = numberOf(t, out)
		}()
	}
	wg.Wait()
	var numbers []string
	byNumber := map[string]string{}
	for id, n := range got {
		numbers = append(numbers, n)
		byNumber[n] = id
	}
	sort.Strings(numbers)
	if strings.Join(numbers, " ") != "0003 0004 0005 0006 0007" {
		t.Fatalf("numbers of the runs in flight: %v", got)
	}

	// A retried run (its files lost) gets its own number again.
	if out, err := a.Run(ctx, runStep("ra", "change 0")); err != nil || numberOf(t, out) != got["ra"] {
		t.Fatalf("retry of ra: %v %v, want %s", out, err, got["ra"])
	}

	// A dry run of a new run says the next number and why, holding nothing.
	plan, err := a.Plan(ctx, runStep("rf", "add index"))
	if err != nil || plan.Output["number"] != "0008" ||
		!strings.Contains(plan.Effects[0], "after 0002_add_orders.sql on the base branch and 0007_") ||
		!strings.Contains(plan.Effects[0], "of run "+byNumber["0007"]+" in flight") {
		t.Fatalf("dry run: %v %v %v", plan.Output, plan.Effects, err)
	}
	if n := len(holds()); n != 5 {
		t.Fatalf("%d holds after the dry run, want 5", n)
	}

	// A name a run in flight adds is refused on the form's field.
	_, err = a.Plan(ctx, runStep("rf", "Change 3"))
	var fe bot.FieldErrors
	if !errors.As(err, &fe) || !strings.Contains(fe["migration"], "another run in flight ("+ids[3]+") already adds a migration named change_3") {
		t.Fatalf("a name in flight: %v (%v)", err, fe)
	}

	// The run holding 0007 is cancelled: its number is free again.
	if _, err := st.TransitionRecord(ctx, RunKind, byNumber["0007"], []string{"running"}, RunCancelled, nil); err != nil {
		t.Fatal(err)
	}
	run("rf")
	if out, err := a.Run(ctx, runStep("rf", "add index")); err != nil || numberOf(t, out) != "0007" {
		t.Fatalf("after a cancellation: %v %v", out, err)
	}

	// 0003 and 0004 are merged: their holds go, the others stay.
	merge(map[string]string{
		"databases/orders-db/migrations/0003_x.sql": "\n", "databases/orders-db/migrations/0004_y.sql": "\n",
	})
	run("rg")
	if out, err := a.Run(ctx, runStep("rg", "add view")); err != nil || numberOf(t, out) != "0008" {
		t.Fatalf("after a merge: %v %v", out, err)
	}
	var left []string
	for _, h := range holds() {
		left = append(left, fmt.Sprintf("%04d", h.Number))
	}
	sort.Strings(left)
	if strings.Join(left, " ") != "0005 0006 0007 0008" {
		t.Fatalf("holds left: %v", left)
	}
}
