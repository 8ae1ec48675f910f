package ljpeg

import "fmt"

// This file decodes sequential DCT scans with Huffman coding (T.81 Annex F,
// processes 1 and 4): per 8x8 block a differential DC coefficient and
// run-length coded AC coefficients, dequantized and inverse transformed by
// idctISLOW.

// decodeDCT decodes the entropy-coded data of one sequential DCT scan into
// d.img.
func (d *decoder) decodeDCT(br *bitReader, sc []scanComp) error {
	rows, cols, nc := d.rows, d.cols, len(d.comps)
	// MCU geometry (A.2): a single-component scan codes the component's
	// blocks one per MCU, left to right and top to bottom (A.2.2); an
	// interleaved scan codes H x V blocks of each component per MCU (A.2.3).
	// Every component has the frame's sampling factors (parseSOF), so each
	// is rows x cols samples.
	bh, bv := 1, 1
	if len(sc) > 1 {
		bh, bv = d.hmax, d.vmax
	}
	mcux, mcuy := (cols+8*bh-1)/(8*bh), (rows+8*bv-1)/(8*bv)
	idct := idct8
	if d.precision == 12 {
		idct = idct12
	}
	// Quantization tables are latched at the start of the scan, as libjpeg
	// does: a DQT after the scan does not change it.
	q := make([][64]int32, len(sc))
	for k, c := range sc {
		q[k] = d.qt[d.comps[c.ci].tq]
	}
	var pred [4]int32
	var coef [64]int32
	var blk [64]int32
	pix := d.img.Pix
	ri, restarts, mcu := d.restart, 0, 0
	for my := range mcuy {
		for mx := range mcux {
			// B.2.1, F.2.1.3.1: each restart interval begins with RSTn and
			// resets the DC predictions to 0.
			if ri > 0 && mcu > 0 && mcu%ri == 0 {
				if br.overrun() {
					return truncated(br)
				}
				if err := br.restart(restarts & 7); err != nil {
					return err
				}
				restarts++
				pred = [4]int32{}
			}
			mcu++
			for k, c := range sc {
				for v := range bv {
					for h := range bh {
						nac, err := decodeBlock(br, c.dc, c.ac, &pred[k], &coef)
						if err != nil {
							return err
						}
						x0, y0 := (mx*bh+h)*8, (my*bv+v)*8
						if x0 >= cols || y0 >= rows {
							continue // a padding block of the MCU (A.2.4)
						}
						if nac == 0 {
							idct.dcOnly(&blk, coef[0], q[k][0])
						} else {
							idct.islow(&blk, &coef, &q[k])
						}
						w := min(8, cols-x0)
						for y := range min(8, rows-y0) {
							o := ((y0+y)*cols+x0)*nc + c.ci
							if nc == 1 {
								copy(pix[o:o+w], blk[y*8:y*8+w])
								continue
							}
							for x := range w {
								pix[o+x*nc] = blk[y*8+x]
							}
						}
					}
				}
			}
		}
		if br.overrun() {
			return truncated(br)
		}
	}
	return nil
}

// decodeBlock decodes the quantized coefficients of one 8x8 block into
// coef (natural order) and returns the number of non-zero AC coefficients
// coded. pred is the component's DC prediction.
func decodeBlock(br *bitReader, dc, ac *huffTable, pred *int32, coef *[64]int32) (int, error) {
	*coef = [64]int32{}
	// F.2.2.1: DC difference, category s (libjpeg accepts 0..15) and s
	// additional bits. The prediction is kept in an int, the coefficient in
	// libjpeg's 16-bit JCOEF.
	s, ok := br.decode(dc)
	if !ok {
		return 0, badCode(br)
	}
	if s > 15 {
		return 0, &Error{Marker: "scan data", Offset: br.pos, Msg: fmt.Sprintf("DC difference category %d (must be 0 to 15)", s)}
	}
	*pred += extend(br.take(uint(s)), uint(s))
	coef[0] = int32(int16(*pred))
	// F.2.2.2, Figure F.13: AC coefficients as RRRRSSSS run/size symbols;
	// 0x00 is EOB, 0xF0 a run of 16 zeros.
	nac := 0
	for k := 1; k < 64; k++ {
		// br.decode(ac), with the lookahead path inlined.
		if br.n < 32 {
			br.fill()
		}
		var rs uint8
		if e := ac.look[br.acc>>(64-lookBits)]; e != 0 {
			l := uint(e >> 8)
			br.acc <<= l
			br.n -= l
			rs = uint8(e)
		} else {
			var ok bool
			if rs, ok = br.decodeLong(ac); !ok {
				return 0, badCode(br)
			}
		}
		r, s := int(rs>>4), uint(rs&15)
		if s == 0 {
			if r != 15 {
				break
			}
			k += 15
			continue
		}
		k += r
		if k > 63 {
			return 0, &Error{Marker: "scan data", Offset: br.pos, Msg: fmt.Sprintf("AC run reaches coefficient %d (past 63)", k)}
		}
		coef[zigzag[k]] = extend(br.take(s), s)
		nac++
	}
	return nac, nil
}
