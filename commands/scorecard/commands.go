package scorecard

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// Job kinds.
const (
	JobRefresh   = "scorecard.refresh"
	JobDigestOrg = "scorecard.digest.org"
	// JobDigestDefault digests every team without a schedule of its own.
	JobDigestDefault = "scorecard.digest.default"
	// JobDigestTeam prefixes the digest job of a team with its own schedule
	// ("scorecard.digest.team:group:default/payments").
	JobDigestTeam = "scorecard.digest.team:"
	JobGate       = "scorecard.gate"
)

// digestJob is the payload of the refresh and org digest jobs: the
// scheduled time fixes the week, so a retry on another day still digests
// the same week. (Team digests run as bot.PerTeam jobs, whose bot.TeamRun
// payload has the same "at".)
type digestJob struct {
	At time.Time `json:"at"`
}

// Register adds the scorecard commands, the waiver buttons (prefix
// "scorecard"), the jobs, and the cron entries: the daily history refresh,
// the org digest, and the team digests as one per-team job (bot.PerTeam):
// one entry for the teams on the default schedule and one per team with a
// schedule of its own.
func (s *Scorecards) Register(reg *bot.Registry) error {
	r := reg.Router()
	s.mu.Lock()
	s.router = r
	s.mu.Unlock()
	s.waivers.SetRouter(waiverAudit{r})

	reg.Commands(s.Commands()...)
	reg.Action(ActionPrefix, s.handleAction)
	reg.Job(JobRefresh, s.refreshJob)
	reg.Job(JobWaiverExpire, s.expireWaiver)
	reg.Job(JobGate, s.gateJob)
	reg.Job(JobDigestOrg, func(ctx context.Context, p json.RawMessage) error {
		at, err := decodeDigestJob(p)
		if err != nil {
			return err
		}
		return s.digest(ctx, nil, true, at, deliveryOptions{})
	})
	payload := func(at time.Time) any { return digestJob{At: at} }
	defLoc, err := time.LoadLocation(s.cfg.Digest.Timezone)
	if err != nil {
		return fmt.Errorf("scorecard: digest time zone: %w", err)
	}
	if err := reg.Every(s.cfg.Refresh, defLoc, JobRefresh, payload); err != nil {
		return fmt.Errorf("scorecard: %w", err)
	}
	if s.cfg.PlatformChannel != "" {
		if err := reg.Every(s.cfg.Digest.Schedule, defLoc, JobDigestOrg, payload); err != nil {
			return fmt.Errorf("scorecard: %w", err)
		}
	}
	digests := bot.PerTeam{
		Kind: JobDigestDefault, Spec: s.cfg.Digest.Schedule, Location: defLoc,
		TeamKind: func(team string) string { return JobDigestTeam + team },
		Run: func(ctx context.Context, run bot.TeamRun) error {
			teams := []string{run.Team}
			if run.Team == "" {
				teams = s.defaultScheduleTeams()
			}
			return s.digest(ctx, teams, false, run.At, deliveryOptions{})
		},
	}
	for _, team := range slices.Sorted(maps.Keys(s.cfg.Teams)) {
		tc := s.cfg.Teams[team]
		if tc.Skip || !tc.ownSchedule() {
			continue
		}
		spec, loc, err := s.teamSchedule(team)
		if err != nil {
			return err
		}
		digests.Teams = append(digests.Teams, bot.TeamSchedule{Team: team, Spec: spec, Location: loc})
	}
	if err := reg.PerTeam(digests); err != nil {
		return fmt.Errorf("scorecard: %w", err)
	}
	return nil
}

func (tc TeamConfig) ownSchedule() bool { return tc.Schedule != "" || tc.Timezone != "" }

// teamSchedule returns a team's digest cron spec and zone.
func (s *Scorecards) teamSchedule(team string) (string, *time.Location, error) {
	tc := s.cfg.Teams[team]
	spec, tz := s.cfg.Digest.Schedule, s.cfg.Digest.Timezone
	if tc.Schedule != "" {
		spec = tc.Schedule
	}
	if tc.Timezone != "" {
		tz = tc.Timezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return "", nil, fmt.Errorf("scorecard: team %s: time zone %q: %w", team, tz, err)
	}
	return spec, loc, nil
}

func decodeDigestJob(p json.RawMessage) (time.Time, error) {
	var j digestJob
	if err := json.Unmarshal(p, &j); err != nil {
		return time.Time{}, bot.Permanent(fmt.Errorf("decode digest job: %w", err))
	}
	return j.At, nil
}

// Commands returns the scorecard commands.
func (s *Scorecards) Commands() []*bot.Command {
	return []*bot.Command{
		{
			Name: "scorecard", Usage: "<service>", Action: bot.ActionRead,
			Summary: "Show a service's scorecard: grade, checks and how to fix them",
			Help: "Each check shows pass, fail, unknown (a fact could not be read) or waived, with how to fix it.\n" +
				"See also `/plat scorecard team <team>`, `/plat scorecard org [--by team|lifecycle|system]`, " +
				"`/plat scorecard gate <service>`, `/plat scorecard waive`, `/plat scorecard checks`.\n" + GradeRule,
			Handle: s.handleService,
		},
		{
			Name: "scorecard team", Usage: "[team]", Action: bot.ActionRead,
			Summary: "Scorecards of a team's services (your team when omitted)",
			Handle:  s.handleTeam,
		},
		{
			Name: "scorecard org", Usage: "[--by team|lifecycle|system]", Action: bot.ActionRead, Flags: []string{"by"},
			Summary: "Grade distribution across the organisation",
			Handle:  s.handleOrg,
		},
		{
			Name: "scorecard gate", Usage: "<service>", Action: bot.ActionRead,
			Summary: "Would the service pass the production gate (grade ≥ B on required checks, none unknown)?",
			Handle:  s.handleGate,
		},
		{
			Name: "scorecard waive", Usage: "<service> <check> --days N --reason \"...\"", Action: bot.ActionScaffold, Flags: []string{"days", "reason"},
			Summary: "Ask the platform admins to waive a check for a while",
			Help: "Members of the team that owns the service may ask (and platform admins). " +
				"An approved waiver counts the check as passing until it expires. Platform admins decide in the admin channel.",
			Resource: s.serviceResource,
			Handle:   s.handleWaive,
		},
		{
			Name: "scorecard checks", Action: bot.ActionRead,
			Summary: "List the scorecard checks, their phases, and checks that failed to load",
			Handle:  s.handleChecks,
		},
	}
}

// serviceResource makes the policy check of `waive` about the component.
// The command needs bot.ActionScaffold with the component's owner as the
// resource owner: the default policy allows that to members of the owning
// team and to admins, while deciding a waiver stays bot.ActionAdmin.
func (s *Scorecards) serviceResource(_ context.Context, req *bot.Request) (bot.Resource, error) {
	e, err := s.findService(req.Arg(0))
	if err != nil {
		return bot.Resource{}, err
	}
	return bot.Resource{Kind: "component", Name: e.Metadata.Name, Ref: e.Ref(), Owner: e.Owner(),
		Lifecycle: e.Lifecycle(), Tags: e.Metadata.Tags}, nil
}

func (s *Scorecards) handleService(ctx context.Context, req *bot.Request) error {
	r, err := s.Score(ctx, req.Arg(0))
	if err != nil {
		return err
	}
	before, err := s.lastWeek(ctx, s.now())
	if err != nil {
		s.log.Warn("no grade history for scorecard", "err", err)
	}
	var b *historyValue
	if v, ok := before[r.Ref]; ok {
		b = &v
	}
	return req.Reply(ctx, serviceMessage(r, b))
}

// teamRef resolves a team argument, or the requester's team.
func (s *Scorecards) teamRef(ctx context.Context, req *bot.Request) (string, error) {
	if arg := req.Arg(0); arg != "" {
		ref := catalog.NormalizeRef(arg, catalog.KindGroup, catalog.DefaultNamespace)
		if _, ok := s.cat.Get(ref); ok || len(s.teamServices(ref)) > 0 {
			return ref, nil
		}
		var names []string
		for _, t := range s.teams() {
			names = append(names, shortRef(t))
		}
		msg := fmt.Sprintf("I can't find a team called `%s`.", arg)
		if c := bot.Closest(arg, names); c != "" {
			msg += fmt.Sprintf(" Did you mean `%s`?", c)
		}
		return "", bot.Errorf("%s", msg)
	}
	id, err := s.cat.Identify(ctx, req.User)
	if err != nil {
		return "", fmt.Errorf("identify %s: %w", req.User.ID, err)
	}
	if id == nil || id.Team() == "" {
		return "", bot.Errorf("I don't know your team. Usage: `/plat scorecard team <team>`.")
	}
	return id.Team(), nil
}

// teams returns the groups that own scored services, sorted.
func (s *Scorecards) teams() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range s.scored() {
		if o := e.Owner(); o != "" && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Scorecards) teamServices(team string) []*catalog.Entity {
	var out []*catalog.Entity
	for _, e := range s.scored() {
		if e.Owner() == team {
			out = append(out, e)
		}
	}
	return out
}

func (s *Scorecards) handleTeam(ctx context.Context, req *bot.Request) error {
	team, err := s.teamRef(ctx, req)
	if err != nil {
		return err
	}
	now := s.now()
	rs, err := s.scoreEntities(ctx, s.teamServices(team), now)
	if err != nil {
		return err
	}
	before, err := s.lastWeek(ctx, now)
	if err != nil {
		s.log.Warn("no grade history for team scorecard", "err", err)
	}
	return req.Reply(ctx, teamMessage(team, rs, before, s.cfg.Digest.TopGaps))
}

func (s *Scorecards) handleOrg(ctx context.Context, req *bot.Request) error {
	by := strings.ToLower(strings.TrimSpace(req.Flags["by"]))
	if by == "" {
		by = ByTeam
	}
	if by != ByTeam && by != ByLifecycle && by != BySystem {
		return bot.Errorf("`--by` takes team, lifecycle or system, not `%s`.", by)
	}
	now := s.now()
	rs, err := s.ScoreAll(ctx, now)
	if err != nil {
		return err
	}
	return req.Reply(ctx, orgMessage(rs, []string{by}, now))
}

func (s *Scorecards) handleChecks(ctx context.Context, req *bot.Request) error {
	now := s.now()
	var lines []string
	for _, c := range s.checks.Checks {
		line := fmt.Sprintf("• `%s` *%s* · %s · %s", c.ID, c.Title, c.Severity, c.Phase.At(now))
		if next, ok := c.Phase.Next(now); ok {
			line += fmt.Sprintf(" (%s from %s)", next.Phase, next.From.Format("2006-01-02"))
		}
		if c.UnknownPasses() {
			line += " · unknownAs: pass (the gate lets it pass while unknown)"
		}
		line += "\n      `" + c.Rule + "`"
		if c.Filter != "" {
			line += " when `" + c.Filter + "`"
		}
		lines = append(lines, line)
	}
	blocks := []bot.Block{bot.Header{Text: "Scorecard checks"}}
	blocks = append(blocks, sections(lines)...)
	text := strings.Join(lines, "\n")
	if len(s.checks.Errors) > 0 {
		var bad []string
		for _, e := range s.checks.Errors {
			bad = append(bad, "⚠️ "+e.Error())
		}
		blocks = append(blocks, sections(append([]string{"*Checks that did not load* (the others run):"}, bad...))...)
		text += "\nChecks that did not load:\n" + strings.Join(bad, "\n")
	}
	blocks = append(blocks, bot.Context{Text: GradeRule})
	return req.Reply(ctx, bot.Message{Text: text, Blocks: blocks})
}

// refreshJob grades every service and records the grades as history.
func (s *Scorecards) refreshJob(ctx context.Context, p json.RawMessage) error {
	at, err := decodeDigestJob(p)
	if err != nil {
		return err
	}
	if at.IsZero() {
		at = s.now()
	}
	rs, err := s.ScoreAll(ctx, at)
	if err != nil {
		return err
	}
	if err := s.recordHistory(ctx, rs, at); err != nil {
		return err
	}
	s.audit(ctx, store.Event{ActorID: "platbot", Action: "scorecard.refresh", Outcome: "ok", Details: map[string]any{"services": len(rs)}})
	return nil
}
