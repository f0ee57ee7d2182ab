package bot

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// Scheduler turns cron entries into durable jobs. A cron entry only
// enqueues: the job itself runs on the worker, so a restart loses nothing,
// and the de-duplication key (kind + scheduled minute) makes two replicas or
// a restart inside the same minute enqueue it once.
type Scheduler struct {
	c   *cron.Cron
	w   *Worker
	log *slog.Logger
}

// NewScheduler returns a scheduler feeding the worker.
func NewScheduler(w *Worker, log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.Default()
	}
	return &Scheduler{c: cron.New(), w: w, log: log}
}

// Every schedules a job kind on a standard five-field cron spec (or a
// descriptor such as "@every 10m", "@weekly") in the time zone loc (UTC when
// nil). payload builds the job input for the scheduled time.
func (s *Scheduler) Every(spec string, loc *time.Location, kind string, payload func(at time.Time) any) error {
	if loc == nil {
		loc = time.UTC
	}
	full := spec
	if len(spec) > 0 && spec[0] != '@' {
		full = "CRON_TZ=" + loc.String() + " " + spec
	}
	sched, err := cron.ParseStandard(full)
	if err != nil {
		return fmt.Errorf("schedule %s: bad cron spec %q: %w", kind, spec, err)
	}
	s.c.Schedule(sched, cron.FuncJob(func() {
		at := time.Now().In(loc).Truncate(time.Minute)
		var p any
		if payload != nil {
			p = payload(at)
		}
		_, err := s.w.Enqueue(context.Background(), JobSpec{
			Kind: kind, Payload: p, DedupeKey: fmt.Sprintf("cron:%s:%s", kind, at.UTC().Format(time.RFC3339)),
		})
		if err != nil {
			s.log.Error("scheduled job not enqueued", "kind", kind, "err", err)
		}
	}))
	return nil
}

// Start runs the scheduler until ctx ends.
func (s *Scheduler) Start(ctx context.Context) {
	s.c.Start()
	go func() {
		<-ctx.Done()
		<-s.c.Stop().Done()
	}()
}
