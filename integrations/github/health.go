package github

import (
	"context"
	"fmt"
)

// noRetryKey marks a request context whose GET is not retried.
type noRetryKey struct{}

// withoutRetries returns ctx with retries of idempotent calls turned off.
func withoutRetries(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetryKey{}, true)
}

func retriesOff(ctx context.Context) bool {
	off, _ := ctx.Value(noRetryKey{}).(bool)
	return off
}

// Ping is a health probe: one authenticated GET /rate_limit (which does
// not count against the rate limit), not retried, so a failing GitHub is
// reported within the caller's deadline.
func (c *Client) Ping(ctx context.Context) error {
	if _, _, err := c.gh.RateLimit.Get(withoutRetries(ctx)); err != nil {
		return fmt.Errorf("github: %w", err)
	}
	return nil
}
