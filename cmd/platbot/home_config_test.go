package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHomeConfigErrorsNameFileAndKey: a bad home section or unfurl domain
// stops the start with the file, the line where known, and the key.
func TestHomeConfigErrorsNameFileAndKey(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		args       []string
		want       []string
	}{
		{"debounce out of range", "home:\n  debounce: 10ms\n", []string{"shell"}, []string{"platbot.yaml line 2", "home.debounce: 10ms is out of range; use 1s to 10m"}},
		{"debounce not a duration", "home:\n  debounce: soon\n", []string{"shell"}, []string{"platbot.yaml", "line 2", "want a duration such as 5s"}},
		{"unknown key", "home:\n  debounse: 5s\n", []string{"shell"}, []string{"platbot.yaml line 2", `unknown key "debounse"`, "debounce"}},
		{"unfurl domain with a scheme", "slack:\n  unfurlDomains: [\"https://github.com\"]\n", []string{"serve"}, []string{"platbot.yaml", "slack.unfurlDomains", `"https://github.com"`, "host name"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "platbot.yaml")
			if err := os.WriteFile(p, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			e := slackEnv(t, map[string]string{"PLATBOT_CONFIG": p, "PLATBOT_DEMO": "1"})
			code, _, errOut := runBot(t, e, "", c.args...)
			if code == 0 {
				t.Fatal("bad configuration accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("error %q lacks %q", errOut, w)
				}
			}
		})
	}
}
