package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/platbot/platbot/store"
)

// Resume picks up after a restart: grants whose deadline passed while
// platbot was down are revoked at once, pending requests past their time
// lapse, and every other deadline, warning, issuing, cleanup and
// break-glass reminder is scheduled again (de-duplicated against the jobs
// still queued). Call it after Register, once at start-up; it is safe to
// call again.
func (a *Access) Resume(ctx context.Context) error {
	if a.rt() == nil {
		return errors.New("access: Resume before Register")
	}
	now := a.now()
	boot := fmt.Sprintf("resume-%d", now.UnixNano())
	var errs []error
	note := func(id string, err error) {
		if err != nil {
			a.log.Error("resume access request", "request", id, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
		}
	}
	open, err := a.st.ListRecords(ctx, store.Query{Kind: RecordKind, States: []string{StatePending, StateApproved, StateActive}})
	if err != nil {
		return fmt.Errorf("access: resume: %w", err)
	}
	var revoked, lapsed, scheduled int
	for _, rec := range open {
		r, err := decode(rec.Data)
		if err != nil {
			note(rec.ID, err)
			continue
		}
		switch {
		case rec.State == StatePending && !now.Before(r.PendingUntil):
			note(r.ID, a.flow.Lapse(ctx, r.ID))
			lapsed++
		case rec.State == StatePending:
			note(r.ID, a.flow.ScheduleLapse(ctx, r))
		case r.ExtendsID != "":
			// An approved extension not yet applied.
			if settled(rec, now) {
				note(r.ID, a.enqueue(ctx, JobIssue, jobPayload{ID: r.ID}, now, JobIssue+":"+r.ID+":"+boot))
			}
		case !now.Before(r.ExpiresAt):
			if err := a.expire(ctx, r.ID, time.Time{}); err != nil {
				note(r.ID, err)
				note(r.ID, a.enqueue(ctx, JobCleanup, jobPayload{ID: r.ID}, now, JobCleanup+":"+r.ID+":"+boot))
			}
			revoked++
		default:
			note(r.ID, a.scheduleDeadline(ctx, r))
			if (rec.State == StateApproved || !r.DeliveredFor.Equal(r.ExpiresAt)) && settled(rec, now) {
				note(r.ID, a.enqueue(ctx, JobIssue, jobPayload{ID: r.ID}, now, JobIssue+":"+r.ID+":"+boot))
			}
			scheduled++
		}
		if r.BreakGlass && r.FollowUp == nil {
			note(r.ID, a.scheduleNag(ctx, r, now, boot))
		}
	}
	// Ended grants whose cluster objects may linger, and unreviewed
	// break-glass grants that ended.
	done, err := a.st.ListRecords(ctx, store.Query{Kind: RecordKind, States: ended, Since: now.Add(-2 * HardMaxDuration)})
	if err != nil {
		return fmt.Errorf("access: resume: %w", err)
	}
	for _, rec := range done {
		r, err := decode(rec.Data)
		if err != nil {
			note(rec.ID, err)
			continue
		}
		if !r.CleanedUp {
			if err := a.cleanup(ctx, r.ID); err != nil {
				note(r.ID, err)
				note(r.ID, a.enqueue(ctx, JobCleanup, jobPayload{ID: r.ID}, now, JobCleanup+":"+r.ID+":"+boot))
			}
			revoked++
		}
		if r.BreakGlass && r.FollowUp == nil {
			note(r.ID, a.scheduleNag(ctx, r, now, boot))
		}
	}
	a.log.Info("access resumed", "open", len(open), "revoked_overdue", revoked, "lapsed", lapsed, "rescheduled", scheduled)
	return errors.Join(errs...)
}

// scheduleNag makes sure a next break-glass reminder is queued. A reminder
// that turns out to duplicate one already queued posts nothing (see nag).
func (a *Access) scheduleNag(ctx context.Context, r *AccessRequest, now time.Time, boot string) error {
	n := r.Nags + 1
	return a.enqueue(ctx, JobNag, jobPayload{ID: r.ID, N: n}, now.Add(a.cfg.BreakGlassNag.D()), fmt.Sprintf("%s:%s:%d:%s", JobNag, r.ID, n, boot))
}

// resumeGrace is how recently changed a request may be for Resume to take
// its issuing as under way on another replica (whose durable job delivers)
// rather than interrupted: the leader resumes on every leader change, and
// two runs of issue at once could each mint a credential.
const resumeGrace = time.Minute

// settled reports whether rec last changed resumeGrace or more before now.
func settled(rec store.Record, now time.Time) bool {
	return rec.Updated.IsZero() || now.Sub(rec.Updated) >= resumeGrace
}
