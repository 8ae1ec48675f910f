//go:build !unix

package kernels

import "time"

// processCPU is unknown here: benchmarks report a zero CPU time.
func processCPU() time.Duration { return 0 }
