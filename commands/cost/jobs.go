package cost

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// Job kinds.
const (
	// JobAlerts evaluates the alert rules (payload bot.TeamRun); a team
	// with a time zone of its own has the kind JobAlerts + "@" + its ref.
	JobAlerts = "cost.alerts"
	// JobHygiene posts the hygiene report to the platform channel.
	JobHygiene = "cost.hygiene"
)

// RunAlerts evaluates the alert rules for team (every team when "", minus
// exclude) and posts what is news. When cost data is unavailable it posts
// one outage notice to the platform channel and no alert.
func (c *Costs) RunAlerts(ctx context.Context, team string, exclude []string) (posted int, err error) {
	d := c.directory()
	l, err := c.ledger(ctx, d)
	var ue *UnavailableError
	if errors.As(err, &ue) {
		return 0, c.outageNotice(ctx, ue)
	}
	if err != nil {
		return 0, err
	}
	if err := c.recoveryNotice(ctx); err != nil {
		c.log.Error("cost recovery notice", "err", err)
	}
	if l.gap() {
		c.log.Warn("cost alerts skipped: no cost data for yesterday while earlier days have some (a gap in OpenCost's data)", "as_of", l.AsOf)
		return 0, nil
	}
	inScope := func(t string) bool {
		return (team == "" || t == team) && !slices.Contains(exclude, t)
	}
	findings, checked := c.evaluate(l, newSubjects(l, d), c.rules(d), inScope)
	firing := make(map[string]bool, len(findings))
	var errs []error
	for i := range findings {
		f := &findings[i]
		firing[alertID(f.RuleID, f.SubjectRef)] = true
		ok, err := c.deliver(ctx, l, f)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			posted++
		}
	}
	if err := c.resolve(ctx, checked, firing); err != nil {
		errs = append(errs, err)
	}
	c.log.Info("cost alerts evaluated", "team", team, "conditions", len(findings), "posted", posted, "checked", len(checked))
	return posted, errors.Join(errs...)
}

// outageNotice tells the platform channel, once per outage, that cost data
// is unavailable and alerts are paused.
func (c *Costs) outageNotice(ctx context.Context, ue *UnavailableError) error {
	rec, st, err := c.sourceRecord(ctx)
	if err != nil {
		return err
	}
	if rec == nil || rec.State != "down" {
		// noteFailure could not save it; try once more.
		if !c.saveSource(ctx, rec, "down", sourceState{Since: ue.Since, Reason: ue.Reason}) {
			return nil
		}
		if rec, st, err = c.sourceRecord(ctx); err != nil || rec == nil {
			return err
		}
	}
	m := c.messenger()
	if st.Notified || c.cfg.PlatformChannel == "" || m == nil {
		return nil
	}
	st.Notified = true
	if !c.saveSource(ctx, rec, "down", st) {
		return nil
	}
	msg := bot.Message{Text: "⚠️ " + capitalize(ue.Error()) + ". Cost alerts are paused until it answers again; nothing is alerted on missing data."}
	err = c.pacer.Wait(ctx, c.cfg.PlatformChannel)
	if err == nil {
		_, err = m.Post(ctx, c.cfg.PlatformChannel, msg)
	}
	if err != nil {
		if again, st2, gerr := c.sourceRecord(ctx); gerr == nil && again != nil {
			st2.Notified = false
			c.saveSource(ctx, again, "down", st2)
		}
		return fmt.Errorf("post cost outage notice: %w", err)
	}
	c.audit(ctx, store.Event{ActorID: "platbot", Action: "cost.source", Target: "opencost", Outcome: "down", Details: map[string]any{"since": ue.Since, "reason": ue.Reason}})
	return nil
}

// recoveryNotice closes a recorded outage, announcing it if it was announced.
func (c *Costs) recoveryNotice(ctx context.Context) error {
	rec, st, err := c.sourceRecord(ctx)
	if err != nil || rec == nil || rec.State != "down" {
		return err
	}
	if !c.saveSource(ctx, rec, "up", sourceState{}) || !st.Notified {
		return nil
	}
	m := c.messenger()
	if m == nil || c.cfg.PlatformChannel == "" {
		return nil
	}
	msg := bot.Message{Text: fmt.Sprintf("✅ Cost data is available again (it was unavailable since %s). Cost alerts resume.", st.Since.UTC().Format("2006-01-02 15:04 MST"))}
	if err := c.pacer.Wait(ctx, c.cfg.PlatformChannel); err != nil {
		return fmt.Errorf("post cost recovery notice: %w", err)
	}
	if _, err := m.Post(ctx, c.cfg.PlatformChannel, msg); err != nil {
		return fmt.Errorf("post cost recovery notice: %w", err)
	}
	c.audit(ctx, store.Event{ActorID: "platbot", Action: "cost.source", Target: "opencost", Outcome: "up"})
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
