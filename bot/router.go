package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/store"
)

// Auditor records audit events (store.Store satisfies it).
type Auditor interface {
	Audit(ctx context.Context, ev store.Event) error
}

// Job kinds the router itself runs.
const (
	JobCommand = "bot.command"
	JobSubmit  = "bot.submit"
	JobAction  = "bot.action"
)

// RouterOptions are the router's dependencies.
type RouterOptions struct {
	Policy  Policy
	Audit   Auditor
	Queue   Queue
	Logger  *slog.Logger
	Version string
	// Metrics, when set, counts commands and their outcomes.
	Metrics *Metrics
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
	// PolicyAudits says the Policy records its own decisions, so the router
	// does not record them a second time.
	PolicyAudits bool
	// Denial renders a denial for the user; a plain sentence naming the rule
	// and whom to ask when nil.
	Denial func(action string, res Resource, d Decision) Message
	// Sealer seals secret form values in job payloads and between the
	// pages of a form; a per-process random key when nil (sealed values
	// then do not survive a restart).
	Sealer Sealer
	// ExplainError, when set, may phrase a command's failure for the user
	// instead of its bare error (an outside system known to be down: "GitHub
	// is down since 10:42 UTC (owned by #platform)"); "" keeps the error.
	ExplainError func(ctx context.Context, err error) string
}

// Router turns requests into policy-checked, audited command runs, and
// dispatches form submissions, button clicks and durable jobs.
type Router struct {
	opts RouterOptions
	log  *slog.Logger
	now  func() time.Time

	mu         sync.RWMutex
	commands   map[string]*Command // by lower-case name and alias
	order      []*Command
	sources    []func() []*Command
	actions    map[string]ActionHandler
	messengers map[string]Messenger
	// ext holds the Home sections, Home listeners and link unfurlers
	// features register (home.go, unfurl.go).
	ext extensions

	worker *Worker
}

// NewRouter returns a router; Policy, Audit and Queue are required.
func NewRouter(opts RouterOptions) *Router {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Policy == nil {
		opts.Policy = AllowAll{}
	}
	r := &Router{
		opts:       opts,
		log:        opts.Logger,
		now:        opts.Now,
		commands:   map[string]*Command{},
		actions:    map[string]ActionHandler{},
		messengers: map[string]Messenger{},
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.opts.Sealer == nil {
		r.opts.Sealer = NewRandomSealer()
	}
	r.worker = NewWorker(WorkerOptions{Queue: opts.Queue, Logger: opts.Logger, Now: r.now})
	// A store that is both the queue and the auditor records a run's
	// outcome audit event in the write that completes its job.
	if st, ok := opts.Queue.(*store.Store); ok && st != nil {
		if a, ok := opts.Audit.(*store.Store); ok && a == st {
			r.worker.deferOutcomeAudits(st)
		}
	}
	r.worker.Handle(JobCommand, r.runCommandJob)
	r.worker.Handle(JobSubmit, r.runSubmitJob)
	r.worker.Handle(JobAction, r.runActionJob)
	r.worker.Handle(JobUnfurl, r.runUnfurlJob)
	return r
}

// Sealer returns the router's Sealer, so features seal the secrets of their
// durable runs with the same key.
func (r *Router) Sealer() Sealer { return r.opts.Sealer }

// Worker returns the router's durable job worker.
func (r *Router) Worker() *Worker { return r.worker }

// Version is the bot's version string.
func (r *Router) Version() string { return r.opts.Version }

// SetMessenger registers the messenger of a transport; deferred work for a
// request is answered through the messenger of the transport it came from.
func (r *Router) SetMessenger(transport string, m Messenger) {
	r.mu.Lock()
	r.messengers[transport] = m
	r.mu.Unlock()
}

// Messenger returns the messenger of a transport (nil when none).
func (r *Router) Messenger(transport string) Messenger {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.messengers[transport]
}

// Register adds commands. A later command with the same name replaces an
// earlier one.
func (r *Router) Register(cmds ...*Command) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cmds {
		key := strings.ToLower(c.Name)
		if old, ok := r.commands[key]; ok {
			for i, o := range r.order {
				if o == old {
					r.order = append(r.order[:i], r.order[i+1:]...)
					break
				}
			}
		}
		r.commands[key] = c
		for _, a := range c.Aliases {
			r.commands[strings.ToLower(a)] = c
		}
		r.order = append(r.order, c)
	}
}

// AddSource adds commands that change at run time (golden-path templates
// become commands once approved). The source is asked on every lookup.
func (r *Router) AddSource(src func() []*Command) {
	r.mu.Lock()
	r.sources = append(r.sources, src)
	r.mu.Unlock()
}

// HandleAction registers the handler of buttons whose ActionID is prefix or
// starts with prefix + ":".
func (r *Router) HandleAction(prefix string, h ActionHandler) {
	r.mu.Lock()
	r.actions[prefix] = h
	r.mu.Unlock()
}

// HandleJob registers the handler of a durable job kind.
func (r *Router) HandleJob(kind string, h JobHandler) { r.worker.Handle(kind, h) }

// Enqueue persists a durable job and wakes the worker. With a DedupeKey a
// second enqueue of the same key does nothing and returns false.
func (r *Router) Enqueue(ctx context.Context, spec JobSpec) (bool, error) {
	return r.worker.Enqueue(ctx, spec)
}

// Commands returns every command, static and dynamic, sorted by name.
func (r *Router) Commands() []*Command {
	r.mu.RLock()
	out := append([]*Command(nil), r.order...)
	srcs := append([]func() []*Command(nil), r.sources...)
	r.mu.RUnlock()
	for _, s := range srcs {
		out = append(out, s()...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lookup finds the command for a name (no dynamic sources: see find).
func (r *Router) find(name string) *Command {
	name = strings.ToLower(name)
	r.mu.RLock()
	c := r.commands[name]
	srcs := append([]func() []*Command(nil), r.sources...)
	r.mu.RUnlock()
	if c != nil {
		return c
	}
	for _, s := range srcs {
		for _, dc := range s() {
			if strings.ToLower(dc.Name) == name {
				return dc
			}
			for _, a := range dc.Aliases {
				if strings.ToLower(a) == name {
					return dc
				}
			}
		}
	}
	return nil
}

// Resolve splits a command line into the longest matching command name and
// its arguments and flags. It returns nil when no command matches.
func (r *Router) Resolve(text string) (*Command, []string, Flags) {
	words := SplitWords(text)
	for n := min(len(words), 4); n >= 1; n-- {
		if c := r.find(strings.Join(words[:n], " ")); c != nil {
			args, flags := parseFlags(words[n:], c.BoolFlags)
			return c, args, flags
		}
	}
	return nil, nil, nil
}

// Accept persists a request as a durable job of the given kind (JobCommand,
// JobSubmit, JobAction) together with its "received" audit event, in one
// group-committed write, and wakes the worker. A repeated delivery (same
// req.ID) is recognised and returns false without a second side effect.
// Transports call it on the ack path, before answering Slack.
//
// A SubmitPayload's secret values (FieldSecret, found by rebuilding the
// form) are moved into its Sealed map, sealed with the router's Sealer for
// this request, so the job row never holds them in the clear.
func (r *Router) Accept(ctx context.Context, kind string, payload any, req *Request) (bool, error) {
	switch p := payload.(type) {
	case SubmitPayload:
		sealed, err := r.sealSubmission(ctx, &p)
		if err != nil {
			return false, fmt.Errorf("accept %s: %w", kind, err)
		}
		payload = sealed
	case *SubmitPayload:
		sealed, err := r.sealSubmission(ctx, p)
		if err != nil {
			return false, fmt.Errorf("accept %s: %w", kind, err)
		}
		payload = sealed
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return false, fmt.Errorf("accept %s: encode: %w", kind, err)
	}
	ev := store.Event{
		Time:      r.now(),
		ActorID:   req.User.ID,
		ActorName: req.User.Name,
		Action:    kind + ".received",
		Target:    receivedTarget(kind, payload, req),
		Outcome:   "queued",
		Details:   map[string]any{"request": req.ID, "channel": req.Channel, "transport": req.Transport},
	}
	created, err := r.opts.Queue.EnqueueAndAudit(ctx, store.Job{
		Kind: kind, Payload: b, DedupeKey: kind + ":" + req.ID, RunAt: r.now(),
	}, ev)
	if err != nil {
		return false, fmt.Errorf("accept %s: %w", kind, err)
	}
	if created {
		r.worker.Notify()
	}
	return created, nil
}

// receivedTarget names what a delivery is about for the audit log: the
// command line, the form, or the button.
func receivedTarget(kind string, payload any, req *Request) string {
	switch p := payload.(type) {
	case SubmitPayload:
		return p.FormID
	case *SubmitPayload:
		return p.FormID
	case ActionPayload:
		return p.Action.ID
	case *ActionPayload:
		return p.Action.ID
	}
	if req.Command != "" {
		return req.Command
	}
	if len(req.Text) > 200 {
		return req.Text[:200] + "…"
	}
	return req.Text
}

// SubmitPayload is the job payload of a form submission.
type SubmitPayload struct {
	Request *Request `json:"request"`
	FormID  string   `json:"form_id"`
	Values  Values   `json:"values"`
	// Sealed holds the values of secret fields, sealed (see
	// Router.Accept); Values holds no entry for them.
	Sealed map[string]string `json:"sealed,omitempty"`
}

// submitAAD binds a sealed submission value to its request and field.
func submitAAD(req *Request, fieldID string) string {
	return "bot.submit:" + req.ID + ":" + fieldID
}

// sealSubmission returns a copy of p whose secret values are sealed.
func (r *Router) sealSubmission(ctx context.Context, p *SubmitPayload) (SubmitPayload, error) {
	out := *p
	if p.Request == nil {
		return out, errors.New("submission without request")
	}
	cmd, err := r.formCommand(p.FormID)
	if err != nil {
		return out, err
	}
	if cmd.Form == nil {
		return out, nil
	}
	req := *p.Request
	f, err := r.buildForm(ctx, cmd, &req, p.Values)
	if err != nil {
		return out, err
	}
	out.Values = Values{}
	for id, vals := range p.Values {
		fd := f.Field(id)
		if fd == nil || fd.Kind != FieldSecret {
			out.Values[id] = vals
			continue
		}
		if len(vals) == 0 {
			continue
		}
		sealed, err := r.opts.Sealer.Seal([]byte(vals[0]), submitAAD(p.Request, id))
		if err != nil {
			return out, fmt.Errorf("seal field %s: %w", id, err)
		}
		if out.Sealed == nil {
			out.Sealed = map[string]string{}
		}
		out.Sealed[id] = sealed
	}
	return out, nil
}

// ActionPayload is the job payload of a button click.
type ActionPayload struct {
	Request *Request `json:"request"`
	Action  Action   `json:"action"`
}

// UserLookup is implemented by messengers that can resolve a user's profile
// (Slack's users.info); the router uses it to learn the email a catalog
// identity may be matched by, off the ack path.
type UserLookup interface {
	LookupUser(ctx context.Context, userID string) (User, error)
}

func (r *Router) bind(req *Request) error {
	m := r.Messenger(req.Transport)
	if m == nil {
		return Permanent(fmt.Errorf("no messenger for transport %q", req.Transport))
	}
	req.Bind(m)
	return nil
}

// resolveUser fills in the requester's email and display name when the
// transport did not send them. A failed lookup is not fatal: identity falls
// back to the Slack id alone.
func (r *Router) resolveUser(ctx context.Context, req *Request) {
	lu, ok := req.Messenger().(UserLookup)
	if !ok || req.User.Email != "" || req.User.ID == "" {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	u, err := lu.LookupUser(lctx, req.User.ID)
	if err != nil {
		r.log.Debug("user lookup failed", "user", req.User.ID, "err", err)
		return
	}
	req.User.Email = u.Email
	if u.Name != "" {
		req.User.Name = u.Name
	}
}

func (r *Router) runCommandJob(ctx context.Context, payload json.RawMessage) error {
	req, err := UnmarshalRequest(payload)
	if err != nil {
		return Permanent(err)
	}
	if err := r.bind(req); err != nil {
		return err
	}
	r.resolveUser(ctx, req)
	return r.Run(ctx, req)
}

func (r *Router) runSubmitJob(ctx context.Context, payload json.RawMessage) error {
	var p SubmitPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.Request == nil {
		return Permanent(fmt.Errorf("decode submission: %v", err))
	}
	if err := r.bind(p.Request); err != nil {
		return err
	}
	r.resolveUser(ctx, p.Request)
	if p.Values == nil {
		p.Values = Values{}
	}
	for id, sealed := range p.Sealed {
		plain, err := r.opts.Sealer.Open(sealed, submitAAD(p.Request, id))
		if err != nil {
			r.log.Warn("sealed form value cannot be opened", "form", p.FormID, "field", id, "request", p.Request.ID, "err", err)
			if rerr := r.replyError(ctx, p.Request, &UserError{Msg: fmt.Sprintf("The secret you entered in the form of `/plat %s` can no longer be read (platbot restarted without a seal key). Nothing was done: please fill in the form again.", p.FormID)}); rerr != nil {
				return rerr
			}
			return nil
		}
		p.Values[id] = []string{string(plain)}
	}
	return r.SubmitForm(ctx, p.Request, p.FormID, p.Values)
}

func (r *Router) runActionJob(ctx context.Context, payload json.RawMessage) error {
	var p ActionPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.Request == nil {
		return Permanent(fmt.Errorf("decode action: %v", err))
	}
	if err := r.bind(p.Request); err != nil {
		return err
	}
	r.resolveUser(ctx, p.Request)
	return r.Act(ctx, p.Request, p.Action)
}

// Run parses req.Text, checks policy and runs the command, replying to the
// user with help, a suggestion, a denial or the command's own answer. Errors
// meant for the user are replied and not returned; only failures to reply
// are returned (so a job retries them).
func (r *Router) Run(ctx context.Context, req *Request) error {
	text := strings.TrimSpace(req.Text)
	if text == "" {
		// "/plat" alone: the Home's summary where a feature registered
		// `home` (commands/home), else the help.
		text = "help"
		if r.find("home") != nil {
			text = "home"
		}
	}
	words := SplitWords(text)
	cmd, args, flags := r.Resolve(text)
	if cmd == nil && strings.EqualFold(words[0], "help") {
		// No help command registered: answer with the built-in help.
		if len(words) > 1 {
			return req.Reply(ctx, r.CommandHelp(strings.Join(words[1:], " ")))
		}
		return req.Reply(ctx, r.HelpMessage(ctx, req))
	}
	if cmd == nil {
		msg := fmt.Sprintf("I don't know `/plat %s`.", words[0])
		if s := r.Suggest(text); len(s) > 0 {
			msg += " Did you mean " + quoteList(s) + "?"
		}
		msg += " Try `/plat help`."
		r.metric(UnknownCommand, "unknown")
		return req.Reply(ctx, Message{Text: msg})
	}
	req.Command, req.Args, req.Flags = cmd.Name, args, flags
	if flags.Has("help") {
		return req.Reply(ctx, r.CommandHelp(cmd.Name))
	}
	if msg := unknownFlag(cmd, flags); msg != "" {
		r.metric(cmd.Name, "rejected")
		return req.Reply(ctx, Message{Text: msg})
	}
	start := r.now()
	if err := r.authorize(ctx, req, cmd); err != nil {
		r.metric(cmd.Name, "denied")
		return r.replyError(ctx, req, err)
	}
	var err error
	switch {
	case cmd.Handle != nil:
		err = cmd.Handle(ctx, req)
	case cmd.Form != nil:
		var f *Form
		f, err = cmd.Form(ctx, req)
		if err == nil {
			err = req.OpenForm(ctx, f)
		}
	default:
		err = fmt.Errorf("command %q has neither a handler nor a form", cmd.Name)
	}
	r.finish(ctx, req, "command", cmd.Name, start, err)
	return r.replyError(ctx, req, err)
}

// Authorize checks policy for an action on a resource on behalf of a
// request's user, audits the decision, and returns a UserError that says
// which rule denied and whom to ask.
func (r *Router) Authorize(ctx context.Context, req *Request, action string, res Resource) error {
	d := r.opts.Policy.Decide(ctx, req.User, action, res)
	if !r.opts.PolicyAudits {
		decision := "allow"
		if !d.Allow {
			decision = "deny"
		}
		target := res.Ref
		if target == "" {
			target = strings.TrimSpace(res.Kind + ":" + res.Name)
		}
		r.audit(ctx, store.Event{
			ActorID: req.User.ID, ActorName: req.User.Name,
			Action: "policy", Target: target, Decision: decision,
			Details: map[string]any{"action": action, "rule": d.Rule, "command": req.Command, "request": req.ID},
		})
	}
	if d.Allow {
		return nil
	}
	if r.opts.Denial != nil {
		m := r.opts.Denial(action, res, d)
		return &UserError{Msg: m.Text, Blocks: m.Blocks}
	}
	msg := fmt.Sprintf("🚫 You may not %s %s (rule `%s`).", action, describeResource(res), d.Rule)
	if d.Reason != "" {
		msg += " " + d.Reason
	}
	if d.AskWhom != "" {
		msg += " Ask " + d.AskWhom + "."
	}
	return &UserError{Msg: msg}
}

func (r *Router) authorize(ctx context.Context, req *Request, cmd *Command) error {
	res := Resource{Kind: "command", Name: cmd.Name}
	if cmd.Resource != nil {
		var err error
		if res, err = cmd.Resource(ctx, req); err != nil {
			return err
		}
	}
	action := cmd.Action
	if action == "" {
		action = ActionRead
	}
	return r.Authorize(ctx, req, action, res)
}

func describeResource(res Resource) string {
	switch {
	case res.Kind == "command":
		return "run `/plat " + res.Name + "`"
	case res.Ref != "":
		return res.Ref
	case res.Name != "":
		return res.Kind + " " + res.Name
	}
	return res.Kind
}

// ValidateForm checks a submission synchronously (before Slack is
// answered). It rebuilds the form with req.FormValues = v (so conditional
// fields exist), drops the values of fields the form no longer has, fills
// in defaults, checks the fields' declared rules, checks external values
// through Command.Suggest, then runs the command's own Validate. It returns
// nil when the submission may proceed.
func (r *Router) ValidateForm(ctx context.Context, req *Request, formID string, v Values) (FieldErrors, error) {
	return r.validate(ctx, req, formID, -1, v)
}

// ValidatePage checks the pages up to and including page of a multi-page
// form, as ValidateForm does the whole form: the fields of later pages are
// not checked yet and errors the command's Validate reports for them are
// left for later. v holds the values of all pages so far.
func (r *Router) ValidatePage(ctx context.Context, req *Request, formID string, page int, v Values) (FieldErrors, error) {
	return r.validate(ctx, req, formID, page, v)
}

// formCommand finds the command a form belongs to.
func (r *Router) formCommand(formID string) (*Command, error) {
	cmd := r.find(formID)
	if cmd == nil {
		return nil, &UserError{Msg: fmt.Sprintf("This form belongs to `/plat %s`, which no longer exists. Run the command again.", formID)}
	}
	return cmd, nil
}

// BuildForm rebuilds the form of a command for the values entered so far
// (req.FormValues = v): what a transport shows after a Dispatch field
// changed or on another page. It returns nil when the command has no Form
// (its Handle opened the form, which cannot be rebuilt).
func (r *Router) BuildForm(ctx context.Context, req *Request, formID string, v Values) (*Form, error) {
	cmd, err := r.formCommand(formID)
	if err != nil {
		return nil, err
	}
	req.Command = cmd.Name
	if cmd.Form == nil {
		return nil, nil
	}
	return r.buildForm(ctx, cmd, req, v)
}

func (r *Router) buildForm(ctx context.Context, cmd *Command, req *Request, v Values) (*Form, error) {
	if cmd.Form == nil {
		return nil, fmt.Errorf("command %q has no form", cmd.Name)
	}
	req.FormValues = v
	f, err := cmd.Form(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("rebuild form %s: %w", cmd.Name, err)
	}
	if f == nil {
		return nil, fmt.Errorf("rebuild form %s: no form", cmd.Name)
	}
	if f.ID == "" {
		f.ID = cmd.Name
	}
	return f, nil
}

// MaxSuggestions is the most options SuggestOptions returns (Slack shows
// at most 100 for an external select).
const MaxSuggestions = 100

// SuggestOptions answers what the user typed into a FieldExternal or
// FieldMultiExternal field with the command's Suggest, at most
// MaxSuggestions options with a value.
func (r *Router) SuggestOptions(ctx context.Context, req *Request, formID, fieldID, query string) ([]Option, error) {
	cmd, err := r.formCommand(formID)
	if err != nil {
		return nil, err
	}
	req.Command = cmd.Name
	if cmd.Suggest == nil {
		return nil, fmt.Errorf("command %q has no Suggest for field %q", cmd.Name, fieldID)
	}
	opts, err := cmd.Suggest(ctx, req, fieldID, query)
	if err != nil {
		return nil, fmt.Errorf("suggest %s.%s: %w", cmd.Name, fieldID, err)
	}
	out := make([]Option, 0, min(len(opts), MaxSuggestions))
	for _, o := range opts {
		if o.Value == "" {
			continue
		}
		if len(out) == MaxSuggestions {
			break
		}
		out = append(out, o)
	}
	return out, nil
}

// validate checks the pages up to page (all of them when page < 0).
func (r *Router) validate(ctx context.Context, req *Request, formID string, page int, v Values) (FieldErrors, error) {
	cmd, err := r.formCommand(formID)
	if err != nil {
		return nil, err
	}
	req.Command = cmd.Name
	var f *Form
	if cmd.Form != nil {
		if f, err = r.buildForm(ctx, cmd, req, v); err != nil {
			return nil, err
		}
		if page < 0 || page >= f.PageCount()-1 {
			page = -1 // the last page checks everything
		}
		for id := range v {
			if f.Field(id) == nil {
				delete(v, id) // a field a Dispatch change removed
			}
		}
		applyDefaults(f, v, page)
		errs := FieldErrors{}
		for i := range f.Fields {
			fd := &f.Fields[i]
			if page >= 0 && f.PageOf(fd.ID) > page {
				continue
			}
			if msg := fd.Check(v[fd.ID]); msg != "" {
				errs[fd.ID] = msg
			}
		}
		if len(errs) > 0 {
			return errs, nil
		}
		if errs, err := r.checkExternal(ctx, cmd, req, f, page, v); err != nil || len(errs) > 0 {
			return errs, err
		}
	}
	if cmd.Validate != nil {
		errs := cmd.Validate(ctx, req, v)
		if f != nil && page >= 0 {
			for id := range errs {
				if p := f.PageOf(id); p > page || p < 0 {
					delete(errs, id) // about a later page, or the whole form: checked on the last page
				}
			}
		}
		if len(errs) > 0 {
			return errs, nil
		}
	}
	return nil, nil
}

// checkExternal accepts an external field's value only when Suggest, asked
// with exactly that value, offers an option with that value: a forged
// submission cannot pass a value the user could not have picked.
func (r *Router) checkExternal(ctx context.Context, cmd *Command, req *Request, f *Form, page int, v Values) (FieldErrors, error) {
	errs := FieldErrors{}
	for i := range f.Fields {
		fd := &f.Fields[i]
		if !fd.IsExternal() || (page >= 0 && f.PageOf(fd.ID) > page) {
			continue
		}
		for _, val := range v[fd.ID] {
			if strings.TrimSpace(val) == "" {
				continue
			}
			if cmd.Suggest == nil {
				return nil, fmt.Errorf("form %s: field %q takes suggestions but the command has no Suggest", cmd.Name, fd.ID)
			}
			opts, err := cmd.Suggest(ctx, req, fd.ID, val)
			if err != nil {
				return nil, fmt.Errorf("check %s.%s: %w", cmd.Name, fd.ID, err)
			}
			found := false
			for _, o := range opts {
				if o.Value == val {
					found = true
					break
				}
			}
			if !found {
				errs[fd.ID] = fmt.Sprintf("%q is not one of the choices: pick one from the list", truncateRunes(val, 80))
				break
			}
		}
	}
	return errs, nil
}

func truncateRunes(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}

// applyDefaults fills fields the transport left unset (not shown, or a shell
// answer left empty) with their defaults, on the pages up to page (all when
// page < 0).
func applyDefaults(f *Form, v Values, page int) {
	for _, fd := range f.Fields {
		if _, ok := v[fd.ID]; ok || fd.Default == "" || (page >= 0 && max(fd.Page, 0) > page) {
			continue
		}
		if fd.IsMulti() {
			v[fd.ID] = strings.Split(fd.Default, ",")
		} else {
			v[fd.ID] = []string{fd.Default}
		}
	}
}

// SubmitForm runs the command's Submit for a validated submission, after
// checking policy again (permissions may have changed since the form opened).
// req.FormValues is set to v. The audit event lists the values, secret
// fields as "[secret]" and Sensitive ones as keyed HMACs.
func (r *Router) SubmitForm(ctx context.Context, req *Request, formID string, v Values) error {
	cmd := r.find(formID)
	if cmd == nil || cmd.Submit == nil {
		return r.replyError(ctx, req, &UserError{Msg: fmt.Sprintf("Nothing handles the form of `/plat %s` any more. Run the command again.", formID)})
	}
	req.Command = cmd.Name
	req.FormValues = v
	start := r.now()
	if err := r.authorize(ctx, req, cmd); err != nil {
		return r.replyError(ctx, req, err)
	}
	err := cmd.Submit(ctx, req, v)
	plain, sensitive := r.auditValues(ctx, cmd, req, v)
	r.finishWith(ctx, req, "form.submit", cmd.Name, start, err, map[string]any{"values": plain}, sensitive)
	return r.replyError(ctx, req, err)
}

// Act dispatches a button click to the handler registered for its prefix.
func (r *Router) Act(ctx context.Context, req *Request, a Action) error {
	prefix, _, _ := strings.Cut(a.ID, ":")
	r.mu.RLock()
	h := r.actions[prefix]
	r.mu.RUnlock()
	if h == nil {
		return r.replyError(ctx, req, &UserError{Msg: "This button is no longer supported. Run the command again."})
	}
	start := r.now()
	err := h(ctx, req, a)
	r.finishLabel(ctx, req, "action", a.ID, prefix, start, err, nil, nil)
	return r.replyError(ctx, req, err)
}

// auditValues splits a submission into what the audit log may hold as is
// and the values of fields marked Sensitive (recorded as keyed HMACs).
// Secret fields are listed as "[secret]" and never recorded otherwise.
// Long values are cut.
func (r *Router) auditValues(ctx context.Context, cmd *Command, req *Request, v Values) (map[string]any, map[string]string) {
	kinds := secretKinds(ctx, r, cmd, req, v)
	plain := map[string]any{}
	var sensitive map[string]string
	for id, vals := range v {
		switch kinds[id] {
		case fieldSecret:
			plain[id] = SecretMark
			continue
		case fieldSensitive:
			if sensitive == nil {
				sensitive = map[string]string{}
			}
			sensitive["values."+id] = strings.Join(vals, ",")
			continue
		}
		joined := strings.Join(vals, ",")
		if len(joined) > 500 {
			joined = joined[:500] + "…"
		}
		plain[id] = joined
	}
	return plain, sensitive
}

// SecretMark stands for a secret value wherever one is shown or recorded.
const SecretMark = "[secret]"

const (
	fieldPlain = iota
	fieldSensitive
	fieldSecret
)

// secretKinds tells which submitted fields are secret or sensitive, from
// the form rebuilt for the values. When the form cannot be rebuilt every
// value is treated as secret: a value is never recorded in the clear
// because its field could not be looked up.
func secretKinds(ctx context.Context, r *Router, cmd *Command, req *Request, v Values) map[string]int {
	kinds := map[string]int{}
	if cmd.Form == nil {
		return kinds
	}
	f, err := r.buildForm(ctx, cmd, req, v)
	if err != nil {
		r.log.Warn("form rebuild for the audit failed; its values are recorded as secret", "form", cmd.Name, "request", req.ID, "err", err)
		for id := range v {
			kinds[id] = fieldSecret
		}
		return kinds
	}
	for _, fd := range f.Fields {
		switch {
		case fd.Kind == FieldSecret:
			kinds[fd.ID] = fieldSecret
		case fd.Sensitive:
			kinds[fd.ID] = fieldSensitive
		}
	}
	for id := range v {
		if f.Field(id) == nil {
			kinds[id] = fieldSecret // not in the form as rebuilt: unknown, so not recorded
		}
	}
	return kinds
}

func (r *Router) finish(ctx context.Context, req *Request, kind, name string, start time.Time, err error) {
	r.finishWith(ctx, req, kind, name, start, err, nil, nil)
}

func (r *Router) finishWith(ctx context.Context, req *Request, kind, name string, start time.Time, err error, extra map[string]any, sensitive map[string]string) {
	r.finishLabel(ctx, req, kind, name, name, start, err, extra, sensitive)
}

// finishLabel audits a finished run under name and counts it under label
// (a button's family rather than its full action id, which carries ids).
func (r *Router) finishLabel(ctx context.Context, req *Request, kind, name, label string, start time.Time, err error, extra map[string]any, sensitive map[string]string) {
	outcome := "ok"
	var ue *UserError
	var fe FieldErrors
	switch {
	case err == nil:
	case errors.As(err, &ue), errors.As(err, &fe):
		outcome = "rejected"
	default:
		outcome = "error"
	}
	details := map[string]any{"request": req.ID, "args": req.Args, "transport": req.Transport, "ms": r.now().Sub(start).Milliseconds()}
	for k, v := range extra {
		details[k] = v
	}
	if err != nil {
		details["error"] = err.Error()
	}
	ev := store.Event{
		Time:    r.now(),
		ActorID: req.User.ID, ActorName: req.User.Name,
		Action: kind, Target: name, Outcome: outcome, Details: details, Sensitive: sensitive,
	}
	// In a job, the outcome is recorded with the job's completion (one
	// write; see Worker.deferOutcomeAudits), or on its own if the job does
	// not complete.
	if !deferAudit(ctx, ev) {
		r.audit(ctx, ev)
	}
	r.metric(label, outcome)
	if outcome == "error" {
		r.log.Error("command failed", "kind", kind, "name", name, "user", req.User.ID, "request", req.ID, "err", err)
	}
}

// metric counts an outcome; label is a registered command's name, a
// registered button family or UnknownCommand, never request text.
func (r *Router) metric(label, outcome string) {
	r.opts.Metrics.CountCommand(label, outcome)
}

// replyError tells the user what went wrong. It returns only a failure to
// deliver the reply.
func (r *Router) replyError(ctx context.Context, req *Request, err error) error {
	if err == nil {
		return nil
	}
	var ue *UserError
	var fe FieldErrors
	var text string
	switch {
	case errors.As(err, &ue):
		if len(ue.Blocks) > 0 {
			if rerr := req.Reply(ctx, Message{Text: ue.Msg, Blocks: ue.Blocks}); rerr != nil {
				return fmt.Errorf("reply error to %s: %w", req.User.ID, rerr)
			}
			return nil
		}
		text = ue.Msg
	case errors.As(err, &fe):
		lines := []string{"Please fix these and try again:"}
		keys := make([]string, 0, len(fe))
		for k := range fe {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			lines = append(lines, fmt.Sprintf("• *%s*: %s", k, fe[k]))
		}
		text = strings.Join(lines, "\n")
	default:
		why := err.Error()
		if r.opts.ExplainError != nil {
			if s := r.opts.ExplainError(ctx, err); s != "" {
				why = s
			}
		}
		text = fmt.Sprintf("❌ `/plat %s` failed: %s\nReference: `%s` (the platform team can find it in the audit log).", req.Command, why, req.ID)
	}
	if rerr := req.Reply(ctx, Message{Text: text}); rerr != nil {
		return fmt.Errorf("reply error to %s: %w", req.User.ID, rerr)
	}
	return nil
}

func (r *Router) audit(ctx context.Context, ev store.Event) {
	if r.opts.Audit == nil {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = r.now()
	}
	if err := r.opts.Audit.Audit(ctx, ev); err != nil {
		r.log.Error("audit write failed", "action", ev.Action, "target", ev.Target, "err", err)
	}
}

// Audit records an event on behalf of a feature (it fills in the time).
func (r *Router) Audit(ctx context.Context, ev store.Event) { r.audit(ctx, ev) }

// capitalize upper-cases the first letter, so summaries read alike.
func capitalize(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`/plat " + n + "`"
	}
	return strings.Join(q, " or ")
}
