package placement

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	exampleplacement "github.com/platbot/platbot/examples/placement"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
)

// testCatalog: the checkout team (alice, bob) owns checkout-service (its
// intent in spec.deployment, as the example catalog has it) and
// cart-service (the compact annotation); carol is a platform admin; dave
// is in another team.
const testCatalog = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: checkout}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: reports}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice, annotations: {slack.com/user-id: U-alice}}
spec: {memberOf: [checkout]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: bob, annotations: {slack.com/user-id: U-bob}}
spec: {memberOf: [checkout]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: carol, annotations: {slack.com/user-id: U-carol}}
spec: {memberOf: [platform]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: dave, annotations: {slack.com/user-id: U-dave}}
spec: {memberOf: [reports]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-service
  annotations: {backstage.io/kubernetes-namespace: checkout}
spec:
  type: service
  lifecycle: production
  owner: checkout
  deployment:
    workload: checkout
    environments:
      - {name: dev, tier: standard}
      - {name: staging, tier: standard}
      - {name: prod-us, tier: tier1, region: us-east-1}
      - {name: prod-eu, tier: tier1, region: eu-west-1}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: cart-service
  annotations:
    platbot.dev/environments: "dev:standard, prod:tier1@eu-west-1"
spec: {type: service, lifecycle: production, owner: checkout}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: report-builder}
spec: {type: service, lifecycle: production, owner: reports}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: broken-service
  annotations:
    platbot.dev/environments: "dev:standard, Prod!"
spec: {type: service, lifecycle: production, owner: reports}
`

// recordingPublisher is the real local GitOps publisher, recording every
// change it is asked to open.
type recordingPublisher struct {
	p       *gitops.Publisher
	mu      sync.Mutex
	changes []Change
}

func (r *recordingPublisher) Open(ctx context.Context, c Change) (*PullRequest, error) {
	r.mu.Lock()
	r.changes = append(r.changes, c)
	r.mu.Unlock()
	pr, err := r.p.Open(ctx, gitops.Change{Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage, Files: c.Files, Labels: c.Labels})
	if err != nil {
		return nil, err
	}
	return &PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Created: pr.Created}, nil
}

func (r *recordingPublisher) Changes() []Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Change(nil), r.changes...)
}

// mapFiles is a GitOps repository's base branch as a map.
type mapFiles map[string]string

func (m mapFiles) ReadFile(_ context.Context, path string) ([]byte, error) {
	if s, ok := m[path]; ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("read %s: %w", path, fs.ErrNotExist)
}

// fakeStatus reports fixed statuses by "service/env".
type fakeStatus map[string]Status

func (f fakeStatus) Status(_ context.Context, service, env string) (Status, bool) {
	s, ok := f[service+"/"+env]
	return s, ok
}

type env struct {
	h   *bottest.Harness
	p   *Placement
	pub *recordingPublisher
}

type options struct {
	files  FileReader
	status StatusSource
	cfg    func(*Config)
}

// newEnv builds the feature over the example placement configuration, a
// real catalog, store and local GitOps repository, registered on a
// harness router.
func newEnv(t *testing.T, o options) *env {
	t.Helper()
	h := bottest.NewHarness(t, bottest.HarnessOptions{})
	cat := catalogtest.New(t, testCatalog)
	cfg, err := LoadFile(exampleplacement.Config, exampleplacement.File)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ApprovalChannel = "#platform"
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	repo, err := gitlocal.Open(context.Background(), filepath.Join(t.TempDir(), "gitops"), gitlocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pub := &recordingPublisher{p: gitops.Local(repo)}
	d := Deps{Catalog: cat, Store: h.Store, Publisher: pub, Files: o.files, Status: o.status, Policy: h.Policy, Logger: h.Logs.Logger(), Now: h.Clock.Now}
	p, err := New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := bot.NewRegistry(h.Router, nil).Install(p); err != nil {
		t.Fatal(err)
	}
	return &env{h: h, p: p, pub: pub}
}
