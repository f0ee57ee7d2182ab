package testenv

import "syscall"

// sysProcAttr puts a server in its own process group, so that Stop can end
// it and its children, and has the kernel kill it if the test process dies
// without calling Stop.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
