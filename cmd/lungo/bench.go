package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lungo-ml/lungo/bench"
	"github.com/lungo-ml/lungo/kernels"
)

func init() {
	register("bench", "benchmark kernels on the standard shapes (medians, GFLOP/s, % of FMA peak; -format go for benchstat)", runBench)
}

func runBench(args []string) error {
	fs := newFlags("bench", "[-suite kernels] [-op NAME] [-shape S] [-impl NAME] [-threads N,M] [-count N] [-format table|json|go]")
	suite := fs.String("suite", "kernels", "suite to run: "+strings.Join(bench.SuiteNames(), ", "))
	op := fs.String("op", "", "only cases whose op is NAME (sgemm, conv2d, \"conv2d fwd+bwd\", conv_transpose2d, maxpool2d)")
	shape := fs.String("shape", "", "only cases whose shape contains this substring")
	impl := fs.String("impl", "", "kernel implementations, comma-separated (default: the active one and generic)")
	threads := fs.String("threads", "", "thread counts, comma-separated, taking turns on each case (default: GOMAXPROCS)")
	format := fs.String("format", "table", "output: table; json (a header record, then one object per result and line); "+
		"go (Go's benchmark format, for benchstat)")
	asJSON := fs.Bool("json", false, "same as -format json")
	count := fs.Int("count", 1, "measure each case this many times, each a result of its own (benchstat gives a confidence interval from 6, 10 is usual)")
	runs := fs.Int("runs", 10, "at least this many timed runs per result (after 3 warm-up runs)")
	minTime := fs.Duration("mintime", 500*time.Millisecond, "and at least this much time of them")
	precision := fs.String("precision", "", "model suite: inference precisions, comma-separated (fp32, bf16, int8), each size's cases side by side")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	if *asJSON {
		if *format != "table" && *format != "json" {
			return usagef("-json and -format %s: give one", *format)
		}
		*format = "json"
	}
	if *format != "table" && *format != "json" && *format != "go" {
		return usagef("-format %q: want table, json or go", *format)
	}
	if *count < 1 {
		return usagef("-count %d: want >= 1", *count)
	}
	cases, err := bench.Suite(*suite)
	if err == nil && *precision != "" {
		if *suite != "model" {
			return usagef("-precision is for -suite model")
		}
		cases, err = bench.ModelCasesPrecision(strings.Split(*precision, ","))
	}
	if err != nil {
		return &usageError{err: err}
	}
	var selected []bench.Case
	for _, c := range cases {
		if (*op == "" || c.Op == *op) && strings.Contains(c.Shape, *shape) {
			selected = append(selected, c)
		}
	}
	if len(selected) == 0 {
		return usagef("no case in suite %q matches -op %q -shape %q", *suite, *op, *shape)
	}
	impls := splitList(*impl)
	if len(impls) == 0 {
		impls = []string{kernels.Active().Name}
		if impls[0] != "generic" && *precision == "" { // the generic bf16 kernel would take minutes a run
			impls = append(impls, "generic")
		}
	}
	for _, im := range impls {
		if !slices.Contains(kernels.List(), im) {
			return usagef("-impl %s: not a kernel implementation (registered: %s)", im, strings.Join(kernels.List(), ", "))
		}
	}
	var ths []int
	for _, s := range splitList(*threads) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return usagef("-threads: bad count %q", s)
		}
		ths = append(ths, n)
	}
	if len(ths) == 0 {
		ths = []int{0}
	}

	h := bench.NewHeader(ths)
	v := readVersion()
	h.Version, h.Commit, h.Modified = v.versionOrUnknown(), v.Revision, v.Modified
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // shapes contain "->"
	switch *format {
	case "json":
		err = enc.Encode(h)
	case "go":
		err = bench.WriteGoHeader(w, h)
	default:
		fmt.Fprintf(w, "cpu %s; lungo %s; %s; GOMAXPROCS %d\n", h.CPU, v, h.GoVersion, h.GOMAXPROCS)
		fmt.Fprintf(w, "FMA peak %.1f GFLOP/s per core (measured)\n", h.PeakGFLOPS)
		fmt.Fprintf(w, "%-18s %-36s %-8s %3s %10s %9s %6s %10s %9s %7s\n", "op", "shape", "impl", "thr", "ms", "GFLOP/s", "peak%", "cpu ms", "peak MiB", "rtt ns")
	}
	if err != nil {
		return err
	}
	for _, c := range selected {
		for range *count {
			for _, im := range impls {
				rs, err := bench.RunThreads(c, im, ths, bench.Options{Runs: *runs, MinTime: *minTime})
				if err != nil {
					return err
				}
				for _, r := range rs {
					switch *format {
					case "json":
						err = enc.Encode(r)
					case "go":
						_, err = fmt.Fprintln(w, bench.GoLine(r))
					default:
						_, err = fmt.Fprintf(w, "%-18s %-36s %-8s %3d %10.3f %9.1f %6.1f %10.3f %9.0f %7.0f\n", r.Op, r.Shape, r.Impl, r.Threads, r.MS, r.GFLOPS, r.PeakPct, r.CPUMS, r.PeakRSSMiB, r.CoreRTTNS)
					}
					if err != nil {
						return err
					}
				}
				// Each result as soon as it is measured: a long run
				// shows progress, and an interrupted one keeps its lines.
				if err := w.Flush(); err != nil {
					return err
				}
			}
		}
	}
	return w.Flush()
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
