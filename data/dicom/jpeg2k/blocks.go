package jpeg2k

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// blockJob is one code-block for tier-1.
type blockJob struct {
	tc *tileComp
	b  *band
	cb *codeblock
}

// minBlocksPerWorker keeps small tiles on one goroutine.
const minBlocksPerWorker = 8

// decodeBlocks runs tier-1 on every code-block of the tile and writes the
// dequantized coefficients (E.1) into the tile-component buffers. The
// code-blocks are shared among up to GOMAXPROCS goroutines, each with its
// own scratch; they write disjoint parts of the buffers.
func (d *tileDecoder) decodeBlocks() {
	jobs := d.jobs[:0]
	for ci := range d.comps {
		tc := &d.comps[ci]
		for r := range tc.res {
			res := &tc.res[r]
			for pi := range res.precincts {
				pc := &res.precincts[pi]
				for bi := range res.bands {
					pb := &pc.bands[bi]
					for k := 0; k < pb.nw*pb.nh; k++ {
						cb := &d.cblks[pb.cb0+k]
						if cb.first >= 0 && !cb.corrupted {
							jobs = append(jobs, blockJob{tc, &res.bands[bi], cb})
						}
					}
				}
			}
		}
	}
	d.jobs = jobs
	workers := max(1, min(runtime.GOMAXPROCS(0), len(jobs)/minBlocksPerWorker))
	if len(d.t1s) < workers {
		d.t1s = append(d.t1s, make([]t1, workers-len(d.t1s))...)
	}
	if workers == 1 {
		for _, j := range jobs {
			d.decodeBlock(&d.t1s[0], j)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		t := &d.t1s[w]
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(jobs)) {
					return
				}
				d.decodeBlock(t, jobs[i])
			}
		})
	}
	wg.Wait()
}

// decodeBlock decodes one code-block with the scratch t and stores it.
func (d *tileDecoder) decodeBlock(t *t1, j blockJob) {
	tc, b, cb := j.tc, j.b, j.cb
	planes := b.mb + tc.roi - int(cb.zbp) // checked by readPacket: 0..30
	if planes <= 0 || planes > 30 {
		return
	}
	// Gather the codeword segments: a segment that arrived in one packet
	// is used in place; one spread over several packets is joined.
	t.segs = t.segs[:0]
	joinLen := 0
	for ci := cb.first; ci >= 0; {
		c := &d.chunks[ci]
		nch := 1
		n := int(c.n)
		passes := int(c.passes)
		nx := c.next
		for nx >= 0 && d.chunks[nx].seg == c.seg {
			n += int(d.chunks[nx].n)
			passes += int(d.chunks[nx].passes)
			nch++
			nx = d.chunks[nx].next
		}
		if nch > 1 {
			joinLen += n
		}
		t.segs = append(t.segs, codeSeg{passes: passes})
		ci = nx
	}
	if cap(t.join) < joinLen {
		t.join = make([]byte, 0, joinLen)
	}
	join := t.join[:0]
	si := 0
	for ci := cb.first; ci >= 0; si++ {
		c := &d.chunks[ci]
		if c.next < 0 || d.chunks[c.next].seg != c.seg {
			t.segs[si].data = d.body[c.off : c.off+c.n]
			ci = c.next
			continue
		}
		start := len(join)
		seg := c.seg
		for ci >= 0 && d.chunks[ci].seg == seg {
			c := &d.chunks[ci]
			join = append(join, d.body[c.off:c.off+c.n]...)
			ci = c.next
		}
		t.segs[si].data = join[start:len(join):len(join)]
	}
	w, h := int(cb.x1-cb.x0), int(cb.y1-cb.y0)
	t.reset(w, h)
	t.decodeBlock(t.segs, planes, b.mb-int(cb.zbp), tc.cs.cbStyle, b.orient)

	data := t.data
	if tc.roi > 0 {
		// A.6.3 max-shift ROI, as OpenJPEG applies it to the half-unit values.
		if tc.roi >= 31 {
			clear(data)
		} else {
			thresh := int32(1) << tc.roi
			for i, v := range data {
				mag := v
				if mag < 0 {
					mag = -mag
				}
				if mag >= thresh {
					mag >>= tc.roi
					if v < 0 {
						mag = -mag
					}
					data[i] = mag
				}
			}
		}
	}
	// Store at the band's place in the buffer.
	x0 := b.ox + int(cb.x0) - b.x0
	y0 := b.oy + int(cb.y0) - b.y0
	stride := tc.w
	if tc.cs.reversible {
		for y := 0; y < h; y++ {
			dst := tc.buf[(y0+y)*stride+x0 : (y0+y)*stride+x0+w]
			src := data[y*w : y*w+w]
			for x, v := range src {
				dst[x] = v / 2
			}
		}
		return
	}
	fb := f32(tc.buf)
	step := b.halfStep
	for y := 0; y < h; y++ {
		dst := fb[(y0+y)*stride+x0 : (y0+y)*stride+x0+w]
		src := data[y*w : y*w+w]
		for x, v := range src {
			dst[x] = float32(v) * step
		}
	}
}
