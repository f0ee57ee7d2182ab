//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package shell

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// echoOff turns off the terminal's echo of typed characters (keeping line
// editing, so a line is still read when Enter is pressed) until restore is
// called. The line discipline echoes as characters arrive, so the reader
// waiting for the next line needs no change.
func echoOff(f *os.File) (restore func(), err error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, fmt.Errorf("read terminal settings: %w", err)
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ECHONL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &quiet); err != nil {
		return nil, fmt.Errorf("turn terminal echo off: %w", err)
	}
	return func() { _ = unix.IoctlSetTermios(fd, ioctlSetTermios, old) }, nil
}
