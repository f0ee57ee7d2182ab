package approval

// The types a feature configures its approval flow with: its Config and
// hooks, the Ballot it embeds, and the small interfaces of the store and the
// router the lifecycle needs.

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// Store is the part of the store the lifecycle uses: read, create-if-absent
// and compare-and-swap (store.CAS, what store.Modify needs); *store.Store
// satisfies it.
type Store interface {
	store.CAS
}

// Router is the part of bot.Router the lifecycle uses; *bot.Router
// satisfies it.
type Router interface {
	Authorize(ctx context.Context, req *bot.Request, action string, res bot.Resource) error
	Audit(ctx context.Context, ev store.Event)
	Enqueue(ctx context.Context, spec bot.JobSpec) (bool, error)
	Outbound(transport string) bot.Messenger
}

// Default state names; Config.States may rename them.
const (
	StatePending  = "pending"
	StateApproved = "approved"
	StateDenied   = "denied"
	StateLapsed   = "lapsed"
)

// System is the actor of what the lifecycle does on its own (lapsing).
var System = bot.User{ID: "platbot", Name: "platbot"}

// Vote is one reviewer's decision.
type Vote struct {
	User    bot.User  `json:"user"`
	UserRef string    `json:"user_ref,omitempty"`
	Role    string    `json:"role,omitempty"`
	At      time.Time `json:"at"`
	Note    string    `json:"note,omitempty"`
	// Job is the job that ran the click (bot.JobOf), so that only a retry
	// of that job finishes a decision its process died announcing — not
	// the same person's second click, running at once on another replica.
	Job int64 `json:"job,omitempty"`
}

// Ballot is the lifecycle's part of a request. Embed it in the feature's
// request type: its fields are then stored inline in the request's JSON.
type Ballot struct {
	Requester bot.User `json:"requester"`
	// Transport is where the request came from; messages sent outside a
	// request (jobs) go through its messenger.
	Transport string `json:"transport"`
	// Required is how many different approvers must approve (at least 1).
	Required  int    `json:"required"`
	Approvals []Vote `json:"approvals,omitempty"`
	Denial    *Vote  `json:"denial,omitempty"`
	// PendingUntil is when an undecided request lapses (zero: never).
	PendingUntil time.Time `json:"pending_until,omitempty"`
	// Card is the request's message with the buttons.
	Card bot.MessageRef `json:"card,omitempty"`
	// Announced is the decided state whose follow-up (audit row, card,
	// thread reply, DM, the Approved hook) finished. A decision is written
	// first and announced after; when the process dies in between, the
	// click's job (or the lapse job) runs again, finds the state decided but
	// not announced, and finishes it.
	Announced string `json:"announced,omitempty"`
}

// ApprovedBy reports whether the user approved.
func (b *Ballot) ApprovedBy(userID string) bool {
	return slices.ContainsFunc(b.Approvals, func(v Vote) bool { return v.User.ID == userID })
}

// Outcome is what a decision or the lapse job did to a request.
type Outcome string

// Outcomes.
const (
	// Counted is one more approval; the request still needs more.
	Counted Outcome = "counted"
	// Approved is the approval that completed the request.
	Approved Outcome = "approved"
	// Denied is a denial.
	Denied Outcome = "denied"
	// Lapsed is a request nobody decided by its PendingUntil.
	Lapsed Outcome = "lapsed"
)

// Event describes an outcome to the Texts hook.
type Event struct {
	Outcome Outcome
	// By decided (System for a lapse), in Role.
	By   bot.User
	Role string
}

// Texts are what an outcome says: in the card's thread, and to the
// requester by DM ("" sends none).
type Texts struct {
	Thread string
	DM     string
}

// Eligibility is the MayDecide hook's answer about one clicker.
type Eligibility struct {
	// Role is recorded on the vote ("peer", "manager", "admin").
	Role string
	// UserRef is the clicker's catalog ref, recorded on the vote.
	UserRef string
	// Refusal, when set, refuses the click: it is shown to the clicker
	// only and audited.
	Refusal string
}

// States names the states of the lifecycle in the feature's records.
type States struct {
	Pending, Approved, Denied, Lapsed string
}

// Config is a feature's approval flow. Kind, Noun, ID, Ballot, MayDecide,
// Card, Channel and Texts are required.
type Config[T any] struct {
	// Kind is the store record kind of the requests.
	Kind string
	// Noun names a request in error texts ("access request").
	Noun string
	// States are the state names; empty ones default to the State* constants.
	States States
	// ID returns a request's id; Ballot its embedded Ballot.
	ID     func(*T) string
	Ballot func(*T) *Ballot
	// Key, when set, is stored as the record's key (for store.Query.Key).
	Key func(*T) string

	// NotFound is the error shown for an unknown (or empty) id; a generic
	// UserError naming Noun when nil.
	NotFound func(id string) error
	// StateText describes a state in a sentence ("✅ APPROVED"); the state
	// itself when nil.
	StateText func(state string) string
	// SelfRefusal is what the requester is told when they click on their
	// own request; a generic text when nil.
	SelfRefusal func(r *T) string
	// RefuseAsError returns every refusal as a bot.UserError (the router
	// answers the clicker with it) instead of an ephemeral message.
	RefuseAsError bool

	// MayDecide says whether req's user may decide r now (checked again on
	// every click: membership may have changed since the card was posted).
	// An error is an outage, not a refusal.
	MayDecide func(ctx context.Context, req *bot.Request, r *T) (Eligibility, error)
	// PolicyAction and Resource, when Resource is set, are also checked
	// with Router.Authorize after MayDecide; a denial refuses the click.
	PolicyAction string
	Resource     func(r *T) bot.Resource

	// Card renders the request's card in a state. It must show the
	// buttons ApproveButton and DenyButton make while pending.
	Card func(r *T, state string) bot.Message
	// Channel is where the card is posted.
	Channel func(r *T) (string, error)
	// Prepare, when set, runs once before the card is first posted and
	// returns a change to r (e.g. the requester's history for the card);
	// the change is applied to the posted card and stored with its ref.
	Prepare func(ctx context.Context, r *T) func(*T)
	// AlsoShownAt are further copies of the card that Refresh updates.
	AlsoShownAt func(r *T) []bot.MessageRef
	// Texts says what an outcome says in the thread and to the requester.
	Texts func(r *T, ev Event) Texts

	// OnApprove, when set, changes r as the approval that completes it is
	// recorded (inside the compare-and-swap: it may run more than once and
	// must only change r).
	OnApprove func(r *T, now time.Time)
	// Approved, when set, runs after an approval completed r and was
	// announced (issue, schedule expiry). Its error is the click's.
	Approved func(ctx context.Context, r *T) error

	// DecideAction and LapseAction are the audit actions of decisions
	// (and refused clicks) and of lapses.
	DecideAction, LapseAction string
	// DecisionOutcome, when set, is the audit outcome of a decision that
	// moved the request to state (DecisionState returns the state itself);
	// the decision, allow or deny, is recorded beside it. When nil the
	// outcome is "ok". Refused clicks are recorded with "ok" either way.
	DecisionOutcome func(state string) string
	// AuditTarget and AuditDetails describe r in audit events.
	AuditTarget  func(r *T) string
	AuditDetails func(r *T) map[string]any

	// LapseJob is the job kind of the lapse ("" = requests never lapse);
	// register Flow.RunLapse for it. JobAttempts bounds its tries.
	LapseJob    string
	JobAttempts int
}

// DecisionState is a Config.DecisionOutcome that audits a decision's
// outcome as the request's new state ("approved", "denied").
func DecisionState(state string) string { return state }

// Deps are what New needs besides the Config.
type Deps struct {
	Store Store
	// Messenger, when set, sends messages outside a request; otherwise
	// Router.Outbound of the request's transport.
	Messenger bot.Messenger
	// Logger is slog.Default() when nil; Now is time.Now when nil.
	Logger *slog.Logger
	Now    func() time.Time
}
