package paths

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/golden"
	"github.com/platbot/platbot/integrations/gitlocal"
)

func flagValues(key string, extra map[string]string) bot.Values {
	v := bot.Values{"key": {key}, "owner": {"group:default/payments"}, "service": {"orders-service"}, "type": {"boolean"}, "defaultVariant": {"off"}}
	for k, x := range extra {
		v[k] = []string{x}
	}
	return v
}

// /plat new-feature-flag, from the form to the pull request in local git:
// the flag lands in the service's flagd file, which passes flagd's schema;
// once merged, the next flag joins the same file; a key the file has, a
// default that is not a variant and another team's service get field
// errors and create nothing.
func TestNewFeatureFlagPath(t *testing.T) {
	cat := newCatalog(t, catalogtest.Component("cart-service", "group:default/checkout"))
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat})
	repo := filepath.Join(e.dir, "gitops")
	e.approve(t, "new-feature-flag")
	const file = "teams/payments/flags/orders-service.flagd.json"

	flag := func(v bot.Values) (string, bot.FieldErrors) {
		t.Helper()
		n := len(e.runs())
		if errs := e.submit(userJane, e.form(userJane, "new-feature-flag"), v); errs != nil {
			if len(e.runs()) != n {
				t.Fatal("a refused submission started a run")
			}
			return "", errs
		}
		e.drain()
		var r *Run
		for _, x := range e.runs() {
			if x.State != RunSucceeded {
				t.Fatalf("run %s: %s", x.State, x.Error)
			}
			if r == nil || x.Created.After(r.Created) {
				r = x
			}
		}
		return "plat/" + r.ID + "-new-feature-flag", nil
	}
	read := func(branch string) map[string]json.RawMessage {
		t.Helper()
		content := git(t, repo, "show", branch+":"+file)
		if err := golden.ValidateFlagd([]byte(content)); err != nil {
			t.Fatalf("flagd's schema refuses %s: %v\n%s", file, err, content)
		}
		var f struct {
			Schema string                     `json:"$schema"`
			Flags  map[string]json.RawMessage `json:"flags"`
		}
		dec := json.NewDecoder(strings.NewReader(content))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			t.Fatal(err)
		}
		return f.Flags
	}

	branch, errs := flag(flagValues("one-click", map[string]string{"rule": "percentage", "rolloutPercent": "20", "description": "One-click checkout"}))
	if errs != nil {
		t.Fatalf("valid flag refused: %v", errs)
	}
	if files := withoutLineage(git(t, repo, "diff", "--name-only", "main", branch)); files != file {
		t.Fatalf("branch changes %q", files)
	}
	flags := read(branch)
	var one struct {
		State          string          `json:"state"`
		DefaultVariant string          `json:"defaultVariant"`
		Variants       map[string]bool `json:"variants"`
		Targeting      json.RawMessage `json:"targeting"`
		Metadata       map[string]string
	}
	if err := json.Unmarshal(flags["one-click"], &one); err != nil {
		t.Fatal(err)
	}
	if len(flags) != 1 || one.State != "ENABLED" || one.DefaultVariant != "off" || !one.Variants["on"] || one.Metadata["description"] != "One-click checkout" ||
		!strings.Contains(strings.Join(strings.Fields(string(one.Targeting)), ""), `"fractional":[["on",20],["off",80]]`) {
		t.Fatalf("flag %s", flags["one-click"])
	}
	lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := lr.FindPullRequest(context.Background(), branch)
	if err != nil || pr == nil {
		t.Fatalf("pull request record: %v", err)
	}
	if pr.Title != "new-feature-flag: one-click for orders-service" || !slices.Contains(pr.Labels, "new-feature-flag") ||
		!strings.Contains(pr.Body, "Targeting: 20% of users (by targeting key) get on, the others off.") {
		t.Fatalf("pull request %q:\n%s", pr.Title, pr.Body)
	}

	// Merged; the next flag joins the file, the first kept.
	git(t, repo, "update-ref", "refs/heads/main", branch)
	branch, errs = flag(flagValues("theme", map[string]string{"type": "string", "variants": "light=#ffffff\ndark=#000000", "defaultVariant": "light",
		"rule": "emailDomain", "rolloutVariant": "dark", "emailDomain": "acme.example"}))
	if errs != nil {
		t.Fatalf("second flag refused: %v", errs)
	}
	if flags := read(branch); len(flags) != 2 || !strings.Contains(string(flags["theme"]), `"@acme.example"`) || string(flags["one-click"]) == "" {
		t.Fatalf("second flag: %v", flags)
	}

	branches := git(t, repo, "branch", "--list", "plat/*")
	for _, c := range []struct {
		v           bot.Values
		field, want string
	}{
		{flagValues("one-click", nil), "key", "orders-service already has a flag one-click (" + file + "); pick another key"},
		{flagValues("new-flag", map[string]string{"defaultVariant": "maybe"}), "defaultVariant", `"maybe" is not one of the variants (on, off)`},
		{flagValues("new-flag", map[string]string{"rule": "emailDomain", "emailDomain": "not a domain"}), "emailDomain", "is not an email domain"},
		{flagValues("new-flag", map[string]string{"service": "cart-service"}), "service", `"cart-service" is not one of the choices`},
	} {
		if _, errs := flag(c.v); len(errs) != 1 || !strings.Contains(errs[c.field], c.want) {
			t.Errorf("%v: field errors %v, want %s: %q", c.v, errs, c.field, c.want)
		}
	}
	if after := git(t, repo, "branch", "--list", "plat/*"); after != branches {
		t.Fatalf("refused submissions created branches:\n%s\nwas:\n%s", after, branches)
	}
}
