package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
)

// TestWorkerConcurrencyConfig: workerConcurrency sets how many jobs the
// served bot's worker runs at once; unset is bot.DefaultConcurrency, and a
// number out of range stops the start naming the key.
func TestWorkerConcurrencyConfig(t *testing.T) {
	if n := startServe(t).app.Router.Worker().Concurrency(); n != bot.DefaultConcurrency {
		t.Errorf("default concurrency %d, want %d", n, bot.DefaultConcurrency)
	}
	if n := startServeWith(t, "workerConcurrency: 5\n").app.Router.Worker().Concurrency(); n != 5 {
		t.Errorf("workerConcurrency: 5 gave %d", n)
	}
	// On PostgreSQL the default is larger (bigger group commits); a
	// configured number is kept on either store.
	for _, c := range []struct {
		db   string
		set  int
		want int
	}{
		{"platbot.db", 0, 0}, {"postgres://platbot@db/platbot", 0, postgresWorkerConcurrency},
		{"host=db dbname=platbot user=platbot", 0, postgresWorkerConcurrency}, {"postgres://platbot@db/platbot", 8, 8}, {"platbot.db", 8, 8},
	} {
		if got := workerConcurrency(&Config{DB: c.db, WorkerConcurrency: c.set}); got != c.want {
			t.Errorf("db %q, workerConcurrency %d: %d jobs at once, want %d", c.db, c.set, got, c.want)
		}
	}
	for _, bad := range []string{"-1", "1025"} {
		_, _, err := loadYAML(t, "workerConcurrency: "+bad+"\n")
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Key != "workerConcurrency" || !strings.Contains(ce.Msg, "1 to 1024") {
			t.Errorf("workerConcurrency: %s: %v, want a ConfigError naming the key and the range", bad, err)
		}
	}
}
