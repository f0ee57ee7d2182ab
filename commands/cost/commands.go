package cost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

var _ bot.Feature = (*Costs)(nil)

// Name is the feature's name and configuration section.
func (c *Costs) Name() string { return "cost" }

// Register adds the cost commands, the Snooze/Acknowledge buttons (action
// prefix "cost"), the jobs, the alert schedule (in each configured team's
// time zone, and in the default one for every other team) and the weekly
// hygiene report.
func (c *Costs) Register(reg *bot.Registry) error {
	c.router = reg.Router()
	reg.Commands(c.Commands()...)
	reg.Action("cost", c.handleAction)
	reg.Job(JobHygiene, c.hygieneJob)
	alerts, err := c.alertJobs()
	if err != nil {
		return err
	}
	if err := reg.PerTeam(alerts); err != nil {
		return fmt.Errorf("cost: %w", err)
	}
	if err := reg.Every(c.cfg.Schedules.Hygiene, c.loc, JobHygiene, func(at time.Time) any { return hygienePayload{At: at} }); err != nil {
		return fmt.Errorf("cost: %w", err)
	}
	return nil
}

// Resume does nothing: alerts and the hygiene report are durable jobs and
// records, picked up by the worker and the next scheduled run.
func (c *Costs) Resume(context.Context) error { return nil }

// Commands returns the /plat cost commands.
func (c *Costs) Commands() []*bot.Command {
	return []*bot.Command{
		{
			Name:    "cost",
			Usage:   "<service>",
			Summary: "a service's spend: month to date, last 30 days, breakdown, trend, efficiency, cost per 1,000 requests",
			Help: "Shows the service's OpenCost allocation (joined through its `finops/cost-tag` annotation) with a sparkline of daily spend.\n" +
				"Also: `/plat cost team <team>`, `/plat cost top [n]`, `/plat cost unallocated`.\n" +
				"The last 30 days are the 30 complete UTC days before today; the trend compares them with the 30 days before.",
			Action:   bot.ActionRead,
			Resource: c.serviceResource,
			Handle:   c.handleService,
		},
		{
			Name:    "cost team",
			Usage:   "<team>",
			Summary: "a team's spend across its services, with a sparkline",
			Action:  bot.ActionRead,
			Handle:  c.handleTeam,
		},
		{
			Name:    "cost top",
			Usage:   "[n]",
			Summary: "the services that spent most in the last 30 days (default 10)",
			Action:  bot.ActionRead,
			Handle:  c.handleTop,
		},
		{
			Name:    "cost unallocated",
			Summary: "cost that maps to no catalog entity, and services without a cost tag",
			Action:  bot.ActionRead,
			Handle:  c.handleUnallocated,
		},
		{
			Name:    "cost alerts",
			Usage:   "[team]",
			Summary: "evaluate the cost alert rules now (they also run on a schedule)",
			Action:  bot.ActionAdmin,
			Handle:  c.handleRunAlerts,
		},
	}
}

// serviceResource makes the policy check about the service, when it exists.
func (c *Costs) serviceResource(_ context.Context, req *bot.Request) (bot.Resource, error) {
	res := bot.Resource{Kind: "command", Name: "cost"}
	if arg := strings.Join(req.Args, " "); arg != "" {
		if e, ok := c.deps.Catalog.Get(arg); ok {
			res = bot.Resource{Kind: strings.ToLower(e.Kind), Name: e.Metadata.Name, Ref: e.Ref(), Owner: e.Owner(), Lifecycle: e.Lifecycle(), Tags: e.Metadata.Tags}
		}
	}
	return res, nil
}

// unavailable turns a data outage into the answer the user sees. The
// platform channel is told once per outage, from here as from the alert
// job, so the answer says so only when it has been.
func (c *Costs) unavailable(ctx context.Context, err error) error {
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		return err
	}
	if nerr := c.outageNotice(ctx, ue); nerr != nil {
		c.log.Error("cost outage notice", "err", nerr)
	}
	msg := "⚠️ " + capitalize(ue.Error()) + ". Try again later"
	if _, st, serr := c.sourceRecord(ctx); serr == nil && st.Notified && c.cfg.PlatformChannel != "" {
		msg += "; the platform team has been told in " + c.cfg.PlatformChannel + "."
	} else {
		msg += ", and tell the platform team if it persists."
	}
	return &bot.UserError{Msg: msg}
}

func (c *Costs) handleService(ctx context.Context, req *bot.Request) error {
	arg := strings.TrimSpace(strings.Join(req.Args, " "))
	if arg == "" {
		return bot.Errorf("Which service? Usage: `/plat cost <service>` (also `/plat cost team <team>`, `/plat cost top [n]`).")
	}
	d := c.directory()
	s, err := d.find(c.deps.Catalog, arg)
	if err != nil {
		return err
	}
	if len(s.Tags) == 0 {
		return bot.Errorf("`%s` has no `%s` annotation, so its cost can't be told apart from the rest. Add one to its catalog entity, e.g. `%s: service=%s` (the label its workloads carry).",
			s.Name, catalog.AnnotationCostTag, catalog.AnnotationCostTag, s.Name)
	}
	l, err := c.ledger(ctx, d)
	if err != nil {
		return c.unavailable(ctx, err)
	}
	r := l.report(l.seriesOf(s), c.cfg.FlatPercent)
	r.Subject, r.Ref, r.Team, r.Budget = s.Name, s.Ref, s.Owner, s.Budget
	c.addRequests(ctx, l, s, &r)
	var tags []string
	for _, t := range s.Tags {
		tags = append(tags, t.String())
	}
	owner := s.Owner
	if owner == "" {
		owner = "none"
	}
	footer := fmt.Sprintf("%s · owner %s · cost tag `%s`", s.Ref, owner, strings.Join(tags, ", "))
	if s.SharedWith != "" {
		footer += " (shared with " + s.SharedWith + ", where team totals count it)"
	}
	if u := c.dashboard(s.Name, s.Tags[0].Value, s.Owner); u != "" {
		footer += " · <" + u + "|dashboard>"
	}
	if err := req.Reply(ctx, c.reportMessage(r, footer)); err != nil {
		return fmt.Errorf("reply cost of %s: %w", s.Name, err)
	}
	c.attachChart(ctx, req, s.Name, r.Daily)
	return nil
}

// addRequests fills cost per 1,000 requests when a count is available.
func (c *Costs) addRequests(ctx context.Context, l *Ledger, s *Service, r *Report) {
	if c.deps.Requests == nil {
		r.NoRequestCounter = true
		return
	}
	if r.Last30 <= 0 {
		return
	}
	last := l.lastDays(30)
	start, end := l.Start.Add(time.Duration(last.from)*day), l.Start.Add(time.Duration(last.to)*day)
	n, ok, err := c.deps.Requests.Requests(ctx, s, start, end)
	if err != nil {
		c.log.Warn("request count unavailable", "service", s.Name, "err", err)
		return
	}
	if ok && n > 0 {
		r.Requests, r.Per1K, r.HasRequests = n, r.Last30/(n/1000), true
	}
}

// attachChart uploads the sparkline beside the answer. A failed upload is
// logged, not fatal: the figures were already sent.
func (c *Costs) attachChart(ctx context.Context, req *bot.Request, name string, daily []float64) {
	m := req.Messenger()
	if m == nil || len(daily) == 0 {
		return
	}
	png, err := Sparkline(daily)
	if err != nil {
		c.log.Warn("sparkline", "subject", name, "err", err)
		return
	}
	f := bot.File{
		Name:    fileSafe(name) + "-spend-30d.png",
		Title:   "Daily spend of " + name + ", last 30 days",
		Content: png,
		Comment: fmt.Sprintf("Daily spend of %s, last 30 days (%s … %s a day)", name, c.money(minOf(daily)), c.money(maxOf(daily))),
	}
	if err := m.Upload(ctx, req.Channel, req.ThreadTS, f); err != nil {
		c.log.Warn("sparkline upload failed", "subject", name, "channel", req.Channel, "err", err)
	}
}

func (c *Costs) handleTeam(ctx context.Context, req *bot.Request) error {
	arg := strings.TrimSpace(strings.Join(req.Args, " "))
	if arg == "" {
		return bot.Errorf("Which team? Usage: `/plat cost team <team>`.")
	}
	ref := catalog.NormalizeRef(arg, catalog.KindGroup, catalog.DefaultNamespace)
	if err := c.authorizeTeam(ctx, req, ref); err != nil {
		return err
	}
	d := c.directory()
	svcs := d.ofTeam(ref)
	if len(svcs) == 0 {
		if _, ok := c.deps.Catalog.Get(ref); !ok {
			return bot.Errorf("I can't find the team `%s` in the catalog.", bot.UserText(arg))
		}
		var untagged []string
		for _, e := range c.deps.Catalog.OwnedBy(ref) {
			untagged = append(untagged, "`"+e.Metadata.Name+"`")
		}
		msg := fmt.Sprintf("`%s` owns no service with a `%s` annotation, so there is no cost to show.", bot.UserText(ref), catalog.AnnotationCostTag)
		if len(untagged) > 0 {
			msg += " Its entities: " + strings.Join(untagged, ", ") + "."
		}
		return bot.Errorf("%s", msg)
	}
	l, err := c.ledger(ctx, d)
	if err != nil {
		return c.unavailable(ctx, err)
	}
	var ss []*series
	var prefixes []string
	var lines []ServiceSpend
	for _, s := range svcs {
		for _, x := range l.ownedSeriesOf(s) {
			ss = append(ss, x)
			prefixes = append(prefixes, s.Name)
		}
		lines = append(lines, l.serviceSpend(s, c.cfg.FlatPercent))
	}
	rank(lines)
	r := l.report(ss, c.cfg.FlatPercent)
	_, _, name := catalog.ParseRef(ref, catalog.KindGroup, catalog.DefaultNamespace)
	r.Subject, r.Ref, r.Team, r.Services, r.Budget = name, ref, ref, lines, d.teamBudgets[ref]
	r.Workloads = topShares(l.workloadTotals(ss, prefixes, l.lastDays(30), nil), 3)
	footer := fmt.Sprintf("%s · %d services with cost tags", ref, len(svcs))
	if u := c.dashboard("", "", ref); u != "" {
		footer += " · <" + u + "|dashboard>"
	}
	if err := req.Reply(ctx, c.reportMessage(r, footer)); err != nil {
		return fmt.Errorf("reply cost of %s: %w", ref, err)
	}
	c.attachChart(ctx, req, name, r.Daily)
	return nil
}

// authorizeTeam checks read access to the team's cost.
func (c *Costs) authorizeTeam(ctx context.Context, req *bot.Request, ref string) error {
	if c.router == nil {
		return nil
	}
	_, _, name := catalog.ParseRef(ref, catalog.KindGroup, catalog.DefaultNamespace)
	return c.router.Authorize(ctx, req, bot.ActionRead, bot.Resource{Kind: "group", Name: name, Ref: ref, Owner: ref})
}

func (c *Costs) handleTop(ctx context.Context, req *bot.Request) error {
	n := 10
	if a := req.Arg(0); a != "" {
		v, err := strconv.Atoi(a)
		if err != nil || v < 1 || v > 50 {
			return bot.Errorf("`%s` is not a count: use `/plat cost top [n]` with n from 1 to 50.", bot.UserText(a))
		}
		n = v
	}
	d := c.directory()
	l, err := c.ledger(ctx, d)
	if err != nil {
		return c.unavailable(ctx, err)
	}
	lines := make([]ServiceSpend, 0, len(d.rollup))
	for _, s := range d.rollup {
		lines = append(lines, l.serviceSpend(s, c.cfg.FlatPercent))
	}
	rank(lines)
	if err := req.Reply(ctx, c.topMessage(lines, n, hygiene(l, d).Unclaimed, l)); err != nil {
		return fmt.Errorf("reply top services: %w", err)
	}
	return nil
}

func (c *Costs) handleUnallocated(ctx context.Context, req *bot.Request) error {
	h, err := c.Hygiene(ctx)
	if err != nil {
		return c.unavailable(ctx, err)
	}
	if err := req.Reply(ctx, c.hygieneMessage(h)); err != nil {
		return fmt.Errorf("reply unallocated cost: %w", err)
	}
	return nil
}

func (c *Costs) handleRunAlerts(ctx context.Context, req *bot.Request) error {
	team := ""
	if a := strings.TrimSpace(strings.Join(req.Args, " ")); a != "" {
		team = catalog.NormalizeRef(a, catalog.KindGroup, catalog.DefaultNamespace)
	}
	posted, err := c.RunAlerts(ctx, team, nil)
	if err != nil {
		return c.unavailable(ctx, err)
	}
	scope := "every team"
	if team != "" {
		scope = team
	}
	return req.Replyf(ctx, "Cost alerts evaluated for %s: %d new alert%s posted (conditions already posted, acknowledged or snoozed are not repeated).", scope, posted, plural(posted))
}

// alertJobs is the alert job: one cron entry in the default time zone for
// every team without a zone of its own, and one per team with a zone (job
// kind JobAlerts + "@" + team ref), each running RunAlerts for its teams.
func (c *Costs) alertJobs() (bot.PerTeam, error) {
	keys := make([]string, 0, len(c.cfg.Teams))
	for k := range c.cfg.Teams {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var own []bot.TeamSchedule
	for _, k := range keys {
		tz := c.cfg.Teams[k].Timezone
		if tz == "" {
			continue
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return bot.PerTeam{}, fmt.Errorf("cost: team %s: %w", k, err)
		}
		own = append(own, bot.TeamSchedule{Team: catalog.NormalizeRef(k, catalog.KindGroup, catalog.DefaultNamespace), Location: loc})
	}
	return bot.PerTeam{
		Kind: JobAlerts, Spec: c.cfg.Schedules.Alerts, Location: c.loc, Teams: own,
		Run: func(ctx context.Context, run bot.TeamRun) error {
			_, err := c.RunAlerts(ctx, run.Team, run.Exclude)
			return err
		},
	}, nil
}

func (c *Costs) hygieneJob(ctx context.Context, payload json.RawMessage) error {
	var p hygienePayload
	if len(payload) > 0 && string(payload) != "null" {
		if err := json.Unmarshal(payload, &p); err != nil {
			return bot.Permanent(fmt.Errorf("decode cost hygiene payload: %w", err))
		}
	}
	return c.postHygiene(ctx, p.At)
}

// handleAction handles Snooze 7 days and Acknowledge. The change is a
// compare-and-swap retried on a lost race (store.Typed.Modify); the clicker
// is authorized once, on the first read.
func (c *Costs) handleAction(ctx context.Context, req *bot.Request, a bot.Action) error {
	if a.ID != ActionSnooze && a.ID != ActionAck {
		return bot.Errorf("This button is no longer supported.")
	}
	id := a.Value
	var (
		authorized bool
		already    string // the reply when the click changes nothing
		verb       string
		loc        *time.Location
	)
	it, err := c.alerts().Modify(ctx, id, func(it *store.Item[alertState], exists bool) error {
		if !exists {
			return bot.Errorf("This cost alert is no longer tracked.")
		}
		st := &it.Value
		if !authorized && c.router != nil {
			// Members of the alert's team (and admins) may snooze or
			// acknowledge it: the default policy allows scaffold on a
			// resource owned by one of your teams.
			res := bot.Resource{Kind: "cost-alert", Name: st.Subject, Ref: st.SubjectRef, Owner: st.Team}
			if err := c.router.Authorize(ctx, req, bot.ActionScaffold, res); err != nil {
				return err
			}
			authorized = true
		}
		loc = c.teamLocation(st.Team)
		now := c.now()
		switch a.ID {
		case ActionSnooze:
			if now.Before(st.SnoozedUntil) {
				already = fmt.Sprintf("Already snoozed by %s until %s.", mention(st.SnoozedBy), st.SnoozedUntil.In(loc).Format("Mon 2 Jan 15:04 MST"))
				return store.ErrNoChange
			}
			st.SnoozedUntil, st.SnoozedBy, it.State, verb = now.Add(SnoozeFor), req.User.ID, stateSnoozed, "snooze"
		case ActionAck:
			if it.State == stateAcked {
				already = fmt.Sprintf("Already acknowledged by %s.", mention(st.AckedBy))
				return store.ErrNoChange
			}
			st.AckedBy, st.AckedAt, it.State, verb = req.User.ID, now, stateAcked, "acknowledge"
		}
		it.Owner, it.Key = st.Team, st.SubjectRef
		return nil
	})
	if err != nil {
		var ue *bot.UserError
		if errors.As(err, &ue) {
			return err
		}
		if verb == "" {
			return fmt.Errorf("cost alert %s: %w", id, err)
		}
		return fmt.Errorf("%s cost alert %s: %w", verb, id, err)
	}
	if already != "" {
		return req.Reply(ctx, bot.Message{Text: already})
	}
	st := &it.Value
	ref := a.Message
	if ref.Zero() {
		ref = st.Message
	}
	if m := req.Messenger(); m != nil && !ref.Zero() {
		if err := m.Update(ctx, ref, alertMessage(id, st, it.State, loc)); err != nil {
			c.log.Warn("cost alert message not updated", "alert", id, "err", err)
		}
	}
	c.audit(ctx, store.Event{
		ActorID: req.User.ID, ActorName: req.User.Name, Action: "cost.alert." + verb, Target: st.SubjectRef, Outcome: "ok",
		Details: map[string]any{"rule": st.Rule, "until": st.SnoozedUntil, "request": req.ID},
	})
	return nil
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v[1:] {
		m = min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v[1:] {
		m = max(m, x)
	}
	return m
}
