package jpeg2k

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// repack rewrites a codestream whose tiles each have one tile-part, moving
// the packet headers out of the tile-part bodies into PPT marker segments
// (ppm false) or one series of PPM segments in the main header (A.7.4,
// A.7.5). opj_compress writes neither, so this is how the tests get them.
func repack(t *testing.T, data []byte, ppm bool) []byte {
	t.Helper()
	cs, err := parse(data, false)
	if err != nil {
		t.Fatal(err)
	}
	rows, cols, err := cs.shape()
	if err != nil {
		t.Fatal(err)
	}
	img := &Image{Rows: rows, Cols: cols, Components: len(cs.z.comps), Pix: make([]int32, rows*cols*len(cs.z.comps))}
	d := newTileDecoder(cs, img)
	type split struct{ hdrs, bodies []byte }
	splits := make([]split, len(cs.tiles))
	for ti, td := range cs.tiles {
		if td == nil {
			continue
		}
		if len(td.parts) != 1 {
			t.Fatalf("tile %d has %d tile-parts", ti, len(td.parts))
		}
		body := td.parts[0]
		var sp split
		last := 0
		d.packetHook = func(hs, he, be int) {
			if hs != last {
				t.Fatalf("tile %d: packet at %d after %d (SOP?)", ti, hs, last)
			}
			sp.hdrs = append(sp.hdrs, body[hs:he]...)
			sp.bodies = append(sp.bodies, body[he:be]...)
			last = be
		}
		if err := d.decodeTile(ti); err != nil {
			t.Fatal(err)
		}
		splits[ti] = sp
	}
	// Main header: up to the first SOT.
	firstSOT := cs.tiles[cs.tpOrder[0]].offs[0]
	for firstSOT >= 2 && !(data[firstSOT] == 0xFF && data[firstSOT+1] == 0x90) {
		firstSOT--
	}
	out := slices.Clone(data[:firstSOT])
	segment := func(dst []byte, marker uint16, z int, payload []byte) []byte {
		dst = binary.BigEndian.AppendUint16(dst, marker)
		dst = binary.BigEndian.AppendUint16(dst, uint16(3+len(payload)))
		dst = append(dst, byte(z))
		return append(dst, payload...)
	}
	const chunk = 60000
	if ppm {
		var all []byte
		for _, ti := range cs.tpOrder {
			all = binary.BigEndian.AppendUint32(all, uint32(len(splits[ti].hdrs)))
			all = append(all, splits[ti].hdrs...)
		}
		for z := 0; len(all) > 0; z++ {
			n := min(chunk, len(all))
			out = segment(out, mPPM, z, all[:n])
			all = all[n:]
		}
	}
	for _, ti := range cs.tpOrder {
		td := cs.tiles[ti]
		// the tile-part header: from its SOT to its SOD
		bodyOff := td.offs[0]
		sot := bodyOff - 2
		for !(data[sot] == 0xFF && data[sot+1] == 0x90 && binary.BigEndian.Uint16(data[sot+4:]) == uint16(ti)) {
			sot--
		}
		hdr := slices.Clone(data[sot : bodyOff-2]) // SOT ... up to SOD
		if !ppm {
			h := splits[ti].hdrs
			for z := 0; len(h) > 0; z++ {
				n := min(chunk, len(h))
				hdr = segment(hdr, mPPT, z, h[:n])
				h = h[n:]
			}
		}
		hdr = append(hdr, 0xFF, 0x93)
		hdr = append(hdr, splits[ti].bodies...)
		binary.BigEndian.PutUint32(hdr[6:], uint32(len(hdr)))
		out = append(out, hdr...)
	}
	return append(out, 0xFF, 0xD9)
}

// TestPackedHeaders decodes streams with their packet headers moved to PPT
// and PPM segments and expects the same image.
func TestPackedHeaders(t *testing.T) {
	for _, name := range []string{"lossless_g12.j2k", "tiles.j2k", "layers.j2k", "order_rgb_rpcl.j2k",
		"order_cprl.j2k", "mode_all.j2k", "i97_tiles.j2k", "poc.j2k", "roi.j2k"} {
		data, err := os.ReadFile(filepath.Join("testdata", "streams", name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, ppm := range []bool{false, true} {
			re := repack(t, data, ppm)
			cs, err := parse(re, false)
			if err != nil {
				t.Fatal(err)
			}
			for ti, td := range cs.tiles {
				if td != nil && td.hasPPM != ppm || td != nil && (len(td.ppt) > 0) == ppm {
					t.Fatalf("%s (ppm %v): tile %d not repacked", name, ppm, ti)
				}
			}
			got, err := Decode(re)
			if err != nil {
				t.Fatalf("%s (ppm %v): %v", name, ppm, err)
			}
			if !slices.Equal(got.Pix, want.Pix) {
				t.Errorf("%s (ppm %v): decode differs", name, ppm)
			}
		}
	}
}
