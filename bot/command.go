package bot

import (
	"context"
	"encoding/json"
	"time"
)

// Policy actions. Every command names the one it needs.
const (
	ActionRead     = "read"
	ActionScaffold = "scaffold"
	ActionMutate   = "mutate"
	ActionDelete   = "delete"
	ActionApprove  = "approve"
	ActionAdmin    = "admin"
	// ActionBreakGlass is taking emergency access without an approval.
	ActionBreakGlass = "break-glass"
)

// Command is one "/plat ..." command. Features declare commands and register
// them with the router, which does help, "did you mean", policy and audit for
// all of them.
type Command struct {
	// Name is one or more words: "ping", "catalog search", "new-db".
	Name    string
	Aliases []string
	// Usage is the argument synopsis shown after the name: "<service> [env]".
	Usage string
	// Summary is the one-line description in /plat help.
	Summary string
	// Help is the longer text of /plat help <command>.
	Help string
	// Action is the policy action the command needs (ActionRead ...).
	Action string
	// BoolFlags names flags that take no value ("dry-run", "break-glass").
	BoolFlags []string
	// Flags names flags that take a value ("days", "reason"). A flag the
	// command declares in neither list is refused with a suggestion, so a
	// typo like --dryrun never silently runs the real thing.
	Flags []string
	// Resource says what the policy check is about; nil means the command
	// itself (Resource{Kind: "command", Name: Name}).
	Resource func(ctx context.Context, req *Request) (Resource, error)
	// Form, when set and Handle is nil, is opened when the command runs.
	// It is rebuilt on submission to validate the values, so it must be
	// deterministic for the same request.
	Form func(ctx context.Context, req *Request) (*Form, error)
	// Validate checks a submission beyond the fields' declared rules
	// (uniqueness, cross-field rules). It runs before Slack is answered:
	// keep it fast and free of side effects.
	Validate func(ctx context.Context, req *Request, v Values) FieldErrors
	// Suggest lists the options of a FieldExternal/FieldMultiExternal field
	// for what the user typed (Slack block_suggestion, answered
	// synchronously: keep it fast). The router also uses it to check a
	// submitted external value: a value is valid only if
	// Suggest(ctx, req, field, value) returns an option with exactly that
	// Value.
	Suggest func(ctx context.Context, req *Request, fieldID, query string) ([]Option, error)
	// Submit does the work of a valid submission. It runs as a durable job
	// after Slack has been answered; return a FieldErrors or UserError to
	// tell the user what to fix.
	Submit func(ctx context.Context, req *Request, v Values) error
	// Handle runs the command. It may call req.OpenForm.
	Handle func(ctx context.Context, req *Request) error
	// Hidden commands run but are not listed in /plat help.
	Hidden bool
}

// Resource is what a policy decision is about.
type Resource struct {
	Kind      string   `json:"kind"` // "command", "component", "group", "template" ...
	Name      string   `json:"name,omitempty"`
	Ref       string   `json:"ref,omitempty"` // canonical catalog ref when there is one
	Owner     string   `json:"owner,omitempty"`
	Lifecycle string   `json:"lifecycle,omitempty"`
	Tags      []string `json:"tags,omitempty"`
}

// Decision is a policy's answer.
type Decision struct {
	Allow bool `json:"allow"`
	// Rule names the rule that decided ("default" when none matched).
	Rule string `json:"rule"`
	// Reason explains the decision in words for the user.
	Reason string `json:"reason,omitempty"`
	// AskWhom says who can grant what was denied (e.g. "the admins of group:default/payments").
	AskWhom string `json:"ask_whom,omitempty"`
}

// Policy decides whether a user may do an action on a resource.
type Policy interface {
	Decide(ctx context.Context, u User, action string, res Resource) Decision
}

// AllowAll is a Policy that allows everything (for tests of other concerns).
type AllowAll struct{}

// Decide allows.
func (AllowAll) Decide(context.Context, User, string, Resource) Decision {
	return Decision{Allow: true, Rule: "allow-all"}
}

// ActionHandler handles a button click.
type ActionHandler func(ctx context.Context, req *Request, a Action) error

// JobHandler runs one durable job. Returning an error retries it with
// backoff until its attempts are used up; return Permanent(err) to stop at once.
type JobHandler func(ctx context.Context, payload json.RawMessage) error

// JobSpec describes a job to enqueue.
type JobSpec struct {
	Kind    string
	Payload any
	// RunAt delays the job (zero = now).
	RunAt time.Time
	// DedupeKey makes enqueueing idempotent ("" = none).
	DedupeKey string
	// MaxAttempts caps retries (0 = the worker's default).
	MaxAttempts int
}

// PermanentError marks a job error that must not be retried.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so the worker fails the job without retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}
