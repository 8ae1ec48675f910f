package seg

import (
	"errors"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewUID(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		u, err := NewUID("", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(u, "2.25.") || len(u) > 64 {
			t.Fatalf("%q: not 2.25.<n> of at most 64 characters", u)
		}
		if err := checkUID(u); err != nil {
			t.Fatalf("%q: %v", u, err)
		}
		n, ok := new(big.Int).SetString(u[5:], 10)
		if !ok || n.BitLen() > 128 {
			t.Fatalf("%q: not a 128-bit integer", u)
		}
		b := n.FillBytes(make([]byte, 16))
		if b[6]>>4 != 4 || b[8]>>6 != 2 {
			t.Fatalf("%q: UUID version %d, variant %b; want 4 and 10", u, b[6]>>4, b[8]>>6)
		}
		if seen[u] {
			t.Fatalf("%q drawn twice", u)
		}
		seen[u] = true
	}
}

func TestNewUIDCustomRoot(t *testing.T) {
	root := "1.2.826.0.1.3680043.10.1234" // 27 characters: 36 digits left
	u, err := NewUID(root, seeded(3))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, root+".") || len(u) > 64 || checkUID(u) != nil {
		t.Fatalf("%q: not a valid UID under %s", u, root)
	}
	// The longest root that still leaves 20 digits.
	long := "1." + strings.Repeat("9", 41) // 43 characters
	if u, err := NewUID(long, nil); err != nil || len(u) > 64 {
		t.Fatalf("root of 43 characters: %q, %v", u, err)
	}
	if _, err := NewUID(long+"9", nil); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("root of 44 characters: %v", err)
	}
	if _, err := NewUID("2.25.", nil); err == nil {
		t.Fatal("root with a trailing dot accepted")
	}
	boom := errors.New("no entropy")
	if _, err := NewUID("", io.MultiReader(failReader{boom})); !errors.Is(err, boom) {
		t.Fatalf("failing randomness: %v", err)
	}
}

type failReader struct{ err error }

func (r failReader) Read([]byte) (int, error) { return 0, r.err }

func TestUIDFromName(t *testing.T) {
	a, err := UIDFromName("", "1.2.3|sha256:ab")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := UIDFromName("", "1.2.3|sha256:ab")
	c, _ := UIDFromName("", "1.2.3|sha256:ac")
	if a != b || a == c || checkUID(a) != nil {
		t.Fatalf("UIDFromName: %q %q %q", a, b, c)
	}
	n, _ := new(big.Int).SetString(a[5:], 10)
	if v := n.FillBytes(make([]byte, 16))[6] >> 4; v != 8 {
		t.Fatalf("%q: UUID version %d, want 8", a, v)
	}
}

func TestCheckUID(t *testing.T) {
	for u, ok := range map[string]bool{
		"1.2.3": true, "0.1": true, "2.25.0": true, "1.20.300": true,
		"": false, "1..2": false, ".1": false, "1.": false, "1.02": false, "1.2a": false, "1 .2": false,
		strings.Repeat("1", 64): true, strings.Repeat("1", 65): false,
	} {
		if err := checkUID(u); (err == nil) != ok {
			t.Errorf("checkUID(%q) = %v, want ok=%v", u, err, ok)
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.dcm")
	if err := WriteFile(p, func(w io.Writer) error { _, err := w.Write([]byte("hello")); return err }); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "hello" {
		t.Fatalf("read back %q, %v", b, err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	// A failed write leaves the old file as it was and no temporary file.
	boom := errors.New("encoder failed")
	if err := WriteFile(p, func(w io.Writer) error { w.Write([]byte("partial")); return boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "hello" {
		t.Fatalf("old file became %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("%d entries left in the directory, want 1", len(ents))
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir.dcm"), func(io.Writer) error { return nil }); err == nil {
		t.Fatal("missing directory: no error")
	}
}
