package vault

import "context"

// Ping is a health probe: one authenticated token lookup-self, which any
// valid token may call. A wrong or expired token fails with ErrDenied (403),
// an unreachable or failing Vault with ErrUnavailable.
func (c *Client) Ping(ctx context.Context) error {
	if _, err := c.api.Auth().Token().LookupSelfWithContext(ctx); err != nil {
		return c.wrap("token lookup-self", err)
	}
	return nil
}
