package bot

import (
	"context"
	"time"
)

// MessageFinder is a Messenger that can find a message it posted, by the
// Metadata the message carried. A feature that must post a message exactly
// once uses it when a process died in the middle of the post: found, the
// post reached the channel and is not repeated; not found, it did not, and
// is posted again. The Slack messenger implements it (conversations.history
// with the messages' metadata); a Messenger that does not cannot tell, and
// the feature must then not post again.
type MessageFinder interface {
	// FindPosted looks for a message in channel posted at since or later
	// whose metadata has eventType and key.
	FindPosted(ctx context.Context, channel string, since time.Time, eventType, key string) (ref MessageRef, found bool, err error)
}

// JobInfo identifies the job attempt a handler runs in.
type JobInfo struct {
	ID      int64
	Kind    string
	Attempt int
}

type jobInfoKey struct{}

// WithJob is ctx carrying the attempt of the job j the worker runs.
func WithJob(ctx context.Context, j JobInfo) context.Context {
	return context.WithValue(ctx, jobInfoKey{}, j)
}

// JobOf is the job attempt ctx runs in, when a worker runs it. Attempts of
// one job never overlap (a new attempt is claimed only after the last one's
// lease ended), so a handler that finds work claimed by an earlier attempt
// of its own job knows that attempt stopped.
func JobOf(ctx context.Context) (JobInfo, bool) {
	j, ok := ctx.Value(jobInfoKey{}).(JobInfo)
	return j, ok
}

// Unwrapper is a Messenger that decorates another (a label on every
// message, say); FinderOf looks through it.
type Unwrapper interface {
	Unwrap() Messenger
}

// FinderOf is m's MessageFinder, looking through decorating messengers
// (Unwrapper); ok is false when no messenger in the chain can search.
func FinderOf(m Messenger) (MessageFinder, bool) {
	for m != nil {
		if f, ok := m.(MessageFinder); ok {
			return f, true
		}
		u, ok := m.(Unwrapper)
		if !ok {
			return nil, false
		}
		m = u.Unwrap()
	}
	return nil, false
}
