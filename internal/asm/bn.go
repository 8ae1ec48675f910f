package asm

import "fmt"

// Flags of the batch-norm apply kernels (BNApplyRows*).
const (
	BNResidual = 1 << iota // add res after the normalisation
	BNReLU                 // take max(., 0) last
)

// isa names an instruction set and the width of its kernels in float32
// lanes: avx2 (bn_amd64.go) and neon (bn_arm64.go).
type isa struct {
	name  string
	lanes int
}

// The batch-norm row kernels, one set per ISA (ColSum64AVX2 in
// bn_amd64.go, ColSum64NEON in bn_arm64.go, ...), with their Go loops and
// requirements here, once. Each works on rows >= 1 rows of a row-major
// matrix with row stride ld and on its first cols columns, cols a positive
// multiple of the ISA's lanes given by the length of the first per-column
// slice; the caller handles the other columns. Each function below checks
// the slices for one kernel, whose wrappers call it before the assembly;
// the per-ISA files say how their results round.

// checkColSum64 checks the slices for ColSum64<ISA>, which computes
//
//	for i := 0; i < rows; i++ {
//		for j := range acc {
//			acc[j] += float64(x[i*ld+j])
//		}
//	}
//
// It requires len(acc)%lanes == 0, len(acc) > 0, ld >= len(acc),
// len(x) >= (rows-1)*ld+len(acc), rows >= 1, and the ISA.
func checkColSum64(s isa, acc []float64, x []float32, rows, ld int) {
	checkRows("ColSum64", s, rows, ld, len(acc), []int{len(x)}, nil)
}

// checkColSqDev64 checks the slices for ColSqDev64<ISA>, which computes
//
//	for i := 0; i < rows; i++ {
//		for j := range acc {
//			d := float64(x[i*ld+j]) - mu[j]
//			acc[j] += d * d
//		}
//	}
//
// with ColSum64<ISA>'s requirements and len(mu) >= len(acc).
func checkColSqDev64(s isa, acc, mu []float64, x []float32, rows, ld int) {
	checkRows("ColSqDev64", s, rows, ld, len(acc), []int{len(x)}, []int{len(mu)})
}

// checkColGradSums64 checks the slices for ColGradSums64<ISA>, which computes the batch-norm
// backward sums
//
//	for i := 0; i < rows; i++ {
//		for j := range s0 {
//			g := float64(dy[i*ld+j])
//			s0[j] += g
//			s1[j] += g * (float64(x[i*ld+j]) - mu[j])
//		}
//	}
//
// with ColSum64<ISA>'s requirements for s0 and both dy and x, and len(s1),
// len(mu) >= len(s0).
func checkColGradSums64(s isa, s0, s1, mu []float64, dy, x []float32, rows, ld int) {
	checkRows("ColGradSums64", s, rows, ld, len(s0), []int{len(dy), len(x)}, []int{len(s1), len(mu)})
}

// checkBNApplyRows checks the slices for BNApplyRows<ISA>, which computes, with cols = len(mean),
//
//	for i := 0; i < rows; i++ {
//		for j := 0; j < cols; j++ {
//			z := (x[i*ld+j]-mean[j])*scale[j] + shift[j]
//			if flags&BNResidual != 0 {
//				z += res[i*ld+j]
//			}
//			if flags&BNReLU != 0 {
//				z = max(z, 0)
//			}
//			y[i*ld+j] = z
//		}
//	}
//
// y may be x or res. It requires cols%lanes == 0, cols > 0, ld >= cols,
// rows >= 1, len(y), len(x) and (with BNResidual) len(res) >=
// (rows-1)*ld+cols, len(scale), len(shift) >= cols, and the ISA.
func checkBNApplyRows(s isa, y, x, res, mean, scale, shift []float32, rows, ld, flags int) {
	nr := len(x)
	if flags&BNResidual != 0 {
		nr = len(res)
	}
	checkRows("BNApplyRows", s, rows, ld, len(mean), []int{len(y), len(x), nr}, []int{len(scale), len(shift)})
}

// checkBNGradRows checks the slices for BNGradRows<ISA>, which computes the batch-norm input
// gradient, with cols = len(mean),
//
//	for i := 0; i < rows; i++ {
//		for j := 0; j < cols; j++ {
//			k := i*ld + j
//			dx[k] = a[j]*dy[k] + b[j]*(x[k]-mean[j]) + d[j]
//		}
//	}
//
// dx may be dy. It requires cols%lanes == 0, cols > 0, ld >= cols, rows >=
// 1, len(dx), len(dy), len(x) >= (rows-1)*ld+cols, len(a), len(b), len(d)
// >= cols, and the ISA.
func checkBNGradRows(s isa, dx, dy, x, mean, a, b, d []float32, rows, ld int) {
	checkRows("BNGradRows", s, rows, ld, len(mean), []int{len(dx), len(dy), len(x)}, []int{len(a), len(b), len(d)})
}

// checkRows panics unless the slices fit the row kernel op+s.name: cols (a
// multiple of s.lanes) columns of rows >= 1 rows with row stride ld >=
// cols; each matrix length in mats must hold (rows-1)*ld + cols elements
// and each per-column vector length in vecs at least cols.
func checkRows(op string, s isa, rows, ld, cols int, mats, vecs []int) {
	ok := cols%s.lanes == 0 && cols > 0 && rows >= 1 && ld >= cols
	for _, n := range mats {
		ok = ok && n >= (rows-1)*ld+cols
	}
	for _, n := range vecs {
		ok = ok && n >= cols
	}
	if !ok {
		// copies, so that the callers' length lists never escape
		panic(fmt.Sprintf("asm: %s%s: rows=%d ld=%d cols=%d (want rows >= 1, ld >= cols > 0, cols%%%d == 0), matrix lengths %v, vector lengths %v",
			op, s.name, rows, ld, cols, s.lanes, append([]int(nil), mats...), append([]int(nil), vecs...)))
	}
}
