package golden

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/platbot/platbot/commands/paths/actions"
)

// browsedFiles is a GitOps repository that says where it is browsed.
type browsedFiles struct {
	cronFiles
	base string
}

func (b browsedFiles) BrowseURL(host string) string {
	return strings.ReplaceAll(b.base, "{host}", host)
}

// Without a runbookBaseUrl input the alerts link the runbook in the GitOps
// repository platbot is configured with (its GitHub page on the configured
// host, or a local repository's folder); a GitOps repository that cannot
// say where it is browsed is a step error saying what to set.
func TestCronRunbookLinksTheConfiguredGitOpsRepository(t *testing.T) {
	ctx := context.Background()
	for base, want := range map[string]string{
		"https://{host}/acme/deploy/blob/main": "https://ghe.acme.example/acme/deploy/blob/main/teams/reports/runbooks/nightly-export.md",
		"file:///srv/platbot/gitops":           "file:///srv/platbot/gitops/teams/reports/runbooks/nightly-export.md",
	} {
		a := cronAction(t, nil)
		a.d.GitOpsFiles, a.d.GitHubHost = browsedFiles{cronFiles{}, base}, "ghe.acme.example"
		sc := cronStep(map[string]any{"runbookBaseUrl": nil})
		out, err := a.Run(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		if out["runbookUrl"] != want {
			t.Errorf("runbookUrl %v, want %s", out["runbookUrl"], want)
		}
		if rule := sc.Files["teams/reports/cronjobs/nightly-export/prometheusrule.yaml"]; !strings.Contains(rule, "runbook_url: "+want+"#a-run-failed") {
			t.Errorf("PrometheusRule does not link %s:\n%s", want, rule)
		}
	}
	a := cronAction(t, cronFiles{})
	_, err := a.Plan(ctx, cronStep(map[string]any{"runbookBaseUrl": nil}))
	var se *actions.StepError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "does not know where the GitOps repository is browsed") || !strings.Contains(se.Hint, "runbookBaseUrl") {
		t.Errorf("no browser: %v", err)
	}
}
