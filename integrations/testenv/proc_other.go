//go:build unix && !linux

package testenv

import "syscall"

// sysProcAttr puts a server in its own process group, so that Stop can end
// it and its children.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
