package dicom

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"
)

// storedSHA256 hashes p's stored values as ../shared/data/README.md does:
// little-endian, at BitsAllocated, C order.
func storedSHA256(p *Pixels) string {
	h := sha256.New()
	var b []byte
	switch {
	case p.U8 != nil:
		b = p.U8
	case p.I8 != nil:
		for _, v := range p.I8 {
			b = append(b, byte(v))
		}
	case p.U16 != nil:
		for _, v := range p.U16 {
			b = binary.LittleEndian.AppendUint16(b, v)
		}
	case p.I16 != nil:
		for _, v := range p.I16 {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// TestCompressedSyntaxes: every compressed greyscale file of
// ../shared/data/dicom decodes through Pixels to GDCM's stored values
// (sha256 from the data README): JPEG lossless, 12-bit JPEG extended,
// JPEG-LS lossless and near-lossless, JPEG 2000 reversible and
// irreversible. Colour is a clear UnsupportedError.
func TestCompressedSyntaxes(t *testing.T) {
	for _, c := range []struct{ file, sha string }{
		{"JPEG-LL.dcm", "a6e9d32143339d3f5748b5520aa4e6c6ffb3550b6f71fdf17bdb2ebb44bc2611"},
		{"JPGLosslessP14SV1_1s_1f_8b.dcm", "36e27e4f1e87a7d50407463323ddc3736736ecff35eb4e4a4c1b74646938835d"},
		{"JPGExtended.dcm", "d30242775a414c01d616447854ebe3f2b20259822894bcd6891f879bcdcbf313"},
		{"MR_small_jpeg_ls_lossless.dcm", "88617aaa46138fb1b6e2a951e762d962382354d69f47f8c04d4abff2f6a6a63e"},
		{"JLSL_08_07_0_1F.dcm", "210dc401f95db43be537b01d15cd4ad5d3d3016ec415a98ac93dd5bd8e5c8393"},
		{"JPEGLSNearLossless_16.dcm", "f929318278115ce952d85c011f752634e266720680e807bd03bf97ded3f0d3e4"},
		{"MR_small_jp2klossless.dcm", "88617aaa46138fb1b6e2a951e762d962382354d69f47f8c04d4abff2f6a6a63e"},
		{"MR2_J2KR.dcm", "7d1a676f3c012d0ca9d4fb9069c5dcca2b0bac014173dba48f0e32b9b49198b3"},
		{"JPEG2000.dcm", "0b1224a6dcd0dcebb1ae6966270b620a8aecc3e20d7fe5b01504e574e1814ac6"},
		{"693_J2KI.dcm", "f249f833d5e3cbc361b4ced94aeeb8db7fc7376087b9f395a2ccf2f6f3059268"},
		{"RG1_J2KI.dcm", "88aa9135b12d8582316d1db5c45b4c2c55dd1da74c3c52a80a7be49f145c7149"},
	} {
		f, err := ReadFile(sharedFile(t, c.file))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		p, err := f.Pixels()
		if err != nil {
			t.Errorf("%s (%s): %v", c.file, f.Syntax, err)
			continue
		}
		if got := storedSHA256(p); got != c.sha {
			t.Errorf("%s (%s): stored values sha256 %s, GDCM's %s", c.file, f.Syntax.UID, got, c.sha)
		}
		if _, err := f.Gray8(); err != nil {
			t.Errorf("%s: no display image: %v", c.file, err)
		}
	}
	f, err := ReadFile(sharedFile(t, "US1_J2KR.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Pixels()
	var ue *UnsupportedError
	if !errors.As(err, &ue) {
		t.Errorf("colour JPEG 2000: err %v, want an UnsupportedError", err)
	}
}
