package hygiene

import (
	"fmt"
	"strings"

	"github.com/platbot/platbot/bot"
)

// Button action ids.
const (
	actionKeep      = ActionPrefix + ":keep"
	actionDeprecate = ActionPrefix + ":deprecate"
	actionDelete    = ActionPrefix + ":delete"
	actionApprove   = ActionPrefix + ":approve"
	actionDeny      = ActionPrefix + ":deny"
)

// perMessage is how many findings one report message lists (two blocks
// each, within Slack's 50 blocks).
const perMessage = 15

// maxSkippedShown is how many skipped locations a summary names.
const maxSkippedShown = 40

var kindTitles = map[string]string{
	KindOrphan:          "Orphaned",
	KindUnresolvedOwner: "Owner not in the catalog",
	KindOwnerLeft:       "Owner left",
	KindNoDeploy:        "No deploy in a year",
	KindDeprecatedInUse: "Deprecated but still used",
	KindConventions:     "Missing conventions",
}

// reportMessages renders a report for one channel: the summary (with the
// skipped locations), then the findings a few per message, each with
// Keep, Deprecate and Delete where they apply. At most max findings are
// listed; the rest are counted.
func reportMessages(res *Result, listed []Listed, team string, max int) []bot.Message {
	counts := map[string]int{}
	for _, l := range listed {
		counts[l.Kind]++
	}
	title := "Catalog hygiene report"
	if team != "" {
		title += " for " + shortRef(team)
	}
	var parts []string
	for _, k := range Kinds {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d", kindTitles[k], counts[k]))
		}
	}
	scanned := res.Scanned
	if team != "" {
		scanned = res.TeamScanned[team] // the team's own, not the catalog's
	}
	text := plural(len(listed), "finding", "findings") + " in " + plural(scanned, "entity", "entities")
	if len(parts) > 0 {
		text += " (" + strings.Join(parts, ", ") + ")"
	}
	text += ". Nothing is removed: *Keep* snoozes a finding for a quarter, *Deprecate* and *Delete* propose a pull request on the entity's file for approval."
	if res.Snoozed > 0 && team == "" {
		text += " " + plural(res.Snoozed, "kept finding is", "kept findings are") + " snoozed."
	}
	blocks := []bot.Block{bot.Header{Text: title}, bot.Section{Text: text}}
	for i, s := range res.Skipped {
		if i == maxSkippedShown {
			// Within Slack's 50 blocks a message.
			blocks = append(blocks, bot.Context{Text: fmt.Sprintf("⚠️ … and %d more locations skipped; `platbot hygiene --now --dry-run` lists them.", len(res.Skipped)-i)})
			break
		}
		blocks = append(blocks, bot.Context{Text: fmt.Sprintf("⚠️ Skipped `%s`: its last refresh failed (%s), so none of its %s flagged.",
			bot.UserText(s.Location), bot.UserText(truncate(s.Error, 200)), plural(s.Entities, "entity was", "entities were"))})
	}
	msgs := []bot.Message{{Text: title + ": " + text + skippedText(res.Skipped), Blocks: blocks}}
	shown := listed
	if len(shown) > max {
		shown = shown[:max]
	}
	for i := 0; i < len(shown); i += perMessage {
		chunk := shown[i:min(i+perMessage, len(shown))]
		var bs []bot.Block
		var txt []string
		for _, l := range chunk {
			line := findingText(l)
			txt = append(txt, line)
			bs = append(bs, bot.Section{Text: line})
			if btns := findingButtons(l); len(btns) > 0 {
				bs = append(bs, bot.Actions{Buttons: btns})
			}
		}
		msgs = append(msgs, bot.Message{Text: strings.Join(txt, "\n"), Blocks: bs})
	}
	if more := len(listed) - len(shown); more > 0 {
		msgs = append(msgs, bot.Message{Text: fmt.Sprintf("… and %s not listed here: `platbot hygiene --now --dry-run` prints them all.", plural(more, "more finding", "more findings"))})
	}
	return msgs
}

// skippedText names the skipped locations in a summary's text (what a
// dry run replies and a notification shows; the blocks say it in Context
// lines).
func skippedText(skipped []Skipped) string {
	if len(skipped) == 0 {
		return ""
	}
	var names []string
	for i, s := range skipped {
		if i == maxSkippedShown {
			names = append(names, fmt.Sprintf("and %d more", len(skipped)-i))
			break
		}
		names = append(names, "`"+bot.UserText(s.Location).Mrkdwn()+"`")
	}
	return fmt.Sprintf(" ⚠️ Skipped %s, whose last refresh failed (nothing from them was flagged): %s.",
		plural(len(skipped), "location", "locations"), strings.Join(names, ", "))
}

// findingText is one finding in a sentence: what, why, since when, owner.
func findingText(l Listed) string {
	owner := "no owner"
	if l.Owner != "" {
		owner = "owner `" + bot.UserText(l.Owner).Mrkdwn() + "`"
	}
	text := fmt.Sprintf("*%s* · `%s` (%s): %s. Since %s, %s. Defined in `%s`.",
		kindTitles[l.Kind], bot.UserText(l.Name), l.EntityKind, bot.UserText(l.Why), l.Since.UTC().Format("2006-01-02"), owner, bot.UserText(l.Source.String()))
	if vanished(l) {
		text += " " + removeHint(l)
	}
	return text
}

// vanished is an orphan no longer in any file: no pull request can remove
// it, the catalog keeps it until an admin removes it.
func vanished(l Listed) bool {
	return l.Kind == KindOrphan && strings.HasPrefix(l.Why, "no longer found")
}

// removeHint says how an admin removes a vanished orphan from the catalog
// (commands/catalog: catalog remove).
func removeHint(l Listed) string {
	return "The catalog keeps it until an admin removes it with `/plat catalog remove " + bot.UserText(l.Entity).Mrkdwn() + "`."
}

// findingButtons are the decisions a finding offers: Keep always;
// Deprecate for an owned entity not deprecated yet; Delete for one still in
// its file (an entity that vanished is no longer in a file to change).
func findingButtons(l Listed) []bot.Button {
	btns := []bot.Button{{ActionID: actionKeep, Text: "Keep", Value: l.ID}}
	if vanished(l) {
		return btns
	}
	if ownedKinds[l.EntityKind] && !strings.EqualFold(l.Lifecycle, "deprecated") {
		btns = append(btns, bot.Button{ActionID: actionDeprecate, Text: "Deprecate", Value: l.ID})
	}
	btns = append(btns, bot.Button{ActionID: actionDelete, Text: "Delete", Value: l.ID, Style: "danger",
		Confirm: "This asks a platform admin to approve a pull request that removes " + l.Name + " from its catalog file."})
	return btns
}

// shortRef turns "group:default/payments" into "payments".
func shortRef(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	if i := strings.Index(ref, ":"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
