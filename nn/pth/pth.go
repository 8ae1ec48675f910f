package pth

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/lungo-ml/lungo/tensor"
)

// DType is the element type of a stored tensor.
type DType int

// Storage element types torch.save writes.
const (
	Float32 DType = iota
	Float64
	Float16
	BFloat16
	Int64
	Int32
	Int16
	Int8
	Uint8
	Bool
)

var dtypeNames = [...]string{"float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"}
var dtypeSizes = [...]int{4, 8, 2, 2, 8, 4, 2, 1, 1, 1}

func (d DType) String() string { return dtypeNames[d] }

// Size returns the bytes per element.
func (d DType) Size() int { return dtypeSizes[d] }

// IsInt reports whether d is an integer or bool type (num_batches_tracked is
// int64), whose values lungo keeps as float32.
func (d DType) IsInt() bool { return d >= Int64 }

// StateDict is a PyTorch state dict: tensors in file order, every one
// converted to a contiguous float32 tensor with its shape as saved (NCHW,
// OIHW: PyTorch's layouts, unchanged).
type StateDict struct {
	// Keys lists the tensor keys in the order of the file.
	Keys []string
	// Tensors maps a key to its values.
	Tensors map[string]*tensor.Tensor
	// DTypes maps a key to the dtype it was stored with; integer types
	// (DType.IsInt) mark buffers such as num_batches_tracked.
	DTypes map[string]DType
	// Prefix is the key under which a checkpoint nested the state dict
	// ("state_dict", "model", ...); empty for a bare state dict.
	Prefix string
	// Extra holds the other top-level entries of a checkpoint whose values
	// are plain numbers or strings ("epoch": 3); ints are int64, floats
	// float64.
	Extra map[string]any
}

// IsInt reports whether key was stored with an integer dtype.
func (sd *StateDict) IsInt(key string) bool { return sd.DTypes[key].IsInt() }

// Nested checkpoints hold the state dict under one of these keys, tried in
// order.
var nestedKeys = []string{"state_dict", "model", "model_state_dict", "net", "module", "weights"}

// The elements of all tensors together may number at most
// ElementsPerByte times the file's size in bytes plus ExtraElements. Views
// share storages, so without a bound a small hostile file could ask for
// unbounded memory (many stride-0 views); a plain state dict holds one
// element per 2-8 bytes of file, and files of overlapping views (as the
// tests use) stay far below the bound.
const (
	ElementsPerByte = 256
	ExtraElements   = 1 << 22
)

// Load reads a state dict written by torch.save (PyTorch >= 1.6 zip format)
// from the file at path.
func Load(path string) (*StateDict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pth: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("pth: %w", err)
	}
	sd, err := Read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("pth: %s: %w", path, err)
	}
	return sd, nil
}

// Parse reads a state dict from the bytes of a .pth file.
func Parse(b []byte) (*StateDict, error) {
	sd, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("pth: %w", err)
	}
	return sd, nil
}

// Read reads a state dict from a .pth file of size bytes at r. Errors name
// the zip entry or the data.pkl offset at fault.
func Read(r io.ReaderAt, size int64) (*StateDict, error) {
	var head [4]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if string(head[:2]) != "PK" {
		if head[0] == 0x80 {
			return nil, errors.New("legacy (pre-1.6, non-zip) torch.save format is not supported; re-save with torch.save(sd, path) from PyTorch >= 1.6")
		}
		return nil, fmt.Errorf("not a zip archive (starts with % x)", head)
	}
	z, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	files := map[string]*zip.File{}
	var pklName string
	for _, f := range z.File {
		files[f.Name] = f
		dir, base, ok := strings.Cut(f.Name, "/")
		if ok && base == "data.pkl" {
			if pklName != "" {
				return nil, fmt.Errorf("zip holds two pickles: %s and %s", pklName, f.Name)
			}
			pklName = f.Name
			_ = dir
		}
	}
	if pklName == "" {
		return nil, errors.New("zip holds no <folder>/data.pkl: not a torch.save file")
	}
	top := strings.TrimSuffix(pklName, "data.pkl")
	if f, ok := files[top+"byteorder"]; ok {
		b, err := readEntry(f, 16)
		if err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(string(b)); s != "little" {
			return nil, fmt.Errorf("%s: byte order %q not supported", f.Name, s)
		}
	}
	pkl, err := readEntry(files[pklName], 1<<30)
	if err != nil {
		return nil, err
	}
	l := &loader{files: files, top: top, storages: map[string]*storage{}, budget: ElementsPerByte*size + ExtraElements}
	u := &unpickler{data: pkl, persistentLoad: l.persistentLoad, rebuild: l.rebuild}
	obj, err := u.load()
	if err != nil {
		return nil, err
	}
	return l.stateDict(obj)
}

func readEntry(f *zip.File, limit uint64) ([]byte, error) {
	if f.UncompressedSize64 > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed", f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	if uint64(len(b)) != f.UncompressedSize64 {
		return nil, fmt.Errorf("%s: read %d bytes, header says %d", f.Name, len(b), f.UncompressedSize64)
	}
	return b, nil
}

// storageRef is a persistent id: ('storage', torch.XStorage, key, location, numel).
type storageRef struct {
	dtype DType
	key   string
	numel int
}

// storage is a storage's raw little-endian bytes, read once per key.
type storage struct {
	dtype DType
	raw   []byte
}

// tensorRef is a rebuilt tensor: already copied out of its storage.
type tensorRef struct {
	t     *tensor.Tensor
	dtype DType
}

type loader struct {
	files    map[string]*zip.File
	top      string
	storages map[string]*storage
	budget   int64 // elements the remaining tensors may allocate
}

func (l *loader) persistentLoad(pid any) (any, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) != 5 {
		return nil, fmt.Errorf("persistent id of type %s (len %d), want ('storage', type, key, location, numel)", typeName(pid), len(t))
	}
	if s, _ := t[0].(string); s != "storage" {
		return nil, fmt.Errorf("persistent id kind %v, want 'storage'", t[0])
	}
	g, ok := t[1].(*pyGlobal)
	if !ok || g.module != "torch" {
		return nil, fmt.Errorf("storage type %s, want a torch.*Storage", typeName(t[1]))
	}
	dt, ok := storageDTypes[g.name]
	if !ok {
		return nil, fmt.Errorf("storage type torch.%s not supported", g.name)
	}
	key, ok := t[2].(string)
	if !ok {
		return nil, fmt.Errorf("storage key of type %s, want str", typeName(t[2]))
	}
	n, ok := t[4].(int64)
	if !ok || n < 0 {
		return nil, fmt.Errorf("storage %s: numel %v, want a non-negative int", key, t[4])
	}
	return &storageRef{dtype: dt, key: key, numel: int(min(n, math.MaxInt32))}, nil
}

func (l *loader) storage(ref *storageRef) (*storage, error) {
	if s, ok := l.storages[ref.key]; ok {
		if s.dtype != ref.dtype {
			return nil, fmt.Errorf("storage %s used as %s and %s", ref.key, s.dtype, ref.dtype)
		}
		return s, nil
	}
	name := l.top + "data/" + ref.key
	f, ok := l.files[name]
	if !ok {
		return nil, fmt.Errorf("storage %s: zip entry %s missing", ref.key, name)
	}
	want := uint64(ref.numel) * uint64(ref.dtype.Size())
	if f.UncompressedSize64 < want {
		return nil, fmt.Errorf("%s: %d bytes, want %d (%d x %s)", name, f.UncompressedSize64, want, ref.numel, ref.dtype)
	}
	raw, err := readEntry(f, want)
	if err != nil {
		return nil, err
	}
	s := &storage{dtype: ref.dtype, raw: raw}
	l.storages[ref.key] = s
	return s, nil
}

func toInts(v any, what string) ([]int, error) {
	t, ok := v.(pyTuple)
	if !ok {
		// torch.Size pickles as a plain tuple; a list is also accepted.
		if l, isList := v.(*pyList); isList {
			t = l.items
		} else {
			return nil, fmt.Errorf("%s of type %s, want a tuple of ints", what, typeName(v))
		}
	}
	if len(t) > 16 {
		return nil, fmt.Errorf("%s has %d dims", what, len(t))
	}
	out := make([]int, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok || n < 0 || n > math.MaxInt32 {
			return nil, fmt.Errorf("%s[%d] = %v, want an int in [0, 2^31)", what, i, x)
		}
		out[i] = int(n)
	}
	return out, nil
}

// rebuild implements torch._utils._rebuild_tensor_v2 (storage, offset, size,
// stride, requires_grad, backward_hooks[, metadata]), _rebuild_tensor
// (storage, offset, size, stride) and _rebuild_parameter(_with_state)
// (data, requires_grad, backward_hooks[, state]).
func (l *loader) rebuild(fn string, args pyTuple) (any, error) {
	switch fn {
	case "_rebuild_parameter", "_rebuild_parameter_with_state":
		if len(args) < 3 {
			return nil, fmt.Errorf("%s with %d arguments, want >= 3", fn, len(args))
		}
		t, ok := args[0].(*tensorRef)
		if !ok {
			return nil, fmt.Errorf("%s of a %s, want a tensor", fn, typeName(args[0]))
		}
		return t, nil
	case "_rebuild_tensor_v2", "_rebuild_tensor":
	default:
		return nil, fmt.Errorf("torch._utils.%s is not allowed", fn)
	}
	if len(args) < 4 {
		return nil, fmt.Errorf("%s with %d arguments, want >= 4", fn, len(args))
	}
	ref, ok := args[0].(*storageRef)
	if !ok {
		return nil, fmt.Errorf("%s of a %s, want a storage", fn, typeName(args[0]))
	}
	off, ok := args[1].(int64)
	if !ok || off < 0 || off > math.MaxInt32 {
		return nil, fmt.Errorf("storage offset %v, want a non-negative int", args[1])
	}
	shape, err := toInts(args[2], "size")
	if err != nil {
		return nil, err
	}
	stride, err := toInts(args[3], "stride")
	if err != nil {
		return nil, err
	}
	if len(stride) != len(shape) {
		return nil, fmt.Errorf("size %v and stride %v differ in length", shape, stride)
	}
	numel := 1
	last := int(off) // largest storage index touched
	for i, d := range shape {
		if d == 0 {
			numel = 0
			break
		}
		if numel > int(l.budget)/d {
			return nil, fmt.Errorf("tensor of size %v is larger than the file allows", shape)
		}
		numel *= d
		last += (d - 1) * stride[i]
	}
	s, err := l.storage(ref)
	if err != nil {
		return nil, err
	}
	n := len(s.raw) / s.dtype.Size()
	if numel > 0 && last >= n {
		return nil, fmt.Errorf("storage %s: view (offset %d, size %v, stride %v) reaches element %d of %d", ref.key, off, shape, stride, last, n)
	}
	l.budget -= int64(numel)
	t := tensor.New(shape...)
	if numel > 0 {
		gather(t.Data, s, int(off), shape, stride)
	}
	return &tensorRef{t: t, dtype: s.dtype}, nil
}

// gather copies a strided view of s into dst in row-major order.
func gather(dst []float32, s *storage, off int, shape, stride []int) {
	idx := make([]int, len(shape))
	pos := off
	for i := range dst {
		dst[i] = s.at(pos)
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			pos += stride[d]
			if idx[d] < shape[d] {
				break
			}
			pos -= idx[d] * stride[d]
			idx[d] = 0
		}
	}
}

// at returns element i converted to float32.
func (s *storage) at(i int) float32 {
	b := s.raw
	switch s.dtype {
	case Float32:
		return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	case Float64:
		return float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
	case Float16:
		return halfToFloat(binary.LittleEndian.Uint16(b[2*i:]))
	case BFloat16:
		return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
	case Int64:
		return float32(int64(binary.LittleEndian.Uint64(b[8*i:])))
	case Int32:
		return float32(int32(binary.LittleEndian.Uint32(b[4*i:])))
	case Int16:
		return float32(int16(binary.LittleEndian.Uint16(b[2*i:])))
	case Int8:
		return float32(int8(b[i]))
	case Uint8:
		return float32(b[i])
	case Bool:
		if b[i] != 0 {
			return 1
		}
		return 0
	}
	panic("pth: unknown dtype")
}

// halfToFloat converts an IEEE 754 binary16 to float32 exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0:
		if frac == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: frac * 2^-24.
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// stateDict finds the dict of tensors in the unpickled object: the object
// itself or the value under one of nestedKeys.
func (l *loader) stateDict(obj any) (*StateDict, error) {
	d, ok := obj.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("pickle holds a %s, want a dict (a state dict or a checkpoint)", typeName(obj))
	}
	if hasTensors(d) {
		return collect(d, "")
	}
	for _, k := range nestedKeys {
		if v, ok := d.get(k); ok {
			if inner, ok := v.(*pyDict); ok && hasTensors(inner) {
				sd, err := collect(inner, k)
				if err != nil {
					return nil, err
				}
				for i, key := range d.keys {
					ks, _ := key.(string)
					switch v := d.vals[i].(type) {
					case int64, float64, string, bool:
						sd.Extra[ks] = v
					}
				}
				return sd, nil
			}
		}
	}
	keys := make([]string, 0, len(d.keys))
	for _, k := range d.keys {
		keys = append(keys, fmt.Sprint(k))
	}
	sort.Strings(keys)
	if len(keys) > 20 {
		keys = append(keys[:20], "...")
	}
	return nil, fmt.Errorf("no tensors at the top level nor under %v; top-level keys: %v", nestedKeys, keys)
}

func hasTensors(d *pyDict) bool {
	for _, v := range d.vals {
		if _, ok := v.(*tensorRef); ok {
			return true
		}
	}
	return false
}

// collect turns a dict whose tensor values are keyed by strings into a
// StateDict; plain scalar values go to Extra, anything else is an error.
func collect(d *pyDict, prefix string) (*StateDict, error) {
	sd := &StateDict{Tensors: map[string]*tensor.Tensor{}, DTypes: map[string]DType{}, Prefix: prefix, Extra: map[string]any{}}
	for i, k := range d.keys {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("state dict key %v of type %s, want str", k, typeName(k))
		}
		switch v := d.vals[i].(type) {
		case *tensorRef:
			sd.Keys = append(sd.Keys, key)
			sd.Tensors[key] = v.t
			sd.DTypes[key] = v.dtype
		case nil, bool, int64, float64, string:
			sd.Extra[key] = v
		default:
			return nil, fmt.Errorf("state dict entry %q holds a %s, want a tensor", key, typeName(v))
		}
	}
	return sd, nil
}
