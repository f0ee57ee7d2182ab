package golden

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/paths/actions"
	tmpl "github.com/platbot/platbot/commands/paths/template"
)

// ActionAPIEndpoint adds an endpoint to a service: the operation in its
// OpenAPI 3.1 document, a handler, the gateway's rate-limit and auth
// policies and a section of its API docs (examples/templates/new-api-endpoint).
const ActionAPIEndpoint = "platbot:api-endpoint"

// Defaults of platbot:api-endpoint's optional inputs.
const (
	DefaultOpenAPIPath = "openapi.yaml"
	APIDocsPath        = "docs/api.md"
	// GatewayEnvoy is the gateway format the action writes: Envoy Gateway's
	// BackendTrafficPolicy and SecurityPolicy on a Gateway API HTTPRoute.
	GatewayEnvoy = "envoy-gateway"
)

func init() { registry = append(registry, newAPIEndpointActions) }

func newAPIEndpointActions(d actions.Deps) map[string]actions.Action {
	return map[string]actions.Action{ActionAPIEndpoint: apiEndpoint{d: d}}
}

// RepoFileReader reads a file of a repository's default branch; a file
// that is not there is an error wrapping fs.ErrNotExist. The action reads
// a service's repository through Deps.RepoFiles, else Deps.Repos when it
// implements this (integrations/gitops.Repositories does, for GitHub and
// for local git repositories), else the GitHub reader (Deps.GitHub).
type RepoFileReader interface {
	ReadFile(ctx context.Context, owner, repo, path string) ([]byte, error)
}

// apiMethods are the methods an endpoint may have.
var apiMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// apiPathRe is an endpoint path: segments of letters, digits, '-', '_',
// '.', or one {parameter}.
var apiPathRe = regexp.MustCompile(`^(/([A-Za-z0-9._-]+|\{[A-Za-z_][A-Za-z0-9_]*\}))+$`)

var pathParamRe = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// apiEndpoint is platbot:api-endpoint. Input: component (one of the
// requester's teams' Components with a github.com/project-slug
// annotation), method, path, summary, auth (none, jwt or api-key),
// rateLimit (requests per minute), language (only go), gateway (only
// envoy-gateway), jwksUri (for jwt), spec (the OpenAPI document's path,
// default openapi.yaml), namespace, gatewayName, gatewayNamespace, port.
// It writes the changed OpenAPI document, the handler, the gateway
// policies and the API docs page (docs/api in the service) to the run's files. Outputs: repoUrl, repo,
// operationId, route, files.
type apiEndpoint struct{ d actions.Deps }

func (apiEndpoint) Check(_ *tmpl.Template, s tmpl.StepSpec) []string {
	var probs []string
	for _, k := range []string{"component", "method", "path", "summary"} {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	if g, ok := s.Input["gateway"].(string); ok && !strings.Contains(g, "${{") && g != GatewayEnvoy {
		probs = append(probs, fmt.Sprintf("input.gateway %q is not a gateway format platbot writes (known: %s)", g, GatewayEnvoy))
	}
	return probs
}

func (a apiEndpoint) Plan(ctx context.Context, sc *actions.StepContext) (actions.Plan, error) {
	p, err := a.prepare(ctx, sc, false)
	if err != nil {
		return actions.Plan{}, err
	}
	p.write(sc)
	return actions.Plan{
		Effects: []string{fmt.Sprintf("add %s %s to %s's %s, a handler, the gateway's policies and %s (%d requests a minute, auth %s)",
			p.method, p.path, p.slug, p.specPath, APIDocsPath, p.rate, p.auth)},
		Output: p.output(),
	}, nil
}

func (a apiEndpoint) Run(ctx context.Context, sc *actions.StepContext) (map[string]any, error) {
	p, err := a.prepare(ctx, sc, true)
	if err != nil {
		return nil, err
	}
	p.write(sc)
	return p.output(), nil
}

type endpointPlan struct {
	slug, repoURL                   string
	method, path, auth, operationID string
	rate                            int64
	route                           string
	specPath                        string
	files                           map[string]string
}

func (p *endpointPlan) write(sc *actions.StepContext) {
	for k, v := range p.files {
		sc.Files[k] = v
	}
}

func (p *endpointPlan) output() map[string]any {
	names := make([]any, 0, len(p.files))
	for _, k := range fileNames(p.files) {
		names = append(names, k)
	}
	return map[string]any{"repoUrl": p.repoURL, "repo": p.slug, "operationId": p.operationID, "route": p.route, "files": names}
}

// fileNames are m's keys in order.
func fileNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// prepare plans the endpoint; with hold set (the real run) the run also
// holds it (holds.go), so that no other run adds the same method and path
// to the service while this one's pull request is not merged.
func (a apiEndpoint) prepare(ctx context.Context, sc *actions.StepContext, hold bool) (*endpointPlan, error) {
	ref := inputText(sc, "component")
	if ref == "" {
		return nil, fieldError(sc, "component", "no service is given")
	}
	comp, err := ciWorkflow(a).component(sc, ref)
	if err != nil {
		return nil, err
	}
	slug, owner, repo, err := repoSlug(sc, "component", comp)
	if err != nil {
		return nil, err
	}
	p := &endpointPlan{slug: slug, files: map[string]string{}}
	p.method = strings.ToUpper(inputText(sc, "method"))
	if !contains(apiMethods, p.method) {
		return nil, fieldError(sc, "method", fmt.Sprintf("%q is not one of %s", p.method, strings.Join(apiMethods, ", ")))
	}
	p.path = inputText(sc, "path")
	if !apiPathRe.MatchString(p.path) || strings.Contains(p.path, "/./") || strings.Contains(p.path, "/../") || strings.HasSuffix(p.path, "/..") {
		return nil, fieldError(sc, "path", fmt.Sprintf("%q is not an endpoint path: it starts with / and has segments of letters, digits, - _ . or one {parameter}, like /orders/{orderId}", p.path))
	}
	seen := map[string]bool{}
	for _, m := range pathParamRe.FindAllStringSubmatch(p.path, -1) {
		if seen[m[1]] {
			return nil, fieldError(sc, "path", fmt.Sprintf("the parameter {%s} appears twice in %s", m[1], p.path))
		}
		seen[m[1]] = true
	}
	summary := inputText(sc, "summary")
	if summary == "" || strings.ContainsAny(summary, "\r\n") || len(summary) > 120 {
		return nil, fieldError(sc, "summary", "a summary is one line of at most 120 characters")
	}
	p.auth = inputText(sc, "auth")
	if p.auth == "" {
		p.auth = "none"
	}
	if !contains([]string{"none", "jwt", "api-key"}, p.auth) {
		return nil, fieldError(sc, "auth", fmt.Sprintf("%q is not none, jwt or api-key", p.auth))
	}
	jwks := inputText(sc, "jwksUri")
	if p.auth == "jwt" {
		if u, err := url.Parse(jwks); err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fieldError(sc, "jwksUri", fmt.Sprintf("JWT auth needs the issuer's JWKS address (https://…), not %q", jwks))
		}
	}
	if p.rate, err = inputInt(sc, "rateLimit", 600, 1, 1_000_000); err != nil {
		return nil, err
	}
	if lang := inputText(sc, "language"); lang != "" && lang != "go" {
		return nil, fieldError(sc, "language", fmt.Sprintf("platbot writes handlers in Go (net/http) only, not %q: add the handler by hand, or pick a Go service", lang))
	}
	if g := inputText(sc, "gateway"); g != "" && g != GatewayEnvoy {
		return nil, fieldError(sc, "gateway", fmt.Sprintf("%q is not a gateway format platbot writes (known: %s)", g, GatewayEnvoy))
	}
	p.specPath = inputText(sc, "spec")
	if p.specPath == "" {
		p.specPath = DefaultOpenAPIPath
	}

	read := a.reader(owner, repo)
	if read == nil {
		return nil, &actions.StepError{Msg: fmt.Sprintf("platbot cannot read %s's repository (no GitHub reader is configured)", slug)}
	}
	raw, err := read(ctx, p.specPath)
	if errors.Is(err, fs.ErrNotExist) {
		if err := missingRepository(ctx, a.d, sc, "component", comp, owner, repo); err != nil {
			return nil, err
		}
		return nil, fieldError(sc, "component", fmt.Sprintf("%s has no OpenAPI document at %s", slug, p.specPath))
	}
	if err != nil {
		return nil, &actions.StepError{Msg: "could not read " + p.specPath + " of " + slug, Err: err}
	}
	doc, err := LoadOpenAPI31(ctx, raw)
	if err != nil {
		return nil, fieldError(sc, "component", fmt.Sprintf("%s's %s: %v", slug, p.specPath, err))
	}
	p.operationID = OperationID(p.method, p.path)
	if err := AddOperation(ctx, doc, p.method, p.path, summary, p.operationID, p.auth); err != nil {
		return nil, fieldError(sc, "path", err.Error())
	}
	// Path parameters' names do not make two endpoints different
	// (/orders/{id} is /orders/{orderId}).
	key := p.method + " " + pathParamRe.ReplaceAllString(p.path, "{}")
	err = holdKey(ctx, a.d.Records, "endpoints:"+comp.Ref(), sc.Run.ID, key, p.method+" "+p.path+" to "+comp.Metadata.Name, hold, time.Now())
	var held *heldBy
	switch {
	case errors.As(err, &held):
		return nil, fieldError(sc, "path", fmt.Sprintf("%s %s is already being added to %s by %s: pick another path, or wait for that pull request", p.method, p.path, comp.Metadata.Name, heldText(ctx, a.d.Records, held.hold)))
	case err != nil:
		return nil, &actions.StepError{Msg: "could not check the endpoints other runs add to " + comp.Metadata.Name, Hint: "Press Retry", Err: err}
	}
	spec, err := WriteOperation(raw, doc, p.method, p.path)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", p.specPath, err)
	}
	if _, err := LoadOpenAPI31(ctx, spec); err != nil {
		return nil, fmt.Errorf("write %s: %w", p.specPath, err)
	}
	p.files[p.specPath] = string(spec)

	handler, err := GoHandler(p.operationID, p.method, p.path, summary)
	if err != nil {
		return nil, err
	}
	p.files["internal/handlers/"+strings.ReplaceAll(kebab(p.operationID), "-", "_")+".go"] = string(handler)

	svc := comp.Metadata.Name
	ns := inputText(sc, "namespace")
	if ns == "" {
		ns = comp.Annotation("backstage.io/kubernetes-namespace")
	}
	if ns == "" {
		ns = svc
	}
	port, err := inputInt(sc, "port", 8080, 1, 65535)
	if err != nil {
		return nil, err
	}
	gw := GatewayRef{Name: inputText(sc, "gatewayName"), Namespace: inputText(sc, "gatewayNamespace")}
	if gw.Name == "" {
		gw.Name = "platform-gateway"
	}
	objs := EndpointGatewayObjects(EndpointGateway{
		Service: svc, Namespace: ns, Port: port, Method: p.method, Path: p.path,
		OperationID: p.operationID, Auth: p.auth, JWKSURI: jwks, PerMinute: p.rate, Gateway: gw,
	})
	p.route = objs[0].GetName()
	var b bytes.Buffer
	for i, o := range objs {
		y, err := sigsyaml.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("marshal %s: %w", o.GetKind(), err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	p.files["deploy/gateway/"+p.route+".yaml"] = b.String()

	docs, err := read(ctx, APIDocsPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, &actions.StepError{Msg: "could not read " + APIDocsPath + " of " + slug, Err: err}
	}
	p.files[APIDocsPath] = AppendAPIDoc(string(docs), svc, p.method, p.path, summary, p.operationID, p.auth, p.rate)

	host := a.d.GitHubHost
	if host == "" {
		host = "github.com"
	}
	p.repoURL = host + "?" + url.Values{"owner": {owner}, "repo": {repo}}.Encode()
	return p, nil
}

// reader reads files of owner/repo's default branch, or nil.
func (a apiEndpoint) reader(owner, repo string) func(context.Context, string) ([]byte, error) {
	if a.d.RepoFiles != nil {
		return func(ctx context.Context, p string) ([]byte, error) {
			return a.d.RepoFiles.ReadFile(ctx, owner, repo, p)
		}
	}
	if r, ok := a.d.Repos.(RepoFileReader); ok {
		return func(ctx context.Context, p string) ([]byte, error) { return r.ReadFile(ctx, owner, repo, p) }
	}
	if a.d.GitHub != nil {
		return func(ctx context.Context, p string) ([]byte, error) {
			return a.d.GitHub.GetFile(ctx, owner, repo, p, "")
		}
	}
	return nil
}

// LoadOpenAPI31 parses and validates an OpenAPI 3.1 document with
// kin-openapi (references inside the document only).
func LoadOpenAPI31(ctx context.Context, raw []byte) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	l.Context = ctx
	doc, err := l.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("not an OpenAPI document: %w", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		return nil, fmt.Errorf("is OpenAPI %q, not 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("is not valid OpenAPI: %w", err)
	}
	return doc, nil
}

// AddOperation adds method path to the document and validates the
// result. A path that already has the method — also under other
// parameter names, /orders/{id} for /orders/{orderId} — or an
// operationId already used is an error.
func AddOperation(ctx context.Context, doc *openapi3.T, method, path, summary, operationID, auth string) error {
	if doc.Paths == nil {
		doc.Paths = openapi3.NewPaths()
	}
	item := doc.Paths.Value(path)
	if found := doc.Paths.Find(path); found != nil && item == nil {
		for key, it := range doc.Paths.Map() {
			if it == found {
				if found.GetOperation(method) != nil {
					return fmt.Errorf("%s %s is already in the OpenAPI document (as %s %s)", method, path, method, key)
				}
				return fmt.Errorf("the OpenAPI document has this path as %s: use its parameter names", key)
			}
		}
	}
	if item == nil {
		item = &openapi3.PathItem{}
		doc.Paths.Set(path, item)
	} else if item.GetOperation(method) != nil {
		return fmt.Errorf("%s %s is already in the OpenAPI document", method, path)
	}
	for p, it := range doc.Paths.Map() {
		for m, op := range it.Operations() {
			if op.OperationID == operationID {
				return fmt.Errorf("the operationId %s is already used by %s %s", operationID, m, p)
			}
		}
	}
	op := openapi3.NewOperation()
	op.OperationID, op.Summary = operationID, summary
	for _, m := range pathParamRe.FindAllStringSubmatch(path, -1) {
		par := openapi3.NewPathParameter(m[1]).WithSchema(openapi3.NewStringSchema())
		op.AddParameter(par)
	}
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
			WithJSONSchema(openapi3.NewObjectSchema())}
	}
	op.AddResponse(http.StatusOK, openapi3.NewResponse().WithDescription("OK").WithJSONSchema(openapi3.NewObjectSchema()))
	op.AddResponse(http.StatusTooManyRequests, openapi3.NewResponse().WithDescription("Rate limit exceeded"))
	if auth != "none" {
		op.AddResponse(http.StatusUnauthorized, openapi3.NewResponse().WithDescription("Missing or invalid credentials"))
		name := map[string]string{"jwt": "bearerAuth", "api-key": "apiKey"}[auth]
		if doc.Components == nil {
			doc.Components = &openapi3.Components{}
		}
		if doc.Components.SecuritySchemes == nil {
			doc.Components.SecuritySchemes = openapi3.SecuritySchemes{}
		}
		if _, ok := doc.Components.SecuritySchemes[name]; !ok {
			s := openapi3.NewJWTSecurityScheme()
			if auth == "api-key" {
				s = &openapi3.SecurityScheme{Type: "apiKey", In: "header", Name: "X-API-Key"}
			}
			doc.Components.SecuritySchemes[name] = &openapi3.SecuritySchemeRef{Value: s}
		}
		op.Security = openapi3.NewSecurityRequirements().With(openapi3.NewSecurityRequirement().Authenticate(name))
	}
	item.SetOperation(method, op)
	if err := doc.Validate(ctx); err != nil {
		return fmt.Errorf("the document with %s %s is not valid OpenAPI: %w", method, path, err)
	}
	return nil
}

// WriteOperation is the original document (raw) with the operation that
// AddOperation added to doc at method path, and the security schemes doc
// has that raw lacks. A YAML document keeps its order, style and comments
// (the new parts are appended where they belong); a JSON one is written
// anew from doc.
func WriteOperation(raw []byte, doc *openapi3.T, method, path string) ([]byte, error) {
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return nil, err
		}
		return append(b, '\n'), nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, err
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the document is not a YAML mapping")
	}
	top := root.Content[0]
	item := mappingAt(mappingAt(top, "paths"), path)
	op, err := nodeOf(doc.Paths.Value(path).GetOperation(method))
	if err != nil {
		return nil, err
	}
	item.Content = append(item.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.ToLower(method)}, op)
	if doc.Components != nil && len(doc.Components.SecuritySchemes) > 0 {
		schemes := mappingAt(mappingAt(top, "components"), "securitySchemes")
		for _, name := range sortedSchemeNames(doc.Components.SecuritySchemes) {
			if valueAt(schemes, name) != nil {
				continue
			}
			n, err := nodeOf(doc.Components.SecuritySchemes[name].Value)
			if err != nil {
				return nil, err
			}
			schemes.Content = append(schemes.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, n)
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// valueAt is the value of key in mapping m, or nil.
func valueAt(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// mappingAt is the mapping at key in m, added at the end when missing
// (an empty flow mapping, like paths: {}, becomes a block one).
func mappingAt(m *yaml.Node, key string) *yaml.Node {
	if v := valueAt(m, key); v != nil {
		if v.Kind != yaml.MappingNode || v.Tag == "!!null" {
			*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		v.Style &^= yaml.FlowStyle
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return v
}

// nodeOf is v (a kin-openapi value) as a YAML node, through its JSON form.
func nodeOf(v any) (*yaml.Node, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	y, err := sigsyaml.JSONToYAML(j)
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(y, &n); err != nil {
		return nil, err
	}
	return n.Content[0], nil
}

func sortedSchemeNames(s openapi3.SecuritySchemes) []string {
	m := make(map[string]string, len(s))
	for k := range s {
		m[k] = k
	}
	return fileNames(m)
}

// OperationID is the operation's name: the method and the path's
// segments in lower camel case, parameters as "By<Name>" (GET
// /orders/{orderId}/items → getOrdersByOrderIdItems).
func OperationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if m := pathParamRe.FindStringSubmatch(seg); m != nil {
			b.WriteString("By")
			seg = m[1]
		}
		for _, w := range regexp.MustCompile(`[^A-Za-z0-9]+`).Split(seg, -1) {
			if w != "" {
				b.WriteString(strings.ToUpper(w[:1]) + w[1:])
			}
		}
	}
	return b.String()
}

var handlerTmpl = template.Must(template.New("h").Parse(`// Package handlers holds the service's HTTP handlers.
package handlers

import "net/http"

// {{.Name}} serves {{.Method}} {{.Path}}: {{.Summary}}
// (operationId {{.OperationID}} in the OpenAPI document). The gateway
// applies the endpoint's rate limit and authentication before it is called.
// As generated it answers 501 Not Implemented: its behaviour is the team's
// to write here.
func {{.Name}}(w http.ResponseWriter, r *http.Request) {
{{- range .Params}}
	_ = r.PathValue({{printf "%q" .}})
{{- end}}
	http.Error(w, http.StatusText(http.StatusNotImplemented), http.StatusNotImplemented)
}

// Register{{.Name}} routes {{.Method}} {{.Path}} on mux.
func Register{{.Name}}(mux *http.ServeMux) {
	mux.HandleFunc({{printf "%q" .Pattern}}, {{.Name}})
}
`))

// GoHandler is the Go net/http handler file for the operation: a handler
// that answers 501 until the team implements it, and its registration on
// a ServeMux (Go 1.22 method and wildcard patterns).
func GoHandler(operationID, method, path, summary string) ([]byte, error) {
	var params []string
	for _, m := range pathParamRe.FindAllStringSubmatch(path, -1) {
		params = append(params, m[1])
	}
	name := strings.ToUpper(operationID[:1]) + operationID[1:]
	var b bytes.Buffer
	if err := handlerTmpl.Execute(&b, map[string]any{
		"Name": name, "Method": method, "Path": path, "Summary": strings.ReplaceAll(summary, "*/", "* /"),
		"OperationID": operationID, "Params": params, "Pattern": method + " " + path,
	}); err != nil {
		return nil, fmt.Errorf("handler: %w", err)
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("handler: %w", err)
	}
	return src, nil
}

// GatewayRef is the Gateway the service's routes attach to.
type GatewayRef struct{ Name, Namespace string }

// EndpointGateway is what the gateway needs for one endpoint.
type EndpointGateway struct {
	Service, Namespace string
	Port               int64
	Method, Path       string
	OperationID, Auth  string
	JWKSURI            string
	PerMinute          int64
	Gateway            GatewayRef
}

// EndpointGatewayObjects are the endpoint's Gateway API HTTPRoute (the
// method and path to the service) and the Envoy Gateway policies that
// target it: a BackendTrafficPolicy with a local rate limit of PerMinute
// requests a minute, and, unless Auth is none, a SecurityPolicy (JWT from
// JWKSURI, or API keys from the Secret <service>-api-keys in the header
// X-API-Key).
func EndpointGatewayObjects(e EndpointGateway) []*unstructured.Unstructured {
	name := dnsLabel(e.Service + "-" + kebab(e.OperationID))
	labels := map[string]any{"app.kubernetes.io/name": e.Service, "app.kubernetes.io/managed-by": "platbot"}
	meta := func() map[string]any {
		return map[string]any{"name": name, "namespace": e.Namespace, "labels": labels}
	}
	pathMatch := map[string]any{"type": "Exact", "value": e.Path}
	if pathParamRe.MatchString(e.Path) {
		// Each {parameter} (its braces escaped by QuoteMeta) is one segment.
		re := regexp.MustCompile(`\\\{[A-Za-z_][A-Za-z0-9_]*\\\}`).ReplaceAllString(regexp.QuoteMeta(e.Path), "[^/]+")
		re = "^" + re + "$"
		pathMatch = map[string]any{"type": "RegularExpression", "value": re}
	}
	parent := map[string]any{"name": e.Gateway.Name}
	if e.Gateway.Namespace != "" {
		parent["namespace"] = e.Gateway.Namespace
	}
	route := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta(),
		"spec": map[string]any{
			"parentRefs": []any{parent},
			"rules": []any{map[string]any{
				"matches":     []any{map[string]any{"path": pathMatch, "method": e.Method}},
				"backendRefs": []any{map[string]any{"name": e.Service, "port": e.Port}},
			}},
		},
	}}
	target := []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": name}}
	btp := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy", "metadata": meta(),
		"spec": map[string]any{
			"targetRefs": target,
			"rateLimit": map[string]any{"local": map[string]any{"rules": []any{
				map[string]any{"limit": map[string]any{"requests": e.PerMinute, "unit": "Minute"}},
			}}},
		},
	}}
	out := []*unstructured.Unstructured{route, btp}
	var sec map[string]any
	switch e.Auth {
	case "jwt":
		sec = map[string]any{"jwt": map[string]any{"providers": []any{map[string]any{
			"name": "platform", "remoteJWKS": map[string]any{"uri": e.JWKSURI},
		}}}}
	case "api-key":
		sec = map[string]any{"apiKeyAuth": map[string]any{
			"credentialRefs": []any{map[string]any{"kind": "Secret", "name": e.Service + "-api-keys"}},
			"extractFrom":    []any{map[string]any{"headers": []any{"X-API-Key"}}},
		}}
	}
	if sec != nil {
		sec["targetRefs"] = target
		out = append(out, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "SecurityPolicy", "metadata": meta(), "spec": sec,
		}})
	}
	return out
}

// kebab splits a lower camel case name into lower-case words joined by
// '-' (getOrdersByOrderId → get-orders-by-order-id).
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// dnsLabel makes s a Kubernetes name: lower case, '-' for other
// characters, at most 63 characters.
func dnsLabel(s string) string {
	s = strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}

// AppendAPIDoc is the service's API docs with a section for the endpoint
// appended (a new document when existing is empty).
func AppendAPIDoc(existing, service, method, path, summary, operationID, auth string, perMinute int64) string {
	var b strings.Builder
	if strings.TrimSpace(existing) == "" {
		fmt.Fprintf(&b, "# %s API\n\nThe OpenAPI document is the reference; this page lists the endpoints.\n", service)
	} else {
		b.WriteString(strings.TrimRight(existing, "\n") + "\n")
	}
	authText := map[string]string{
		"none":    "none",
		"jwt":     "a JWT bearer token (`Authorization: Bearer …`), checked by the gateway",
		"api-key": "an API key in the `X-API-Key` header, checked by the gateway",
	}[auth]
	fmt.Fprintf(&b, "\n## `%s %s`\n\n%s\n\n- Operation: `%s`\n- Authentication: %s\n- Rate limit: %d requests a minute (then 429)\n",
		method, path, summary, operationID, authText, perMinute)
	return b.String()
}
