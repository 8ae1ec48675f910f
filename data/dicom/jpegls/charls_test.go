package jpegls_test

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

	"github.com/lungo-ml/lungo/data/dicom/jpegls"
)

// pixSHA returns the sha256 of img.Pix as uint16 little endian, the layout
// of scripts/golden/jpegls_charls.c's decoded files.
func pixSHA(img *jpegls.Image) string {
	b := make([]byte, 0, 2*len(img.Pix))
	for _, v := range img.Pix {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// manifest reads a golden manifest: one case a line, fields separated by
// spaces, '#' comments.
func manifest(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (regenerate with scripts/golden/jpegls.sh)", err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Fields(line))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestCharLS decodes streams written by CharLS (scripts/golden/jpegls.sh):
// bit depths 2-16, NEAR 0-255, LSE preset parameters, the three interleave
// modes with 1-4 components, one-sample-wide images and long runs; each
// must give CharLS's own decode exactly.
func TestCharLS(t *testing.T) {
	rows := manifest(t, "testdata/charls.txt")
	if len(rows) < 25 {
		t.Fatalf("testdata/charls.txt has %d cases", len(rows))
	}
	for _, r := range rows {
		if len(r) != 13 {
			t.Fatalf("bad manifest line %q", r)
		}
		name := r[0]
		var n [11]int
		for i := range n {
			v, err := strconv.Atoi(r[1+i])
			if err != nil {
				t.Fatalf("bad manifest line %q", r)
			}
			n[i] = v
		}
		w, h, bits, nc, ilv, near := n[0], n[1], n[2], n[3], n[4], n[5]
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "charls", name+".jls"))
			if err != nil {
				t.Fatal(err)
			}
			gr, gc, gn, gp, err := jpegls.DecodeConfig(data)
			if err != nil {
				t.Fatal(err)
			}
			if gr != h || gc != w || gn != nc || gp != bits {
				t.Fatalf("DecodeConfig: %dx%dx%d P=%d, want %dx%dx%d P=%d", gr, gc, gn, gp, h, w, nc, bits)
			}
			img, err := jpegls.Decode(data)
			if err != nil {
				t.Fatalf("ilv %d near %d: %v", ilv, near, err)
			}
			if img.Rows != h || img.Cols != w || img.Components != nc || img.Precision != bits || len(img.Pix) != w*h*nc {
				t.Fatalf("Decode: %dx%dx%d P=%d with %d values", img.Rows, img.Cols, img.Components, img.Precision, len(img.Pix))
			}
			if got := pixSHA(img); got != r[12] {
				t.Errorf("ilv %d near %d: sha256 %s, CharLS %s", ilv, near, got, r[12])
			}
		})
	}
}
