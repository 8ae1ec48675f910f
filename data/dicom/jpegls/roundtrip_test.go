package jpegls_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/jpegls"
)

// checkRoundTrip encodes pix with the test encoder and checks that Decode
// gives the encoder's reconstruction exactly, within NEAR of the input.
func checkRoundTrip(t *testing.T, pix []int, rows, cols, nc int, o encOpts) {
	t.Helper()
	stream, recon := encodeJLS(pix, rows, cols, nc, o)
	img, err := jpegls.Decode(stream)
	if err != nil {
		t.Fatalf("%+v: %v", o, err)
	}
	if img.Rows != rows || img.Cols != cols || img.Components != nc || img.Precision != o.bits {
		t.Fatalf("%+v: got %dx%dx%d P=%d", o, img.Rows, img.Cols, img.Components, img.Precision)
	}
	for i, v := range img.Pix {
		if int(v) != recon[i] {
			t.Fatalf("%+v: value %d (row %d col %d comp %d) is %d, encoder reconstructed %d", o, i, i/nc/cols, i/nc%cols, i%nc, v, recon[i])
		}
		if abs(recon[i]-pix[i]) > o.near {
			t.Fatalf("%+v: value %d: reconstructed %d from %d, NEAR %d", o, i, recon[i], pix[i], o.near)
		}
	}
}

// TestRoundTrip covers bit depths, NEAR, interleave modes, component
// counts, restart intervals and odd sizes (1x1, one row, one column).
func TestRoundTrip(t *testing.T) {
	layouts := []struct{ nc, ilv int }{{1, 0}, {3, 0}, {3, 1}, {3, 2}, {2, 2}, {4, 1}}
	sizes := [][2]int{{1, 1}, {1, 9}, {9, 1}, {7, 13}, {24, 17}}
	seed := uint64(1)
	for _, bits := range []int{2, 3, 5, 8, 10, 12, 16} {
		maxval := 1<<bits - 1
		for _, near := range []int{0, 1, 3} {
			if near > maxval/2 {
				continue
			}
			for _, l := range layouts {
				for _, restart := range []int{0, 1, 3} {
					for _, sz := range sizes {
						seed++
						pix := testImage(sz[0], sz[1], l.nc, maxval, seed)
						checkRoundTrip(t, pix, sz[0], sz[1], l.nc, encOpts{bits: bits, near: near, ilv: l.ilv, restart: restart})
					}
				}
			}
		}
	}
}

// TestLarge16 covers the tabulated gradient quantizer for 16 bits (scans
// of at least 2*MAXVAL+1 samples), lossless and near-lossless.
func TestLarge16(t *testing.T) {
	for _, near := range []int{0, 5} {
		pix := smoothImage(260, 520, 65535)
		for i := range pix {
			if i%7 == 0 {
				pix[i] = (pix[i] * 31) % 65536
			}
		}
		checkRoundTrip(t, pix, 260, 520, 1, encOpts{bits: 16, near: near, restart: 100})
	}
}

// TestPresets covers the LSE preset coding parameters (T.87 C.2.4.1.1):
// a MAXVAL below 2^P-1 (read as T.87 says), custom thresholds, small and
// large RESET, explicit defaults, and 3- and 4-byte DRI.
func TestPresets(t *testing.T) {
	cases := []encOpts{
		{bits: 12, maxval: 3000, lse: true},
		{bits: 12, maxval: 3000, near: 2, lse: true},
		{bits: 8, maxval: 100, lse: true},
		{bits: 8, maxval: 1, lse: true},
		{bits: 16, maxval: 1000, reset: 5, lse: true},
		{bits: 12, t1: 10, t2: 40, t3: 200, reset: 32, lse: true},
		{bits: 8, near: 2, t1: 9, t2: 20, t3: 50, reset: 100, lse: true},
		{bits: 8, reset: 3, lse: true},
		{bits: 16, reset: 65535, lse: true},
		{bits: 16, maxval: 65535, t1: 18, t2: 67, t3: 276, reset: 64, lse: true}, // dcmtk's explicit defaults
		{bits: 8, restart: 2, driBytes: 3},
		{bits: 8, restart: 5, driBytes: 4, ilv: 1},
		{bits: 7, near: 1, t1: 2, t2: 3, t3: 4, lse: true},
		{bits: 2, lse: true, maxval: 2, t1: 1, t2: 1, t3: 1},
	}
	for i, o := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			maxval := 1<<o.bits - 1
			if o.maxval != 0 {
				maxval = o.maxval
			}
			nc := 1
			if o.ilv != 0 {
				nc = 3
			}
			pix := testImage(23, 31, nc, maxval, uint64(100+i))
			checkRoundTrip(t, pix, 23, 31, nc, o)
		})
	}
}

// restartCases are the restart-interval streams that CharLS decodes in
// scripts/golden/jpegls.sh (testdata/restart.txt holds its values).
var restartCases = []struct {
	name           string
	rows, cols, nc int
	o              encOpts
}{
	{"gray8_ri1", 20, 33, 1, encOpts{bits: 8, restart: 1}},
	{"gray16_near2_ri3", 17, 29, 1, encOpts{bits: 16, near: 2, restart: 3}},
	{"gray12_ri7", 40, 21, 1, encOpts{bits: 12, restart: 7}},
	{"rgb8_none_ri4", 18, 25, 3, encOpts{bits: 8, ilv: 0, restart: 4}},
	{"rgb8_line_ri2", 18, 25, 3, encOpts{bits: 8, ilv: 1, restart: 2}},
	{"rgb8_sample_ri5", 18, 25, 3, encOpts{bits: 8, ilv: 2, restart: 5}},
	{"rgb10_sample_near1_ri3", 13, 25, 3, encOpts{bits: 10, ilv: 2, near: 1, restart: 3}},
}

func restartStream(i int) ([]byte, []int) {
	c := restartCases[i]
	pix := testImage(c.rows, c.cols, c.nc, 1<<c.o.bits-1, uint64(1000+i))
	return encodeJLS(pix, c.rows, c.cols, c.nc, c.o)
}

// TestWriteRestartStreams writes testdata/restart/*.jls when
// LUNGO_JPEGLS_WRITE=1 (scripts/golden/jpegls.sh runs it).
func TestWriteRestartStreams(t *testing.T) {
	if os.Getenv("LUNGO_JPEGLS_WRITE") != "1" {
		t.Skip("set LUNGO_JPEGLS_WRITE=1 to rewrite testdata/restart")
	}
	if err := os.MkdirAll("testdata/restart", 0o755); err != nil {
		t.Fatal(err)
	}
	for i, c := range restartCases {
		s, _ := restartStream(i)
		if err := os.WriteFile(filepath.Join("testdata", "restart", c.name+".jls"), s, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRestartCharLS decodes the restart-interval streams to CharLS's values
// (and to the test encoder's).
func TestRestartCharLS(t *testing.T) {
	want := map[string]string{}
	for _, r := range manifest(t, "testdata/restart.txt") {
		want[r[0]] = r[1]
	}
	for i, c := range restartCases {
		t.Run(c.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "restart", c.name+".jls"))
			if err != nil {
				t.Fatalf("%v (regenerate with scripts/golden/jpegls.sh)", err)
			}
			img, err := jpegls.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if got := pixSHA(img); got != want[c.name] {
				t.Errorf("sha256 %s, CharLS %s", got, want[c.name])
			}
			_, recon := restartStream(i)
			for j, v := range img.Pix {
				if int(v) != recon[j] {
					t.Fatalf("value %d is %d, encoder reconstructed %d", j, v, recon[j])
				}
			}
		})
	}
}

// TestRestartMarkerErrors checks that a missing or misnumbered RSTm is an
// error naming the marker and offset.
func TestRestartMarkerErrors(t *testing.T) {
	s, _ := restartStream(0)
	for i := 0; i+1 < len(s); i++ {
		if s[i] == 0xFF && s[i+1] == 0xD1 { // RST1 -> RST2
			bad := append([]byte(nil), s...)
			bad[i+1] = 0xD2
			_, err := jpegls.Decode(bad)
			var fe *jpegls.FormatError
			if !errors.As(err, &fe) || fe.Marker != "RST1" || fe.Offset != i {
				t.Fatalf("misnumbered RST: got %v, want a FormatError for RST1 at offset %d", err, i)
			}
			t.Log(err)
			return
		}
	}
	t.Fatal("no RST1 in the stream")
}
