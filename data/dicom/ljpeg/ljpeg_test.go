package ljpeg_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/ljpeg"
)

func checkImage(t *testing.T, img *ljpeg.Image, p llParams, want []int32) {
	t.Helper()
	if img.Rows != p.rows || img.Cols != p.cols || img.Components != p.comps || img.Precision != p.prec {
		t.Fatalf("image %dx%dx%d, %d bits; want %dx%dx%d, %d bits", img.Rows, img.Cols, img.Components, img.Precision, p.rows, p.cols, p.comps, p.prec)
	}
	if len(img.Pix) != len(want) {
		t.Fatalf("%d samples, want %d", len(img.Pix), len(want))
	}
	bad := 0
	for i := range want {
		if img.Pix[i] != want[i] {
			if bad < 5 {
				t.Errorf("sample %d (row %d, col %d, comp %d) = %d, want %d", i, i/p.comps/p.cols, i/p.comps%p.cols, i%p.comps, img.Pix[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d samples differ", bad, len(want))
	}
}

// TestLosslessRoundTrip decodes streams of every predictor, precisions 2 to
// 16, point transforms, restart intervals, fill bytes and component layouts
// written by the test encoder, and compares the samples that went in.
func TestLosslessRoundTrip(t *testing.T) {
	var cases []llParams
	for _, prec := range []int{2, 3, 7, 8, 9, 12, 15, 16} {
		for psv := 1; psv <= 7; psv++ {
			for _, pt := range []int{0, 1, prec - 1} {
				cases = append(cases, llParams{rows: 9, cols: 13, comps: 1, prec: prec, psv: psv, pt: pt})
			}
		}
	}
	for psv := 1; psv <= 7; psv++ {
		cases = append(cases,
			llParams{rows: 17, cols: 5, comps: 1, prec: 16, psv: psv, restart: 5},
			llParams{rows: 17, cols: 5, comps: 1, prec: 12, psv: psv, restart: 15, fill: true},
			llParams{rows: 6, cols: 7, comps: 3, prec: 8, psv: psv},
			llParams{rows: 6, cols: 7, comps: 3, prec: 16, psv: psv, restart: 14},
			llParams{rows: 6, cols: 7, comps: 2, prec: 10, psv: psv, pt: 2, separate: true, restart: 7, fill: true},
		)
	}
	cases = append(cases,
		llParams{rows: 1, cols: 1, comps: 1, prec: 8, psv: 1},
		llParams{rows: 1, cols: 40, comps: 1, prec: 16, psv: 7},
		llParams{rows: 40, cols: 1, comps: 1, prec: 16, psv: 4},
		llParams{rows: 5, cols: 5, comps: 4, prec: 16, psv: 6},
		llParams{rows: 3, cols: 4, comps: 1, prec: 8, psv: 1, noEOI: true},
	)
	for i, p := range cases {
		name := fmt.Sprintf("%d/P%d/SV%d/Pt%d/%dx%dx%d/ri%d", i, p.prec, p.psv, p.pt, p.rows, p.cols, p.comps, p.restart)
		t.Run(name, func(t *testing.T) {
			want := testPix(p.rows, p.cols, p.comps, p.prec, p.pt, uint32(i))
			data := encodeLossless(p, want)
			rows, cols, comps, prec, err := ljpeg.DecodeConfig(data)
			if err != nil || rows != p.rows || cols != p.cols || comps != p.comps || prec != p.prec {
				t.Fatalf("DecodeConfig = %d, %d, %d, %d, %v", rows, cols, comps, prec, err)
			}
			img, err := ljpeg.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, img, p, want)
		})
	}
}

// TestCategory16 checks the 16-bit difference 32768 (category 16, no
// additional bits; T.81 Table H.2).
func TestCategory16(t *testing.T) {
	p := llParams{rows: 2, cols: 4, comps: 1, prec: 16, psv: 1}
	want := []int32{0, 32768, 0, 65535, 32768, 0, 65535, 32767}
	img, err := ljpeg.Decode(encodeLossless(p, want))
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, img, p, want)
}

// TestTruncated cuts a valid stream at every length: each prefix decodes
// to an error that names a marker and offset, except the prefixes that
// only drop the EOI marker, which decode to the full image.
func TestTruncated(t *testing.T) {
	for _, p := range []llParams{
		{rows: 8, cols: 8, comps: 1, prec: 12, psv: 4, restart: 16},
		{rows: 4, cols: 6, comps: 3, prec: 8, psv: 1, separate: true},
	} {
		want := testPix(p.rows, p.cols, p.comps, p.prec, p.pt, 7)
		data := encodeLossless(p, want)
		for n := range len(data) {
			img, err := ljpeg.Decode(data[:n])
			if n >= len(data)-2 {
				if err != nil {
					t.Errorf("without EOI (%d of %d bytes): %v", n, len(data), err)
				} else {
					checkImage(t, img, p, want)
				}
				continue
			}
			var e *ljpeg.Error
			if !errors.As(err, &e) {
				t.Fatalf("%d of %d bytes: error %v, want an *ljpeg.Error", n, len(data), err)
			}
			if !strings.HasPrefix(err.Error(), "ljpeg: ") || e.Offset < 0 || e.Offset > n {
				t.Fatalf("%d of %d bytes: %v", n, len(data), err)
			}
		}
	}
}

// TestDCTBaseline decodes image/jpeg's baseline streams (the pixel values
// are checked against libjpeg on real files in TestRealFiles; here sizes
// that are not multiples of 8).
func TestDCTBaseline(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {7, 9}, {8, 8}, {17, 33}} {
		data := baselineJPEG(sz[0], sz[1])
		img, err := ljpeg.Decode(data)
		if err != nil {
			t.Fatalf("%v: %v", sz, err)
		}
		if img.Rows != sz[0] || img.Cols != sz[1] || img.Precision != 8 || img.Components != 1 {
			t.Fatalf("%v: got %dx%dx%d, %d bits", sz, img.Rows, img.Cols, img.Components, img.Precision)
		}
	}
}

// TestErrors checks that bad and unsupported streams give errors that name
// the marker and offset, and that huge headers are refused before any large
// allocation.
func TestErrors(t *testing.T) {
	p := llParams{rows: 4, cols: 4, comps: 1, prec: 8, psv: 1}
	good := encodeLossless(p, testPix(4, 4, 1, 8, 0, 1))
	sofAt := bytes.Index(good, []byte{0xFF, 0xC3})
	sosAt := bytes.Index(good, []byte{0xFF, 0xDA})
	dhtAt := bytes.Index(good, []byte{0xFF, 0xC4})
	patch := func(at int, b ...byte) []byte {
		out := bytes.Clone(good)
		copy(out[at:], b)
		return out
	}
	for _, c := range []struct {
		name        string
		data        []byte
		want        string
		unsupported bool
	}{
		{"empty", nil, "ljpeg: SOI at offset 0", false},
		{"not JPEG", []byte("DICM"), "ljpeg: SOI at offset 0", false},
		{"huge", patch(sofAt+5, 0xFF, 0xFF, 0xFF, 0xFF), fmt.Sprintf("ljpeg: SOF3 at offset %d: 65535x65535 image of 1 components has 4294836225 samples, more than the limit", sofAt), false},
		{"too big for the data", patch(sofAt+5, 0x10, 0x00, 0x10, 0x00), fmt.Sprintf("ljpeg: SOF3 at offset %d: 4096x4096 image of 1 components needs at least 2097152 bytes", sofAt), false},
		{"DNL height", patch(sofAt+5, 0, 0), fmt.Sprintf("ljpeg: SOF3 at offset %d: height 0", sofAt), true},
		{"precision 17", patch(sofAt+4, 17), fmt.Sprintf("ljpeg: SOF3 at offset %d: lossless precision 17", sofAt), false},
		{"progressive", patch(sofAt+1, 0xC2), fmt.Sprintf("ljpeg: SOF2 at offset %d: progressive", sofAt), true},
		{"arithmetic", patch(sofAt+1, 0xCB), fmt.Sprintf("ljpeg: SOF11 at offset %d", sofAt), true},
		{"predictor 0", patch(sosAt+7, 0), fmt.Sprintf("ljpeg: SOS at offset %d: lossless predictor selection value 0", sosAt), false},
		{"predictor 8", patch(sosAt+7, 8), fmt.Sprintf("ljpeg: SOS at offset %d: lossless predictor selection value 8", sosAt), false},
		{"missing table", patch(sosAt+6, 0x10), fmt.Sprintf("ljpeg: SOS at offset %d: component 1 uses undefined DC/lossless Huffman table 1", sosAt), false},
		{"unknown component", patch(sosAt+5, 9), fmt.Sprintf("ljpeg: SOS at offset %d: component 9 is not in the frame", sosAt), false},
		{"bad DHT", patch(dhtAt+5, 0xFF), fmt.Sprintf("ljpeg: DHT at offset %d", dhtAt), false},
		{"segment too long", patch(sofAt+2, 0xFF, 0xFF), fmt.Sprintf("ljpeg: SOF3 at offset %d: segment length 65535 passes the end", sofAt), false},
		{"scan before frame", append([]byte{0xFF, 0xD8}, good[sosAt:]...), "ljpeg: SOS at offset 2: scan before the frame header", false},
		{"no scan", append(bytes.Clone(good[:sosAt]), 0xFF, 0xD9), fmt.Sprintf("ljpeg: EOI at offset %d: codestream ends before a scan of component 1", sosAt), false},
		{"garbage between markers", append(bytes.Clone(good[:sofAt]), 0x12), fmt.Sprintf("ljpeg: marker at offset %d: expected a marker, found byte 0x12", sofAt), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ljpeg.Decode(c.data)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error %v, want prefix %q", err, c.want)
			}
			if errors.Is(err, ljpeg.ErrUnsupported) != c.unsupported {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v, want %v", !c.unsupported, c.unsupported)
			}
		})
	}
	// A forged header must not allocate: DecodeConfig and Decode of the
	// "huge" stream stay far below the image's size.
	huge := patch(sofAt+5, 0xFF, 0xFF, 0xFF, 0xFF)
	allocs := testing.AllocsPerRun(10, func() { ljpeg.Decode(huge) })
	if allocs > 20 {
		t.Errorf("Decode of a refused header made %v allocations", allocs)
	}
}

// TestCorruptCode checks that an undecodable Huffman code is an error
// naming the scan data, not a panic or a silent zero.
func TestCorruptCode(t *testing.T) {
	// A table with a single 1-bit code "0": a 1 bit cannot be decoded.
	data := []byte{0xFF, 0xD8,
		0xFF, 0xC4, 0, 20, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xFF, 0xC3, 0, 11, 8, 0, 1, 0, 8, 1, 1, 0x11, 0,
		0xFF, 0xDA, 0, 8, 1, 1, 0x00, 1, 0, 0,
		0x0F, 0xFF, 0x00, 0xFF, 0xD9}
	_, err := ljpeg.Decode(data)
	if err == nil || !strings.Contains(err.Error(), "scan data") {
		t.Fatalf("error %v, want a scan data error", err)
	}
	data[len(data)-5] = 0x00 // all zero codes: decodes to the initial prediction
	img, err := ljpeg.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range img.Pix {
		if v != 128 {
			t.Fatalf("samples %v, want 128", img.Pix)
		}
	}
}

// TestTruncatedDCT cuts DCT reference streams (12-bit; 8-bit with restart
// markers; three components) at every length: every prefix that loses
// entropy-coded data is an error; the others (that lose only EOI and the
// fill bytes before it) decode to the full image.
func TestTruncatedDCT(t *testing.T) {
	for _, name := range []string{"dcmtk_ext12_q85.jpg", "cjpeg_grey_rst2.jpg", "cjpeg_rgb444_rst3.jpg"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		full, err := ljpeg.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(data) {
			img, err := ljpeg.Decode(data[:n])
			if err == nil {
				if !bytes.Equal(bytes.TrimRight(data, "\xff\xd9"), bytes.TrimRight(data[:n], "\xff")) || !slices.Equal(img.Pix, full.Pix) {
					t.Errorf("%s, %d of %d bytes: no error", name, n, len(data))
				}
				continue
			}
			var e *ljpeg.Error
			if !errors.As(err, &e) {
				t.Fatalf("%s, %d of %d bytes: error %v, want an *ljpeg.Error", name, n, len(data), err)
			}
		}
	}
}

// TestUnsupportedLayouts checks the lossless layouts libjpeg refuses too.
func TestUnsupportedLayouts(t *testing.T) {
	p := llParams{rows: 4, cols: 6, comps: 1, prec: 8, psv: 1, restart: 4}
	_, err := ljpeg.Decode(encodeLossless(p, testPix(4, 6, 1, 8, 0, 1)))
	if !errors.Is(err, ljpeg.ErrUnsupported) || !strings.Contains(err.Error(), "ljpeg: DRI at offset") {
		t.Errorf("restart interval of 4 MCUs in 6-sample lines: %v", err)
	}
	p = llParams{rows: 4, cols: 6, comps: 2, prec: 8, psv: 1}
	data := encodeLossless(p, testPix(4, 6, 2, 8, 0, 1))
	sof := bytes.Index(data, []byte{0xFF, 0xC3})
	data[sof+11], data[sof+14] = 0x22, 0x22 // both components 2x2
	_, err = ljpeg.Decode(data)
	if !errors.Is(err, ljpeg.ErrUnsupported) || !strings.Contains(err.Error(), "ljpeg: SOS at offset") {
		t.Errorf("interleaved 2x2 lossless scan: %v", err)
	}
	data[sof+14] = 0x11 // 2x2 and 1x1: subsampled
	_, err = ljpeg.Decode(data)
	if !errors.Is(err, ljpeg.ErrUnsupported) || !strings.Contains(err.Error(), "different sampling factors") {
		t.Errorf("subsampled components: %v", err)
	}
}
