package scorecard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/chart"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/store"
)

// DigestOptions select and direct a digest run (`platbot digest`).
type DigestOptions struct {
	// Team limits the run to one team (name or group ref); "" digests every
	// team and posts the org roll-up to the platform channel.
	Team string
	// DryRun prints the digests to Out and writes the charts to files
	// instead of posting; nothing is stored.
	DryRun bool
	// Now is the digest time (zero = now); it fixes the week.
	Now time.Time
	// Out receives progress lines, and the digests themselves when nothing
	// is posted (nil = discard).
	Out io.Writer
	// ChartDir is where charts are written when nothing is posted
	// (default: the system's temporary folder).
	ChartDir string
}

// TeamDigest is one team's weekly digest.
type TeamDigest struct {
	Team    string
	Channel string
	Week    string // ISO week in the team's zone, e.g. "2026-W48"
	Message bot.Message
	Chart   []byte // PNG
}

// RunDigest builds and delivers the weekly digests now (or at o.Now): each
// team's to its channel, and, when no team is named, the org roll-up to the
// platform channel. A team's digest is posted at most once per week, even
// across retries and restarts. Without a messenger it prints like a dry run.
func (s *Scorecards) RunDigest(ctx context.Context, o DigestOptions) error {
	teams := s.digestTeamList()
	if o.Team != "" {
		team, err := s.digestTeam(o.Team)
		if err != nil {
			return err
		}
		teams = []string{team}
	}
	return s.digest(ctx, teams, o.Team == "", o.Now, deliveryOptions{dryRun: o.DryRun, out: o.Out, chartDir: o.ChartDir})
}

// digestTeam resolves a team named on the command line (name or group ref)
// to its group ref. A team that is neither a catalog group nor the owner of
// a scored service is an error that names it and suggests close names.
func (s *Scorecards) digestTeam(name string) (string, error) {
	ref := catalog.NormalizeRef(strings.TrimSpace(name), catalog.KindGroup, catalog.DefaultNamespace)
	if g, ok := s.cat.Get(ref); (ok && g != nil) || len(s.teamServices(ref)) > 0 {
		return ref, nil
	}
	known := map[string]bool{}
	var names []string
	add := func(ref string) {
		if n := shortRef(ref); !known[n] {
			known[n] = true
			names = append(names, n)
		}
	}
	for _, t := range s.teams() {
		add(t)
	}
	for _, g := range s.cat.List(catalog.KindGroup) {
		add(g.Ref())
	}
	msg := fmt.Sprintf("scorecard digest: there is no team %q in the catalog", name)
	if c := bot.Closest(shortRef(ref), names); c != "" {
		msg += fmt.Sprintf("; did you mean %q?", c)
	} else if len(names) > 0 {
		slices.Sort(names)
		msg += "; teams: " + strings.Join(names, ", ")
	}
	return "", errors.New(msg)
}

// deliveryOptions say where a digest goes.
type deliveryOptions struct {
	dryRun   bool
	out      io.Writer
	chartDir string
}

// digest grades every service once, then delivers the teams' digests and,
// when org is set, the org roll-up.
func (s *Scorecards) digest(ctx context.Context, teams []string, org bool, at time.Time, o deliveryOptions) error {
	if at.IsZero() {
		at = s.now()
	}
	if o.out == nil {
		o.out = io.Discard
	}
	o.out = &lockedWriter{w: o.out} // teams are delivered concurrently
	d, err := s.loadDigestData(ctx, at, !o.dryRun)
	if err != nil {
		return err
	}
	var errs []error
	if err := s.runTeams(ctx, d, teams, o); err != nil {
		errs = append(errs, err)
	}
	if org {
		if _, err := s.runOrg(ctx, d, o); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// digestTeamList returns every team that owns a service, less skipped ones.
func (s *Scorecards) digestTeamList() []string {
	var out []string
	for _, t := range s.teams() {
		if !s.cfg.Teams[t].Skip {
			out = append(out, t)
		}
	}
	return out
}

// defaultScheduleTeams are the teams digested by the default cron entry.
func (s *Scorecards) defaultScheduleTeams() []string {
	var out []string
	for _, t := range s.digestTeamList() {
		if !s.cfg.Teams[t].ownSchedule() {
			out = append(out, t)
		}
	}
	return out
}

// digestData is what every digest of one run shares: this week's results,
// last week's grades, the weekly history for charts, and the waivers.
type digestData struct {
	now     time.Time
	results []*grade.Result
	byTeam  map[string][]*grade.Result
	before  map[string]historyValue
	history []map[string]gradePoint // weeks before this one, oldest first
	waivers waiverIndex
}

type gradePoint struct {
	historyValue
	At time.Time
}

// loadDigestData grades every service, records the grades (unless dry) and
// reads the history the digests compare against.
func (s *Scorecards) loadDigestData(ctx context.Context, at time.Time, record bool) (*digestData, error) {
	rs, err := s.ScoreAll(ctx, at)
	if err != nil {
		return nil, err
	}
	return s.digestDataFor(ctx, rs, at, record)
}

func (s *Scorecards) digestDataFor(ctx context.Context, rs []*grade.Result, at time.Time, record bool) (*digestData, error) {
	d := &digestData{now: at, results: rs, byTeam: map[string][]*grade.Result{}}
	for _, r := range rs {
		d.byTeam[r.Owner] = append(d.byTeam[r.Owner], r)
	}
	var err error
	if d.before, err = s.lastWeek(ctx, at); err != nil {
		return nil, err
	}
	for k := s.cfg.Digest.Weeks - 1; k >= 1; k-- {
		end := at.Add(-time.Duration(k) * 7 * 24 * time.Hour)
		pts, err := s.st.LatestPoints(ctx, SeriesGrade, end)
		if err != nil {
			return nil, fmt.Errorf("grade history: %w", err)
		}
		week := make(map[string]gradePoint, len(pts))
		for _, p := range pts {
			if !p.At.After(end.Add(-7 * 24 * time.Hour)) {
				continue // no grade recorded in that week
			}
			var v historyValue
			if json.Unmarshal(p.Value, &v) == nil {
				week[p.Key] = gradePoint{historyValue: v, At: p.At}
			}
		}
		d.history = append(d.history, week)
	}
	if d.waivers, err = s.loadWaivers(ctx); err != nil {
		return nil, err
	}
	if record {
		if err := s.recordHistory(ctx, rs, at); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// isoWeek renders t's ISO week, e.g. "2026-W48".
func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// teamChannel is the team's digest channel: config, else the group's
// slack.com/channel annotation.
func (s *Scorecards) teamChannel(team string) string {
	if c := s.cfg.Teams[team].Channel; c != "" {
		return c
	}
	if g, ok := s.cat.Get(team); ok && g != nil {
		return g.Annotation(catalog.AnnotationSlackChannel)
	}
	return ""
}

func (s *Scorecards) teamTitle(team string) string {
	if g, ok := s.cat.Get(team); ok && g != nil {
		return g.DisplayName()
	}
	return shortRef(team)
}

// conventionLines is the digest's catalog conventions section: the failing
// checks of grade.ConventionsSet, whatever their phase, with the services
// that miss each; nothing when no loaded check is in the set.
func (s *Scorecards) conventionLines(rs []*grade.Result) []string {
	if !s.checks.HasSet(grade.ConventionsSet) {
		return nil
	}
	lines := gapLinesOf(rs, s.cfg.Digest.TopGaps, func(r *grade.Result) []grade.CheckResult { return r.SetGaps(grade.ConventionsSet) })
	if len(lines) == 0 {
		lines = []string{"Every service meets the catalog conventions."}
	}
	return append([]string{"*Catalog conventions*"}, lines...)
}

// buildTeamDigest renders one team's digest and chart.
func (s *Scorecards) buildTeamDigest(ctx context.Context, d *digestData, team string) (*TeamDigest, error) {
	_, loc, err := s.teamSchedule(team)
	if err != nil {
		return nil, err
	}
	local := d.now.In(loc)
	td := &TeamDigest{Team: team, Channel: s.teamChannel(team), Week: isoWeek(local)}
	rs := d.byTeam[team]
	title := fmt.Sprintf("Scorecard digest — %s — week %s", s.teamTitle(team), td.Week)
	blocks := []bot.Block{bot.Header{Text: title}}
	text := []string{title}
	if len(rs) == 0 {
		blocks = append(blocks, bot.Section{Text: "The team owns no scored components."})
		text = append(text, "The team owns no scored components.")
	} else {
		tbl, movers := servicesTable(rs, d.before)
		blocks = append(blocks, codeBlocks(tbl)...)
		text = append(text, tbl)
		g := &rollup{}
		for _, r := range rs {
			g.add(r)
		}
		summary := fmt.Sprintf("GPA %.1f · %d of %d services at B or better · %s", g.GPA(), g.Counts[0]+g.Counts[1], g.Total, g.incompleteText())
		blocks = append(blocks, bot.Section{Text: summary})
		text = append(text, summary)
		mv := []string{"*Movers since last week*"}
		if len(movers) == 0 {
			mv = append(mv, "No grade changed.")
		}
		for _, m := range movers {
			mv = append(mv, m.String())
		}
		blocks = append(blocks, sections(mv)...)
		text = append(text, mv...)
		gaps := gapLines(rs, s.cfg.Digest.TopGaps)
		if len(gaps) == 0 {
			gaps = []string{"No open gaps. 🎉"}
		}
		gaps = append([]string{"*Top gaps*"}, gaps...)
		blocks = append(blocks, sections(gaps)...)
		text = append(text, gaps...)
		if conv := s.conventionLines(rs); len(conv) > 0 {
			blocks = append(blocks, sections(conv)...)
			text = append(text, conv...)
		}
	}
	refs := map[string]bool{}
	for _, r := range rs {
		refs[r.Ref] = true
	}
	if exp := s.expiringWaivers(d.waivers, refs, d.now, s.cfg.Digest.ExpiringWithin); len(exp) > 0 {
		lines := []string{fmt.Sprintf("*Waivers expiring within %d days*", int(s.cfg.Digest.ExpiringWithin.Hours()/24))}
		for _, w := range exp {
			lines = append(lines, fmt.Sprintf("• %s `%s` expires %s (`%s`: %s)", shortRef(w.Service), w.Check, w.Expires.In(loc).Format("2006-01-02"), w.ID, bot.UserText(w.Reason)))
		}
		blocks = append(blocks, sections(lines)...)
		text = append(text, lines...)
	}
	if s.cost != nil {
		if sec, ok := s.cost.CostSummary(ctx, team); ok {
			blocks = append(blocks, sec)
			text = append(text, sec.Text)
		}
	}
	for _, c := range s.extra {
		if bs, t, ok := c.DigestSection(ctx, team); ok {
			blocks = append(blocks, bs...)
			text = append(text, t)
		}
	}
	blocks = append(blocks, bot.Context{Text: fmt.Sprintf("Chart: grade distribution over the last %d weeks (faded: incomplete; grey: ?). %s", s.cfg.Digest.Weeks, GradeRule)})
	td.Message = bot.Message{Text: strings.Join(text, "\n"), Blocks: blocks}

	weeks := make([]chart.Week, 0, len(d.history)+1)
	for k, h := range d.history {
		end := d.now.Add(-time.Duration(len(d.history)-k) * 7 * 24 * time.Hour).In(loc)
		wd := chart.Week{Label: fmt.Sprintf("W%02d", isoWeekNum(end))}
		for ref := range refs {
			if p, ok := h[ref]; ok {
				wd.Add(p.Grade, p.Incomplete)
			}
		}
		weeks = append(weeks, wd)
	}
	cur := chart.Week{Label: fmt.Sprintf("W%02d", isoWeekNum(local))}
	for _, r := range rs {
		cur.Add(r.Grade, r.Incomplete)
	}
	weeks = append(weeks, cur)
	if td.Chart, err = chart.Render(fmt.Sprintf("%s — grades by week", s.teamTitle(team)), weeks); err != nil {
		return nil, err
	}
	return td, nil
}

func isoWeekNum(t time.Time) int {
	_, w := t.ISOWeek()
	return w
}

// runTeams builds and delivers the digests of teams: first every summary,
// then every chart in its summary's thread, so the per-channel rate limit
// rarely has to wait.
func (s *Scorecards) runTeams(ctx context.Context, d *digestData, teams []string, o deliveryOptions) error {
	if len(teams) == 0 {
		return nil
	}
	// Charts are the expensive part: render them on every core.
	digests := make([]*TeamDigest, len(teams))
	if err := forEach(ctx, len(teams), func(i int) error {
		td, err := s.buildTeamDigest(ctx, d, teams[i])
		digests[i] = td
		return err
	}); err != nil {
		return err
	}
	m := s.messenger()
	if o.dryRun || m == nil {
		return s.printDigests(digests, o)
	}
	refs := make([]bot.MessageRef, len(digests))
	err := forEach(ctx, len(digests), func(i int) error {
		td := digests[i]
		if td.Channel == "" {
			fmt.Fprintf(o.out, "team %s has no digest channel (set scorecard.teams.%s.channel or the group's slack.com/channel annotation); skipped\n", shortRef(td.Team), shortRef(td.Team))
			return nil
		}
		key := fmt.Sprintf("team|%s|%s|summary", td.Team, td.Week)
		ref, sent, err := s.deliverOnce(ctx, key, td.Channel, func(ctx context.Context) (bot.MessageRef, error) {
			return m.Post(ctx, td.Channel, withPartMetadata(td.Message, key))
		})
		if err != nil {
			return err
		}
		refs[i] = ref
		s.report(ctx, o.out, td, "summary", sent)
		return nil
	})
	cerr := forEach(ctx, len(digests), func(i int) error {
		td := digests[i]
		if td.Channel == "" {
			return nil
		}
		key := fmt.Sprintf("team|%s|%s|chart", td.Team, td.Week)
		_, sent, err := s.deliverOnce(ctx, key, td.Channel, func(ctx context.Context) (bot.MessageRef, error) {
			return bot.MessageRef{}, m.Upload(ctx, td.Channel, refs[i].TS, bot.File{
				Name: fmt.Sprintf("scorecard-%s-%s.png", shortRef(td.Team), td.Week), Title: "Grades by week", Content: td.Chart,
				Comment: fmt.Sprintf("%s: grade distribution, last %d weeks", s.teamTitle(td.Team), s.cfg.Digest.Weeks),
			})
		})
		if err != nil {
			return err
		}
		s.report(ctx, o.out, td, "chart", sent)
		return nil
	})
	if err := errors.Join(err, cerr); err != nil {
		return fmt.Errorf("scorecard digest: %w", err)
	}
	return nil
}

// forEach runs fn for 0..n-1, a few at a time (at least four, at most one
// per core beyond that), and joins their errors.
func forEach(ctx context.Context, n int, fn func(i int) error) error {
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, max(4, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *Scorecards) report(ctx context.Context, out io.Writer, td *TeamDigest, part string, sent bool) {
	if sent {
		fmt.Fprintf(out, "posted %s digest %s of %s to %s\n", td.Week, part, shortRef(td.Team), td.Channel)
		s.audit(ctx, store.Event{ActorID: "platbot", Action: "scorecard.digest", Target: td.Team, Outcome: "posted",
			Details: map[string]any{"week": td.Week, "part": part, "channel": td.Channel}})
	} else {
		fmt.Fprintf(out, "%s digest %s of %s was already posted; not posting it again\n", td.Week, part, shortRef(td.Team))
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// printDigests writes digests as text and their charts as files.
func (s *Scorecards) printDigests(ds []*TeamDigest, o deliveryOptions) error {
	dir := o.chartDir
	if dir == "" {
		dir = os.TempDir()
	}
	if len(ds) > 0 {
		// A new install has no data folder yet.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("chart folder: %w", err)
		}
	}
	for _, td := range ds {
		ch := td.Channel
		if ch == "" {
			ch = "(no channel)"
		}
		fmt.Fprintf(o.out, "=== %s → %s ===\n%s\n", shortRef(td.Team), ch, bot.PlainText(td.Message))
		p := filepath.Join(dir, fmt.Sprintf("scorecard-%s-%s.png", shortRef(td.Team), td.Week))
		if err := os.WriteFile(p, td.Chart, 0o644); err != nil {
			return fmt.Errorf("write chart: %w", err)
		}
		fmt.Fprintf(o.out, "chart: %s\n\n", p)
	}
	return nil
}

// runOrg builds the org roll-up and posts it to the platform channel once
// per week.
func (s *Scorecards) runOrg(ctx context.Context, d *digestData, o deliveryOptions) (bot.Message, error) {
	at := d.now
	loc, err := time.LoadLocation(s.cfg.Digest.Timezone)
	if err != nil {
		return bot.Message{}, fmt.Errorf("scorecard: digest time zone: %w", err)
	}
	week := isoWeek(at.In(loc))
	msg := orgDigestMessage(d, week)
	m := s.messenger()
	if o.dryRun || m == nil || s.cfg.PlatformChannel == "" {
		ch := s.cfg.PlatformChannel
		if ch == "" {
			ch = "(no platform channel)"
		}
		fmt.Fprintf(o.out, "=== organisation → %s ===\n%s\n\n", ch, bot.PlainText(msg))
		return msg, nil
	}
	key := "org|" + week + "|summary"
	_, sent, err := s.deliverOnce(ctx, key, s.cfg.PlatformChannel, func(ctx context.Context) (bot.MessageRef, error) {
		return m.Post(ctx, s.cfg.PlatformChannel, withPartMetadata(msg, key))
	})
	if err != nil {
		return msg, fmt.Errorf("scorecard org digest: %w", err)
	}
	if sent {
		fmt.Fprintf(o.out, "posted %s org digest to %s\n", week, s.cfg.PlatformChannel)
	} else {
		fmt.Fprintf(o.out, "%s org digest was already posted; not posting it again\n", week)
	}
	return msg, nil
}

func orgDigestMessage(d *digestData, week string) bot.Message {
	msg := orgMessage(d.results, []string{ByTeam, ByLifecycle, BySystem}, d.now)
	title := "Scorecard digest — organisation — week " + week
	if len(msg.Blocks) > 0 {
		msg.Blocks[0] = bot.Header{Text: title}
	}
	var movers []string
	for _, r := range d.results {
		if b, ok := d.before[r.Ref]; ok {
			if m, moved := newMover(r, b); moved {
				movers = append(movers, m.String())
			}
		}
	}
	if len(movers) > 0 {
		sec := sections(append([]string{"*Movers since last week*"}, movers...))
		msg.Blocks = append(msg.Blocks[:len(msg.Blocks)-1], append(sec, msg.Blocks[len(msg.Blocks)-1])...)
		msg.Text += "\nMovers: " + strings.Join(movers, ", ")
	}
	msg.Text = strings.Replace(msg.Text, "Scorecards — organisation", title, 1)
	return msg
}

// Digest part states.
const (
	partSending = "sending"
	partSent    = "sent"
	partFailed  = "failed"
)

// partData is what a digest part record keeps: the message, the error of
// a failed post, and who claimed a part being sent (the job attempt and
// when), so that a later attempt of the same job can tell an interrupted
// post from one under way.
type partData struct {
	Ref       bot.MessageRef `json:"ref,omitzero"`
	Error     string         `json:"error,omitempty"`
	ClaimJob  int64          `json:"claimJob,omitempty"`
	ClaimTry  int            `json:"claimTry,omitempty"`
	ClaimedAt time.Time      `json:"claimedAt,omitzero"`
}

// digestEventType is the Slack message metadata event type of digest
// parts; the event payload's key is the part's key.
const digestEventType = "platbot_digest_part"

// withPartMetadata marks msg as the digest part key, so that the part can
// be found in its channel after an interrupted post.
func withPartMetadata(msg bot.Message, key string) bot.Message {
	msg.Metadata = &bot.Metadata{EventType: digestEventType, Key: key}
	return msg
}

// deliverOnce posts one part of a digest once for its key: it claims the
// key by creating a record in state "sending" (creation is atomic), posts,
// then marks it "sent" with the message ref. A part that failed with an
// error is "failed" and may be claimed again (compare-and-swap) by a retry.
//
// A part left "sending" was claimed by a post that may still be under way
// or may have died after Slack had the message. It is posted again only
// when both are ruled out: the claim was made by an earlier attempt of the
// job running now (attempts never overlap, so that one stopped), and the
// messenger can search the channel (bot.MessageFinder) and finds no message
// carrying the part's metadata. A message that is found is recorded as
// sent. Otherwise the part is not posted again: posting twice is worse than
// missing one part. sent is false when the part had already been posted
// (ref is then the stored one).
func (s *Scorecards) deliverOnce(ctx context.Context, key, channel string, post func(context.Context) (bot.MessageRef, error)) (ref bot.MessageRef, sent bool, err error) {
	claim := partData{ClaimedAt: s.now().UTC()}
	if j, ok := bot.JobOf(ctx); ok {
		claim.ClaimJob, claim.ClaimTry = j.ID, j.Attempt
	}
	claimJSON, _ := json.Marshal(claim)
	created, err := s.st.PutRecord(ctx, store.Record{Kind: KindDigestPart, ID: key, State: partSending, Key: channel, Data: claimJSON})
	if err != nil {
		return ref, false, fmt.Errorf("claim digest part %s: %w", key, err)
	}
	if !created {
		rec, err := s.st.GetRecord(ctx, KindDigestPart, key)
		if err != nil {
			return ref, false, fmt.Errorf("read digest part %s: %w", key, err)
		}
		var pd partData
		_ = json.Unmarshal(rec.Data, &pd)
		switch rec.State {
		case partSent:
			return pd.Ref, false, nil
		case partFailed:
			if _, err := s.st.TransitionRecord(ctx, KindDigestPart, key, []string{partFailed}, partSending, func(r *store.Record) error {
				r.Data = claimJSON
				return nil
			}); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return ref, false, nil // another run took it
				}
				return ref, false, fmt.Errorf("reclaim digest part %s: %w", key, err)
			}
		default:
			again, found, err := s.interrupted(ctx, rec, pd, claim)
			if err != nil {
				return ref, false, err
			}
			if found != nil {
				s.markPart(ctx, key, partSent, partData{Ref: *found})
				s.log.Info("digest part had reached Slack before its run stopped; recorded as sent", "part", key)
				return *found, false, nil
			}
			if !again {
				s.log.Warn("digest part was being posted when a run stopped; not posting it again", "part", key)
				return ref, false, nil
			}
			s.log.Info("digest part did not reach Slack before its run stopped; posting it again", "part", key)
		}
	}
	if err := s.limiter.Wait(ctx, channel); err != nil {
		s.markPart(ctx, key, partFailed, partData{Error: err.Error()})
		return ref, false, err
	}
	ref, err = post(ctx)
	if err != nil {
		s.markPart(ctx, key, partFailed, partData{Error: err.Error()})
		return ref, false, fmt.Errorf("post digest part %s: %w", key, err)
	}
	s.markPart(ctx, key, partSent, partData{Ref: ref})
	return ref, true, nil
}

// interrupted decides about a part left "sending" (see deliverOnce): found
// is the message when the interrupted post reached the channel; again is
// true when it did not and this run has re-claimed the part to post it.
func (s *Scorecards) interrupted(ctx context.Context, rec *store.Record, pd, claim partData) (again bool, found *bot.MessageRef, err error) {
	finder, ok := bot.FinderOf(s.messenger())
	if !ok || pd.ClaimedAt.IsZero() {
		return false, nil, nil
	}
	ref, ok, err := finder.FindPosted(ctx, rec.Key, pd.ClaimedAt.Add(-time.Minute), digestEventType, rec.ID)
	if err != nil {
		return false, nil, fmt.Errorf("look for digest part %s in %s: %w", rec.ID, rec.Key, err)
	}
	if ok {
		return false, &ref, nil
	}
	if claim.ClaimJob == 0 || pd.ClaimJob != claim.ClaimJob || pd.ClaimTry >= claim.ClaimTry {
		// Claimed by another job or a command that may still be posting.
		return false, nil, nil
	}
	data, _ := json.Marshal(claim)
	if _, err := s.st.UpdateRecord(ctx, store.Record{Kind: rec.Kind, ID: rec.ID, State: partSending, Key: rec.Key, Data: data, Version: rec.Version}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return false, nil, nil // another run took it
		}
		return false, nil, fmt.Errorf("reclaim digest part %s: %w", rec.ID, err)
	}
	return true, nil, nil
}

func (s *Scorecards) markPart(ctx context.Context, key, state string, pd partData) {
	b, _ := json.Marshal(pd)
	_, err := s.st.TransitionRecord(context.WithoutCancel(ctx), KindDigestPart, key, []string{partSending}, state, func(r *store.Record) error {
		r.Data = b
		return nil
	})
	if err != nil {
		s.log.Error("digest part state not saved", "part", key, "state", state, "err", err)
	}
}
