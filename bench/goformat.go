package bench

import (
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Go's benchmark format (https://go.googlesource.com/proposal/+/master/design/14313-benchmark-format.md),
// which benchstat (golang.org/x/perf/cmd/benchstat) reads: "lungo bench
// -format go -count 10 > old.txt", the same after a change into new.txt,
// then "benchstat old.txt new.txt".

// WriteGoHeader writes the configuration lines that open a file in Go's
// benchmark format, as "go test -bench" writes them, and the direction of
// the extra units. Only what two runs to be compared share goes here:
// benchstat splits results into separate tables by every configuration
// line, so a commit or a measured peak would keep two runs from ever being
// compared (the JSON header record carries those).
func WriteGoHeader(w io.Writer, h Header) error {
	_, err := fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: github.com/lungo-ml/lungo/bench\ncpu: %s\n"+
		"Unit GFLOP/s Better=higher\nUnit peak-%% Better=higher\n", h.GOOS, h.GOARCH, h.CPU)
	return err
}

// GoLine formats r as one line of Go's benchmark format:
//
//	BenchmarkConv2d/shape=3x3_s1_p1_64->64_@128x128_n1/impl=avx512/threads=1  1  1234567 ns/op  45.6 GFLOP/s  78.9 peak-%  12.3 peak-MiB  1200000 cpu-ns/op
//
// The iteration count is 1: each line is one measurement (the median of a
// Run), and "-count N" gives benchstat N of them to summarise. GFLOP/s and
// peak-% appear for ops with a flop count, peak-MiB and cpu-ns/op where
// they were measured.
func GoLine(r Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Benchmark%s/shape=%s/impl=%s/threads=%d\t1\t%s ns/op", GoName(r.Op),
		nameValue(r.Shape), nameValue(r.Impl), r.Threads, formatNS(r.MS*1e6))
	if r.GFLOPS > 0 {
		fmt.Fprintf(&b, "\t%.2f GFLOP/s", r.GFLOPS)
	}
	if r.PeakPct > 0 {
		fmt.Fprintf(&b, "\t%.2f peak-%%", r.PeakPct)
	}
	if r.PeakRSSMiB > 0 {
		fmt.Fprintf(&b, "\t%.1f peak-MiB", r.PeakRSSMiB)
	}
	if r.CPUMS > 0 {
		fmt.Fprintf(&b, "\t%s cpu-ns/op", formatNS(r.CPUMS*1e6))
	}
	return b.String()
}

// GoName turns an op ("conv2d fwd+bwd", "conv_transpose2d") into the name
// of a Go benchmark ("Conv2dFwdBwd", "ConvTranspose2d"): its words,
// capitalised and joined.
func GoName(op string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(op, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// nameValue makes s usable as a value in a benchmark name, which ends at
// the first space and splits at slashes.
func nameValue(s string) string {
	return strings.NewReplacer(" ", "_", "\t", "_", "/", ":").Replace(s)
}

// formatNS prints a time in ns as "go test" does: whole nanoseconds, with
// decimals only below 100 ns.
func formatNS(ns float64) string {
	if ns < 100 {
		return fmt.Sprintf("%.2f", ns)
	}
	return fmt.Sprintf("%.0f", ns)
}
