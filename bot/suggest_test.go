package bot_test

import (
	"testing"

	"github.com/platbot/platbot/bot"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"flaw", "lawn", 2},
		{"schedule", "schedlue", 2},
		{"naïve", "naive", 1}, // runes, not bytes
		{"same", "same", 0},
	} {
		if got := bot.EditDistance(c.a, c.b); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := bot.EditDistance(c.b, c.a); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d (symmetric)", c.b, c.a, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"schedule", "timezone", "channel", "skip"}
	for _, c := range []struct {
		word string
		want string
	}{
		{"schedlue", "schedule"},
		{"TimeZone", "timezone"}, // case alone: found at once
		{"chanel", "channel"},
		{"skpi", "skip"},             // two edits are always allowed
		{"budget", ""},               // nothing near
		{"x", ""},                    // short words need a near candidate too
		{"scheduleeeee", "schedule"}, // four edits for 12 runes: a third
		{"scheduleeeeee", ""},        // five edits for 13 runes: more than a third
		{"scheduleee", "schedule"},   // two edits
		{"time_zone", "timezone"},    // snake_case spelling of a camelCase key
		{"CHANNEL", "channel"},       // upper case
	} {
		if got := bot.Closest(c.word, keys); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
	if got := bot.Closest("ab", []string{"ax", "ay"}); got != "ax" {
		t.Errorf("ties go to the first candidate, got %q", got)
	}
	if got := bot.Closest("anything", nil); got != "" {
		t.Errorf("no candidates: got %q", got)
	}
}
