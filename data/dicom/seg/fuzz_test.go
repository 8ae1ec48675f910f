package seg

import (
	"bytes"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
)

// FuzzReadMask feeds ReadFrames and ReadMask hostile files: they must never
// panic, and whatever they accept must be the pixel data's bits, frame
// after frame.
func FuzzReadMask(f *testing.F) {
	for i, sz := range [][2]int{{1, 1}, {3, 5}, {4, 4}, {7, 9}} {
		src := testSource(f, sz[0], sz[1], nil)
		mask := make([]uint8, sz[0]*sz[1])
		for j := range mask {
			mask[j] = uint8(j % (i + 2) % 2)
		}
		var buf bytes.Buffer
		if _, err := WriteSegmentation(&buf, src, mask, sz[0], sz[1], testOptions(uint64(i))); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:buf.Len()-1]) // truncated pixel data
	}
	var buf bytes.Buffer
	d := multiFrameSEG([][]uint8{{1, 0, 1}, {0, 1, 1}, {1, 1, 0}}, 1, 3, []string{"1.2", "1.2", "1.3"})
	if err := writePart10(&buf, SegmentationSOPClass, "1.2.3.4", d); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())

	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := dicom.Parse(b)
		if err != nil {
			return
		}
		rows, cols, frames, err := ReadFrames(file)
		if err != nil {
			return
		}
		px, _ := file.Get(dicom.PixelData)
		n := rows * cols
		if len(frames) == 0 || 8*len(px.Value) < n*len(frames) {
			t.Fatalf("%d frames of %dx%d from %d bytes", len(frames), rows, cols, len(px.Value))
		}
		for k, fr := range frames {
			if len(fr.Mask) != n {
				t.Fatalf("frame %d has %d pixels, want %d", k, len(fr.Mask), n)
			}
			for i, v := range fr.Mask {
				j := k*n + i
				if v != px.Value[j/8]>>(j%8)&1 {
					t.Fatalf("frame %d pixel %d = %d, not bit %d of the pixel data", k, i, v, j)
				}
			}
		}
		if _, _, m, err := ReadMask(file); err == nil && len(m) != n {
			t.Fatalf("ReadMask gave %d pixels, want %d", len(m), n)
		}
	})
}
