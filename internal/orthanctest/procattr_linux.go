package orthanctest

import (
	"os/exec"
	"syscall"
)

// orphanProof has the kernel kill Orthanc if the test binary dies without
// running its cleanups (a -timeout panic, a kill), so no server outlives
// the tests holding a port.
func orphanProof(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
