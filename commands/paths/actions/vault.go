package actions

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/forms"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// SecretStore keeps generated credentials: Vault, or the local
// development-only store.
type SecretStore interface {
	// WriteOnce writes data at path (relative to the KV mount) unless it was
	// already written by owner (created false). A path holding someone
	// else's secret fails with ErrSecretExists.
	WriteOnce(ctx context.Context, path string, data map[string]string, owner string) (created bool, err error)
	// PutPolicy creates or replaces a policy (idempotent).
	PutPolicy(ctx context.Context, name, rules string) error
	// BindRole lets role read through policy (idempotent; a no-op when the
	// store has no roles to bind).
	BindRole(ctx context.Context, role, serviceAccount, namespace, policy string) error
	// Mount is the KV mount paths are relative to.
	Mount() string
	// Describe names the store for people ("Vault at https://vault:8200").
	Describe() string
	// DevelopmentOnly is true for the local development store: every
	// message that mentions it must say so.
	DevelopmentOnly() bool
}

// Errors a SecretStore returns (wrapped).
var (
	ErrSecretExists      = errors.New("a secret already exists at that path")
	ErrSecretUnavailable = errors.New("the secret store is unavailable")
)

// vault:kv

// vaultKV generates database credentials into the secret store, with a read
// policy and a role.
type vaultKV struct{ d Deps }

func (vaultKV) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	for _, k := range []string{"team", "service", "environment"} {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	return probs
}

// secretSegment is one segment of a secret's path: a DNS-1123 label.
var secretSegment = regexp.MustCompile(`^` + forms.DNSLabelPattern + `$`)

type secretTarget struct {
	team, service, env, name string
	path, policy, role, ns   string
}

func (a vaultKV) target(sc *StepContext) (secretTarget, error) {
	t := secretTarget{team: sc.str("team"), service: sc.str("service"), env: sc.str("environment"), name: sc.str("name")}
	if t.name == "" {
		t.name = "db"
	}
	if strings.Contains(t.team, ":") || strings.Contains(t.team, "/") {
		_, _, t.team = catalog.ParseRef(t.team, catalog.KindGroup, catalog.DefaultNamespace)
	}
	for _, s := range []string{t.team, t.service, t.env, t.name} {
		if !secretSegment.MatchString(s) {
			return t, &StepError{Msg: fmt.Sprintf("secret path segment %q must be lower-case letters, digits and '-'", s), Hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
		}
	}
	vars := map[string]string{"team": t.team, "service": t.service, "env": t.env, "name": t.name}
	names := a.d.Vault
	t.path = t.team + "/" + t.service + "/" + t.env + "/" + t.name
	t.policy = expand(names.Policy, vars)
	t.role = expand(names.Role, vars)
	t.ns = expand(names.Namespace, vars)
	return t, nil
}

func (a vaultKV) describeStore() string {
	d := a.d.Secrets.Describe()
	if a.d.Secrets.DevelopmentOnly() && !strings.Contains(d, "development-only") {
		d += " (development-only)"
	}
	return d
}

func (a vaultKV) output(t secretTarget, created bool) map[string]any {
	out := map[string]any{
		"path": a.d.Secrets.Mount() + "/" + t.path, "policy": t.policy, "role": t.role,
		"store": a.describeStore(), "created": created, "keys": []any{"username", "password"},
	}
	if a.d.Secrets.DevelopmentOnly() {
		out["label"] = "development-only"
	}
	return out
}

func (a vaultKV) Plan(_ context.Context, sc *StepContext) (Plan, error) {
	t, err := a.target(sc)
	if err != nil {
		return Plan{}, err
	}
	eff := []string{
		fmt.Sprintf("generate database credentials (username, password) and write them to %s/%s in the %s; the password is never shown", a.d.Secrets.Mount(), t.path, a.describeStore()),
		fmt.Sprintf("write policy %s letting only role %s read them", t.policy, t.role),
	}
	return Plan{Effects: eff, Output: a.output(t, true)}, nil
}

func (a vaultKV) Run(ctx context.Context, sc *StepContext) (map[string]any, error) {
	t, err := a.target(sc)
	if err != nil {
		return nil, err
	}
	user := sc.str("username")
	if user == "" {
		user = strings.ReplaceAll(t.service, "-", "_") + "_app"
	}
	length := 32
	if n, ok := templating.Int(sc.Input["passwordLength"]); ok && n >= 16 && n <= 128 {
		length = int(n)
	}
	pw, err := password(length)
	if err != nil {
		return nil, fmt.Errorf("generate password: %w", err)
	}
	owner := sc.Run.ID + "/" + sc.StepKey
	created, err := a.d.Secrets.WriteOnce(ctx, t.path, map[string]string{"username": user, "password": pw}, owner)
	pw = ""
	if err != nil {
		return nil, secretError(err, a.describeStore(), a.d.Secrets.Mount()+"/"+t.path)
	}
	rules := fmt.Sprintf("# Managed by platbot (golden path %s, run %s).\n# Lets role %s read the %s credentials of %s.\npath %q {\n  capabilities = [\"read\"]\n}\n",
		sc.Template.Name, sc.Run.ID, t.role, t.env, t.service, a.d.Secrets.Mount()+"/data/"+t.path)
	if err := a.d.Secrets.PutPolicy(ctx, t.policy, rules); err != nil {
		return nil, secretError(err, a.describeStore(), "policy "+t.policy)
	}
	if err := a.d.Secrets.BindRole(ctx, t.role, t.service, t.ns, t.policy); err != nil {
		return nil, secretError(err, a.describeStore(), "role "+t.role)
	}
	return a.output(t, created), nil
}

func secretError(err error, store, what string) error {
	switch {
	case errors.Is(err, ErrSecretExists):
		return &StepError{Msg: fmt.Sprintf("%s already holds a secret this run did not write", what), Hint: "Nothing was overwritten. Pick another name (or ask the platform team to remove the old secret), then start a new run.", Err: err}
	case errors.Is(err, ErrSecretUnavailable):
		return &StepError{Msg: fmt.Sprintf("%s could not be reached, so %s was not written (%v)", store, what, err), Hint: "Nothing after this step was done. Press Retry once it is back.", Err: err}
	}
	return &StepError{Msg: fmt.Sprintf("writing %s to the %s failed: %v", what, store, err), Hint: "Press Retry to try again; if it keeps failing, tell the platform team.", Err: err}
}

const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// password returns a random password from crypto/rand.
func password(n int) (string, error) {
	max := big.NewInt(int64(len(passwordAlphabet)))
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b[i] = passwordAlphabet[k.Int64()]
	}
	return string(b), nil
}

// expand fills {team}, {service}, {env} and {name} into a naming pattern.
func expand(pattern string, vars map[string]string) string {
	out := pattern
	for k, v := range vars {
		out = strings.ReplaceAll(out, "{"+k+"}", v)
	}
	return out
}
