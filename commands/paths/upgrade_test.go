package paths

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
	"github.com/platbot/platbot/store"
)

// gitOut is the output of a git command in dir, as it is.
func gitOut(dir string, args ...string) (string, error) {
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	return string(out), err
}

// svcConfigTemplate is version v (1, 2 or 3) of a small golden path,
// svc-config, that writes a service's configuration into the GitOps
// repository. From v1 to v3: config.yaml gets a new image (v2) and a
// health path (v3); notes.md a new tier (v2); extra.yaml changes (v2);
// new.txt appears (v2); old.txt and kept.txt are dropped (v3); v3 has a
// new parameter, tier, with a default. Version 4 is v2 with a new required
// parameter, contact, that has no default.
func svcConfigTemplate(v int) map[string]string {
	params := `        service:
          title: Service
          type: string
          ui:field: EntityPicker
          ui:options:
            catalogFilter:
              kind: Component
        replicas:
          title: Replicas
          type: integer
          default: 2
`
	if v == 4 {
		params += `        contact:
          title: Contact
          type: string
`
	}
	if v >= 3 && v != 4 {
		params += `        tier:
          title: Tier
          type: string
          default: standard
`
	}
	required, values := "", ""
	if v == 4 {
		required, values = "        - contact\n", "          contact: ${{ parameters.contact }}\n"
	}
	files := map[string]string{
		"svc-config/template.yaml": `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: svc-config
  title: Service config
spec:
  owner: group:default/platform
  type: service
  parameters:
    - title: Service
      required:
        - service
` + required + `      properties:
` + params + `  steps:
    - id: render
      name: Render the configuration
      action: fetch:template
      input:
        url: ./skeleton
        targetPath: out/teams/payments/${{ parameters.service | parseEntityRef | pick('name') }}
        values:
          service: ${{ parameters.service | parseEntityRef | pick('name') }}
          replicas: ${{ parameters.replicas }}
` + values + `    - id: publish
      name: Open the pull request
      action: publish:github:pull-request
      input:
        sourcePath: out
        title: svc-config for ${{ parameters.service }}
`,
		"svc-config/skeleton/config.yaml": "service: ${{ values.service }}\nreplicas: ${{ values.replicas }}\nport: 8080\nlogLevel: info\ntimeout: 30s\nimage: app:1\n",
		"svc-config/skeleton/notes.md":    "# ${{ values.service }}\n\nOwner: payments\nTier: standard\n",
		"svc-config/skeleton/extra.yaml":  "extra: true\n",
		"svc-config/skeleton/old.txt":     "legacy\n",
		"svc-config/skeleton/kept.txt":    "generated\n",
	}
	if v >= 2 {
		files["svc-config/skeleton/config.yaml"] = strings.Replace(files["svc-config/skeleton/config.yaml"], "image: app:1", "image: app:2", 1)
		files["svc-config/skeleton/notes.md"] = strings.Replace(files["svc-config/skeleton/notes.md"], "Tier: standard", "Tier: premium", 1)
		files["svc-config/skeleton/extra.yaml"] = "extra: false\n"
		files["svc-config/skeleton/new.txt"] = "hello\n"
		files["svc-config/CHANGELOG.md"] = "# svc-config\n\n## v2\n\nImage app:2, premium tier.\n"
	}
	if v == 4 {
		files["svc-config/skeleton/notes.md"] += "Contact: ${{ values.contact }}\n"
		return files
	}
	if v >= 3 {
		files["svc-config/skeleton/config.yaml"] += "healthPath: /healthz\n"
		delete(files, "svc-config/skeleton/old.txt")
		delete(files, "svc-config/skeleton/kept.txt")
		files["svc-config/CHANGELOG.md"] += "\n## v3\n\nA health path; old.txt and kept.txt are gone.\n"
	}
	return files
}

// writeTemplate replaces the templates in dir by files.
func writeTemplate(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(dir, "svc-config")); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// approveVersion writes version v of svc-config and has an admin approve it.
func (e *env) approveVersion(t *testing.T, dir string, v int) string {
	t.Helper()
	writeTemplate(t, dir, svcConfigTemplate(v))
	if err := e.paths.Reload(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.approve(t, "svc-config")
	return e.approved("svc-config").Hash
}

const svcDir = "teams/payments/orders-service/"

// upgradeFixture is orders-service generated from svc-config v1 (its pull
// request merged), then edited by its team (a log level, a tier, one file
// deleted, one changed), with v3 approved.
type upgradeFixture struct {
	e               *env
	dir             string
	v1, v3          string
	merge           func(branch string)
	edit            func(changes map[string]*string)
	read            func(branch, path string) (string, bool)
	branches, pulls func() int
	// body is the description of the pull request of a branch.
	body func(branch string) string
	// decline closes the pull request of a branch without merging it, and
	// returns its number.
	decline func(branch string) int
}

func text(s string) *string { return &s }

func setupUpgrade(t *testing.T, f *upgradeFixture) {
	t.Helper()
	e := f.e
	f.v1 = e.approveVersion(t, f.dir, 1)
	if errs := e.submit(userJane, e.form(userJane, "svc-config"), bot.Values{"service": {"orders-service"}}); errs != nil {
		t.Fatalf("valid submission refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	f.merge(r.Branch())
	f.edit(map[string]*string{
		svcDir + "config.yaml": text("service: orders-service\nreplicas: 2\nport: 8080\nlogLevel: debug\ntimeout: 30s\nimage: app:1\n"),
		svcDir + "notes.md":    text("# orders-service\n\nOwner: payments\nTier: gold\n"),
		svcDir + "kept.txt":    text("generated, then ours\n"),
		svcDir + "extra.yaml":  nil,
	})
	e.approveVersion(t, f.dir, 2)
	f.v3 = e.approveVersion(t, f.dir, 3)
}

// checkUpgrade runs the upgrade's bad inputs, dry run, real run and retry.
func checkUpgrade(t *testing.T, f *upgradeFixture) {
	e := f.e
	branches, pulls := f.branches(), f.pulls()
	nothing := func(what string) {
		t.Helper()
		if f.branches() != branches || f.pulls() != pulls {
			t.Fatalf("%s opened something: %d branches (was %d), %d pull requests (was %d)", what, f.branches(), branches, f.pulls(), pulls)
		}
	}
	for _, c := range []struct{ user, cmd, want string }{
		{userJane, "upgrade payments-service", "`payments-service` has no golden-path lineage"},
		{userJane, "upgrade orders-service --template new-db", "`orders-service` did not come from `new-db`; it came from `svc-config`"},
		{userJane, "upgrade orders-service --version 0123456789abcdef", "Version `0123456789abcdef` of `svc-config` is not approved"},
		{userJane, "upgrade orders-service --version " + f.v1[:12], "was approved once but is not the approved version now"},
		{userBob, "upgrade orders-service", "You can only create things for your own teams"},
		// Ownership is checked before the service's templates are named.
		{userBob, "upgrade orders-service --template new-db", "You can only create things for your own teams"},
		{userJane, "upgrade", "Which service?"},
	} {
		if got := e.reply(c.user, c.cmd); !strings.Contains(got, c.want) {
			t.Errorf("/plat %s answered:\n%s\nwant %q", c.cmd, got, c.want)
		}
		nothing("/plat " + c.cmd)
	}

	dry := e.reply(userJane, "upgrade orders-service --dry-run")
	for _, want := range []string{"Dry run: nothing was opened", "(2 approved version(s) behind)", "merged cleanly: `" + svcDir + "config.yaml`",
		"conflicts to resolve", "`" + svcDir + "notes.md (1)`", "new files: `" + svcDir + "new.txt`", "removed (the new version drops them and you had not changed them): `" + svcDir + "old.txt`",
		"kept deleted (you deleted them): `" + svcDir + "extra.yaml`", "kept (the new version drops them, but you changed them): `" + svcDir + "kept.txt`", "*v2*\nImage app:2, premium tier.", "*v3*\nA health path"} {
		if !strings.Contains(dry, want) {
			t.Errorf("dry run lacks %q:\n%s", want, dry)
		}
	}
	nothing("the dry run")

	out := e.reply(userJane, "upgrade orders-service")
	if !strings.Contains(out, "Upgrade pull request opened") {
		t.Fatalf("upgrade answered:\n%s", out)
	}
	if f.pulls() != pulls+1 {
		t.Fatalf("%d pull requests, want %d", f.pulls(), pulls+1)
	}
	branch := "plat/upgrade-orders-service-svc-config-" + f.v3[:12]
	read := func(p string) string {
		t.Helper()
		s, ok := f.read(branch, p)
		if !ok {
			t.Fatalf("%s is not on %s", p, branch)
		}
		return s
	}
	if got, want := read(svcDir+"config.yaml"), "service: orders-service\nreplicas: 2\nport: 8080\nlogLevel: debug\ntimeout: 30s\nimage: app:2\nhealthPath: /healthz\n"; got != want {
		t.Errorf("config.yaml (clean merge):\n%s\nwant\n%s", got, want)
	}
	if got, want := read(svcDir+"notes.md"), "# orders-service\n\nOwner: payments\n<<<<<<< ours\nTier: gold\n||||||| base\nTier: standard\n=======\nTier: premium\n>>>>>>> new\n"; got != want {
		t.Errorf("notes.md (conflict):\n%s\nwant\n%s", got, want)
	}
	if got := read(svcDir + "new.txt"); got != "hello\n" {
		t.Errorf("new.txt: %q", got)
	}
	if got := read(svcDir + "kept.txt"); got != "generated, then ours\n" {
		t.Errorf("kept.txt: %q", got)
	}
	for _, gone := range []string{"old.txt", "extra.yaml"} {
		if _, ok := f.read(branch, svcDir+gone); ok {
			t.Errorf("%s is on the upgrade branch", gone)
		}
	}
	l, err := parseLineage("lineage", []byte(read(LineageDir+"/orders-service/svc-config.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != f.v3 || l.Inputs["tier"] != "standard" || l.Outputs[0].Files[svcDir+"new.txt"] != fileHash("hello\n") {
		t.Errorf("upgraded lineage %+v", l)
	}
	if _, ok := l.Outputs[0].Files[svcDir+"old.txt"]; ok {
		t.Errorf("upgraded lineage still lists old.txt: %v", l.Outputs[0].Files)
	}
	it, err := e.paths.lineages().Get(e.ctx, "orders-service/svc-config")
	if err != nil || it.Value.UpgradeVersion != f.v3 || it.Value.Upgrade == "" || it.Value.Upgraded.IsZero() {
		t.Fatalf("stored lineage after the upgrade: %+v, %v", it, err)
	}

	events, err := e.st.AuditEvents(e.ctx, store.AuditFilter{Action: "paths.upgrade"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("%d paths.upgrade audit events, want 1: %+v", len(events), events)
	}
	if ev := events[0]; ev.ActorID != userJane || ev.Outcome != "ok" || ev.Target != "component:orders-service" ||
		ev.Details["template"] != "svc-config" || ev.Details["from"] != f.v1 || ev.Details["to"] != f.v3 {
		t.Fatalf("upgrade audit event %+v", ev)
	} else if prs, _ := ev.Details["pull_requests"].(map[string]any); len(prs) != 1 || prs["the GitOps repository"] != it.Value.Upgrade {
		t.Fatalf("upgrade audit event's pull requests: %#v (want the GitOps repository: %s)", ev.Details["pull_requests"], it.Value.Upgrade)
	}

	body := f.body(branch)
	for _, want := range []string{"## Conflicts to resolve before merging", "- `" + svcDir + "notes.md (1)`", "## Merged cleanly\n\n- `" + svcDir + "config.yaml`",
		"## New files\n\n- `" + svcDir + "new.txt`", "## Removed (dropped by the new version, unchanged since generated)\n\n- `" + svcDir + "old.txt`",
		"## Kept deleted (you deleted them)\n\n- `" + svcDir + "extra.yaml`", "## What changed in the template\n\n## v2\n\nImage app:2, premium tier.\n\n## v3"} {
		if !strings.Contains(body, want) {
			t.Errorf("pull request body lacks %q:\n%s", want, body)
		}
	}

	stored := func() *Lineage {
		t.Helper()
		it, err := e.paths.lineages().Get(e.ctx, "orders-service/svc-config")
		if err != nil {
			t.Fatal(err)
		}
		return &it.Value
	}
	// A retry finds the same pull request.
	if again := e.reply(userJane, "upgrade orders-service"); !strings.Contains(again, "The upgrade pull request is already open.") || !strings.Contains(again, stored().Upgrade) {
		t.Fatalf("retry answered:\n%s", again)
	}
	if f.pulls() != pulls+1 {
		t.Fatalf("the retry opened another pull request: %d", f.pulls())
	}
	if got := e.reply(userJane, "template drift"); !strings.Contains(got, "|upgrade pull request>") {
		t.Fatalf("drift while the upgrade is open:\n%s", got)
	}

	// Declined, asked again: another pull request, on a branch of its own
	// (the closed one's is left as it is), which a retry finds again.
	closed := f.decline(branch)
	declined := stored().Upgrade
	for i := range 2 {
		again := e.reply(userJane, "upgrade orders-service")
		note := "The earlier upgrade pull request " + declined + " is closed; this one asks again."
		if i == 0 && (!strings.Contains(again, "Upgrade pull request opened") || !strings.Contains(again, note)) ||
			i == 1 && (!strings.Contains(again, "The upgrade pull request is already open.") || strings.Contains(again, note)) {
			t.Fatalf("upgrade after the pull request was declined (%d) answered:\n%s", i, again)
		}
		if f.pulls() != pulls+2 {
			t.Fatalf("%d pull requests after the upgrade was declined and asked again, want %d", f.pulls(), pulls+2)
		}
	}
	branch = fmt.Sprintf("%s-after-%d", branch, closed)
	if got := read(svcDir + "new.txt"); got != "hello\n" {
		t.Errorf("new.txt on %s: %q", branch, got)
	}
	if l := stored(); l.Upgrade == declined || l.Upgrade == "" || l.UpgradeVersion != f.v3 {
		t.Fatalf("stored lineage after asking again: %+v (declined: %s)", l, declined)
	}

	// Merged, the upgrade is the service's lineage: nothing is behind.
	f.merge(branch)
	if got := e.reply(userJane, "template drift"); !strings.Contains(got, "is on the latest approved version") {
		t.Fatalf("drift after the upgrade was merged:\n%s", got)
	}
	if it, err := e.paths.lineages().Get(e.ctx, "orders-service/svc-config"); err != nil || it.Value.Version != f.v3 || it.Value.UpgradeVersion != "" {
		t.Fatalf("stored lineage after the merge: %+v, %v", it, err)
	}
	if got := e.reply(userJane, "upgrade orders-service"); !strings.Contains(got, "is already on the approved version of `svc-config`") {
		t.Fatalf("upgrade after the merge answered:\n%s", got)
	}
}

func TestUpgradeLocalGit(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOptions{templates: dir, noApprove: true})
	repo := filepath.Join(e.dir, "gitops")
	lr, err := gitlocal.Open(e.ctx, repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	f := &upgradeFixture{e: e, dir: dir,
		merge: func(branch string) { git(t, repo, "update-ref", "refs/heads/main", branch) },
		edit: func(changes map[string]*string) {
			wt := filepath.Join(t.TempDir(), "wt")
			git(t, repo, "worktree", "add", "--quiet", "--detach", wt, "main")
			for p, c := range changes {
				if c == nil {
					git(t, wt, "rm", "--quiet", p)
					continue
				}
				if err := os.WriteFile(filepath.Join(wt, filepath.FromSlash(p)), []byte(*c), 0o644); err != nil {
					t.Fatal(err)
				}
				git(t, wt, "add", p)
			}
			git(t, wt, "-c", "user.name=team", "-c", "user.email=team@example.com", "commit", "--quiet", "-m", "the team's edits")
			git(t, repo, "update-ref", "refs/heads/main", git(t, wt, "rev-parse", "HEAD"))
		},
		read: func(branch, p string) (string, bool) {
			out, err := gitOut(repo, "show", branch+":"+p)
			return out, err == nil
		},
		branches: func() int { return len(strings.Fields(git(t, repo, "branch", "--list", "plat/*"))) },
		pulls: func() int {
			prs, err := lr.PullRequests(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(prs)
		},
	}
	f.decline = func(branch string) int {
		pr, err := lr.FindPullRequest(e.ctx, branch)
		if err != nil || pr == nil {
			t.Fatalf("no pull request of %s: %v", branch, err)
		}
		git(t, repo, "branch", "--quiet", "-D", branch)
		return pr.Number
	}
	f.body = func(branch string) string {
		prs, err := lr.PullRequests(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range prs {
			if pr.Branch == branch {
				return pr.Body
			}
		}
		t.Fatalf("no pull request of %s", branch)
		return ""
	}
	setupUpgrade(t, f)
	checkUpgrade(t, f)
}

func TestUpgradeOnGitHub(t *testing.T) {
	gh := newGHFake(t)
	c, err := github.New(strings.TrimSuffix(gh.URL(), "/"), "test-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := gitops.GitHub(c, "acme/gitops", github.PullRequestOptions{Attempts: 3, MinDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := newEnv(t, envOptions{templates: dir, noApprove: true, publisher: gitopsPublisher{pub}, gitopsFiles: pub})
	refs := func() int { return gh.Count("POST", "/repos/acme/gitops/git/refs") }
	f := &upgradeFixture{e: e, dir: dir,
		merge: func(branch string) {
			if err := gh.Merge("acme/gitops", branch); err != nil {
				t.Fatal(err)
			}
		},
		edit: func(changes map[string]*string) {
			if err := gh.Commit("acme/gitops", "the team's edits", changes); err != nil {
				t.Fatal(err)
			}
		},
		read: func(branch, p string) (string, bool) {
			s, ok := gh.BranchFiles(branch)[p]
			return s, ok
		},
		branches: refs,
		pulls:    func() int { return len(gh.PullRequests()) },
		body: func(branch string) string {
			for _, pr := range gh.PullRequests() {
				if pr.Head == branch {
					return pr.Body
				}
			}
			t.Fatalf("no pull request of %s", branch)
			return ""
		},
		decline: func(branch string) int {
			for _, pr := range gh.PullRequests() {
				if pr.Head == branch {
					if err := gh.Close("acme/gitops", pr.Number); err != nil {
						t.Fatal(err)
					}
					return pr.Number
				}
			}
			t.Fatalf("no pull request of %s", branch)
			return 0
		},
	}
	setupUpgrade(t, f)
	checkUpgrade(t, f)
}

// TestUpgradeFollowsRenamesAndAsksForNewParameters: a generated file the
// team moved (unchanged, or recorded in the lineage file) gets the new
// version where it is now; a new parameter with no default is asked for in
// a form, and the upgrade runs with the answer.
func TestUpgradeFollowsRenamesAndAsksForNewParameters(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOptions{templates: dir, noApprove: true})
	repo := filepath.Join(e.dir, "gitops")
	e.approveVersion(t, dir, 1)
	if errs := e.submit(userJane, e.form(userJane, "svc-config"), bot.Values{"service": {"orders-service"}}); errs != nil {
		t.Fatalf("valid submission refused: %v", errs)
	}
	e.drain()
	git(t, repo, "update-ref", "refs/heads/main", e.onlyRun().Branch())

	// The team moves config.yaml as it is, and notes.md to docs/ with an
	// edit, recording that move in the lineage file.
	lineagePath := LineageDir + "/orders-service/svc-config.yaml"
	l, err := parseLineage(lineagePath, []byte(git(t, repo, "show", "main:"+lineagePath)))
	if err != nil {
		t.Fatal(err)
	}
	l.Outputs[0].Renamed = map[string]string{svcDir + "notes.md": svcDir + "docs/notes.md"}
	recorded, err := l.yaml()
	if err != nil {
		t.Fatal(err)
	}
	wt := filepath.Join(t.TempDir(), "wt")
	git(t, repo, "worktree", "add", "--quiet", "--detach", wt, "main")
	git(t, wt, "mv", svcDir+"config.yaml", svcDir+"settings.yaml")
	if err := os.MkdirAll(filepath.Join(wt, svcDir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, wt, "mv", svcDir+"notes.md", svcDir+"docs/notes.md")
	// kept.txt moves too, but v4 does not change it: no rename is applied.
	git(t, wt, "mv", svcDir+"kept.txt", svcDir+"kept-here.txt")
	for p, c := range map[string]string{
		svcDir + "docs/notes.md": "# orders-service, the team's notes\n\nOwner: payments\nTier: standard\n",
		lineagePath:              recorded,
	} {
		if err := os.WriteFile(filepath.Join(wt, filepath.FromSlash(p)), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		git(t, wt, "add", p)
	}
	git(t, wt, "-c", "user.name=team", "-c", "user.email=team@example.com", "commit", "--quiet", "-m", "move things")
	git(t, repo, "update-ref", "refs/heads/main", git(t, wt, "rev-parse", "HEAD"))

	v4 := e.approveVersion(t, dir, 4)
	e.command(userJane, "upgrade orders-service")
	last := e.msgr.Last()
	if last.Op != "form" || len(last.Form.Fields) != 1 || last.Form.Fields[0].ID != "contact" {
		t.Fatalf("upgrade did not ask for the new parameter: %s %+v", last.Op, last.Form)
	}
	if n := len(strings.Fields(git(t, repo, "branch", "--list", "plat/upgrade-*"))); n != 0 {
		t.Fatalf("the form opened %d upgrade branches", n)
	}
	req := e.request(userJane, "")
	req.Args = []string{"orders-service"}
	if err := e.router.SubmitForm(e.ctx, req, last.Form.ID, bot.Values{"contact": {"ops@example.com"}}); err != nil {
		t.Fatal(err)
	}
	answer := e.msgr.Last().Text()
	if !strings.Contains(answer, "followed renames: `"+svcDir+"config.yaml → "+svcDir+"settings.yaml`\n") || strings.Contains(answer, "kept.txt") {
		t.Errorf("the upgrade's renames (only config.yaml's is applied):\n%s", answer)
	}
	branch := "plat/upgrade-orders-service-svc-config-" + v4[:12]
	show := func(p string) string {
		out, err := gitOut(repo, "show", branch+":"+p)
		if err != nil {
			t.Fatalf("%s on %s: %v (the answer: %s)", p, branch, err, e.msgr.Last().Text())
		}
		return out
	}
	if got, want := show(svcDir+"settings.yaml"), "service: orders-service\nreplicas: 2\nport: 8080\nlogLevel: info\ntimeout: 30s\nimage: app:2\n"; got != want {
		t.Errorf("settings.yaml (moved as generated):\n%s\nwant\n%s", got, want)
	}
	if got, want := show(svcDir+"docs/notes.md"), "# orders-service, the team's notes\n\nOwner: payments\nTier: premium\nContact: ops@example.com\n"; got != want {
		t.Errorf("docs/notes.md (a recorded rename):\n%s\nwant\n%s", got, want)
	}
	for _, gone := range []string{"config.yaml", "notes.md"} {
		if _, err := gitOut(repo, "show", branch+":"+svcDir+gone); err == nil {
			t.Errorf("%s came back at its generated path", gone)
		}
	}
	up, err := parseLineage(lineagePath, []byte(show(lineagePath)))
	if err != nil {
		t.Fatal(err)
	}
	if up.Inputs["contact"] != "ops@example.com" || up.Outputs[0].Renamed[svcDir+"config.yaml"] != svcDir+"settings.yaml" ||
		up.Outputs[0].Renamed[svcDir+"notes.md"] != svcDir+"docs/notes.md" {
		t.Fatalf("upgraded lineage %+v", up)
	}
}
