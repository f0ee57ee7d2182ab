package scorecard

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

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
	slices.Sort(out)
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
