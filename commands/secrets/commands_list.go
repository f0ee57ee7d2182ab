package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// ---- /plat secret list ----

// listed is one row of /plat secret list.
type listed struct {
	Target
	info *KVInfo
	sec  *Secret
}

func (s *Secrets) handleList(ctx context.Context, req *bot.Request) error {
	e, err := s.service(req.Arg(0))
	if err != nil {
		return err
	}
	if err := s.router.Authorize(ctx, req, bot.ActionRead, catalog.ResourceOf(e)); err != nil {
		return err
	}
	rows, err := s.list(ctx, e)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("%s at `%s/%s/%s/…`", s.storeLabel(), s.kv.Mount(), teamOf(e), e.Metadata.Name)
	if len(rows) == 0 {
		return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("%s has no secrets in the %s. `/plat secret add %s` adds one.", e.Metadata.Name, where, e.Metadata.Name)})
	}
	blocks := []bot.Block{bot.Header{Text: "Secrets of " + e.Metadata.Name}}
	lines := []string{"Secrets of " + e.Metadata.Name + ":"}
	const maxRows = 45 // Slack allows 50 blocks
	for i, r := range rows {
		if i == maxRows {
			blocks = append(blocks, bot.Context{Text: fmt.Sprintf("…and %d more.", len(rows)-maxRows)})
			break
		}
		text := describeRow(r)
		lines = append(lines, "• "+text)
		blocks = append(blocks, bot.Section{Text: text, Accessory: &bot.Button{
			ActionID: "secrets:rotate", Text: "Rotate", Value: r.ServiceRef + " " + r.Env + " " + r.Name,
			Confirm: fmt.Sprintf("Rotate %s in %s? %s", r.Name, r.Env, rotateHint(r)),
		}})
	}
	blocks = append(blocks, bot.Context{Text: "Values are never shown. Stored in the " + where + ". `/plat secret history " + e.Metadata.Name + " <NAME>` shows who changed what."})
	return req.Reply(ctx, bot.Message{Text: strings.Join(lines, "\n"), Blocks: blocks})
}

func teamOf(e *catalog.Entity) string {
	_, _, team := catalog.ParseRef(e.Owner(), catalog.KindGroup, catalog.DefaultNamespace)
	return team
}

func (r listed) generated() bool { return r.info.GeneratedBy != "" || r.sec != nil && r.sec.Generated }

func rotateHint(r listed) string {
	if r.generated() {
		return "A new random value is generated and written to Vault right away."
	}
	return "You get a one-time link to enter the new value."
}

func describeRow(r listed) string {
	parts := []string{fmt.Sprintf("*%s* · `%s` · v%d", r.Name, r.Env, r.info.Version)}
	when, who := r.info.Updated, ""
	if r.sec != nil {
		switch {
		case !r.sec.Rotated.IsZero():
			when, who = r.sec.Rotated, r.sec.RotatedBy.String()
		case !r.sec.Created.IsZero():
			when, who = r.sec.Created, r.sec.CreatedBy.String()
		}
	}
	if who == "" && r.info.GeneratedBy != "" {
		who = "golden path run " + r.info.GeneratedBy
	}
	last := "last written " + formatTime(when)
	if who != "" {
		last += " by " + who
	}
	parts = append(parts, last)
	if r.generated() {
		parts = append(parts, "generated")
	}
	text := strings.Join(parts, " · ")
	if r.sec != nil && r.sec.Description != "" {
		text += "\n_" + bot.UserText(r.sec.Description).Mrkdwn() + "_"
	}
	return text
}

// list returns the secrets of a service in every configured environment,
// from the KV store's listing (so secrets written by golden paths show too).
func (s *Secrets) list(ctx context.Context, e *catalog.Entity) ([]listed, error) {
	var out []listed
	for _, env := range s.cfg.Environments {
		base, err := s.targetOf(e, env, "x", false)
		if err != nil {
			return nil, err
		}
		dir := base.Team + "/" + base.Service + "/" + env
		names, err := s.kv.List(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("list %s in the %s: %w", dir, s.storeLabel(), err)
		}
		for _, n := range names {
			if strings.HasSuffix(n, "/") || !existingNameRe.MatchString(n) {
				continue
			}
			t := base
			t.Name, t.Path = n, dir+"/"+n
			info, err := s.kv.Info(ctx, t.Path)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read %s in the %s: %w", t.Path, s.storeLabel(), err)
			}
			if info.Deleted {
				continue
			}
			sec, err := s.loadSecret(ctx, t.Path)
			if err != nil {
				return nil, err
			}
			out = append(out, listed{Target: t, info: info, sec: sec})
		}
	}
	return out, nil
}
