package bot

import "time"

// FireEntries runs every cron entry of s once, as if each fired at now, and
// returns each entry's next run after now (tests of what was scheduled).
func FireEntries(s *Scheduler, now time.Time) []time.Time {
	s.now = func() time.Time { return now }
	var next []time.Time
	for _, e := range s.c.Entries() {
		e.Job.Run()
		next = append(next, e.Schedule.Next(now))
	}
	return next
}
