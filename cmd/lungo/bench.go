package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/lungo-ml/lungo/bench"
	"github.com/lungo-ml/lungo/kernels"
)

func init() {
	register("bench", "benchmark kernels on the standard shapes (medians, GFLOP/s, % of FMA peak)", runBench)
}

func runBench(args []string) error {
	fs := newFlags("bench", "[-suite kernels] [-op NAME] [-impl NAME] [-threads N] [-json]")
	suite := fs.String("suite", "kernels", "suite to run: "+strings.Join(bench.SuiteNames(), ", "))
	op := fs.String("op", "", "only cases whose op is NAME (sgemm, conv2d, \"conv2d fwd+bwd\", conv_transpose2d, maxpool2d)")
	shape := fs.String("shape", "", "only cases whose shape contains this substring")
	impl := fs.String("impl", "", "kernel implementations, comma-separated (default: the active one and generic)")
	threads := fs.String("threads", "", "thread counts, comma-separated, taking turns on each case (default: GOMAXPROCS)")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	runs := fs.Int("runs", 10, "at least this many timed runs per case (after 3 warm-up runs)")
	minTime := fs.Duration("mintime", 500*time.Millisecond, "and at least this much time of them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cases, err := bench.Suite(*suite)
	if err != nil {
		return err
	}
	impls := splitList(*impl)
	if len(impls) == 0 {
		impls = []string{kernels.Active().Name}
		if impls[0] != "generic" {
			impls = append(impls, "generic")
		}
	}
	var ths []int
	for _, s := range splitList(*threads) {
		var n int
		if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
			return fmt.Errorf("-threads: bad count %q", s)
		}
		ths = append(ths, n)
	}
	if len(ths) == 0 {
		ths = []int{0}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false) // shapes contain "->"
	if !*asJSON {
		fmt.Printf("FMA peak %.1f GFLOP/s per core (measured)\n", bench.Peak())
		fmt.Printf("%-18s %-36s %-8s %3s %10s %9s %6s %10s %9s %7s\n", "op", "shape", "impl", "thr", "ms", "GFLOP/s", "peak%", "cpu ms", "peak MiB", "rtt ns")
	}
	found := false
	for _, c := range cases {
		if (*op != "" && c.Op != *op) || !strings.Contains(c.Shape, *shape) {
			continue
		}
		found = true
		for _, im := range impls {
			rs, err := bench.RunThreads(c, im, ths, bench.Options{Runs: *runs, MinTime: *minTime})
			if err != nil {
				return err
			}
			for _, r := range rs {
				if *asJSON {
					if err := enc.Encode(r); err != nil {
						return err
					}
					continue
				}
				fmt.Printf("%-18s %-36s %-8s %3d %10.3f %9.1f %6.1f %10.3f %9.0f %7.0f\n", r.Op, r.Shape, r.Impl, r.Threads, r.MS, r.GFLOPS, r.PeakPct, r.CPUMS, r.PeakRSSMiB, r.CoreRTTNS)
			}
		}
	}
	if !found {
		return fmt.Errorf("no case in suite %q matches -op %q -shape %q", *suite, *op, *shape)
	}
	return nil
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
