package kernels

import "github.com/klauspost/cpuid/v2"

// The SIMD Sgemm driver: BLIS-style blocking around an assembly micro-kernel
// (package internal/asm) that computes one mr x nr tile of C.
//
// Threads split C into a grid of parts (gemmGrid: whole tiles, balanced
// to one tile), and each thread computes its part start to finish, packing
// its own blocks of A and B: one Parallel call and no barrier per block
// (the shared-B design it replaced met twice per kc block and lost ~15% of
// two threads' time waiting). Within a part (block):
//
//	for pc over k in steps of kc:
//	  for jc over the part's columns in steps of nc:
//	    pack B[pc:pc+kc, jc:jc+nc] into nr-wide k-major panels   (half of L2)
//	    for ic over the part's rows in steps of mc:
//	      pack alpha*A[ic:ic+mc, pc:pc+kc] row-major (row stride ldp),
//	      once per pc when all rows fit packAFloats, or read A in place
//	      for ir over mc in steps of mr:        A micro-panel stays in L1
//	        for jr over the panels:             B micro-panels stream from L2
//	          micro-kernel: C[ir:ir+mr, jr:jr+nr] += Apanel * Bpanel
//
// The micro-kernels accumulate onto C, so on the first kc block each tile
// is first set to beta*C, just before its first call (or, with fnSet and
// beta == 0, set by the call itself); a bias row (the 1x1 convolution's)
// is added after the last, by one more call with k = 1 or by fnSet. Tiles
// that stick out of C (m or n not a multiple of mr, nr) go through a small
// temporary tile; packing pads A's rows and B's columns with zeros.
// Transposes are handled by the packing. Every element of C is reduced in
// the same order whatever the thread count. Scratch, call state and
// Parallel's jobs come from free lists, so a steady state allocates
// nothing.

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
	// fnSet, when not nil, is fn that sets C (not read) to the product
	// instead of adding to it, plus bias[j] (nr floats) when bias is not
	// empty, rounded as clearing C, fn, then adding the bias.
	fnSet func(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int)
	// fnSetTail, when not nil, is fnSet for mrTail rows (mrTail divides
	// mr): the last rows of a product whose rows are not a multiple of
	// mr, each rounded as by fnSet.
	fnSetTail func(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int)
	mrTail    int
	// fnSetTiles, when not nil, sets rt x np tiles of C in one call as
	// clearing C and calling fn would, plus the bias: tile (r, q) reads
	// A from a[r*mr*lda:], B from b[q*pstride:] (ldb apart), its bias
	// from bias[q*nr:] (when not empty), and is set at c[r*mr*ldc+q*nr:].
	// A bias needs fnSet too (the AVX2 tile has none).
	fnSetTiles func(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias, c []float32, ldc int)
	// fnTiles, when not nil, is fn over rt x np tiles in one call, laid
	// out as in fnSetTiles (C += the product, tile by tile).
	fnTiles func(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, c []float32, ldc int)
	// fnBiasBlocks, when not nil, is fnBlocks that sets C (not read)
	// from bias[j] (nr floats; zero when bias is empty) plus the
	// product, rounded as filling C with the bias and calling fnBlocks.
	fnBiasBlocks func(nb, kb, ab int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int)
	// fnPackTiles, when not nil, is fnSetTiles (add false) or fnTiles
	// (add true, no bias) that reads B in place (rows ldb apart, panel q
	// from b[q*pstride:]) and also writes it packed to pk as it goes
	// (panel q at pk[q*k*nr:]): the first row tile of a block packs B.
	fnPackTiles func(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias, c []float32, ldc int, add bool, pk []float32)
	// fnTilesTail, when not nil, is fnSetTiles (add false) or fnTiles
	// (add true, no bias) for tiles of mrTail rows: the last rows of a
	// block whose rows are not a multiple of mr.
	fnTilesTail func(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias, c []float32, ldc int, add bool)
	// transpose16, when not nil, is asm.Transpose16AVX512's contract: the
	// few-positions convolution gathers 16 positions at a time with it
	// (nr a multiple of 16).
	transpose16 func(dst []float32, ldd int, src0, src1 []float32, lds, q int)
}

// gemmBlocking holds the cache block sizes: mc rows of A (a multiple of mr),
// kc of the reduction, nc columns of B (a multiple of nr).
type gemmBlocking struct{ mc, kc, nc int }

// blockingFor derives block sizes from the cache sizes cpuid reports (32 KiB
// L1d and 512 KiB L2 when it reports none): kc = L1d/128 (256 for 32 KiB:
// a 32-wide B micro-panel of kc rows fills L1d, the A micro-panel a
// quarter of it), an mc x kc block of A in an eighth of L2 and a kc x nc
// block of B in half of L2 (nc = 512 on a 1 MiB L2: at nc = 1024 the
// block filled L2, and 1024^3 on two threads lost a third in
// BenchmarkSgemmBlocking). kc = 448 lost 5-8% on the 16-wide tile.
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
	nc := clampInt(l2/2/(kc*4), mk.nr, 8192) / mk.nr * mk.nr
	return gemmBlocking{mc: mc, kc: kc, nc: nc}
}

// blockingOverride replaces blockingFor's choice when kc > 0 (tuning
// benchmarks only).
var blockingOverride gemmBlocking

// balance returns the block size, a multiple of q at most max(b, q), that
// cuts n into as few blocks as b does, of lengths as equal as multiples of
// q allow (1024 in blocks of 384 is 352, 352, 320 rather than 384, 384,
// 256: the short block's tiles ran less efficiently).
func balance(n, b, q int) int {
	if n <= b {
		return b
	}
	nb := (n + b - 1) / b
	return max(q, min(b/q*q, roundUp((n+nb-1)/nb, q)))
}

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
	gemmSIMD(mk, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, nil, c, ldc)
}

// gemmSIMD is sgemmSIMD, or, when bias ([n]) is not nil, C = alpha*op(A)*op(B)
// plus bias on every row (beta is then ignored and C not read), rounded as
// the product first and the bias added after: each tile of C is cleared
// just before its first micro-kernel call and gets the bias after its last
// (one more call, k = 1, against a column of ones), while it is in L1,
// instead of in passes over C before and after. (Starting the tiles from
// the bias instead changed the rounding enough to flip a ReLU of the
// U-Net's r34_scse_cls golden.)
func gemmSIMD(mk *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, bias, c []float32, ldc int) {
	gemmRun1(mk, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, bias, nil, c, ldc)
}

// gemmRun1 is gemmSIMD, with op(B) read from packedB when it is not nil.
func gemmRun1(mk *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, bias, packedB, c []float32, ldc int) {
	threads := Threads()
	if 2*m*n*k < gemmSerialFlops {
		threads = 1
	}
	r := gemmRuns.get()
	if r == nil {
		r = new(gemmRun)
		// Bound once per gemmRun: handing them to Parallel allocates nothing.
		r.scaleFn, r.partWFn = r.scaleRows, r.partW
	}
	defer gemmRuns.put(r)
	r.gemmArgs = gemmArgs{mk: mk, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, lda: lda, b: b, ldb: ldb, bias: bias, packedB: packedB, c: c, ldc: ldc, aInPlace: readAInPlace(mk, transA, alpha, n, lda)}
	defer func() { r.gemmArgs = gemmArgs{} }() // drop the slices for the collector
	if alpha == 0 || k == 0 {
		if bias == nil && beta == 1 {
			return
		}
		if threads > 1 {
			Parallel(m, max(1, 32768/n), r.scaleFn)
		} else {
			r.scaleRows(0, m)
		}
		return
	}
	if bias != nil {
		bp := getGemmBuf(roundUp(n, mk.nr))
		defer putGemmBuf(bp)
		r.biasPad = (*bp)[:roundUp(n, mk.nr)]
		copy(r.biasPad, bias)
		clear(r.biasPad[n:])
	}
	r.bs = blockingFor(mk)
	r.bs.kc = balance(k, r.bs.kc, 8)
	r.tr, r.tc = gemmGrid(threads, mk, m, n, packedB != nil)
	if r.tr*r.tc == 1 {
		r.block(0, m, 0, n)
		return
	}
	r.claims = newClaims(r.tr*r.tc, threads)
	defer r.claims.release()
	parallelW(r.tr*r.tc, 1, r.partWFn)
}

// gemmPackedBRows computes rows [i0, i1) of C = A op(B) + beta*C on the
// calling thread, A [m, k] read row-major lda apart and op(B) [k, n]
// packed ahead by the caller into pb in the layout of packedBIndex:
// gathered straight into panels (the few-positions convolution's patches)
// instead of written out and packed again.
func gemmPackedBRows(mk *microKernel, m, n, k, i0, i1 int, a []float32, lda int, pb []float32, beta float32, c []float32, ldc int) {
	if need := roundUp(n, mk.nr) * k; len(pb) < need {
		panic("kernels: gemmPackedBRows: short packed B")
	}
	if i0 >= i1 || n == 0 {
		return
	}
	if k == 0 {
		scaleRows(i0, i1, n, beta, c, ldc)
		return
	}
	r := gemmArgs{mk: mk, m: m, n: n, k: k, alpha: 1, beta: beta, a: a, lda: lda, packedB: pb, c: c, ldc: ldc,
		aInPlace: readAInPlace(mk, false, 1, n, lda), bs: blockingFor(mk)}
	r.block(i0, i1, 0, n)
}

// packedBIndex returns where gemmPackedB's packed B holds op(B)[p, j] for
// op(B) [k, n] on micro-kernel mk: the reduction in blocks of kc =
// blockingFor(mk).kc rows (the last kcb = min(kc, k-q) rows long), each
// block q (starting at row q) at q*roundUp(n, nr), made of k-major panels
// of nr columns, kcb*nr floats each; columns n .. roundUp(n, nr)-1 must
// be zero. It is roundUp(n, nr)*k floats long.
func packedBIndex(kc, nr, n, k, p, j int) int {
	q := p / kc * kc
	kcb := min(kc, k-q)
	return q*roundUp(n, nr) + j/nr*kcb*nr + (p-q)*nr + j%nr
}

// gemmGrid returns how many row ranges (tr) and column ranges (tc) of C
// threads split a product into, each range whole tiles (mr rows, nr
// columns) that differ by at most one tile, each part computed start to
// finish by one thread: no barrier but the last. A row range packs all
// of its columns of B (unless B comes packed) and a column range reads
// (packs, or reads in place) all of its rows of A, so of the grids with
// the most parts the one that moves least is chosen: rows when B is the
// smaller operand, columns otherwise. One part means one thread.
func gemmGrid(threads int, mk *microKernel, m, n int, packedB bool) (tr, tc int) {
	mt, nt := (m+mk.mr-1)/mk.mr, (n+mk.nr-1)/mk.nr
	tr, tc = 1, 1
	best := -1
	for r := 1; r <= min(threads, mt); r++ {
		c := min(threads/r, nt)
		if r*c < tr*tc {
			continue
		}
		// Floats of A and B read beyond one pass over each, per k.
		cost := (c - 1) * m
		if !packedB {
			cost += (r - 1) * n
		}
		if r*c > tr*tc || cost < best {
			tr, tc, best = r, c, cost
		}
	}
	return tr, tc
}

// gemmArgs is the state of one gemmSIMD call shared with its threads: the
// arguments, the blocking, and the grid of parts (tr x tc).
type gemmArgs struct {
	mk             *microKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, bias, c  []float32
	packedB        []float32 // op(B) packed ahead (gemmPackedB), or nil
	biasPad        []float32 // bias zero-padded to whole panels
	lda, ldb, ldc  int
	aInPlace       bool
	bs             gemmBlocking
	tr, tc         int
	claims         *claims // of the parts, a share per thread
}

// gemmRun is a recycled gemmArgs with its methods bound once as the func
// values handed to Parallel, so that a call allocates no closures.
type gemmRun struct {
	gemmArgs
	scaleFn func(lo, hi int)
	partWFn func(w, lo, hi int)
}

var gemmRuns freeList[gemmRun]

// scaleRows computes C = beta*C (or C = bias on every row) over rows
// [lo, hi).
func (r *gemmArgs) scaleRows(lo, hi int) {
	if r.bias != nil {
		for i := lo; i < hi; i++ {
			copy(r.c[i*r.ldc:i*r.ldc+r.n], r.bias)
		}
		return
	}
	scaleRows(lo, hi, r.n, r.beta, r.c, r.ldc)
}

// part computes the parts [lo, hi) of the grid.
func (r *gemmArgs) part(lo, hi int) {
	mr, nr := r.mk.mr, r.mk.nr
	mt, nt := (r.m+mr-1)/mr, (r.n+nr-1)/nr
	for q := lo; q < hi; q++ {
		pi, pj := q/r.tc, q%r.tc
		i0, i1 := pi*mt/r.tr*mr, min((pi+1)*mt/r.tr*mr, r.m)
		j0, j1 := pj*nt/r.tc*nr, min((pj+1)*nt/r.tc*nr, r.n)
		r.block(i0, i1, j0, j1)
	}
}

// partW computes the parts worker w claims (claims: a thread computes the
// same part of C on every call of a given shape unless another ran out
// of work first).
func (r *gemmArgs) partW(w, _, _ int) {
	for q := r.claims.claim(w); q >= 0; q = r.claims.claim(w) {
		r.part(q, q+1)
	}
}

// packAFloats bounds the packed A that block keeps across column blocks
// (4 MiB: at most a few MiB of L3 per thread).
const packAFloats = 1 << 20

// block computes C[i0:i1, j0:j1] on the calling thread:
//
//	for pc over k in steps of kc:
//	  for jc over [j0, j1) in steps of nc:
//	    pack B[pc:pc+kc, jc:jc+nc] into nr-wide k-major panels   (in L2)
//	    for ic over [i0, i1) in steps of mc:
//	      pack alpha*A[ic:ic+mc, pc:pc+kc] (or read A in place)
//	      for ir over mc in steps of mr:     A micro-panel in L1
//	        for jr over the panels:          B micro-panels from L2
//	          micro-kernel: C[ir:ir+mr, jr:jr+nr] += Apanel * Bpanel
//
// A block packed for the first column block is kept for the others when
// all of the part's rows fit packAFloats (1024^3 on one thread packs A
// once instead of twice; copies, A's and B's, were 8% of its profile).
// Where the micro-kernel can (fnPackTiles: B not transposed), B is not
// packed by a pass of its own: the first row tile's calls read it in
// place and write the panels as they go (gemmBlock), its latency hidden
// behind their FMAs. kc (in gemmRun1) and nc are balanced (balance): the
// blocks of one product are of about equal size.
func (r *gemmArgs) block(i0, i1, j0, j1 int) {
	mr, nr, bs := r.mk.mr, r.mk.nr, r.bs
	kcMax := min(bs.kc, r.k)
	bs.nc = balance(j1-j0, bs.nc, nr)
	mc := min(bs.mc, roundUp(i1-i0, mr))
	ldp := packStride(kcMax)
	nb := kcMax * min(bs.nc, roundUp(j1-j0, nr))
	if r.packedB != nil {
		nb = 0
	}
	na := 0
	if !r.aInPlace || i1 == r.m && (i1-i0)%mr != 0 {
		na = mc * ldp
	}
	keepA := j1-j0 > bs.nc && roundUp(i1-i0, mr)*ldp <= packAFloats
	if keepA && na > 0 {
		na = roundUp(i1-i0, mr) * ldp
	}
	buf := getGemmBuf(nb + na + mr*nr)
	defer putGemmBuf(buf)
	pb, pa, tmp := (*buf)[:nb], (*buf)[nb:nb+na], (*buf)[nb+na:nb+na+mr*nr]
	// B is packed by the first row tile's micro-kernel calls, which read
	// it in place (fnPackTiles), where they can.
	fuseB := r.packedB == nil && !r.transB && r.mk.fnPackTiles != nil
	for pc := 0; pc < r.k; pc += bs.kc {
		kcb := min(bs.kc, r.k-pc)
		for jc := j0; jc < j1; jc += bs.nc {
			ncb := min(bs.nc, j1-jc)
			var bsrc []float32 // B not packed yet: where its block starts
			switch {
			case r.packedB != nil:
				pb = r.packedB[pc*roundUp(r.n, nr)+jc*kcb:]
			case fuseB:
				bsrc = r.b[pc*r.ldb+jc:]
			default:
				packBBlock(pb, nr, r.transB, r.b, r.ldb, pc, kcb, jc, ncb)
			}
			first, last := pc == 0, pc+kcb == r.k
			for ic := i0; ic < i1; ic += mc {
				mcb := min(mc, i1-ic)
				if r.aInPlace && ic+roundUp(mcb, mr) <= r.m {
					r.gemmBlock(kcb, r.a[ic*r.lda+pc:], r.lda, ic, mcb, pb, jc, jc+ncb, first, last, tmp, bsrc)
					bsrc = nil
					continue
				}
				pai := pa
				if keepA {
					pai = pa[(ic-i0)*ldp:]
				}
				if !keepA || jc == j0 {
					packAPanel(pai, ldp, mr, r.transA, r.alpha, r.a, r.lda, ic, mcb, pc, kcb)
				}
				r.gemmBlock(kcb, pai, ldp, ic, mcb, pb, jc, jc+ncb, first, last, tmp, bsrc)
				bsrc = nil
			}
		}
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

// gemmBlock runs the micro-kernel over the rows [0, mcb) of the A block pa
// (row stride ldp) and the packed B block pb (kcb rows, panels from column
// jc up to j1), adding into C from row i0 and column jc. On the first
// reduction block (first), each tile of C is first set to beta*C (zero
// with a bias) just before its first micro-kernel call; on the last
// (last), the bias is added after it. When bsrc is not nil, pb is not
// packed yet: bsrc is the block of B in place (rows r.ldb apart), and the
// first row tile's calls pack it (fnPackTiles), or, where tiles are not
// set or added in one call, packBBlock does first. Rows past the last full
// row tile go in tiles of mrTail rows (fnTilesTail) where they divide.
func (r *gemmArgs) gemmBlock(kcb int, pa []float32, ldp, i0, mcb int, pb []float32, jc, j1 int, first, last bool, tmp, bsrc []float32) {
	mk, c, ldc := r.mk, r.c, r.ldc
	mr, nr := mk.mr, mk.nr
	initC := first && (r.bias != nil || r.beta != 1)
	addBias := last && r.bias != nil
	// A full tile that starts from zero is set by fnSet in one call.
	set := mk.fnSet != nil && first && (r.bias != nil || r.beta == 0)
	// The full tiles in one call (1x1 64->128 @64, k = 64: 7% of the
	// time was Go between per-tile calls), the rest tile by tile below:
	// with set, fnSetTiles sets them; on later reduction blocks, fnTiles
	// adds to them.
	tiles := set && mk.fnSetTiles != nil || !set && !initC && !addBias && mk.fnTiles != nil
	rt, full := mcb/mr, (j1-jc)/nr
	if !tiles || full == 0 {
		rt, full = 0, 0
	}
	var bias []float32
	if set && addBias {
		bias = r.biasPad[jc : jc+full*nr]
	}
	if bsrc != nil {
		// B is packed here: by the first row tile's calls as they read it
		// (the last, partial panel first, in Go), else all in Go.
		if rt == 0 {
			packBBlock(pb, nr, false, bsrc, r.ldb, 0, kcb, 0, j1-jc)
		} else {
			if full*nr < j1-jc {
				packBPanel(pb[full*kcb*nr:(full+1)*kcb*nr], nr, false, bsrc, r.ldb, 0, kcb, full*nr, j1-jc-full*nr)
			}
			mk.fnPackTiles(kcb, pa, ldp, 1, bsrc, r.ldb, nr, full, bias, c[i0*ldc+jc:], ldc, !set, pb)
		}
	}
	if r0 := min(rt, b2i(bsrc != nil)); rt > r0 {
		a, ct := pa[r0*mr*ldp:], c[(i0+r0*mr)*ldc+jc:]
		if set {
			mk.fnSetTiles(kcb, a, ldp, rt-r0, pb, nr, kcb*nr, full, bias, ct, ldc)
		} else {
			mk.fnTiles(kcb, a, ldp, rt-r0, pb, nr, kcb*nr, full, ct, ldc)
		}
	}
	// Rows past the full row tiles, in tiles of mrTail rows.
	rows := rt * mr
	if tail := mcb - rows; full > 0 && tail > 0 && mk.fnTilesTail != nil && tail%mk.mrTail == 0 {
		mk.fnTilesTail(kcb, pa[rows*ldp:], ldp, tail/mk.mrTail, pb, nr, kcb*nr, full, bias, c[(i0+rows)*ldc+jc:], ldc, !set)
		rows = mcb
	}
	for ir := 0; ir < mcb; ir += mr {
		mv := min(mr, mcb-ir)
		ap := pa[ir*ldp:]
		j := jc
		if ir < rows {
			j += full * nr
		}
		for ; j < j1; j += nr {
			nv := min(nr, j1-j)
			bp := pb[(j-jc)*kcb : (j-jc+nr)*kcb]
			ct := c[(i0+ir)*ldc+j:]
			if mv == mr && nv == nr {
				if set {
					var bias []float32
					if addBias {
						bias = r.biasPad[j : j+nr]
					}
					mk.fnSet(kcb, ap, ldp, bp, nr, bias, ct, ldc) // later blocks add to it
					continue
				}
				if initC {
					r.initTile(ct, ldc, mr, nr)
				}
				mk.fn(kcb, ap, ldp, bp, nr, ct, ldc)
				if addBias {
					mk.fn(1, gemmOne[:], 0, r.biasPad[j:], nr, ct, ldc)
				}
				continue
			}
			// A partial tile, through tmp.
			clear(tmp[:mr*nr])
			for i := 0; i < mv; i++ {
				copy(tmp[i*nr:i*nr+nv], ct[i*ldc:i*ldc+nv])
			}
			if initC {
				r.initTile(tmp, nr, mv, nv)
			}
			mk.fn(kcb, ap, ldp, bp, nr, tmp, nr)
			if addBias {
				mk.fn(1, gemmOne[:], 0, r.biasPad[j:], nr, tmp, nr)
			}
			for i := 0; i < mv; i++ {
				copy(ct[i*ldc:i*ldc+nv], tmp[i*nr:i*nr+nv])
			}
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// gemmOne is the column of ones (lda 0) against which a micro-kernel call
// with k = 1 adds a row of B (the bias) to a tile: c + 1*b rounds as c + b.
var gemmOne = [1]float32{1}

// initTile sets the mv x nv tile ct (row stride ldc) of C to beta times
// itself (zero for beta == 0 or with a bias, NaNs included).
func (r *gemmArgs) initTile(ct []float32, ldc, mv, nv int) {
	if r.bias != nil || r.beta == 0 {
		// Whole rows of 32 or 16 as array stores: no memclr call per row.
		switch nv {
		case 32:
			for i := 0; i < mv; i++ {
				*(*[32]float32)(ct[i*ldc:]) = [32]float32{}
			}
			return
		case 16:
			for i := 0; i < mv; i++ {
				*(*[16]float32)(ct[i*ldc:]) = [16]float32{}
			}
			return
		}
	}
	for i := 0; i < mv; i++ {
		row := ct[i*ldc : i*ldc+nv]
		switch {
		case r.bias != nil || r.beta == 0:
			clear(row)
		default:
			for q := range row {
				row[q] *= r.beta
			}
		}
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

// packBBlock writes op(B)[p0:p0+kc, j0:j0+ncb] into pb as nr-wide panels
// ([kc, nr] each, k-major, the last zero-padded). Without transB it reads
// B a row at a time: one stream, where a panel at a time read kc rows
// ldb apart, a page each for ldb >= 1024.
func packBBlock(pb []float32, nr int, transB bool, b []float32, ldb, p0, kc, j0, ncb int) {
	panels := (ncb + nr - 1) / nr
	if transB {
		for jp := 0; jp < panels; jp++ {
			packBPanel(pb[jp*kc*nr:(jp+1)*kc*nr], nr, true, b, ldb, p0, kc, j0+jp*nr, min(nr, ncb-jp*nr))
		}
		return
	}
	full := ncb / nr
	for p := 0; p < kc; p++ {
		src := b[(p0+p)*ldb+j0 : (p0+p)*ldb+j0+ncb]
		dst := pb[p*nr:]
		switch nr {
		case 32:
			packRow32(dst, kc*32, src, full)
		case 16:
			for jp := 0; jp < full; jp++ {
				*(*[16]float32)(dst[jp*kc*16:]) = *(*[16]float32)(src[jp*16:])
			}
		default:
			for jp := 0; jp < full; jp++ {
				copy(dst[jp*kc*nr:jp*kc*nr+nr], src[jp*nr:])
			}
		}
		if full < panels {
			d := dst[full*kc*nr : full*kc*nr+nr]
			clear(d[copy(d, src[full*nr:]):])
		}
	}
}

// packRow32 scatters n runs of 32 floats of src into dst, ds floats apart
// (asm.PackRow32AVX's contract): asm.PackRow32AVX on amd64. Its AVX copies
// halve the time of packing B against a runtime.memmove call per 128-byte
// run (1024^3 on one core, alternating BenchmarkSgemmLeading runs: about
// 1% of the whole product).
var packRow32 = func(dst []float32, ds int, src []float32, n int) {
	for i := 0; i < n; i++ {
		*(*[32]float32)(dst[i*ds:]) = *(*[32]float32)(src[i*32:])
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
