package kube

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// LeaseConfig names the coordination.k8s.io Lease the replicas compete for
// and the timing of client-go's leader election.
type LeaseConfig struct {
	Namespace, Name string
	// Identity is this replica's holderIdentity; it must differ between
	// replicas (the pod name).
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod are client-go's
	// (defaults 10 s, 7 s, 2 s: a new leader within LeaseDuration plus
	// 1.2 × RetryPeriod, about 12.5 s, of the old one dying, and at once
	// when it gives the Lease up).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// LeaseElector chooses the leader among replicas with a Kubernetes Lease,
// through client-go's tools/leaderelection (it satisfies bot.Elector).
type LeaseElector struct {
	cs     kubernetes.Interface
	cfg    LeaseConfig
	log    *slog.Logger
	holder string // the Lease's holderIdentity: Identity and a random suffix
}

// NewLeaseElector returns the elector over the cluster rc reaches.
func NewLeaseElector(rc *rest.Config, cfg LeaseConfig, log *slog.Logger) (*LeaseElector, error) {
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("leader election: Kubernetes client: %w", err)
	}
	return NewLeaseElectorFor(cs, cfg, log)
}

// NewLeaseElectorFor is NewLeaseElector over a given clientset.
func NewLeaseElectorFor(cs kubernetes.Interface, cfg LeaseConfig, log *slog.Logger) (*LeaseElector, error) {
	if cfg.Namespace == "" || cfg.Name == "" || cfg.Identity == "" {
		return nil, errors.New("leader election: the Lease needs a namespace, a name and this replica's identity")
	}
	if cfg.LeaseDuration <= 0 {
		cfg.LeaseDuration = 10 * time.Second
	}
	if cfg.RenewDeadline <= 0 {
		cfg.RenewDeadline = 7 * time.Second
	}
	if cfg.RetryPeriod <= 0 {
		cfg.RetryPeriod = 2 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	nonce := make([]byte, 4)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("leader election: %w", err)
	}
	e := &LeaseElector{cs: cs, cfg: cfg, log: log, holder: cfg.Identity + "_" + hex.EncodeToString(nonce)}
	// client-go checks the timing when it builds its elector (renewDeadline
	// must exceed 1.2 × retryPeriod): refuse bad timing now, not at the
	// first campaign.
	if _, err := e.elector(e.lock(func(error) {}), func(context.Context) {}); err != nil {
		return nil, fmt.Errorf("leader election: leaseDuration %s, renewDeadline %s, retryPeriod %s: %w", cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod, err)
	}
	return e, nil
}

// Describe names the mechanism.
func (e *LeaseElector) Describe() string {
	return fmt.Sprintf("Kubernetes Lease %s/%s", e.cfg.Namespace, e.cfg.Name)
}

// Check asks the API server whether this identity may do what leader
// election does with the Lease (get, update, and create when it does not
// exist yet), so a missing Role is an error at start that names it,
// instead of a replica that silently never leads.
func (e *LeaseElector) Check(ctx context.Context) error {
	verbs := []string{"get", "update"}
	// create matters only while the Lease does not exist; an identity that
	// may not even read it cannot tell, so it is checked then too.
	if _, err := e.cs.CoordinationV1().Leases(e.cfg.Namespace).Get(ctx, e.cfg.Name, metav1.GetOptions{}); apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
		verbs = append(verbs, "create")
	} else if err != nil {
		return fmt.Errorf("leader election: read %s: %w", e.Describe(), err)
	}
	var denied []string
	for _, verb := range verbs {
		name := e.cfg.Name
		if verb == "create" {
			name = "" // create is authorized without a name
		}
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: e.cfg.Namespace, Verb: verb, Group: "coordination.k8s.io", Resource: "leases", Name: name,
			},
		}}
		res, err := e.cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("leader election: ask whether %s may be used: %w", e.Describe(), err)
		}
		if !res.Status.Allowed {
			denied = append(denied, verb)
		}
	}
	if len(denied) > 0 {
		return fmt.Errorf("leader election: this identity may not %s %s: grant the verbs get and update on the Lease %q and create on leases in namespace %q (a Role and RoleBinding in coordination.k8s.io, as deploy/lease-rbac.yaml does), or fix ha.leaderElection's namespace and name",
			strings.Join(denied, ", "), e.Describe(), e.cfg.Name, e.cfg.Namespace)
	}
	return nil
}

// Campaign competes for the Lease until ctx ends (see bot.Elector). A
// leader gives the Lease up once its work has stopped (lead returned), so
// the next replica leads at once rather than after the Lease's duration,
// and never while this one still works.
func (e *LeaseElector) Campaign(ctx context.Context, lead func(ctx context.Context), report func(error)) {
	for ctx.Err() == nil {
		done := make(chan struct{})
		var started atomic.Bool
		lock := e.lock(report)
		le, err := e.elector(lock, func(lctx context.Context) {
			defer close(done)
			lead(lctx)
		})
		if err != nil {
			report(fmt.Errorf("leader election: %w", err))
			return
		}
		// Run calls OnStartedLeading in a goroutine once the Lease is
		// held, renews it, and returns when it is lost or ctx ends.
		lock.onAcquire = func() { started.Store(true) }
		le.Run(ctx)
		if started.Load() {
			<-done
			e.release(lock)
		}
		if ctx.Err() == nil {
			e.log.Warn("leader election: lost the Lease", "lease", e.Describe(), "identity", e.cfg.Identity)
		}
	}
}

// lock is the Lease lock of one campaign, reporting its errors. Its
// holder identity is this replica's identity with a random suffix, so two
// replicas configured with one identity never both take the Lease as theirs.
func (e *LeaseElector) lock(report func(error)) *reportingLock {
	return &reportingLock{
		Interface: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: e.cfg.Namespace, Name: e.cfg.Name},
			Client:     e.cs.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: e.holder},
		},
		report: report,
		what:   e.Describe(),
	}
}

// elector is client-go's leader elector over lock; it also checks the
// timing (NewLeaseElectorFor builds one to refuse bad timing at start).
func (e *LeaseElector) elector(lock resourcelock.Interface, lead func(ctx context.Context)) (*leaderelection.LeaderElector, error) {
	return leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:          lock,
		LeaseDuration: e.cfg.LeaseDuration,
		RenewDeadline: e.cfg.RenewDeadline,
		RetryPeriod:   e.cfg.RetryPeriod,
		Name:          "platbot",
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: lead,
			OnStoppedLeading: func() {},
		},
	})
}

// release gives the Lease up when this replica still holds it, as
// client-go's ReleaseOnCancel does, but only after the leader's work
// stopped.
func (e *LeaseElector) release(lock *reportingLock) {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RenewDeadline)
	defer cancel()
	rec, _, err := lock.Interface.Get(ctx)
	if err != nil || rec == nil || rec.HolderIdentity != e.holder {
		return
	}
	now := metav1.NewTime(time.Now())
	if err := lock.Interface.Update(ctx, resourcelock.LeaderElectionRecord{
		LeaderTransitions: rec.LeaderTransitions, LeaseDurationSeconds: 1, RenewTime: now, AcquireTime: now,
	}); err != nil {
		e.log.Warn("leader election: giving the Lease up failed; it lapses instead", "lease", e.Describe(), "err", err)
	}
}

// reportingLock passes every Lease call through and reports its outcome,
// so a refused update shows in /plat status instead of only in client-go's
// log.
type reportingLock struct {
	resourcelock.Interface
	report    func(error)
	what      string
	onAcquire func()
	failed    string // the verb of the last failed call, "" after a success
}

func (l *reportingLock) note(verb string, err error) error {
	switch {
	case err == nil:
		// A read that works says nothing about a refused write: only a
		// write, or a read after a failed read, clears the error shown.
		if verb != "get" || l.failed == "get" {
			l.failed = ""
			l.report(nil)
		}
		return nil
	case apierrors.IsNotFound(err) && verb == "get", apierrors.IsConflict(err):
		// Not there yet (the first leader creates it), or another replica
		// renewed it first: how leader election works, not a fault.
	case apierrors.IsForbidden(err):
		l.failed = verb
		l.report(fmt.Errorf("leader election: %s %s refused: %w (grant get, update and create on the Lease: deploy/lease-rbac.yaml)", verb, l.what, err))
	default:
		l.failed = verb
		l.report(fmt.Errorf("leader election: %s %s: %w", verb, l.what, err))
	}
	return err
}

func (l *reportingLock) Get(ctx context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	r, b, err := l.Interface.Get(ctx)
	return r, b, l.note("get", err)
}

func (l *reportingLock) Create(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	err := l.note("create", l.Interface.Create(ctx, ler))
	if err == nil && ler.HolderIdentity == l.Identity() && l.onAcquire != nil {
		l.onAcquire()
	}
	return err
}

func (l *reportingLock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	err := l.note("update", l.Interface.Update(ctx, ler))
	if err == nil && ler.HolderIdentity == l.Identity() && l.onAcquire != nil {
		l.onAcquire()
	}
	return err
}
