package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// JobReconcile settles changes an interruption left behind (see Reconcile).
// Register handles it; Resume queues the first run and every run queues
// the next, ReconcileEvery later. Scheduling it from cron as well is
// harmless.
const JobReconcile = "secrets.reconcile"

// ReconcileEvery is how often JobReconcile runs.
const ReconcileEvery = 5 * time.Minute

// Resume settles what a crash or restart left half done (see Reconcile)
// and queues the periodic JobReconcile. Call it once at start-up, after
// Register; it is safe to call again.
func (s *Secrets) Resume(ctx context.Context) error {
	if s.router == nil {
		return errors.New("secrets: Resume before Register")
	}
	err := s.Reconcile(ctx)
	if qerr := s.enqueueReconcile(ctx); qerr != nil {
		err = errors.Join(err, qerr)
	}
	return err
}

func (s *Secrets) reconcileJob(ctx context.Context, _ json.RawMessage) error {
	if err := s.Reconcile(ctx); err != nil {
		s.log.Warn("reconcile: some changes are not settled yet", "err", err)
	}
	// The next run is queued whatever happened: the changes left are
	// settled then. Failing here retries this run.
	return s.enqueueReconcile(ctx)
}

// enqueueReconcile queues the next JobReconcile. Its de-duplication key is
// the slot it runs in, so Resume, the job itself and a cron entry never
// queue two for the same slot.
func (s *Secrets) enqueueReconcile(ctx context.Context) error {
	at := s.now().Add(ReconcileEvery)
	slot := at.Truncate(ReconcileEvery).UTC().Format(time.RFC3339)
	_, err := s.router.Enqueue(ctx, bot.JobSpec{Kind: JobReconcile, RunAt: at, DedupeKey: JobReconcile + ":" + slot, MaxAttempts: 10})
	if err != nil {
		return fmt.Errorf("secrets: queue %s: %w", JobReconcile, err)
	}
	return nil
}

// Reconcile settles the changes an interruption (a crash, a restart, a
// lost answer from the secret store) left behind:
//
//   - A change in StateSealing for longer than a seal can take: if the KV
//     store holds the version it would have written, it is marked sealed
//     and recorded (audit event, secret record, pull request), as if the
//     write had answered; otherwise nothing was written and its link is
//     released (or closed, once expired; a regeneration is closed) and
//     the requester is told.
//   - A sealed change whose follow-ups did not all happen gets them now.
//
// It returns the errors of the changes it could not settle (they are tried
// again at the next run).
func (s *Secrets) Reconcile(ctx context.Context) error {
	var errs []error
	stuck, err := s.store.ListRecords(ctx, store.Query{Kind: KindChange, States: []string{StateSealing}})
	if err != nil {
		return fmt.Errorf("secrets: reconcile: %w", err)
	}
	now := s.now()
	for _, rec := range stuck {
		ch, err := decodeChange(&rec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if now.Sub(ch.Claimed) <= stuckAfter {
			continue // may still be in progress
		}
		if _, err := s.settle(ctx, ch.ID, true); err != nil {
			errs = append(errs, fmt.Errorf("change %s: %w", ch.ID, err))
		}
	}
	done, err := s.store.ListRecords(ctx, store.Query{Kind: KindChange, States: []string{StateSealed}, Since: now.Add(-7 * 24 * time.Hour)})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("secrets: reconcile: %w", err))...)
	}
	for _, rec := range done {
		ch, err := decodeChange(&rec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ch.Recorded || ch.Published || ch.PublishFailure != "" || now.Sub(ch.Done) <= stuckAfter {
			continue
		}
		ch.Recovered = true
		s.log.Warn("reconcile: finishing the bookkeeping of a sealed change", "change", ch.ID, "version", ch.Version)
		if err := s.followUp(ctx, ch); err != nil {
			errs = append(errs, fmt.Errorf("change %s: %w", ch.ID, err))
		}
	}
	return errors.Join(errs...)
}

// settle decides a change in StateSealing from what the KV store holds: the
// version the change would write is there (and no other recorded change
// wrote it) → the change is completed; it is not → the change is released
// (a link that has not expired), or closed. It returns the change as it
// ends up (Version > 0 when completed). notify tells the requester when
// a link was closed or a regeneration abandoned.
func (s *Secrets) settle(ctx context.Context, id string, notify bool) (*Change, error) {
	rec, ch, err := s.loadChange(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.State != StateSealing {
		return ch, nil
	}
	want := ch.ExpectVersion + 1
	written, other, err := s.written(ctx, ch)
	if err != nil {
		return nil, err
	}
	if other != "" {
		why := fmt.Sprintf("version %d was written by another change (%s) while this one was interrupted", want, other)
		return s.abandon(ctx, ch, why, notify)
	}
	if written {
		s.log.Warn("reconcile: the value was written but not recorded; completing the change", "change", ch.ID, "version", want)
		done, err := s.complete(ctx, ch.ID, want, true)
		if errors.Is(err, store.ErrConflict) {
			_, cur, lerr := s.loadChange(ctx, id)
			return cur, lerr
		}
		return done, err
	}
	s.auditEvent(ctx, store.Event{ActorID: ch.Requester.ID, ActorName: ch.Requester.Name, Action: "secrets.reconciled",
		Target: auditTarget(ch.Target), Outcome: "not written",
		Details: map[string]any{"op": ch.Op, "change": ch.ID, "env": ch.Target.Env, "name": ch.Target.Name, "expect_version": ch.ExpectVersion}})
	if ch.Op != OpRegenerate && s.now().Before(ch.Expires) {
		if err := s.releaseID(ctx, ch.ID, true); err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		s.log.Info("reconcile: nothing was written; the link works again", "change", ch.ID)
		_, cur, err := s.loadChange(ctx, id)
		return cur, err
	}
	why := "interrupted before the value was written; nothing was stored"
	if ch.Op != OpRegenerate {
		why = "interrupted before the value was written, and the link expired; nothing was stored"
	}
	return s.abandon(ctx, ch, why, notify)
}

// written reports whether the KV store holds the version a change in
// StateSealing would write. other names another recorded change of the
// same secret that wrote that version (then it was not this one).
func (s *Secrets) written(ctx context.Context, ch *Change) (written bool, other string, err error) {
	want := ch.ExpectVersion + 1
	info, err := s.kv.Info(ctx, ch.Target.Path)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, "", nil
	case err != nil:
		return false, "", fmt.Errorf("read %s in the %s: %w", ch.Target.Path, s.storeLabel(), err)
	case info.Version < want:
		return false, "", nil
	}
	other, err = s.wroteVersion(ctx, ch, want)
	return other == "", other, err
}

// abandon closes a change that wrote nothing and, with notify, tells its
// requester.
func (s *Secrets) abandon(ctx context.Context, ch *Change, why string, notify bool) (*Change, error) {
	if err := s.failChange(ctx, ch.ID, []string{StateSealing}, why); err != nil {
		if errors.Is(err, store.ErrConflict) {
			_, cur, lerr := s.loadChange(ctx, ch.ID)
			return cur, lerr
		}
		return nil, err
	}
	s.log.Warn("reconcile: closed an interrupted change", "change", ch.ID, "why", why)
	if notify {
		t := ch.Target
		again := "press Rotate in `/plat secret list " + t.Service + "` again"
		if ch.Op == OpAdd {
			again = fmt.Sprintf("run `/plat secret add %s %s %s` again", t.Service, t.Env, t.Name)
		}
		s.dm(ctx, ch, fmt.Sprintf("⚠️ The %s of *%s* for *%s* (`%s`) did not complete: %s. To try again, %s.", opNoun(ch.Op), t.Name, t.Service, t.Env, why, again))
	}
	_, cur, err := s.loadChange(ctx, ch.ID)
	return cur, err
}

// wroteVersion returns the id of another recorded change of the same
// secret that wrote version v ("" when none did).
func (s *Secrets) wroteVersion(ctx context.Context, ch *Change, v int) (string, error) {
	recs, err := s.store.ListRecords(ctx, store.Query{Kind: KindChange, Key: ch.Target.Path, States: []string{StateSealed}})
	if err != nil {
		return "", err
	}
	for _, r := range recs {
		if r.ID == ch.ID {
			continue
		}
		other, err := decodeChange(&r)
		if err != nil {
			return "", err
		}
		if other.Version == v {
			return other.ID, nil
		}
	}
	return "", nil
}

func opNoun(op string) string {
	switch op {
	case OpAdd:
		return "addition"
	case OpRotate:
		return "rotation"
	case OpRegenerate:
		return "regeneration"
	}
	return op
}

// dm sends the requester of a change a message, where they asked for it.
func (s *Secrets) dm(ctx context.Context, ch *Change, text string, blocks ...bot.Block) {
	if s.router == nil {
		return
	}
	m := s.router.Outbound(ch.Transport)
	if m == nil {
		s.log.Warn("no messenger to tell the requester about their secret", "transport", ch.Transport, "change", ch.ID)
		return
	}
	if _, err := m.DM(ctx, ch.Requester.ID, bot.Message{Text: text, Blocks: blocks}); err != nil {
		s.log.Warn("could not DM the requester about their secret", "change", ch.ID, "err", err)
	}
}
