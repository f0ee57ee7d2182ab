package paths

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/store"
)

func TestTemplateDriftAndTheDigestsUpgradeButton(t *testing.T) {
	dir := t.TempDir()
	cat := newCatalog(t, catalogtest.Component("billing-service", "group:default/payments"))
	e := newEnv(t, envOptions{templates: dir, noApprove: true, cat: cat})
	repo := filepath.Join(e.dir, "gitops")
	run := func(service string) {
		t.Helper()
		if errs := e.submit(userJane, e.form(userJane, "svc-config"), bot.Values{"service": {service}}); errs != nil {
			t.Fatalf("valid submission refused: %v", errs)
		}
		e.drain()
		for _, r := range e.runs() {
			if r.State != RunSucceeded {
				t.Fatalf("run %s: %s", r.State, r.Error)
			}
			git(t, repo, "update-ref", "refs/heads/main", r.Branch())
		}
	}
	e.approveVersion(t, dir, 1)
	run("orders-service")
	if got := e.reply(userJane, "template drift"); !strings.Contains(got, "Every service generated from their golden path is on the latest approved version") {
		t.Fatalf("drift with nothing behind:\n%s", got)
	}
	e.approveVersion(t, dir, 2)
	if got := e.reply(userJane, "template drift svc-config"); !strings.Contains(got, "*1 service(s) behind the latest approved version of `svc-config`*") ||
		!strings.Contains(got, "• `orders-service` — `svc-config`: 1 approved version(s) behind, never upgraded") {
		t.Fatalf("drift after v2:\n%s", got)
	}
	e.approveVersion(t, dir, 3)
	run("billing-service") // generated from v3: not behind
	got := e.reply(userJane, "template drift")
	if !strings.Contains(got, "`orders-service` — `svc-config`: 2 approved version(s) behind, never upgraded") || strings.Contains(got, "billing-service") {
		t.Fatalf("drift after v3:\n%s", got)
	}
	if got := e.reply(userJane, "template drift no-such-template"); !strings.Contains(got, "There is no template `no-such-template`") {
		t.Fatalf("drift of an unknown template:\n%s", got)
	}

	// The team's digest names the service, with an Upgrade button.
	if _, _, ok := e.paths.DigestSection(e.ctx, "group:default/checkout"); ok {
		t.Fatal("checkout's digest has a drift section")
	}
	blocks, text, ok := e.paths.DigestSection(e.ctx, "group:default/payments")
	if !ok || !strings.Contains(text, "*Behind their golden path*") || !strings.Contains(text, "`orders-service` — `svc-config`: 2 approved version(s) behind") {
		t.Fatalf("payments' digest section (%v):\n%s", ok, text)
	}
	var btns []bot.Button
	for _, b := range blocks {
		if a, ok := b.(bot.Actions); ok {
			btns = append(btns, a.Buttons...)
		}
	}
	if len(btns) != 1 || btns[0].Text != "Upgrade orders-service" {
		t.Fatalf("buttons %+v", btns)
	}
	n := len(e.msgr.Sent())
	e.click(userJane, btns[0])
	var answer []string
	for _, s := range e.msgr.Sent()[n:] {
		answer = append(answer, s.Text())
	}
	if !strings.Contains(strings.Join(answer, "\n"), "Upgrade pull request opened") {
		t.Fatalf("the Upgrade button answered:\n%s", strings.Join(answer, "\n"))
	}
	if git(t, repo, "branch", "--list", "plat/upgrade-orders-service-svc-config-*") == "" {
		t.Fatal("the Upgrade button opened no upgrade branch")
	}
	got = e.reply(userJane, "template drift")
	if !strings.Contains(got, "last upgrade "+time.Now().UTC().Format("2006-01-02")) || !strings.Contains(got, "|upgrade pull request>") {
		t.Fatalf("drift after the upgrade was opened:\n%s", got)
	}
	// Someone else's Upgrade click is refused.
	n = len(e.msgr.Sent())
	e.click(userBob, btns[0])
	if last := e.msgr.Sent()[n:]; len(last) == 0 || !strings.Contains(last[len(last)-1].Text(), "You can only create things for your own teams") {
		t.Fatalf("bob's click answered %+v", last)
	}
}

// BenchmarkDrift10000 measures /plat template drift's work over 10,000
// services' recorded lineage (each with 30 generated files), with the
// template approved five times: read and decode the records, compare
// versions, sort (goal: ≤ 1 s; nothing is rendered).
func BenchmarkDrift10000(b *testing.B) {
	e := newEnv(b, envOptions{noApprove: true})
	ctx := context.Background()
	approvals := &templateApproval{Name: "svc-config", Hash: "v5"}
	for i := 1; i < 5; i++ {
		approvals.History = append(approvals.History, approvalEntry{Hash: fmt.Sprintf("v%d", i)})
	}
	e.paths.mu.Lock()
	e.paths.state = &templateState{entries: map[string]*entry{"svc-config": {Name: "svc-config", Approval: approvals}}}
	e.paths.mu.Unlock()
	if len(e.paths.approvedVersions("svc-config")) != 5 {
		b.Fatal("the template's approvals are not seen")
	}
	seedLineage(b, e.st, 10000)
	b.ResetTimer()
	var ds []Drift
	for i := 0; i < b.N; i++ {
		var err error
		if ds, err = e.paths.Drift(ctx, "", ""); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if len(ds) != 8000 || ds[0].Behind != 4 {
		b.Fatalf("%d services behind (the first %d versions), want 8000 (4)", len(ds), ds[0].Behind)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
}

// seedLineage stores n services' lineage, generated from svc-config v1 to
// v5 in turn.
func seedLineage(b *testing.B, st *store.Store, n int) {
	b.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		svc := fmt.Sprintf("service-%05d", i)
		files := map[string]string{}
		for f := 0; f < 30; f++ {
			files[fmt.Sprintf("teams/team-%03d/%s/file-%02d.yaml", i%200, svc, f)] = fileHash(svc + fmt.Sprint(f))
		}
		l := Lineage{Service: svc, Template: "svc-config", Version: fmt.Sprintf("v%d", i%5+1), Run: "r" + svc, Owner: fmt.Sprintf("group:default/team-%03d", i%200),
			Inputs: map[string]any{"service": "component:default/" + svc, "replicas": 2}, Created: time.Now().UTC(),
			Outputs: []LineageOutput{{File: lineageFile(svc, "svc-config", ""), Files: files}}}
		data, err := json.Marshal(l)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.PutRecord(ctx, store.Record{Kind: KindLineage, ID: l.ID(), Key: svc, State: "recorded", Owner: l.Owner, Data: data}); err != nil {
			b.Fatal(err)
		}
		if _, err := st.PutRecord(ctx, l.head()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDriftFollowsTheCatalogsOwner: a service the catalog hands to
// another team is that team's in drift and in its digest (as /plat upgrade
// authorizes it), and the owner recorded at generation counts only once
// the catalog no longer has the service.
func TestDriftFollowsTheCatalogsOwner(t *testing.T) {
	dir := t.TempDir()
	cat := newCatalog(t, catalogtest.Component("billing-service", "group:default/payments"))
	e := newEnv(t, envOptions{templates: dir, noApprove: true, cat: cat})
	e.approveVersion(t, dir, 1)
	if errs := e.submit(userJane, e.form(userJane, "svc-config"), bot.Values{"service": {"billing-service"}}); errs != nil {
		t.Fatalf("valid submission refused: %v", errs)
	}
	e.drain()
	if r := e.onlyRun(); r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	e.approveVersion(t, dir, 2)
	// recatalog replaces billing-service (nil: drops it), keeping the rest.
	recatalog := func(billing *catalog.Entity) {
		t.Helper()
		var ents []*catalog.Entity
		for _, k := range []string{catalog.KindGroup, catalog.KindUser, catalog.KindSystem, catalog.KindComponent, catalog.KindResource} {
			for _, ent := range cat.List(k) {
				if ent.Metadata.Name != "billing-service" {
					ents = append(ents, ent)
				}
			}
		}
		if billing != nil {
			ents = append(ents, billing)
		}
		cat.Set(catalogtest.YAML(t, ents...))
	}
	teams := func() (out []string) {
		t.Helper()
		for _, team := range []string{"payments", "checkout"} {
			ds, err := e.paths.Drift(e.ctx, "", "group:default/"+team)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				if d.Service == "billing-service" {
					out = append(out, team+":"+d.Owner)
				}
			}
		}
		return out
	}
	if got := teams(); len(got) != 1 || got[0] != "payments:group:default/payments" {
		t.Fatalf("billing-service's drift before the move: %v", got)
	}
	recatalog(catalogtest.Component("billing-service", "group:default/checkout"))
	if got := teams(); len(got) != 1 || got[0] != "checkout:group:default/checkout" {
		t.Fatalf("billing-service's drift after the catalog gave it to checkout: %v", got)
	}
	if _, text, ok := e.paths.DigestSection(e.ctx, "group:default/checkout"); !ok || !strings.Contains(text, "`billing-service` — `svc-config`: 1 approved version(s) behind") {
		t.Fatalf("checkout's digest section (%v):\n%s", ok, text)
	}
	if _, text, ok := e.paths.DigestSection(e.ctx, "group:default/payments"); ok && strings.Contains(text, "billing-service") {
		t.Fatalf("payments' digest still names billing-service:\n%s", text)
	}
	recatalog(nil)
	if got := teams(); len(got) != 1 || got[0] != "payments:group:default/payments" {
		t.Fatalf("billing-service's drift once the catalog dropped it (the recorded owner): %v", got)
	}
}
