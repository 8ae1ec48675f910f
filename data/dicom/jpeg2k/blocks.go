package jpeg2k

// decodeBlocks runs tier-1 on every code-block of the tile and writes the
// dequantized coefficients (E.1) into the tile-component buffers.
func (d *tileDecoder) decodeBlocks() error {
	for ci := range d.comps {
		tc := &d.comps[ci]
		for r := range tc.res {
			res := &tc.res[r]
			for pi := range res.precincts {
				pc := &res.precincts[pi]
				for bi := range res.bands {
					b := &res.bands[bi]
					pb := &pc.bands[bi]
					for k := 0; k < pb.nw*pb.nh; k++ {
						if err := d.decodeBlock(tc, b, &d.cblks[pb.cb0+k]); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

// decodeBlock decodes one code-block with d.t1 and stores it.
func (d *tileDecoder) decodeBlock(tc *tileComp, b *band, cb *codeblock) error {
	if cb.first < 0 || cb.corrupted {
		return nil
	}
	planes := b.mb + tc.roi - int(cb.zbp) // checked by readPacket: 0..30
	if planes <= 0 || planes > 30 {
		return nil
	}
	// Gather the codeword segments: a segment that arrived in one packet
	// is used in place; one spread over several packets is joined.
	d.segs = d.segs[:0]
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
		d.segs = append(d.segs, codeSeg{passes: passes})
		ci = nx
	}
	if cap(d.t1.join) < joinLen {
		d.t1.join = make([]byte, 0, joinLen)
	}
	join := d.t1.join[:0]
	si := 0
	for ci := cb.first; ci >= 0; si++ {
		c := &d.chunks[ci]
		if c.next < 0 || d.chunks[c.next].seg != c.seg {
			d.segs[si].data = d.body[c.off : c.off+c.n]
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
		d.segs[si].data = join[start:len(join):len(join)]
	}
	w, h := int(cb.x1-cb.x0), int(cb.y1-cb.y0)
	t := &d.t1
	t.reset(w, h)
	t.decodeBlock(d.segs, planes, b.mb-int(cb.zbp), tc.cs.cbStyle, b.orient)

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
		return nil
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
	return nil
}
