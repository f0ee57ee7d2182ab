package paths

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
)

// downErr marks an error of a system that is down, as cmd/platbot's
// adapters mark the errors of an integration.
type downErr struct{ err error }

func (d *downErr) Error() string { return d.err.Error() }
func (d *downErr) Unwrap() error { return d.err }

// downPublisher is a publisher whose errors are marked as the outage's.
type downPublisher struct{ Publisher }

func (d downPublisher) Open(ctx context.Context, c Change) (*PullRequest, error) {
	pr, err := d.Publisher.Open(ctx, c)
	if err != nil {
		return nil, &downErr{err}
	}
	return pr, nil
}

// A step failing on a system that is down says which, since when and who
// owns it (Deps.Explain), not the call's own error; an error Explain does
// not phrase keeps its own words.
func TestFailedStepOnADownSystemIsExplained(t *testing.T) {
	const phrase = "GitHub is down since 10:42 UTC (owned by #platform). `/plat status` shows every integration."
	for _, c := range []struct {
		name    string
		code    int
		want    []string
		notWant []string
	}{
		{name: "500 explained", code: 500, want: []string{phrase, "Press Retry once it is back (reference: run "}, notWant: []string{"GitHub answered 500", "tell the platform team"}},
		{name: "422 not explained", code: 422, want: []string{"Open the pull request", "GitHub answered 422: no", "Press Retry to try again"}, notWant: []string{"is down since"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			gh := newGHFake(t)
			var seen []error
			explain := func(_ context.Context, err error) string {
				seen = append(seen, err)
				var d *downErr
				if errors.As(err, &d) && strings.Contains(err.Error(), "500") {
					return phrase
				}
				return ""
			}
			e := newEnv(t, envOptions{publisher: downPublisher{githubBackend(t, gh)}, explain: explain})
			gh.SetFail(func(method, path string) (int, string) {
				if method == "POST" && path == "/repos/acme/gitops/pulls" {
					return c.code, `{"message":"no"}`
				}
				return 0, ""
			})
			f := e.form(userJane, "new-db")
			if errs := e.submit(userJane, f, newDBValues("orders-db")); errs != nil {
				t.Fatal(errs)
			}
			e.drain()
			r := e.onlyRun()
			if r.State != RunFailed || r.Steps[r.current()].ID != "publish" {
				t.Fatalf("run %s at %+v", r.State, r.Steps[r.current()])
			}
			if len(seen) != 1 {
				t.Fatalf("Explain asked %d times, want once", len(seen))
			}
			text := bot.PlainText(e.progress(r))
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("failure message lacks %q:\n%s", w, text)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(text, w) {
					t.Errorf("failure message has %q:\n%s", w, text)
				}
			}
			if !strings.Contains(r.Error, r.Steps[r.current()].Error) {
				t.Fatalf("run error %q does not carry the step's %q", r.Error, r.Steps[r.current()].Error)
			}
		})
	}
}
