package jpeg2k

import (
	"math"
	"unsafe"
)

// Tile, tile-component, resolution, band, precinct and code-block geometry
// (T.800 B.2-B.7), and the reconstruction of a tile: tier-1 into the
// coefficient buffers, inverse DWT (Annex F), inverse component transform
// and DC level shift (Annex G).

// codeblock is one code-block (B.7) and what tier-2 has delivered for it.
type codeblock struct {
	x0, y0, x1, y1 int32 // in band coordinates
	first, last    int32 // chunk list (indices into tileDecoder.chunks), -1 if empty
	passes         int32 // coding passes delivered so far
	zbp            int32 // zero bit-planes (B.10.5)
	segPasses      int32 // passes in the current codeword segment
	segMax         int32 // passes the current segment can hold
	seg            int32 // index of the current codeword segment
	lblock         uint8 // Lblock (B.10.7.1)
	included       bool
	corrupted      bool // its data ran past the end of the tile: left zero
}

// chunk is the part of one codeword segment carried by one packet.
type chunk struct {
	off, n int32 // in the tile's body
	seg    int32
	passes int32
	next   int32
}

// precBand is the part of a precinct in one band: a grid of code-blocks and
// its two tag trees (B.10.2).
type precBand struct {
	cb0      int // index of its first code-block in tileDecoder.cblks
	nw, nh   int
	incl, zb tagTree
}

type precinct struct {
	bands [3]precBand
}

type band struct {
	orient         int // 0 LL, 1 HL, 2 LH, 3 HH
	x0, y0, x1, y1 int // band coordinates (B-15)
	ox, oy         int // where the band's origin lies in the tile-component buffer
	xcb, ycb       int // log2 code-block size in this band (B.7)
	mb             int // Mb of E-2
	halfStep       float32
}

type resolution struct {
	x0, y0, x1, y1 int // B-14
	ppx, ppy       int // log2 precinct size
	px0, py0       int // index of the first precinct column/row in the whole grid
	pw, ph         int // precincts across, down
	bands          []band
	precincts      []precinct
	pbase          int // index of precinct 0 in tileDecoder.layerNext
}

type tileComp struct {
	x0, y0, x1, y1 int
	w, h           int
	cs             *codStyle
	q              *quant
	roi            int
	res            []resolution
	buf            []int32 // w*h coefficients; float32 bits for 9/7
}

// tileDecoder decodes tiles one after another, reusing its buffers.
type tileDecoder struct {
	cs  *codestream
	img *Image

	// the current tile
	idx       int
	tx0, ty0  int
	tx1, ty1  int
	g         codGlobal
	comps     []tileComp
	cblks     []codeblock
	chunks    []chunk
	layerNext []int32
	body      []byte // the tile's data: one tile-part body, or joined
	joined    []byte // owned buffer for joining tile-part bodies
	bodyOff   []int  // tile-part body boundaries in body (for error offsets)
	t1s       []t1   // tier-1 scratch, one per goroutine
	jobs      []blockJob
	contrib   []contribution
	dwtI      [][]int32 // DWT scratch, one per goroutine
	dwtF      [][]float32
	bufs      [][]int32 // reusable coefficient buffers per component
	progs     []progression

	// packetHook, when set (by tests), sees each packet: where its header
	// starts and ends and where its body ends, in the header and body
	// streams.
	packetHook func(hdrStart, hdrEnd, bodyEnd int)
}

func newTileDecoder(cs *codestream, img *Image) *tileDecoder {
	return &tileDecoder{cs: cs, img: img}
}

// f32 views a coefficient buffer as float32 (the 9/7 path keeps floats in
// the same memory, as OpenJPEG does).
func f32(b []int32) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b))
}

// decodeTile decodes tile ti into the image.
func (d *tileDecoder) decodeTile(ti int) error {
	cs := d.cs
	z := cs.z
	td := cs.tiles[ti]
	if td == nil {
		return nil // no tile-part: left zero, as OpenJPEG leaves it
	}
	d.idx = ti
	p, q := ti%z.tilesX, ti/z.tilesX
	// B-7..B-10
	// (in int64: XTOsiz + (p+1)*XTsiz may pass 2^31 on the last tile)
	d.tx0 = int(max(int64(z.xto)+int64(p)*int64(z.xt), int64(z.xo)))
	d.tx1 = int(min(int64(z.xto)+int64(p+1)*int64(z.xt), int64(z.xsiz)))
	d.ty0 = int(max(int64(z.yto)+int64(q)*int64(z.yt), int64(z.yo)))
	d.ty1 = int(min(int64(z.yto)+int64(q+1)*int64(z.yt), int64(z.ysiz)))
	tp := td.p
	mainP := cs.main
	// Precedence (A.6): tile COD over main COD; for a component, tile COC,
	// tile COD, main COC, main COD.
	c := mainP.cod
	if tp != nil && tp.cod != nil {
		c = tp.cod
	}
	d.g = c.g
	nc := len(z.comps)
	if cap(d.comps) < nc {
		d.comps = make([]tileComp, nc)
	}
	d.comps = d.comps[:nc]
	if len(d.bufs) < nc {
		d.bufs = make([][]int32, nc)
	}
	d.cblks = d.cblks[:0]
	d.chunks = d.chunks[:0]
	nprec := 0
	for ci := range d.comps {
		tc := &d.comps[ci]
		*tc = tileComp{}
		switch {
		case tp != nil && tp.coc[ci] != nil:
			tc.cs = tp.coc[ci]
		case tp != nil && tp.cod != nil:
			tc.cs = &tp.cod.s
		case mainP.coc[ci] != nil:
			tc.cs = mainP.coc[ci]
		default:
			tc.cs = &mainP.cod.s
		}
		switch {
		case tp != nil && tp.qcc[ci] != nil:
			tc.q = tp.qcc[ci]
		case tp != nil && tp.qcd != nil:
			tc.q = tp.qcd
		case mainP.qcc[ci] != nil:
			tc.q = mainP.qcc[ci]
		default:
			tc.q = mainP.qcd
		}
		tc.roi = max(mainP.rgn[ci], 0)
		if tp != nil && tp.rgn[ci] >= 0 {
			tc.roi = tp.rgn[ci]
		}
		cp := z.comps[ci]
		// B-12
		tc.x0, tc.x1 = ceilDiv(d.tx0, cp.dx), ceilDiv(d.tx1, cp.dx)
		tc.y0, tc.y1 = ceilDiv(d.ty0, cp.dy), ceilDiv(d.ty1, cp.dy)
		tc.w, tc.h = tc.x1-tc.x0, tc.y1-tc.y0
		n := tc.w * tc.h
		if nc == 1 && tc.w == d.img.Cols && tc.h == d.img.Rows {
			// One tile covers the single-component image: decode in place,
			// output() then converts the values where they lie.
			tc.buf = d.img.Pix
		} else {
			if cap(d.bufs[ci]) < n {
				d.bufs[ci] = make([]int32, n)
			}
			tc.buf = d.bufs[ci][:n]
		}
		clear(tc.buf)
		var err error
		if nprec, err = d.buildComp(tc, ci, nprec); err != nil {
			return err
		}
	}
	if cap(d.layerNext) < nprec {
		d.layerNext = make([]int32, nprec)
	}
	d.layerNext = d.layerNext[:nprec]
	clear(d.layerNext)

	if err := d.readPackets(td); err != nil {
		return err
	}
	d.decodeBlocks()
	for ci := range d.comps {
		d.inverseDWT(&d.comps[ci])
	}
	d.output()
	return nil
}

// buildComp lays out the resolutions, bands, precincts and code-blocks of
// one tile-component (B.5-B.7). nprec counts precincts over the tile.
func (d *tileDecoder) buildComp(tc *tileComp, ci, nprec int) (int, error) {
	cs := tc.cs
	nl := cs.levels
	q := tc.q
	nbands := 3*nl + 1
	if q.style != 1 && len(q.steps) < nbands {
		return 0, errorf(q.where, q.off, "component %d: %d step sizes for %d bands", ci, len(q.steps), nbands)
	}
	prec := d.cs.z.comps[ci].prec
	tc.res = make([]resolution, nl+1)
	for r := 0; r <= nl; r++ {
		res := &tc.res[r]
		s := nl - r
		res.x0, res.y0 = ceilDivPow2(tc.x0, s), ceilDivPow2(tc.y0, s)
		res.x1, res.y1 = ceilDivPow2(tc.x1, s), ceilDivPow2(tc.y1, s)
		res.ppx, res.ppy = 15, 15
		if cs.precincts != nil {
			res.ppx, res.ppy = int(cs.precincts[r]&0xF), int(cs.precincts[r]>>4)
		}
		if res.x1 > res.x0 {
			res.px0 = res.x0 >> res.ppx
			res.pw = ceilDivPow2(res.x1, res.ppx) - res.px0
		}
		if res.y1 > res.y0 {
			res.py0 = res.y0 >> res.ppy
			res.ph = ceilDivPow2(res.y1, res.ppy) - res.py0
		}
		np := res.pw * res.ph
		if np > maxPrecincts || nprec+np > maxPrecincts {
			return 0, errorf(cs.where, cs.off, "tile %d component %d resolution %d has %dx%d precincts (limit %d per tile)", d.idx, ci, r, res.pw, res.ph, maxPrecincts)
		}
		res.pbase = nprec
		nprec += np
		// Bands (B-15), and where they lie in the buffer: the LL of the
		// lower resolution at the origin, HL to its right, LH below, HH
		// diagonally (the layout the inverse DWT interleaves from).
		cbx, cby := cs.xcb, cs.ycb
		if r == 0 {
			res.bands = []band{{orient: 0, x0: res.x0, y0: res.y0, x1: res.x1, y1: res.y1}}
			cbx, cby = min(cbx, res.ppx), min(cby, res.ppy)
		} else {
			nb := nl - r + 1
			lo := &tc.res[r-1]
			lw, lh := lo.x1-lo.x0, lo.y1-lo.y0
			res.bands = make([]band, 3)
			for i := range res.bands {
				o := i + 1
				xob, yob := o&1, o>>1
				b := &res.bands[i]
				b.orient = o
				b.x0 = ceilDivPow2(tc.x0-(xob<<(nb-1)), nb)
				b.x1 = ceilDivPow2(tc.x1-(xob<<(nb-1)), nb)
				b.y0 = ceilDivPow2(tc.y0-(yob<<(nb-1)), nb)
				b.y1 = ceilDivPow2(tc.y1-(yob<<(nb-1)), nb)
				b.ox, b.oy = xob*lw, yob*lh
			}
			cbx, cby = min(cbx, res.ppx-1), min(cby, res.ppy-1)
		}
		for i := range res.bands {
			b := &res.bands[i]
			b.xcb, b.ycb = cbx, cby
			// E.1: band index in QCD order, exponent and mantissa, Mb (E-2)
			bi := 0
			if r > 0 {
				bi = 3*(r-1) + b.orient
			}
			var eps, mu int
			if q.style == 1 {
				// E-5: derived from the LL values
				nb := nl
				if r > 0 {
					nb = nl - r + 1
				}
				eps, mu = int(q.steps[0]>>11)-nl+nb, int(q.steps[0]&0x7FF)
				if eps < 0 {
					return 0, errorf(q.where, q.off, "component %d: derived exponent %d < 0", ci, eps)
				}
			} else {
				eps, mu = int(q.steps[bi]>>11), int(q.steps[bi]&0x7FF)
			}
			b.mb = q.guard + eps - 1
			if !cs.reversible {
				// OpenJPEG's step (tcd.c): the 9/7 band gain is left out
				// here and folded into its inverse DWT (see idwt97).
				step := float32((1 + float64(mu)/2048) * math.Pow(2, float64(prec-eps)))
				b.halfStep = 0.5 * step
			}
		}
		// Precincts and code-blocks (B.6, B.7).
		if np == 0 {
			continue
		}
		res.precincts = make([]precinct, np)
		for pi := range res.precincts {
			pc := &res.precincts[pi]
			ix, iy := res.px0+pi%res.pw, res.py0+pi/res.pw
			for bi := range res.bands {
				b := &res.bands[bi]
				ppx, ppy := res.ppx, res.ppy
				if r > 0 {
					ppx, ppy = ppx-1, ppy-1
				}
				// the precinct's area in band coordinates
				x0, x1 := max(ix<<ppx, b.x0), min((ix+1)<<ppx, b.x1)
				y0, y1 := max(iy<<ppy, b.y0), min((iy+1)<<ppy, b.y1)
				pb := &pc.bands[bi]
				pb.cb0 = len(d.cblks)
				if x1 <= x0 || y1 <= y0 {
					continue
				}
				cx0, cy0 := x0>>b.xcb, y0>>b.ycb
				pb.nw = ceilDivPow2(x1, b.xcb) - cx0
				pb.nh = ceilDivPow2(y1, b.ycb) - cy0
				n := pb.nw * pb.nh
				if n > maxCodeBlocks || len(d.cblks)+n > maxCodeBlocks {
					return 0, errorf(cs.where, cs.off, "tile %d has more than %d code-blocks", d.idx, maxCodeBlocks)
				}
				for j := 0; j < pb.nh; j++ {
					for i := 0; i < pb.nw; i++ {
						bx, by := (cx0+i)<<b.xcb, (cy0+j)<<b.ycb
						d.cblks = append(d.cblks, codeblock{
							x0: int32(max(bx, x0)), y0: int32(max(by, y0)),
							x1: int32(min(bx+1<<b.xcb, x1)), y1: int32(min(by+1<<b.ycb, y1)),
							first: -1, last: -1,
						})
					}
				}
				pb.incl = newTagTree(pb.nw, pb.nh)
				pb.zb = newTagTree(pb.nw, pb.nh)
			}
		}
	}
	return nprec, nil
}

// output applies the inverse component transform (G.2, G.3) and the DC
// level shift (G.1) and writes the tile into the image, clamped to the
// component's range as OpenJPEG does.
func (d *tileDecoder) output() {
	z := d.cs.z
	img := d.img
	nc := len(d.comps)
	if d.g.mct == 1 && nc >= 3 {
		d.inverseMCT()
	}
	// the image origin in component 0's coordinates
	ix0, iy0 := ceilDiv(z.xo, z.comps[0].dx), ceilDiv(z.yo, z.comps[0].dy)
	for ci := range d.comps {
		tc := &d.comps[ci]
		cp := z.comps[ci]
		shift := int32(0)
		lo, hi := int32(0), int32(1)<<cp.prec-1
		if cp.signed {
			lo, hi = -(int32(1) << (cp.prec - 1)), int32(1)<<(cp.prec-1)-1
		} else {
			shift = int32(1) << (cp.prec - 1)
		}
		for y := 0; y < tc.h; y++ {
			row := tc.buf[y*tc.w : (y+1)*tc.w]
			o := ((tc.y0+y-iy0)*img.Cols+tc.x0-ix0)*nc + ci
			dst := img.Pix[o:]
			if tc.cs.reversible {
				for x, v := range row {
					v += shift
					v = min(max(v, lo), hi)
					dst[x*nc] = v
				}
			} else {
				flo, fhi := float32(lo-shift), float32(hi-shift)
				for x, fv := range f32(row) {
					// lrintf: round half to even; clamping first keeps the
					// conversion in range (NaN goes to lo).
					var v int32
					switch {
					case fv >= fhi:
						v = hi
					case fv > flo:
						v = int32(math.RoundToEven(float64(fv))) + shift
						v = min(max(v, lo), hi)
					default:
						v = lo
					}
					dst[x*nc] = v
				}
			}
		}
	}
}

// inverseMCT is the inverse RCT (G-6, reversible) or ICT (G-8, with
// OpenJPEG's coefficients) over the first three components, which must have
// the same size and transform.
func (d *tileDecoder) inverseMCT() {
	c0, c1, c2 := &d.comps[0], &d.comps[1], &d.comps[2]
	if c0.w != c1.w || c0.w != c2.w || c0.h != c1.h || c0.h != c2.h {
		return
	}
	if c0.cs.reversible != c1.cs.reversible || c0.cs.reversible != c2.cs.reversible {
		return
	}
	if c0.cs.reversible {
		for i := range c0.buf {
			y, u, v := c0.buf[i], c1.buf[i], c2.buf[i]
			g := y - (u+v)>>2
			c0.buf[i], c1.buf[i], c2.buf[i] = v+g, g, u+g
		}
		return
	}
	f0, f1, f2 := f32(c0.buf), f32(c1.buf), f32(c2.buf)
	for i := range f0 {
		y, u, v := f0[i], f1[i], f2[i]
		f0[i] = y + float32(v*1.402)
		f1[i] = y - float32(u*0.34413) - float32(v*0.71414)
		f2[i] = y + float32(u*1.772)
	}
}
