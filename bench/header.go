package bench

import (
	"runtime"

	"github.com/klauspost/cpuid/v2"
	"github.com/lungo-ml/lungo/kernels"
)

// Header describes where a set of results was measured: the first record
// of "lungo bench -json", so that a results file says which machine, build
// and thread counts its numbers belong to.
type Header struct {
	Type       string   `json:"type"` // "header", which no Result has
	GOOS       string   `json:"goos"`
	GOARCH     string   `json:"goarch"`
	CPU        string   `json:"cpu"`       // model name
	CPUFlags   []string `json:"cpu_flags"` // the features the kernels choose by (CPUFeatures)
	PeakGFLOPS float64  `json:"fma_peak_gflops"`
	GoVersion  string   `json:"go_version"`
	// Version and Commit identify the lungo build (the caller fills them
	// in from the binary's build information; a library cannot know them).
	Version    string `json:"lungo_version"`
	Commit     string `json:"lungo_commit,omitempty"`
	Modified   bool   `json:"lungo_modified,omitempty"` // built from a checkout with uncommitted changes
	GOMAXPROCS int    `json:"gomaxprocs"`
	Threads    []int  `json:"threads"` // the thread counts of the run
	Kernels    string `json:"kernels"` // the implementation selected by default
}

// NewHeader returns the header of a run on this machine at the given
// thread counts (< 1: GOMAXPROCS), with the FMA peak measured (Peak).
func NewHeader(threads []int) Header {
	h := Header{Type: "header", GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPU: CPUModel(), CPUFlags: CPUFeatures(),
		PeakGFLOPS: Peak(), GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), Kernels: kernels.Active().Name}
	for _, t := range threads {
		if t < 1 {
			t = runtime.GOMAXPROCS(0)
		}
		h.Threads = append(h.Threads, t)
	}
	return h
}

// CPUModel returns the processor's model name ("" where the CPU does not
// say; arm64 Linux often does not).
func CPUModel() string { return cpuid.CPU.BrandName }

// CPUFeatures returns the instruction-set features among those lungo's
// kernels are chosen by that this CPU has, in a fixed order.
func CPUFeatures() []string {
	feats := []string{}
	for _, f := range []cpuid.FeatureID{cpuid.SSE4, cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.AVX512VL,
		cpuid.AVX512BW, cpuid.AVX512DQ, cpuid.AVX512BF16, cpuid.ASIMD, cpuid.ASIMDHP, cpuid.SVE} {
		if cpuid.CPU.Supports(f) {
			feats = append(feats, f.String())
		}
	}
	return feats
}
