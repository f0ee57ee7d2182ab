//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package shell

import (
	"errors"
	"os"
)

// echoOff cannot hide typed input on this system; the shell says so before
// reading a secret.
func echoOff(*os.File) (func(), error) {
	return nil, errors.New("hiding typed input is not supported on this system")
}
