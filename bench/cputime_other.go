//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package bench

import "time"

// processCPU reports that this platform has no process CPU clock here.
func processCPU() (time.Duration, bool) { return 0, false }
