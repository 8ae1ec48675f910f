package jpeg2k

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// Image is a decoded frame: stored values, row-major, components
// interleaved (Pix[(y*Cols+x)*Components+c]). Values are in the range of
// Precision bits, signed or unsigned, after the DC level shift (G.1).
type Image struct {
	Rows, Cols, Components, Precision int
	Signed                            bool
	Pix                               []int32
}

// Decode decodes a JPEG 2000 Part 1 codestream (starting with SOC, FF4F)
// or a JP2 file (its first jp2c box is decoded). All components must share
// one size and bit depth.
func Decode(data []byte) (*Image, error) {
	cs, err := parse(data, false)
	if err != nil {
		return nil, err
	}
	return cs.decode()
}

// DecodeConfig reads only the headers up to SIZ and returns the image
// size, number of components, bit depth and signedness that Decode would
// return, so a caller can check them before allocating.
func DecodeConfig(data []byte) (rows, cols, components, precision int, signed bool, err error) {
	cs, err := parse(data, true)
	if err != nil {
		return 0, 0, 0, 0, false, err
	}
	rows, cols, err = cs.shape()
	if err != nil {
		return 0, 0, 0, 0, false, err
	}
	c := cs.z.comps[0]
	return rows, cols, len(cs.z.comps), c.prec, c.signed, nil
}

// jp2Signature is the JPEG 2000 signature box (ISO 15444-1 Annex I.5.1).
var jp2Signature = []byte{0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}

// codestreamOf returns the codestream inside a JP2 file (the contents of
// the first top-level jp2c box, I.5.4), or data itself if it is not JP2.
func codestreamOf(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, jp2Signature) {
		return data, nil
	}
	for off := 0; off < len(data); {
		if len(data)-off < 8 {
			return nil, errorf("JP2 box", off, "truncated box header")
		}
		lbox := uint64(binary.BigEndian.Uint32(data[off:]))
		typ := string(data[off+4 : off+8])
		hdr := uint64(8)
		switch lbox {
		case 0:
			lbox = uint64(len(data) - off)
		case 1:
			if len(data)-off < 16 {
				return nil, errorf("JP2 box", off, "truncated extended box length")
			}
			lbox = binary.BigEndian.Uint64(data[off+8:])
			hdr = 16
		}
		if lbox < hdr {
			return nil, errorf("JP2 box", off, "box %q has length %d", typ, lbox)
		}
		if lbox > uint64(len(data)-off) {
			if typ != "jp2c" {
				return nil, errorf("JP2 box", off, "box %q of %d bytes overruns the file (%d bytes left)", typ, lbox, len(data)-off)
			}
			lbox = uint64(len(data) - off) // a truncated codestream: decode what is there
		}
		if typ == "jp2c" {
			return data[off+int(hdr) : off+int(lbox)], nil
		}
		off += int(lbox)
	}
	return nil, errorf("JP2 box", len(data), "no contiguous codestream (jp2c) box")
}

// tileData is what the codestream holds for one tile: the parameters of
// its first tile-part header, the bodies of its tile-parts and its packed
// packet headers (PPM or PPT).
type tileData struct {
	p      *params
	parts  [][]byte
	offs   []int // codestream offset of each body
	ppt    []pptSeg
	ppmHdr []byte
	hasPPM bool
}

type pptSeg struct {
	z    int
	data []byte
}

// codestream is a parsed codestream: main header and tile-parts.
type codestream struct {
	data    []byte
	z       *siz
	main    *params
	ppm     []pptSeg
	tiles   []*tileData
	tpOrder []int // tile index of each tile-part, in codestream order
}

// readSegment reads the marker segment at off (A.1.3): the marker, then a
// length that counts itself and the parameters.
func readSegment(data []byte, off int) (segment, int, error) {
	if len(data)-off < 2 {
		return segment{}, 0, errorf("marker", off, "codestream ends inside the header (%d bytes)", len(data))
	}
	m := u16(data[off:])
	if m>>8 != 0xFF || m < 0xFF30 {
		return segment{}, 0, errorf("marker", off, "0x%04X is not a marker", m)
	}
	if m <= 0xFF3F || m == mSOD || m == mEOC || m == mSOC || m == mEPH {
		return segment{m: m, off: off}, off + 2, nil
	}
	if len(data)-off < 4 {
		return segment{}, 0, errorf(markerName(m), off, "codestream ends before the segment length")
	}
	l := u16(data[off+2:])
	if l < 2 || off+2+l > len(data) {
		return segment{}, 0, errorf(markerName(m), off, "segment length %d overruns the codestream (%d bytes left)", l, len(data)-off-2)
	}
	return segment{m: m, off: off, b: data[off+4 : off+2+l]}, off + 2 + l, nil
}

// parse reads the main header (A.4.1) and, unless sizeOnly, every
// tile-part header (A.4.2), recording where the tile-part bodies are.
func parse(data []byte, sizeOnly bool) (*codestream, error) {
	data, err := codestreamOf(data)
	if err != nil {
		return nil, err
	}
	if len(data) < 2 || u16(data) != mSOC {
		return nil, errorf("SOC", 0, "codestream does not start with SOC (FF4F)")
	}
	cs := &codestream{data: data}
	s, off, err := readSegment(data, 2)
	if err != nil {
		return nil, err
	}
	if s.m != mSIZ {
		return nil, errorf(markerName(s.m), s.off, "SIZ expected after SOC")
	}
	if cs.z, err = parseSIZ(s); err != nil {
		return nil, err
	}
	if sizeOnly {
		return cs, nil
	}
	nc := len(cs.z.comps)
	cs.main = newParams(nc)
	for {
		s, next, err := readSegment(data, off)
		if err != nil {
			return nil, err
		}
		if s.m == mSOT {
			break
		}
		off = next
		switch s.m {
		case mSIZ, mSOD, mEOC, mSOC, mPPT, mSOP, mEPH:
			return nil, errorf(markerName(s.m), s.off, "not allowed in the main header")
		case mPPM:
			if len(s.b) < 1 {
				return nil, errorf("PPM", s.off, "empty segment")
			}
			cs.ppm = append(cs.ppm, pptSeg{int(s.b[0]), s.b[1:]})
		default:
			if err := cs.main.apply(s, cs.z, true); err != nil {
				return nil, err
			}
		}
	}
	if cs.main.cod == nil {
		return nil, errorf("main header", off, "no COD marker")
	}
	if cs.main.qcd == nil {
		return nil, errorf("main header", off, "no QCD marker")
	}
	nt := cs.z.tilesX * cs.z.tilesY
	cs.tiles = make([]*tileData, nt)
	for off+2 <= len(data) {
		m := u16(data[off:])
		if m == mEOC {
			break
		}
		if m != mSOT {
			if len(cs.tpOrder) > 0 {
				break // trailing bytes after the last tile-part
			}
			return nil, errorf("SOT", off, "marker 0x%04X where a tile-part should start", m)
		}
		s, next, err := readSegment(data, off)
		if err != nil {
			return nil, err
		}
		if len(s.b) != 8 {
			return nil, errorf("SOT", off, "segment length %d, 10 expected", len(s.b)+2)
		}
		isot, psot := u16(s.b), u32(s.b[2:])
		if isot >= nt {
			return nil, errorf("SOT", off, "tile %d of %d", isot, nt)
		}
		end := len(data)
		if psot != 0 {
			if psot < 14 {
				return nil, errorf("SOT", off, "tile-part length %d", psot)
			}
			end = min(off+psot, len(data)) // a truncated tile-part keeps what is there
		} else if bytes.HasSuffix(data, []byte{0xFF, 0xD9}) {
			end = len(data) - 2
		}
		td := cs.tiles[isot]
		first := td == nil
		if first {
			td = &tileData{}
			cs.tiles[isot] = td
		}
		off = next
		for {
			if off >= end {
				return nil, errorf("SOT", s.off, "tile-part header of tile %d runs past the tile-part's end without SOD", isot)
			}
			h, next, err := readSegment(data[:end], off)
			if err != nil {
				return nil, err
			}
			off = next
			if h.m == mSOD {
				break
			}
			switch h.m {
			case mSIZ, mSOT, mEOC, mSOC, mPPM, mTLM, mPLM, mCRG, mSOP, mEPH:
				return nil, errorf(markerName(h.m), h.off, "not allowed in a tile-part header")
			case mPPT:
				if len(h.b) < 1 {
					return nil, errorf("PPT", h.off, "empty segment")
				}
				td.ppt = append(td.ppt, pptSeg{int(h.b[0]), h.b[1:]})
			case mCOD, mCOC, mQCD, mQCC, mRGN, mPOC:
				if td.p == nil {
					td.p = newParams(nc)
				}
				if err := td.p.apply(h, cs.z, first); err != nil {
					return nil, err
				}
			}
		}
		td.parts = append(td.parts, data[off:end])
		td.offs = append(td.offs, off)
		cs.tpOrder = append(cs.tpOrder, isot)
		off = end
	}
	if len(cs.tpOrder) == 0 {
		return nil, errorf("SOT", off, "no tile-parts")
	}
	if len(cs.ppm) > 0 {
		if err := cs.splitPPM(); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// splitPPM hands the packed packet headers of PPM (A.7.4) to the tiles:
// Nppm bytes for each tile-part in codestream order.
func (cs *codestream) splitPPM() error {
	slices.SortStableFunc(cs.ppm, func(a, b pptSeg) int { return a.z - b.z })
	var all []byte
	for _, p := range cs.ppm {
		all = append(all, p.data...)
	}
	for i, t := range cs.tpOrder {
		if len(all) == 0 {
			break
		}
		if len(all) < 4 {
			return errorf("PPM", 0, "truncated Nppm for tile-part %d", i)
		}
		n := u32(all)
		if n > len(all)-4 {
			return errorf("PPM", 0, "Nppm %d for tile-part %d overruns the %d bytes left", n, i, len(all)-4)
		}
		td := cs.tiles[t]
		td.hasPPM = true
		td.ppmHdr = append(td.ppmHdr, all[4:4+n]...)
		all = all[4+n:]
	}
	return nil
}

// shape checks that all components share one size and bit depth and
// returns the image size in samples of component 0.
func (cs *codestream) shape() (rows, cols int, err error) {
	z := cs.z
	c0 := z.comps[0]
	for i, c := range z.comps[1:] {
		if c.dx != c0.dx || c.dy != c0.dy || c.prec != c0.prec || c.signed != c0.signed {
			return 0, 0, errorf("SIZ", 2, "component %d differs from component 0 in subsampling or bit depth (not supported)", i+1)
		}
	}
	cols = ceilDiv(z.xsiz, c0.dx) - ceilDiv(z.xo, c0.dx)
	rows = ceilDiv(z.ysiz, c0.dy) - ceilDiv(z.yo, c0.dy)
	return rows, cols, nil
}

// decode decodes every tile into a new Image.
func (cs *codestream) decode() (*Image, error) {
	rows, cols, err := cs.shape()
	if err != nil {
		return nil, err
	}
	z := cs.z
	nc := len(z.comps)
	img := &Image{Rows: rows, Cols: cols, Components: nc, Precision: z.comps[0].prec, Signed: z.comps[0].signed}
	img.Pix = make([]int32, rows*cols*nc)
	d := newTileDecoder(cs, img)
	for ti := range cs.tiles {
		if err := d.decodeTile(ti); err != nil {
			return nil, err
		}
	}
	return img, nil
}
