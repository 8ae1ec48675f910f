package ljpeg_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math/bits"
	"os"
	"path/filepath"
	"testing"
)

// This file holds a small lossless JPEG encoder (T.81 Annex H) for the
// tests: it writes streams with any predictor, precision, point transform,
// restart interval and component layout, so the decoder can be checked on
// every combination against the samples that went in.

// llParams describes a lossless stream to encode.
type llParams struct {
	rows, cols, comps int
	prec, psv, pt     int
	restart           int  // restart interval in MCUs, 0 for none
	separate          bool // one scan per component instead of one interleaved scan
	fill              bool // 0xFF fill bytes before every marker after SOI
	noEOI             bool
}

// bitWriter writes entropy-coded data with 0xFF00 stuffing (T.81 F.1.2.3).
type bitWriter struct {
	out   *bytes.Buffer
	acc   uint32
	nbits uint
}

func (w *bitWriter) put(v uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>uint(i))&1
		w.nbits++
		if w.nbits == 8 {
			w.out.WriteByte(byte(w.acc))
			if byte(w.acc) == 0xFF {
				w.out.WriteByte(0)
			}
			w.acc, w.nbits = 0, 0
		}
	}
}

// flush pads the last byte with 1 bits (F.1.2.3).
func (w *bitWriter) flush() {
	for w.nbits != 0 {
		w.put(1, 1)
	}
}

// llTable is the test's Huffman table for difference categories 0..16:
// categories 0..14 get 4-bit codes 0000..1110, 15 and 16 get 6-bit codes
// 111100 and 111101.
var llTable = struct {
	counts [16]byte
	code   [17]uint32
	size   [17]uint
}{counts: [16]byte{3: 15, 5: 2}}

func init() {
	for s := range 15 {
		llTable.code[s], llTable.size[s] = uint32(s), 4
	}
	llTable.code[15], llTable.size[15] = 0x3C, 6
	llTable.code[16], llTable.size[16] = 0x3D, 6
}

// predictRef is T.81 Table H.1, written out independently of the decoder.
func predictRef(psv int, ra, rb, rc int) int {
	switch psv {
	case 1:
		return ra
	case 2:
		return rb
	case 3:
		return rc
	case 4:
		return ra + rb - rc
	case 5:
		return ra + ((rb - rc) >> 1)
	case 6:
		return rb + ((ra - rc) >> 1)
	case 7:
		return (ra + rb) >> 1
	}
	panic("psv")
}

func marker(b *bytes.Buffer, p llParams, m byte) {
	if p.fill {
		b.Write([]byte{0xFF, 0xFF})
	}
	b.Write([]byte{0xFF, m})
}

func segment(b *bytes.Buffer, p llParams, m byte, payload ...byte) {
	marker(b, p, m)
	n := len(payload) + 2
	b.Write([]byte{byte(n >> 8), byte(n)})
	b.Write(payload)
}

// encodeLossless encodes pix (rows x cols x comps, interleaved, values
// 0..2^prec-1 whose low pt bits are zero) as a lossless JPEG stream.
func encodeLossless(p llParams, pix []int32) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8})
	segment(&b, p, 0xFE, []byte("lungo ljpeg test")...)
	dht := []byte{0x00}
	dht = append(dht, llTable.counts[:]...)
	for s := range 17 {
		dht = append(dht, byte(s))
	}
	segment(&b, p, 0xC4, dht...)
	sof := []byte{byte(p.prec), byte(p.rows >> 8), byte(p.rows), byte(p.cols >> 8), byte(p.cols), byte(p.comps)}
	for c := range p.comps {
		sof = append(sof, byte(c+1), 0x11, 0)
	}
	segment(&b, p, 0xC3, sof...)
	if p.restart > 0 {
		segment(&b, p, 0xDD, byte(p.restart>>8), byte(p.restart))
	}
	scans := [][]int{}
	if p.separate {
		for c := range p.comps {
			scans = append(scans, []int{c})
		}
	} else {
		all := []int{}
		for c := range p.comps {
			all = append(all, c)
		}
		scans = append(scans, all)
	}
	at := func(y, x, c int) int { return int(pix[(y*p.cols+x)*p.comps+c]) >> p.pt }
	for _, sc := range scans {
		sos := []byte{byte(len(sc))}
		for _, c := range sc {
			sos = append(sos, byte(c+1), 0x00)
		}
		sos = append(sos, byte(p.psv), 0, byte(p.pt))
		segment(&b, p, 0xDA, sos...)
		w := &bitWriter{out: &b}
		mcu, rst, firstRow := 0, 0, 0
		for y := range p.rows {
			for x := range p.cols {
				if p.restart > 0 && mcu > 0 && mcu%p.restart == 0 {
					w.flush()
					marker(&b, p, byte(0xD0+rst&7))
					rst++
					firstRow = y
				}
				mcu++
				for _, c := range sc {
					var px int
					switch {
					case y == firstRow && x == 0:
						px = 1 << (p.prec - p.pt - 1)
					case y == firstRow:
						px = at(y, x-1, c)
					case x == 0:
						px = at(y-1, x, c)
					default:
						px = predictRef(p.psv, at(y, x-1, c), at(y-1, x, c), at(y-1, x-1, c))
					}
					d := (at(y, x, c) - px) & 0xFFFF
					if d >= 0x8000 {
						d -= 0x10000
					}
					if d == -0x8000 {
						d = 0x8000
					}
					s := 0
					if d != 0 {
						s = bits.Len(uint(max(d, -d)))
					}
					w.put(llTable.code[s], llTable.size[s])
					if s > 0 && s < 16 {
						v := d
						if d < 0 {
							v = d + 1<<s - 1
						}
						w.put(uint32(v), uint(s))
					}
				}
			}
		}
		w.flush()
	}
	if !p.noEOI {
		marker(&b, p, 0xD9)
	}
	return b.Bytes()
}

// testPix returns deterministic rows x cols x comps samples of precision
// prec with the low pt bits zero: smooth ramps, noise, and runs of the
// extreme values 0 and 2^prec-1 next to each other (large differences,
// category 16 at 16 bits).
func testPix(rows, cols, comps, prec, pt int, seed uint32) []int32 {
	pix := make([]int32, rows*cols*comps)
	maxv := int64(1)<<prec - 1
	s := seed*2654435761 + 1
	for y := range rows {
		for x := range cols {
			for c := range comps {
				s = s*1664525 + 1013904223
				var v int64
				switch (y/3 + x/5 + c) % 4 {
				case 0:
					v = int64(x*37+y*11+c*1000) % (maxv + 1)
				case 1:
					v = int64(s>>8) & maxv
				case 2:
					if (x+y)%2 == 0 {
						v = maxv
					}
				default:
					v = maxv/2 + int64(s>>28) - 8
				}
				v = min(max(v, 0), maxv)
				pix[(y*cols+x)*comps+c] = int32(v >> pt << pt)
			}
		}
	}
	return pix
}

// baselineJPEG encodes a small 8-bit grey image with image/jpeg (SOF0).
func baselineJPEG(rows, cols int) []byte {
	img := image.NewGray(image.Rect(0, 0, cols, rows))
	for i := range img.Pix {
		img.Pix[i] = uint8(i*7 + i/cols*13)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// goldenEncoderStreams are test-encoder streams that
// scripts/golden/ljpeg_golden.py has GDCM and dcmtk decode, so that
// precisions and layouts the DICOM encoders do not write (2-16 bits, point
// transforms, restarts, separate scans) are checked against libjpeg too.
var goldenEncoderStreams = []llParams{
	{rows: 16, cols: 20, comps: 1, prec: 2, psv: 1},
	{rows: 16, cols: 20, comps: 1, prec: 4, psv: 4},
	{rows: 16, cols: 20, comps: 1, prec: 10, psv: 5, pt: 1},
	{rows: 16, cols: 20, comps: 1, prec: 13, psv: 6, restart: 40},
	{rows: 16, cols: 20, comps: 1, prec: 15, psv: 7},
	{rows: 16, cols: 20, comps: 1, prec: 16, psv: 2, pt: 3, restart: 20},
	{rows: 16, cols: 20, comps: 1, prec: 16, psv: 3, fill: true},
	{rows: 12, cols: 10, comps: 3, prec: 8, psv: 6, restart: 30},
	{rows: 12, cols: 10, comps: 3, prec: 12, psv: 7, separate: true},
}

// TestWriteEncoderStreams writes goldenEncoderStreams as enc_*.jpg into the
// directory $LJPEG_WRITE_STREAMS (for scripts/golden/ljpeg_golden.py).
func TestWriteEncoderStreams(t *testing.T) {
	dir := os.Getenv("LJPEG_WRITE_STREAMS")
	if dir == "" {
		t.Skip("LJPEG_WRITE_STREAMS not set")
	}
	for i, p := range goldenEncoderStreams {
		name := fmt.Sprintf("enc_p%d_sv%d_pt%d_c%d_ri%d.jpg", p.prec, p.psv, p.pt, p.comps, p.restart)
		data := encodeLossless(p, testPix(p.rows, p.cols, p.comps, p.prec, p.pt, uint32(100+i)))
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
