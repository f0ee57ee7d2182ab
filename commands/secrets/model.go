package secrets

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// Change operations.
const (
	OpAdd        = "add"        // a new secret, through a one-time link
	OpRotate     = "rotate"     // a new version, through a one-time link
	OpRegenerate = "regenerate" // a new random value for a generated secret
)

// Change states.
const (
	StatePending = "pending" // link issued, not used yet
	StateSealing = "sealing" // a submission is being processed
	StateSealed  = "sealed"  // the value is stored
	StateFailed  = "failed"  // the link can no longer be used
)

// maxAttempts is how many undecryptable submissions a link survives.
const maxAttempts = 3

// nameRe is what a new secret may be called: an environment-variable name.
var nameRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// existingNameRe is what an existing secret may be called (a golden path's
// "db" too).
var existingNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Target is one secret's place: the service it belongs to, the environment
// and the name, and where that puts it.
type Target struct {
	// Service is the catalog entity's name, ServiceRef its ref.
	Service    string `json:"service"`
	ServiceRef string `json:"service_ref"`
	// Team is the owner group's name, Owner its ref.
	Team  string `json:"team"`
	Owner string `json:"owner"`
	Env   string `json:"env"`
	Name  string `json:"name"`
	// Path is <team>/<service>/<env>/<NAME>, relative to the KV mount.
	Path string `json:"path"`
}

// Secret is what platbot records about a secret: never its value.
type Secret struct {
	Target
	Description string `json:"description,omitempty"`
	Version     int    `json:"version"`
	// Generated secrets are rotated by generating a new value.
	Generated bool      `json:"generated,omitempty"`
	CreatedBy bot.User  `json:"created_by"`
	Created   time.Time `json:"created"`
	RotatedBy bot.User  `json:"rotated_by,omitempty"`
	Rotated   time.Time `json:"rotated,omitempty"`
	// LastChange is the id of the change that wrote the current version.
	LastChange string `json:"last_change,omitempty"`
	// PullRequest is the URL of the last change's pull request.
	PullRequest string `json:"pull_request,omitempty"`
	// DevOnly marks a secret kept in the development-only store.
	DevOnly bool `json:"development_only,omitempty"`
}

// Change is one requested change of a secret: a one-time link and what
// became of it, or a regeneration. It never holds the value or the token,
// only the token's hash.
type Change struct {
	ID          string   `json:"id"`
	Op          string   `json:"op"`
	Target      Target   `json:"target"`
	Description string   `json:"description,omitempty"`
	Requester   bot.User `json:"requester"`
	// Transport, Channel and Request say where the change was asked for.
	Transport string `json:"transport"`
	Channel   string `json:"channel,omitempty"`
	Request   string `json:"request,omitempty"`
	// TokenHash is the SHA-256 of the link's token together with what the
	// link was issued for (see tokenHash): the change, the request, the
	// requester, the operation, the secret's place, the version it replaces
	// and the expiry. Changing any of them in the record breaks the link.
	TokenHash string    `json:"token_hash,omitempty"`
	Expires   time.Time `json:"expires,omitempty"`
	// ExpectVersion is the version the write replaces (0 for a new secret).
	ExpectVersion int `json:"expect_version"`
	Attempts      int `json:"attempts,omitempty"`
	// Claimed is when the change entered StateSealing (a submission was
	// accepted, or a regeneration started); From is the client address of
	// the submission. Reconcile uses them for changes left in StateSealing.
	Claimed time.Time `json:"claimed,omitempty"`
	From    string    `json:"from,omitempty"`
	// SecretCreated is when the secret was first written (regenerations).
	SecretCreated time.Time `json:"secret_created,omitempty"`
	// Version is the version written; Done when.
	Version int       `json:"version,omitempty"`
	Done    time.Time `json:"done,omitempty"`
	Failure string    `json:"failure,omitempty"`
	DevOnly bool      `json:"development_only,omitempty"`
	// Recovered marks a change that Reconcile completed after an
	// interruption between the write and its bookkeeping.
	Recovered bool `json:"recovered,omitempty"`
	// Recorded is set once a sealed change's follow-ups are done: the
	// secret's record, the audit event and the publish job.
	Recorded bool `json:"recorded,omitempty"`
	// PullRequest is the GitOps pull request (once opened), Notes what it
	// could not do.
	PullRequest *PullRequestInfo `json:"pull_request,omitempty"`
	Notes       []string         `json:"notes,omitempty"`
	// Published is set once the pull request step is done.
	Published bool `json:"published,omitempty"`
	// PublishAttempts counts failed attempts at the pull request;
	// PublishFailure is set when platbot gave up on it.
	PublishAttempts int    `json:"publish_attempts,omitempty"`
	PublishFailure  string `json:"publish_failure,omitempty"`
}

// PullRequestInfo is a change's pull request.
type PullRequestInfo struct {
	Number int    `json:"number"`
	URL    string `json:"url"`
	Branch string `json:"branch"`
}

func decodeChange(r *store.Record) (*Change, error) {
	var c Change
	if err := json.Unmarshal(r.Data, &c); err != nil {
		return nil, fmt.Errorf("decode change %s: %w", r.ID, err)
	}
	return &c, nil
}

func decodeSecret(r *store.Record) (*Secret, error) {
	var s Secret
	if err := json.Unmarshal(r.Data, &s); err != nil {
		return nil, fmt.Errorf("decode secret %s: %w", r.ID, err)
	}
	return &s, nil
}

// ---- tokens ----

// A token is "<change id>.<secret>": the change id (96 random bits, hex)
// finds the record, the secret (256 random bits, base64url) proves the link
// is the one sent. The token is the capability: whoever holds it can set
// the one secret its change names, once, until it expires. Only a hash of
// it is stored, together with what it was issued for (see tokenHash).
var tokenRe = regexp.MustCompile(`^([0-9a-f]{24})\.([A-Za-z0-9_-]{43})$`)

func randomID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func newToken(id string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return id + "." + base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenBinding is what a link is issued for, fixed when it is issued.
type tokenBinding struct {
	Change        string `json:"change"`
	Request       string `json:"request"`
	Requester     string `json:"requester"`
	Op            string `json:"op"`
	Target        Target `json:"target"`
	ExpectVersion int    `json:"expect_version"`
	Expires       int64  `json:"expires"`
}

func (c *Change) binding() tokenBinding {
	return tokenBinding{
		Change: c.ID, Request: c.Request, Requester: c.Requester.ID, Op: c.Op, Target: c.Target,
		ExpectVersion: c.ExpectVersion, Expires: c.Expires.UnixNano(),
	}
}

// tokenHash is what the change records of its token: a hash of the token
// and of everything the link was issued for. A token therefore opens only
// the change whose id it carries, and only while that change still names
// the request, requester, secret and version it was issued for: the target
// is fixed at issue time, and the page has no say in it.
func tokenHash(c *Change, token string) string {
	b, _ := json.Marshal(c.binding()) // plain strings and numbers: cannot fail
	h := sha256.New()
	h.Write([]byte("platbot-seal-token:v2\x00"))
	h.Write(b)
	h.Write([]byte{0})
	h.Write([]byte(token))
	return hex.EncodeToString(h.Sum(nil))
}

// parseToken returns the change id of a well-formed token.
func parseToken(token string) (string, bool) {
	m := tokenRe.FindStringSubmatch(token)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// tokenMatches reports, in constant time, whether token is the one issued
// for the change as it is recorded.
func (c *Change) tokenMatches(token string) bool {
	if c.TokenHash == "" {
		return false
	}
	id, ok := parseToken(token)
	if !ok || id != c.ID {
		return false
	}
	want := tokenHash(c, token)
	return subtle.ConstantTimeCompare([]byte(want), []byte(c.TokenHash)) == 1
}

// ---- targets ----

// service finds the catalog entity a user named.
func (s *Secrets) service(ref string) (*catalog.Entity, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, bot.Errorf("Name a service, like `/plat secret list orders-service`.")
	}
	e, ok := s.cat.Get(ref)
	if !ok || e.Orphan {
		return nil, bot.Errorf("There is no service `%s` in the catalog. `/plat catalog search %s` finds similar names.", ref, ref)
	}
	switch e.Kind {
	case catalog.KindComponent, catalog.KindResource:
	default:
		return nil, bot.Errorf("`%s` is a %s; secrets belong to services (Components) and resources.", e.Ref(), e.Kind)
	}
	if e.Owner() == "" {
		return nil, bot.Errorf("`%s` has no owner in the catalog, so nobody may manage its secrets. Add spec.owner first.", e.Ref())
	}
	return e, nil
}

// target resolves and authorizes a secret's place for a request: the
// service must exist, the user may "scaffold" for its owner (the policy)
// and belongs directly to the owning team (or is an admin), the
// environment is configured and the name is well formed (strict for new
// secrets).
func (s *Secrets) target(ctx context.Context, req *bot.Request, serviceRef, env, name string, isNew bool) (Target, error) {
	e, err := s.service(serviceRef)
	if err != nil {
		return Target{}, err
	}
	if err := s.mayManage(ctx, req, e); err != nil {
		return Target{}, err
	}
	return s.targetOf(e, env, name, isNew)
}

// mayManage checks that the requester may add or rotate the secrets of e:
// the policy's "scaffold" on its owner, and membership of the owning team
// itself. Membership through a sub-team does not count: a parent group's
// services are not a sub-team's own (Identity.Groups holds every ancestor,
// Identity.DirectGroups only the teams a person is in). Admins may manage
// any service's secrets.
func (s *Secrets) mayManage(ctx context.Context, req *bot.Request, e *catalog.Entity) error {
	if err := s.router.Authorize(ctx, req, bot.ActionScaffold, catalog.ResourceOf(e)); err != nil {
		return err
	}
	id, err := s.cat.Identify(ctx, req.User)
	if err != nil {
		return fmt.Errorf("identify %s: %w", req.User.ID, err)
	}
	if ownsDirectly(id, e) {
		return nil
	}
	teams := make([]string, 0, len(id.DirectGroups))
	for _, g := range id.DirectGroups {
		_, _, n := catalog.ParseRef(g, catalog.KindGroup, catalog.DefaultNamespace)
		teams = append(teams, n)
	}
	yours := "you are in no team in the catalog"
	if len(teams) > 0 {
		yours = "your teams: " + strings.Join(teams, ", ")
	}
	return bot.Errorf("🚫 `%s` is owned by %s, which is not one of your own teams (%s). Only members of the owning team (or platform admins) manage its secrets; ask one of them.",
		e.Metadata.Name, e.Owner(), yours)
}

// ownsDirectly reports whether the identity is an admin or a direct member
// of e's owner.
func ownsDirectly(id *catalog.Identity, e *catalog.Entity) bool {
	if id.IsAdmin() {
		return true
	}
	owner := e.Owner()
	if owner == "" {
		return false
	}
	for _, g := range id.DirectGroups {
		if catalog.NormalizeRef(g, catalog.KindGroup, catalog.DefaultNamespace) == owner {
			return true
		}
	}
	return false
}

func (s *Secrets) targetOf(e *catalog.Entity, env, name string, isNew bool) (Target, error) {
	env = strings.TrimSpace(env)
	if !slices.Contains(s.cfg.Environments, env) {
		return Target{}, bot.Errorf("`%s` is not an environment here; choose one of %s.", bot.UserText(env), strings.Join(s.cfg.Environments, ", "))
	}
	name = strings.TrimSpace(name)
	if isNew && !nameRe.MatchString(name) {
		return Target{}, bot.Errorf("`%s` is not a valid secret name: %s", bot.UserText(name), nameHint)
	}
	if !isNew && !existingNameRe.MatchString(name) {
		return Target{}, bot.Errorf("`%s` is not a secret name.", bot.UserText(name))
	}
	_, _, team := catalog.ParseRef(e.Owner(), catalog.KindGroup, catalog.DefaultNamespace)
	t := Target{Service: e.Metadata.Name, ServiceRef: e.Ref(), Team: team, Owner: e.Owner(), Env: env, Name: name}
	t.Path = t.Team + "/" + t.Service + "/" + t.Env + "/" + t.Name
	return t, nil
}

const nameHint = "use an environment-variable name: an upper-case letter, then upper-case letters, digits or '_' (at most 64), like STRIPE_API_KEY"

// auditTarget is how a secret is named in the audit log.
func auditTarget(t Target) string { return "secret:" + t.Path }

// k8sName is the Kubernetes Secret (and ExternalSecret) name of a target:
// "<service>-<name>" as a DNS-1123 label (lower case; anything but letters
// and digits becomes '-'; at most 63 characters), so catalog names with
// '_', '.' or upper case still give a valid name. When sanitising changed
// more than case and '_' (which env-var names always need), or the name
// had to be shortened, a short hash of the original keeps it unique.
func k8sName(t Target) string {
	raw := t.Service + "-" + t.Name
	simple := strings.ToLower(strings.ReplaceAll(raw, "_", "-"))
	out := dnsLabel(raw)
	if out == simple && len(out) <= 63 {
		return out
	}
	sum := sha256.Sum256([]byte(raw))
	suffix := "-" + hex.EncodeToString(sum[:3])
	if len(out) > 63-len(suffix) {
		out = strings.TrimRight(out[:63-len(suffix)], "-")
	}
	return out + suffix
}

// dnsLabel turns s into a DNS-1123 label's characters: lower-case letters,
// digits and single '-' between them ("secret" when nothing is left). The
// caller bounds the length.
func dnsLabel(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "secret"
	}
	return b.String()
}

// namespaceOf is the service's Kubernetes namespace, as a valid DNS-1123
// label: the catalog entity's backstage.io/kubernetes-namespace annotation
// when it has one (that is where its Deployment runs), else
// Config.NamespacePattern.
func (s *Secrets) namespaceOf(t Target) string {
	return s.namespaceFor(t.ServiceRef, s.vars(t))
}

// namespaceFor is namespaceOf for the component ref with the pattern's
// variables vars.
func (s *Secrets) namespaceFor(ref string, vars map[string]string) string {
	ns := ""
	if s.cat != nil && ref != "" {
		if e, ok := s.cat.Get(ref); ok {
			ns = strings.TrimSpace(e.Annotation(catalog.AnnotationNamespace))
		}
	}
	if ns == "" {
		ns = expand(s.cfg.NamespacePattern, vars)
	}
	ns = dnsLabel(ns)
	if len(ns) > 63 {
		ns = strings.TrimRight(ns[:63], "-")
	}
	return ns
}

// ---- records ----

func (s *Secrets) loadChange(ctx context.Context, id string) (*store.Record, *Change, error) {
	rec, err := s.store.GetRecord(ctx, KindChange, id)
	if err != nil {
		return nil, nil, err
	}
	c, err := decodeChange(rec)
	if err != nil {
		return nil, nil, err
	}
	return rec, c, nil
}

func (s *Secrets) loadSecret(ctx context.Context, path string) (*Secret, error) {
	rec, err := s.store.GetRecord(ctx, KindSecret, path)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeSecret(rec)
}

// saveSecret creates or updates the secret's record with f applied.
func (s *Secrets) saveSecret(ctx context.Context, t Target, f func(*Secret)) error {
	for attempt := 0; attempt < 5; attempt++ {
		rec, err := s.store.GetRecord(ctx, KindSecret, t.Path)
		if errors.Is(err, store.ErrNotFound) {
			sec := &Secret{Target: t}
			f(sec)
			data, err := json.Marshal(sec)
			if err != nil {
				return fmt.Errorf("encode secret %s: %w", t.Path, err)
			}
			created, err := s.store.PutRecord(ctx, store.Record{Kind: KindSecret, ID: t.Path, State: "active", Owner: t.Owner, Key: t.ServiceRef, Data: data})
			if err != nil {
				return err
			}
			if created {
				return nil
			}
			continue
		}
		if err != nil {
			return err
		}
		sec, err := decodeSecret(rec)
		if err != nil {
			return err
		}
		f(sec)
		if rec.Data, err = json.Marshal(sec); err != nil {
			return fmt.Errorf("encode secret %s: %w", t.Path, err)
		}
		if _, err := s.store.UpdateRecord(ctx, *rec); errors.Is(err, store.ErrConflict) {
			continue
		} else if err != nil {
			return err
		}
		return nil
	}
	return fmt.Errorf("update secret %s: too many concurrent changes", t.Path)
}
