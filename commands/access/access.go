// Package access is platbot's self-service access to production: a
// requester asks for a level of access (view, exec, edit) to a service's
// namespace in one environment for a while and says why; the owning team
// approves or denies in a thread; on approval short-lived Kubernetes
// credentials are issued and sent to the requester by DM; a durable job
// revokes them at the deadline, also across restarts. Break-glass grants
// skip the approval, are announced loudly and nag until reviewed. Every step
// is audited with the Kubernetes identity that was issued.
//
// The approval of a request (card, clicks, N-of-M, lapse, announcements)
// is bot/approval's lifecycle; access adds who may review (peers and the
// manager of the owning team) and what an approval starts (credentials and
// their expiry). Everything runs against bot.Messenger, so it runs the same
// from Slack and from the shell. Every state change is a compare-and-swap
// on the request's store record, so concurrent clicks produce exactly one
// outcome. Tokens live only in the DM to the requester: never in the store,
// the audit log, job payloads or logs.
package access

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/store"
)

// Catalog is what access needs from the software catalog.
type Catalog interface {
	// Get returns the entity a ref names (short forms allowed).
	Get(ref string) (*catalog.Entity, bool)
	// Identify returns what the catalog knows about a chat user.
	Identify(ctx context.Context, u bot.User) (*catalog.Identity, error)
	// Members returns the users who are direct members of a group.
	Members(groupRef string) []*catalog.Entity
}

// Issuer issues and revokes credentials on one environment's cluster.
// *kube.Issuer satisfies it, and *kube.DryRunIssuer in demo mode.
type Issuer interface {
	// CheckNamespace says whether access may be bound in namespace ns
	// under rule (a refusal is a *kube.NamespaceError); saNamespace is
	// where the environment's ServiceAccounts live ("" = ns).
	CheckNamespace(ctx context.Context, ns, saNamespace string, rule kube.NamespaceRule) error
	// Issue makes sure the grant's objects exist and mints a token; it is
	// idempotent. It refuses a namespace the grant's rule does not allow.
	Issue(ctx context.Context, g kube.Grant) (*kube.Credentials, error)
	// Revoke removes the grant's objects; it is idempotent.
	Revoke(ctx context.Context, g kube.Grant) error
}

// Store is the part of the store access uses; *store.Store satisfies it.
type Store interface {
	// approval.Store keeps the requests' records.
	approval.Store
	ListRecords(ctx context.Context, q store.Query) ([]store.Record, error)
	Once(ctx context.Context, key string) (bool, error)
}

// Deps are what New needs besides the configuration.
type Deps struct {
	// Store persists requests and grants.
	Store Store
	// Catalog resolves services, owners and identities.
	Catalog Catalog
	// Issuers issue credentials, by environment name (see KubeIssuers).
	Issuers map[string]Issuer
	// Messenger, when set, is used for messages sent outside a request
	// (jobs); otherwise the router's messenger of the request's transport.
	Messenger bot.Messenger
	// Logger is slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Access is the access feature. Create it with New, install it in a
// bot.Registry and call Resume once the router's worker runs.
type Access struct {
	cfg     Config
	st      Store
	cat     Catalog
	issuers map[string]Issuer
	log     *slog.Logger
	now     func() time.Time
	// flow runs the approval of requests and keeps their records.
	flow *approval.Flow[AccessRequest]

	mu     sync.RWMutex
	router approval.Router

	// locks serialise the work on one grant inside this process (issuing,
	// ending), so a duplicate job waits and then finds the work done.
	locks sync.Map // id → *sync.Mutex
}

// Job kinds.
const (
	JobIssue   = "access.issue"
	JobLapse   = "access.lapse"
	JobExpire  = "access.expire"
	JobWarn    = "access.warn"
	JobCleanup = "access.cleanup"
	JobNag     = "access.nag"
)

// Button action ids (all handled under the "access" prefix).
const (
	ActionApprove = "access:approve"
	ActionDeny    = "access:deny"
	ActionExtend  = "access:extend"
	ActionRequest = "access:request"
	ActionReview  = "access:review"
)

// jobAttempts is how often a grant job is tried before the worker gives up
// (Resume starts the failed ones again).
const jobAttempts = 25

var _ bot.Feature = (*Access)(nil)

// New returns the feature over cfg (validated here, defaults filled in).
// Every environment needs an issuer.
func New(cfg Config, d Deps) (*Access, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Store == nil || d.Catalog == nil {
		return nil, errors.New("access: need a store and a catalog")
	}
	for _, e := range cfg.Environments {
		if d.Issuers[e.Name] == nil {
			return nil, fmt.Errorf("access: no issuer for environment %q", e.Name)
		}
	}
	a := &Access{
		cfg:     cfg,
		st:      d.Store,
		cat:     d.Catalog,
		issuers: d.Issuers,
		log:     d.Logger,
		now:     d.Now,
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("component", "access")
	if a.now == nil {
		a.now = time.Now
	}
	flow, err := approval.New(a.approvalConfig(), approval.Deps{Store: d.Store, Messenger: d.Messenger, Logger: a.log, Now: a.now})
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	a.flow = flow
	return a, nil
}

// DryRunIssuers builds a kube.DryRunIssuer for every environment (demo
// mode): requests run their whole course, and the requester is shown the
// ServiceAccount, RoleBinding and expiry a real issuer would create.
func DryRunIssuers(cfg Config, log *slog.Logger) map[string]Issuer {
	out := make(map[string]Issuer, len(cfg.Environments))
	for _, e := range cfg.Environments {
		out[e.Name] = kube.NewDryRunIssuer(kube.Cluster{Name: e.Name, Server: e.Server}, log)
	}
	return out
}

// Config returns the validated configuration.
func (a *Access) Config() Config { return a.cfg }

// Name is the feature's name and configuration section.
func (a *Access) Name() string { return "access" }

// Register adds the access commands, the "access" buttons and the grant
// jobs, and keeps the router to enqueue, authorize, audit and post later.
func (a *Access) Register(reg *bot.Registry) error {
	a.setRouter(reg.Router())
	reg.Commands(a.commands()...)
	reg.Action("access", a.act)
	reg.Job(JobIssue, a.jobIssue)
	reg.Job(JobLapse, a.flow.RunLapse)
	reg.Job(JobExpire, a.jobExpire)
	reg.Job(JobWarn, a.jobWarn)
	reg.Job(JobCleanup, a.jobCleanup)
	reg.Job(JobNag, a.jobNag)
	reg.HomeSection(a.flow.HomeSection(30, "Access requests"))
	reg.HomeSection(bot.HomeSection{Order: 40, Build: a.homeSection, Summary: a.homeSummary})
	return nil
}

func (a *Access) setRouter(r approval.Router) {
	a.mu.Lock()
	a.router = r
	a.mu.Unlock()
	a.flow.SetRouter(r)
}

func (a *Access) rt() approval.Router {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.router
}

// lock serialises work on one request in this process.
func (a *Access) lock(id string) func() {
	m, _ := a.locks.LoadOrStore(id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// loadUser loads a request by an id a user typed or a button carried: an
// unknown id is a UserError.
func (a *Access) loadUser(ctx context.Context, id string) (*AccessRequest, string, error) {
	return a.flow.LoadUser(ctx, strings.ToLower(strings.TrimSpace(id)))
}

// move is flow.Update that also says whether this call wrote the change.
// A job that runs twice (a retry, a restart, or the same job on two
// replicas at once) finds the work already done: Update then returns the
// state the other run wrote, so only the run that moved announces, audits
// or cleans up.
func (a *Access) move(ctx context.Context, id string, decide func(state string, r *AccessRequest) (string, error)) (out *AccessRequest, to string, moved bool, err error) {
	out, to, err = a.flow.Update(ctx, id, func(st string, x *AccessRequest) (string, error) {
		next, err := decide(st, x)
		moved = err == nil // decide runs again after a lost compare-and-swap
		return next, err
	})
	return out, to, moved && err == nil, err
}

// enqueue schedules a job, logging (not failing on) a lost race with an
// identical job.
func (a *Access) enqueue(ctx context.Context, kind string, p jobPayload, runAt time.Time, key string) error {
	rt := a.rt()
	if rt == nil {
		return errors.New("access: not registered with a router")
	}
	_, err := rt.Enqueue(ctx, bot.JobSpec{Kind: kind, Payload: p, RunAt: runAt, DedupeKey: key, MaxAttempts: jobAttempts})
	if err != nil {
		return fmt.Errorf("schedule %s for %s: %w", kind, p.ID, err)
	}
	return nil
}

// audit records an access event with the request's facts.
func (a *Access) audit(ctx context.Context, actor bot.User, action, outcome string, r *AccessRequest, extra map[string]any) {
	a.flow.Audit(ctx, actor, action, outcome, r, extra)
	a.log.Info(action, "request", r.ID, "actor", actor.ID, "outcome", outcome, "service", r.Service,
		"environment", r.Environment, "level", r.Level, "kube_identity", r.KubeIdentity)
}

// auditDetails are the facts of r every access audit event carries.
func auditDetails(r *AccessRequest) map[string]any {
	d := map[string]any{
		"request":     r.ID,
		"requester":   r.Requester.ID,
		"environment": r.Environment,
		"namespace":   r.Namespace,
		"level":       r.Level,
		"clusterrole": r.ClusterRole,
		"duration":    FormatDuration(r.Duration),
		"reason":      r.Reason,
	}
	if r.RequesterRef != "" {
		d["requester_ref"] = r.RequesterRef
	}
	if r.Ticket != "" {
		d["ticket"] = r.Ticket
	}
	if r.BreakGlass {
		d["break_glass"] = true
	}
	if r.ExtendsID != "" {
		d["extends"] = r.ExtendsID
	}
	if r.KubeIdentity != "" {
		d["kube_identity"] = r.KubeIdentity
		d["kube_context"] = r.KubeContext
	}
	if !r.ExpiresAt.IsZero() {
		d["expires_at"] = r.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return d
}

// system is the actor of things platbot does on its own.
var system = approval.System

// grant returns the kube grant of a request.
func (r *AccessRequest) grant() kube.Grant {
	return kube.Grant{
		Name:                    saName(r.ID),
		Namespace:               r.Namespace,
		ServiceAccountNamespace: r.SANamespace,
		ClusterRole:             r.ClusterRole,
		ExpiresAt:               r.ExpiresAt,
		RequestID:               r.ID,
		Requester:               r.Requester.ID,
		RequesterRef:            r.RequesterRef,
	}
}

// issueGrant is r's grant with the namespace rule its environment has now:
// the rule is read from the configuration when credentials are issued, so
// tightening it stops grants approved before the change.
func (a *Access) issueGrant(r *AccessRequest) kube.Grant {
	g := r.grant()
	if env, ok := a.cfg.Env(r.Environment); ok {
		g.Namespaces = env.Namespaces.Rule()
	}
	return g
}

// resource is what a review of r is about, for the policy engine: the
// service, owned by its team, naming the requester.
func (r *AccessRequest) resource(e *catalog.Entity) bot.Resource {
	res := bot.Resource{
		Kind:  "component",
		Name:  r.ServiceName,
		Ref:   r.Service,
		Owner: r.Owner,
		Tags: []string{
			"requester:" + r.Requester.ID,
			"access-request:" + r.ID,
			"environment:" + r.Environment,
			"level:" + r.Level,
		},
	}
	if e != nil {
		res.Kind = strings.ToLower(e.Kind)
		res.Lifecycle = e.Lifecycle()
	}
	if r.BreakGlass {
		res.Tags = append(res.Tags, "break-glass")
	}
	return res
}

// slackID returns the Slack user id of a catalog user entity ("" if none).
func slackID(e *catalog.Entity) string {
	if e == nil {
		return ""
	}
	return e.Annotation(catalog.AnnotationSlackUserID)
}

// teamManager returns the user ref of a group's manager ("" if none).
func (a *Access) teamManager(group string) string {
	g, ok := a.cat.Get(group)
	if !ok {
		return ""
	}
	m := g.Annotation(catalog.AnnotationManager)
	if m == "" {
		return ""
	}
	return catalog.NormalizeRef(m, catalog.KindUser, g.Metadata.Namespace)
}

// teamChannel returns a group's own Slack channel ("" if none).
func (a *Access) teamChannel(group string) string {
	g, ok := a.cat.Get(group)
	if !ok {
		return ""
	}
	return g.Annotation(catalog.AnnotationSlackChannel)
}

// approvers lists the Slack ids of who may approve a request of requester
// on a service of group: its members but the requester, and its manager.
func (a *Access) approvers(group, requester string) (peers []string, manager string) {
	for _, m := range a.cat.Members(group) {
		if id := slackID(m); id != "" && id != requester && !slices.Contains(peers, id) {
			peers = append(peers, id)
		}
	}
	if ref := a.teamManager(group); ref != "" {
		if e, ok := a.cat.Get(ref); ok {
			if id := slackID(e); id != requester {
				manager = id
			}
		}
	}
	return peers, manager
}
