package golden

import (
	"os"
	"testing"

	"github.com/platbot/platbot/commands/paths/golden/goldentest"
)

func TestMain(m *testing.M) { code := m.Run(); goldentest.Stop(); os.Exit(code) }
