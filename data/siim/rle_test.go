package siim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// sharedDir returns the folder of real SIIM label files. Tests that need
// it fail in CI (CI=true) when it is missing and skip elsewhere.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data", "siim")
	if _, err := os.Stat(filepath.Join(dir, "stage_2_train_excerpt.csv")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real SIIM label files not found in %s (needed in CI): %v", dir, err)
		}
		t.Skipf("real SIIM label files not found in %s: %v", dir, err)
	}
	return dir
}

func TestDecodeRLEColumnMajor(t *testing.T) {
	// 3 rows x 4 columns. Flat k: row k%3, column k/3.
	m, err := DecodeRLE("1 2 3 1", 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	// Runs: k=1,2 (rows 1,2 of column 0), then cursor 3 + 3 = 6: k=6 (row 0, column 2).
	want := []uint8{
		0, 0, 1, 0,
		1, 0, 0, 0,
		1, 0, 0, 0,
	}
	for i, p := range m.Pix {
		if p != want[i] {
			t.Fatalf("pixel %d = %d, want %d (mask %v)", i, p, want[i], m.Pix)
		}
	}
	if got := EncodeRLE(m); got != "1 2 3 1" {
		t.Errorf("EncodeRLE = %q, want %q", got, "1 2 3 1")
	}
	if got := EncodeRLEAbsolute(m); got != "2 2 7 1" {
		t.Errorf("EncodeRLEAbsolute = %q, want %q", got, "2 2 7 1")
	}
	a, err := DecodeRLEAbsolute("7 1 2 2", 3, 4)
	if err != nil || !a.Equal(m) {
		t.Errorf("DecodeRLEAbsolute(unordered) = %v, %v; want the same mask", a, err)
	}
}

func TestEncodeRLELastPixel(t *testing.T) {
	// The reference mask2rle drops a run that ends on the last pixel.
	m := NewMask(4, 4)
	m.Pix[15] = 1 // row 3, column 3: flat index 15
	m.Pix[11] = 1 // row 2, column 3: flat index 14
	if got := EncodeRLE(m); got != "14 2" {
		t.Fatalf("EncodeRLE = %q, want %q", got, "14 2")
	}
	full := NewMask(2, 3)
	for i := range full.Pix {
		full.Pix[i] = 1
	}
	if got := EncodeRLE(full); got != "0 6" {
		t.Errorf("EncodeRLE(full) = %q, want %q", got, "0 6")
	}
	if got := EncodeRLEAbsolute(full); got != "1 6" {
		t.Errorf("EncodeRLEAbsolute(full) = %q, want %q", got, "1 6")
	}
	if got := EncodeRLE(NewMask(5, 5)); got != "-1" {
		t.Errorf("EncodeRLE(empty) = %q, want -1", got)
	}
}

func TestDecodeRLEErrors(t *testing.T) {
	cases := []struct {
		in    string
		token int
		msg   string
	}{
		{"1 2 3", 0, "odd number"},
		{"1 -2", 2, "negative"},
		{"1 2 x 4", 3, "not an integer"},
		{"1 2.5", 2, "not an integer"},
		{"10 7", 2, "overflows"}, // 16 pixels: run 10..16
		{"10 2 5 1", 3, "past the image"},
		{"99999999999999999999 1", 1, "not an integer"},
		{"9223372036854775807 9223372036854775807", 1, "past the image"},
	}
	for _, c := range cases {
		_, err := DecodeRLE(c.in, 4, 4)
		var re *RLEError
		if !errors.As(err, &re) {
			t.Errorf("DecodeRLE(%q) error = %v, want *RLEError", c.in, err)
			continue
		}
		if re.Token != c.token || !strings.Contains(re.Msg, c.msg) {
			t.Errorf("DecodeRLE(%q) = token %d %q, want token %d containing %q", c.in, re.Token, re.Msg, c.token, c.msg)
		}
		if v := ValidateRLE(c.in, 4, 4); v == nil || v.Error() != err.Error() {
			t.Errorf("ValidateRLE(%q) = %v, want %v", c.in, v, err)
		}
	}
	if _, err := DecodeRLEAbsolute("0 1", 4, 4); err == nil {
		t.Error("DecodeRLEAbsolute accepted start 0")
	}
	if _, err := DecodeRLEAbsolute("16 2", 4, 4); err == nil {
		t.Error("DecodeRLEAbsolute accepted a run past the end")
	}
	// Exactly filling the image is fine.
	if m, err := DecodeRLE("10 6", 4, 4); err != nil || m.Count() != 6 {
		t.Errorf("DecodeRLE(\"10 6\") = %v, %v; want 6 pixels", m, err)
	}
}

func TestRLERandomRoundTrip(t *testing.T) {
	rng := tensor.NewRNG(7)
	for it := range 200 {
		h, w := 1+rng.IntN(20), 1+rng.IntN(20)
		m := NewMask(h, w)
		p := rng.Float64()
		for i := range m.Pix {
			if rng.Float64() < p {
				m.Pix[i] = 1
			}
		}
		s := EncodeRLE(m)
		got, err := DecodeRLE(s, h, w)
		if err != nil || !got.Equal(m) {
			t.Fatalf("case %d: relative round trip of %q failed: %v", it, s, err)
		}
		a := EncodeRLEAbsolute(m)
		got, err = DecodeRLEAbsolute(a, h, w)
		if err != nil || !got.Equal(m) {
			t.Fatalf("case %d: absolute round trip of %q failed: %v", it, a, err)
		}
	}
}

// The real stage-2 excerpt: every row re-encodes to exactly itself.
func TestRLERealRowsRoundTrip(t *testing.T) {
	dir := sharedDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "stage_2_train_excerpt.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	n, pos := 0, 0
	for _, line := range lines[1:] {
		_, rle, _ := strings.Cut(strings.TrimSpace(line), ",")
		m, err := DecodeRLE(rle, DefaultSize, DefaultSize)
		if err != nil {
			t.Fatalf("%s: %v", line[:40], err)
		}
		if got := EncodeRLE(m); got != rle {
			t.Fatalf("re-encoding differs:\n got %.80s\nwant %.80s", got, rle)
		}
		a, err := DecodeRLEAbsolute(EncodeRLEAbsolute(m), DefaultSize, DefaultSize)
		if err != nil || !a.Equal(m) {
			t.Fatalf("absolute round trip failed: %v", err)
		}
		n++
		if rle != "-1" {
			pos++
		}
	}
	if n != 315 {
		t.Errorf("checked %d rows, want 315", n)
	}
	t.Logf("%d rows (%d non-empty) re-encode to themselves", n, pos)
}
