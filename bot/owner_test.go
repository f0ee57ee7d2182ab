package bot

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

func TestOwnerRoundTrip(t *testing.T) {
	p := currentProcess()
	if p.Host == "" || p.PID != os.Getpid() {
		t.Fatalf("currentProcess = %+v", p)
	}
	if runtime.GOOS == "linux" && (p.Boot == "" || p.PIDNS == "" || p.Start == "") {
		t.Fatalf("currentProcess on Linux = %+v; want boot id, pid namespace and start time", p)
	}
	got, ok := parseOwner(p.owner("00ff"))
	if !ok || got != p {
		t.Fatalf("parseOwner(owner) = %+v, %v; want %+v", got, ok, p)
	}
	for _, bad := range []string{"", "myhost-42-12345", "host= boot= pidns= pid=1 start= id=x", "host=h boot= pidns= pid=0 start= id=x",
		"host=h boot= pidns= pid=x start= id=x", "host=h boot=b pidns=n pid=7 start=1 id=x extra=1"} {
		if _, ok := parseOwner(bad); ok {
			t.Errorf("parseOwner(%q) accepted", bad)
		}
	}
}

// TestGone: only a process of this host that has certainly exited counts as
// gone; this process, live processes, other hosts and other boots do not.
func TestGone(t *testing.T) {
	self := currentProcess()
	if self.gone(self) {
		t.Error("this process counts as gone")
	}
	parent := self
	parent.PID = os.Getppid()
	if st, err := procStat(parent.PID); err == nil {
		parent.Start = st.start
	}
	if self.gone(parent) {
		t.Errorf("live parent process %d counts as gone", parent.PID)
	}

	// A process that ran and was reaped.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := self
	dead.PID = cmd.ProcessState.Pid()
	if !self.gone(dead) {
		t.Errorf("exited process %d does not count as gone", dead.PID)
	}
	for name, mod := range map[string]func(*process){
		"another host":          func(p *process) { p.Host = "elsewhere" },
		"another boot":          func(p *process) { p.Boot = "another-boot" },
		"another pid namespace": func(p *process) { p.PIDNS = "1" },
	} {
		p := dead
		mod(&p)
		if self.gone(p) {
			t.Errorf("exited process on %s counts as gone; it cannot be checked from here", name)
		}
	}

	if runtime.GOOS != "linux" {
		return
	}
	// The same pid with another start time: an earlier process that had this
	// pid (a container's pid 1 before a restart), or a pid reused since.
	earlier := self
	earlier.Start = "1"
	if !self.gone(earlier) {
		t.Error("earlier process with this pid does not count as gone")
	}
	reused := parent
	reused.Start = "1"
	if !self.gone(reused) {
		t.Error("lease of a pid now running another process does not count as gone")
	}
}
