// Package golden reads the reference values that scripts under
// scripts/golden/ compute with PyTorch and store in testdata/*.gold.
//
// File format (little endian):
//
//	magic   "LUNGOGLD" (8 bytes)
//	version uint32 (= 1)
//	hint    uint32 length + UTF-8 text ("regenerate with ...")
//	count   uint32
//	count times:
//	    name  uint32 length + UTF-8 text
//	    ndim  uint32
//	    dims  ndim x int64
//	    data  prod(dims) x float32
//
// scripts/golden/goldfile.py writes it. go test never runs Python.
package golden

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/lungo-ml/lungo/tensor"
)

// Magic and Version identify a golden file.
const (
	Magic   = "LUNGOGLD"
	Version = 1
)

// File is a parsed golden file: named tensors in PyTorch's layouts.
type File struct {
	Hint    string
	Tensors map[string]*tensor.Tensor
	path    string
}

// Load reads a golden file.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, err := Read(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("golden: %s: %w", path, err)
	}
	g.path = path
	return g, nil
}

// Read parses a golden file from r.
func Read(r io.Reader) (*File, error) {
	var magic [8]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("reading magic: %w", err)
	}
	if string(magic[:]) != Magic {
		return nil, fmt.Errorf("bad magic %q", magic[:])
	}
	var u32 = func() (uint32, error) {
		var v uint32
		err := binary.Read(r, binary.LittleEndian, &v)
		return v, err
	}
	str := func() (string, error) {
		n, err := u32()
		if err != nil {
			return "", err
		}
		if n > 1<<20 {
			return "", fmt.Errorf("string of %d bytes", n)
		}
		b := make([]byte, n)
		_, err = io.ReadFull(r, b)
		return string(b), err
	}
	ver, err := u32()
	if err != nil {
		return nil, err
	}
	if ver != Version {
		return nil, fmt.Errorf("version %d, want %d", ver, Version)
	}
	g := &File{Tensors: map[string]*tensor.Tensor{}}
	if g.Hint, err = str(); err != nil {
		return nil, err
	}
	count, err := u32()
	if err != nil {
		return nil, err
	}
	for i := uint32(0); i < count; i++ {
		name, err := str()
		if err != nil {
			return nil, fmt.Errorf("tensor %d name: %w", i, err)
		}
		ndim, err := u32()
		if err != nil || ndim > 8 {
			return nil, fmt.Errorf("tensor %q: bad ndim %d (%v)", name, ndim, err)
		}
		dims := make([]int64, ndim)
		if err := binary.Read(r, binary.LittleEndian, dims); err != nil {
			return nil, fmt.Errorf("tensor %q dims: %w", name, err)
		}
		shape := make([]int, ndim)
		n := 1
		for j, d := range dims {
			if d < 0 || d > 1<<31 {
				return nil, fmt.Errorf("tensor %q: bad dim %d", name, d)
			}
			shape[j] = int(d)
			n *= int(d)
		}
		raw := make([]byte, 4*n)
		if _, err := io.ReadFull(r, raw); err != nil {
			return nil, fmt.Errorf("tensor %q data: %w", name, err)
		}
		data := make([]float32, n)
		for j := range data {
			data[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
		g.Tensors[name] = tensor.FromData(data, shape...)
	}
	return g, nil
}

// Names returns the tensor names, sorted.
func (g *File) Names() []string {
	names := make([]string, 0, len(g.Tensors))
	for k := range g.Tensors {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Get returns the named tensor or panics with a message naming the file and
// its regeneration hint; a missing golden is a broken test setup.
func (g *File) Get(name string) *tensor.Tensor {
	t, ok := g.Tensors[name]
	if !ok {
		panic(fmt.Sprintf("golden: %s has no tensor %q (%s)", g.path, name, g.Hint))
	}
	return t
}

// Scalar returns the single value of the named tensor.
func (g *File) Scalar(name string) float32 {
	t := g.Get(name)
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("golden: %s: %q has %d values, want 1", g.path, name, len(t.Data)))
	}
	return t.Data[0]
}

// TB is the subset of testing.TB used by Compare.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Compare reports a test error if got and want differ in shape or any element
// fails |got-want| <= atol + rtol*|want|.
func Compare(t TB, name string, got, want *tensor.Tensor, atol, rtol float64) {
	t.Helper()
	if !tensor.SameShape(got.Shape, want.Shape) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape, want.Shape)
		return
	}
	if i, d, ok := tensor.MaxDiff(got.Data, want.Data, atol, rtol); !ok {
		t.Errorf("%s: element %d = %g, want %g (|diff| %.3g > atol %.1g + rtol %.1g*|want|)", name, i, got.Data[i], want.Data[i], d, atol, rtol)
	}
}
