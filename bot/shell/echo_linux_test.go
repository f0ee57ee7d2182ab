package shell

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: what a person at a terminal types
// is written to the controller and read from the terminal end.
func openPTY(t *testing.T) (controller, term *os.File) {
	t.Helper()
	c, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	fd := int(c.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tf.Close() })
	return c, tf
}

func lflag(t *testing.T, f *os.File) uint32 {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), ioctlGetTermios)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(tio.Lflag)
}

// TestEchoOffHidesTypingAndRestores: on a terminal, a secret is read with
// echo off but lines still end at Enter, and the settings come back after.
func TestEchoOffHidesTypingAndRestores(t *testing.T) {
	_, term := openPTY(t)
	before := lflag(t, term)
	if before&unix.ECHO == 0 {
		t.Fatal("a new terminal should echo")
	}
	if !IsTerminal(term) {
		t.Fatal("IsTerminal(pty) = false")
	}
	sh := New(Options{In: term})
	if sh.hideInput == nil {
		t.Fatal("a shell on a terminal cannot hide input")
	}
	restore, err := sh.hideInput()
	if err != nil {
		t.Fatal(err)
	}
	during := lflag(t, term)
	if during&unix.ECHO != 0 || during&unix.ICANON == 0 {
		t.Fatalf("while hidden lflag = %#x: want echo off, lines kept", during)
	}
	restore()
	if after := lflag(t, term); after != before {
		t.Fatalf("lflag after = %#x, want %#x", after, before)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	if New(Options{In: pr}).hideInput != nil {
		t.Fatal("a shell reading a pipe tries to hide input")
	}
}
