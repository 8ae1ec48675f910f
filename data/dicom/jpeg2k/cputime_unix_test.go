//go:build unix

package jpeg2k_test

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time, to compare with OpenJPEG
// on a machine shared with other jobs (wall-clock time there measures the
// neighbours too).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
