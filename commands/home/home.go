// Package home is the App Home: each person's own page in the bot's Home
// tab, published with the transport's bot.HomePublisher (Slack's
// views.publish) when they open it and again, debounced, when something it
// shows changes. Its sections come from the features (bot.HomeSection,
// registered through the Registry): this feature contributes the person's
// teams' services, each with the facts other features add to service
// summaries (catalog.SummaryFact: grade, live status, cost trend); the
// golden paths add open runs, the approval flows what waits for the
// person, the access feature their grants. `/plat home` (and `/plat`
// alone) answers with a short summary and points to the Home tab.
package home

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// Defaults.
const (
	// DefaultDebounce is the least time between two publications of one
	// person's Home for changes.
	DefaultDebounce = 5 * time.Second
	// DefaultPublishInterval spaces all publications of the bot: Slack's
	// views.publish allows about 100 a minute per workspace (its Tier 4).
	DefaultPublishInterval = 700 * time.Millisecond
	// MaxServices is the most services the Home lists per team.
	MaxServices = 15
	// ViewerTTL is how long someone who opened their Home is republished
	// for changes: not opened for longer, they are dropped, and their Home
	// is published again when they next open it.
	ViewerTTL = 30 * 24 * time.Hour
)

// Job kinds and the record kind of the people who opened their Home.
const (
	// JobPublish publishes one person's Home after changes.
	JobPublish = "home.publish"
	// JobPublishAll queues JobPublish for everyone who opened their Home,
	// off the path of the change that affects them all.
	JobPublishAll = "home.publish-all"
	KindViewer    = "home.viewer"
)

// Duration is a time.Duration read from YAML as Go writes it ("5s", "1m").
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML reads "5s", "700ms", "1m".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration such as 5s or 700ms: %w", n.Line, err)
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("line %d: want a duration such as 5s or 700ms: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// Config is the home section of platbot.yaml.
type Config struct {
	// Debounce is the least time between two publications of one person's
	// Home after changes: the changes within it are shown by one
	// publication at its end.
	Debounce Duration `yaml:"debounce"`
	// PublishInterval is the least time between two publications of
	// anyone's Home, so a burst of changes stays under Slack's limit.
	PublishInterval Duration `yaml:"publishInterval"`
}

// DefaultConfig is the configuration without a home section.
func DefaultConfig() Config {
	return Config{Debounce: Duration(DefaultDebounce), PublishInterval: Duration(DefaultPublishInterval)}
}

// Validate checks the configuration; an error names the key.
func (c Config) Validate() error {
	if c.Debounce.D() < time.Second || c.Debounce.D() > 10*time.Minute {
		return fmt.Errorf("home.debounce: %s is out of range; use 1s to 10m (default %s)", c.Debounce.D(), DefaultDebounce)
	}
	if c.PublishInterval.D() < 0 || c.PublishInterval.D() > time.Minute {
		return fmt.Errorf("home.publishInterval: %s is out of range; use 0 to 1m (default %s)", c.PublishInterval.D(), DefaultPublishInterval)
	}
	return nil
}

// Store is the part of the store the feature uses: the records of who
// opened their Home (*store.Store satisfies it).
type Store interface {
	PutRecord(ctx context.Context, r store.Record) (bool, error)
	GetRecord(ctx context.Context, kind, id string) (*store.Record, error)
	UpdateRecord(ctx context.Context, r store.Record) (*store.Record, error)
	ListRecords(ctx context.Context, q store.Query) ([]store.Record, error)
	DeleteRecord(ctx context.Context, kind, id string) error
}

// Catalog is what the services section reads (*catalog.Catalog satisfies
// it).
type Catalog interface {
	Identify(ctx context.Context, u bot.User) (*catalog.Identity, error)
	Get(ref string) (*catalog.Entity, bool)
	OwnedBy(groupRef string) []*catalog.Entity
	ServiceSummary(ctx context.Context, e *catalog.Entity, shared bool) []bot.Pair
}

// Deps are the feature's dependencies.
type Deps struct {
	Store   Store
	Catalog Catalog
	Logger  *slog.Logger
	// Now is the clock and Sleep waits (tests: a fake clock); time.Now and
	// bot.SleepContext when nil.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
}

// Home is the feature.
type Home struct {
	cfg    Config
	d      Deps
	log    *slog.Logger
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	router *bot.Router
}

var _ bot.Feature = (*Home)(nil)

// New checks cfg and returns the feature.
func New(cfg Config, d Deps) (*Home, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Store == nil || d.Catalog == nil {
		return nil, errors.New("home: need a store and a catalog")
	}
	h := &Home{cfg: cfg, d: d, log: d.Logger, now: d.Now}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.log = h.log.With("component", "home")
	if h.now == nil {
		h.now = time.Now
	}
	h.sleep = d.Sleep
	if h.sleep == nil {
		h.sleep = bot.SleepContext
	}
	return h, nil
}

// Name is the feature's name and configuration section.
func (h *Home) Name() string { return "home" }

// Register adds `/plat home`, the jobs that publish Homes, the services
// section, and listens to Home changes.
func (h *Home) Register(reg *bot.Registry) error {
	h.router = reg.Router()
	reg.Commands(&bot.Command{
		Name:    "home",
		Summary: "What is on your Home: your services, runs, approvals waiting for you and grants",
		Help:    "`/plat home` (or `/plat` alone) sums up what platbot's Home tab shows you, and points to it: open platbot in Slack's sidebar and pick *Home*. The Home has the buttons: approve, extend, revoke.",
		Action:  bot.ActionRead,
		Handle:  h.handleHome,
	})
	reg.Job(bot.JobHomeOpened, h.openedJob)
	reg.Job(JobPublish, h.publishJob)
	reg.Job(JobPublishAll, h.publishAllJob)
	reg.HomeSection(bot.HomeSection{Order: 10, Build: h.servicesSection, Summary: h.servicesSummary})
	h.router.OnHomeChanged(h.changed)
	h.router.OnHomeChangedFor(h.changedFor)
	h.router.OnHomeTeamsChanged(h.teamsChanged)
	return nil
}

// Resume has nothing to pick up: publications are jobs.
func (h *Home) Resume(context.Context) error { return nil }

// publishPayload is a JobPublish payload.
type publishPayload struct {
	User string `json:"user"`
}

// publishAllPayload is a JobPublishAll payload: the debounce window of the
// change.
type publishAllPayload struct {
	Slot int64 `json:"slot"`
}

// viewer is a KindViewer record's data: who opened their Home (as the
// transport resolved them, so a change's audience is checked without
// asking Slack again) and when they last did.
type viewer struct {
	User   bot.User  `json:"user"`
	Opened time.Time `json:"opened"`
}

// openedJob publishes the Home of someone who opened it, and remembers
// them and when, so changes within ViewerTTL republish it. Someone who
// opens it again within the debounce window (flipping between tabs) gets
// one publication at the window's end, so one person cannot take the
// shared publication pace from everyone else.
func (h *Home) openedJob(ctx context.Context, payload json.RawMessage) error {
	req, err := bot.DecodeRequestJob(payload)
	if err != nil {
		return err
	}
	if err := h.router.Prepare(ctx, req); err != nil {
		return err
	}
	again := false
	if rec, err := h.d.Store.GetRecord(ctx, KindViewer, req.User.ID); err == nil {
		if v, ok := h.current(ctx, rec); ok && h.now().Sub(v.Opened) < h.cfg.Debounce.D() {
			again = true
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read home viewer %s: %w", req.User.ID, err)
	}
	if err := h.remember(ctx, req.User); err != nil {
		return err
	}
	if again {
		return h.schedule(ctx, req.User.ID, h.slot())
	}
	return h.publish(ctx, req)
}

// remember records u as having opened their Home now.
func (h *Home) remember(ctx context.Context, u bot.User) error {
	data, err := json.Marshal(viewer{User: bot.User{ID: u.ID, Name: u.Name, Email: u.Email}, Opened: h.now().UTC()})
	if err != nil {
		return fmt.Errorf("encode home viewer %s: %w", u.ID, err)
	}
	rec := store.Record{Kind: KindViewer, ID: u.ID, State: "open", Owner: u.ID, Data: data}
	for range 3 {
		created, err := h.d.Store.PutRecord(ctx, rec)
		if err != nil {
			return fmt.Errorf("remember home viewer %s: %w", u.ID, err)
		}
		if created {
			return nil
		}
		cur, err := h.d.Store.GetRecord(ctx, KindViewer, u.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue // dropped meanwhile: create it again
		}
		if err != nil {
			return fmt.Errorf("remember home viewer %s: %w", u.ID, err)
		}
		rec.Version = cur.Version
		if _, err := h.d.Store.UpdateRecord(ctx, rec); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("remember home viewer %s: %w", u.ID, err)
		}
	}
	return nil // another opening of the same Home wrote it meanwhile
}

// current reads a viewer record and says whether it is within ViewerTTL;
// an expired one is dropped. A record written before the opening time was
// kept counts from its last update.
func (h *Home) current(ctx context.Context, rec *store.Record) (viewer, bool) {
	var v viewer
	if err := json.Unmarshal(rec.Data, &v); err != nil {
		h.log.Warn("unreadable home viewer record", "user", rec.ID, "err", err)
	}
	if v.User.ID == "" {
		v.User.ID = rec.ID
	}
	if v.Opened.IsZero() {
		v.Opened = rec.Updated
	}
	if h.now().Sub(v.Opened) <= ViewerTTL {
		return v, true
	}
	if err := h.d.Store.DeleteRecord(ctx, KindViewer, rec.ID); err != nil {
		h.log.Error("drop expired home viewer", "user", rec.ID, "err", err)
	}
	return v, false
}

// viewers are the people who opened their Home within ViewerTTL; the
// others' records are dropped.
func (h *Home) viewers(ctx context.Context) ([]viewer, error) {
	recs, err := h.d.Store.ListRecords(ctx, store.Query{Kind: KindViewer})
	if err != nil {
		return nil, fmt.Errorf("list home viewers: %w", err)
	}
	var out []viewer
	for i := range recs {
		if v, ok := h.current(ctx, &recs[i]); ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// publishJob republishes one person's Home after changes.
func (h *Home) publishJob(ctx context.Context, payload json.RawMessage) error {
	var p publishPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.User == "" {
		return bot.Permanent(fmt.Errorf("decode %s: %v", JobPublish, err))
	}
	return h.publish(ctx, &bot.Request{ID: "home:" + p.User, Transport: bot.TransportSlack, User: bot.User{ID: p.User}, Received: h.now()})
}

// changed queues a publication of each named person's Home at the end of
// the current debounce window: the changes within one window are one
// publication, and one person's Home is published at most once a window
// for changes. When none is named, one JobPublishAll due at the window's
// end lists everyone who opened their Home then (so whoever opened it
// during the window is included) and publishes theirs; the request that
// made the change does not wait for the list.
func (h *Home) changed(ctx context.Context, userIDs []string) {
	slot := h.slot()
	if len(userIDs) == 0 {
		key := fmt.Sprintf("%s:%d", JobPublishAll, slot)
		spec := bot.JobSpec{Kind: JobPublishAll, Payload: publishAllPayload{Slot: slot}, RunAt: h.windowEnd(slot), DedupeKey: key, MaxAttempts: 3}
		if _, err := h.router.Enqueue(ctx, spec); err != nil {
			h.log.Error("queue home publications", "err", err)
		}
		return
	}
	for _, id := range userIDs {
		rec, err := h.d.Store.GetRecord(ctx, KindViewer, id)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				h.log.Error("look up home viewer", "user", id, "err", err)
			}
			continue // never opened their Home: it is published when they do
		}
		if _, ok := h.current(ctx, rec); !ok {
			continue // not opened for ViewerTTL: published when they next do
		}
		if err := h.schedule(ctx, id, slot); err != nil {
			h.log.Error("queue home publication", "user", id, "err", err)
		}
	}
}

// publishAllJob queues the publication of everyone's Home who opened it,
// for the window of the change.
func (h *Home) publishAllJob(ctx context.Context, payload json.RawMessage) error {
	var p publishAllPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return bot.Permanent(fmt.Errorf("decode %s: %w", JobPublishAll, err))
	}
	vs, err := h.viewers(ctx)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if err := h.schedule(ctx, v.User.ID, p.Slot); err != nil {
			return err
		}
	}
	return nil
}

// changedFor queues, as changed does, the publication of the Homes of the
// current viewers whom who accepts (the people who may decide a request
// that entered or left pending): nobody else's Home is published. Each
// viewer is checked as remembered when they opened their Home, without
// asking the transport again; a check that fails leaves that person out
// and is logged.
func (h *Home) changedFor(ctx context.Context, who bot.HomeAudience) {
	slot := h.slot()
	vs, err := h.viewers(ctx)
	if err != nil {
		h.log.Error("queue home publications", "err", err)
		return
	}
	for _, v := range vs {
		req := &bot.Request{ID: "home:" + v.User.ID, Transport: bot.TransportSlack, User: v.User, Received: h.now()}
		if err := h.router.Prepare(ctx, req); err != nil {
			h.log.Error("home audience", "user", v.User.ID, "err", err)
			return // no messenger: no Home to publish for anyone
		}
		ok, err := who(ctx, req)
		if err != nil {
			h.log.Error("home audience", "user", v.User.ID, "err", err)
			continue
		}
		if !ok {
			continue
		}
		if err := h.schedule(ctx, v.User.ID, slot); err != nil {
			h.log.Error("queue home publication", "user", v.User.ID, "err", err)
		}
	}
}

// teamsChanged queues, as changedFor does, the publication of the Homes of
// the current viewers who are direct members of one of teams (the teams
// whose services' grade, live status or cost changed).
func (h *Home) teamsChanged(ctx context.Context, teams []string) {
	want := make(map[string]bool, len(teams))
	for _, t := range teams {
		want[t] = true
	}
	h.changedFor(ctx, func(ctx context.Context, req *bot.Request) (bool, error) {
		mine, err := h.teamsOf(ctx, req)
		if err != nil {
			return false, err
		}
		for _, t := range mine {
			if want[t] {
				return true, nil
			}
		}
		return false, nil
	})
}

// slot is the debounce window now falls in.
func (h *Home) slot() int64 { return h.now().UnixNano() / int64(h.cfg.Debounce.D()) }

// windowEnd is when debounce window slot ends.
func (h *Home) windowEnd(slot int64) time.Time {
	return time.Unix(0, (slot+1)*int64(h.cfg.Debounce.D()))
}

// schedule queues one person's publication at the end of debounce window
// slot, once per window.
func (h *Home) schedule(ctx context.Context, userID string, slot int64) error {
	key := fmt.Sprintf("%s:%s:%d", JobPublish, userID, slot)
	spec := bot.JobSpec{Kind: JobPublish, Payload: publishPayload{User: userID}, RunAt: h.windowEnd(slot), DedupeKey: key, MaxAttempts: 3}
	if _, err := h.router.Enqueue(ctx, spec); err != nil {
		return fmt.Errorf("queue home publication of %s: %w", userID, err)
	}
	return nil
}

// publish builds req.User's Home and publishes it, paced across replicas
// (waitSlot).
func (h *Home) publish(ctx context.Context, req *bot.Request) error {
	if err := h.router.Prepare(ctx, req); err != nil {
		return err
	}
	pub, ok := req.Messenger().(bot.HomePublisher)
	if !ok {
		return bot.Permanent(fmt.Errorf("home: the %s transport has no Home tab", req.Transport))
	}
	blocks := h.Blocks(ctx, req)
	if err := h.waitSlot(ctx); err != nil {
		return err
	}
	if err := pub.PublishHome(ctx, req.User.ID, blocks); err != nil {
		return fmt.Errorf("publish home of %s: %w", req.User.ID, err)
	}
	return nil
}

// homeBudget is how many blocks Blocks fills with whole sections: Slack
// shows at most 100 in a Home, and a few are kept for the note of what did
// not fit and for a block the transport splits in two.
const homeBudget = 94

// Blocks are req.User's Home: a header, then every section that has
// something to show, divided. A section that fails says so in its place.
// Sections are added whole while they fit in homeBudget; the ones that do
// not are named at the end, never cut in the middle of a card.
func (h *Home) Blocks(ctx context.Context, req *bot.Request) []bot.Block {
	out := []bot.Block{
		bot.Header{Text: "Your platform"},
		bot.Context{Text: "Updated " + h.now().UTC().Format("Jan 2 15:04 UTC") + " · `/plat help` lists every command"},
	}
	var left []string
	for _, s := range h.router.HomeSections() {
		bs, err := s.Build(ctx, req)
		if err != nil {
			h.log.Error("home section failed", "feature", s.Feature, "user", req.User.ID, "err", err)
			bs = []bot.Block{bot.Context{Text: fmt.Sprintf("⚠️ The %s part of your Home could not be loaded just now; it is tried again on the next update.", s.Feature)}}
		}
		if len(bs) == 0 {
			continue
		}
		if len(out)+1+len(bs) > homeBudget {
			left = append(left, s.Feature)
			continue
		}
		out = append(out, bot.Divider{})
		out = append(out, bs...)
	}
	if len(left) > 0 {
		out = append(out, bot.Divider{}, bot.Context{Text: fmt.Sprintf("Your Home is full (Slack shows 100 blocks), so these parts are not shown: %s. `/plat help` lists the commands that show them.", strings.Join(left, ", "))})
	}
	if len(out) == 2 {
		out = append(out, bot.Section{Text: "Nothing here yet: you own no services in the catalog, run no golden paths, hold no grants and nothing waits for your approval. `/plat whoami` shows how the catalog knows you."})
	}
	return out
}

// handleHome is `/plat home`: one line per section that has something to
// say, and where the Home is.
func (h *Home) handleHome(ctx context.Context, req *bot.Request) error {
	var lines []string
	for _, s := range h.router.HomeSections() {
		if s.Summary == nil {
			continue
		}
		line, err := s.Summary(ctx, req)
		if err != nil {
			h.log.Error("home summary failed", "feature", s.Feature, "user", req.User.ID, "err", err)
			line = fmt.Sprintf("The %s part could not be loaded just now.", s.Feature)
		}
		if line != "" {
			lines = append(lines, "• "+line)
		}
	}
	if len(lines) == 0 {
		lines = append(lines, "• Nothing waits for you: no services of your teams in the catalog, no open runs, no approvals, no grants.")
	}
	where := "Open *platbot* in Slack's sidebar and pick the *Home* tab for the details and the buttons."
	if req.Transport != bot.TransportSlack {
		where = "The details and buttons are on platbot's *Home* tab in Slack."
	}
	text := strings.Join(lines, "\n")
	return req.Reply(ctx, bot.Message{
		Text:   text + "\n" + where,
		Blocks: []bot.Block{bot.Section{Text: text}, bot.Context{Text: where + " `/plat help` lists every command."}},
	})
}

// teamsOf are the groups req.User belongs to directly ("my teams").
func (h *Home) teamsOf(ctx context.Context, req *bot.Request) ([]string, error) {
	id, err := h.d.Catalog.Identify(ctx, req.User)
	if err != nil {
		return nil, fmt.Errorf("identify %s: %w", req.User.ID, err)
	}
	return id.DirectGroups, nil
}

// services are the live Components a team owns.
func (h *Home) services(team string) []*catalog.Entity {
	var out []*catalog.Entity
	for _, e := range h.d.Catalog.OwnedBy(team) {
		if e.Kind == catalog.KindComponent && !e.Orphan {
			out = append(out, e)
		}
	}
	return out
}

// servicesSection lists the services of req.User's teams, each with its
// summary facts (the owner left out: the team heads the list).
func (h *Home) servicesSection(ctx context.Context, req *bot.Request) ([]bot.Block, error) {
	teams, err := h.teamsOf(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []bot.Block
	for _, team := range teams {
		svcs := h.services(team)
		if len(svcs) == 0 {
			continue
		}
		title := team
		if g, ok := h.d.Catalog.Get(team); ok && g.Metadata.Title != "" {
			title = g.Metadata.Title + " (" + team + ")"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "*Services of %s*", bot.UserText(title))
		for i, e := range svcs {
			if i == MaxServices {
				fmt.Fprintf(&b, "\n…and %d more: `/plat catalog team %s`", len(svcs)-MaxServices, bot.UserText(team))
				break
			}
			fmt.Fprintf(&b, "\n• *%s*", bot.UserText(e.Metadata.Name))
			for _, p := range h.d.Catalog.ServiceSummary(ctx, e, false) {
				if p.Label == "Owner" {
					continue
				}
				fmt.Fprintf(&b, " · %s %s", p.Label, p.Value)
			}
		}
		out = append(out, bot.Section{Text: b.String()})
	}
	return out, nil
}

// servicesSummary counts the services of req.User's teams.
func (h *Home) servicesSummary(ctx context.Context, req *bot.Request) (string, error) {
	teams, err := h.teamsOf(ctx, req)
	if err != nil {
		return "", err
	}
	n := 0
	for _, t := range teams {
		n += len(h.services(t))
	}
	if n == 0 {
		return "", nil
	}
	return fmt.Sprintf("Your teams own %d service(s); the Home shows each one's grade, live status and cost trend.", n), nil
}
