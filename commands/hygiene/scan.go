package hygiene

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// findingState is what is remembered of a finding across scans.
type findingState struct {
	Finding   Finding   `json:"finding"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Reported counts the reports (not dry runs) that listed it; a
	// proposal is keyed by it, so a denied one can be proposed again
	// after the next report.
	Reported int     `json:"reported"`
	Snooze   *Snooze `json:"snooze,omitempty"`
}

// Snooze is a Keep decision: the finding is not reported until Until.
type Snooze struct {
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
	By     bot.User  `json:"by"`
	At     time.Time `json:"at"`
}

// postedState marks one report message as posted (idempotent retries).
type postedState struct {
	Channel string         `json:"channel"`
	Ref     bot.MessageRef `json:"ref"`
}

type scanPayload struct {
	At time.Time `json:"at"`
}

// ScanOptions choose what a scan reports.
type ScanOptions struct {
	// Team, when set, keeps only the findings of that team (name or ref).
	Team string
	// DryRun changes nothing: no state is written and nothing is posted.
	DryRun bool
	// ID names the report (idempotent posting); required unless DryRun.
	ID string
}

// Result is a scan with what hygiene remembers of each finding.
type Result struct {
	Report
	At time.Time
	// Listed are the findings to report, each with when it was first seen
	// (Since is filled from it when the facts do not say).
	Listed []Listed
	// Snoozed counts findings kept (Keep) and not reported.
	Snoozed int
	Team    string
	DryRun  bool
}

// Listed is a finding in a report.
type Listed struct {
	Finding
	FirstSeen time.Time
	Reported  int
}

// ErrNotRefreshed is returned by a scan before the catalog's first refresh
// of this process: nothing is flagged from a saved snapshot.
var ErrNotRefreshed = errors.New("the catalog has not been refreshed since platbot started; hygiene waits for a refresh so that nothing is flagged from stale data (try again in a few minutes, or run /plat catalog reload)")

// Scan gathers the facts, runs the finder, applies the snoozes and, unless
// opts.DryRun, records what it found.
func (h *Hygiene) Scan(ctx context.Context, opts ScanOptions) (*Result, error) {
	statuses := h.deps.Catalog.LocationStatuses()
	if statuses == nil {
		return nil, ErrNotRefreshed
	}
	team := ""
	if opts.Team != "" {
		g, ok := h.deps.Catalog.Lookup(opts.Team, catalog.KindGroup)
		if !ok || g.Kind != catalog.KindGroup {
			return nil, bot.Errorf("There is no team `%s` in the catalog.", bot.UserText(opts.Team))
		}
		team = g.Ref()
	}
	now := h.now()
	in := Input{Now: now, Entities: append(h.deps.Catalog.List(""), h.deps.Catalog.Orphans()...), Locations: statuses}
	h.gather(ctx, &in)
	rep := Find(in, Rules{NoDeployAfter: h.cfg.NoDeployAfter, RequiredAnnotations: h.cfg.RequiredAnnotations, OnCallAnnotations: h.cfg.OnCallAnnotations})
	res := &Result{Report: rep, At: now, Team: team, DryRun: opts.DryRun}
	for _, f := range rep.Findings {
		if team != "" && f.Team != team {
			continue
		}
		l, snoozed, err := h.remember(ctx, f, now, opts.DryRun)
		if err != nil {
			return nil, err
		}
		if snoozed {
			res.Snoozed++
			continue
		}
		res.Listed = append(res.Listed, l)
	}
	return res, nil
}

// remember loads (and unless dry, updates) a finding's state.
func (h *Hygiene) remember(ctx context.Context, f Finding, now time.Time, dry bool) (Listed, bool, error) {
	l := Listed{Finding: f, FirstSeen: now}
	var st findingState
	if dry {
		it, err := h.findings.Get(ctx, f.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return l, false, fmt.Errorf("load finding %s: %w", f.ID, err)
		}
		if it != nil {
			st = it.Value
		}
	} else {
		it, err := h.findings.Modify(ctx, f.ID, func(it *store.Item[findingState], exists bool) error {
			if !exists || it.Value.FirstSeen.IsZero() {
				it.Value.FirstSeen = now
			}
			it.Value.Finding, it.Value.LastSeen = f, now
			it.Key = f.Entity
			snoozed := it.Value.Snooze != nil && now.Before(it.Value.Snooze.Until)
			if !snoozed {
				it.Value.Reported++
			}
			return nil
		})
		if err != nil {
			return l, false, fmt.Errorf("record finding %s: %w", f.ID, err)
		}
		st = it.Value
	}
	if !st.FirstSeen.IsZero() {
		l.FirstSeen = st.FirstSeen
	}
	l.Reported = st.Reported
	if l.Since.IsZero() {
		l.Since = l.FirstSeen
	}
	return l, st.Snooze != nil && now.Before(st.Snooze.Until), nil
}

// gather asks the outside systems for the facts, a few at a time. A fact
// that cannot be had stays unknown (and flags nothing).
func (h *Hygiene) gather(ctx context.Context, in *Input) {
	in.Deactivated, in.Deploys, in.Usage = map[string]bool{}, map[string]Deploy{}, map[string]Usage{}
	var mu sync.Mutex
	var failed []string
	fail := func(what string, err error) {
		mu.Lock()
		failed = append(failed, what+": "+err.Error())
		mu.Unlock()
	}
	var jobs []func()
	owners := map[string]bool{} // users and groups that own something
	for _, e := range in.Entities {
		if ownedKinds[e.Kind] && !e.Orphan {
			if o := e.Owner(); o != "" {
				owners[o] = true
			}
		}
	}
	for _, e := range in.Entities {
		if e.Orphan {
			continue
		}
		switch {
		case e.Kind == catalog.KindUser && h.deps.Accounts != nil:
			id := e.Annotation(catalog.AnnotationSlackUserID)
			if id == "" || !h.ownsOrMember(e, owners) {
				continue
			}
			ref := e.Ref()
			jobs = append(jobs, func() {
				gone, err := h.deps.Accounts.Deactivated(ctx, id)
				if err != nil {
					fail(ref, err)
					return
				}
				mu.Lock()
				in.Deactivated[ref] = gone
				mu.Unlock()
			})
		case e.Kind == catalog.KindComponent:
			ref := e.Ref()
			if h.deps.Deploys != nil {
				jobs = append(jobs, func() {
					at, known, err := h.deps.Deploys.LastDeployed(ctx, e)
					if err != nil {
						fail(ref+" deploys", err)
						return
					}
					mu.Lock()
					in.Deploys[ref] = Deploy{Known: known, At: at}
					mu.Unlock()
				})
			}
			if h.deps.Usage != nil && strings.EqualFold(e.Lifecycle(), "deprecated") {
				jobs = append(jobs, func() {
					u, err := h.deps.Usage.Usage(ctx, e)
					if err != nil {
						fail(ref+" usage", err)
						return
					}
					mu.Lock()
					in.Usage[ref] = u
					mu.Unlock()
				})
			}
		}
	}
	work := make(chan func())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				if ctx.Err() == nil {
					j()
				}
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	if len(failed) > 0 {
		sort.Strings(failed)
		h.log.Warn("hygiene: some facts are unknown; nothing is flagged for them", "count", len(failed), "first", failed[0])
	}
}

// ownsOrMember reports whether a User owns something or is a member of a
// group that does: the accounts whose deactivation can matter.
func (h *Hygiene) ownsOrMember(u *catalog.Entity, owners map[string]bool) bool {
	if owners[u.Ref()] {
		return true
	}
	for _, g := range u.SpecStrings("memberOf") {
		if owners[catalog.NormalizeRef(g, catalog.KindGroup, u.Metadata.Namespace)] {
			return true
		}
	}
	return false
}

// Run scans and, unless opts.DryRun, posts the report to the platform
// channel and to each affected team's channel. It returns the result for
// the caller to summarise.
func (h *Hygiene) Run(ctx context.Context, m bot.Messenger, opts ScanOptions) (*Result, error) {
	res, err := h.Scan(ctx, opts)
	if err != nil || opts.DryRun {
		return res, err
	}
	if m == nil {
		return res, errors.New("no messenger to post the hygiene report")
	}
	if opts.ID == "" {
		return res, errors.New("a posted report needs an id")
	}
	if ch := h.cfg.PlatformChannel; ch != "" {
		if err := h.postReport(ctx, m, opts.ID, ch, "", res, res.Listed); err != nil {
			return res, err
		}
	}
	byTeam := map[string][]Listed{}
	for _, l := range res.Listed {
		if l.Team != "" {
			byTeam[l.Team] = append(byTeam[l.Team], l)
		}
	}
	teams := make([]string, 0, len(byTeam))
	for t := range byTeam {
		teams = append(teams, t)
	}
	sort.Strings(teams)
	for _, t := range teams {
		g, ok := h.deps.Catalog.Lookup(t, catalog.KindGroup)
		ch := ""
		if ok {
			ch = g.Annotation(catalog.AnnotationSlackChannel)
		}
		if ch == "" || ch == h.cfg.PlatformChannel {
			continue
		}
		if err := h.postReport(ctx, m, opts.ID, ch, t, res, byTeam[t]); err != nil {
			return res, err
		}
	}
	return res, nil
}

// postReport posts a report to one channel: a summary, then the findings
// in messages of a few each, with their buttons. Each message is recorded
// once posted, so a retried scan posts only what is missing.
func (h *Hygiene) postReport(ctx context.Context, m bot.Messenger, id, channel, team string, res *Result, listed []Listed) error {
	msgs := reportMessages(res, listed, team, h.cfg.MaxListed)
	for i, msg := range msgs {
		key := fmt.Sprintf("%s/%s/%d", id, channel, i)
		if it, err := h.posted.Get(ctx, key); err == nil && it != nil {
			continue
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("hygiene report %s: %w", key, err)
		}
		if err := h.pacer.Wait(ctx, channel); err != nil {
			return err
		}
		ref, err := m.Post(ctx, channel, msg)
		if err != nil {
			return fmt.Errorf("post the hygiene report to %s: %w", channel, err)
		}
		if _, err := h.posted.Put(ctx, store.Record{ID: key}, postedState{Channel: channel, Ref: ref}); err != nil {
			return fmt.Errorf("record the hygiene report %s: %w", key, err)
		}
	}
	return nil
}

// scanJob is the scheduled scan.
func (h *Hygiene) scanJob(ctx context.Context, payload json.RawMessage) error {
	var p scanPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return bot.Permanent(fmt.Errorf("decode hygiene scan: %w", err))
	}
	r := h.getRouter()
	if r == nil {
		return bot.Permanent(errors.New("hygiene is not registered"))
	}
	m := r.Outbound(bot.TransportSlack)
	if m == nil {
		return bot.Permanent(errors.New("no messenger for the hygiene report"))
	}
	id := "scheduled-" + p.At.UTC().Format("200601021504")
	res, err := h.Run(ctx, m, ScanOptions{ID: id})
	if errors.Is(err, ErrNotRefreshed) {
		return err // retried with backoff: the refresh comes
	}
	if err != nil {
		return err
	}
	r.Audit(ctx, store.Event{ActorID: "platbot", ActorName: "platbot", Action: "hygiene.scan", Target: id, Outcome: "ok", Details: map[string]any{
		"findings": len(res.Listed), "snoozed": res.Snoozed, "skipped_locations": len(res.Skipped), "scanned": res.Scanned,
	}})
	return nil
}

// WriteText prints a result for a terminal: every finding, no buttons.
func WriteText(w io.Writer, res *Result) error {
	var b strings.Builder
	title := "Catalog hygiene"
	if res.Team != "" {
		title += " for " + res.Team
	}
	if res.DryRun {
		title += " (dry run: nothing recorded or posted)"
	}
	fmt.Fprintf(&b, "%s, %s: %s scanned, %s", title, res.At.UTC().Format("2006-01-02 15:04 MST"), plural(res.Scanned, "entity", "entities"), plural(len(res.Listed), "finding", "findings"))
	if res.Snoozed > 0 {
		fmt.Fprintf(&b, ", %d kept (snoozed)", res.Snoozed)
	}
	b.WriteString("\n")
	for _, s := range res.Skipped {
		fmt.Fprintf(&b, "SKIPPED %s: its last refresh failed (%s); %s not looked at\n", s.Location, s.Error, plural(s.Entities, "entity was", "entities were"))
	}
	for _, l := range res.Listed {
		owner := "no owner"
		if l.Owner != "" {
			owner = "owner " + l.Owner
		}
		fmt.Fprintf(&b, "%-20s %s: %s (%s, since %s, %s)\n", l.Kind, l.Entity, l.Why, owner, l.Since.UTC().Format("2006-01-02"), l.Source)
		if vanished(l) {
			fmt.Fprintf(&b, "%-20s %s\n", "", strings.ReplaceAll(removeHint(l), "`", ""))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
