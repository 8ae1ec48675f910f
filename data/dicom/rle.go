package dicom

import (
	"encoding/binary"
	"fmt"
)

// decodeRLE decodes one RLE Lossless frame (PS3.5 Annex G) of a grayscale
// image with npix pixels of bps bytes each, appending the little-endian
// stored values to dst. The frame starts with a 64-byte header: the segment
// count (bps segments, most significant byte plane first) and 15 segment
// offsets; each segment is a PackBits stream of npix bytes.
func decodeRLE(dst, frame []byte, npix, bps int) ([]byte, error) {
	if len(frame) < 64 {
		return dst, fmt.Errorf("frame is %d bytes, shorter than the 64-byte RLE header", len(frame))
	}
	nseg := int(binary.LittleEndian.Uint32(frame))
	if nseg != bps {
		return dst, fmt.Errorf("RLE header has %d segments, %d expected (1 sample of %d bytes)", nseg, bps, bps)
	}
	// PackBits expands at most 128 bytes per 2 input bytes.
	if int64(npix) > 64*int64(len(frame))+128 {
		return dst, fmt.Errorf("%d bytes cannot hold %d pixels", len(frame), npix)
	}
	base := len(dst)
	for range npix * bps {
		dst = append(dst, 0)
	}
	out := dst[base:]
	plane := make([]byte, npix)
	for s := range nseg {
		start := int(binary.LittleEndian.Uint32(frame[4+4*s:]))
		end := len(frame)
		if s+1 < nseg {
			end = int(binary.LittleEndian.Uint32(frame[8+4*s:]))
		}
		if start < 64 || end > len(frame) || start > end {
			return dst, fmt.Errorf("segment %d spans bytes %d..%d of a %d-byte frame", s, start, end, len(frame))
		}
		if err := unpackBits(plane, frame[start:end]); err != nil {
			return dst, fmt.Errorf("segment %d: %v", s, err)
		}
		// Segment 0 is the most significant byte; stored little endian.
		byteIdx := bps - 1 - s
		for i, v := range plane {
			out[i*bps+byteIdx] = v
		}
	}
	return dst, nil
}

// unpackBits decodes a PackBits segment into dst, which it must fill
// exactly (a trailing pad byte after the last run is allowed).
func unpackBits(dst, src []byte) error {
	o := 0
	i := 0
	for o < len(dst) {
		if i >= len(src) {
			return fmt.Errorf("decodes to %d bytes, %d expected", o, len(dst))
		}
		n := int(int8(src[i]))
		i++
		switch {
		case n >= 0:
			cnt := n + 1
			if i+cnt > len(src) {
				return fmt.Errorf("literal run of %d bytes at byte %d passes the end (%d bytes)", cnt, i-1, len(src))
			}
			if o+cnt > len(dst) {
				return fmt.Errorf("decodes to more than %d bytes", len(dst))
			}
			copy(dst[o:], src[i:i+cnt])
			i += cnt
			o += cnt
		case n == -128:
			// no-op
		default:
			cnt := 1 - n
			if i >= len(src) {
				return fmt.Errorf("replicate run at byte %d lacks its value", i-1)
			}
			if o+cnt > len(dst) {
				return fmt.Errorf("decodes to more than %d bytes", len(dst))
			}
			v := src[i]
			i++
			for k := range cnt {
				dst[o+k] = v
			}
			o += cnt
		}
	}
	return nil
}
