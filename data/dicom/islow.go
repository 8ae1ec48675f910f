package dicom

import (
	"errors"
	"fmt"
)

// This file decodes 8-bit sequential Huffman JPEG (SOF0 baseline, SOF1
// extended) grayscale streams exactly as libjpeg does with its default
// integer IDCT (JDCT_ISLOW, jidctint.c): the same fixed-point constants,
// rounding and range-limit table, so decoded samples equal those of
// libjpeg/libjpeg-turbo (and so of pydicom + Pillow) bit for bit. Streams
// it does not handle (progressive, arithmetic, several components, 12-bit)
// return errNotSimple and are left to image/jpeg.

// errNotSimple marks a valid JPEG this decoder does not handle.
var errNotSimple = errors.New("not an 8-bit sequential Huffman grayscale JPEG")

// zigzag maps zig-zag order to natural (row-major) order.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// huffTable is a canonical Huffman table decoded libjpeg-style: a 9-bit
// lookahead table for short codes, maxcode/valptr per length for the rest.
type huffTable struct {
	set     bool
	look    [1 << 9]uint16 // (length<<8 | value), 0 when the code is longer
	maxcode [18]int32
	valptr  [17]int32
	mincode [17]int32
	vals    []uint8
}

func (h *huffTable) build(counts [16]uint8, vals []uint8) error {
	*h = huffTable{set: true, vals: vals}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		if code+n > 1<<l {
			return errors.New("bad Huffman table (over-subscribed)")
		}
		if n == 0 {
			h.maxcode[l] = -1
		} else {
			h.valptr[l] = k
			h.mincode[l] = code
			for range n {
				if l <= 9 {
					shift := 9 - l
					base := int(code) << shift
					for i := range 1 << shift {
						h.look[base+i] = uint16(l<<8) | uint16(vals[k])
					}
				}
				code++
				k++
			}
			h.maxcode[l] = code - 1
		}
		code <<= 1
	}
	h.maxcode[17] = 0x7FFFFFFF
	return nil
}

// islowDecoder holds the state of one decode.
type islowDecoder struct {
	data  []byte
	pos   int
	qt    [4][64]int32 // natural order
	qtSet [4]bool
	huff  [2][4]huffTable // [0] DC, [1] AC

	width, height int
	compID        uint8
	tq            uint8
	restart       int

	bits  uint32 // bit buffer, MSB first
	nbits uint
	eod   bool // a marker or the end of data was reached
}

func (d *islowDecoder) errf(format string, args ...any) error {
	return fmt.Errorf("JPEG byte %d: %s", d.pos, fmt.Sprintf(format, args...))
}

// decodeJPEGISLOW decodes a grayscale 8-bit sequential JPEG stream into
// rows*cols samples appended to dst. It returns errNotSimple for valid
// streams of other kinds.
func decodeJPEGISLOW(dst, data []byte, rows, cols int) ([]byte, error) {
	d := &islowDecoder{data: data}
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return dst, errors.New("JPEG stream does not start with SOI (FF D8)")
	}
	d.pos = 2
	sawSOF := false
	for {
		// Find the next marker, skipping fill bytes.
		if d.pos+2 > len(data) {
			return dst, d.errf("stream ends before the scan")
		}
		if data[d.pos] != 0xFF {
			return dst, d.errf("expected a marker, found %#02x", data[d.pos])
		}
		m := data[d.pos+1]
		d.pos += 2
		if m == 0xFF {
			d.pos--
			continue
		}
		if m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01 {
			continue
		}
		if m == 0xD9 {
			return dst, d.errf("EOI before any scan")
		}
		if d.pos+2 > len(data) {
			return dst, d.errf("truncated marker segment")
		}
		seglen := int(data[d.pos])<<8 | int(data[d.pos+1])
		if seglen < 2 || d.pos+seglen > len(data) {
			return dst, d.errf("marker %#02x segment length %d passes the end", m, seglen)
		}
		seg := data[d.pos+2 : d.pos+seglen]
		switch {
		case m == 0xC0 || m == 0xC1:
			if err := d.sof(seg); err != nil {
				return dst, err
			}
			if d.width != cols || d.height != rows {
				return dst, fmt.Errorf("JPEG is %dx%d, the data set says %dx%d (rows x cols)", d.height, d.width, rows, cols)
			}
			sawSOF = true
		case m >= 0xC2 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			return dst, errNotSimple // progressive, lossless, arithmetic, hierarchical
		case m == 0xC4:
			if err := d.dht(seg); err != nil {
				return dst, err
			}
		case m == 0xDB:
			if err := d.dqt(seg); err != nil {
				return dst, err
			}
		case m == 0xDD:
			if len(seg) != 2 {
				return dst, d.errf("DRI length %d", len(seg))
			}
			d.restart = int(seg[0])<<8 | int(seg[1])
		case m == 0xDA:
			if !sawSOF {
				return dst, d.errf("scan before frame header")
			}
			td, ta, err := d.sos(seg)
			if err != nil {
				return dst, err
			}
			d.pos += seglen
			return d.scan(dst, td, ta)
		}
		d.pos += seglen
	}
}

func (d *islowDecoder) sof(seg []byte) error {
	if len(seg) < 6 {
		return d.errf("short SOF")
	}
	if seg[0] != 8 {
		return errNotSimple
	}
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	if seg[5] != 1 {
		return errNotSimple
	}
	if len(seg) < 9 {
		return d.errf("short SOF")
	}
	d.compID, d.tq = seg[6], seg[8]
	if d.tq > 3 {
		return d.errf("SOF quantization table %d", d.tq)
	}
	if d.height == 0 {
		return errNotSimple // DNL-defined height
	}
	return nil
}

func (d *islowDecoder) dqt(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if tq > 3 || pq > 1 {
			return d.errf("DQT table %d precision %d", tq, pq)
		}
		n := 64 * (1 + int(pq))
		if len(seg) < 1+n {
			return d.errf("short DQT")
		}
		for i := range 64 {
			v := int32(seg[1+i])
			if pq == 1 {
				v = int32(seg[1+2*i])<<8 | int32(seg[2+2*i])
			}
			d.qt[tq][zigzag[i]] = v
		}
		d.qtSet[tq] = true
		seg = seg[1+n:]
	}
	return nil
}

func (d *islowDecoder) dht(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return d.errf("short DHT")
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 {
			return d.errf("DHT class %d table %d", tc, th)
		}
		var counts [16]uint8
		copy(counts[:], seg[1:17])
		n := 0
		for _, c := range counts {
			n += int(c)
		}
		if n > 256 || len(seg) < 17+n {
			return d.errf("DHT with %d codes", n)
		}
		vals := append([]uint8(nil), seg[17:17+n]...)
		if err := d.huff[tc][th].build(counts, vals); err != nil {
			return d.errf("%v", err)
		}
		seg = seg[17+n:]
	}
	return nil
}

func (d *islowDecoder) sos(seg []byte) (td, ta uint8, err error) {
	if len(seg) < 1 || seg[0] != 1 {
		return 0, 0, errNotSimple
	}
	if len(seg) < 6 {
		return 0, 0, d.errf("short SOS")
	}
	if seg[1] != d.compID {
		return 0, 0, d.errf("SOS component %d, frame has %d", seg[1], d.compID)
	}
	td, ta = seg[2]>>4, seg[2]&15
	if td > 3 || ta > 3 || !d.huff[0][td].set || !d.huff[1][ta].set {
		return 0, 0, d.errf("scan uses missing Huffman tables %d/%d", td, ta)
	}
	if !d.qtSet[d.tq] {
		return 0, 0, d.errf("missing quantization table %d", d.tq)
	}
	if seg[3] != 0 || seg[4] != 63 || seg[5] != 0 {
		return 0, 0, errNotSimple
	}
	return td, ta, nil
}

// fill tops up the bit buffer to at least 25 bits. Past a marker or the
// end of data it feeds zero bits, as libjpeg does.
func (d *islowDecoder) fill() {
	for d.nbits <= 24 {
		var b byte
		if !d.eod && d.pos < len(d.data) {
			b = d.data[d.pos]
			if b == 0xFF {
				if d.pos+1 < len(d.data) && d.data[d.pos+1] == 0x00 {
					d.pos += 2
				} else {
					d.eod = true
					b = 0
				}
			} else {
				d.pos++
			}
		} else {
			d.eod = true
		}
		d.bits |= uint32(b) << (24 - d.nbits)
		d.nbits += 8
	}
}

func (d *islowDecoder) getBits(n uint) int32 {
	if n == 0 {
		return 0
	}
	if d.nbits < n {
		d.fill()
	}
	v := int32(d.bits >> (32 - n))
	d.bits <<= n
	d.nbits -= n
	return v
}

// extend converts an n-bit magnitude category value to its signed value.
func extend(v int32, n uint) int32 {
	if n == 0 {
		return 0
	}
	if v < 1<<(n-1) {
		return v - (1 << n) + 1
	}
	return v
}

func (d *islowDecoder) decodeHuff(h *huffTable) (uint8, error) {
	if d.nbits < 16 {
		d.fill()
	}
	if e := h.look[d.bits>>(32-9)]; e != 0 {
		l := uint(e >> 8)
		d.bits <<= l
		d.nbits -= l
		return uint8(e), nil
	}
	code := int32(d.bits >> 31)
	l := 1
	for ; l <= 16 && code > h.maxcode[l]; l++ {
		code = int32(d.bits >> (31 - uint(l)))
	}
	if l > 16 {
		return 0, d.errf("corrupt Huffman code")
	}
	d.bits <<= uint(l)
	d.nbits -= uint(l)
	return h.vals[h.valptr[l]+code-h.mincode[l]], nil
}

// scan decodes the single-component scan into dst.
func (d *islowDecoder) scan(dst []byte, td, ta uint8) ([]byte, error) {
	rows, cols := d.height, d.width
	base := len(dst)
	dst = append(dst, make([]byte, rows*cols)...)
	out := dst[base:]
	dc, ac := &d.huff[0][td], &d.huff[1][ta]
	q := &d.qt[d.tq]
	bw, bh := (cols+7)/8, (rows+7)/8
	var pred int32
	var coef [64]int32
	var blk [64]uint8
	mcus := 0
	for by := range bh {
		for bx := range bw {
			if d.restart > 0 && mcus > 0 && mcus%d.restart == 0 {
				if err := d.nextRestart(); err != nil {
					return dst, err
				}
				pred = 0
			}
			mcus++
			coef = [64]int32{}
			s, err := d.decodeHuff(dc)
			if err != nil {
				return dst, err
			}
			if s > 15 {
				return dst, d.errf("DC category %d", s)
			}
			pred += extend(d.getBits(uint(s)), uint(s))
			coef[0] = int32(int16(pred))
			acs := 0
			for k := 1; k < 64; k++ {
				rs, err := d.decodeHuff(ac)
				if err != nil {
					return dst, err
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
					return dst, d.errf("AC coefficient index %d", k)
				}
				coef[zigzag[k]] = extend(d.getBits(s), s)
				acs++
			}
			if acs == 0 {
				// DC only: both passes take libjpeg's shortcuts, giving one value.
				w := int64(int32(int64(coef[0]) * int64(q[0]) << pass1Bits))
				v := rangeLimit((w + 1<<(pass1Bits+2)) >> (pass1Bits + 3))
				for i := range blk {
					blk[i] = v
				}
			} else {
				idctISLOW(&blk, &coef, q)
			}
			y0, x0 := by*8, bx*8
			for y := 0; y < 8 && y0+y < rows; y++ {
				o := (y0+y)*cols + x0
				n := min(8, cols-x0)
				copy(out[o:o+n], blk[y*8:y*8+n])
			}
		}
	}
	return dst, nil
}

// nextRestart discards buffered bits and consumes the RSTn marker.
func (d *islowDecoder) nextRestart() error {
	d.bits, d.nbits, d.eod = 0, 0, false
	for d.pos+1 < len(d.data) && d.data[d.pos] == 0xFF && d.data[d.pos+1] == 0xFF {
		d.pos++
	}
	if d.pos+1 < len(d.data) && d.data[d.pos] == 0xFF && d.data[d.pos+1] >= 0xD0 && d.data[d.pos+1] <= 0xD7 {
		d.pos += 2
		return nil
	}
	return d.errf("missing restart marker")
}

// libjpeg jidctint.c constants (arithmetic is int64, libjpeg-turbo's JLONG on
// LP64 systems; the workspace is C int, so int32): FIX(x) = round(x * 2^13).
const (
	constBits = 13
	pass1Bits = 2

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// rangeLimit is libjpeg's post-IDCT range-limit table lookup: x+128
// clamped to 0..255 for x in -512..511, wrapping (mod 1024) outside, as
// libjpeg's table indexed by x & 1023 does.
func rangeLimit(x int64) uint8 {
	i := x & 1023
	switch {
	case i < 128:
		return uint8(i + 128)
	case i < 512:
		return 255
	case i < 896:
		return 0
	}
	return uint8(i - 896)
}

// idctISLOW is libjpeg's jpeg_idct_islow: dequantize coef (natural order)
// with q, inverse DCT in two fixed-point passes, level shift and range limit.
func idctISLOW(out *[64]uint8, coef, q *[64]int32) {
	var ws [64]int32 // C int workspace
	// Pass 1: columns.
	for c := range 8 {
		if coef[8+c] == 0 && coef[16+c] == 0 && coef[24+c] == 0 && coef[32+c] == 0 &&
			coef[40+c] == 0 && coef[48+c] == 0 && coef[56+c] == 0 {
			dcval := int32(int64(coef[c]) * int64(q[c]) << pass1Bits)
			for r := range 8 {
				ws[r*8+c] = dcval
			}
			continue
		}
		z2 := int64(coef[16+c]) * int64(q[16+c])
		z3 := int64(coef[48+c]) * int64(q[48+c])
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 + z3*(-fix1_847759065)
		tmp3 := z1 + z2*fix0_765366865
		z2 = int64(coef[c]) * int64(q[c])
		z3 = int64(coef[32+c]) * int64(q[32+c])
		tmp0 := (z2 + z3) << constBits
		tmp1 := (z2 - z3) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2

		t0 := int64(coef[56+c]) * int64(q[56+c])
		t1 := int64(coef[40+c]) * int64(q[40+c])
		t2 := int64(coef[24+c]) * int64(q[24+c])
		t3 := int64(coef[8+c]) * int64(q[8+c])
		o0, o1, o2, o3 := odd(t0, t1, t2, t3)
		const sh = constBits - pass1Bits
		ws[0*8+c] = int32((tmp10 + o3 + 1<<(sh-1)) >> sh)
		ws[7*8+c] = int32((tmp10 - o3 + 1<<(sh-1)) >> sh)
		ws[1*8+c] = int32((tmp11 + o2 + 1<<(sh-1)) >> sh)
		ws[6*8+c] = int32((tmp11 - o2 + 1<<(sh-1)) >> sh)
		ws[2*8+c] = int32((tmp12 + o1 + 1<<(sh-1)) >> sh)
		ws[5*8+c] = int32((tmp12 - o1 + 1<<(sh-1)) >> sh)
		ws[3*8+c] = int32((tmp13 + o0 + 1<<(sh-1)) >> sh)
		ws[4*8+c] = int32((tmp13 - o0 + 1<<(sh-1)) >> sh)
	}
	// Pass 2: rows.
	for r := range 8 {
		w := ws[r*8 : r*8+8 : r*8+8]
		o := out[r*8 : r*8+8 : r*8+8]
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			// libjpeg's zero-row shortcut; equal to the full formula.
			v := rangeLimit((int64(w[0]) + 1<<(pass1Bits+2)) >> (pass1Bits + 3))
			for i := range o {
				o[i] = v
			}
			continue
		}
		const sh = constBits + pass1Bits + 3
		z2, z3 := int64(w[2]), int64(w[6])
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 + z3*(-fix1_847759065)
		tmp3 := z1 + z2*fix0_765366865
		tmp0 := (int64(w[0]) + int64(w[4])) << constBits
		tmp1 := (int64(w[0]) - int64(w[4])) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		o0, o1, o2, o3 := odd(int64(w[7]), int64(w[5]), int64(w[3]), int64(w[1]))
		o[0] = rangeLimit((tmp10 + o3 + 1<<(sh-1)) >> sh)
		o[7] = rangeLimit((tmp10 - o3 + 1<<(sh-1)) >> sh)
		o[1] = rangeLimit((tmp11 + o2 + 1<<(sh-1)) >> sh)
		o[6] = rangeLimit((tmp11 - o2 + 1<<(sh-1)) >> sh)
		o[2] = rangeLimit((tmp12 + o1 + 1<<(sh-1)) >> sh)
		o[5] = rangeLimit((tmp12 - o1 + 1<<(sh-1)) >> sh)
		o[3] = rangeLimit((tmp13 + o0 + 1<<(sh-1)) >> sh)
		o[4] = rangeLimit((tmp13 - o0 + 1<<(sh-1)) >> sh)
	}
}

// odd is the odd part of jidctint.c's 1-D IDCT, inputs (x7, x5, x3, x1).
func odd(tmp0, tmp1, tmp2, tmp3 int64) (int64, int64, int64, int64) {
	z1 := tmp0 + tmp3
	z2 := tmp1 + tmp2
	z3 := tmp0 + tmp2
	z4 := tmp1 + tmp3
	z5 := (z3 + z4) * fix1_175875602
	tmp0 *= fix0_298631336
	tmp1 *= fix2_053119869
	tmp2 *= fix3_072711026
	tmp3 *= fix1_501321110
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	z3 *= -fix1_961570560
	z4 *= -fix0_390180644
	z3 += z5
	z4 += z5
	return tmp0 + z1 + z3, tmp1 + z2 + z4, tmp2 + z2 + z3, tmp3 + z1 + z4
}
