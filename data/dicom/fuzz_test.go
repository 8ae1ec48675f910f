package dicom

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// corpusDir is FuzzParse's seed corpus. Regenerate it with
//
//	LUNGO_WRITE_FUZZ_CORPUS=1 go test ./data/dicom -run TestFuzzCorpus
//
// It holds the synthetic files of every syntax, a small written Secondary
// Capture, and the first 512 bytes of each shared real file (headers only;
// never whole files).
const corpusDir = "testdata/fuzz/FuzzParse"

func seedFiles(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	for name, b := range synthFiles(t) {
		seeds["synth_"+name] = b
	}
	var sc bytes.Buffer
	if err := WriteJPEGSecondaryCapture(&sc, testImage(16, 16), testMeta); err != nil {
		t.Fatal(err)
	}
	seeds["sc_16x16"] = sc.Bytes()
	seeds["native_u8_mono1"] = nativeFile(8, 8, false, "MONOCHROME1", []byte{0, 10, 200, 255}, 2, 2)
	seeds["native_i16_12bit"] = nativeFile(16, 12, true, "MONOCHROME1", us(littleEndian, 0x0800, 0x07FF, 0xFFFF), 1, 3)
	return seeds
}

func corpusEntry(b []byte) []byte {
	return []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b))))
}

func TestFuzzCorpus(t *testing.T) {
	seeds := seedFiles(t)
	if os.Getenv("LUNGO_WRITE_FUZZ_CORPUS") == "1" {
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
		real, _ := filepath.Glob(filepath.Join(sharedDir, "*.dcm"))
		for _, p := range real {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			seeds["prefix_"+filepath.Base(p)] = b[:min(len(b), 512)]
		}
		for name, b := range seeds {
			if err := os.WriteFile(filepath.Join(corpusDir, name), corpusEntry(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The committed corpus holds every synthetic seed as generated now.
	for name, b := range seeds {
		got, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			t.Fatalf("seed %s missing from %s (regenerate: see corpusDir): %v", name, corpusDir, err)
		}
		if !bytes.Equal(got, corpusEntry(b)) {
			t.Errorf("seed %s is stale (regenerate: see corpusDir)", name)
		}
	}
}

// FuzzParse checks that no input makes Parse or Pixels panic, and that
// decoded arrays stay bounded by the input size.
func FuzzParse(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// Bare data sets in each base encoding must not panic either.
		for _, ts := range []string{ImplicitVRLittleEndian, ExplicitVRBigEndian} {
			if len(in) > 132 {
				_, _ = ParseDataSet(in[132:], ts)
			}
		}
		file, err := Parse(in)
		if err != nil {
			return
		}
		_ = file.String(PatientID)
		p, err := file.Pixels()
		if err != nil {
			return
		}
		n := p.Len()
		if len(p.U8)+len(p.I8)+len(p.U16)+len(p.I16) != n {
			t.Fatalf("%d x %d x %d pixels, arrays of %d %d %d %d", p.Frames, p.Rows, p.Cols, len(p.U8), len(p.I8), len(p.U16), len(p.I16))
		}
		// Native data is bounded by the input, RLE by 64x, JPEG by 256x.
		if n > 256*len(in)+4096 {
			t.Fatalf("%d pixels from %d input bytes", n, len(in))
		}
		if d := p.Display(); len(d) != n {
			t.Fatalf("display has %d values, want %d", len(d), n)
		}
	})
}

// FuzzDecodeJPEG checks that the JPEG decoders never panic and return
// exactly rows*cols samples on success.
func FuzzDecodeJPEG(f *testing.F) {
	jpgs, _ := filepath.Glob("testdata/jpeg/*.jpg")
	for _, p := range jpgs {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var rows, cols uint16
		fmt.Sscanf(p[strings.LastIndexByte(p, '_')+1:], "%dx%d.jpg", &rows, &cols)
		f.Add(b, rows, cols)
	}
	f.Fuzz(func(t *testing.T, in []byte, rows, cols uint16) {
		out, err := decodeJPEG(nil, in, int(rows), int(cols))
		if err == nil && len(out) != int(rows)*int(cols) {
			t.Fatalf("%d samples for %dx%d", len(out), rows, cols)
		}
	})
}
