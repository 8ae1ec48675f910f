package ljpeg

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// lookBits is the length of the codes the lookahead table decodes at once;
// longer codes (rare) take the canonical-code loop of T.81 F.2.2.3.
const lookBits = 10

// huffTable is a Huffman decoding table built from a DHT segment: a
// lookahead table for codes of up to lookBits bits and the MAXCODE, VALPTR,
// MINCODE arrays of T.81 F.2.2.3 (Figure F.15) for the rest.
type huffTable struct {
	set  bool
	look [1 << lookBits]uint16 // length<<8 | value; 0 when the code is longer
	// fast, for DC and lossless tables: the difference a code and its
	// additional bits give (F.2.2.1, H.1.2.2) when both fit in lookBits, as
	// diff<<8 | total length; 0 otherwise.
	fast    [1 << lookBits]int32
	maxcode [18]int32 // largest code of each length, -1 for none
	valptr  [17]int32
	mincode [17]int32
	vals    [256]uint8
}

// build makes the decoding tables from BITS (counts of codes of each length
// 1..16) and HUFFVAL (T.81 B.2.4.2), generating codes as Annex C (Figures
// C.1, C.2) does. A table whose codes do not fit their lengths is an error;
// the all-ones code of each length is left unused as C.2 requires (libjpeg
// accepts tables that use it, and so does this). dc marks a DC or lossless
// table (class 0), whose values are difference categories.
func (h *huffTable) build(counts *[16]uint8, vals []uint8, dc bool) error {
	*h = huffTable{}
	copy(h.vals[:], vals)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		if code+n > 1<<l {
			return errors.New("more codes than the lengths allow (over-subscribed)")
		}
		h.maxcode[l] = -1
		if n > 0 {
			h.valptr[l] = k
			h.mincode[l] = code
			for range n {
				if l <= lookBits {
					shift := lookBits - l
					base := int(code) << shift
					for i := range 1 << shift {
						h.look[base+i] = uint16(l<<8) | uint16(h.vals[k])
					}
				}
				code++
				k++
			}
			h.maxcode[l] = code - 1
		}
		code <<= 1
	}
	h.maxcode[17] = 0x7FFFFFFF // sentinel: ends the F.2.2.3 loop
	h.set = true
	if dc {
		for i, e := range h.look {
			l, s := int(e>>8), int(e&0xFF)
			if e == 0 || s > 15 || l+s > lookBits {
				continue
			}
			v := extend(int32(i>>(lookBits-l-s))&(1<<s-1), uint(s))
			h.fast[i] = v<<8 | int32(l+s)
		}
	}
	return nil
}

// bitReader reads entropy-coded data (T.81 F.2.2.5, B.1.1.5): bits MSB
// first, a 0xFF byte followed by a stuffed 0x00, until a marker. Past a
// marker or the end of the data it supplies zero bits, as libjpeg does, and
// counts them so that a scan that uses them can be reported as truncated.
type bitReader struct {
	data    []byte
	pos     int    // next byte to read
	acc     uint64 // buffered bits, MSB aligned
	n       uint   // number of buffered bits
	fake    uint   // zero bits buffered past a marker or the end of the data
	stopped bool   // a marker or the end of the data was reached
}

// fill tops the buffer up to at least 57 bits. Eight bytes without a 0xFF
// among them are loaded at once.
func (b *bitReader) fill() {
	data := b.data
	if !b.stopped && b.pos+8 <= len(data) {
		x := binary.BigEndian.Uint64(data[b.pos:])
		if y := ^x; (y-0x0101010101010101)&^y&0x8080808080808080 == 0 {
			k := (64 - b.n) >> 3 // whole bytes that fit
			b.acc |= x >> (64 - 8*k) << (64 - 8*k - b.n)
			b.pos += int(k)
			b.n += 8 * k
			return
		}
	}
	for b.n <= 56 {
		if !b.stopped && b.pos < len(data) {
			c := data[b.pos]
			if c != 0xFF {
				b.pos++
				b.acc |= uint64(c) << (56 - b.n)
				b.n += 8
				continue
			}
			if b.pos+1 < len(data) && data[b.pos+1] == 0 {
				b.pos += 2 // F.1.2.3: 0xFF00 is a stuffed 0xFF data byte
				b.acc |= 0xFF << (56 - b.n)
				b.n += 8
				continue
			}
		}
		b.stopped = true
		b.n += 8
		b.fake += 8
	}
}

// overrun reports whether bits past the end of the entropy-coded segment
// have been consumed: the data is truncated or corrupt.
func (b *bitReader) overrun() bool { return b.fake > b.n }

// take returns the next n (0..16) bits as an unsigned value. The caller
// makes sure n bits are buffered: decode leaves at least 16.
func (b *bitReader) take(n uint) int32 {
	v := int32(b.acc >> 32 >> (32 - n)) // n == 0 gives 0
	b.acc <<= n
	b.n -= n
	return v
}

// decode decodes one Huffman-coded value (T.81 F.2.2.3, Figure F.16) and
// leaves at least 16 bits buffered; ok is false for a code the table does
// not hold.
func (b *bitReader) decode(h *huffTable) (v uint8, ok bool) {
	if b.n < 32 {
		b.fill()
	}
	if e := h.look[b.acc>>(64-lookBits)]; e != 0 {
		l := uint(e >> 8)
		b.acc <<= l
		b.n -= l
		return uint8(e), true
	}
	return b.decodeLong(h)
}

// decodeLong decodes a code longer than lookBits: the F.2.2.3 loop over
// code lengths.
func (b *bitReader) decodeLong(h *huffTable) (v uint8, ok bool) {
	l := lookBits + 1
	code := int32(b.acc >> (64 - uint(l)))
	for ; code > h.maxcode[l]; l++ {
		if l == 16 {
			return 0, false
		}
		code = int32(b.acc >> (63 - uint(l)))
	}
	b.acc <<= uint(l)
	b.n -= uint(l)
	return h.vals[(h.valptr[l]+code-h.mincode[l])&255], true
}

// extend converts the n-bit additional bits v of a magnitude category n to
// the signed value they code (T.81 F.2.2.1, Figure F.12: EXTEND).
func extend(v int32, n uint) int32 {
	if n == 0 {
		return 0
	}
	if v < 1<<(n-1) {
		return v - (1 << n) + 1
	}
	return v
}

// restart consumes the RSTn marker that ends a restart interval (T.81
// B.2.1, E.2.4, H.2) after discarding the buffered bits (padding of the
// interval's last byte), and resets the reader. n is the expected marker
// number (0..7). Fill bytes (0xFF) before the marker are skipped.
func (b *bitReader) restart(n int) error {
	pos := b.pos
	data := b.data
	for pos+1 < len(data) && data[pos] == 0xFF && data[pos+1] == 0xFF {
		pos++
	}
	if pos+1 >= len(data) || data[pos] != 0xFF {
		return &Error{Marker: "scan data", Offset: pos, Msg: fmt.Sprintf("restart marker RST%d expected, not found", n)}
	}
	if m := data[pos+1]; m != mRST0+byte(n) {
		return &Error{Marker: "scan data", Offset: pos, Msg: fmt.Sprintf("restart marker RST%d expected, found %s", n, markerName(m))}
	}
	*b = bitReader{data: data, pos: pos + 2}
	return nil
}
