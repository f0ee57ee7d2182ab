package bottest

import (
	"time"

	"github.com/platbot/platbot/bot/bottest/stdtest"
)

// Clock is the one fake clock of the test tree (see stdtest.Clock: Now,
// Advance, Set, Sleep; safe for concurrent use).
type Clock = stdtest.Clock

// LogBuffer is a log sink safe for concurrent writers (see
// stdtest.LogBuffer: Write, String, Logger).
type LogBuffer = stdtest.LogBuffer

// Epoch is where NewClock(time.Time{}) starts.
var Epoch = stdtest.Epoch

// NewClock returns a fake clock at start (Epoch when start is zero).
func NewClock(start time.Time) *Clock { return stdtest.NewClock(start) }
