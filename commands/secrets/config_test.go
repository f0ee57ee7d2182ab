package secrets

import (
	"strings"
	"testing"
	"time"
)

// A configuration mistake is named by the key people write in
// platbot.yaml (camelCase), so they can find it.
func TestValidateNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.PublicURL = "platbot.example.com" }, `publicURL "platbot.example.com" must be an http(s) URL`},
		{func(c *Config) { c.PublicURL = "http://platbot.example.com" }, `publicURL "http://platbot.example.com" must use https`},
		{func(c *Config) { c.TokenTTL = 48 * time.Hour }, "tokenTTL 48h0m0s is too long"},
		{func(c *Config) { c.DeploymentPath = "apps/deployment.yaml" }, `deploymentPath "apps/deployment.yaml" must contain {service}`},
		{func(c *Config) { c.ExternalSecretPath = "apps/{service}/es.yaml" }, `externalSecretPath "apps/{service}/es.yaml" must contain {secret}`},
		{func(c *Config) { c.TrustedProxies = []string{"proxy.internal"} }, `trustedProxies entry "proxy.internal"`},
		{func(c *Config) { c.Environments = []string{"Prod"} }, `environment "Prod" must be lower-case`},
	} {
		c := DefaultConfig()
		tc.change(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate: %v, want it to say %q", err, tc.want)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
}
