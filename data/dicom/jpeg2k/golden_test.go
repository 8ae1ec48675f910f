package jpeg2k_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/jpeg2k"
)

// golden is one line of testdata/streams.txt or testdata/dicom.txt
// (written by scripts/golden/jpeg2k_golden.py).
type golden struct {
	name                         string
	rows, cols, comps, precision int
	signed                       bool
	sha                          string // OpenJPEG's decode, int32 LE
	extra                        string // options (streams) or GDCM's sha (dicom)
}

func readGolden(t *testing.T, name string) []golden {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 scripts/golden/jpeg2k_golden.py)", err)
	}
	defer f.Close()
	var out []golden
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			if strings.HasPrefix(line, "# lungo jpeg2k golden") && !strings.Contains(line, " v1:") {
				t.Fatalf("%s: unknown version: %s", name, line)
			}
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 8 {
			t.Fatalf("%s: bad line %q", name, line)
		}
		var n [5]int
		for i := range n {
			if n[i], err = strconv.Atoi(fs[1+i]); err != nil {
				t.Fatalf("%s: bad line %q", name, line)
			}
		}
		out = append(out, golden{fs[0], n[0], n[1], n[2], n[3], n[4] == 1, fs[6], fs[7]})
	}
	if len(out) == 0 {
		t.Fatalf("%s: no entries", name)
	}
	return out
}

func sha32(pix []int32) string {
	b := make([]byte, 0, 4*len(pix))
	for _, v := range pix {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func checkGolden(t *testing.T, g golden, data []byte) {
	t.Helper()
	rows, cols, comps, prec, signed, err := jpeg2k.DecodeConfig(data)
	if err != nil {
		t.Fatalf("DecodeConfig: %v", err)
	}
	if rows != g.rows || cols != g.cols || comps != g.comps || prec != g.precision || signed != g.signed {
		t.Errorf("DecodeConfig: %dx%dx%d, %d bits, signed %v; want %dx%dx%d, %d bits, signed %v",
			rows, cols, comps, prec, signed, g.rows, g.cols, g.comps, g.precision, g.signed)
	}
	img, err := jpeg2k.Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if img.Rows != g.rows || img.Cols != g.cols || img.Components != g.comps || img.Precision != g.precision || img.Signed != g.signed {
		t.Fatalf("Decode: %dx%dx%d, %d bits, signed %v; want %dx%dx%d, %d bits, signed %v",
			img.Rows, img.Cols, img.Components, img.Precision, img.Signed, g.rows, g.cols, g.comps, g.precision, g.signed)
	}
	if got := sha32(img.Pix); got != g.sha {
		t.Errorf("sha256 %s, OpenJPEG decodes to %s", got, g.sha)
	}
}

// TestOpenJPEGStreams decodes the codestreams opj_compress made for each
// coding feature and compares with opj_decompress's decodes (all exact,
// 9/7 included).
func TestOpenJPEGStreams(t *testing.T) {
	for _, g := range readGolden(t, "streams.txt") {
		t.Run(g.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "streams", g.name))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, g, data)
		})
	}
}

// TestDICOMOpenJPEG compares the DICOM codestreams with OpenJPEG's decode,
// value for value (int32), besides the stored-value sha256 of
// TestDICOMFiles.
func TestDICOMOpenJPEG(t *testing.T) {
	for _, g := range readGolden(t, "dicom.txt") {
		t.Run(g.name, func(t *testing.T) {
			checkGolden(t, g, codestream(t, g.name))
		})
	}
}
