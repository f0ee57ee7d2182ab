package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/status"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/store"
)

// Several replicas. Every replica serves HTTP and Socket Mode and works
// jobs; the leader alone runs the cron schedules and resumes interrupted
// work (bot.Leadership). Who leads:
//
//   - ha.leaderElection set: the holder of that Kubernetes Lease (client-go's
//     leader election, integrations/kube/lease.go); PostgreSQL only;
//   - otherwise on PostgreSQL: the holder of a session advisory lock
//     (store/leader.go);
//   - on SQLite: the one process serve allows per database file (dblock.go).

// defaultLeaseName is the Lease deploy/lease-rbac.yaml lets platbot use.
const defaultLeaseName = "platbot-leader"

// serviceAccountNamespace is where a pod's own namespace is mounted.
const serviceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// check validates the ha section against the database.
func (h HAConfig) check(db string, errf func(key, msg string) error) error {
	le := h.LeaderElection
	if le == nil {
		return nil
	}
	if !store.IsPostgres(db) {
		return errf("ha.leaderElection", "needs a PostgreSQL database (PLATBOT_DB=postgres://...): on SQLite only one process may serve (the database file is locked), and it leads; delete the ha section or move the database (platbot migrate --from ... --to postgres://...)")
	}
	for key, v := range map[string]string{"leaseDuration": le.LeaseDuration, "renewDeadline": le.RenewDeadline, "retryPeriod": le.RetryPeriod} {
		if v == "" {
			continue
		}
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			return errf("ha.leaderElection."+key, fmt.Sprintf("expected a positive duration such as 15s, got %q", v))
		}
	}
	return nil
}

// identity names this replica: ha.identity, else the host name (the pod
// name in Kubernetes), with the process id outside Kubernetes so that
// replicas on one machine differ.
func (h HAConfig) identity() string {
	if h.Identity != "" {
		return h.Identity
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "platbot"
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return host
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// leaseConfig is the Lease's client configuration and names.
func (h HAConfig) leaseConfig(cfg *Config) (kube.LeaseConfig, error) {
	le := h.LeaderElection
	lc := kube.LeaseConfig{Namespace: le.Namespace, Name: le.Name, Identity: h.identity()}
	if lc.Name == "" {
		lc.Name = defaultLeaseName
	}
	if lc.Namespace == "" {
		if b, err := os.ReadFile(serviceAccountNamespace); err == nil {
			lc.Namespace = strings.TrimSpace(string(b))
		}
	}
	if lc.Namespace == "" {
		return lc, &ConfigError{File: cfg.path, Key: "ha.leaderElection.namespace", Msg: "name the namespace of the Lease (outside a pod there is no namespace of its own to default to)"}
	}
	for _, d := range []struct {
		v   string
		dst *time.Duration
	}{{le.LeaseDuration, &lc.LeaseDuration}, {le.RenewDeadline, &lc.RenewDeadline}, {le.RetryPeriod, &lc.RetryPeriod}} {
		if d.v != "" {
			*d.dst, _ = time.ParseDuration(d.v) // checked by validate
		}
	}
	return lc, nil
}

// newElector builds the elector the configuration and the database call
// for; it makes no call to any server.
func newElector(cfg *Config, st *store.Store, log *slog.Logger) (bot.Elector, error) {
	if le := cfg.HA.LeaderElection; le != nil {
		lc, err := cfg.HA.leaseConfig(cfg)
		if err != nil {
			return nil, err
		}
		rc, where, err := kubeRESTConfig(le.Kubeconfig)
		if le.KubeContext != "" {
			rc, err = kubeContextConfig(le.Kubeconfig, le.KubeContext)
			where = le.KubeContext
		}
		if err != nil {
			return nil, fmt.Errorf("ha.leaderElection: %w", err)
		}
		if rc == nil {
			return nil, &ConfigError{File: cfg.path, Key: "ha.leaderElection", Msg: "no cluster to hold the Lease: run in a pod (the in-cluster config), or set ha.leaderElection.kubeconfig (and kubeContext)"}
		}
		el, err := kube.NewLeaseElector(rc, lc, log)
		if err != nil {
			return nil, fmt.Errorf("ha.leaderElection: %w", err)
		}
		log.Debug("leader election by Lease", "lease", el.Describe(), "cluster", where)
		lock, err := st.AdvisoryElector()
		if err != nil {
			return nil, err
		}
		return bothElectors{lease: el, lock: lock}, nil
	}
	if store.IsPostgres(cfg.DB) {
		el, err := st.AdvisoryElector()
		if err != nil {
			return nil, err
		}
		return el, nil
	}
	return bot.SingleProcess{}, nil
}

// bothElectors leads only while holding the Lease and then the database's
// advisory lock too. The lock is what replicas without ha.leaderElection
// elect with, so during a rollout that adds (or changes) the section an old
// replica and a new one never lead at once.
type bothElectors struct {
	lease *kube.LeaseElector
	lock  *store.AdvisoryElector
}

func (b bothElectors) Describe() string { return b.lease.Describe() }

func (b bothElectors) Check(ctx context.Context) error { return b.lease.Check(ctx) }

func (b bothElectors) Campaign(ctx context.Context, lead func(context.Context), report func(error)) {
	b.lease.Campaign(ctx, func(lctx context.Context) {
		b.lock.Campaign(lctx, lead, report)
	}, report)
}

// checker is an elector that can tell at start whether it will work.
type checker interface {
	Check(ctx context.Context) error
}

// checkElector asks the elector whether it can work (the Lease's RBAC),
// so that serve stops at start with what to fix instead of running as a
// replica that never leads.
func checkElector(ctx context.Context, el bot.Elector) error {
	c, ok := el.(checker)
	if !ok {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.Check(cctx); err != nil {
		return fmt.Errorf("ha.leaderElection: %w", err)
	}
	return nil
}

// reclaimEvery is how often the leader makes the jobs of dead worker
// processes on its host claimable (bot.Worker.Reclaim): a replica killed on
// a shared host need not wait out its jobs' leases, not only at a start.
const reclaimEvery = 10 * time.Second

// leaderWork is what the leader does while it leads: take over the jobs of
// dead workers on this host, enqueue the cron ticks the previous leader may
// have missed, run the schedules, and resume interrupted work.
func (a *App) leaderWork() {
	a.Leader.OnLead(func(ctx context.Context, prev *bot.LeaderInfo) {
		reclaim := func() {
			if _, err := a.Router.Worker().Reclaim(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("leader: reclaiming the jobs of dead workers failed", "err", err)
			}
		}
		reclaim()
		now := time.Now()
		if since := a.Leader.CatchUpSince(prev, now); !since.IsZero() {
			a.Sched.CatchUp(since, now)
		}
		done := make(chan struct{})
		go func() { a.Sched.Run(ctx); close(done) }()
		t := time.NewTicker(reclaimEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				<-done
				return
			case <-t.C:
				reclaim()
			}
		}
	})
	a.Leader.OnLead(func(ctx context.Context, _ *bot.LeaderInfo) {
		if a.resume == nil {
			return
		}
		if err := a.resume(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("leader: resuming interrupted work failed", "err", err)
		}
	})
}

// leaderProbe is the health of leader election, the same on every replica:
// down while no replica has renewed the leader record recently (the cron
// schedules do not run), naming this replica's own election error. On
// SQLite the one process leads and there is no probe (ok false).
func leaderProbe(l *bot.Leadership) (status.Probe, bool) {
	if _, single := l.Elector().(bot.SingleProcess); single {
		return status.Probe{}, false
	}
	p := status.Probe{Name: "leader", Title: "Leader election", Configured: true}
	p.Check = func(ctx context.Context) error {
		info, err := l.Leader(ctx)
		if err != nil {
			return err
		}
		var why string
		switch {
		case info == nil:
			why = "no replica has led yet"
		case time.Since(info.Renewed) > l.Stale():
			why = fmt.Sprintf("no replica leads: the last leader %s was last seen at %s", info.Identity, info.Renewed.UTC().Format("15:04:05 UTC"))
		default:
			return nil
		}
		if e := l.Err(); e != "" {
			why += "; on " + l.Identity() + ": " + e
		}
		return errors.New(why + " (" + l.Mechanism() + ")")
	}
	return p, true
}
