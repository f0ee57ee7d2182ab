package secrets

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// ---- /plat secret history ----

// historyScanLimit caps how many audit events one query of
// /plat secret history reads (newest first): the audit log cannot be
// filtered by target in the query, so the cap bounds the work.
var historyScanLimit = 5000

// historyMaxLines is how many lines /plat secret history shows.
const historyMaxLines = 30

// historyEntry is one line of a secret's history.
type historyEntry struct {
	seq  int64
	line string
}

func (s *Secrets) handleHistory(ctx context.Context, req *bot.Request) error {
	if len(req.Args) < 2 {
		return bot.Errorf("Usage: `/plat secret history <service> <NAME> [environment]`.")
	}
	e, err := s.service(req.Arg(0))
	if err != nil {
		return err
	}
	if err := s.router.Authorize(ctx, req, bot.ActionRead, catalog.ResourceOf(e)); err != nil {
		return err
	}
	name, env := req.Arg(1), req.Arg(2)
	if !existingNameRe.MatchString(name) {
		return bot.Errorf("`%s` is not a secret name.", bot.UserText(name))
	}
	entries, truncated, err := s.history(ctx, e, name, env)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		text := fmt.Sprintf("The audit log has nothing about `%s` of %s yet.", name, e.Metadata.Name)
		if truncated {
			text = fmt.Sprintf("The newest %d events of the audit log have nothing about `%s` of %s; older ones are in `platbot audit`.", historyScanLimit, name, e.Metadata.Name)
		}
		return req.Reply(ctx, bot.Message{Text: text})
	}
	lines := make([]string, len(entries))
	for i, en := range entries {
		lines[i] = en.line
	}
	title := fmt.Sprintf("History of %s (%s), newest first", name, e.Metadata.Name)
	foot := "From the audit log. Values are never recorded."
	if truncated || len(entries) == historyMaxLines {
		foot += " Older entries: `platbot audit`."
	}
	return req.Reply(ctx, bot.Message{
		Text:   title + ":\n" + strings.Join(lines, "\n") + "\n" + foot,
		Blocks: []bot.Block{bot.Header{Text: title}, bot.Section{Text: strings.Join(lines, "\n")}, bot.Context{Text: foot}},
	})
}

// history reads the audit trail of one secret (every environment, or env):
// this feature's secrets.* events, and the golden paths' writes of the
// path (a paths.step event of a vault:kv step, whose output names the
// path). Each query reads at most historyScanLimit events, newest first;
// truncated says a query hit the cap.
func (s *Secrets) history(ctx context.Context, e *catalog.Entity, name, env string) ([]historyEntry, bool, error) {
	team := teamOf(e)
	prefix := "secret:" + team + "/" + e.Metadata.Name + "/"
	kvPrefix := s.kv.Mount() + "/" + team + "/" + e.Metadata.Name + "/"
	var out []historyEntry
	truncated := false

	events, err := s.store.AuditEvents(ctx, store.AuditFilter{Action: "secrets.*"}, historyScanLimit)
	if err != nil {
		return nil, false, fmt.Errorf("read the audit log: %w", err)
	}
	truncated = truncated || len(events) >= historyScanLimit
	for _, ev := range events {
		if ev.Action == "secrets.sealing" {
			continue // the intent; its outcome has its own event
		}
		rest, ok := strings.CutPrefix(ev.Target, prefix)
		if !ok {
			continue
		}
		evEnv, evName, ok := strings.Cut(rest, "/")
		if !ok || evName != name || (env != "" && evEnv != env) {
			continue
		}
		out = append(out, historyEntry{seq: ev.Seq, line: historyLine(ev, evEnv)})
	}

	steps, err := s.store.AuditEvents(ctx, store.AuditFilter{Action: "paths.step"}, historyScanLimit)
	if err != nil {
		return nil, false, fmt.Errorf("read the audit log: %w", err)
	}
	truncated = truncated || len(steps) >= historyScanLimit
	for _, ev := range steps {
		path, created, ok := pathsWrite(ev)
		if !ok || !created {
			continue
		}
		rest, ok := strings.CutPrefix(path, kvPrefix)
		if !ok {
			continue
		}
		evEnv, evName, ok := strings.Cut(rest, "/")
		if !ok || evName != name || (env != "" && evEnv != env) {
			continue
		}
		out = append(out, historyEntry{seq: ev.Seq, line: pathsHistoryLine(ev, evEnv)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq > out[j].seq })
	if len(out) > historyMaxLines {
		out = out[:historyMaxLines]
	}
	return out, truncated, nil
}

// pathsWrite reads a golden path's "paths.step" audit event: the KV path a
// successful vault:kv step wrote (mount-qualified) and whether it created
// the secret (false when the step found it already written).
func pathsWrite(ev store.Event) (path string, created, ok bool) {
	if ev.Outcome != "ok" || fmt.Sprint(ev.Details["action"]) != "vault:kv" {
		return "", false, false
	}
	out, _ := ev.Details["output"].(map[string]any)
	path, _ = out["path"].(string)
	if path == "" {
		return "", false, false
	}
	created = true
	if c, isBool := out["created"].(bool); isBool {
		created = c
	}
	return path, created, true
}

func who(ev store.Event) string {
	if ev.ActorName == "" || ev.ActorName == ev.ActorID {
		return ev.ActorID
	}
	return ev.ActorName + " (" + ev.ActorID + ")"
}

func pathsHistoryLine(ev store.Event, env string) string {
	run := fmt.Sprint(ev.Details["run"])
	tmpl := strings.TrimPrefix(ev.Target, "template:")
	return fmt.Sprintf("• %s · `%s` · generated by golden path `%s` (run %s) for %s → version 1",
		ev.Time.UTC().Format("2006-01-02 15:04:05 UTC"), env, tmpl, run, who(ev))
}

func historyLine(ev store.Event, env string) string {
	w := who(ev)
	d := ev.Details
	str := func(k string) string {
		if v, ok := d[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	recovered := ""
	if str("recovered") == "true" {
		recovered = " (recorded after an interruption)"
	}
	var what string
	switch ev.Action {
	case "secrets.link":
		what = fmt.Sprintf("one-time link (%s) sent to %s", str("op"), w)
	case "secrets.sealed":
		what = fmt.Sprintf("value sealed through the link of %s → version %s%s", w, str("version"), recovered)
	case "secrets.regenerated":
		what = fmt.Sprintf("regenerated by %s → version %s%s", w, str("version"), recovered)
	case "secrets.refused":
		what = fmt.Sprintf("refused (%s) for the link of %s", str("reason"), w)
		if ev.ActorID == "anonymous" {
			what = fmt.Sprintf("refused (%s): a forged or damaged link", str("reason"))
		}
	case "secrets.reconciled":
		what = fmt.Sprintf("an interrupted %s of %s wrote nothing", opNoun(str("op")), w)
	case "secrets.pr":
		what = "pull request " + str("url")
		if ev.Outcome == "error" {
			what = "the pull request could not be opened"
		} else if str("url") == "" {
			what = "no pull request needed"
		}
	default:
		what = ev.Action + " by " + w
	}
	return fmt.Sprintf("• %s · `%s` · %s", ev.Time.UTC().Format("2006-01-02 15:04:05 UTC"), env, what)
}
