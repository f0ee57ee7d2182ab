package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/secrets"
)

// loadYAML loads content as the config file platbot.yaml and returns the
// config (or the error) and what its logger printed at start.
func loadYAML(t *testing.T, content string) (*Config, string, error) {
	t.Helper()
	return loadYAMLEnv(t, content, nil)
}

// loadYAMLEnv is loadYAML with environment variables set.
func loadYAMLEnv(t *testing.T, content string, extra map[string]string) (*Config, string, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "platbot.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	e := testEnv(t, extra)
	e["PLATBOT_CONFIG"] = p
	cfg, err := LoadConfig(env(e))
	if err != nil {
		return nil, "", err
	}
	var logs bytes.Buffer
	newLogger(cfg, &logs, 0)
	return cfg, logs.String(), nil
}

var camelKey = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// snakeCaseSections still have snake_case keys, to be converted together
// with the feature's own tests that write them. It is empty: every section
// is camelCase.
var snakeCaseSections = map[string]bool{}

// TestConfigKeysAreCamelCase: every key of platbot.yaml, top level and
// feature sections, is an explicit camelCase yaml tag.
func TestConfigKeysAreCamelCase(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, path string) []string
	walk = func(ty reflect.Type, path string) []string {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Array || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty == nodeType {
			if st, ok := sectionTypes[path]; ok && !snakeCaseSections[path] {
				return walk(st, path)
			}
			return nil
		}
		if ty.Kind() != reflect.Struct || seen[ty] || reflect.PointerTo(ty).Implements(unmarshalerType) || reflect.PointerTo(ty).Implements(textType) {
			return nil
		}
		seen[ty] = true
		var bad []string
		for i := 0; i < ty.NumField(); i++ {
			f := ty.Field(i)
			tag, ok := f.Tag.Lookup("yaml")
			if !f.IsExported() || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if strings.Contains(","+opts+",", ",inline,") {
				bad = append(bad, walk(f.Type, path)...)
				continue
			}
			if !ok || !camelKey.MatchString(name) {
				bad = append(bad, join(path, f.Name)+" `yaml:\""+tag+"\"`")
				continue
			}
			bad = append(bad, walk(f.Type, join(path, name))...)
		}
		return bad
	}
	if bad := walk(reflect.TypeFor[Config](), ""); len(bad) > 0 {
		t.Errorf("keys that are not explicit camelCase yaml tags:\n%s", strings.Join(bad, "\n"))
	}
	for name := range snakeCaseSections {
		if bad := walk(sectionTypes[name], name); len(bad) == 0 {
			t.Errorf("section %s is camelCase now: remove it from snakeCaseSections", name)
		}
	}
	for name := range sectionTypes {
		if !hasSectionField(reflect.TypeFor[Config](), name) {
			t.Errorf("section %s has no yaml.Node field in Config", name)
		}
	}
}

func hasSectionField(t reflect.Type, key string) bool {
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Tag.Get("yaml") == key && f.Type == nodeType {
			return true
		}
	}
	return false
}

func TestConfigCamelCaseKeysLoadWithoutWarnings(t *testing.T) {
	cfg, logs, err := loadYAML(t, `gitOpsRepo: acme/gitops
metricsAddr: ":9090"
slack:
  teamID: T0HOME
audit:
  anchorEvery: 1m
vault:
  kvMount: kv
paths:
  templatesDir: examples/templates
  vault:
    rolePattern: "{service}"
secrets:
  publicURL: https://platbot.example.com
  tokenTTL: 5m
`)
	if err != nil {
		t.Fatal(err)
	}
	if logs != "" {
		t.Errorf("camelCase keys logged: %s", logs)
	}
	if cfg.GitOpsRepo != "acme/gitops" || cfg.MetricsAddr != ":9090" || cfg.Slack.TeamID != "T0HOME" || cfg.Audit.AnchorEvery != "1m" || cfg.Vault.KVMount != "kv" {
		t.Errorf("top-level keys not read: %q %q %+v %+v %+v", cfg.GitOpsRepo, cfg.MetricsAddr, cfg.Slack, cfg.Audit, cfg.Vault)
	}
	var pc paths.Config
	sc := secrets.DefaultConfig()
	if err := cfg.Feature("paths", &pc); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Feature("secrets", &sc); err != nil {
		t.Fatal(err)
	}
	if pc.TemplatesDir != "examples/templates" || pc.Vault.RolePattern != "{service}" || sc.PublicURL != "https://platbot.example.com" || sc.TokenTTL.String() != "5m0s" {
		t.Errorf("section keys not read: paths %+v, secrets %+v", pc, sc)
	}
}

func TestConfigSnakeCaseKeyIsReadWithOneWarning(t *testing.T) {
	cfg, logs, err := loadYAML(t, `db: x.db
slack:
  team_id: T0HOME
secrets:
  public_url: https://platbot.example.com
`)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Slack.TeamID != "T0HOME" {
		t.Errorf("slack.team_id not read: %+v", cfg.Slack)
	}
	sc := secrets.DefaultConfig()
	if err := cfg.Feature("secrets", &sc); err != nil {
		t.Fatal(err)
	}
	if sc.PublicURL != "https://platbot.example.com" {
		t.Errorf("secrets.public_url not read: %+v", sc)
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one warning per old key, got:\n%s", logs)
	}
	for i, want := range [][]string{
		{"level=WARN", "slack.team_id", "slack.teamID", "platbot.yaml:3"},
		{"level=WARN", "secrets.public_url", "secrets.publicURL", "platbot.yaml:5"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("warning %q lacks %q", lines[i], w)
			}
		}
	}
	// Decoding the section again, or another logger, warns no more.
	if err := cfg.Feature("secrets", &sc); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	newLogger(cfg, &again, 0)
	if again.Len() > 0 {
		t.Errorf("warned twice: %s", again.String())
	}
}

// TestConfigSnakeCaseCostKeyWarnsOnce: the cost section's old keys are
// read too, each with one warning naming the camelCase key.
func TestConfigSnakeCaseCostKeyWarnsOnce(t *testing.T) {
	cfg, logs, err := loadYAML(t, `db: x.db
cost:
  platform_channel: "#platform"
  alerts:
    - {type: change, service: "*", threshold: 25, minSpend: 50}
`)
	if err != nil {
		t.Fatal(err)
	}
	cc := cost.DefaultConfig()
	if err := cfg.Feature("cost", &cc); err != nil {
		t.Fatal(err)
	}
	if cc.PlatformChannel != "#platform" || len(cc.Alerts) != 1 || cc.Alerts[0].MinSpend != 50 {
		t.Errorf("cost section not read: %+v", cc)
	}
	out := strings.TrimSpace(logs)
	if strings.Count(out, "\n") != 0 || strings.Count(out, "is deprecated") != 1 {
		t.Fatalf("want exactly one warning, got:\n%s", logs)
	}
	for _, w := range []string{"level=WARN", "cost.platform_channel", "write cost.platformChannel", "platbot.yaml:3"} {
		if !strings.Contains(out, w) {
			t.Errorf("warning %q lacks %q", out, w)
		}
	}
}

// TestConfigOldKeyInListsWarnsOnce: an old key used in several list items
// is one warning, naming every line.
func TestConfigOldKeyInListsWarnsOnce(t *testing.T) {
	type item struct {
		MinSpend int `yaml:"minSpend"`
	}
	type section struct {
		Alerts []item `yaml:"alerts"`
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("alerts:\n  - min_spend: 1\n  - min_spend: 2\n"), &n); err != nil {
		t.Fatal(err)
	}
	k := &keyChecker{file: "platbot.yaml"}
	if err := k.check(&n, reflect.TypeFor[section](), "cost"); err != nil {
		t.Fatal(err)
	}
	var s section
	if err := n.Decode(&s); err != nil || len(s.Alerts) != 2 || s.Alerts[1].MinSpend != 2 {
		t.Fatalf("decoded %+v, %v", s, err)
	}
	cfg := &Config{path: "platbot.yaml", deprecated: k.deprecated}
	var logs bytes.Buffer
	newLogger(cfg, &logs, 0)
	out := strings.TrimSpace(logs.String())
	if strings.Count(out, "\n") != 0 || !strings.Contains(out, "cost.alerts[0].min_spend") || !strings.Contains(out, "cost.alerts[0].minSpend") || !strings.Contains(out, "lines=\"[2 3]\"") {
		t.Errorf("want one warning naming lines 2 and 3, got:\n%s", out)
	}
}

func TestConfigOldAndNewSpellingIsAnError(t *testing.T) {
	for name, content := range map[string]string{
		"top level": "dataDir: a\ndata_dir: b\n",
		"section":   "secrets:\n  public_url: https://a.example\n  publicURL: https://b.example\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := loadYAML(t, content)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("accepted both spellings: %v", err)
			}
			msg := err.Error()
			for _, w := range []string{"platbot.yaml line 3", "set twice", "deprecated spelling", "keep only"} {
				if name == "top level" && w == "platbot.yaml line 3" {
					w = "platbot.yaml line 2"
				}
				if !strings.Contains(msg, w) {
					t.Errorf("%q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestConfigUnknownKeySuggestsTheKnownOne(t *testing.T) {
	cases := []struct{ content, want string }{
		{"db: x.db\nslak:\n  botToken: xoxb-1\n", `config PATH line 2: slak: unknown key "slak"; did you mean "slack"?`},
		{"slack:\n  botTokn: xoxb-1\n", `config PATH line 2: slack.botTokn: unknown key "botTokn"; did you mean "botToken"?`},
		{"secrets:\n  publicUrl: https://a.example\n", `config PATH line 2: secrets.publicUrl: unknown key "publicUrl"; did you mean "publicURL"?`},
		{"paths:\n  vault:\n    role_patern: x\n", `config PATH line 3: paths.vault.role_patern: unknown key "role_patern"; did you mean "rolePattern"?`},
		{"catalog:\n  locations:\n    - targt: examples/catalog\n", `config PATH line 3: catalog.locations[0].targt: unknown key "targt"; did you mean "target"?`},
		{"shell:\n  nothingLikeIt: x\n", `config PATH line 2: shell.nothingLikeIt: unknown key "nothingLikeIt" (see examples/platbot.yaml`},
	}
	for _, c := range cases {
		_, _, err := loadYAML(t, c.content)
		if err == nil {
			t.Errorf("%q accepted", c.content)
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("%q: %T %v", c.content, err, err)
		}
		if want := strings.Replace(c.want, "PATH", ce.File, 1); !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error\n %s\nwant\n %s", err, want)
		}
	}
}

// TestShippedConfigsLoadWithoutWarnings: the example configs and the
// deployment's config use only current keys.
func TestShippedConfigsLoadWithoutWarnings(t *testing.T) {
	for _, p := range []string{"examples/platbot.yaml", "examples/access/platbot.yaml", "deploy/platbot.yaml"} {
		t.Run(p, func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var extra map[string]string
			if p == "deploy/platbot.yaml" {
				// The replicas' database is PostgreSQL (secret.env), which
				// its leader election (the ha section) requires.
				extra = map[string]string{"PLATBOT_DB": "postgres://platbot@db.example/platbot"}
			}
			cfg, logs, err := loadYAMLEnv(t, string(data), extra)
			if err != nil {
				t.Fatal(err)
			}
			if logs != "" {
				t.Errorf("warnings:\n%s", logs)
			}
			for name, st := range sectionTypes {
				dst := reflect.New(st).Interface()
				if err := cfg.Feature(name, dst); err != nil {
					t.Errorf("section %s: %v", name, err)
				}
			}
		})
	}
}

// TestOldKeyWarnsOnceAtStart: a subcommand run on a file with an old key
// does its work and says once, on stderr, which key to write instead.
func TestOldKeyWarnsOnceAtStart(t *testing.T) {
	p := filepath.Join(t.TempDir(), "platbot.yaml")
	if err := os.WriteFile(p, []byte("log:\n  level: info\nslack:\n  team_id: T0HOME\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := testEnv(t, nil)
	e["PLATBOT_CONFIG"] = p
	code, _, errOut := runBot(t, e, "", "migrate")
	if code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	if n := strings.Count(errOut, "is deprecated"); n != 1 || !strings.Contains(errOut, "write slack.teamID") || !strings.Contains(errOut, "platbot.yaml:4") {
		t.Errorf("want one warning naming slack.teamID at platbot.yaml:4, got %d in:\n%s", n, errOut)
	}
}

// TestSharedAddressesFromPaths: a Vault address or GitHub API URL named only
// in the paths section (where earlier releases read them) is the one
// client's address from the start, so the audit chain key in Vault and the
// catalog's GitHub host see it too; the top-level key wins when both are set.
func TestSharedAddressesFromPaths(t *testing.T) {
	cfg, _, err := loadYAML(t, "paths:\n  githubAPIURL: https://ghe.example/api/v3\n  vault:\n    addr: http://vault.example:8200\n")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Vault.Addr != "http://vault.example:8200" || cfg.GitHub.APIURL != "https://ghe.example/api/v3" {
		t.Fatalf("vault.addr %q, github.apiURL %q; want the paths section's", cfg.Vault.Addr, cfg.GitHub.APIURL)
	}
	cfg, _, err = loadYAML(t, "vault:\n  addr: http://top:8200\npaths:\n  vault:\n    addr: http://vault.example:8200\n")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Vault.Addr != "http://top:8200" {
		t.Fatalf("vault.addr %q; want the top-level one", cfg.Vault.Addr)
	}
}

// TestDataDirIsTopLevelOnly: the data folder is one top-level key; the
// paths and secrets sections do not take one of their own (it used to be
// accepted there and silently ignored).
func TestDataDirIsTopLevelOnly(t *testing.T) {
	for _, sec := range []string{"paths", "secrets"} {
		_, _, err := loadYAML(t, sec+":\n  dataDir: /somewhere\n")
		if err == nil || !strings.Contains(err.Error(), "dataDir") {
			t.Errorf("%s.dataDir: err = %v; want it refused", sec, err)
		}
	}
}

// TestConfigErrorSaysTheSectionOnce: a feature's error that starts with its
// own name is not prefixed with it a second time.
func TestConfigErrorSaysTheSectionOnce(t *testing.T) {
	e := &ConfigError{File: "platbot.yaml", Key: "secrets", Msg: "secrets: publicURL \"http://x\" must use https"}
	if got, want := e.Error(), `config platbot.yaml: secrets: publicURL "http://x" must use https`; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	e = &ConfigError{File: "platbot.yaml", Key: "cost.prometheus", Msg: "url is not absolute"}
	if got, want := e.Error(), "config platbot.yaml: cost.prometheus: url is not absolute"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}
