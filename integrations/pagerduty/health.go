package pagerduty

import (
	"context"
	"fmt"
)

// Ping is a health probe: one authenticated GET /abilities (the account's
// abilities, a small answer any REST API key may read).
func (c *Client) Ping(ctx context.Context) error {
	var out struct {
		Abilities []string `json:"abilities"`
	}
	if err := c.get(ctx, "/abilities", &out); err != nil {
		return fmt.Errorf("pagerduty: GET /abilities: %w", err)
	}
	return nil
}
