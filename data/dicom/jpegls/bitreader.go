package jpegls

import (
	"encoding/binary"
	"math/bits"
)

// bitReader reads the entropy-coded segment of a scan (T.87 9.1): bytes
// are read MSB first, and after a 0xFF byte the next byte holds only 7 data
// bits (its most significant bit is a stuffed 0). A 0xFF followed by a byte
// of 0x80 or more is a marker and ends the segment; the reader never
// consumes it.
//
// Past the end of the segment the reader supplies zero bits and counts them
// in pad, so the decoding loops stay bounded; overrun reports whether any
// of them was consumed (the data were truncated or corrupt).
type bitReader struct {
	data   []byte
	pos    int    // next byte to load
	acc    uint64 // unread bits, MSB-aligned: the next bit is bit 63
	n      uint   // bits in acc, pad included
	pad    uint   // zero bits appended after the end of the segment
	ffPrev bool   // the last byte loaded was 0xFF: the next one has 7 bits
	end    bool   // a marker or the end of data was reached
}

func (r *bitReader) reset(data []byte, pos int) {
	*r = bitReader{data: data, pos: pos}
}

// fill loads bytes until acc holds more than 56 bits.
func (r *bitReader) fill() {
	// Fast path: the next 8 bytes hold no 0xFF (so neither stuffing nor a
	// marker): load as many whole bytes of them as fit.
	if !r.ffPrev && !r.end && r.pos+8 <= len(r.data) {
		w := binary.BigEndian.Uint64(r.data[r.pos:])
		if x := ^w; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			nb := (64 - r.n) / 8
			w &^= 1<<(64-8*nb) - 1 // keep nb bytes; acc stays 0 past n
			r.acc |= w >> r.n
			r.n += 8 * nb
			r.pos += int(nb)
			return
		}
	}
	for r.n <= 56 {
		if r.end || r.pos >= len(r.data) {
			r.end = true
			r.n += 8
			r.pad += 8
			continue
		}
		b := r.data[r.pos]
		if r.ffPrev {
			// The byte after 0xFF was checked to be < 0x80 when the 0xFF
			// was loaded: its MSB is the stuffed 0 and is dropped.
			r.acc |= uint64(b) << (57 - r.n)
			r.n += 7
			r.pos++
			r.ffPrev = false
			continue
		}
		if b == 0xFF {
			if r.pos+1 < len(r.data) && r.data[r.pos+1] >= 0x80 {
				r.end = true // a marker: the segment ends at r.pos
				continue
			}
			r.ffPrev = true
		}
		r.acc |= uint64(b) << (56 - r.n)
		r.n += 8
		r.pos++
	}
}

// bits returns the next k bits (0 <= k <= 56) as an unsigned value.
func (r *bitReader) bits(k uint) int {
	if r.n < k {
		r.fill()
	}
	v := r.acc >> (64 - k) // 0 when k == 0
	r.acc <<= k
	r.n -= k
	return int(v)
}

// bit returns the next bit.
func (r *bitReader) bit() int {
	if r.n == 0 {
		r.fill()
	}
	v := r.acc >> 63
	r.acc <<= 1
	r.n--
	return int(v)
}

// zeros counts and consumes the 0 bits before the next 1 bit, and that 1
// bit (the unary part of a Golomb code, T.87 A.5.3). It gives up and
// returns a value > max once more than max zeros have been read.
func (r *bitReader) zeros(max int) int {
	// Bits of acc past the n valid ones are always 0, so a non-zero acc
	// has its leading 1 among the valid bits.
	if r.acc != 0 {
		z := uint(bits.LeadingZeros64(r.acc))
		r.acc <<= z + 1
		r.n -= z + 1
		return int(z)
	}
	q := 0
	for {
		if r.n < 57 {
			r.fill()
		}
		z := uint(bits.LeadingZeros64(r.acc))
		if z < r.n {
			r.acc <<= z + 1
			r.n -= z + 1
			return q + int(z)
		}
		q += int(r.n)
		r.acc, r.n = 0, 0
		if q > max {
			return q
		}
	}
}

// overrun reports whether bits past the end of the segment were consumed.
func (r *bitReader) overrun() bool { return r.n < r.pad }

// nextMarker returns the offset of the first marker (0xFF followed by a byte
// of 0x80 or more) at or after the reader's position, or len(data) if there
// is none. The bytes skipped are the unread tail of the segment.
func (r *bitReader) nextMarker() int {
	for i := r.pos; i+1 < len(r.data); i++ {
		if r.data[i] == 0xFF && r.data[i+1] >= 0x80 {
			return i
		}
	}
	return len(r.data)
}
