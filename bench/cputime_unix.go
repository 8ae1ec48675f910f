//go:build linux || darwin || freebsd || netbsd || openbsd

package bench

import (
	"time"

	"golang.org/x/sys/unix"
)

// processCPU returns the CPU time this process has used (all threads), and
// whether the platform reports it.
func processCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
