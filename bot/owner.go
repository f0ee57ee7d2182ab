package bot

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// process identifies the worker process holding a job lease. It is written
// into the lease owner (see owner) so that a worker starting on the same host
// can tell whether the holder is still running: a lease whose process is gone
// is reclaimed at once instead of waiting out the lease.
type process struct {
	Host  string // hostname
	Boot  string // kernel boot id (Linux): pids and start times are only comparable within one boot
	PIDNS string // pid namespace (Linux): pids are only comparable within one namespace
	PID   int
	Start string // start time in clock ticks after boot (Linux); tells a reused pid apart
}

// currentProcess describes this process. Outside Linux, Boot, PIDNS and Start
// stay empty and liveness falls back to signalling the pid.
func currentProcess() process {
	p := process{PID: os.Getpid()}
	p.Host, _ = os.Hostname()
	if runtime.GOOS != "linux" {
		return p
	}
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		p.Boot = strings.TrimSpace(string(b))
	}
	if ns, err := os.Readlink("/proc/self/ns/pid"); err == nil {
		p.PIDNS = strings.TrimSuffix(strings.TrimPrefix(ns, "pid:["), "]")
	}
	if st, err := procStat(p.PID); err == nil {
		p.Start = st.start
	}
	return p
}

// owner is the lease owner text of one worker (instance) of this process:
// space-separated key=value pairs, readable in a job listing.
func (p process) owner(instance string) string {
	return fmt.Sprintf("host=%s boot=%s pidns=%s pid=%d start=%s id=%s", p.Host, p.Boot, p.PIDNS, p.PID, p.Start, instance)
}

// parseOwner reads a lease owner written by owner; ok is false for any other
// text (a lease written by an older version, or by hand).
func parseOwner(s string) (p process, ok bool) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return p, false
	}
	dst := []*string{&p.Host, &p.Boot, &p.PIDNS, nil, &p.Start, nil}
	for i, key := range []string{"host", "boot", "pidns", "pid", "start", "id"} {
		v, found := strings.CutPrefix(f[i], key+"=")
		if !found {
			return p, false
		}
		if dst[i] != nil {
			*dst[i] = v
		}
		if key == "pid" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return p, false
			}
			p.PID = n
		}
	}
	return p, p.Host != ""
}

// gone reports whether the process other, which holds a lease, has certainly
// exited, as seen from process self. Only a process on the same host, boot
// and pid namespace can be checked: its pid is no longer running, or is now
// a different process (another start time, or a zombie). Anything else —
// another host or replica, an owner that cannot be checked — counts as
// alive: its lease is taken over only once its heartbeat has stopped for a
// whole lease.
func (self process) gone(other process) bool {
	if self.Host == "" || other.Host != self.Host || other.Boot != self.Boot || other.PIDNS != self.PIDNS {
		return false
	}
	if runtime.GOOS != "linux" || self.Start == "" {
		return other.PID != self.PID && !pidExists(other.PID)
	}
	if other.PID == self.PID {
		// This process, or an earlier one that had the same pid (a
		// container's pid 1 after a restart).
		return other.Start != self.Start
	}
	st, err := procStat(other.PID)
	if errors.Is(err, os.ErrNotExist) {
		// Confirmed by signal 0, in case /proc hides other users' processes.
		return !pidExists(other.PID)
	}
	if err != nil {
		return false
	}
	return st.state == "Z" || st.state == "X" || st.start != other.Start
}

// pidExists reports whether a process with this pid may exist: false only
// when signal 0 (which checks without signalling) says it is finished.
func pidExists(pid int) bool {
	proc, err := os.FindProcess(pid)
	if err != nil {
		return true // cannot tell (Windows cannot open it): assume it runs
	}
	return !errors.Is(proc.Signal(syscall.Signal(0)), os.ErrProcessDone)
}

type procStatus struct{ state, start string }

// procStat reads a process's state and start time from /proc/<pid>/stat
// (fields 3 and 22; field 2, the command name, may hold spaces and parentheses,
// so fields are counted after its closing parenthesis).
func procStat(pid int) (procStatus, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStatus{}, err
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return procStatus{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return procStatus{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return procStatus{state: f[0], start: f[19]}, nil
}
