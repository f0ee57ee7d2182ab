//go:build !unix

package main

import (
	"errors"
	"os"
)

// errLocked: another open file holds the lock.
var errLocked = errors.New("locked")

// flockExclusive takes no lock on this platform: the standard library has
// no flock here. platbot is built for Linux (Dockerfile) and runs on macOS;
// elsewhere keeping one process per SQLite file is up to the operator.
func flockExclusive(*os.File) error { return nil }
