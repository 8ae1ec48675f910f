// Package bench measures lungo's kernels on the standard shapes of the
// project (the U-Net's convolutions, SGEMM) and reports medians next to the
// machine's FMA peak.
//
// A Case is one operation on one shape; a suite is a named list of cases
// ("kernels" here; other packages add theirs with RegisterSuite, e.g. a
// whole-model suite). Run times a case under one kernel implementation and
// thread count: warm-up runs, then the median of at least Options.Runs
// timed runs (and at least Options.MinTime of them); RunThreads times it at
// several thread counts that take turns, so that their ratio is measured
// under one machine state. Peak probes the FMA
// throughput with the assembly loop of package internal/asm, so results
// carry the fraction of peak they reach.
//
// "lungo bench" writes results as a table, as JSON lines (a Header record
// first: machine, build, thread counts) or in Go's benchmark format
// (WriteGoHeader, GoLine), which benchstat compares across two runs.
//
// Shape strings follow the notation: "3x3 s1 p1 64->64 @128x128 n1"
// (kernel, stride, padding, in->out channels, input size, batch).
package bench
