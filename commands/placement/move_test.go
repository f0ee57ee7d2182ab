package placement

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/placement/place"
	"github.com/platbot/platbot/store"
)

const (
	devPath     = "apps/checkout/checkout-service/dev.yaml"
	stagingPath = "apps/checkout/checkout-service/staging.yaml"
)

// After a --to move merged, where and clusters show what the GitOps
// repository's Application says, not the rules' choice; the rules' choice
// only where there is no Application.
func TestWhereAndClustersShowTheApplication(t *testing.T) {
	files := mapFiles{}
	e := newEnv(t, options{files: files})
	contains(t, e.h.Run("U-alice", `move checkout-service staging --to euw1-shared --reason "load test in eu"`), "📦 Pull request to move staging")
	files[stagingPath] = e.pub.Changes()[0].Files[stagingPath] // merged
	files[devPath] = appOn("dev", "name: retired-shared")

	out := e.h.Run("U-dave", "where checkout-service")
	contains(t, out,
		"*staging* (standard) → runs on `euw1-shared` (Application `apps/checkout/checkout-service/staging.yaml`), rules would place `use1-shared`: rule `standard` matched tier=standard",
		"Pinned by a move: pinned to euw1-shared by U-alice (U-alice) on 2025-03-04 09:00 UTC with /plat move --to: load test in eu; the rules would place it on use1-shared",
		"*dev* (standard) → runs on `retired-shared` (Application `apps/checkout/checkout-service/dev.yaml`), a destination that is no configured cluster, rules would place `use1-shared`",
		"*prod-us* (tier1, us-east-1) → cluster `use1-prod-a`: rule `tier1-us` matched tier=tier1, region=us-east-1; passed over use1-prod-b (cordoned: it takes no new placements) (no Application in the GitOps repository yet)",
	)
	if strings.Contains(out, "*staging* (standard) → cluster `use1-shared`") {
		t.Errorf("where shows the rules' choice for an environment with an Application:\n%s", out)
	}

	out = e.h.Run("U-carol", "clusters")
	contains(t, out,
		"*use1-shared* — us-east-1 · tiers standard · server https://use1-shared.k8s.acme.example · labels provider=eks\n0 placement(s) and 1 planned: cart-service/dev (planned)\n",
		"*euw1-shared* — eu-west-1 · tiers standard · Argo CD cluster euw1-shared · labels provider=eks\n1 placement(s): checkout-service/staging\n",
		"4 environment(s) marked (planned) have no Application",
		"⚠️ 1 destination(s) that are no configured cluster: `retired-shared`: checkout-service/dev",
	)
}

// A move to where an environment runs asks nothing and opens nothing:
// where its Application sends it, or, without one, where the rules place it.
func TestMoveToWhereItRunsIsAlreadyThere(t *testing.T) {
	files := mapFiles{stagingPath: appOn("staging", "name: euw1-shared")}
	e := newEnv(t, options{files: files})
	for _, tc := range []struct{ cmd, want string }{
		{"move checkout-service prod-eu --auto", "prod-eu of checkout-service has no Application in the GitOps repository yet, so it runs nowhere; the rules would place it on `euw1-prod-a` (rule `tier1-eu` matched tier=tier1, region=eu-west-1); nothing to move, nothing to approve."},
		{"move checkout-service prod-us --to use1-prod-a", "prod-us of checkout-service has no Application in the GitOps repository yet, so it runs nowhere; the rules would place it on `use1-prod-a` (rule `tier1-us`"},
		{"move checkout-service staging --to euw1-shared", "staging of checkout-service already runs on `euw1-shared` (Application `apps/checkout/checkout-service/staging.yaml`)"},
	} {
		contains(t, e.h.Run("U-alice", tc.cmd), tc.want)
	}
	for _, cmd := range []string{"move checkout-service prod-eu --auto", "move checkout-service prod-us --to use1-prod-a"} {
		if out := e.h.Run("U-alice", cmd); strings.Contains(out, "already runs") {
			t.Errorf("%s: an environment without an Application is said to run somewhere:\n%s", cmd, out)
		}
	}
	if n := len(e.pub.Changes()); n != 0 {
		t.Errorf("%d pull request(s) for moves to where it runs", n)
	}
	if n := len(e.h.Messenger.Ops("post")); n != 0 {
		t.Errorf("%d approval card(s) for moves to where it runs", n)
	}
	recs, err := e.h.Store.ListRecords(context.Background(), store.Query{Kind: RecordKind})
	if err != nil || len(recs) != 0 {
		t.Errorf("move requests saved: %d, %v", len(recs), err)
	}
}

// A move to where the environment runs while a move elsewhere is open
// reports the open one (it would otherwise hide it); --replace replaces it
// and opens nothing.
func TestMoveToWhereItRunsReportsTheOpenMove(t *testing.T) {
	files := mapFiles{stagingPath: appOn("staging", "name: euw1-shared")}
	e := newEnv(t, options{files: files})
	contains(t, e.h.Run("U-alice", "move checkout-service staging --to use1-shared"), "📦 Pull request to move staging of checkout-service from `euw1-shared` to `use1-shared`")
	out := e.h.Run("U-bob", "move checkout-service staging --to euw1-shared")
	contains(t, out, "staging of checkout-service already has an open move to `use1-shared` (pull request <file://", "run this again with `--replace`")
	if strings.Contains(out, "nothing to move") {
		t.Errorf("the open move is hidden:\n%s", out)
	}
	contains(t, e.h.Run("U-bob", "move checkout-service staging --to euw1-shared --replace"),
		"staging of checkout-service already runs on `euw1-shared` (Application `apps/checkout/checkout-service/staging.yaml`). The open move to `use1-shared` (request `",
		"is replaced; nothing new to open, nothing to approve.")
	if n := len(e.pub.Changes()); n != 1 {
		t.Errorf("%d pull requests, want the first only", n)
	}
	// The pull request links the Application in Argo CD (argocd.url).
	if body := e.pub.Changes()[0].Body; !strings.Contains(body, "- Argo CD: https://argocd.acme.example/applications/argocd/checkout-service-staging\n") {
		t.Errorf("pull request body lacks the Argo CD link:\n%s", body)
	}
	if states := moveStates(t, e); states[StateReplaced] != 1 || len(states) != 1 {
		t.Errorf("move requests: %v, want one replaced", states)
	}
}

// One open move per environment: a second one to another cluster is
// refused with a link to the open one; --replace replaces it; once the
// Application on the base branch changed (merged), a new move is free.
func TestOneOpenMovePerEnvironment(t *testing.T) {
	files := mapFiles{devPath: appOn("dev", "name: retired-shared")}
	e := newEnv(t, options{files: files})
	contains(t, e.h.Run("U-alice", "move checkout-service dev --to euw1-shared"), "📦 Pull request to move dev of checkout-service from `retired-shared` to `euw1-shared`")
	first := e.pub.Changes()[0]

	out := e.h.Run("U-bob", "move checkout-service dev --to use1-shared")
	contains(t, out, "dev of checkout-service already has an open move to `euw1-shared` (pull request <file://", "|#1>), which changes the same file `apps/checkout/checkout-service/dev.yaml`",
		"run this again with `--replace`")
	// The same move again is that one.
	contains(t, e.h.Run("U-bob", "move checkout-service dev --to euw1-shared"), "Moving dev of checkout-service to `euw1-shared` was already asked by U-alice: pull request <file://", "Nothing new was opened.")
	if n := len(e.pub.Changes()); n != 1 {
		t.Fatalf("%d pull requests for one environment, want 1", n)
	}

	// Its pull request was closed without merging: --replace.
	contains(t, e.h.Run("U-bob", "move checkout-service dev --to use1-shared --replace"), "📦 Pull request to move dev of checkout-service from `retired-shared` to `use1-shared`")
	changes := e.pub.Changes()
	if len(changes) != 2 || changes[1].Branch == first.Branch {
		t.Fatalf("replacing move: %d changes, branches %q", len(changes), changes[len(changes)-1].Branch)
	}
	states := moveStates(t, e)
	if states[approval.StateApproved] != 1 || states[StateReplaced] != 1 {
		t.Errorf("states after --replace: %v", states)
	}

	// It merged: the next move opens a new pull request.
	files[devPath] = changes[1].Files[devPath]
	contains(t, e.h.Run("U-alice", "move checkout-service dev --to euw1-shared"), "📦 Pull request to move dev of checkout-service from `use1-shared` to `euw1-shared`")
	if n := len(e.pub.Changes()); n != 3 {
		t.Errorf("%d pull requests, want 3", n)
	}
	states = moveStates(t, e)
	if states[StateMerged] != 1 || states[StateReplaced] != 1 || states[approval.StateApproved] != 1 {
		t.Errorf("states after the merge: %v", states)
	}
}

func moveStates(t *testing.T, e *env) map[string]int {
	t.Helper()
	recs, err := e.h.Store.ListRecords(context.Background(), store.Query{Kind: RecordKind})
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range recs {
		n[r.State]++
	}
	return n
}

// The same production move asked twice — by two deliveries, two people —
// is one request with one card; after it is denied, asking again is a new
// request.
func TestRepeatedProductionMoveIsOneRequest(t *testing.T) {
	e := newEnv(t, options{files: prodUSOnB()})
	contains(t, e.h.Run("U-alice", "move checkout-service prod-us --to use1-prod-a"), "is a production move")
	// Another delivery of the same user (a double click sends two).
	req := e.h.Messenger.NewRequest("U-alice", "")
	req.ID, req.Text, req.Command, req.Args = "another-delivery", "move checkout-service prod-us --to use1-prod-a", "", nil
	if err := e.h.Router.Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	contains(t, e.h.Run("U-bob", "move checkout-service prod-us --to use1-prod-a"),
		"Moving prod-us of checkout-service to `use1-prod-a` was already asked by U-alice: request `mv-", "waiting for approval in #platform. Nothing new was opened.")
	posts := cards(e)
	if len(posts) != 1 {
		t.Fatalf("%d approval cards for one move, want 1", len(posts))
	}
	contains(t, e.h.Click("U-bob", posts[0], "Deny"), "bob (team) denied")
	contains(t, e.h.Run("U-alice", "move checkout-service prod-us --to use1-prod-a"), "is a production move")
	if n := len(cards(e)); n != 2 {
		t.Errorf("%d cards after asking again once denied, want 2", n)
	}
}

// A cluster a rule reserves takes only what that rule matches; a full
// cluster takes nothing new, explained like a cordon.
func TestMoveRefusesReservedAndFullClusters(t *testing.T) {
	files := prodUSOnB()
	files["apps/checkout/cart-service/dev.yaml"] = appOn("dev", "name: euw1-shared")
	e := newEnv(t, options{files: files, cfg: func(c *Config) {
		c.Clusters = append(c.Clusters, place.Cluster{Name: "use1-pci", Server: "https://use1-pci.k8s.acme.example", Region: "us-east-1", Tiers: []string{"tier1"}})
		for i := range c.Rules {
			if c.Rules[i].Name == "payments-tier1-us" {
				c.Rules[i].Clusters = []string{"use1-pci"}
				c.Rules[i].Reserved = []string{"use1-pci"}
			}
		}
		for i := range c.Clusters {
			if c.Clusters[i].Name == "euw1-shared" {
				c.Clusters[i].Capacity = 1
			}
		}
	}})
	contains(t, e.h.Run("U-alice", "move checkout-service prod-us --to use1-pci"),
		"Can't move prod-us of checkout-service to `use1-pci` (reserved for rule `payments-tier1-us` (tier=tier1, region=us-east-1, team=payments), which does not match it).")
	contains(t, e.h.Run("U-alice", "move checkout-service dev --to euw1-shared"),
		"Can't move dev of checkout-service to `euw1-shared` (full: 1 of 1 placements, it takes no new ones).")
	if n := len(e.pub.Changes()) + len(e.h.Messenger.Ops("post")); n != 0 {
		t.Errorf("refused moves opened %d pull request(s) or card(s)", n)
	}
	out := e.h.Run("U-carol", "clusters")
	contains(t, out,
		"*euw1-shared* — eu-west-1 · tiers standard · Argo CD cluster euw1-shared · 🈵 full (no new placements) · labels provider=eks\n1 of 1 placement(s): cart-service/dev\n",
		"*use1-pci* — us-east-1 · tiers tier1 · server https://use1-pci.k8s.acme.example · reserved for rule(s) payments-tier1-us\n0 placement(s)",
	)
}

// --to names one of the clusters of the rule that matches the environment:
// a cluster of the right region and tier that the rule does not list is
// refused, naming the rule and its clusters.
func TestMoveRefusesAClusterOfNoMatchingRule(t *testing.T) {
	e := newEnv(t, options{files: prodUSOnB(), cfg: func(c *Config) {
		c.Clusters = append(c.Clusters, place.Cluster{Name: "use1-prod-c", Server: "https://use1-prod-c.k8s.acme.example", Region: "us-east-1", Tiers: []string{"tier1"}})
	}})
	contains(t, e.h.Run("U-alice", "move checkout-service prod-us --to use1-prod-c"),
		"Can't move prod-us of checkout-service to `use1-prod-c` (not a cluster of rule `tier1-us` (line ",
		"), the rule that matches it (tier=tier1, region=us-east-1); its clusters are use1-prod-b, use1-prod-a).")
	if n := len(e.pub.Changes()) + len(e.h.Messenger.Ops("post")); n != 0 {
		t.Errorf("a refused move opened %d pull request(s) or card(s)", n)
	}
	if states := moveStates(t, e); len(states) != 0 {
		t.Errorf("a refused move saved requests: %v", states)
	}
}

// One load model: a cluster's load is the Applications the GitOps
// repository has; environments the rules only plan count nowhere, so they
// do not push each other off a cluster in where, and clusters counts the
// same way.
func TestCapacityCountsApplicationsOnly(t *testing.T) {
	files := mapFiles{}
	e := newEnv(t, options{files: files, cfg: func(c *Config) {
		for i := range c.Clusters {
			if c.Clusters[i].Name == "use1-shared" {
				c.Clusters[i].Capacity = 2
			}
		}
	}})
	out := e.h.Run("U-dave", "where checkout-service")
	contains(t, out, "*dev* (standard) → cluster `use1-shared`: rule `standard` matched tier=standard (no Application",
		"*staging* (standard) → cluster `use1-shared`: rule `standard` matched tier=standard (no Application")
	if strings.Contains(out, "full") {
		t.Errorf("planned environments count against each other:\n%s", out)
	}
	out = e.h.Run("U-carol", "clusters")
	contains(t, out, "*use1-shared* — us-east-1 · tiers standard · server https://use1-shared.k8s.acme.example · labels provider=eks\n"+
		"0 of 2 placement(s) and 3 planned: cart-service/dev (planned), checkout-service/dev (planned), checkout-service/staging (planned)\n")

	// Two Applications on it: full for anything else, in where and clusters alike.
	files["apps/checkout/cart-service/dev.yaml"] = appOn("dev", "server: https://use1-shared.k8s.acme.example")
	files[stagingPath] = appOn("staging", "server: https://use1-shared.k8s.acme.example")
	contains(t, e.h.Run("U-dave", "where checkout-service"),
		"*dev* (standard) → cluster `euw1-shared`: rule `standard` matched tier=standard; passed over use1-shared (full: 2 of 2 placements, it takes no new ones)",
		"*staging* (standard) → runs on `use1-shared`")
	contains(t, e.h.Run("U-carol", "clusters"), "*use1-shared* — us-east-1 · tiers standard · server https://use1-shared.k8s.acme.example · 🈵 full (no new placements) · labels provider=eks\n"+
		"2 of 2 placement(s): cart-service/dev, checkout-service/staging\n",
		"*euw1-shared* — eu-west-1 · tiers standard · Argo CD cluster euw1-shared · labels provider=eks\n0 placement(s) and 1 planned: checkout-service/dev (planned)\n")
}

// cards are the approval cards posted (not the thread replies).
func cards(e *env) []bottest.Sent {
	var out []bottest.Sent
	for _, s := range e.h.Messenger.Ops("post") {
		if s.Msg.ThreadTS == "" {
			out = append(out, s)
		}
	}
	return out
}

// Two deliveries of the same production move at once save one request and
// post one card.
func TestConcurrentProductionMovesPostOneCard(t *testing.T) {
	e := newEnv(t, options{files: prodUSOnB()})
	var wg sync.WaitGroup
	for i, user := range []string{"U-alice", "U-bob", "U-alice"} {
		req := e.h.Messenger.NewRequest(user, "")
		req.ID, req.Text, req.Command, req.Args = fmt.Sprintf("delivery-%d", i), "move checkout-service prod-us --to use1-prod-a", "", nil
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.h.Router.Run(context.Background(), req); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(cards(e)); n != 1 {
		t.Errorf("%d approval cards, want 1", n)
	}
	if states := moveStates(t, e); states[approval.StatePending] != 1 || len(states) != 1 {
		t.Errorf("move requests: %v, want one pending", states)
	}
}
