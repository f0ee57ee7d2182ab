package paths

import (
	"testing"

	"github.com/platbot/platbot/integrations/github/githubfake"
)

// The golden-path tests use the shared GitHub fake.
type (
	ghFake    = githubfake.Server
	ghRequest = githubfake.Request
	ghPull    = githubfake.Pull
)

func newGHFake(t testing.TB) *ghFake { return githubfake.New(t) }
