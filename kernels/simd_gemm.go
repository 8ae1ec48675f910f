package kernels

import "github.com/klauspost/cpuid/v2"

// The SIMD Sgemm driver: BLIS-style blocking around an assembly micro-kernel
// (package kernels/asm) that computes one mr x nr tile of C.
//
//	for jc over n in steps of nc:            B block [kc, nc] shared, in L2
//	  for pc over k in steps of kc:
//	    pack B[pc:pc+kc, jc:jc+nc] into nr-wide k-major panels (threads split panels)
//	    for each (ic block of mc rows, range of panels) task, in parallel:
//	      pack alpha*A[ic:ic+mc, pc:pc+kc] row-major (row stride ldp)
//	      for ir over mc in steps of mr:        A micro-panel stays in L1
//	        for jr over the task's panels:      B micro-panels stream from L2
//	          micro-kernel: C[ir:ir+mr, jr:jr+nr] += Apanel * Bpanel
//
// The micro-kernels accumulate onto C, so beta is applied first, in one
// pass over C. Tiles that stick out of C (m or n not a multiple of mr, nr)
// go through a small temporary tile; packing pads A's rows and B's columns
// with zeros. Transposes are handled by the packing. Scratch, call state
// and Parallel's jobs come from free lists, so a steady state allocates
// nothing on one thread (a closure or two per call on more).

// microKernel is one register tile: fn computes, for i < mr and j < nr,
// c[i*ldc+j] += sum over p < k of a[i*lda+p] * b[p*ldb+j] (ldb = nr for
// a packed panel).
type microKernel struct {
	name   string
	mr, nr int
	fn     func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int)
	// fnBlocks is fn with A read in nb blocks of kb columns, ab floats
	// apart (all kernel rows of a convolution tile in one call).
	fnBlocks func(nb, kb, ab int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int)
}

// gemmBlocking holds the cache block sizes: mc rows of A (a multiple of mr),
// kc of the reduction, nc columns of B (a multiple of nr).
type gemmBlocking struct{ mc, kc, nc int }

// blockingFor derives block sizes from the cache sizes cpuid reports (32 KiB
// L1d and 512 KiB L2 when it reports none): kc = L1d/128 (256 for 32 KiB:
// a 32-wide B micro-panel of kc rows fills L1d, the A micro-panel a
// quarter of it), an mc x kc block of A in an eighth of L2 and a kc x nc
// block of B in L2. Measured on Zen 4 (1 MiB L2), 1024^3 on one core:
// kc = 256, mc ~ 100-150, nc ~ 1000-4000 all give 85-88% of the FMA peak;
// kc = 448 loses 5-8% on the 16-wide tile.
func blockingFor(mk *microKernel) gemmBlocking {
	if o := blockingOverride; o.kc > 0 {
		return gemmBlocking{mc: max(mk.mr, o.mc/mk.mr*mk.mr), kc: o.kc, nc: max(mk.nr, o.nc/mk.nr*mk.nr)}
	}
	l1, l2 := cpuid.CPU.Cache.L1D, cpuid.CPU.Cache.L2
	if l1 <= 0 {
		l1 = 32 << 10
	}
	if l2 <= 0 {
		l2 = 512 << 10
	}
	kc := clampInt(l1/128, 128, 512) &^ 15
	mc := clampInt(l2/8/(kc*4), mk.mr, 1024) / mk.mr * mk.mr
	nc := clampInt(l2/(kc*4), mk.nr, 8192) / mk.nr * mk.nr
	return gemmBlocking{mc: mc, kc: kc, nc: nc}
}

// blockingOverride replaces blockingFor's choice when kc > 0 (tuning
// benchmarks only).
var blockingOverride gemmBlocking

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }

func roundUp(v, m int) int { return (v + m - 1) / m * m }

// gemmSerialFlops is the work below which Sgemm stays on the calling
// thread: a Parallel round trip costs a few microseconds.
const gemmSerialFlops = 1 << 20

// packStride returns the row stride of a packed A block for kc columns:
// a multiple of 16 floats that is not a multiple of 256 (1 KiB), so that the
// mr rows a micro-kernel reads do not all fall into the same L1 sets.
func packStride(kc int) int {
	ld := roundUp(kc, 16)
	if ld%256 == 0 {
		ld += 16
	}
	return ld
}

// getGemmBuf returns a buffer of n floats (contents undefined) from the
// package's size-class free lists (getScratch), which, unlike a sync.Pool,
// keep their buffers across garbage collections: steady-state calls
// allocate no scratch. Give it back with putGemmBuf.
func getGemmBuf(n int) *[]float32 { return getScratch(n) }

func putGemmBuf(b *[]float32) { putScratch(b) }

// sgemmSIMD is Sgemm (same contract, arguments already checked, m, n > 0)
// on micro-kernel mk.
func sgemmSIMD(mk *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	threads := Threads()
	if 2*m*n*k < gemmSerialFlops {
		threads = 1
	}
	r := gemmRuns.get()
	if r == nil {
		r = new(gemmRun)
		// Bound once per gemmRun: handing them to Parallel allocates nothing.
		r.scaleFn, r.packBFn, r.taskFn = r.scaleRows, r.packB, r.task
		r.packWholeBFn, r.taskWholeBFn = r.packWholeB, r.taskWholeB
	}
	defer gemmRuns.put(r)
	r.gemmArgs = gemmArgs{mk: mk, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, aInPlace: readAInPlace(mk, transA, alpha, n, lda)}
	defer func() { r.gemmArgs = gemmArgs{} }() // drop the slices for the collector
	if beta != 1 {
		if threads > 1 {
			Parallel(m, max(1, 32768/n), r.scaleFn)
		} else {
			r.scaleRows(0, m)
		}
	}
	if alpha == 0 || k == 0 {
		return
	}
	bs := blockingFor(mk)
	mr, nr := mk.mr, mk.nr
	if threads > 1 && n <= bs.nc && k > bs.kc && k*roundUp(n, nr) <= wholeBFloats {
		r.wholeB(bs, threads)
		return
	}
	// Enough row blocks for every thread when m allows it.
	mc := min(bs.mc, roundUp((m+threads-1)/threads, mr))
	nI := (m + mc - 1) / mc
	kcMax := min(bs.kc, k)
	bbuf := getGemmBuf(kcMax * roundUp(min(bs.nc, n), nr))
	defer putGemmBuf(bbuf)
	r.mc, r.ldp = mc, packStride(kcMax)
	for r.jc = 0; r.jc < n; r.jc += bs.nc {
		ncb := min(bs.nc, n-r.jc)
		r.panels = (ncb + nr - 1) / nr
		r.nJ = 1
		if nI < threads {
			r.nJ = min(r.panels, (threads+nI-1)/nI)
		}
		for r.pc = 0; r.pc < k; r.pc += bs.kc {
			r.kcb = min(bs.kc, k-r.pc)
			r.pb = (*bbuf)[:r.kcb*r.panels*nr]
			if threads > 1 {
				Parallel(r.panels, max(1, 16384/(r.kcb*nr)), r.packBFn)
				Parallel(nI*r.nJ, 1, r.taskFn)
			} else {
				r.packB(0, r.panels)
				r.task(0, nI*r.nJ)
			}
		}
	}
}

// gemmArgs is the state of one sgemmSIMD call shared with its tasks: the
// arguments, and the loop position (column block jc, reduction block pc of
// kcb rows, packed B block pb of panels panels, split nJ ways).
type gemmArgs struct {
	mk                      *microKernel
	transA, transB          bool
	m, n, k                 int
	alpha, beta             float32
	a, b, c                 []float32
	lda, ldb, ldc           int
	aInPlace                bool
	mc, ldp                 int
	jc, pc, kcb, panels, nJ int
	pb                      []float32
	kc, mt, nI              int // the whole-B path's
}

// gemmRun is a recycled gemmArgs with its methods bound once as the func
// values handed to Parallel, so that a call allocates no closures.
type gemmRun struct {
	gemmArgs
	scaleFn, packBFn, taskFn, packWholeBFn, taskWholeBFn func(lo, hi int)
}

// scaleRows computes C = beta*C over rows [lo, hi).
func (r *gemmArgs) scaleRows(lo, hi int) { scaleRows(lo, hi, r.n, r.beta, r.c, r.ldc) }

var gemmRuns freeList[gemmRun]

// packB packs the B panels [lo, hi) of the current block.
func (r *gemmArgs) packB(lo, hi int) {
	nr := r.mk.nr
	for jp := lo; jp < hi; jp++ {
		packBPanel(r.pb[jp*r.kcb*nr:(jp+1)*r.kcb*nr], nr, r.transB, r.b, r.ldb, r.pc, r.kcb, r.jc+jp*nr, min(nr, r.n-r.jc-jp*nr))
	}
}

// task runs the (row block, panel range) tasks [lo, hi) of the current block.
func (r *gemmArgs) task(lo, hi int) {
	mr, nr, mc, ldp := r.mk.mr, r.mk.nr, r.mc, r.ldp
	abuf := getGemmBuf(roundUp(mc, mr)*ldp + mr*nr)
	defer putGemmBuf(abuf)
	pa, tmp := (*abuf)[:roundUp(mc, mr)*ldp], (*abuf)[roundUp(mc, mr)*ldp:]
	packed := -1
	for t := lo; t < hi; t++ {
		ib, jb := t/r.nJ, t%r.nJ
		i0 := ib * mc
		mcb := min(mc, r.m-i0)
		jp0, jp1 := jb*r.panels/r.nJ, (jb+1)*r.panels/r.nJ
		if r.aInPlace && i0+roundUp(mcb, mr) <= r.m {
			gemmBlock(r.mk, r.kcb, r.a[i0*r.lda+r.pc:], r.lda, mcb, r.pb, jp0, jp1, r.jc, r.n, r.c, r.ldc, i0, tmp)
			continue
		}
		if packed != ib {
			packAPanel(pa, ldp, mr, r.transA, r.alpha, r.a, r.lda, i0, mcb, r.pc, r.kcb)
			packed = ib
		}
		gemmBlock(r.mk, r.kcb, pa, ldp, mcb, r.pb, jp0, jp1, r.jc, r.n, r.c, r.ldc, i0, tmp)
	}
}

// readAInPlace says whether the micro-kernel should read A where it is
// (lda apart) instead of from packed copies: when A needs no transposing
// or scaling, is used for few column panels (at most 4, so copying it
// would not pay: the few-positions convolution, 512x4608 weights x 64
// columns, spent a quarter of its time copying them), and lda does not
// map the mr rows of a micro-panel to one L1 set (lda a multiple of 1024
// floats would). Full row tiles only: the rows of a partial one are packed.
func readAInPlace(mk *microKernel, transA bool, alpha float32, n, lda int) bool {
	return !transA && alpha == 1 && n <= 4*mk.nr && lda%1024 != 0
}

// gemmBlock runs the micro-kernel over the rows [0, mcb) of the packed A
// block pa (row stride ldp) and the panels [jp0, jp1) of the packed B block
// pb (kcb rows), adding into C from row i0 and column jc.
func gemmBlock(mk *microKernel, kcb int, pa []float32, ldp, mcb int, pb []float32, jp0, jp1, jc, n int, c []float32, ldc, i0 int, tmp []float32) {
	mr, nr := mk.mr, mk.nr
	for ir := 0; ir < mcb; ir += mr {
		mv := min(mr, mcb-ir)
		ap := pa[ir*ldp:]
		for jp := jp0; jp < jp1; jp++ {
			j := jc + jp*nr
			nv := min(nr, n-j)
			bp := pb[jp*kcb*nr : (jp+1)*kcb*nr]
			ct := c[(i0+ir)*ldc+j:]
			if mv == mr && nv == nr {
				mk.fn(kcb, ap, ldp, bp, nr, ct, ldc)
			} else {
				edgeTile(mk, kcb, ap, ldp, bp, ct, ldc, mv, nv, tmp)
			}
		}
	}
}

// wholeBFloats bounds the packed B of the whole-B path (16 MiB).
const wholeBFloats = 4 << 20

// wholeB is sgemmSIMD's threaded path for products whose B fits one
// nc block and whose reduction spans several kc blocks (tall and skinny:
// the few-positions convolution is [K, P] = [K, RSC] x [RSC, P] with
// P = 64 and RSC = 4608): B is packed whole up front, and each task then
// runs all kc blocks of its rows, so the threads meet twice per call
// instead of twice per kc block. Every C element is reduced in the same
// order as in sgemmSIMD.
func (r *gemmRun) wholeB(bs gemmBlocking, threads int) {
	mr, nr := r.mk.mr, r.mk.nr
	// Row blocks of mr-row tiles, a multiple of threads of them, whose
	// tile counts differ by at most one (512 rows in blocks of mc = 120
	// were 120, 120, 120, 120, 32: 272 rows for one thread, 240 for the
	// other).
	r.kc = bs.kc
	r.mt = (r.m + mr - 1) / mr
	r.nI = min(r.mt, threads*((r.mt*mr+threads*bs.mc-1)/(threads*bs.mc)))
	r.mc = (r.mt + r.nI - 1) / r.nI * mr // the largest block
	r.panels = (r.n + nr - 1) / nr
	r.nJ = 1
	if r.nI < threads {
		r.nJ = min(r.panels, (threads+r.nI-1)/r.nI)
	}
	npc := (r.k + bs.kc - 1) / bs.kc
	bbuf := getGemmBuf(r.k * r.panels * nr)
	defer putGemmBuf(bbuf)
	r.pb = *bbuf // block q ([kcb, panels*nr]) starts at q*kc*panels*nr
	r.ldp = packStride(min(bs.kc, r.k))
	Parallel(npc*r.panels, max(1, 16384/(bs.kc*nr)), r.packWholeBFn)
	Parallel(r.nI*r.nJ, 1, r.taskWholeBFn)
}

// packWholeB packs the (kc block, panel) pairs [lo, hi) of wholeB.
func (r *gemmArgs) packWholeB(lo, hi int) {
	nr := r.mk.nr
	for i := lo; i < hi; i++ {
		pc, jp := i/r.panels*r.kc, i%r.panels
		kcb := min(r.kc, r.k-pc)
		pb := r.pb[pc*r.panels*nr:]
		packBPanel(pb[jp*kcb*nr:(jp+1)*kcb*nr], nr, r.transB, r.b, r.ldb, pc, kcb, jp*nr, min(nr, r.n-jp*nr))
	}
}

// taskWholeB runs the (row block, panel range) tasks [lo, hi) of wholeB,
// each over all kc blocks.
func (r *gemmArgs) taskWholeB(lo, hi int) {
	mr, nr, mc, ldp := r.mk.mr, r.mk.nr, r.mc, r.ldp
	abuf := getGemmBuf(roundUp(mc, mr)*ldp + mr*nr)
	defer putGemmBuf(abuf)
	pa, tmp := (*abuf)[:roundUp(mc, mr)*ldp], (*abuf)[roundUp(mc, mr)*ldp:]
	for t := lo; t < hi; t++ {
		ib, jb := t/r.nJ, t%r.nJ
		i0 := ib * r.mt / r.nI * mr
		mcb := min((ib+1)*r.mt/r.nI*mr, r.m) - i0
		jp0, jp1 := jb*r.panels/r.nJ, (jb+1)*r.panels/r.nJ
		inPlace := r.aInPlace && i0+roundUp(mcb, mr) <= r.m
		for pc := 0; pc < r.k; pc += r.kc {
			kcb := min(r.kc, r.k-pc)
			pb := r.pb[pc*r.panels*nr : pc*r.panels*nr+kcb*r.panels*nr]
			if inPlace {
				gemmBlock(r.mk, kcb, r.a[i0*r.lda+pc:], r.lda, mcb, pb, jp0, jp1, 0, r.n, r.c, r.ldc, i0, tmp)
				continue
			}
			packAPanel(pa, ldp, mr, r.transA, r.alpha, r.a, r.lda, i0, mcb, pc, kcb)
			gemmBlock(r.mk, kcb, pa, ldp, mcb, pb, jp0, jp1, 0, r.n, r.c, r.ldc, i0, tmp)
		}
	}
}

// edgeTile runs mk on the mv x nv corner of a tile through tmp (mr*nr).
func edgeTile(mk *microKernel, k int, a []float32, lda int, b, c []float32, ldc, mv, nv int, tmp []float32) {
	nr := mk.nr
	clear(tmp[:mk.mr*nr])
	for i := 0; i < mv; i++ {
		copy(tmp[i*nr:i*nr+nv], c[i*ldc:i*ldc+nv])
	}
	mk.fn(k, a, lda, b, nr, tmp, nr)
	for i := 0; i < mv; i++ {
		copy(c[i*ldc:i*ldc+nv], tmp[i*nr:i*nr+nv])
	}
}

// scaleRows computes C = beta*C over rows [lo, hi) of n columns.
func scaleRows(lo, hi, n int, beta float32, c []float32, ldc int) {
	for i := lo; i < hi; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// packAPanel writes alpha*op(A)[i0:i0+mc, p0:p0+kc] into pa row-major with
// row stride ldp, and zero rows up to the next multiple of mr.
func packAPanel(pa []float32, ldp, mr int, transA bool, alpha float32, a []float32, lda, i0, mc, p0, kc int) {
	if !transA {
		for i := 0; i < mc; i++ {
			dst := pa[i*ldp : i*ldp+kc]
			src := a[(i0+i)*lda+p0 : (i0+i)*lda+p0+kc]
			if alpha == 1 {
				copy(dst, src)
			} else {
				for p, v := range src {
					dst[p] = alpha * v
				}
			}
		}
	} else {
		// op(A)[i, p] = a[p*lda + i]: read rows of a, scatter into columns.
		for i := 0; i < mc; i += 4 {
			iv := min(4, mc-i)
			if iv < 4 {
				for ii := 0; ii < iv; ii++ {
					dst := pa[(i+ii)*ldp : (i+ii)*ldp+kc]
					for p := range dst {
						dst[p] = alpha * a[(p0+p)*lda+i0+i+ii]
					}
				}
				continue
			}
			d0 := pa[i*ldp : i*ldp+kc]
			d1 := pa[(i+1)*ldp : (i+1)*ldp+kc]
			d2 := pa[(i+2)*ldp : (i+2)*ldp+kc]
			d3 := pa[(i+3)*ldp : (i+3)*ldp+kc]
			for p := range d0 {
				s := a[(p0+p)*lda+i0+i:][:4]
				d0[p], d1[p], d2[p], d3[p] = alpha*s[0], alpha*s[1], alpha*s[2], alpha*s[3]
			}
		}
	}
	for i := mc; i < roundUp(mc, mr); i++ {
		clear(pa[i*ldp : i*ldp+kc])
	}
}

// packBPanel writes op(B)[p0:p0+kc, j0:j0+nv] into pb ([kc, nr], k-major),
// zero-padding columns nv..nr-1.
func packBPanel(pb []float32, nr int, transB bool, b []float32, ldb, p0, kc, j0, nv int) {
	if !transB {
		for p := 0; p < kc; p++ {
			dst := pb[p*nr : p*nr+nr]
			copy(dst, b[(p0+p)*ldb+j0:(p0+p)*ldb+j0+nv])
			clear(dst[nv:])
		}
		return
	}
	// op(B)[p, j] = b[j*ldb + p]: each row of b is one column of the panel.
	if nv < nr {
		clear(pb[:kc*nr])
	}
	for j := 0; j < nv; j++ {
		src := b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kc]
		for p, v := range src {
			pb[p*nr+j] = v
		}
	}
}
