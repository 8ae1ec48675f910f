package jpeg2k_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/jpeg2k"
)

// TestDump decodes every .j2k/.jp2 file of $J2K_DUMP and writes each
// decode next to it as NAME.lungo.raw (int32 little-endian, components
// interleaved), for scripts/golden/jpeg2k_compare.py to diff against
// OpenJPEG. It does nothing unless J2K_DUMP is set.
func TestDump(t *testing.T) {
	dir := os.Getenv("J2K_DUMP")
	if dir == "" {
		t.Skip("J2K_DUMP not set")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".j2k") && !strings.HasSuffix(n, ".jp2") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg2k.Decode(data)
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		b := make([]byte, 0, 4*len(img.Pix))
		for _, v := range img.Pix {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		}
		if err := os.WriteFile(filepath.Join(dir, n+".lungo.raw"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
