package asm

import "fmt"

// checkGemm panics unless the slices hold an mr x nr micro-kernel call
// whose k steps read A in nb blocks of k/nb columns, ab floats apart.
func checkGemm(name string, mr, nr, k, nb, ab, la, lda, lb, ldb, lc, ldc int) {
	switch {
	case k < 0 || nb < 1 || k%nb != 0 || ab < 0:
		panic(fmt.Sprintf("asm: %s: k=%d in %d blocks %d apart", name, k, nb, ab))
	case lda < 0:
		panic(fmt.Sprintf("asm: %s: lda=%d < 0", name, lda))
	case ldc < nr:
		panic(fmt.Sprintf("asm: %s: ldc=%d < %d", name, ldc, nr))
	case lc < (mr-1)*ldc+nr:
		panic(fmt.Sprintf("asm: %s: len(c)=%d < %d", name, lc, (mr-1)*ldc+nr))
	case k > 0 && la < (mr-1)*lda+(nb-1)*ab+k/nb:
		panic(fmt.Sprintf("asm: %s: len(a)=%d < %d", name, la, (mr-1)*lda+(nb-1)*ab+k/nb))
	case ldb < 0:
		panic(fmt.Sprintf("asm: %s: ldb=%d < 0", name, ldb))
	case k > 0 && lb < (k-1)*ldb+nr:
		panic(fmt.Sprintf("asm: %s: len(b)=%d < %d", name, lb, (k-1)*ldb+nr))
	}
}
