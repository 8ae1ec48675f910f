package jpeg2k

import (
	"cmp"
	"errors"
	"math"
	"slices"
)

// Tier-2: packets (T.800 Annex B.9-B.12). A packet holds, for one layer,
// resolution, component and precinct, a header (B.10: inclusion, zero
// bit-planes, coding passes, lengths) and the code-block contributions it
// announces. Packet order follows the progression orders of B.12, changed
// by POC (A.6.6).

// Progression orders (Table A.16).
const (
	orderLRCP = iota
	orderRLCP
	orderRPCL
	orderPCRL
	orderCPRL
)

// bitReader reads packet header bits (B.10.1): MSB first, and after a
// 0xFF byte only seven bits of the next one (its MSB is a stuffed 0).
// Reading past the end sets over and returns zeros.
type bitReader struct {
	b    []byte
	pos  int
	cur  uint32
	ct   int
	over bool
}

func (r *bitReader) start(pos int) {
	r.pos, r.cur, r.ct = pos, 0, 0
}

func (r *bitReader) bit() int {
	if r.ct == 0 {
		if r.pos >= len(r.b) {
			r.over = true
			return 0
		}
		r.ct = 8
		if r.cur == 0xFF {
			r.ct = 7
		}
		r.cur = uint32(r.b[r.pos])
		r.pos++
	}
	r.ct--
	return int(r.cur>>uint(r.ct)) & 1
}

func (r *bitReader) bits(n int) int {
	v := 0
	for range n {
		v = v<<1 | r.bit()
	}
	return v
}

// align ends a packet header: a header whose last byte is 0xFF carries
// one more byte for the stuffed bit (B.10.1).
func (r *bitReader) align() {
	if r.cur == 0xFF {
		if r.pos >= len(r.b) {
			r.over = true
		} else {
			r.pos++
		}
	}
	r.cur, r.ct = 0, 0
}

// tagTree is a tag tree (B.10.2): leaves first in raster order, then each
// coarser level, the root last.
type tagTree struct {
	nodes []ttNode
}

type ttNode struct {
	parent int32
	value  int32
	low    int32
}

func newTagTree(w, h int) tagTree {
	n := 0
	for lw, lh := w, h; ; lw, lh = (lw+1)/2, (lh+1)/2 {
		n += lw * lh
		if lw*lh <= 1 {
			break
		}
	}
	nodes := make([]ttNode, n)
	base := 0
	for lw, lh := w, h; lw*lh > 1; lw, lh = (lw+1)/2, (lh+1)/2 {
		next := base + lw*lh
		pw := (lw + 1) / 2
		for y := 0; y < lh; y++ {
			for x := 0; x < lw; x++ {
				nodes[base+y*lw+x].parent = int32(next + (y/2)*pw + x/2)
			}
		}
		base = next
	}
	nodes[n-1].parent = -1
	for i := range nodes {
		nodes[i].value = math.MaxInt32
	}
	return tagTree{nodes}
}

// decode reads the bits that tell whether leaf's value is below threshold
// (B.10.2, as in OpenJPEG's opj_tgt_decode) and reports whether it is.
func (t *tagTree) decode(r *bitReader, leaf int, threshold int32) bool {
	var stack [64]int32
	n := 0
	for i := int32(leaf); i >= 0 && n < len(stack); i = t.nodes[i].parent {
		stack[n] = i
		n++
	}
	low := int32(0)
	for k := n - 1; k >= 0; k-- {
		nd := &t.nodes[stack[k]]
		if low > nd.low {
			nd.low = low
		} else {
			low = nd.low
		}
		for low < threshold && low < nd.value {
			if r.bit() != 0 {
				nd.value = low
			} else {
				low++
			}
		}
		nd.low = low
	}
	return t.nodes[leaf].value < threshold
}

// contribution is one codeword segment's share of a packet body.
type contribution struct {
	cb     int32
	seg    int32
	passes int32
	n      int32
}

// readPackets decodes every packet of the tile in progression order and
// records the code-block contributions.
func (d *tileDecoder) readPackets(td *tileData) error {
	// The tile's body: its tile-part bodies, joined in a buffer of our
	// own when there are several (never appended to the input).
	d.bodyOff = d.bodyOff[:0]
	if len(td.parts) == 1 {
		d.body = td.parts[0]
		d.bodyOff = append(d.bodyOff, td.offs[0])
	} else {
		d.joined = d.joined[:0]
		for i, p := range td.parts {
			d.bodyOff = append(d.bodyOff, td.offs[i])
			d.joined = append(d.joined, p...)
		}
		d.body = d.joined
	}
	body := d.body
	if len(body) > math.MaxInt32 {
		return d.errAt("SOD", 0, "tile data of %d bytes (at most 2^31-1)", len(body))
	}
	var hdr bitReader
	inband := true
	switch {
	case td.hasPPM:
		hdr.b = td.ppmHdr
		inband = false
	case len(td.ppt) > 0:
		slices.SortStableFunc(td.ppt, func(a, b pptSeg) int { return a.z - b.z })
		var all []byte
		for _, p := range td.ppt {
			all = append(all, p.data...)
		}
		hdr.b = all
		inband = false
	default:
		hdr.b = body
	}
	hpos, bpos := 0, 0

	// The progressions: the tile's POC, else the main header's, else COD.
	mainP := d.cs.main
	d.progs = d.progs[:0]
	switch {
	case td.p != nil && len(td.p.pocs) > 0:
		d.progs = append(d.progs, td.p.pocs...)
	case len(mainP.pocs) > 0:
		d.progs = append(d.progs, mainP.pocs...)
	default:
		d.progs = append(d.progs, progression{lye: d.g.layers, re: maxLevels + 1, ce: len(d.comps), order: d.g.order})
	}
	visits := 0
	emit := func(c, r, p, l int) error {
		if visits++; visits > maxPacketVisits {
			return d.errAt("packet", bpos, "more than %d packets visited (POC or layer count out of proportion)", maxPacketVisits)
		}
		if c < 0 {
			return nil // a visit of an empty (component, resolution)
		}
		res := &d.comps[c].res[r]
		k := res.pbase + p
		if int32(l) < d.layerNext[k] {
			return nil
		}
		d.layerNext[k] = int32(l + 1)
		var err error
		var ok bool
		if inband {
			hpos = bpos
		}
		bpos, hpos, ok, err = d.readPacket(&hdr, body, bpos, hpos, inband, c, r, p, l)
		if err != nil {
			return err
		}
		if !ok {
			return errDataEnd
		}
		return nil
	}
	for _, pr := range d.progs {
		if err := d.iterate(pr, emit); err != nil {
			if err == errDataEnd {
				break // the data ran out: the rest of the tile is missing
			}
			return err
		}
	}
	return nil
}

// errDataEnd stops the packet loops when a tile's data ends early.
var errDataEnd = errors.New("jpeg2k: end of tile data")

// maxPacketVisits bounds the packets (and empty component-resolution
// pairs) the progression loops visit in one tile.
const maxPacketVisits = 1 << 25

// iterate calls emit for each (component, resolution, precinct, layer) of
// one progression (B.12.1).
func (d *tileDecoder) iterate(pr progression, emit func(c, r, p, l int) error) error {
	nc := len(d.comps)
	ce := min(pr.ce, nc)
	lye := min(pr.lye, d.g.layers)
	maxRes := 0
	for ci := pr.cs; ci < ce; ci++ {
		maxRes = max(maxRes, len(d.comps[ci].res))
	}
	re := min(pr.re, maxRes)
	switch pr.order {
	case orderLRCP:
		for l := 0; l < lye; l++ {
			for r := pr.rs; r < re; r++ {
				for c := pr.cs; c < ce; c++ {
					if err := emit(-1, 0, 0, 0); err != nil {
						return err
					}
					if r >= len(d.comps[c].res) {
						continue
					}
					for p := range d.comps[c].res[r].precincts {
						if err := emit(c, r, p, l); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	case orderRLCP:
		for r := pr.rs; r < re; r++ {
			for l := 0; l < lye; l++ {
				for c := pr.cs; c < ce; c++ {
					if err := emit(-1, 0, 0, 0); err != nil {
						return err
					}
					if r >= len(d.comps[c].res) {
						continue
					}
					for p := range d.comps[c].res[r].precincts {
						if err := emit(c, r, p, l); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	}
	// Position-driven orders (B.12.1.3-B.12.1.5): a precinct's packets come
	// where the scan over the reference grid first meets it, which is its
	// upper-left corner mapped to the reference grid, or the tile's corner
	// for a precinct cut by the tile's edge.
	type ppos struct {
		c, r, p int
		x, y    int64
	}
	var list []ppos
	z := d.cs.z
	for c := pr.cs; c < ce; c++ {
		tc := &d.comps[c]
		nl := len(tc.res) - 1
		for r := pr.rs; r < min(re, len(tc.res)); r++ {
			res := &tc.res[r]
			sx := int64(z.comps[c].dx) << (nl - r)
			sy := int64(z.comps[c].dy) << (nl - r)
			for p := range res.precincts {
				ix, iy := int64(res.px0+p%res.pw), int64(res.py0+p/res.pw)
				list = append(list, ppos{c, r, p,
					max((ix<<res.ppx)*sx, int64(d.tx0)), max((iy<<res.ppy)*sy, int64(d.ty0))})
			}
		}
	}
	switch pr.order {
	case orderRPCL:
		slices.SortStableFunc(list, func(a, b ppos) int {
			if a.r != b.r {
				return cmp.Compare(a.r, b.r)
			}
			if a.y != b.y {
				return cmp.Compare(a.y, b.y)
			}
			if a.x != b.x {
				return cmp.Compare(a.x, b.x)
			}
			return cmp.Compare(a.c, b.c)
		})
	case orderPCRL:
		slices.SortStableFunc(list, func(a, b ppos) int {
			if a.y != b.y {
				return cmp.Compare(a.y, b.y)
			}
			if a.x != b.x {
				return cmp.Compare(a.x, b.x)
			}
			if a.c != b.c {
				return cmp.Compare(a.c, b.c)
			}
			return cmp.Compare(a.r, b.r)
		})
	case orderCPRL:
		slices.SortStableFunc(list, func(a, b ppos) int {
			if a.c != b.c {
				return cmp.Compare(a.c, b.c)
			}
			if a.y != b.y {
				return cmp.Compare(a.y, b.y)
			}
			if a.x != b.x {
				return cmp.Compare(a.x, b.x)
			}
			return cmp.Compare(a.r, b.r)
		})
	}
	for _, e := range list {
		for l := 0; l < lye; l++ {
			if err := emit(e.c, e.r, e.p, l); err != nil {
				return err
			}
		}
	}
	return nil
}

// readPacket reads one packet (B.9, B.10): its header from hdr at hpos and
// its body from body at bpos. It returns the new positions and ok = false
// when the data ran out (the rest of the tile is then left out, as for a
// truncated codestream).
func (d *tileDecoder) readPacket(hdr *bitReader, body []byte, bpos, hpos int, inband bool, c, r, p, l int) (int, int, bool, error) {
	tc := &d.comps[c]
	res := &tc.res[r]
	pc := &res.precincts[p]
	// SOP (A.8.1) precedes the packet in the body.
	if d.g.sop && bpos+6 <= len(body) && body[bpos] == 0xFF && body[bpos+1] == 0x91 {
		bpos += 6
	}
	if inband {
		hpos = bpos
	}
	hstart := hpos
	hdr.start(hpos)
	hdr.over = false
	d.contrib = d.contrib[:0]
	if hdr.bit() != 0 {
		style := tc.cs.cbStyle
		for bi := range res.bands {
			pb := &pc.bands[bi]
			for k := 0; k < pb.nw*pb.nh; k++ {
				cbi := pb.cb0 + k
				cb := &d.cblks[cbi]
				// B.10.4: inclusion
				var incl bool
				if !cb.included {
					incl = pb.incl.decode(hdr, k, int32(l+1))
				} else {
					incl = hdr.bit() != 0
				}
				if hdr.over {
					return bpos, hpos, false, nil
				}
				if !incl {
					continue
				}
				if !cb.included {
					// B.10.5: zero bit-planes
					var t int32 = 1
					for !pb.zb.decode(hdr, k, t) {
						if hdr.over {
							return bpos, hpos, false, nil
						}
						if t++; t > 80 {
							return 0, 0, false, d.errAt("packet header", bpos, "component %d resolution %d: more than 80 zero bit-planes", c, r)
						}
					}
					cb.zbp = pb.zb.nodes[k].value
					if mb := res.bands[bi].mb + tc.roi; int(cb.zbp) > mb || mb-int(cb.zbp) > 30 {
						return 0, 0, false, d.errAt("packet header", bpos, "component %d resolution %d: %d zero bit-planes with Mb = %d (at most 30 bit-planes are coded)", c, r, cb.zbp, mb)
					}
					cb.included = true
					cb.lblock = 3
					cb.seg = -1
				}
				// B.10.6: number of coding passes (Table B.4)
				np := 1
				if hdr.bit() != 0 {
					np = 2
					if hdr.bit() != 0 {
						np = 3 + hdr.bits(2)
						if np == 6 {
							np = 6 + hdr.bits(5)
							if np == 37 {
								np = 37 + hdr.bits(7)
							}
						}
					}
				}
				// B.10.7.1: Lblock increments
				for hdr.bit() != 0 && !hdr.over {
					cb.lblock++
					if cb.lblock > 32 {
						return 0, 0, false, d.errAt("packet header", bpos, "component %d resolution %d: Lblock above 32", c, r)
					}
				}
				// B.10.7.2: one length per codeword segment
				for np > 0 {
					if cb.seg < 0 || cb.segPasses == cb.segMax {
						cb.segMax = nextSegMax(style, cb.seg < 0, cb.segMax)
						cb.seg++
						cb.segPasses = 0
					}
					take := min(int(cb.segMax-cb.segPasses), np)
					nbits := int(cb.lblock) + floorLog2(take)
					if nbits > 32 {
						return 0, 0, false, d.errAt("packet header", bpos, "component %d resolution %d: %d-bit segment length", c, r, nbits)
					}
					n := hdr.bits(nbits)
					d.contrib = append(d.contrib, contribution{cb: int32(cbi), seg: cb.seg, passes: int32(take), n: int32(n)})
					cb.segPasses += int32(take)
					np -= take
				}
				if hdr.over {
					return bpos, hpos, false, nil
				}
			}
		}
	}
	hdr.align()
	if hdr.over {
		return bpos, hpos, false, nil
	}
	hpos = hdr.pos
	// EPH (A.8.2) ends the header.
	if d.g.eph && hpos+2 <= len(hdr.b) && hdr.b[hpos] == 0xFF && hdr.b[hpos+1] == 0x92 {
		hpos += 2
	}
	if inband {
		bpos = hpos
	}
	// The body: contributions in header order (B.9).
	for _, ct := range d.contrib {
		cb := &d.cblks[ct.cb]
		cb.passes += ct.passes
		if cb.corrupted {
			continue
		}
		if int(ct.n) > len(body)-bpos {
			// Truncated: OpenJPEG drops such a code-block; so do we.
			cb.corrupted = true
			bpos = len(body)
			continue
		}
		ci := int32(len(d.chunks))
		d.chunks = append(d.chunks, chunk{off: int32(bpos), n: ct.n, seg: ct.seg, passes: ct.passes, next: -1})
		if cb.last >= 0 {
			d.chunks[cb.last].next = ci
		} else {
			cb.first = ci
		}
		cb.last = ci
		bpos += int(ct.n)
	}
	if d.packetHook != nil {
		d.packetHook(hstart, hpos, bpos)
	}
	return bpos, hpos, true, nil
}

// nextSegMax is the number of passes a new codeword segment can hold
// (D.4.2, D.6; OpenJPEG's opj_t2_init_seg).
func nextSegMax(style uint8, first bool, prev int32) int32 {
	switch {
	case style&styleTermAll != 0:
		return 1
	case style&styleBypass != 0:
		if first {
			return 10
		}
		if prev == 1 || prev == 10 {
			return 2
		}
		return 1
	}
	return 109
}

func floorLog2(n int) int {
	l := 0
	for n > 1 {
		n >>= 1
		l++
	}
	return l
}

// errAt reports an error at byte pos of the tile's joined body, translated
// to a codestream offset.
func (d *tileDecoder) errAt(where string, pos int, format string, args ...any) error {
	off := pos
	acc := 0
	var parts [][]byte
	if td := d.cs.tiles[d.idx]; td != nil {
		parts = td.parts
	}
	for i, p := range parts {
		if pos < acc+len(p) || i == len(parts)-1 {
			off = d.bodyOff[i] + pos - acc
			break
		}
		acc += len(p)
	}
	return errorf(where, off, "tile %d: "+format, append([]any{d.idx}, args...)...)
}
