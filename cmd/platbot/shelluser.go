package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// checkDefaults refuses to start on the built-in defaults away from the
// examples they read, before anything is created on disk.
func checkDefaults(cfg *Config) error {
	if cfg.path != "" {
		return nil
	}
	if _, err := os.Stat("examples"); err != nil {
		return fmt.Errorf("the embedded defaults (example catalog, templates, checks and cost data) live in the repository's examples/ folder, "+
			"which is not in %s: run platbot from the repository root, or give it a platbot.yaml (PLATBOT_CONFIG) naming your own catalog and data", mustWd())
	}
	return nil
}

func mustWd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "the current folder"
	}
	return wd
}

// shellUser maps the shell's --as (a catalog user name, Slack id or email)
// to a chat user, so the shell speaks as someone the catalog knows. An
// unknown name is refused with a suggestion rather than silently becoming a
// user with no roles.
func (a *App) shellUser(ctx context.Context, as string) (bot.User, error) {
	cat := a.feats.catalog
	if as == "" {
		as = defaultShellUser(cat)
		if as == "" {
			return bot.User{ID: "shell-user", Name: "shell-user"}, nil
		}
	}
	e, ok := cat.Lookup(as, catalog.KindUser)
	if !ok || e.Kind != catalog.KindUser {
		ok = false
		for _, u := range cat.List(catalog.KindUser) {
			if u.Annotation(catalog.AnnotationSlackUserID) == as || strings.EqualFold(userEmail(u), as) {
				e, ok = u, true
				break
			}
		}
	}
	if !ok {
		msg := fmt.Sprintf("--as %s: no catalog user has that name, Slack id or email", as)
		var close []string
		for _, u := range cat.List(catalog.KindUser) {
			if strings.HasPrefix(u.Metadata.Name, strings.ToLower(as)) {
				close = append(close, u.Metadata.Name)
			}
		}
		if len(close) == 0 {
			if s := cat.Suggest(as, catalog.KindUser); s != "" {
				close = append(close, s)
			}
		}
		if len(close) > 0 {
			msg += "; did you mean " + strings.Join(close, " or ") + "?"
		}
		return bot.User{}, fmt.Errorf("%s (users are listed by /plat team <team>, or in the catalog files)", msg)
	}
	u := bot.User{ID: e.Annotation(catalog.AnnotationSlackUserID), Name: e.Metadata.Name, Email: userEmail(e)}
	if p, ok := e.Spec["profile"].(map[string]any); ok {
		if dn, ok := p["displayName"].(string); ok && dn != "" {
			u.Name = dn
		}
	}
	if u.ID == "" {
		u.ID = e.Metadata.Name
	}
	return u, nil
}

func userEmail(e *catalog.Entity) string {
	if p, ok := e.Spec["profile"].(map[string]any); ok {
		if em, ok := p["email"].(string); ok {
			return em
		}
	}
	return ""
}

// defaultShellUser is the first member of the first non-admin team, so a
// newcomer can scaffold for a team right away.
func defaultShellUser(cat *catalog.Catalog) string {
	admin := map[string]bool{}
	for _, g := range cat.Config().AdminGroups {
		admin[strings.ToLower(catalog.NormalizeRef(g, catalog.KindGroup, catalog.DefaultNamespace))] = true
	}
	for _, g := range cat.List(catalog.KindGroup) {
		if admin[g.Ref()] || g.Type() != "team" {
			continue
		}
		if ms := cat.Members(g.Ref()); len(ms) > 0 {
			return ms[0].Metadata.Name
		}
	}
	return ""
}
