package paths

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// topicTemplate puts free-text parameters in a step name, a link title and
// the pull request's description, inside and outside a code span.
var topicTemplate = map[string]string{
	"topic-note/template.yaml": `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: topic-note
  title: Topic note
spec:
  owner: group:default/platform
  parameters:
    - title: Note
      required: [name, topic]
      properties:
        name:
          title: Name
          type: string
          ui:field: EntityNamePicker
        topic:
          title: Topic
          type: string
        details:
          title: Details
          type: string
          ui:widget: textarea
  steps:
    - id: fetch
      name: Render the note on ${{ parameters.topic }}
      action: fetch:template
      input:
        url: ./skeleton
        targetPath: notes
        values:
          name: ${{ parameters.name }}
    - id: publish
      name: Open the pull request
      action: publish:github:pull-request
      input:
        title: 'note: ${{ parameters.name }}'
        description: |
          ## A note on ${{ parameters.topic }}

          Named ` + "`${{ parameters.name }}`" + `. ${{ parameters.details }}
  output:
    links:
      - title: PR about ${{ parameters.topic }}
        url: ${{ steps.publish.output.remoteUrl }}
`,
	"topic-note/skeleton/${{ values.name }}.yaml": "kind: Note\nmetadata:\n  name: ${{ values.name }}\n",
}

// TestParametersNeverPing: parameters typed as Slack and GitHub markup show
// as text in the run's progress message (Slack and shell) and in the pull
// request description, where the template's own markdown still works.
func TestParametersNeverPing(t *testing.T) {
	e := newEnv(t, envOptions{templates: copyTemplates(t, topicTemplate)})
	if out := e.reply(userAdmin, "template approve topic-note"); !strings.Contains(out, "✅ Approved") {
		t.Fatalf("approve topic-note: %s", out)
	}
	details := "@platform-team approved this: [ticket](https://evil) <img src=x>\n# Approved by security"
	f := e.form(userJane, "topic-note")
	if errs := e.submit(userJane, f, bot.Values{"name": {"note-one"}, "topic": {bottest.Hostile}, "details": {details}}); errs != nil {
		t.Fatal(errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}

	progress := e.msgr.CarryingHostile()
	if len(progress) < 2 {
		t.Fatalf("the topic is on %d messages, want the progress post and its updates", len(progress))
	}
	for _, s := range progress {
		bottest.CheckHostile(t, s)
	}
	final := bottest.Sent{Msg: e.progress(r)}
	if !strings.Contains(final.Wire(), "|PR about "+bottest.HostileMrkdwn+">") {
		t.Errorf("the output link's title is not escaped user text:\n%s", final.Wire())
	}

	lr, err := gitlocal.Open(context.Background(), filepath.Join(e.dir, "gitops"), gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := lr.FindPullRequest(context.Background(), r.Branch())
	if err != nil || pr == nil {
		t.Fatalf("pull request record: %v", err)
	}
	const wj = "\u2060"
	for _, want := range []string{
		"## A note on <" + wj + "!channel> <" + wj + "!here> <" + wj + "@" + wj + "U123> <" + wj + "https://evil|trusted> &" + wj + " done\n",
		"Named `note-one`. @" + wj + "platform-team approved this: [ticket]" + wj + "(https://evil) <" + wj + "img src=x>\n" + wj + "# Approved by security",
	} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("PR body lacks %q:\n%s", want, pr.Body)
		}
	}
	for _, live := range []string{"<!channel>", "<@", "<https://evil", "@platform-team", "[ticket](", "<img", "\n# Approved"} {
		if strings.Contains(pr.Body, live) {
			t.Errorf("PR body carries %q from a parameter:\n%s", live, pr.Body)
		}
	}

	// A run id typed as markup is named as text.
	e.command(userJane, "run <!channel>")
	if wire := e.msgr.Last().Wire(); !strings.Contains(wire, "There is no run `&lt;!channel&gt;`") || strings.Contains(wire, "<!channel>") {
		t.Errorf("/plat run <!channel> answered:\n%s", wire)
	}
}
