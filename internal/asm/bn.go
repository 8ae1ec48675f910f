package asm

import "fmt"

// Flags of the batch-norm apply kernels (BNApplyRows*).
const (
	BNResidual = 1 << iota // add res after the normalisation
	BNReLU                 // take max(., 0) last
)

// checkRows panics unless the slices fit a row kernel of width lanes: cols
// (a multiple of lanes) columns of rows >= 1 rows with row stride ld >=
// cols; each matrix length in mats must hold (rows-1)*ld + cols elements
// and each per-column vector length in vecs at least cols.
func checkRows(name string, lanes, rows, ld, cols int, mats, vecs []int) {
	ok := cols%lanes == 0 && cols > 0 && rows >= 1 && ld >= cols
	for _, n := range mats {
		ok = ok && n >= (rows-1)*ld+cols
	}
	for _, n := range vecs {
		ok = ok && n >= cols
	}
	if !ok {
		// copies, so that the callers' length lists never escape
		panic(fmt.Sprintf("asm: %s: rows=%d ld=%d cols=%d (want rows >= 1, ld >= cols > 0, cols%%%d == 0), matrix lengths %v, vector lengths %v",
			name, rows, ld, cols, lanes, append([]int(nil), mats...), append([]int(nil), vecs...)))
	}
}

// checkFlat panics unless every length in ns is at least n, a multiple of
// lanes.
func checkFlat(name string, lanes, n int, ns ...int) {
	ok := n%lanes == 0 && n >= 0
	for _, m := range ns {
		ok = ok && m >= n
	}
	if !ok {
		panic(fmt.Sprintf("asm: %s: n=%d (want a multiple of %d), lengths %v", name, n, lanes, append([]int(nil), ns...)))
	}
}
