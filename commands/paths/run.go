package paths

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
	"github.com/platbot/platbot/store"
)

// Run states.
const (
	RunRunning   = "running"
	RunFailed    = "failed"
	RunSucceeded = "succeeded"
	RunCancelled = "cancelled"
)

// Step states.
const (
	StepPending = "pending"
	StepRunning = "running"
	StepDone    = "done"
	StepFailed  = "failed"
	StepSkipped = "skipped"
)

// Run is one execution of a golden path. It is persisted with all its steps
// before the first side effect, and after every step.
type Run struct {
	ID            string `json:"id"`
	Template      string `json:"template"`
	TemplateTitle string `json:"template_title"`
	TemplateHash  string `json:"template_hash"`
	// Name is what the run creates (the template's name parameter).
	Name string `json:"name,omitempty"`
	// NameKey is the store key the run holds Name under (runNameKey), so
	// that no other run takes the name; "" for a run stored before it was
	// kept (its key is then Name's, nameKey).
	NameKey string `json:"name_key,omitempty"`
	// Owner is the owning group the run creates things for.
	Owner string `json:"owner"`

	Requester     bot.User `json:"requester"`
	RequesterRef  string   `json:"requester_ref,omitempty"`
	RequesterTeam string   `json:"requester_team,omitempty"`
	Transport     string   `json:"transport"`
	Channel       string   `json:"channel,omitempty"`
	ThreadTS      string   `json:"thread_ts,omitempty"`
	// Progress is the one message that shows the run, updated in place.
	Progress bot.MessageRef `json:"progress"`
	// ProgressDM says Progress is a direct message to the requester because
	// posting in Channel failed.
	ProgressDM bool `json:"progress_dm,omitempty"`

	Params map[string]any `json:"params"`
	Steps  []*Step        `json:"steps"`
	// Files are the rendered files so far (no secrets ever: the vault:kv
	// step generates credentials and writes them straight to the store).
	Files fileSet `json:"files,omitempty"`
	// Executable names the executable files among Files.
	Executable map[string]bool `json:"executable,omitempty"`
	Links      []Link          `json:"links,omitempty"`
	// Lineage is what the run's publishing steps published (see Lineage),
	// stored as the service's lineage when the run succeeds.
	Lineage *Lineage `json:"lineage,omitempty"`
	// published, when set, collects what each publishing step publishes,
	// by repository (an upgrade's render, see upgrade.go).
	// noLineage leaves lineage out (a render of the template's own files).
	noLineage     bool
	published     map[actions.Destination]map[string]string
	publishedExec map[actions.Destination]map[string]bool

	// SealedSecrets are the values of the template's secret parameters
	// (ui:widget password, ui:field Secret), sealed with the router's
	// Sealer and bound to the run: never stored or audited in the clear,
	// and dropped when the run ends (as Backstage drops a task's secrets).
	SealedSecrets string `json:"sealed_secrets,omitempty"`
	// secrets are SealedSecrets opened; secretsErr says why they could not
	// be (a restart without the seal key).
	secrets    map[string]string
	secretsErr error

	// Gen counts retries; step jobs of an older generation are ignored.
	Gen      int       `json:"gen"`
	Error    string    `json:"error,omitempty"`
	Created  time.Time `json:"created"`
	Finished time.Time `json:"finished,omitzero"`

	// From the record.
	State   string    `json:"-"`
	Version int64     `json:"-"`
	Updated time.Time `json:"-"`
}

// Step is one step of a run (a template step, or one item of an "each" step).
type Step struct {
	// Key is unique within the run: the step id, or "id[item]".
	Key string `json:"key"`
	// ID is the template step's id; Index its position in spec.steps.
	ID     string `json:"id"`
	Index  int    `json:"index"`
	Name   string `json:"name"`
	Action string `json:"action"`
	// Each is the item of an "each" step ({value, key}).
	Each     map[string]any `json:"each,omitempty"`
	State    string         `json:"state"`
	Output   map[string]any `json:"output,omitempty"`
	Error    string         `json:"error,omitempty"`
	Attempts int            `json:"attempts,omitempty"`
	Started  time.Time      `json:"started,omitzero"`
	Finished time.Time      `json:"finished,omitzero"`
}

// Link is an output link shown when a run finishes.
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url,omitempty"`
	// Text is shown instead of a URL (an entity ref).
	Text string `json:"text,omitempty"`
}

// newRunID derives a run id from the submission, so a replayed submission
// job finds the run it created instead of starting another.
func newRunID(req *bot.Request) string {
	h := sha256.Sum256([]byte(req.ID + "\x00" + req.User.ID + "\x00" + req.Received.UTC().Format(time.RFC3339Nano)))
	return "r" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h[:])[:9])
}

// current is the index of the first step not done or skipped (-1 when none).
func (r *Run) current() int {
	for i, s := range r.Steps {
		if s.State != StepDone && s.State != StepSkipped {
			return i
		}
	}
	return -1
}

// info is what the run's steps' actions know of it.
func (r *Run) info() actions.Run {
	return actions.Run{ID: r.ID, Branch: r.Branch(), Requester: r.Requester.String(), RequesterRef: r.RequesterRef, Owner: r.Owner}
}

// Branch is the run's deterministic GitOps branch: plat/<run-id>-<path>.
func (r *Run) Branch() string { return "plat/" + r.ID + "-" + r.Template }

// team is the short name of the owning group ("payments").
func (r *Run) team() string {
	_, _, name := catalog.ParseRef(r.Owner, catalog.KindGroup, catalog.DefaultNamespace)
	return name
}

// scope is what the expressions of step i see (i < 0: before any step).
// outputs, when set, replaces the recorded step outputs (a dry run's
// planned outputs).
func (r *Run) scope(t *template.Template, i int, outputs map[int]map[string]any) templating.Values {
	steps := map[string]any{}
	for j, s := range r.Steps {
		if i >= 0 && j >= i {
			break
		}
		var out map[string]any
		if outputs != nil {
			o, ok := outputs[j]
			if !ok {
				continue
			}
			out = o
		} else {
			if s.State != StepDone {
				continue
			}
			out = s.Output
		}
		if s.Each == nil {
			steps[s.ID] = map[string]any{"output": out}
			continue
		}
		// An "each" step's outputs are lists, one item per iteration.
		cur, _ := steps[s.ID].(map[string]any)
		if cur == nil {
			cur = map[string]any{"output": map[string]any{}}
			steps[s.ID] = cur
		}
		agg := cur["output"].(map[string]any)
		for k, v := range out {
			l, _ := agg[k].([]any)
			agg[k] = append(l, v)
		}
	}
	params, secrets := r.Params, map[string]any{}
	if len(r.secrets) > 0 {
		// Backstage offers secret parameters as secrets.<name>; a template
		// written for a password widget reads parameters.<name> too.
		params = make(map[string]any, len(r.Params)+len(r.secrets))
		for k, v := range r.Params {
			params[k] = v
		}
		for k, v := range r.secrets {
			params[k], secrets[k] = v, v
		}
	}
	sc := templating.Values{
		"parameters": params,
		"secrets":    secrets,
		"steps":      steps,
		"user": map[string]any{
			"id": r.Requester.ID, "name": r.Requester.Name, "email": r.Requester.Email,
			"ref": r.RequesterRef, "team": r.RequesterTeam,
		},
		"run":      map[string]any{"id": r.ID, "branch": r.Branch()},
		"template": map[string]any{"name": t.Name, "title": t.Title, "owner": t.Owner},
	}
	if i >= 0 && i < len(r.Steps) && r.Steps[i].Each != nil {
		sc["each"] = r.Steps[i].Each
	}
	return sc
}

// expandSteps lists a run's steps: one per template step, one per item of
// an "each" step. Names are rendered now; inputs when each step runs.
func (p *Paths) expandSteps(ctx context.Context, t *template.Template, r *Run) ([]*Step, error) {
	var out []*Step
	for i, s := range t.Steps {
		base := r.scope(t, -1, nil)
		if s.Each == nil {
			name, err := p.renderName(ctx, s, base)
			if err != nil {
				return nil, err
			}
			out = append(out, &Step{Key: s.ID, ID: s.ID, Index: i, Name: name, Action: s.Action, State: StepPending})
			continue
		}
		items, _, err := p.tmpl.RenderValue(ctx, "step "+s.ID+" each", s.Each, base)
		if err != nil {
			return nil, fmt.Errorf("step %s each: %w", s.ID, err)
		}
		var each []map[string]any
		switch x := items.(type) {
		case []any:
			for k, v := range x {
				each = append(each, map[string]any{"value": v, "key": int64(k)})
			}
		case map[string]any:
			for _, k := range sortedKeys(x) {
				each = append(each, map[string]any{"value": x[k], "key": k})
			}
		case nil:
		default:
			return nil, fmt.Errorf("step %s: each must be a list, got %v", s.ID, x)
		}
		for _, e := range each {
			base["each"] = e
			name, err := p.renderName(ctx, s, base)
			if err != nil {
				return nil, err
			}
			out = append(out, &Step{
				Key: s.ID + "[" + templating.Text(e["value"]) + "]", ID: s.ID, Index: i, Name: name,
				Action: s.Action, Each: e, State: StepPending,
			})
		}
	}
	return out, nil
}

func (p *Paths) renderName(ctx context.Context, s template.StepSpec, sc templating.Values) (string, error) {
	name := s.Name
	if name == "" {
		name = s.ID
	}
	if !templating.Has(name) {
		if s.Each != nil {
			if v, ok := sc["each"].(map[string]any); ok {
				return name + " (" + templating.Text(v["value"]) + ")", nil
			}
		}
		return name, nil
	}
	out, err := p.tmpl.RenderString(ctx, "step "+s.ID+" name", name, sc)
	if err != nil {
		return "", fmt.Errorf("step %s name: %w", s.ID, err)
	}
	return out, nil
}

// evalInput renders a step's input with the scope (Backstage's
// NunjucksWorkflowRunner.render): keys that render undefined are left out.
func (p *Paths) evalInput(ctx context.Context, key string, input map[string]any, sc templating.Values) (map[string]any, error) {
	v, _, err := p.tmpl.RenderValue(ctx, "step "+key+" input", input, sc)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// evalIf decides a step's if: a boolean, or a template rendered and judged
// by Backstage's isTruthy.
func (p *Paths) evalIf(ctx context.Context, key string, cond any, sc templating.Values) (bool, error) {
	if b, ok := cond.(bool); ok {
		return b, nil
	}
	v, _, err := p.tmpl.RenderValue(ctx, "step "+key+" if", cond, sc)
	if err != nil {
		return false, err
	}
	return templating.IsTruthy(v), nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// ---- persistence ----

func nameKey(name string) string { return "name:" + name }

func (p *Paths) record(r *Run) (store.Record, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return store.Record{}, fmt.Errorf("encode run %s: %w", r.ID, err)
	}
	key := r.NameKey
	if key == "" && r.Name != "" {
		key = nameKey(r.Name)
	}
	return store.Record{Kind: KindRun, ID: r.ID, State: r.State, Owner: r.Requester.ID, Key: key, Data: b, Version: r.Version}, nil
}

func decodeRun(rec *store.Record) (*Run, error) {
	var r Run
	if err := json.Unmarshal(rec.Data, &r); err != nil {
		return nil, fmt.Errorf("decode run %s: %w", rec.ID, err)
	}
	r.State, r.Version, r.Updated = rec.State, rec.Version, rec.Updated
	return &r, nil
}

func (p *Paths) loadRun(ctx context.Context, id string) (*Run, error) {
	rec, err := p.store.GetRecord(ctx, KindRun, id)
	if err != nil {
		return nil, err
	}
	r, err := decodeRun(rec)
	if err != nil {
		return nil, err
	}
	if r.SealedSecrets != "" {
		r.secrets, r.secretsErr = p.unseal(r.SealedSecrets, "paths.run:"+r.ID)
	}
	return r, nil
}

// sealSecrets seals a new run's secret values into SealedSecrets.
func (p *Paths) sealSecrets(r *Run) error {
	if len(r.secrets) == 0 {
		return nil
	}
	var err error
	r.SealedSecrets, err = p.seal(r.secrets, "paths.run:"+r.ID)
	return err
}

// seal seals secret values with the router's Sealer, bound to aad.
func (p *Paths) seal(secrets map[string]string, aad string) (string, error) {
	if p.router == nil || p.router.Sealer() == nil {
		return "", errors.New("paths: no sealer to keep secret values with")
	}
	b, err := json.Marshal(secrets)
	if err != nil {
		return "", fmt.Errorf("encode secret values: %w", err)
	}
	out, err := p.router.Sealer().Seal(b, aad)
	if err != nil {
		return "", fmt.Errorf("seal secret values: %w", err)
	}
	return out, nil
}

// unseal opens what seal sealed with the same aad.
func (p *Paths) unseal(sealed, aad string) (map[string]string, error) {
	if p.router == nil || p.router.Sealer() == nil {
		return nil, errors.New("paths: no sealer to open secret values with")
	}
	b, err := p.router.Sealer().Open(sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("open secret values: %w", err)
	}
	var out map[string]string
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode secret values: %w", err)
	}
	return out, nil
}

// secretIn names the secret parameter whose value appears in the files or
// the outputs ("" when none does): secrets go to actions' inputs only,
// never into a file, an output, the run record or a message.
func (r *Run) secretIn(files map[string]string, out map[string]any) string {
	if len(r.secrets) == 0 {
		return ""
	}
	var texts []string
	for n, c := range files {
		texts = append(texts, n, c)
	}
	if out != nil {
		b, _ := json.Marshal(out)
		texts = append(texts, string(b))
	}
	for name, v := range r.secrets {
		if len(v) < 4 {
			continue // too short to tell from ordinary text
		}
		quoted, _ := json.Marshal(v)
		for _, t := range texts {
			if strings.Contains(t, v) || strings.Contains(t, string(quoted[1:len(quoted)-1])) {
				return name
			}
		}
	}
	return ""
}

// save writes a run back with compare-and-swap on its version.
func (p *Paths) save(ctx context.Context, r *Run) error {
	rec, err := p.record(r)
	if err != nil {
		return err
	}
	out, err := p.store.UpdateRecord(ctx, rec)
	if err != nil {
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	r.Version, r.Updated = out.Version, out.Updated
	p.homeChanged(ctx, r)
	return nil
}

// findRun loads a run by id as typed by a user ("r1a2b3c", "#r1a2b3c").
func (p *Paths) findRun(ctx context.Context, id string) (*Run, error) {
	id = strings.TrimPrefix(strings.TrimSpace(id), "#")
	if id == "" {
		return nil, bot.Errorf("Which run? Give its id, like `/plat run r1a2b3c4d`; `/plat runs` lists yours.")
	}
	r, err := p.loadRun(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, bot.Errorf("There is no run `%s`. `/plat runs` lists yours.", bot.UserText(id))
	}
	return r, err
}

// canSee reports whether a user may look at (and retry) a run: its
// requester, a member of its owning group, or an admin.
func canSee(r *Run, u bot.User, id *catalog.Identity) bool {
	return r.Requester.ID == u.ID || (id != nil && (id.IsAdmin() || id.InGroup(r.Owner)))
}

// stepsDone counts finished steps.
func (r *Run) stepsDone() int {
	n := 0
	for _, s := range r.Steps {
		if s.State == StepDone || s.State == StepSkipped {
			n++
		}
	}
	return n
}

// itoa is strconv.Itoa.
func itoa(i int) string { return strconv.Itoa(i) }

// scope is r.scope with what needs the catalog: user.entity, the
// requester's User entity as Backstage offers it to templates.
func (p *Paths) scope(r *Run, t *template.Template, i int, outputs map[int]map[string]any) templating.Values {
	sc := r.scope(t, i, outputs)
	if r.RequesterRef == "" {
		return sc
	}
	for _, u := range p.catalog.List(catalog.KindUser) {
		if u.Ref() != r.RequesterRef {
			continue
		}
		if b, err := json.Marshal(u); err == nil {
			var m map[string]any
			if json.Unmarshal(b, &m) == nil {
				sc["user"].(map[string]any)["entity"] = m
			}
		}
		break
	}
	return sc
}

// fileSet is a run's files by path. Text files are stored as JSON strings;
// a file that is not UTF-8 (a binary file a skeleton copies) is stored as
// {"base64": "..."} so that it survives the JSON record byte for byte.
type fileSet map[string]string

// MarshalJSON writes text as strings and anything else as base64.
func (f fileSet) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(f))
	for n, c := range f {
		if utf8.ValidString(c) {
			out[n] = c
			continue
		}
		out[n] = map[string]string{"base64": base64.StdEncoding.EncodeToString([]byte(c))}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote (and plain strings, as runs
// stored before binary files were kept).
func (f *fileSet) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(fileSet, len(raw))
	for n, r := range raw {
		var s string
		if err := json.Unmarshal(r, &s); err == nil {
			out[n] = s
			continue
		}
		var bin struct {
			Base64 string `json:"base64"`
		}
		if err := json.Unmarshal(r, &bin); err != nil {
			return fmt.Errorf("file %s: %w", n, err)
		}
		d, err := base64.StdEncoding.DecodeString(bin.Base64)
		if err != nil {
			return fmt.Errorf("file %s: %w", n, err)
		}
		out[n] = string(d)
	}
	*f = out
	return nil
}
