package golden

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
)

// ActionServiceRepo writes the files of a new service's repository that
// come from the catalog rather than from the language skeleton
// (examples/templates/new-service): its catalog entry, CODEOWNERS and the
// platform's CI workflow.
const ActionServiceRepo = "platbot:service-repo"

// AnnotationGitHubTeam names a group's GitHub team (its slug, or
// org/slug), as Backstage's GitHub integration reads it.
const AnnotationGitHubTeam = "github.com/team-slug"

// AnnotationArgoCDSelector is the Argo CD plugin's annotation that finds
// a component's Applications by label.
const AnnotationArgoCDSelector = "argocd/app-selector"

func init() { registry = append(registry, newServiceRepoActions) }

func newServiceRepoActions(d actions.Deps) map[string]actions.Action {
	return map[string]actions.Action{ActionServiceRepo: serviceRepo{d: d}}
}

// serviceRepo is platbot:service-repo. Input: name, owner (group ref),
// system (System ref, optional), description, language (go, node or
// python), environments (names of ServiceEnvironments), repoUrl
// (github.com?owner=o&repo=r) and targetPath (the run's folder the
// repository's files go in, like publish:github's sourcePath). It adds
// catalog-info.yaml (a Component with its owner, system, lifecycle
// experimental, the repository, cost-tag, PagerDuty and Argo CD
// annotations and the deployment intent of its environments), CODEOWNERS
// (the owner's GitHub team) and .github/workflows/ci.yml (StandardWorkflow,
// checked by actionlint). Outputs: entityRef, codeOwner.
type serviceRepo struct{ d actions.Deps }

func (serviceRepo) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	for _, k := range []string{"name", "owner", "language", "environments", "repoUrl", "targetPath"} {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	return probs
}

// Plan also refuses a repository that exists already (on GitHub, or in
// local git), as a field error on repoUrl: publish:github would fail on it
// only after the run started. Run leaves that to publish:github, which
// knows the repository this run created itself.
func (a serviceRepo) Plan(ctx context.Context, sc *actions.StepContext) (actions.Plan, error) {
	out, files, err := a.build(sc)
	if err != nil {
		return actions.Plan{}, err
	}
	if r := repoChecker(a.d); r != nil {
		org, repo, _ := repoOwnerName(inputText(sc, "repoUrl"))
		exists, err := r.Exists(ctx, org, repo)
		if err != nil {
			return actions.Plan{}, &actions.StepError{Msg: "could not tell whether " + org + "/" + repo + " exists", Err: err}
		}
		if exists {
			return actions.Plan{}, fieldError(sc, "repoUrl", fmt.Sprintf("the repository %s/%s already exists %s: a new service gets a new repository, so pick another name", org, repo, whereRepos(r)))
		}
	}
	var effects []string
	for _, f := range []string{"catalog-info.yaml", "CODEOWNERS", CIWorkflowPath} {
		effects = append(effects, "add "+f+" to the new repository")
	}
	a.write(sc, files)
	return actions.Plan{Effects: effects, Output: out}, nil
}

func (a serviceRepo) Run(_ context.Context, sc *actions.StepContext) (map[string]any, error) {
	out, files, err := a.build(sc)
	if err != nil {
		return nil, err
	}
	a.write(sc, files)
	return out, nil
}

func (serviceRepo) write(sc *actions.StepContext, files map[string]string) {
	for p, c := range files {
		sc.Files[p] = c
	}
}

// build checks the input and builds the files, by their place in the
// run's files.
func (a serviceRepo) build(sc *actions.StepContext) (map[string]any, map[string]string, error) {
	name := inputText(sc, "name")
	if !serviceNameRe.MatchString(name) {
		return nil, nil, fieldError(sc, "name", fmt.Sprintf("%q is not a service name: lower-case letters, digits and '-', starting with a letter, at most 53", name))
	}
	owner := catalog.NormalizeRef(inputText(sc, "owner"), catalog.KindGroup, catalog.DefaultNamespace)
	_, _, team := catalog.ParseRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	lang := inputText(sc, "language")
	if _, ok := ciToolchains[lang]; !ok {
		return nil, nil, fieldError(sc, "language", fmt.Sprintf("%q is not a language of the skeletons (known: %s)", lang, strings.Join(CIToolchains(), ", ")))
	}
	org, repo, err := repoOwnerName(inputText(sc, "repoUrl"))
	if err != nil {
		return nil, nil, fieldError(sc, "repoUrl", err.Error())
	}
	var envs []map[string]string
	for _, e := range strs(sc.Input["environments"]) {
		env, ok := serviceEnvs[strings.TrimSpace(e)]
		if !ok {
			return nil, nil, fieldError(sc, "environments", fmt.Sprintf("%q is not an environment a new service can start in (known: %s)", e, strings.Join(ServiceEnvironments(), ", ")))
		}
		m := map[string]string{"name": env.Name, "tier": env.Tier}
		if env.Region != "" {
			m["region"] = env.Region
		}
		envs = append(envs, m)
	}
	target := strings.Trim(path.Clean("/"+inputText(sc, "targetPath")), "/")

	owners := a.codeOwner(owner, team, org)
	ent, err := serviceEntity(name, inputText(sc, "description"), owner, inputText(sc, "system"), org, repo, envs)
	if err != nil {
		return nil, nil, err
	}
	wf, err := StandardWorkflow(lang, "main", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("the CI workflow of %s: %w", name, err)
	}
	ci, err := MarshalWorkflow(wf)
	if err != nil {
		return nil, nil, err
	}
	if probs, err := LintWorkflow(ci); err != nil {
		return nil, nil, err
	} else if len(probs) > 0 {
		return nil, nil, fmt.Errorf("the CI workflow of %s fails actionlint: %s", name, strings.Join(probs, "; "))
	}
	files := map[string]string{
		path.Join(target, "catalog-info.yaml"): ent,
		path.Join(target, "CODEOWNERS"):        "# Reviews of every change: the owning team (" + owner + ").\n* " + owners + "\n",
		path.Join(target, CIWorkflowPath):      string(ci),
	}
	ref := catalog.KindComponent + ":" + catalog.DefaultNamespace + "/" + name
	return map[string]any{"entityRef": strings.ToLower(ref), "codeOwner": owners}, files, nil
}

// RepoExistence tells whether a repository exists and where repositories
// are (integrations/gitops.Repositories, and cmd/platbot's adapter over it,
// for GitHub and for local git repositories).
type RepoExistence interface {
	Exists(ctx context.Context, owner, name string) (bool, error)
	// Local is true when repositories are local git repositories.
	Local() bool
	// Describe names where repositories are ("GitHub").
	Describe() string
}

// repoChecker is what tells whether a service's repository exists: the
// reader of services' repositories, else the repository creator; nil when
// neither can.
func repoChecker(d actions.Deps) RepoExistence {
	if r, ok := d.RepoFiles.(RepoExistence); ok && r != nil {
		return r
	}
	if r, ok := d.Repos.(RepoExistence); ok && r != nil {
		return r
	}
	return nil
}

// whereRepos says where repositories are, after "is not" or "exists":
// "on GitHub", or "among the local git repositories under <folder> (no
// GitHub is configured)".
func whereRepos(r RepoExistence) string {
	if r.Local() {
		return "among the " + r.Describe()
	}
	return "on " + r.Describe()
}

// missingRepository is a field error on key when comp's repository
// owner/repo does not exist (nil when it does, or nothing can tell), so a
// path that changes a service's repository says the repository itself is
// missing rather than a file in it.
func missingRepository(ctx context.Context, d actions.Deps, sc *actions.StepContext, key string, comp *catalog.Entity, owner, repo string) error {
	r := repoChecker(d)
	if r == nil {
		return nil
	}
	exists, err := r.Exists(ctx, owner, repo)
	if err != nil {
		return &actions.StepError{Msg: "could not tell whether " + owner + "/" + repo + " exists", Err: err}
	}
	if exists {
		return nil
	}
	return fieldError(sc, key, fmt.Sprintf("%s's repository %s/%s is not %s: create it, or correct the %s annotation of %s",
		comp.Metadata.Name, owner, repo, whereRepos(r), catalog.AnnotationGitHubSlug, comp.Ref()))
}

// codeOwner is the owning team as CODEOWNERS names it: @org/slug from the
// group's github.com/team-slug annotation, else @org/<group name>.
func (a serviceRepo) codeOwner(owner, team, org string) string {
	slug := team
	if a.d.Catalog != nil {
		for _, g := range a.d.Catalog.List(catalog.KindGroup) {
			if g.Ref() == owner {
				if s := g.Annotation(AnnotationGitHubTeam); s != "" {
					slug = s
				}
			}
		}
	}
	if strings.Contains(slug, "/") {
		return "@" + strings.TrimPrefix(slug, "@")
	}
	return "@" + org + "/" + slug
}

// repoOwnerName reads RepoUrlPicker's github.com?owner=o&repo=r.
func repoOwnerName(s string) (owner, repo string, err error) {
	_, q, ok := strings.Cut(s, "?")
	if !ok {
		return "", "", fmt.Errorf("%q is not a repository address like github.com?owner=acme&repo=ledger-api", s)
	}
	v, err := url.ParseQuery(q)
	if err != nil || v.Get("owner") == "" || v.Get("repo") == "" {
		return "", "", fmt.Errorf("%q names no owner and repository (github.com?owner=acme&repo=ledger-api)", s)
	}
	return v.Get("owner"), v.Get("repo"), nil
}

// serviceEntity is the new Component's catalog-info.yaml. The PagerDuty
// annotation is left empty with a comment saying where its value comes
// from, so that nothing takes the service as paged before it is.
func serviceEntity(name, desc, owner, system, org, repo string, envs []map[string]string) (string, error) {
	ent := catalog.Entity{
		APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindComponent,
		Metadata: catalog.Metadata{
			Name: name, Description: desc,
			Annotations: map[string]string{
				catalog.AnnotationGitHubSlug: org + "/" + repo,
				catalog.AnnotationNamespace:  name,
				catalog.AnnotationCostTag:    "service=" + name,
				catalog.AnnotationPagerDuty:  "",
				AnnotationArgoCDSelector:     "app.kubernetes.io/name=" + name,
			},
			Links: []catalog.Link{{URL: "https://github.com/" + org + "/" + repo + "#runbook", Title: "Runbook", Type: "runbook"}},
		},
		Spec: map[string]any{
			"type": "service", "lifecycle": "experimental", "owner": owner,
			"deployment": map[string]any{"workload": name, "environments": envs},
		},
	}
	if system != "" {
		ent.Spec["system"] = catalog.NormalizeRef(system, catalog.KindSystem, catalog.DefaultNamespace)
	}
	var doc yaml.Node
	if err := doc.Encode(&ent); err != nil {
		return "", fmt.Errorf("encode the catalog entry of %s: %w", name, err)
	}
	if !commentKey(&doc, "The PagerDuty service's ID (PagerDuty → Services → the service → its URL's last part); empty until the team sets it.",
		"metadata", "annotations", catalog.AnnotationPagerDuty) {
		return "", fmt.Errorf("the catalog entry of %s has no PagerDuty annotation", name)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", fmt.Errorf("encode the catalog entry of %s: %w", name, err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("encode the catalog entry of %s: %w", name, err)
	}
	return b.String(), nil
}

// commentKey puts a comment above the key at keys in a mapping tree.
func commentKey(n *yaml.Node, comment string, keys ...string) bool {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for i, k := range keys {
		if n.Kind != yaml.MappingNode {
			return false
		}
		found := false
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == k {
				if i == len(keys)-1 {
					n.Content[j].HeadComment = comment
					return true
				}
				n, found = n.Content[j+1], true
				break
			}
		}
		if !found {
			return false
		}
	}
	return false
}
