package pth

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the reader: it must return a state dict
// or an error, never panic, and every tensor it returns must match its shape.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.pth")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := Parse(b)
		if err != nil {
			return
		}
		for _, k := range sd.Keys {
			x := sd.Tensors[k]
			n := 1
			for _, d := range x.Shape {
				n *= d
			}
			if n != len(x.Data) {
				t.Fatalf("%s: shape %v with %d values", k, x.Shape, len(x.Data))
			}
		}
	})
}
