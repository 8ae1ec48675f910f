package nn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/lungo-ml/lungo/tensor"
)

// Safetensors files (https://huggingface.co/docs/safetensors) are:
//
//	8 bytes    N, the header length (little-endian uint64)
//	N bytes    JSON header: {"<key>": {"dtype": "F32", "shape": [..],
//	           "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}
//	the rest   the data section; offsets are relative to its start
//
// lungo writes F32 (or BF16/F16: WriteSafetensorsAs; I64 for Int64 entries), the header padded with spaces to
// a multiple of 8 bytes, tensors in state-dict order; it reads F32, F64, F16,
// BF16, I64 and I32 and converts them to float32 (integer dtypes set Int64).
// Like the reference implementation, the reader requires the tensors to
// tile the data section exactly (no gaps, no overlaps).

// safetensorsMaxHeader bounds the JSON header (the reference allows 100 MB).
const safetensorsMaxHeader = 100 << 20

// SaveSafetensors writes sd and metadata (may be nil) to path atomically:
// it writes a temporary file in the same directory, syncs it and renames it
// over path, so a crash never leaves a partial file under path.
func SaveSafetensors(path string, sd *StateDict, metadata map[string]string) error {
	return SaveSafetensorsAs(path, sd, metadata, F32)
}

// SaveSafetensorsAs is SaveSafetensors storing floating-point tensors as dt.
func SaveSafetensorsAs(path string, sd *StateDict, metadata map[string]string, dt DType) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("nn: saving %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("nn: saving %s: %w", path, err)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if err = WriteSafetensorsAs(w, sd, metadata, dt); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Persist the rename itself; not every platform can sync a directory.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// safetensorsEntry is one tensor's header record.
type safetensorsEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// WriteSafetensors writes sd and metadata in the safetensors format to w.
func WriteSafetensors(w io.Writer, sd *StateDict, metadata map[string]string) error {
	return WriteSafetensorsAs(w, sd, metadata, F32)
}

// WriteSafetensorsAs writes sd and metadata in the safetensors format to w,
// floating-point tensors as dt (Int64 entries stay I64). Nothing is written
// when a value does not fit dt (see DType.Encode).
func WriteSafetensorsAs(w io.Writer, sd *StateDict, metadata map[string]string, dt DType) error {
	size := dt.Size()
	if size == 0 {
		return fmt.Errorf("nn: safetensors: cannot write dtype %q (want F32, BF16 or F16)", string(dt))
	}
	// Check every value before the first byte goes out.
	for _, k := range sd.Keys {
		if !sd.Int64[k] {
			if err := dt.check(sd.Tensors[k].Data); err != nil {
				return fmt.Errorf("nn: safetensors: tensor %q: %w", k, err)
			}
		}
	}
	var hdr bytes.Buffer
	hdr.WriteByte('{')
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		hdr.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				hdr.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			vb, _ := json.Marshal(metadata[k])
			hdr.Write(kb)
			hdr.WriteByte(':')
			hdr.Write(vb)
		}
		hdr.WriteByte('}')
	}
	var off int64
	for i, k := range sd.Keys {
		if k == "__metadata__" {
			return fmt.Errorf("nn: safetensors: a tensor may not be named __metadata__")
		}
		t := sd.Tensors[k]
		e := safetensorsEntry{DType: string(dt), Shape: t.Shape}
		size := int64(size * len(t.Data))
		if sd.Int64[k] {
			e.DType, size = "I64", int64(8*len(t.Data))
		}
		if e.Shape == nil {
			e.Shape = []int{}
		}
		e.DataOffsets = [2]int64{off, off + size}
		off += size
		if i > 0 || len(metadata) > 0 {
			hdr.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		eb, err := json.Marshal(e)
		if err != nil {
			return err
		}
		hdr.Write(kb)
		hdr.WriteByte(':')
		hdr.Write(eb)
	}
	hdr.WriteByte('}')
	for (8+hdr.Len())%8 != 0 {
		hdr.WriteByte(' ')
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(hdr.Len()))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return err
	}
	var buf []byte
	for _, k := range sd.Keys {
		t := sd.Tensors[k]
		if sd.Int64[k] {
			buf = slicesGrow(buf, 8*len(t.Data))
			for i, v := range t.Data {
				binary.LittleEndian.PutUint64(buf[8*i:], uint64(float32ToInt64(v)))
			}
		} else {
			buf = slicesGrow(buf, dt.Size()*len(t.Data))
			dt.encode(buf, t.Data)
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// float32ToInt64 rounds v to the nearest int64, saturating at the int64
// range (float32(MaxInt64) is 2^63, one past it); NaN becomes 0.
func float32ToInt64(v float32) int64 {
	f := math.Round(float64(v))
	switch {
	case f != f:
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// slicesGrow returns b resized to n bytes, reallocating only to grow.
func slicesGrow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// LoadSafetensors reads a safetensors file: its tensors as a StateDict (in
// header order) and its metadata (nil when absent).
func LoadSafetensors(path string) (*StateDict, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("nn: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("nn: %w", err)
	}
	sd, meta, err := ReadSafetensors(f, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return sd, meta, nil
}

// ParseSafetensors reads safetensors data held in memory.
func ParseSafetensors(b []byte) (*StateDict, map[string]string, error) {
	return ReadSafetensors(bytes.NewReader(b), int64(len(b)))
}

// safetensorsDTypeSize maps the dtypes lungo reads to their sizes in bytes.
var safetensorsDTypeSize = map[string]int64{"F32": 4, "F64": 8, "F16": 2, "BF16": 2, "I64": 8, "I32": 4}

// ReadSafetensors reads safetensors data of the given size from r. Errors
// name the file offset or the tensor key at fault.
func ReadSafetensors(r io.ReaderAt, size int64) (*StateDict, map[string]string, error) {
	fail := func(format string, args ...any) (*StateDict, map[string]string, error) {
		return nil, nil, fmt.Errorf("nn: safetensors: "+format, args...)
	}
	if size < 8 {
		return fail("file of %d bytes is shorter than the 8-byte header length", size)
	}
	var nb [8]byte
	if _, err := r.ReadAt(nb[:], 0); err != nil {
		return fail("reading the header length at offset 0: %v", err)
	}
	n := binary.LittleEndian.Uint64(nb[:])
	if n > safetensorsMaxHeader {
		return fail("header length %d at offset 0 exceeds the %d-byte limit", n, safetensorsMaxHeader)
	}
	if int64(n) > size-8 {
		return fail("header of %d bytes at offset 8 runs past the end of the %d-byte file (truncated?)", n, size)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return fail("reading the %d-byte header at offset 8: %v", n, err)
	}
	keys, entries, meta, err := parseSafetensorsHeader(hdr)
	if err != nil {
		return fail("header at offset 8: %v", err)
	}
	dataStart := 8 + int64(n)
	dataLen := size - dataStart
	// Entries must tile [0, dataLen) exactly.
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return entries[order[a]].DataOffsets[0] < entries[order[b]].DataOffsets[0] })
	var next int64
	for _, i := range order {
		e, k := entries[i], keys[i]
		b, en := e.DataOffsets[0], e.DataOffsets[1]
		if b != next {
			return fail("tensor %q: data starts at %d, want %d (gap or overlap in the data section at file offset %d)", k, b, next, dataStart+next)
		}
		if en < b || en > dataLen {
			return fail("tensor %q: data_offsets [%d, %d] outside the %d-byte data section at file offset %d (truncated?)", k, b, en, dataLen, dataStart)
		}
		next = en
	}
	if next != dataLen {
		return fail("data section at file offset %d has %d bytes, tensors cover %d", dataStart, dataLen, next)
	}
	sd := NewStateDict()
	var raw []byte
	for i, k := range keys {
		e := entries[i]
		b, en := e.DataOffsets[0], e.DataOffsets[1]
		raw = slicesGrow(raw, int(en-b))
		if _, err := r.ReadAt(raw, dataStart+b); err != nil && !(err == io.EOF && en == dataLen) {
			return fail("tensor %q: reading %d bytes at file offset %d: %v", k, en-b, dataStart+b, err)
		}
		t := tensor.New(e.Shape...)
		isInt := safetensorsDecode(t.Data, raw, e.DType)
		sd.Set(k, t, isInt)
	}
	return sd, meta, nil
}

// safetensorsDecode converts raw little-endian values of dtype into dst and
// reports whether the dtype is an integer one.
func safetensorsDecode(dst []float32, raw []byte, dtype string) bool {
	le := binary.LittleEndian
	switch dtype {
	case "F32":
		for i := range dst {
			dst[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case "F64":
		for i := range dst {
			dst[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
		}
	case "F16":
		for i := range dst {
			dst[i] = float16ToFloat32(le.Uint16(raw[2*i:]))
		}
	case "BF16":
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(le.Uint16(raw[2*i:])) << 16)
		}
	case "I64":
		for i := range dst {
			dst[i] = float32(int64(le.Uint64(raw[8*i:])))
		}
		return true
	case "I32":
		for i := range dst {
			dst[i] = float32(int32(le.Uint32(raw[4*i:])))
		}
		return true
	}
	return false
}

// float16ToFloat32 converts IEEE 754 binary16 bits to float32.
func float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac * 2^-24
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// parseSafetensorsHeader decodes the JSON header, keeping the key order and
// validating every entry. It returns the keys, their entries and metadata.
func parseSafetensorsHeader(hdr []byte) ([]string, []safetensorsEntry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, nil, errors.New("not a JSON object")
	}
	var keys []string
	var entries []safetensorsEntry
	var meta map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("at byte %d: %v", dec.InputOffset(), err)
		}
		k, _ := tok.(string)
		if seen[k] {
			return nil, nil, nil, fmt.Errorf("duplicate key %q", k)
		}
		seen[k] = true
		if k == "__metadata__" {
			if err := dec.Decode(&meta); err != nil {
				return nil, nil, nil, fmt.Errorf("__metadata__ is not a map of strings: %v", err)
			}
			continue
		}
		var raw struct {
			DType       *string       `json:"dtype"`
			Shape       []json.Number `json:"shape"`
			DataOffsets []json.Number `json:"data_offsets"`
		}
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, nil, fmt.Errorf("tensor %q: %v", k, err)
		}
		e, err := safetensorsCheckEntry(raw.DType, raw.Shape, raw.DataOffsets)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("tensor %q: %v", k, err)
		}
		keys = append(keys, k)
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, nil, fmt.Errorf("at byte %d: %v", dec.InputOffset(), err)
	}
	// Only padding may follow the object.
	rest := hdr[dec.InputOffset():]
	if len(bytes.TrimRight(rest, " \t\r\n\x00")) != 0 {
		return nil, nil, nil, fmt.Errorf("trailing data at byte %d", dec.InputOffset())
	}
	return keys, entries, meta, nil
}

// safetensorsCheckEntry validates one header record: a known dtype, a shape
// of non-negative dimensions whose byte size matches data_offsets.
func safetensorsCheckEntry(dtype *string, shape, offsets []json.Number) (safetensorsEntry, error) {
	var e safetensorsEntry
	if dtype == nil {
		return e, errors.New("no dtype")
	}
	elem, ok := safetensorsDTypeSize[*dtype]
	if !ok {
		return e, fmt.Errorf("unsupported dtype %q", *dtype)
	}
	e.DType = *dtype
	if shape == nil {
		return e, errors.New("no shape")
	}
	if len(shape) > 8 {
		return e, fmt.Errorf("shape has %d dimensions", len(shape))
	}
	numel := int64(1)
	e.Shape = make([]int, len(shape))
	for i, s := range shape {
		d, err := s.Int64()
		if err != nil || d < 0 || d > 1<<40 {
			return e, fmt.Errorf("bad dimension %s in shape", s)
		}
		e.Shape[i] = int(d)
		if d != 0 && numel > math.MaxInt64/elem/d {
			return e, fmt.Errorf("shape %v overflows", e.Shape)
		}
		numel *= d
	}
	if len(offsets) != 2 {
		return e, fmt.Errorf("data_offsets has %d values, want 2", len(offsets))
	}
	for i, o := range offsets {
		v, err := o.Int64()
		if err != nil || v < 0 {
			return e, fmt.Errorf("bad data offset %s", o)
		}
		e.DataOffsets[i] = v
	}
	if e.DataOffsets[1] < e.DataOffsets[0] {
		return e, fmt.Errorf("data_offsets [%d, %d] decrease", e.DataOffsets[0], e.DataOffsets[1])
	}
	if got, want := e.DataOffsets[1]-e.DataOffsets[0], numel*elem; got != want {
		return e, fmt.Errorf("data_offsets span %d bytes, %s %v needs %d", got, e.DType, e.Shape, want)
	}
	return e, nil
}
