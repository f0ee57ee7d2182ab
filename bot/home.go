package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// JobHomeOpened is the job kind of a person opening the bot's Home tab: the
// Slack transport accepts an app_home_opened event as a job of this kind,
// its payload a Request naming the user. The home feature handles it
// (commands/home) by publishing that person's Home.
const JobHomeOpened = "bot.home"

// HomePublisher is implemented by messengers that can show a person their
// own Home tab (Slack's views.publish). A transport without one has no Home.
type HomePublisher interface {
	PublishHome(ctx context.Context, userID string, blocks []Block) error
}

// HomeSection is one part of a person's Home that a feature contributes:
// their services, their runs, the approvals waiting for them, their
// grants. Build answers for the person in req (req.User resolved as for a
// command, req bound to the transport's messenger); no blocks shows
// nothing. Buttons in the blocks are delivered like buttons on a message,
// to the handler registered for their prefix, with a request that has no
// channel (answers go by DM).
type HomeSection struct {
	// Feature is the feature that registered the section (set by the
	// Registry).
	Feature string
	// Order places the section: lower first.
	Order int
	// Build returns the section's blocks for req.User.
	Build func(ctx context.Context, req *Request) ([]Block, error)
	// Summary, when set, is one short sentence about the section for
	// req.User ("" for nothing to say): `/plat home` lists them.
	Summary func(ctx context.Context, req *Request) (string, error)
}

// extensions are the hooks features register beyond commands, buttons and
// jobs: sections of the Home, listeners to Home changes, link unfurlers.
type extensions struct {
	mu          sync.RWMutex
	home        []HomeSection
	homeChanged []func(ctx context.Context, userIDs []string)
	homeFor     []func(ctx context.Context, who HomeAudience)
	homeTeams   []func(ctx context.Context, teams []string)
	unfurlers   []registeredUnfurler
}

// HomeSection registers a section of every person's Home.
func (g *Registry) HomeSection(s HomeSection) {
	s.Feature = g.current
	g.router.AddHomeSection(s)
}

// AddHomeSection adds a section of every person's Home (see
// Registry.HomeSection, which features use).
func (r *Router) AddHomeSection(s HomeSection) {
	r.ext.mu.Lock()
	r.ext.home = append(r.ext.home, s)
	r.ext.mu.Unlock()
}

// HomeSections are the registered sections, by Order (then in the order
// they were registered).
func (r *Router) HomeSections() []HomeSection {
	r.ext.mu.RLock()
	out := append([]HomeSection(nil), r.ext.home...)
	r.ext.mu.RUnlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	return out
}

// OnHomeChanged registers fn to be told when what someone's Home shows may
// have changed (the home feature republishes, debounced).
func (r *Router) OnHomeChanged(fn func(ctx context.Context, userIDs []string)) {
	r.ext.mu.Lock()
	r.ext.homeChanged = append(r.ext.homeChanged, fn)
	r.ext.mu.Unlock()
}

// HomeChanged tells the Home listeners that what the named people's Homes
// show may have changed; with no ids, anyone's may have (a request waiting
// for approval appeared or was decided). Features call it after a state
// change is written; it never fails the caller, and does nothing when no
// home feature listens.
func (r *Router) HomeChanged(ctx context.Context, userIDs ...string) {
	if r == nil {
		return
	}
	r.ext.mu.RLock()
	fns := append([]func(context.Context, []string){}, r.ext.homeChanged...)
	r.ext.mu.RUnlock()
	ids := make([]string, 0, len(userIDs))
	for _, id := range userIDs {
		if id != "" {
			ids = append(ids, id)
		}
	}
	if len(userIDs) > 0 && len(ids) == 0 {
		return // only unknown people named: nothing to republish
	}
	for _, fn := range fns {
		fn(ctx, ids)
	}
}

// HomeAudience says whether a change concerns the person in req (req.User
// resolved as for a command): the people who may decide a request that
// entered or left pending, say.
type HomeAudience func(ctx context.Context, req *Request) (bool, error)

// OnHomeChangedFor registers fn to be told of a change that concerns the
// people who opened their Home and whom who accepts.
func (r *Router) OnHomeChangedFor(fn func(ctx context.Context, who HomeAudience)) {
	r.ext.mu.Lock()
	r.ext.homeFor = append(r.ext.homeFor, fn)
	r.ext.mu.Unlock()
}

// HomeChangedFor tells the Home listeners that what the Homes of the people
// who accepts may have changed, and those of the named people: only those
// are republished, not everyone's. Like HomeChanged it never fails the
// caller.
func (r *Router) HomeChangedFor(ctx context.Context, who HomeAudience, userIDs ...string) {
	if r == nil {
		return
	}
	r.ext.mu.RLock()
	fns := append([]func(context.Context, HomeAudience){}, r.ext.homeFor...)
	r.ext.mu.RUnlock()
	if who != nil {
		for _, fn := range fns {
			fn(ctx, who)
		}
	}
	if ids := nonEmpty(userIDs); len(ids) > 0 {
		r.HomeChanged(ctx, ids...)
	}
}

func nonEmpty(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// OnHomeTeamsChanged registers fn to be told of a change to what the
// members of some teams see on their Homes.
func (r *Router) OnHomeTeamsChanged(fn func(ctx context.Context, teams []string)) {
	r.ext.mu.Lock()
	r.ext.homeTeams = append(r.ext.homeTeams, fn)
	r.ext.mu.Unlock()
}

// HomeChangedForTeams tells the Home listeners that what the members of
// the named teams (catalog group refs) see may have changed: their
// services' grade, live status or cost. Only the Homes of those teams'
// members are republished. It never fails the caller, and does nothing
// for no teams.
func (r *Router) HomeChangedForTeams(ctx context.Context, teams ...string) {
	if r == nil {
		return
	}
	ts := nonEmpty(teams)
	if len(ts) == 0 {
		return
	}
	r.ext.mu.RLock()
	fns := append([]func(context.Context, []string){}, r.ext.homeTeams...)
	r.ext.mu.RUnlock()
	for _, fn := range fns {
		fn(ctx, ts)
	}
}

// HomeAudienceNotifier is what a feature needs to say a change concerns
// some people; *Router satisfies it.
type HomeAudienceNotifier interface {
	HomeChangedFor(ctx context.Context, who HomeAudience, userIDs ...string)
}

var _ HomeAudienceNotifier = (*Router)(nil)

// HomeNotifier is what a feature needs to say a Home changed; *Router
// satisfies it. Features that keep a narrower router interface check for
// it with a type assertion.
type HomeNotifier interface {
	HomeChanged(ctx context.Context, userIDs ...string)
}

var _ HomeNotifier = (*Router)(nil)

// Prepare readies a request taken from a job that runs outside a command
// (a Home to publish, a link to unfurl): it binds the messenger of the
// request's transport and resolves the user's profile as a command's job
// does. It fails when the transport has no messenger.
func (r *Router) Prepare(ctx context.Context, req *Request) error {
	if err := r.bind(req); err != nil {
		return err
	}
	r.resolveUser(ctx, req)
	return nil
}

// DecodeRequestJob reads the Request a JobHomeOpened job carries.
func DecodeRequestJob(payload json.RawMessage) (*Request, error) {
	req, err := UnmarshalRequest(payload)
	if err != nil {
		return nil, Permanent(err)
	}
	if req.User.ID == "" {
		return nil, Permanent(fmt.Errorf("decode request: no user"))
	}
	return req, nil
}
