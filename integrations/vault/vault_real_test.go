package vault

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/platbot/platbot/integrations/testenv"
)

// The real Vault dev server (an MPL-2.0 1.14.x release, built by
// .ci/tools/build.sh vault) is started once, on first use.
var (
	realOnce sync.Once
	realSrv  *testenv.Vault
	realErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if realSrv != nil {
		_ = realSrv.Stop()
	}
	os.Exit(code)
}

// realVault returns the address and root token of a real Vault dev server,
// or skips the test when the binary has not been built (fails in CI).
func realVault(t *testing.T) (addr, token string) {
	t.Helper()
	realOnce.Do(func() { realSrv, realErr = testenv.StartVault(context.Background()) })
	if realErr != nil {
		testenv.SkipOrFail(t, realErr)
		return "", ""
	}
	return realSrv.Addr, realSrv.RootToken
}
