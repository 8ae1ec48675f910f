package dicom

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Pixels holds the stored values of a grayscale image (SamplesPerPixel 1),
// decoded from any supported transfer syntax, as one typed array laid out
// [frame][row][col] (C order, shape Frames x Rows x Cols).
//
// Exactly one of U8, I8, U16, I16 is non-nil: U8/I8 for BitsAllocated 8,
// U16/I16 for 16, signed when PixelRepresentation is 1. When BitsStored is
// less than BitsAllocated, the bits above HighBit are cleared and signed
// values are sign-extended from bit BitsStored-1 (PS3.5 8.1.1), so values
// are never outside the range BitsStored allows.
type Pixels struct {
	Frames, Rows, Cols int
	BitsAllocated      int
	BitsStored         int
	Signed             bool
	Photometric        string  // MONOCHROME1 or MONOCHROME2
	RescaleSlope       float64 // (0028,1053), 1 when absent
	RescaleIntercept   float64 // (0028,1052), 0 when absent

	U8  []uint8
	I8  []int8
	U16 []uint16
	I16 []int16
}

// An UnsupportedError says that a file is well formed but uses a feature
// this package does not decode: a transfer syntax (named by UID and name),
// a bit depth, colour, and so on.
type UnsupportedError struct {
	Syntax TransferSyntax
	Msg    string
}

func (e *UnsupportedError) Error() string {
	if e.Syntax.UID == "" {
		return "dicom: unsupported: " + e.Msg
	}
	return fmt.Sprintf("dicom: transfer syntax %s: %s", e.Syntax, e.Msg)
}

// maxPixelBytes bounds the decoded size of a pixel array.
const maxPixelBytes = 1 << 30

// Len returns Frames*Rows*Cols.
func (p *Pixels) Len() int { return p.Frames * p.Rows * p.Cols }

// Stored returns stored value i (flat C-order index) as a float64.
func (p *Pixels) Stored(i int) float64 {
	switch {
	case p.U8 != nil:
		return float64(p.U8[i])
	case p.I8 != nil:
		return float64(p.I8[i])
	case p.U16 != nil:
		return float64(p.U16[i])
	}
	return float64(p.I16[i])
}

// storedRange returns the smallest and largest value BitsStored allows.
func (p *Pixels) storedRange() (lo, hi float64) {
	if p.Signed {
		return -float64(int64(1) << (p.BitsStored - 1)), float64(int64(1)<<(p.BitsStored-1) - 1)
	}
	return 0, float64(int64(1)<<p.BitsStored - 1)
}

// Display returns the display values, [Frames, Rows, Cols] float32:
// stored*RescaleSlope + RescaleIntercept, where for MONOCHROME1 the stored
// value v is first inverted within the range BitsStored allows (lo+hi-v:
// 255-v for unsigned 8-bit), so that larger display values are brighter.
func (p *Pixels) Display() []float32 {
	out := make([]float32, p.Len())
	p.DisplayInto(out)
	return out
}

// DisplayInto writes the display values into dst, which must have length
// Len(); see Display.
func (p *Pixels) DisplayInto(dst []float32) {
	if len(dst) != p.Len() {
		panic(fmt.Sprintf("dicom: DisplayInto: dst has length %d, want %d", len(dst), p.Len()))
	}
	slope, icpt := p.RescaleSlope, p.RescaleIntercept
	if p.Photometric == "MONOCHROME1" {
		lo, hi := p.storedRange()
		icpt += slope * (lo + hi)
		slope = -slope
	}
	for i := range dst {
		dst[i] = float32(p.Stored(i)*slope + icpt)
	}
}

// Pixels decodes the pixel data of f. It supports SamplesPerPixel 1
// (MONOCHROME1/2), BitsAllocated 8 or 16, any number of frames, native
// pixel data in the implicit/explicit little/big endian and deflated
// syntaxes, RLE Lossless, 8-bit JPEG baseline/extended (libjpeg-exact,
// see decodeJPEG), 12-bit JPEG extended and JPEG lossless (package ljpeg),
// JPEG-LS (jpegls) and JPEG 2000 (jpeg2k); see codecs.go.
// Other syntaxes give an *UnsupportedError naming the syntax UID and name;
// short or corrupt pixel data gives a *ParseError naming the offset.
func (f *File) Pixels() (*Pixels, error) {
	ds := f.DataSet
	pe, ok := ds.Get(PixelData)
	if !ok {
		return nil, errors.New("dicom: no pixel data (7FE0,0010)")
	}
	p, err := f.imageInfo()
	if err != nil {
		return nil, err
	}
	if int64(p.Frames)*int64(p.Rows)*int64(p.Cols)*int64(p.BitsAllocated/8) > maxPixelBytes {
		return nil, &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true,
			Msg: fmt.Sprintf("%d frames of %dx%d at %d bits exceed the %d-byte limit", p.Frames, p.Rows, p.Cols, p.BitsAllocated, maxPixelBytes)}
	}
	n := p.Len()
	bps := p.BitsAllocated / 8
	if pe.Value == nil && pe.Fragments == nil && pe.OffsetTable == nil {
		return nil, &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true, Msg: "pixel data is a sequence, not pixel values"}
	}
	var raw []byte // little-endian stored values, n*bps bytes
	owned := true  // raw was allocated here (not aliasing the input)
	switch {
	case pe.Value != nil || !f.Syntax.Encapsulated:
		if pe.Value == nil {
			return nil, &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true, Msg: fmt.Sprintf("encapsulated pixel data in the native transfer syntax %s", f.Syntax)}
		}
		if f.Syntax.Encapsulated {
			return nil, &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true, Msg: fmt.Sprintf("native pixel data in the encapsulated transfer syntax %s", f.Syntax)}
		}
		if len(pe.Value) < n*bps {
			return nil, &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true,
				Msg: fmt.Sprintf("pixel data is %d bytes, %d expected (%d frames x %d rows x %d cols x %d bytes)", len(pe.Value), n*bps, p.Frames, p.Rows, p.Cols, bps)}
		}
		raw, owned = pe.Value[:n*bps], false
		if bps == 2 && f.Syntax.BigEndian {
			raw = swap16(raw)
		}
	case f.Syntax.UID == RLELossless:
		frames, err := f.frameData(pe, p.Frames)
		if err != nil {
			return nil, err
		}
		if err := checkRatio(pe, frames, n*bps, 64); err != nil {
			return nil, err
		}
		raw = make([]byte, 0, n*bps)
		for i, fr := range frames {
			if raw, err = decodeRLE(raw, fr, p.Rows*p.Cols, bps); err != nil {
				return nil, &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true, Msg: fmt.Sprintf("RLE frame %d: %v", i, err)}
			}
		}
	case (f.Syntax.UID == JPEGBaseline8Bit || f.Syntax.UID == JPEGExtended12Bit) && p.BitsAllocated == 8:
		frames, err := f.frameData(pe, p.Frames)
		if err != nil {
			return nil, err
		}
		if err := checkRatio(pe, frames, n, 256); err != nil {
			return nil, err
		}
		raw = make([]byte, 0, n)
		for i, fr := range frames {
			if raw, err = decodeJPEG(raw, fr, p.Rows, p.Cols); err != nil {
				var ue *UnsupportedError
				if errors.As(err, &ue) {
					ue.Syntax = f.Syntax
					return nil, ue
				}
				return nil, &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true, Msg: fmt.Sprintf("JPEG frame %d: %v", i, err)}
			}
		}
	case codecs[f.Syntax.UID] != nil:
		frames, err := f.frameData(pe, p.Frames)
		if err != nil {
			return nil, err
		}
		if err := checkRatio(pe, frames, n*bps, 1<<12); err != nil {
			return nil, err
		}
		if raw, err = decodeFrames(codecs[f.Syntax.UID], frames, p); err != nil {
			var ue *UnsupportedError
			if errors.As(err, &ue) {
				ue.Syntax = f.Syntax
				return nil, ue
			}
			return nil, &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true, Msg: err.Error()}
		}
	default:
		return nil, &UnsupportedError{Syntax: f.Syntax, Msg: "pixel data in this transfer syntax is not supported (supported: native, deflated, RLE Lossless, JPEG baseline/extended, JPEG lossless, JPEG-LS, JPEG 2000)"}
	}
	p.fill(raw, owned)
	return p, nil
}

// imageInfo reads and validates the image pixel module.
func (f *File) imageInfo() (*Pixels, error) {
	ds := f.DataSet
	req := func(t Tag) (int, error) {
		v, ok := ds.Int(t)
		if !ok {
			e, present := ds.Get(t)
			if !present {
				return 0, fmt.Errorf("dicom: required tag %v is missing", t)
			}
			return 0, &ParseError{Offset: e.Offset, Tag: t, HasTag: true, Msg: fmt.Sprintf("value %q is not a number", e.String())}
		}
		return v, nil
	}
	p := &Pixels{Frames: 1, RescaleSlope: 1}
	var err error
	if p.Rows, err = req(Rows); err != nil {
		return nil, err
	}
	if p.Cols, err = req(Columns); err != nil {
		return nil, err
	}
	if p.BitsAllocated, err = req(BitsAllocated); err != nil {
		return nil, err
	}
	p.BitsStored = p.BitsAllocated
	if v, ok := ds.Int(BitsStored); ok {
		p.BitsStored = v
	}
	if v, ok := ds.Int(PixelRepresentation); ok {
		p.Signed = v == 1
	}
	if v, ok := ds.Int(NumberOfFrames); ok {
		p.Frames = v
	}
	spp := 1
	if v, ok := ds.Int(SamplesPerPixel); ok {
		spp = v
	}
	p.Photometric = strings.TrimSpace(ds.String(PhotometricInterpretation))
	if v, ok := ds.Float(RescaleSlope); ok {
		p.RescaleSlope = v
	}
	if v, ok := ds.Float(RescaleIntercept); ok {
		p.RescaleIntercept = v
	}
	switch {
	case spp != 1:
		return nil, &UnsupportedError{Syntax: f.Syntax, Msg: fmt.Sprintf("SamplesPerPixel %d (only grayscale, 1, is supported)", spp)}
	case p.Photometric != "MONOCHROME1" && p.Photometric != "MONOCHROME2":
		return nil, &UnsupportedError{Syntax: f.Syntax, Msg: fmt.Sprintf("PhotometricInterpretation %q (only MONOCHROME1 and MONOCHROME2 are supported)", p.Photometric)}
	case p.BitsAllocated != 8 && p.BitsAllocated != 16:
		return nil, &UnsupportedError{Syntax: f.Syntax, Msg: fmt.Sprintf("BitsAllocated %d (only 8 and 16 are supported)", p.BitsAllocated)}
	case p.BitsStored < 1 || p.BitsStored > p.BitsAllocated:
		return nil, fmt.Errorf("dicom: BitsStored %d is outside 1..BitsAllocated (%d)", p.BitsStored, p.BitsAllocated)
	case p.Rows <= 0 || p.Cols <= 0 || p.Rows > 65535 || p.Cols > 65535:
		return nil, fmt.Errorf("dicom: image size %dx%d is outside 1..65535", p.Rows, p.Cols)
	case p.Frames <= 0 || p.Frames > 1<<24:
		return nil, fmt.Errorf("dicom: NumberOfFrames %d is outside 1..%d", p.Frames, 1<<24)
	}
	return p, nil
}

// checkRatio refuses compressed frames too small to decode to want bytes at
// the codec's largest expansion ratio (PackBits 64, Huffman-coded JPEG 256
// samples per byte), so forged sizes fail before the output is allocated.
func checkRatio(pe *Element, frames [][]byte, want, ratio int) error {
	total := int64(0)
	for _, f := range frames {
		total += int64(len(f))
	}
	if int64(want) > int64(ratio)*total+4096*int64(len(frames)) {
		return &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true,
			Msg: fmt.Sprintf("%d bytes of compressed data cannot decode to %d bytes of pixels", total, want)}
	}
	return nil
}

// swap16 returns a copy of b with the bytes of each 16-bit word swapped.
func swap16(b []byte) []byte {
	out := make([]byte, len(b))
	for i := 0; i+1 < len(b); i += 2 {
		out[i], out[i+1] = b[i+1], b[i]
	}
	return out
}

// fill converts raw little-endian stored values into the typed array,
// masking to BitsStored and sign-extending signed values. Owned raw 8-bit
// unsigned data is used in place.
func (p *Pixels) fill(raw []byte, owned bool) {
	n := p.Len()
	bs := uint(p.BitsStored)
	if owned && p.BitsAllocated == 8 && bs == 8 && !p.Signed {
		p.U8 = raw[:n:n]
		return
	}
	if p.BitsAllocated == 8 {
		mask := uint8(1<<bs - 1)
		if p.Signed {
			p.I8 = make([]int8, n)
			shift := 8 - bs
			for i := range p.I8 {
				p.I8[i] = int8(raw[i]<<shift) >> shift
			}
			return
		}
		p.U8 = make([]uint8, n)
		for i := range p.U8 {
			p.U8[i] = raw[i] & mask
		}
		return
	}
	if p.Signed {
		p.I16 = make([]int16, n)
		shift := 16 - bs
		for i := range p.I16 {
			p.I16[i] = int16(binary.LittleEndian.Uint16(raw[2*i:])<<shift) >> shift
		}
		return
	}
	mask := uint16(1<<bs - 1)
	p.U16 = make([]uint16, n)
	for i := range p.U16 {
		p.U16[i] = binary.LittleEndian.Uint16(raw[2*i:]) & mask
	}
}

// frameData returns the compressed bytes of each frame of encapsulated
// pixel data: one fragment per frame, fragments split by the basic offset
// table, or, for a single frame, all fragments joined.
func (f *File) frameData(pe *Element, frames int) ([][]byte, error) {
	frags := pe.Fragments
	if len(frags) == 0 {
		return nil, &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true, Msg: "encapsulated pixel data has no fragments"}
	}
	join := func(fs [][]byte) []byte {
		if len(fs) == 1 {
			return fs[0]
		}
		var out []byte
		for _, f := range fs {
			out = append(out, f...)
		}
		return out
	}
	switch {
	case frames == 1:
		return [][]byte{join(frags)}, nil
	case len(frags) == frames:
		return frags, nil
	case len(pe.OffsetTable) == frames:
		// Offsets count bytes from the first fragment's item tag; each
		// fragment adds an 8-byte item header.
		starts := make([]int, len(frags))
		pos := 0
		for i, fr := range frags {
			starts[i] = pos
			pos += 8 + len(fr)
		}
		out := make([][]byte, frames)
		fi := 0
		for k := range frames {
			begin := int(pe.OffsetTable[k])
			end := pos
			if k+1 < frames {
				end = int(pe.OffsetTable[k+1])
			}
			for fi < len(frags) && starts[fi] < begin {
				fi++
			}
			if fi >= len(frags) || starts[fi] != begin || end < begin {
				return nil, &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true, Msg: fmt.Sprintf("basic offset table entry %d (%d) does not start a fragment", k, begin)}
			}
			lo := fi
			for fi < len(frags) && starts[fi] < end {
				fi++
			}
			out[k] = join(frags[lo:fi])
		}
		return out, nil
	}
	return nil, &ParseError{Offset: pe.Offset, Tag: PixelData, HasTag: true,
		Msg: fmt.Sprintf("%d frames in %d fragments without a usable basic offset table (%d entries)", frames, len(frags), len(pe.OffsetTable))}
}
