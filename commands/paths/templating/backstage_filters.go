package templating

// Backstage's own filters (scaffolder-backend createDefaultFilters):
// parseRepoUrl, projectSlug, parseEntityRef and pick.

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// filterParseRepoURL follows parseRepoUrl in Backstage's scaffolder-node
// (actions/util.ts): the URL is read as https://<repoUrl>, the host must be a
// configured integration, and the query's owner, organization, workspace,
// project and repo (trimmed of /) are returned.
func (e *Engine) filterParseRepoURL(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	spec, err := e.parseRepoURL(printed(plain(in)))
	if err != nil {
		return exec.AsValue(err)
	}
	return exec.AsValue(spec)
}

func (e *Engine) parseRepoURL(repoURL string) (map[string]any, error) {
	u, err := url.Parse("https://" + repoURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("parseRepoUrl: invalid repo URL %q", repoURL)
	}
	host := u.Host
	typ, ok := e.opts.RepoHosts[host]
	if !ok {
		return nil, fmt.Errorf("parseRepoUrl: no integration is configured for host %s", host)
	}
	q := u.Query()
	spec := map[string]any{"host": host}
	for _, p := range []string{"owner", "organization", "workspace", "project", "repo"} {
		if q.Has(p) {
			spec[p] = strings.Trim(q.Get(p), "/")
		}
	}
	var required []string
	switch typ {
	case "bitbucket":
		if host == "www.bitbucket.org" {
			required = append(required, "workspace")
		}
		required = append(required, "project", "repo")
	case "azure":
		required = []string{"project", "repo"}
	case "gitlab":
		if s, _ := spec["project"].(string); s == "" {
			required = []string{"owner", "repo"}
		}
	case "gitea", "gerrit":
		required = []string{"repo"}
	default:
		required = []string{"repo", "owner"}
	}
	for _, p := range required {
		if q.Get(p) == "" {
			return nil, fmt.Errorf("parseRepoUrl: invalid repo URL %q, missing %s", repoURL, p)
		}
	}
	return spec, nil
}

// filterProjectSlug is Backstage's projectSlug: `${owner}/${repo}` of
// parseRepoUrl.
func (e *Engine) filterProjectSlug(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	spec, err := e.parseRepoURL(printed(plain(in)))
	if err != nil {
		return exec.AsValue(fmt.Errorf("projectSlug: %w", err))
	}
	return exec.AsValue(jsString(spec["owner"], "undefined") + "/" + jsString(spec["repo"], "undefined"))
}

// filterParseEntityRef follows parseEntityRef of Backstage's catalog-model
// (entity/ref.ts): [<kind>:][<namespace>/]<name>, with defaultKind and
// defaultNamespace (default "default") from the optional context.
func filterParseEntityRef(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	var defaultKind, defaultNamespace string
	if len(params.Args) > 0 {
		if c, ok := plain(params.Args[0]).(map[string]any); ok {
			defaultKind, _ = c["defaultKind"].(string)
			defaultNamespace, _ = c["defaultNamespace"].(string)
		}
	}
	if defaultNamespace == "" {
		defaultNamespace = "default"
	}
	ref := plain(in)
	if !truthy(ref) {
		return errValue("parseEntityRef: entity reference must not be empty")
	}
	var kind, namespace, name string
	switch t := ref.(type) {
	case string:
		colon := strings.Index(t, ":")
		slash := strings.Index(t, "/")
		if slash != -1 && slash < colon {
			colon = -1
		}
		kindSet, nsSet := colon != -1, slash != -1
		if kindSet {
			kind = t[:colon]
		}
		if nsSet {
			namespace = t[colon+1 : slash]
		}
		name = t[max(colon+1, slash+1):]
		if (kindSet && kind == "") || (nsSet && namespace == "") || name == "" {
			return errValue("parseEntityRef: entity reference %q was not on the form [<kind>:][<namespace>/]<name>", t)
		}
		if !kindSet {
			kind = defaultKind
		}
		if !nsSet {
			namespace = defaultNamespace
		}
	case map[string]any:
		if k, ok := t["kind"]; ok && k != nil {
			kind = jsString(k, "")
		} else {
			kind = defaultKind
		}
		if n, ok := t["namespace"]; ok && n != nil {
			namespace = jsString(n, "")
		} else {
			namespace = defaultNamespace
		}
		name = jsString(t["name"], "")
	default:
		return errValue("parseEntityRef: entity reference must be a string or an object")
	}
	textual, _ := jsonStringify(ref, "")
	switch {
	case kind == "":
		return errValue(`parseEntityRef: entity reference %s had missing or empty kind (e.g. did not start with "component:" or similar)`, textual)
	case namespace == "":
		return errValue("parseEntityRef: entity reference %s had missing or empty namespace", textual)
	case name == "":
		return errValue("parseEntityRef: entity reference %s had missing or empty name", textual)
	}
	return exec.AsValue(map[string]any{"kind": kind, "namespace": namespace, "name": name})
}

// lodashPath splits a lodash property path: a.b[0]["c.d"].
var lodashPath = regexp.MustCompile(`[^.\[\]]+|\[(?:([^"'\[\]][^\[\]]*)|(["'])((?:\\.|[^\\])*?)["'])\]`)

// filterPick is Backstage's pick: lodash get(obj, key).
func filterPick(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if len(params.Args) < 1 {
		return errValue("pick: expects a key")
	}
	obj := plain(in)
	key := jsString(plain(params.Args[0]), "undefined")
	if m, ok := obj.(map[string]any); ok {
		if v, ok := m[key]; ok {
			return exec.AsValue(v)
		}
	}
	cur := obj
	for _, part := range lodashPath.FindAllStringSubmatch(key, -1) {
		seg := part[0]
		switch {
		case part[1] != "":
			seg = part[1]
		case part[2] != "":
			seg = strings.ReplaceAll(part[3], `\`+part[2], part[2])
		}
		if cur == nil {
			return exec.AsValue(nil)
		}
		cur = member(cur, seg)
	}
	return exec.AsValue(cur)
}
