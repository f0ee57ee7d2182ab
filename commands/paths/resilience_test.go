package paths

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/integrations/vault/vaultfake"
)

// runUntilCancelled runs an engine's jobs until the context is cancelled
// (by a fake, at the moment of the simulated crash).
func runUntilCancelled(t *testing.T, e *env, ctx context.Context) {
	t.Helper()
	if _, err := e.router.Worker().RunDue(ctx); err == nil {
		t.Fatal("the engine was not interrupted")
	}
}

// A crash (the engine's context cancelled, its store closed) right after
// Vault stored a secret, and again right after GitHub created the pull
// request, both before the answer was recorded. Each time a new engine over
// the same store resumes the run: in the end there is exactly one pull
// request, one commit and one Vault write per secret, and one progress
// message.
func TestCrashResume(t *testing.T) {
	gh := newGHFake(t)
	fv := vaultfake.New()
	defer fv.Close()
	cat := newCatalog(t)
	msgr := bottest.NewMessenger()
	pub, sec := githubBackend(t, gh), vaultBackend(t, fv)
	opts := envOptions{publisher: pub, secrets: sec, cat: cat, msgr: msgr}

	e1 := newEnv(t, opts)
	f := e1.form(userJane, "new-db")
	if errs := e1.submit(userJane, f, newDBValues("orders-db")); errs != nil {
		t.Fatal(errs)
	}
	ctx1, crash1 := context.WithCancel(context.Background())
	fv.AfterDataWrite(func(p string) {
		if p == "secret/payments/orders-db/prod/db" {
			crash1()
		}
	})
	runUntilCancelled(t, e1, ctx1)
	fv.AfterDataWrite(nil)
	r := e1.onlyRun()
	if r.State != RunRunning || r.Steps[r.current()].Key != "credentials[prod]" || r.Steps[r.current()].State != StepRunning {
		t.Fatalf("after crash 1: %s at %+v", r.State, r.Steps[r.current()])
	}
	if fv.DataWrites("secret/payments/orders-db/prod/db") != 1 {
		t.Fatal("the crash should come after the write")
	}
	e1.st.Close()

	opts.dbPath = e1.dbPath
	e2 := newEnv(t, opts)
	if err := e2.paths.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx2, crash2 := context.WithCancel(context.Background())
	var once sync.Once
	gh.SetAfter(func(method, path string) {
		if method == "POST" && path == "/repos/acme/gitops/pulls" {
			once.Do(crash2)
		}
	})
	runUntilCancelled(t, e2, ctx2)
	gh.SetAfter(nil)
	r = e2.onlyRun()
	if r.State != RunRunning || r.Steps[r.current()].ID != "publish" || len(gh.PullRequests()) != 1 {
		t.Fatalf("after crash 2: %s at %s, %d PRs", r.State, r.Steps[r.current()].Key, len(gh.PullRequests()))
	}
	e2.st.Close()

	e3 := newEnv(t, opts)
	if err := e3.paths.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	e3.drain()
	r = e3.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("after resume: %s %s", r.State, r.Error)
	}
	if n := len(gh.PullRequests()); n != 1 {
		t.Fatalf("%d pull requests", n)
	}
	if n := gh.Count("POST", "/repos/acme/gitops/pulls"); n != 1 {
		t.Fatalf("pull request created %d times", n)
	}
	if n := gh.Count("POST", "/repos/acme/gitops/git/commits"); n != 1 {
		t.Fatalf("%d commits", n)
	}
	for _, env := range []string{"dev", "prod"} {
		if n := fv.DataWrites("secret/payments/orders-db/" + env + "/db"); n != 1 {
			t.Fatalf("%s secret written %d times", env, n)
		}
	}
	if pub := r.Steps[len(r.Steps)-1].Output; pub["created"] != false || pub["remoteUrl"] != "https://github.example/acme/gitops/pull/1" {
		t.Fatalf("publish output %v", pub)
	}
	if posts := msgr.Ops("post"); len(posts) != 1 {
		t.Fatalf("%d progress messages", len(posts))
	}
	if final := bot.PlainText(e3.progress(r)); !strings.Contains(final, "ready for review") {
		t.Fatalf("final:\n%s", final)
	}
}

func TestFaults(t *testing.T) {
	for _, c := range []struct {
		name      string
		fail      func(gh *ghFake, fv *vaultfake.Server, on bool)
		step      string
		wantError []string
	}{
		{
			name: "github 500 on the pull request",
			fail: func(gh *ghFake, _ *vaultfake.Server, on bool) {
				if !on {
					gh.SetFail(nil)
					return
				}
				gh.SetFail(func(method, path string) (int, string) {
					if method == "POST" && path == "/repos/acme/gitops/pulls" {
						return 500, `{"message":"Internal Server Error"}`
					}
					return 0, ""
				})
			},
			step:      "publish",
			wantError: []string{"Open the pull request", "GitHub answered 500 Internal Server Error", "Press Retry", "reused"},
		},
		{
			name: "github 429 on the pull request",
			fail: func(gh *ghFake, _ *vaultfake.Server, on bool) {
				if !on {
					gh.SetFail(nil)
					return
				}
				gh.SetFail(func(method, path string) (int, string) {
					if method == "POST" && path == "/repos/acme/gitops/pulls" {
						return 429, `{"message":"Too Many Requests"}`
					}
					return 0, ""
				})
			},
			step:      "publish",
			wantError: []string{"429 Too Many Requests", "try again in a few minutes", "Press Retry"},
		},
		{
			name:      "vault unreachable",
			fail:      func(_ *ghFake, fv *vaultfake.Server, on bool) { fv.SetUnreachable(on) },
			step:      "credentials",
			wantError: []string{"Generate the dev credentials", "Vault at", "could not be reached", "cannot reach Vault", "Press Retry once it is back"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			gh := newGHFake(t)
			fv := vaultfake.New()
			defer fv.Close()
			e := newEnv(t, envOptions{publisher: githubBackend(t, gh), secrets: vaultBackend(t, fv)})
			c.fail(gh, fv, true)
			f := e.form(userJane, "new-db")
			if errs := e.submit(userJane, f, newDBValues("orders-db")); errs != nil {
				t.Fatal(errs)
			}
			e.drain()
			r := e.onlyRun()
			if r.State != RunFailed || r.Steps[r.current()].ID != c.step || r.Steps[r.current()].State != StepFailed {
				t.Fatalf("run %s at %+v", r.State, r.Steps[r.current()])
			}
			msg := e.progress(r)
			text := bot.PlainText(msg)
			t.Logf("failure message:\n%s", text)
			for _, w := range append(c.wantError, "❌") {
				if !strings.Contains(text, w) {
					t.Errorf("failure message lacks %q:\n%s", w, text)
				}
			}
			// Steps after the failed one did nothing.
			if c.step == "credentials" && (len(gh.Requests()) != 0 || len(gh.PullRequests()) != 0) {
				t.Fatalf("GitHub was called after the Vault step failed")
			}
			b := buttons(msg)
			if len(b) != 1 || b[0].ActionID != "paths:retry:"+r.ID {
				t.Fatalf("buttons %+v", b)
			}
			c.fail(gh, fv, false)
			e.click(userJane, b[0])
			e.drain()
			r = e.onlyRun()
			if r.State != RunSucceeded {
				t.Fatalf("after retry: %s %s", r.State, r.Error)
			}
			if n := len(gh.PullRequests()); n != 1 {
				t.Fatalf("%d pull requests", n)
			}
			if n := gh.Count("POST", "/repos/acme/gitops/git/commits"); n != 1 {
				t.Fatalf("%d commits (the branch should be reused)", n)
			}
			for _, env := range []string{"dev", "prod"} {
				if n := fv.DataWrites("secret/payments/orders-db/" + env + "/db"); n != 1 {
					t.Fatalf("%s written %d times", env, n)
				}
			}
			if posts := e.msgr.Ops("post"); len(posts) != 1 {
				t.Fatalf("%d progress messages", len(posts))
			}
		})
	}
}
