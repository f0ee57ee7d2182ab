package bot

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Suggest returns up to three command names close to what was typed.
func (r *Router) Suggest(text string) []string {
	words := SplitWords(strings.ToLower(text))
	if len(words) == 0 {
		return nil
	}
	type cand struct {
		name string
		d    int
	}
	var cands []cand
	seen := map[string]bool{}
	for _, c := range r.Commands() {
		if c.Hidden || seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		cw := strings.Fields(c.Name)
		typed := strings.Join(words[:min(len(words), len(cw))], " ")
		d := EditDistance(typed, c.Name)
		if strings.HasPrefix(c.Name, words[0]) && len(words[0]) >= 2 {
			d = min(d, 1)
		}
		limit := max(2, len(c.Name)/3)
		if d <= limit {
			cands = append(cands, cand{c.Name, d})
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].d != cands[j].d {
			return cands[i].d < cands[j].d
		}
		return cands[i].name < cands[j].name
	})
	var out []string
	for i := 0; i < len(cands) && i < 3; i++ {
		out = append(out, cands[i].name)
	}
	return out
}

// unknownFlag explains the first flag the command does not declare ("" when
// all are known).
func unknownFlag(cmd *Command, flags Flags) string {
	known := append(append([]string{}, cmd.BoolFlags...), cmd.Flags...)
	names := make([]string, 0, len(flags))
	for f := range flags {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if f == "help" || slices.Contains(known, f) {
			continue
		}
		msg := fmt.Sprintf("`/plat %s` has no flag `--%s`.", cmd.Name, f)
		best, bestD := "", 3
		for _, k := range known {
			if d := EditDistance(f, k); d < bestD {
				best, bestD = k, d
			}
		}
		switch {
		case best != "":
			msg += fmt.Sprintf(" Did you mean `--%s`?", best)
		case len(known) == 0:
			msg += " It takes no flags."
		default:
			msg += " Its flags: --" + strings.Join(known, ", --") + "."
		}
		return msg + " Nothing was done; `/plat help " + cmd.Name + "` explains it."
	}
	return ""
}

// HelpMessage lists every visible command with its one-line usage.
func (r *Router) HelpMessage(ctx context.Context, req *Request) Message {
	var lines []string
	for _, c := range r.Commands() {
		if c.Hidden {
			continue
		}
		line := "`/plat " + c.Name
		if c.Usage != "" {
			line += " " + c.Usage
		}
		line += "` — " + capitalize(c.Summary)
		lines = append(lines, line)
	}
	blocks := []Block{Header{Text: "platbot commands"}}
	// Chunk so no section exceeds Slack's per-section text limit.
	var chunk []string
	size := 0
	for _, l := range lines {
		if size+len(l)+1 > 2800 && len(chunk) > 0 {
			blocks = append(blocks, Section{Text: strings.Join(chunk, "\n")})
			chunk, size = nil, 0
		}
		chunk = append(chunk, l)
		size += len(l) + 1
	}
	if len(chunk) > 0 {
		blocks = append(blocks, Section{Text: strings.Join(chunk, "\n")})
	}
	blocks = append(blocks, Context{Text: "`/plat help <command>` explains one command · platbot " + r.opts.Version})
	return Message{Text: "platbot commands:\n" + strings.Join(lines, "\n"), Blocks: blocks}
}

// CommandHelp explains one command.
func (r *Router) CommandHelp(name string) Message {
	c, _, _ := r.Resolve(name)
	if c == nil {
		msg := fmt.Sprintf("There is no command `%s`.", name)
		if s := r.Suggest(name); len(s) > 0 {
			msg += " Did you mean " + quoteList(s) + "?"
		}
		return Message{Text: msg + " `/plat help` lists them all."}
	}
	usage := "/plat " + c.Name
	if c.Usage != "" {
		usage += " " + c.Usage
	}
	body := c.Summary
	if c.Help != "" {
		body += "\n\n" + c.Help
	}
	action := c.Action
	if action == "" {
		action = ActionRead
	}
	meta := "Needs permission to " + action
	if len(c.Aliases) > 0 {
		meta += " · aliases: " + strings.Join(c.Aliases, ", ")
	}
	return Message{
		Text:   usage + "\n" + body,
		Blocks: []Block{Section{Text: "*`" + usage + "`*"}, Section{Text: body}, Context{Text: meta}},
	}
}
